"""Extra time in the admin: what a teacher's students were given on timed stages, and more of it.

Grants are append-only: this view lists them, shows one, and records a new one through
``grant_time_extension`` (which checks the student is the teacher's and writes the audit log);
it never edits or deletes. More time for the same student and stage is a later grant, added up.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_admin import expose
from flask_admin.form import BaseForm
from flask_admin.helpers import get_form_data
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_security import current_user
from sqlalchemy import select
from sqlalchemy.orm import Query, lazyload, selectinload
from werkzeug.wrappers import Response
from wtforms import IntegerField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import InputRequired, NumberRange
from wtforms.widgets import NumberInput

from admin_views.base import ChoiceFilter, Scope, ScopedModelView
from admin_views.dates import utc_moment
from admin_views.quests import unprocessable_if_refused
from quest_platform.extensions import db
from quest_platform.labels import short_duration
from quest_platform.models import Stage, TimeExtension, User
from quest_platform.queries.classrooms import enrolled_in
from quest_platform.queries.time_extensions import (
    given_to_students_of,
    quest_choices,
    student_choices,
    timed_stage_choices,
)
from quest_platform.queries.timing import extra_seconds_for
from quest_platform.services import ServiceError
from quest_platform.services.time_extensions import (
    MAX_EXTRA_SECONDS,
    MAX_REASON_LENGTH,
    MIN_EXTRA_SECONDS,
    grant_time_extension,
    minutes_of,
)

MIN_MINUTES = MIN_EXTRA_SECONDS // 60
MAX_MINUTES = MAX_EXTRA_SECONDS // 60
# The service names the amount in seconds; the form asks for minutes.
FORM_FIELDS = {"extra_seconds": "minutes"}


class TimeExtensionForm(BaseForm):
    """A student, one of their timed stages, how many more minutes and why."""

    student = SelectField(_l("Student"), validators=[InputRequired()])
    stage = SelectField(
        _l("Timed stage"),
        validators=[InputRequired()],
        description=_l("Timed stages of the quests given to your classes."),
    )
    minutes = IntegerField(
        _l("Extra minutes"),
        validators=[
            InputRequired(),
            NumberRange(
                min=MIN_MINUTES,
                max=MAX_MINUTES,
                message=_l("Give between 1 and 1440 minutes (24 hours)."),
            ),
        ],
        widget=NumberInput(step=1, min=MIN_MINUTES, max=MAX_MINUTES),
        description=_l("Between 1 and 1440 (24 hours); added to any extra time given before."),
    )
    reason = TextAreaField(
        _l("Reason"),
        validators=[InputRequired()],
        render_kw={"rows": 3, "maxlength": MAX_REASON_LENGTH},
        description=_l("Kept with the grant and in the audit log."),
    )


def with_prompt(prompt: str, choices: list[tuple[str, str]]) -> list[SelectChoice]:
    """A select's choices after an empty first option that asks for one."""
    return [SelectChoice("", prompt), *(SelectChoice(*choice) for choice in choices)]


