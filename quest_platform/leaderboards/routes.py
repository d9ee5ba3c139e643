"""Routes of the leaderboards: a classroom's board and its quests' boards, as pages and JSON."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for
from flask_security import auth_required, current_user
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from quest_platform.errors import ERROR_TEXTS, render_error
from quest_platform.queries.leaderboards import (
    TIE_RULE,
    BoardView,
    board_document,
    classroom_board_for,
    leaderboard_classrooms,
    quest_board_for,
)

bp = Blueprint("leaderboards", __name__, url_prefix="/leaderboards")


@bp.errorhandler(NotFound)
def not_found(error: NotFound) -> tuple[Any, int]:
    """A missing board is a JSON error for the JSON addresses, the error page otherwise."""
    if request.path.endswith(".json"):
        return jsonify(error=str(ERROR_TEXTS[404][0])), 404
    return render_error(404)


@bp.get("/")
@auth_required("session")
def index() -> Response | str:
    """The classrooms whose boards the user may open; a student in one class goes straight there."""
    classrooms = leaderboard_classrooms(current_user)
    if len(classrooms) == 1 and not current_user.is_staff:
        return redirect(url_for("leaderboards.classroom", classroom_id=classrooms[0].id))
    return render_template("leaderboards/index.html", classrooms=classrooms)


def classroom_board_or_404(classroom_id: int) -> BoardView:
    """A classroom's board as the current user opens it; 404 if it is not theirs."""
    view = classroom_board_for(viewer=current_user, classroom_id=classroom_id)
    if view is None:
        abort(404)
    return view


def quest_board_or_404(classroom_id: int, slug: str) -> BoardView:
    """A quest's board in a classroom as the current user opens it; 404 unless it is theirs."""
    view = quest_board_for(viewer=current_user, classroom_id=classroom_id, slug=slug)
    if view is None:
        abort(404)
    return view


@bp.get("/classrooms/<int:classroom_id>")
@auth_required("session")
def classroom(classroom_id: int) -> str:
    """A classroom's board, with links to its quests' boards and the viewer's personal bests."""
    view = classroom_board_or_404(classroom_id)
    return render_template(
        "leaderboards/board.html",
        board=view.board,
        quests=view.quests,
        bests=view.bests,
        tie_rule=TIE_RULE,
    )


@bp.get("/classrooms/<int:classroom_id>.json")
@auth_required("session")
def classroom_json(classroom_id: int) -> Response:
    """A classroom's board as JSON: the same data, with the same privacy, as the page."""
    return jsonify(board_document(classroom_board_or_404(classroom_id)))


@bp.get("/classrooms/<int:classroom_id>/quests/<slug>")
@auth_required("session")
def quest(classroom_id: int, slug: str) -> str:
    """One quest's board among the students of a classroom it was assigned to."""
    view = quest_board_or_404(classroom_id, slug)
    return render_template(
        "leaderboards/board.html",
        board=view.board,
        quests=view.quests,
        bests=view.bests,
        tie_rule=TIE_RULE,
    )


@bp.get("/classrooms/<int:classroom_id>/quests/<slug>.json")
@auth_required("session")
def quest_json(classroom_id: int, slug: str) -> Response:
    """One quest's board as JSON."""
    return jsonify(board_document(quest_board_or_404(classroom_id, slug)))
