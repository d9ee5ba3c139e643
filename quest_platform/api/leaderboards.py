"""Leaderboards, as private as the portal's: pseudonyms only, opt-outs left off, the switch."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields

from quest_platform.api.access import caller, signed_in
from quest_platform.queries.leaderboards import board_document, classroom_board_for, quest_board_for

bp = Blueprint(
    "api_leaderboards",
    __name__,
    url_prefix="/api/v1/leaderboards",
    description=(
        "A classroom's leaderboard and its quests' boards: classmates appear by pseudonym only,"
        " students who opted out are left off, and a board a teacher turned off shows no ranking."
    ),
)


class RowOut(Schema):
    """One line of a board; staff also get the display name and whether the line is listed."""

    rank = fields.Integer(required=True, allow_none=True)
    name = fields.String(required=True, metadata={"description": "The pseudonym."})
    points = fields.Integer(required=True)
    you = fields.Boolean(required=True)
    display_name = fields.String()
    listed = fields.Boolean()


class ClassroomRefOut(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    term = fields.String(required=True)
    period = fields.Integer(required=True)


class QuestRefOut(Schema):
    slug = fields.String(required=True)
    title = fields.String(required=True)
    available_points = fields.Integer(required=True)


class TotalsOut(Schema):
    students = fields.Integer(required=True)
    points = fields.Integer(required=True)
    opted_out = fields.Integer()


class YouOut(Schema):
    """The viewing student's place: their rank, or the rank they would take if opted out."""

    points = fields.Integer(required=True)
    rank = fields.Integer(required=True, allow_none=True)
    would_rank = fields.Integer(required=True, allow_none=True)
    opted_in = fields.Boolean(required=True)


class BestOut(Schema):
    quest = fields.String(required=True)
    title = fields.String(required=True)
    stage_points = fields.Integer(required=True)
    available_points = fields.Integer(required=True)
    bonus_points = fields.Integer(required=True)
    best_quiz = fields.Float(required=True, allow_none=True)


class LeaderboardOut(Schema):
    """A board as its viewer may see it."""

    classroom = fields.Nested(ClassroomRefOut, required=True)
    quest = fields.Nested(QuestRefOut, required=True, allow_none=True)
    enabled = fields.Boolean(required=True)
    tie_rule = fields.String(required=True)
    rows = fields.List(fields.Nested(RowOut), required=True)
    totals = fields.Nested(TotalsOut, required=True)
    you = fields.Nested(YouOut, required=True, allow_none=True)
    personal_bests = fields.List(fields.Nested(BestOut), required=True)


@bp.get("/classrooms/<int:classroom_id>")
@bp.response(200, LeaderboardOut)
@signed_in()
def classroom(classroom_id: int) -> Any:
    """A classroom's board (all its quests): its students and teachers only."""
    view = classroom_board_for(viewer=caller(), classroom_id=classroom_id)
    if view is None:
        abort(404)
    return board_document(view)


@bp.get("/classrooms/<int:classroom_id>/quests/<slug>")
@bp.response(200, LeaderboardOut)
@signed_in()
def quest(classroom_id: int, slug: str) -> Any:
    """One quest's board among a classroom it was given to."""
    view = quest_board_for(viewer=caller(), classroom_id=classroom_id, slug=slug)
    if view is None:
        abort(404)
    return board_document(view)
