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
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Query, lazyload, selectinload
from werkzeug.wrappers import Response
from wtforms import IntegerField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import InputRequired, NumberRange
from wtforms.widgets import NumberInput

from admin_views.base import Scope, ScopedModelView
from admin_views.lists import (
    STUDENT_SEARCH,
    classroom_filter,
    duration,
    id_filter,
    moment,
    newest_first,
    person,
    shown,
    stage_title,
    student_name,
    student_username,
)
from admin_views.quests import unprocessable_if_refused
from quest_platform.extensions import db
from quest_platform.models import Stage, TimeExtension, User
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
from quest_platform.time_zones import in_zone

MIN_MINUTES = MIN_EXTRA_SECONDS // 60
MAX_MINUTES = MAX_EXTRA_SECONDS // 60
# The service names the amount in seconds; the form asks for minutes.
FORM_FIELDS = {"extra_seconds": "minutes"}


class TimeExtensionForm(BaseForm):
    """A student, one of their timed stages, how many more minutes and why."""

    student = SelectField(_l("Student"), validators=[InputRequired()])
    stage = SelectField(
        _l("Stage"),
        validators=[InputRequired()],
        description=_l(
            "Timed stages, code challenges (for races) and quizzes (for games) of the quests "
            "given to your classes."
        ),
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


def timed_quests(view: Any) -> list[tuple[str, str]]:
    """The quests with a timed stage given to the current user's classrooms, as choices."""
    return quest_choices(current_user)


def on_quest(quest_id: int) -> ColumnElement[bool]:
    """Extra time given on the stages of one quest."""
    return TimeExtension.stage_id.in_(select(Stage.id).where(Stage.quest_id == quest_id))


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
    column_labels = {
        "granted_at": in_zone(_l("Given")),
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
    column_sortable_list, column_default_sort = newest_first("granted_at")
    column_searchable_list = STUDENT_SEARCH
    column_filters = [
        classroom_filter(student=TimeExtension.student_id),
        id_filter(TimeExtension.stage_id, _l("Quest"), "quest", timed_quests, on_quest),
    ]
    column_formatters = {
        "granted_at": moment(),
        "student": student_name,
        "username": student_username,
        "quest": shown(lambda extension: extension.stage.quest.title),
        "stage": stage_title,
        "time_limit": duration(lambda extension: extension.stage.time_limit_seconds),
        "extra_minutes": shown(lambda extension: str(minutes_of(extension.extra_seconds))),
        "stage_total": duration(
            lambda extension: extra_seconds_for(student=extension.student, stage=extension.stage)
        ),
        "reason": shown(lambda extension: extension.reason or "—"),
        "granted_by": person(_l("A deleted account")),
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
        form.stage.choices = with_prompt(_("Choose a stage"), stages)
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
