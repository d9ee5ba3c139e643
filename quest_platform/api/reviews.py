"""Peer reviews: the caller's reviews to do, missed and done, and writing one.

A submission is reached only through an assignment given to the caller; to anyone else it does
not exist (404). The work's author is never named here.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields

from quest_platform.api.access import caller, refuse, signed_in
from quest_platform.models import PeerReview, PeerReviewAssignment, utcnow
from quest_platform.queries.peer_review import (
    ReviewTask,
    assignment_of_reviewer,
    reviewer_tasks,
)
from quest_platform.services import ServiceError
from quest_platform.services.peer_review import submit_peer_review

bp = Blueprint(
    "api_reviews",
    __name__,
    url_prefix="/api/v1/reviews",
    description="Peer reviews: the submissions given to the caller to review.",
)


class ReviewTaskOut(Schema):
    """A submission given to the caller to review."""

    assignment_id = fields.Integer(required=True)
    quest = fields.String(required=True, metadata={"description": "The quest's title."})
    stage_position = fields.Integer(required=True)
    stage_title = fields.String(required=True)
    rubric = fields.List(fields.String(), required=True)
    due_at = fields.DateTime(required=True)
    reviewed_at = fields.DateTime(
        required=True, allow_none=True, metadata={"description": "Null: not reviewed yet."}
    )


class ReviewsOut(Schema):
    """The caller's reviews: to do (soonest due first), missed (deadline passed) and done."""

    to_do = fields.List(fields.Nested(ReviewTaskOut), required=True)
    missed = fields.List(fields.Nested(ReviewTaskOut), required=True)
    done = fields.List(fields.Nested(ReviewTaskOut), required=True)


class ReviewIn(Schema):
    """A review: one level index per rubric criterion (0 is the lowest), and a comment in
    Markdown of at most 4,000 characters."""

    levels = fields.List(fields.Raw(), required=True)
    comment = fields.String(required=True)


class ReviewOut(Schema):
    """A review as written."""

    id = fields.Integer(required=True)
    assignment_id = fields.Integer(required=True)
    levels = fields.List(fields.Integer(), required=True)
    comment = fields.String(required=True)
    comment_html = fields.String(required=True, metadata={"description": "Sanitized HTML."})
    submitted_at = fields.DateTime(required=True)


def task_out(task: ReviewTask) -> dict[str, Any]:
    return {
        "assignment_id": task.assignment.id,
        "quest": task.quest.title,
        "stage_position": task.stage.position,
        "stage_title": task.stage.title,
        "rubric": task.stage.rubric,
        "due_at": task.assignment.due_at,
        "reviewed_at": task.review.submitted_at if task.review else None,
    }


def review_out(review: PeerReview) -> dict[str, Any]:
    return {
        "id": review.id,
        "assignment_id": review.assignment_id,
        "levels": review.levels,
        "comment": review.comment,
        "comment_html": review.comment_html,
        "submitted_at": review.submitted_at,
    }


@bp.get("")
@bp.response(200, ReviewsOut)
@signed_in()
def index() -> Any:
    """Your reviews to do, missed and done."""
    tasks = reviewer_tasks(reviewer=caller(), now=utcnow())
    return {
        "to_do": [task_out(task) for task in tasks.to_do],
        "missed": [task_out(task) for task in tasks.missed],
        "done": [task_out(task) for task in tasks.done],
    }


@bp.post("/<int:peer_assignment_id>")
@bp.arguments(ReviewIn)
@bp.response(201, ReviewOut)
@signed_in()
def write(request_data: dict[str, Any], peer_assignment_id: int) -> Any:
    """Review a submission given to you, once.

    Refused with 409 for a second review, 422 after the deadline, for levels that are not one
    per criterion within the rubric's levels, or for an empty or too long comment.
    """
    assignment: PeerReviewAssignment | None = assignment_of_reviewer(
        reviewer=caller(), assignment_id=peer_assignment_id
    )
    if assignment is None:
        abort(404, message=_("There is no review of yours with this number."))
    try:
        review = submit_peer_review(
            assignment=assignment,
            reviewer=caller(),
            levels=request_data["levels"],
            comment=request_data["comment"],
        )
    except ServiceError as error:
        refuse(error)
    return review_out(review)
