"""Routes of the leaderboards: a classroom's board and its quests' boards, as pages and JSON."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for
from flask_security import auth_required, current_user
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from quest_platform.errors import ERROR_TEXTS, render_error
from quest_platform.page_cache import cached_page
from quest_platform.queries.leaderboards import (
    TIE_RULE,
    Audience,
    BoardAccess,
    Leaderboard,
    QuestBest,
    QuestSummary,
    assigned_quest,
    assigned_quests,
    classroom_leaderboard,
    leaderboard_access,
    leaderboard_classrooms,
    personal_bests,
    quest_leaderboard,
)

bp = Blueprint("leaderboards", __name__, url_prefix="/leaderboards")


@bp.errorhandler(NotFound)
def not_found(error: NotFound) -> tuple[Any, int]:
    """A missing board is a JSON error for the JSON addresses, the error page otherwise."""
    if request.path.endswith(".json"):
        return jsonify(error=str(ERROR_TEXTS[404][0])), 404
    return render_error(404)


def access_to(classroom_id: int) -> BoardAccess:
    """The current user's access to the classroom's boards; 404 if they have none."""
    access = leaderboard_access(user=current_user, classroom_id=classroom_id)
    if access is None:
        abort(404)
    return access


@bp.get("/")
@auth_required("session")
def index() -> Response | str:
    """The classrooms whose boards the user may open; a student in one class goes straight there."""
    classrooms = leaderboard_classrooms(current_user)
    if len(classrooms) == 1 and not current_user.is_staff:
        return redirect(url_for("leaderboards.classroom", classroom_id=classrooms[0].id))
    return render_template("leaderboards/index.html", classrooms=classrooms)


def classroom_board(classroom_id: int) -> tuple[Leaderboard, list[QuestSummary], list[QuestBest]]:
    """A classroom's board, its quests and the viewer's personal bests; 404 if not theirs."""
    access = access_to(classroom_id)
    quests = assigned_quests(access.classroom)
    board = classroom_leaderboard(access=access, viewer=current_user)
    bests = mine(access, quests)
    return board, quests, bests


def quest_board(classroom_id: int, slug: str) -> tuple[Leaderboard, list[QuestBest]]:
    """A quest's board in a classroom and the viewer's personal best; 404 unless it is assigned."""
    access = access_to(classroom_id)
    quest = assigned_quest(access.classroom, slug)
    if quest is None:
        abort(404)
    board = quest_leaderboard(access=access, quest=quest, viewer=current_user)
    return board, mine(access, [quest])


def mine(access: BoardAccess, quests: list[QuestSummary]) -> list[QuestBest]:
    """The viewing student's personal bests; staff have none."""
    if access.audience is not Audience.STUDENT:
        return []
    return personal_bests(student=current_user, quests=quests)


@bp.get("/classrooms/<int:classroom_id>")
@cached_page(boards=True)
@auth_required("session")
def classroom(classroom_id: int) -> str:
    """A classroom's board, with links to its quests' boards and the viewer's personal bests."""
    board, quests, bests = classroom_board(classroom_id)
    return render_template(
        "leaderboards/board.html", board=board, quests=quests, bests=bests, tie_rule=TIE_RULE
    )


@bp.get("/classrooms/<int:classroom_id>.json")
@cached_page(boards=True)
@auth_required("session")
def classroom_json(classroom_id: int) -> Response:
    """A classroom's board as JSON: the same data, with the same privacy, as the page."""
    board, _quests, bests = classroom_board(classroom_id)
    return jsonify(board_json(board, bests))


@bp.get("/classrooms/<int:classroom_id>/quests/<slug>")
@cached_page(boards=True)
@auth_required("session")
def quest(classroom_id: int, slug: str) -> str:
    """One quest's board among the students of a classroom it was assigned to."""
    board, bests = quest_board(classroom_id, slug)
    return render_template(
        "leaderboards/board.html", board=board, quests=[], bests=bests, tie_rule=TIE_RULE
    )


@bp.get("/classrooms/<int:classroom_id>/quests/<slug>.json")
@cached_page(boards=True)
@auth_required("session")
def quest_json(classroom_id: int, slug: str) -> Response:
    """One quest's board as JSON."""
    board, bests = quest_board(classroom_id, slug)
    return jsonify(board_json(board, bests))


def board_json(board: Leaderboard, bests: list[QuestBest]) -> dict[str, Any]:
    """A board as plain data; staff also get display names and whether each line is listed."""
    classroom = board.classroom
    staff = board.audience is Audience.STAFF
    rows = []
    for row in board.rows:
        item: dict[str, Any] = {
            "rank": row.rank,
            "name": row.name,
            "points": row.points,
            "you": row.is_viewer,
        }
        if staff:
            item |= {"display_name": row.real_name, "listed": row.listed}
        rows.append(item)
    you = board.viewer
    quest = board.quest
    return {
        "classroom": {
            "id": classroom.id,
            "name": classroom.name,
            "term": classroom.term,
            "period": classroom.period,
        },
        "quest": None
        if quest is None
        else {"slug": quest.slug, "title": quest.title, "available_points": quest.available_points},
        "enabled": board.enabled,
        "tie_rule": str(TIE_RULE),
        "rows": rows,
        "totals": {"students": board.listed_count, "points": board.listed_points}
        | ({"opted_out": board.opted_out_count} if staff else {}),
        "you": None
        if you is None
        else {
            "points": you.points,
            "rank": you.rank,
            "would_rank": you.would_rank,
            "opted_in": you.opted_in,
        },
        "personal_bests": [
            {
                "quest": best.quest.slug,
                "title": best.quest.title,
                "stage_points": best.stage_points,
                "available_points": best.quest.available_points,
                "bonus_points": best.bonus_points,
                "best_quiz": None if best.best_quiz is None else round(best.best_quiz, 4),
            }
            for best in bests
        ],
    }
