"""Code races in the admin: a teacher's races, and a new one for a class on a code stage.

Races are started through ``start_race`` (which checks the class is the teacher's and the
stage's quest is given to it, and writes the audit log); a race is never edited or deleted
here. Each race links to its projector view, which shows the places live.
"""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_admin import expose
from flask_admin.form import BaseForm
from flask_admin.helpers import get_form_data
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_security import current_user
from markupsafe import Markup
from sqlalchemy.orm import Query, lazyload, selectinload
from werkzeug.wrappers import Response
from wtforms import IntegerField, RadioField, SelectChoice, SelectField
from wtforms.validators import InputRequired, NumberRange, Optional
from wtforms.widgets import NumberInput

from admin_views.base import Scope, ScopedModelView
from admin_views.lists import moment, newest_first, person, shown
from admin_views.quests import unprocessable_if_refused
from admin_views.time_extensions import with_prompt
from quest_platform.extensions import db
from quest_platform.models import (
    POINTS_STEP,
    Classroom,
    CodeRace,
    Stage,
    StageKind,
    User,
    utcnow,
)
from quest_platform.queries.classrooms import classroom_choices, given_stage_choices
from quest_platform.queries.races import (
    RaceState,
    race_table,
    races_visible_to,
)
from quest_platform.services import ServiceError
from quest_platform.services.races import MAX_MINUTES, MAX_POINTS, MIN_MINUTES, start_race
from quest_platform.time_zones import LocalDateTimeField, in_zone

STATE_LABELS = {
    RaceState.WAITING: _l("Starts soon"),
    RaceState.RUNNING: _l("Racing"),
    RaceState.EXTRA_TIME: _l("Extra time"),
    RaceState.OVER: _l("Over"),
}


class RaceForm(BaseForm):
    """A class, one of its code stages, when the race starts, how long it lasts, its points."""

    classroom = SelectField(_l("Class"), validators=[InputRequired()])
    stage = SelectField(
        _l("Code challenge"),
        validators=[InputRequired()],
        description=_l("Code challenges of the published quests given to your classes."),
    )
    start = RadioField(
        _l("Start"),
        choices=[SelectChoice("now", _l("Now")), SelectChoice("later", _l("At a time I choose"))],
        default="now",
        validators=[InputRequired()],
    )
    starts_at = LocalDateTimeField(
        _l("Starts at"),
        validators=[Optional()],
        description=_l("Only when it starts at a time you choose."),
    )
    minutes = IntegerField(
        _l("Minutes"),
        default=15,
        validators=[
            InputRequired(),
            NumberRange(min=MIN_MINUTES, max=MAX_MINUTES, message=_l("Between 1 and 180 minutes.")),
        ],
        widget=NumberInput(step=1, min=MIN_MINUTES, max=MAX_MINUTES),
        description=_l("How long the race lasts; students with extra time on the stage get it."),
    )
    first_points = IntegerField(
        _l("Points for first place"),
        default=30,
        validators=[InputRequired(), NumberRange(min=1, max=MAX_POINTS)],
        widget=NumberInput(step=1, min=1, max=MAX_POINTS),
    )
    min_points = IntegerField(
        _l("Points for every correct solution"),
        default=5,
        validators=[InputRequired(), NumberRange(min=1, max=MAX_POINTS)],
        widget=NumberInput(step=1, min=1, max=MAX_POINTS),
        description=_l(
            "Each place after the first earns fewer points, by %(step)d a place, never fewer "
            "than this.",
            step=POINTS_STEP,
        ),
    )


def projector_link(view: Any, context: Any, race: CodeRace, name: str) -> Markup:
    """A link to the race's projector view, named by the race's stage."""
    return Markup('<a href="{}">{}</a>').format(
        url_for("races.projector", race_id=race.id), _("Projector view")
    )


def race_state_label(race: CodeRace) -> str:
    return str(STATE_LABELS[race_table(race, now=utcnow()).state])


