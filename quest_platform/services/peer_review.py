"""Peer review: giving students each other's checkpoint submissions to review, writing a review
on the stage's rubric, a teacher standing in when too few peers can, hiding an unkind review,
and grading reviewers on their reviews.

Who may review what is read from ``queries.peer_review``; the assignments of a classroom are
made one hand-in at a time (under the classroom's lock), so that no submission is given more
reviewers than its stage wants and no reviewer more submissions.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from flask_babel import format_number, ngettext
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from quest_platform.content import render_markdown
from quest_platform.extensions import db
from quest_platform.models import (
    Attempt,
    Classroom,
    PeerReview,
    PeerReviewAssignment,
    User,
    utcnow,
)
from quest_platform.models.peer_review import MAX_PEER_COMMENT_LENGTH, MAX_REVIEWER_GRADE
from quest_platform.queries.attempts import may_see_attempt
from quest_platform.queries.feedback import kept_text
from quest_platform.queries.peer_review import (
    levels_of,
    review_classroom_ids,
    review_pool,
    submission_of,
)
from quest_platform.services.audit import record_change
from quest_platform.services.errors import Conflict, NotAllowed, ServiceError, undone_on_error
from quest_platform.services.teams import lock_teams_of
from quest_platform.time_zones import format_moment

MAX_HIDE_REASON_LENGTH = 500


def lock_classrooms(classroom_ids: Sequence[int]) -> None:
    """Hold the classrooms (in id order, so two hand-ins never wait on each other in a circle)
    until the transaction ends: their assignments are then made one hand-in at a time."""
    for classroom_id in sorted(classroom_ids):
        classroom = db.session.get(Classroom, classroom_id)
        if classroom is not None:
            lock_teams_of(classroom)


@undone_on_error
def assign_peer_reviews(
    *, attempt: Attempt, now: datetime | None = None
) -> list[PeerReviewAssignment]:
    """Give reviews for ``attempt``, a checkpoint just handed in (and committed); commit.

    When its stage wants N peer reviews: its student is given up to N of the latest
    submissions of classmates at the stage that still want reviewers (those with the fewest
    first, then the oldest), never their own nor (unless the stage allows it) their own
    team's; and the new submission is given reviewers among the students who handed in before
    and have fewer than N to do (the fewest first, then who handed in first). Students of
    every classroom of the student that was given the quest take part.

    For a team hand-in, the lead attempt (the one that holds the work) gets its reviewers, and
    every member credited with it is given reviews to do; called for a member's own attempt,
    only that member is.
    """
    stage = attempt.stage
    wanted = stage.peer_reviews_wanted
    classroom_ids = review_classroom_ids(attempt) if wanted else []
    if not classroom_ids:
        return []
    now = now or utcnow()
    lock_classrooms(classroom_ids)
    pool = review_pool(stage=stage, classroom_ids=classroom_ids, now=now)
    own_team = stage.peer_review_own_team
    pairs: list[tuple[int, int]] = []

    def give(submission_id: int, reviewer_id: int) -> None:
        pairs.append((submission_id, reviewer_id))
        pool.reviewers.setdefault(submission_id, set()).add(reviewer_id)
        pool.load[reviewer_id] = pool.load.get(reviewer_id, 0) + 1

    new = next((s for s in pool.submissions if s.attempt_id == attempt.id), None)
    for student_id in sorted(new.authors) if new is not None else [attempt.student_id]:
        # The submissions that want reviewers most, read afresh for each author.
        wanting = sorted(
            (s for s in pool.submissions if len(pool.reviewers.get(s.attempt_id, ())) < wanted),
            key=lambda s: (len(pool.reviewers.get(s.attempt_id, ())), s.submitted_at, s.attempt_id),
        )
        for submission in wanting:
            if pool.load.get(student_id, 0) >= wanted:
                break
            if pool.may_review(student_id, submission, own_team=own_team):
                give(submission.attempt_id, student_id)
    if new is not None:
        candidates = sorted(
            (
                reviewer_id
                for reviewer_id in pool.handed_in
                if pool.load.get(reviewer_id, 0) < wanted
                and pool.may_review(reviewer_id, new, own_team=own_team)
            ),
            key=lambda r: (pool.load.get(r, 0), pool.handed_in[r], r),
        )
        for reviewer_id in candidates:
            if len(pool.reviewers.get(new.attempt_id, ())) >= wanted:
                break
            give(new.attempt_id, reviewer_id)
    due = now + timedelta(days=stage.peer_review_days)
    made = [
        PeerReviewAssignment(
            attempt_id=submission_id, reviewer_id=reviewer_id, assigned_at=now, due_at=due
        )
        for submission_id, reviewer_id in pairs
    ]
    db.session.add_all(made)
    db.session.commit()
    return made


def checked_levels(assignment: PeerReviewAssignment, levels: Sequence[object]) -> list[int]:
    """One level per criterion of the stage's rubric, each one of its levels; else refused
    with the criterion's field (``criterion-<n>``, from 0)."""
    stage = assignment.attempt.stage
    rubric, labels = stage.rubric, levels_of(stage)
    if len(levels) != len(rubric):
        raise ServiceError(
            ngettext(
                "Give a level for the rubric's %(num)d criterion.",
                "Give a level for each of the rubric's %(num)d criteria.",
                len(rubric),
            ),
            field="levels",
        )
    checked = []
    for index, (criterion, level) in enumerate(zip(rubric, levels, strict=True)):
        field = f"criterion-{index}"
        if level is None or level == "":
            raise ServiceError(
                _("Choose a level for “%(criterion)s”.", criterion=criterion), field=field
            )
        if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level < len(labels):
            raise ServiceError(
                _(
                    "The level for “%(criterion)s” is not one of the rubric's levels.",
                    criterion=criterion,
                ),
                field=field,
            )
        checked.append(level)
    return checked


