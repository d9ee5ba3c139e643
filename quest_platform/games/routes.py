"""Pages of live games: joining with a code, a player's screen, the host's projector screen and
the game's report.

A student joins at ``/games/`` (the code, or a link or QR code with the code in it) and plays
at ``/games/<id>/play``; the host runs the game at ``/games/<id>/host``. Both pages are live
through the ``/games`` Socket.IO namespace (quest_platform/games/live.py), which checks who may
do what again on every event. To anyone who is neither the game's host, an administrator nor
one of its classroom's students, a game does not exist (404).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_security import auth_required, current_user
from werkzeug.wrappers import Response

from quest_platform.extensions import db
from quest_platform.games.live import announce_game
from quest_platform.games.qr import join_qr_svg
from quest_platform.models import Game, GamePlayer, User
from quest_platform.portal.routes import student_only
from quest_platform.queries.games import games_for_student, games_hosted_by
from quest_platform.reports.files import ReportFormat, render_report
from quest_platform.reports.games import game_report
from quest_platform.services.errors import NotAllowed, NotFound, ServiceError
from quest_platform.services.games import check_host, join_game

bp = Blueprint("games", __name__, url_prefix="/games")

REPORT_TYPES = {
    ReportFormat.CSV: "text/csv; charset=utf-8",
    ReportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def hosted_or_404(game_id: int) -> Game:
    """The game, if the current user hosts it or is an administrator; 404 otherwise."""
    game = db.session.get(Game, game_id)
    if game is None:
        abort(404)
    try:
        check_host(game, current_user)
    except NotAllowed:
        abort(404)
    return game


@bp.get("/")
@auth_required("session")
def index() -> str:
    """Students: the join form and their classes' open games. Staff: the games they host."""
    if current_user.is_student:
        return render_join(code=request.args.get("code", ""))
    return render_template("games/hosted.html", games=games_hosted_by(current_user))


@bp.get("/join/<code>")
@student_only
def join_link(code: str) -> str:
    """The join form with the code filled in (a link or QR code leads here; joining is a POST)."""
    return render_join(code=code)


def render_join(*, code: str, error: str | None = None, status: int = 200) -> Any:
    user: User = current_user
    page = render_template(
        "games/join.html", code=code[:12], error=error, games=games_for_student(user)
    )
    return (page, status) if status != 200 else page


@bp.post("/join")
@student_only
def join() -> Response | tuple[str, int]:
    """Join the game with the code sent (or come back to it), then open its player screen."""
    code = str(request.form.get("code", ""))
    try:
        game = join_game(code=code, student=current_user)
    except NotFound as error:
        return render_join(code=code, error=error.message, status=404)
    except ServiceError as error:
        return render_join(code=code, error=error.message, status=403)
    announce_game(game)
    return redirect(url_for("games.play", game_id=game.id))


@bp.get("/<int:game_id>/play")
@student_only
def play(game_id: int) -> Response | str:
    """A player's screen: the question and choices on the player's own device, live."""
    game = db.session.get(Game, game_id)
    if game is None or db.session.get(GamePlayer, (game_id, current_user.id)) is None:
        abort(404)
    return render_template("games/play.html", game=game)


@bp.get("/<int:game_id>/host")
@auth_required("session")
def host(game_id: int) -> str:
    """The host's screen for the projector: code and QR code, lobby, questions, reveal, podium."""
    game = hosted_or_404(game_id)
    join_url = url_for("games.join_link", code=game.code, _external=True)
    return render_template(
        "games/host.html",
        game=game,
        join_url=join_url,
        qr_svg=join_qr_svg(join_url, title=_("QR code: join game %(code)s", code=game.code)),
    )


@bp.get("/<int:game_id>/report.<fmt>")
@auth_required("session")
def report(game_id: int, fmt: str) -> Response:
    """The game's report: a row per player (place, points, each question's answer)."""
    game = hosted_or_404(game_id)
    try:
        form = ReportFormat(fmt)
    except ValueError:
        abort(404)
    if form not in REPORT_TYPES:
        abort(404)
    filename = f"game-{game.id}-{game.created_at:%Y-%m-%d}.{form.value}"
    return Response(
        render_report(game_report(game), form),
        mimetype=REPORT_TYPES[form],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
