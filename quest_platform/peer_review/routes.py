"""Routes of peer review: the Reviews page, one submission's review form (with its screenshot),
and the navigation's count of reviews to do.

A submission is reached only through an assignment given to the signed-in person: anyone else
finds no such page (404), whether it exists or not. The author's name is never shown here.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_security import auth_required, current_user
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from quest_platform.extensions import db
from quest_platform.models import Attempt, PeerReviewAssignment, utcnow
from quest_platform.models.peer_review import MAX_PEER_COMMENT_LENGTH
from quest_platform.queries.peer_review import (
    AssignmentShown,
    assignment_of_reviewer,
    levels_of,
    review_counts,
    reviewer_tasks,
    reviews_of_attempt,
    reviews_to_do_count,
    shown,
)
from quest_platform.services import ServiceError
from quest_platform.services.peer_review import submit_peer_review
from quest_platform.urls import record_id

bp = Blueprint("peer_review", __name__)


@bp.app_context_processor
def navigation_values() -> dict[str, Any]:
    """Give every template ``reviews_to_do()``, for the navigation's Reviews link, and
    ``peer_review_panel(attempt)`` and ``peer_review_counts(student_id, classroom_id)``, for the
    teacher's attempt page and a student's engagement."""
    return {
        "reviews_to_do": reviews_to_do,
        "peer_review_panel": peer_review_panel,
        "peer_review_counts": peer_review_counts,
    }


def peer_review_counts(student_id: int, classroom_id: int) -> tuple[int, int]:
    """The peer reviews a student wrote and received in a classroom, for the teacher's page of
    the student's engagement (already scoped to the teacher's classrooms)."""
    return review_counts([student_id], classroom_id=classroom_id)[student_id]


def peer_review_panel(attempt: Attempt) -> list[AssignmentShown] | None:
    """The peer reviews of ``attempt`` for the teacher's page that shows it (already scoped to
    the teacher's students); None when its stage asks for none and it has none."""
    assignments = reviews_of_attempt(attempt, now=utcnow())
    if not assignments and not attempt.stage.peer_reviews_wanted:
        return None
    return assignments


def reviews_to_do() -> int:
    """How many reviews the signed-in person still has to write: counted once per page, when
    the navigation asks, and never for a visitor."""
    if not current_user.is_authenticated:
        return 0
    if "reviews_to_do" not in g:
        try:
            g.reviews_to_do = reviews_to_do_count(reviewer=current_user, now=utcnow())
        except SQLAlchemyError:
            # A count in the navigation never breaks a page.
            db.session.rollback()
            g.reviews_to_do = 0
    count: int = g.reviews_to_do
    return count


@bp.get("/reviews")
@auth_required("session")
def index() -> str:
    """The signed-in person's reviews: to do (soonest due first), missed and done."""
    return render_template(
        "peer_review/index.html", tasks=reviewer_tasks(reviewer=current_user, now=utcnow())
    )


@bp.get("/reviews/<int:peer_assignment_id>")
@auth_required("session")
def review(peer_assignment_id: int) -> tuple[str, int]:
    """A submission given to the signed-in person: its work, and the review form (or the
    review they wrote)."""
    return render_review(assignment_or_404(peer_assignment_id))


@bp.post("/reviews/<int:peer_assignment_id>")
@auth_required("session")
def submit(peer_assignment_id: int) -> Response | tuple[str, int]:
    """Send a review; then back to the Reviews page. A refused review comes back on its form
    with the reason and what was entered, nothing written."""
    assignment = assignment_or_404(peer_assignment_id)
    try:
        submit_peer_review(
            assignment=assignment,
            reviewer=current_user,
            levels=levels_entered(assignment),
            comment=request.form.get("comment", ""),
        )
    except ServiceError as error:
        return render_review(assignment_or_404(peer_assignment_id), error=error)
    flash(_("Your review is sent. Thank you!"), "success")
    return redirect(url_for(".index"))


def assignment_or_404(assignment_id: int) -> PeerReviewAssignment:
    """The assignment given to the signed-in person; 404 otherwise."""
    assignment = assignment_of_reviewer(reviewer=current_user, assignment_id=assignment_id)
    if assignment is None:
        abort(404)
    return assignment


def levels_entered(assignment: PeerReviewAssignment) -> list[object]:
    """The level chosen for each criterion (``criterion-<n>``): a number, None when none was
    chosen, or the text sent when it is not a number (the service refuses both)."""
    levels: list[object] = []
    for index in range(len(assignment.attempt.stage.rubric)):
        value = request.form.get(f"criterion-{index}", "").strip()
        number = record_id(value)
        levels.append(number if number is not None else (value or None))
    return levels


def render_review(
    assignment: PeerReviewAssignment, *, error: ServiceError | None = None
) -> tuple[str, int]:
    """The review page; a refused review shows why, with what was entered."""
    stage = assignment.attempt.stage
    now = utcnow()
    review = assignment.review
    return render_template(
        "peer_review/review.html",
        assignment=assignment,
        attempt=assignment.attempt,
        stage=stage,
        labels=levels_of(stage),
        review=shown(review, names=False) if review else None,
        open=review is None and (assignment.by_teacher or assignment.due_at > now),
        error=error,
        entered=request.form if error else {},
        max_comment_length=MAX_PEER_COMMENT_LENGTH,
    ), (error.status_code if error else 200)
