"""Reading what needs a teacher's attention in each classroom: reviews to do, quiet students."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, func, select

from quest_platform.extensions import db
from quest_platform.models import Attempt, Enrollment, Outcome, QuestAssignment, Review


def awaiting_review() -> ColumnElement[bool]:
    """Attempts that wait for a teacher: submitted for review and not reviewed yet."""
    return and_(
        Attempt.outcome == Outcome.PENDING_REVIEW.value,
        ~exists().where(Review.attempt_id == Attempt.id),
    )


def awaiting_review_counts(classroom_ids: Sequence[int]) -> dict[int, int]:
    """How many attempts wait for review in each classroom, by classroom id (one query)."""
    if not classroom_ids:
        return {}
    rows = db.session.execute(
        select(Enrollment.classroom_id, func.count(Attempt.id))
        .join(Attempt, Attempt.student_id == Enrollment.student_id)
        .join(
            QuestAssignment,
            and_(
                QuestAssignment.classroom_id == Enrollment.classroom_id,
                QuestAssignment.quest_id == Attempt.quest_id,
            ),
        )
        .where(Enrollment.classroom_id.in_(classroom_ids), awaiting_review())
        .group_by(Enrollment.classroom_id)
    )
    counts: dict[int, int] = dict(rows.all())
    return {classroom_id: counts.get(classroom_id, 0) for classroom_id in classroom_ids}


def inactive_student_counts(classroom_ids: Sequence[int], *, since: datetime) -> dict[int, int]:
    """How many students of each classroom submitted no attempt since ``since`` (one query)."""
    if not classroom_ids:
        return {}
    active = exists().where(
        Attempt.student_id == Enrollment.student_id, Attempt.submitted_at >= since
    )
    rows = db.session.execute(
        select(Enrollment.classroom_id, func.count(Enrollment.id))
        .where(Enrollment.classroom_id.in_(classroom_ids), ~active)
        .group_by(Enrollment.classroom_id)
    )
    counts: dict[int, int] = dict(rows.all())
    return {classroom_id: counts.get(classroom_id, 0) for classroom_id in classroom_ids}
