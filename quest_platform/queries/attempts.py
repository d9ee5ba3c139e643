"""Reading attempts: a student's own, and which of them a teacher may see."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, ScalarSelect, exists, func, or_, select
from sqlalchemy.orm import aliased, selectinload

from quest_platform.extensions import db
from quest_platform.models import (
    Attempt,
    EvidenceFile,
    PeerReviewAssignment,
    Review,
    Stage,
    User,
)
from quest_platform.queries.activity import awaiting_review
from quest_platform.queries.classrooms import work_taught_by


@dataclass(frozen=True)
class CurrentResult:
    """One attempt's result as it counts now: its latest review's, else the attempt's own."""

    attempt_id: int
    stage_id: int
    score: float | None
    max_score: float
    outcome: str


def latest_review_id() -> ScalarSelect[int]:
    """SQL: the id of an attempt's latest review (NULL when none), correlated to ``Attempt``."""
    later = aliased(Review)
    return (
        select(func.max(later.id))
        .where(later.attempt_id == Attempt.id)
        .correlate(Attempt)
        .scalar_subquery()
    )


def current_results(*, student_id: int, stage_ids: Sequence[int]) -> list[CurrentResult]:
    """The student's attempts at ``stage_ids`` with their results as they count now, oldest
    first, in one query."""
    query = (
        select(
            Attempt.id,
            Attempt.stage_id,
            func.coalesce(Review.score, Attempt.score),
            Attempt.max_score,
            func.coalesce(Review.outcome, Attempt.outcome),
        )
        .outerjoin(Review, Review.id == latest_review_id())
        .where(Attempt.student_id == student_id, Attempt.stage_id.in_(stage_ids))
        .order_by(Attempt.id)
    )
    return [CurrentResult(*row) for row in db.session.execute(query)]


def taught_by(teacher_id: int) -> ColumnElement[bool]:
    """Attempts a teacher may see: by a student of one of their classrooms, on a quest it was given.

    A student in two teachers' classes shows each teacher only the quests that teacher assigned.
    """
    return work_taught_by(teacher_id, student_id=Attempt.student_id, quest_id=Attempt.quest_id)


def may_see_attempt(*, staff: User, attempt: Attempt) -> bool:
    """Whether ``staff`` administers the platform or teaches the attempt's student that quest."""
    if staff.is_admin:
        return True
    if not staff.is_staff:
        return False
    query = db.select(Attempt.id).where(Attempt.id == attempt.id, taught_by(staff.id))
    return db.session.scalar(query) is not None


def attempts_at(*, student: User, stage: Stage) -> list[Attempt]:
    """``student``'s attempts at ``stage``, newest first, with their reviews and screenshots."""
    query = (
        select(Attempt)
        .where(Attempt.student_id == student.id, Attempt.stage_id == stage.id)
        .options(selectinload(Attempt.reviews), selectinload(Attempt.screenshot))
        .order_by(Attempt.id.desc())
    )
    return list(db.session.scalars(query))


def evidence_for(*, viewer: User, evidence_id: int) -> EvidenceFile | None:
    """The screenshot ``evidence_id`` if ``viewer`` may see it: its student, their teachers, admins.

    A teacher sees the screenshots of attempts they may see (see :func:`taught_by`); a team
    hand-in's screenshot (on the attempt of the member who handed in) is seen by every member it
    credited, and a submission's by the classmates given it to review; nobody else learns
    whether the file exists.
    """
    query = select(EvidenceFile).join(Attempt, Attempt.id == EvidenceFile.attempt_id)
    query = query.where(EvidenceFile.id == evidence_id)
    if viewer.is_admin:
        return db.session.scalar(query)
    if viewer.is_staff:
        return db.session.scalar(query.where(taught_by(viewer.id)))
    credited = select(Attempt.team_hand_in_id).where(
        Attempt.student_id == viewer.id, Attempt.team_hand_in_id.is_not(None)
    )
    reviewing = exists().where(
        PeerReviewAssignment.attempt_id == Attempt.id, PeerReviewAssignment.reviewer_id == viewer.id
    )
    return db.session.scalar(
        query.where(
            or_(
                EvidenceFile.student_id == viewer.id,
                Attempt.team_hand_in_id.in_(credited),
                reviewing,
            )
        )
    )


def next_awaiting_review(*, staff: User) -> Attempt | None:
    """The oldest attempt waiting for ``staff``'s review (any teacher's, for an administrator).

    Teachers work through the waiting checkpoints in the order they were handed in, so that the
    student who waited longest hears first.
    """
    query = select(Attempt).where(awaiting_review())
    if not staff.is_admin:
        query = query.where(taught_by(staff.id))
    return db.session.scalars(query.order_by(Attempt.submitted_at, Attempt.id).limit(1)).first()