class TimeExtensionView(ScopedModelView):
    """Extra time given to a teacher's students on timed stages (an admin's: everyone's)."""

    can_edit = False
    can_delete = False
    column_auto_select_related = False
    create_template = "admin_views/time_extension/create.html"

    title_column = "granted_at"
    column_list = [
        "granted_at",
        "student",
        "quest",
        "stage",
        "extra_minutes",
        "reason",
        "granted_by",
    ]
    column_details_list = [
        "granted_at",
        "student",
        "username",
        "quest",
        "stage",
        "time_limit",
        "extra_minutes",
        "stage_total",
        "reason",
        "granted_by",
    ]
    column_export_list = [
        "granted_at",
        "student",
        "username",
        "quest",
        "stage",
        "extra_minutes",
        "reason",
        "granted_by",
    ]
    column_sortable_list = [("granted_at", ("granted_at", "id"))]
    column_default_sort = [("granted_at", True), ("id", True)]
    column_searchable_list = ["student.username", "student.display_name"]
    column_filters = [
        ChoiceFilter(
            TimeExtension.student_id,
            _l("Classroom"),
            key="classroom",
            valid=str.isdigit,
            condition=lambda value: TimeExtension.student_id.in_(enrolled_in([int(value)])),
        ),
        ChoiceFilter(
            TimeExtension.stage_id,
            _l("Quest"),
            key="quest",
            valid=str.isdigit,
            condition=lambda value: TimeExtension.stage_id.in_(
                select(Stage.id).where(Stage.quest_id == int(value))
            ),
        ),
    ]
    column_labels = {
        "granted_at": _l("Given (UTC)"),
        "student": _l("Student"),
        "username": _l("Username"),
        "quest": _l("Quest"),
        "stage": _l("Stage"),
        "time_limit": _l("Time limit"),
        "extra_minutes": _l("Extra minutes"),
        "stage_total": _l("Extra time on this stage, all grants"),
        "reason": _l("Reason"),
        "granted_by": _l("Given by"),
    }

    def scope(self) -> Scope:
        if current_user.is_admin:
            return None
        return given_to_students_of(current_user.id)

    def get_query(self) -> Query[Any]:
        return (
            super()
            .get_query()
            .options(
                selectinload(TimeExtension.student).options(lazyload(User.roles)),
                selectinload(TimeExtension.granted_by).options(lazyload(User.roles)),
                selectinload(TimeExtension.stage).selectinload(Stage.quest),
            )
        )

    def record_title(self, model: TimeExtension) -> str:
        return _(
            "%(student)s — %(quest)s, stage %(position)d",
            student=model.student.display_name,
            quest=model.stage.quest.title,
            position=model.stage.position,
        )

    def filter_choices(self, name: str) -> list[tuple[str, str]]:
        if name == "classroom":
            return self.classroom_choices()
        if name == "quest":
            return quest_choices(current_user)
        return []

    # Columns shown as text

    def _granted_at(self, context: Any, model: TimeExtension, name: str) -> str:
        return utc_moment(model.granted_at)

    def _student(self, context: Any, model: TimeExtension, name: str) -> str:
        return model.student.display_name

    def _username(self, context: Any, model: TimeExtension, name: str) -> str:
        return model.student.username

    def _quest(self, context: Any, model: TimeExtension, name: str) -> str:
        return model.stage.quest.title

    def _stage(self, context: Any, model: TimeExtension, name: str) -> str:
        return f"{model.stage.position}. {model.stage.title}"

    def _time_limit(self, context: Any, model: TimeExtension, name: str) -> str:
        limit = model.stage.time_limit_seconds
        return short_duration(limit) if limit else "—"

    def _extra_minutes(self, context: Any, model: TimeExtension, name: str) -> str:
        return str(minutes_of(model.extra_seconds))

    def _stage_total(self, context: Any, model: TimeExtension, name: str) -> str:
        return short_duration(extra_seconds_for(student=model.student, stage=model.stage))

    def _reason(self, context: Any, model: TimeExtension, name: str) -> str:
        return model.reason or "—"

    def _granted_by(self, context: Any, model: TimeExtension, name: str) -> str:
        return model.granted_by.display_name if model.granted_by else _("A deleted account")

    column_formatters = {
        "granted_at": _granted_at,
        "student": _student,
        "username": _username,
        "quest": _quest,
        "stage": _stage,
        "time_limit": _time_limit,
        "extra_minutes": _extra_minutes,
        "stage_total": _stage_total,
        "reason": _reason,
        "granted_by": _granted_by,
    }
    column_formatters_detail = column_formatters
    column_formatters_export = column_formatters

    # The create form: the teacher's students and timed stages, prefilled from the query string

    def get_create_form(self) -> type[TimeExtensionForm]:
        return TimeExtensionForm

    def create_form(self, obj: Any = None) -> TimeExtensionForm:
        formdata = get_form_data()
        students = student_choices(current_user)
        stages = timed_stage_choices(current_user)
        prefill = None
        if formdata is None:
            # A link from an attempt names its student and stage; ones out of reach are ignored.
            prefill = {
                name: value
                for name, value, choices in (
                    ("student", request.args.get("student", ""), students),
                    ("stage", request.args.get("stage", ""), stages),
                )
                if value in {key for key, _label in choices}
            }
        form = TimeExtensionForm(formdata, obj=obj, data=prefill)
        form.student.choices = with_prompt(_("Choose a student"), students)
        form.stage.choices = with_prompt(_("Choose a timed stage"), stages)
        return form

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self) -> Response | str | tuple[str, int]:
        return unprocessable_if_refused(super().create_view())

    def create_model(self, form: TimeExtensionForm) -> TimeExtension | bool:
        student = db.session.get(User, int(form.student.data or 0))
        stage = db.session.get(Stage, int(form.stage.data or 0))
        if student is None or stage is None:
            error = ServiceError(_("Choose a student and a timed stage."), field="student")
            return self.report(error, form)
        try:
            return grant_time_extension(
                student=student,
                stage=stage,
                extra_seconds=form.minutes.data * 60,
                reason=form.reason.data or "",
                by=current_user,
            )
        except ServiceError as error:
            error.field = FORM_FIELDS.get(error.field or "", error.field)
            return self.report(error, form)
