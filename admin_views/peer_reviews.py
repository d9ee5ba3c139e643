"""Peer reviews in the admin: a classroom's figures per peer-reviewed stage, the submissions
that need a reviewer (which the teacher may review themself), a stage's reviews, and hiding,
showing and grading a review.

Everything is scoped to the teacher's classrooms (an administrator's: all). Changes go through
services/peer_review.py, which checks the teacher and writes the audit log; a review of
someone else's class is not found (404).
"""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext as _
from flask_security import current_user
from werkzeug.wrappers import Response

from admin_views.base import StaffOnlyMixin
from quest_platform.extensions import db
from quest_platform.models import Attempt, Classroom, PeerReview, Stage, utcnow
from quest_platform.models.peer_review import MAX_REVIEWER_GRADE
from quest_platform.queries.attempts import may_see_attempt
from quest_platform.queries.classrooms import classrooms_visible_to
from quest_platform.queries.peer_review import (
    classroom_figures,
    needing_a_reviewer,
    peer_reviewed_stages,
    review_in_reach,
    reviews_of_attempt,
    short_of,
)
from quest_platform.services import ServiceError
from quest_platform.services.classrooms import may_manage_classroom
from quest_platform.services.peer_review import (
    MAX_HIDE_REASON_LENGTH,
    assign_teacher_review,
    grade_reviewer,
    hide_peer_review,
    show_peer_review,
)
from quest_platform.urls import record_id, safe_next

Page = str | tuple[str, int]


class PeerReviewView(StaffOnlyMixin, BaseView):
    """The peer reviews of a teacher's classrooms."""

    @expose("/")
    def index(self) -> Page:
        """Each classroom's peer-reviewed stages with their figures, and the submissions that
        need a reviewer (``?classroom=<id>``: one classroom)."""
        now = utcnow()
        chosen = self.classroom_or_404(request.args.get("classroom"))
        classrooms = [chosen] if chosen else classrooms_visible_to(current_user)
        return self.render(
            "admin_views/peer_review/index.html",
            figures=[(room, classroom_figures(room, now=now)) for room in classrooms],
            queue=needing_a_reviewer(viewer=current_user, now=now, classroom=chosen),
            chosen=chosen,
            now=now,
        )

    @expose("/stage")
    def stage(self) -> Page:
        """Every submission of a stage in a classroom with its reviews (``?classroom=&stage=``)."""
        classroom = self.classroom_or_404(request.args.get("classroom")) or abort(404)
        key = record_id(request.args.get("stage"))
        stage = db.session.get(Stage, key) if key is not None else None
        if stage is None or stage not in peer_reviewed_stages(classroom):
            abort(404)
        now = utcnow()
        attempts, _short, _given = short_of(stage, classroom, now=now)
        return self.render(
            "admin_views/peer_review/stage.html",
            classroom=classroom,
            stage=stage,
            submissions=[(attempt, reviews_of_attempt(attempt, now=now)) for attempt in attempts],
            max_grade=MAX_REVIEWER_GRADE,
            max_reason=MAX_HIDE_REASON_LENGTH,
        )

    @expose("/take", methods=["POST"])
    def take(self) -> Response:
        """Review a submission in place of a peer: on to the review form."""
        key = record_id(request.form.get("attempt"))
        attempt = db.session.get(Attempt, key) if key is not None else None
        if attempt is None or not may_see_attempt(staff=current_user, attempt=attempt):
            abort(404)
        try:
            assignment = assign_teacher_review(attempt=attempt, teacher=current_user)
        except ServiceError as error:
            flash(error.message, "error")
            return redirect(url_for(".index"))
        return redirect(url_for("peer_review.review", peer_assignment_id=assignment.id))

    @expose("/<int:review_id>/hide", methods=["POST"])
    def hide(self, review_id: int) -> Response:
        """Hide a review from its authors, with the reason."""
        review = self.review_or_404(review_id)
        try:
            hide_peer_review(review=review, by=current_user, reason=request.form.get("reason", ""))
        except ServiceError as error:
            flash(error.message, "error")
        else:
            flash(_("The review is hidden from its author."), "success")
        return self.back_to(review)

    @expose("/<int:review_id>/show", methods=["POST"])
    def show(self, review_id: int) -> Response:
        """Show a hidden review to its authors again."""
        review = self.review_or_404(review_id)
        show_peer_review(review=review, by=current_user)
        flash(_("The review is shown to its author again."), "success")
        return self.back_to(review)

    @expose("/<int:review_id>/grade", methods=["POST"])
    def grade(self, review_id: int) -> Response:
        """Grade the reviewer on a review (0 to MAX_REVIEWER_GRADE)."""
        review = self.review_or_404(review_id)
        value = request.form.get("grade", "").strip()
        try:
            grade_reviewer(
                review=review, grade=int(value) if value.isdigit() else -1, by=current_user
            )
        except ServiceError as error:
            flash(error.message, "error")
        else:
            flash(_("The reviewer's grade is saved."), "success")
        return self.back_to(review)

    # Helpers

    def classroom_or_404(self, value: str | None) -> Classroom | None:
        """The classroom ``value`` names (None when none is named): 404 when there is no such
        classroom or it is not the user's."""
        if not value:
            return None
        key = record_id(value)
        classroom = db.session.get(Classroom, key) if key is not None else None
        if classroom is None or not may_manage_classroom(staff=current_user, classroom=classroom):
            abort(404)
        return classroom

    def review_or_404(self, review_id: int) -> PeerReview:
        """The review if its submission's student is the user's; 404 otherwise."""
        review = review_in_reach(staff=current_user, review_id=review_id)
        if review is None:
            abort(404)
        return review

    def back_to(self, review: PeerReview) -> Response:
        """Back to the page the form was on (the attempt's, by default), at the review."""
        target = request.form.get("next")
        path = safe_next(target)
        if not target or path == url_for("pages.home"):
            path = url_for("attempt.details_view", id=review.assignment.attempt_id)
        return redirect(f"{path}#peer-review-{review.id}")
