"""Live games in the admin: the games of a teacher's classes, and a new game for a class.

Games are opened through ``open_game`` (which checks the class is the teacher's and each quiz's
quest is published and given to it, and writes the audit log); a game is never edited or
deleted here. A new game opens on its host screen, for the projector; each game links to its
host screen and its report.
"""

from __future__ import annotations

from typing import Any

from flask import g, url_for
from flask_admin import expose
from flask_admin.form import BaseForm
from flask_admin.helpers import get_form_data
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext, ngettext
from flask_security import current_user
from markupsafe import Markup
from sqlalchemy.orm import Query, lazyload, selectinload
from werkzeug.wrappers import Response
from wtforms import BooleanField, RadioField, SelectChoice, SelectField
from wtforms.validators import InputRequired

from admin_views.base import Scope, ScopedModelView
from admin_views.lists import labelled, moment, newest_first, person, shown
from admin_views.quests import unprocessable_if_refused
from admin_views.stage_forms import CheckboxListField
from admin_views.time_extensions import with_prompt
from quest_platform.extensions import db
from quest_platform.game_scoring import POINT_CHOICES
from quest_platform.models import Classroom, Game, GameStatus, Stage, User
from quest_platform.queries.classrooms import classroom_choices, given_stage_choices
from quest_platform.queries.game_scope import GameSize, game_sizes, games_visible_to
from quest_platform.services import ServiceError
from quest_platform.services.errors import NotAllowed
from quest_platform.services.games import GAME_KINDS, check_host, open_game
from quest_platform.time_zones import in_zone

STATUS_LABELS = {
    GameStatus.LOBBY: lazy_pgettext("game status", "Lobby"),
    GameStatus.QUESTION: lazy_pgettext("game status", "Question on screen"),
    GameStatus.REVEAL: lazy_pgettext("game status", "Answers shown"),
    GameStatus.FINISHED: lazy_pgettext("game status", "Over"),
}
POINT_LABELS = {
    0: _l("No points (practice)"),
    1000: _l("Standard"),
    2000: _l("Double"),
}
# The timers a host may choose, in seconds a question ("none": each question stays open until
# the host moves on).
NO_TIMER = "none"
TIMER_SECONDS = (10, 20, 30, 60, 120, 240)


def timer_choices() -> list[SelectChoice]:
    """The timer's choices, worded in the reader's language."""
    return [
        SelectChoice(NO_TIMER, _("No timer")),
        *(
            SelectChoice(
                str(seconds),
                ngettext("%(num)d second a question", "%(num)d seconds a question", seconds),
            )
            for seconds in TIMER_SECONDS
        ),
    ]


class GameForm(BaseForm):
    """A class, the quizzes whose questions the game asks, and how answers are scored and timed."""

    classroom = SelectField(_l("Class"), validators=[InputRequired()])
    stages = CheckboxListField(
        _l("Quizzes"),
        description=_l(
            "Quizzes and timed quizzes of the published quests given to your classes. The game "
            "asks every question of each quiz you tick, in the order listed here."
        ),
    )
    points = RadioField(
        _l("Points a question"),
        choices=[SelectChoice(points, POINT_LABELS[points]) for points in POINT_CHOICES],
        coerce=int,
        default=1000,
        validators=[InputRequired()],
        description=_l("Standard is up to 1000 points for a right answer; double, up to 2000."),
    )
    speed_scoring = BooleanField(
        _l("Speed scoring"),
        default=True,
        description=_l(
            "Faster right answers earn more: all the points at once, half at the last moment."
        ),
    )
    streak_bonus = BooleanField(
        _l("Streak bonus"),
        default=True,
        description=_l("Each right answer in a row after the first adds 100 points, up to 500."),
    )
    seconds = RadioField(
        _l("Timer"),
        default="20",
        validators=[InputRequired()],
        description=_l("Each student's extra time on a quiz is added to their own timer."),
    )


def game_links(view: Any, context: Any, game: Game, name: str) -> Markup | str:
    """Links to the game's host screen and its report, for its host (and administrators)."""
    try:
        check_host(game, current_user)
    except NotAllowed:
        return "—"
    links = [
        (url_for("games.host", game_id=game.id), _("Host screen")),
        (url_for("games.report", game_id=game.id, fmt="csv"), _("Report: CSV")),
        (url_for("games.report", game_id=game.id, fmt="xlsx"), _("Report: XLSX")),
    ]
    return Markup(" · ").join(Markup('<a href="{}">{}</a>').format(*link) for link in links)


def seconds_label(game: Game) -> str:
    if game.seconds_per_question is None:
        return _("No timer")
    return ngettext(
        "%(num)d second a question", "%(num)d seconds a question", game.seconds_per_question
    )