class RaceView(ScopedModelView):
    """The races of a teacher's classes (an admin's: every race), and a new race."""

    can_edit = False
    can_delete = False
    column_auto_select_related = False
    create_template = "admin_views/race/create.html"

    title_column = "starts_at"
    column_list = ["starts_at", "classroom", "quest", "stage", "minutes", "state", "projector"]
    column_details_list = [
        "starts_at",
        "ends_at",
        "classroom",
        "quest",
        "stage",
        "minutes",
        "state",
        "first_points",
        "min_points",
        "started_by",
        "projector",
    ]
    column_export_list = [
        "starts_at",
        "ends_at",
        "classroom",
        "quest",
        "stage",
        "minutes",
        "first_points",
        "min_points",
        "started_by",
    ]
    column_labels = {
        "starts_at": in_zone(_l("Starts")),
        "ends_at": in_zone(_l("Ends")),
        "classroom": _l("Class"),
        "quest": _l("Quest"),
        "stage": _l("Code challenge"),
        "minutes": _l("Minutes"),
        "state": _l("State"),
        "first_points": _l("Points for first place"),
        "min_points": _l("Points for every correct solution"),
        "started_by": _l("Started by"),
        "projector": _l("Places"),
    }
    column_sortable_list, column_default_sort = newest_first("starts_at")
    column_formatters = {
        "starts_at": moment(),
        "ends_at": moment(),
        "classroom": shown(lambda race: race.classroom.name),
        "quest": shown(lambda race: race.stage.quest.title),
        "stage": shown(lambda race: f"{race.stage.position}. {race.stage.title}"),
        "minutes": shown(lambda race: str(int(race.duration.total_seconds() // 60))),
        "state": shown(race_state_label),
        "started_by": person(_l("A deleted account")),
        "projector": projector_link,
    }
    column_formatters_export = {
        name: formatter for name, formatter in column_formatters.items() if name != "projector"
    }

    def scope(self) -> Scope:
        return races_visible_to(current_user)

    def get_query(self) -> Query[Any]:
        return (
            super()
            .get_query()
            .options(
                selectinload(CodeRace.classroom),
                selectinload(CodeRace.started_by).options(lazyload(User.roles)),
                selectinload(CodeRace.stage).selectinload(Stage.quest),
            )
        )

    def record_title(self, model: CodeRace) -> str:
        return _(
            "%(classroom)s — %(stage)s",
            classroom=model.classroom.name,
            stage=model.stage.title,
        )

    def get_create_form(self) -> type[RaceForm]:
        return RaceForm

    def create_form(self, obj: Any = None) -> RaceForm:
        form = RaceForm(get_form_data(), obj=obj)
        form.classroom.choices = with_prompt(_("Choose a class"), classroom_choices(current_user))
        form.stage.choices = with_prompt(
            _("Choose a code challenge"),
            given_stage_choices(current_user, [StageKind.CODE.value], published_only=True),
        )
        return form

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self) -> Response | str | tuple[str, int]:
        return unprocessable_if_refused(super().create_view())

    def create_model(self, form: RaceForm) -> CodeRace | bool:
        classroom = db.session.get(Classroom, int(form.classroom.data or 0))
        stage = db.session.get(Stage, int(form.stage.data or 0))
        if classroom is None or stage is None:
            return self.report(ServiceError(_("Choose a class and a code challenge.")), form)
        if form.start.data == "later" and form.starts_at.data is None:
            error = ServiceError(_("Choose when the race starts."), field="starts_at")
            return self.report(error, form)
        try:
            return start_race(
                classroom=classroom,
                stage=stage,
                minutes=form.minutes.data,
                first_points=form.first_points.data,
                min_points=form.min_points.data,
                starts_at=form.starts_at.data if form.start.data == "later" else None,
                by=current_user,
            )
        except ServiceError as error:
            return self.report(error, form)

    def get_save_return_url(self, model: Any, is_created: bool = False) -> str:
        """A new race opens on its projector view: the teacher shows it to the class."""
        if is_created and isinstance(model, CodeRace):
            return url_for("races.projector", race_id=model.id)
        return str(super().get_save_return_url(model, is_created))