def checked_comment(comment: str) -> str:
    """The comment as kept; refused when empty or longer than MAX_PEER_COMMENT_LENGTH."""
    text = kept_text(comment)
    if not text:
        raise ServiceError(_("Write a comment for the author."), field="comment")
    if len(text) > MAX_PEER_COMMENT_LENGTH:
        raise ServiceError(
            ngettext(
                "Keep the comment to %(limit)s character: it has %(length)s.",
                "Keep the comment to %(limit)s characters: it has %(length)s.",
                MAX_PEER_COMMENT_LENGTH,
                limit=format_number(MAX_PEER_COMMENT_LENGTH),
                length=format_number(len(text)),
            ),
            field="comment",
        )
    return text


def already_reviewed() -> Conflict:
    """The refusal of a second review of the same assignment."""
    return Conflict(_("You already reviewed this submission: a review is written once."))


@undone_on_error
def submit_peer_review(
    *,
    assignment: PeerReviewAssignment,
    reviewer: User,
    levels: Sequence[object],
    comment: str,
    now: datetime | None = None,
) -> PeerReview:
    """Write ``reviewer``'s review of the submission they were given; commit.

    Refused with nothing written: anyone but the assigned reviewer (NotAllowed); a second
    review (Conflict, also when two arrive at once: the database keeps one per assignment);
    a student's review after its deadline; levels that are not one per criterion, each one of
    the stage's levels; an empty comment, or one longer than MAX_PEER_COMMENT_LENGTH. The
    comment is Markdown, rendered and sanitized as feedback messages are.
    """
    now = now or utcnow()
    if assignment.reviewer_id != reviewer.id:
        raise NotAllowed(_("This submission was not given to you to review."))
    if db.session.scalar(select(PeerReview.id).where(PeerReview.assignment_id == assignment.id)):
        raise already_reviewed()
    if not assignment.by_teacher and now >= assignment.due_at:
        raise ServiceError(
            _(
                "The deadline for this review passed on %(moment)s: it can no longer be written.",
                moment=format_moment(assignment.due_at),
            )
        )
    checked = checked_levels(assignment, levels)
    text = checked_comment(comment)
    review = PeerReview(
        assignment_id=assignment.id,
        levels=checked,
        comment=text,
        comment_html=str(render_markdown(text)),
        submitted_at=now,
    )
    db.session.add(review)
    try:
        db.session.flush()
    except IntegrityError as error:
        db.session.rollback()
        raise already_reviewed() from error
    db.session.commit()
    return review


def check_teacher(*, attempt: Attempt, by: User) -> None:
    """Let only a teacher of the attempt's student (or an administrator) act on its reviews."""
    if not by.is_staff or not may_see_attempt(staff=by, attempt=attempt):
        raise NotAllowed(_("Only a teacher of the student's class can do this."))