class GameView(ScopedModelView):
    """The live games of a teacher's classes (an admin's: every game), and a new game."""

    can_edit = False
    can_delete = False
    column_auto_select_related = False
    create_template = "admin_views/game/create.html"

    title_column = "created_at"
    column_list = [
        "created_at",
        "classroom",
        "code",
        "questions",
        "players",
        "status",
        "host",
        "links",
    ]
    column_details_list = [
        "created_at",
        "classroom",
        "code",
        "questions",
        "players",
        "status",
        "points_per_question",
        "speed_scoring",
        "streak_bonus",
        "seconds_per_question",
        "host",
        "finished_at",
        "links",
    ]
    # The export holds what the details page shows, less the links to pages.
    column_export_list = [name for name in column_details_list if name != "links"]
    column_labels = {
        "created_at": in_zone(_l("Created")),
        "classroom": _l("Class"),
        "code": _l("Code"),
        "questions": _l("Questions"),
        "players": _l("Players"),
        "status": _l("Status"),
        "points_per_question": _l("Points a question"),
        "speed_scoring": _l("Speed scoring"),
        "streak_bonus": _l("Streak bonus"),
        "seconds_per_question": _l("Timer"),
        "host": _l("Host"),
        "finished_at": in_zone(_l("Ended")),
        "links": _l("Host screen and report"),
    }
    column_sortable_list, column_default_sort = newest_first("created_at")
    column_formatters = {
        "created_at": moment(),
        "finished_at": moment(),
        "classroom": shown(lambda game: game.classroom.name),
        # Counted for the whole page at once (see get_list).
        "questions": lambda view, context, game, name: view.game_size(game).questions,
        "players": lambda view, context, game, name: view.game_size(game).players,
        "status": labelled(STATUS_LABELS),
        "speed_scoring": labelled({True: _l("On"), False: _l("Off")}),
        "streak_bonus": labelled({True: _l("On"), False: _l("Off")}),
        "seconds_per_question": shown(seconds_label),
        "host": person(_l("A deleted account")),
        "links": game_links,
    }
    column_formatters_export = {
        name: formatter for name, formatter in column_formatters.items() if name != "links"
    }

    def scope(self) -> Scope:
        return games_visible_to(current_user)

    def get_query(self) -> Query[Any]:
        return (
            super()
            .get_query()
            .options(
                selectinload(Game.classroom),
                selectinload(Game.host).options(lazyload(User.roles)),
            )
        )

    # Question and player counts: two grouped queries per page, not two per row.

    def get_list(self, *args: Any, **kwargs: Any) -> tuple[int | None, Any]:
        count, rows = super().get_list(*args, **kwargs)
        if kwargs.get("execute", True):
            rows = list(rows)
            g.admin_game_sizes = game_sizes(rows)
        return count, rows

    def game_size(self, game: Game) -> GameSize:
        sizes = g.get("admin_game_sizes") or {}
        if game.id not in sizes:
            sizes = game_sizes([game])
        return sizes[game.id]

    def record_title(self, model: Game) -> str:
        return _(
            "Live game %(code)s: %(classroom)s", code=model.code, classroom=model.classroom.name
        )

    def get_create_form(self) -> type[GameForm]:
        return GameForm

    def create_form(self, obj: Any = None) -> GameForm:
        form = GameForm(get_form_data(), obj=obj)
        form.classroom.choices = with_prompt(_("Choose a class"), classroom_choices(current_user))
        form.stages.choices = given_stage_choices(current_user, GAME_KINDS, published_only=True)
        form.seconds.choices = timer_choices()
        return form

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self) -> Response | str | tuple[str, int]:
        return unprocessable_if_refused(super().create_view())

    def create_model(self, form: GameForm) -> Game | bool:
        classroom = db.session.get(Classroom, int(form.classroom.data or 0))
        if classroom is None:
            return self.report(ServiceError(_("Choose a class."), field="classroom"), form)
        # The quizzes in the order they are listed, whatever order the browser sent them in.
        ticked = set(form.stages.data or ())
        stages = [
            stage
            for value, _label in form.stages.choices
            if value in ticked and (stage := db.session.get(Stage, int(value))) is not None
        ]
        try:
            return open_game(
                classroom=classroom,
                stages=stages,
                by=current_user,
                points=form.points.data,
                speed_scoring=bool(form.speed_scoring.data),
                streak_bonus=bool(form.streak_bonus.data),
                seconds=None if form.seconds.data == NO_TIMER else int(form.seconds.data),
            )
        except ServiceError as error:
            return self.report(error, form)

    def get_save_return_url(self, model: Any, is_created: bool = False) -> str:
        """A new game opens on its host screen: the teacher shows its code to the class."""
        if is_created and isinstance(model, Game):
            return url_for("games.host", game_id=model.id)
        return str(super().get_save_return_url(model, is_created))