@undone_on_error
def assign_teacher_review(
    *, attempt: Attempt, teacher: User, now: datetime | None = None
) -> PeerReviewAssignment:
    """Give the submission of ``attempt`` to ``teacher`` to review in place of a peer; commit.
    A teacher who has it already gets the same assignment back."""
    submission = submission_of(attempt)
    check_teacher(attempt=submission, by=teacher)
    stage = submission.stage
    if not stage.peer_reviews_wanted:
        raise ServiceError(_("This stage does not ask for peer reviews."))
    query = select(PeerReviewAssignment).where(
        PeerReviewAssignment.attempt_id == submission.id,
        PeerReviewAssignment.reviewer_id == teacher.id,
    )
    existing = db.session.scalar(query)
    if existing is not None:
        return existing
    now = now or utcnow()
    assignment = PeerReviewAssignment(
        attempt_id=submission.id,
        reviewer_id=teacher.id,
        assigned_at=now,
        due_at=now + timedelta(days=stage.peer_review_days),
        by_teacher=True,
    )
    db.session.add(assignment)
    try:
        db.session.commit()
    except IntegrityError:
        # Taken a moment ago in another tab: that one is the teacher's.
        db.session.rollback()
        taken = db.session.scalar(query)
        if taken is None:
            raise
        return taken
    return assignment


def moderation_of(review: PeerReview) -> dict[str, Any]:
    """What the audit log keeps of a hidden or shown review: never its comment."""
    return {
        "assignment_id": review.assignment_id,
        "hidden_at": review.hidden_at.isoformat() if review.hidden_at else None,
        "hidden_by_id": review.hidden_by_id,
        "hidden_reason": review.hidden_reason,
    }


@undone_on_error
def hide_peer_review(*, review: PeerReview, by: User, reason: str) -> PeerReview:
    """Hide ``review`` from its authors, with the reason (for the teachers); commit, audited
    without the comment. Hiding a hidden review changes nothing."""
    check_teacher(attempt=review.assignment.attempt, by=by)
    reason = " ".join(reason.split())
    if not reason:
        raise ServiceError(_("Say why the review is hidden."), field="reason")
    if len(reason) > MAX_HIDE_REASON_LENGTH:
        raise ServiceError(
            ngettext(
                "Keep the reason to %(num)d character.",
                "Keep the reason to %(num)d characters.",
                MAX_HIDE_REASON_LENGTH,
            ),
            field="reason",
        )
    if review.hidden:
        return review
    before = moderation_of(review)
    review.hidden_at = utcnow()
    review.hidden_by_id = by.id
    review.hidden_reason = reason
    record_change(
        actor=by, action="hide", record=review, before=before, after=moderation_of(review)
    )
    db.session.commit()
    return review


@undone_on_error
def show_peer_review(*, review: PeerReview, by: User) -> PeerReview:
    """Show a hidden ``review`` to its authors again; commit, audited. Showing a review that
    is not hidden changes nothing."""
    check_teacher(attempt=review.assignment.attempt, by=by)
    if not review.hidden:
        return review
    before = moderation_of(review)
    review.hidden_at = None
    review.hidden_by_id = None
    review.hidden_reason = ""
    record_change(
        actor=by, action="show", record=review, before=before, after=moderation_of(review)
    )
    db.session.commit()
    return review


@undone_on_error
def grade_reviewer(*, review: PeerReview, grade: int, by: User) -> PeerReview:
    """Grade the reviewer on ``review``, from 0 (not helpful) to MAX_REVIEWER_GRADE (very
    helpful); commit, audited. A grade given again replaces the earlier one."""
    check_teacher(attempt=review.assignment.attempt, by=by)
    if review.assignment.by_teacher:
        raise ServiceError(_("Only a student's review is graded."), field="grade")
    if (
        isinstance(grade, bool)
        or not isinstance(grade, int)
        or not 0 <= grade <= MAX_REVIEWER_GRADE
    ):
        raise ServiceError(
            _("A reviewer's grade is a whole number from 0 to %(max)d.", max=MAX_REVIEWER_GRADE),
            field="grade",
        )
    before = {"reviewer_grade": review.reviewer_grade, "graded_by_id": review.graded_by_id}
    review.reviewer_grade = grade
    review.graded_by_id = by.id
    review.graded_at = utcnow()
    after = {"reviewer_grade": grade, "graded_by_id": by.id}
    record_change(actor=by, action="grade", record=review, before=before, after=after)
    db.session.commit()
    return review
