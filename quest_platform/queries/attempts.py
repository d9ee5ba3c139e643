"""Reading attempts: which of them a teacher may see."""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists

from quest_platform.extensions import db
from quest_platform.models import Attempt, Enrollment, QuestAssignment, User, classroom_teacher


def taught_by(teacher_id: int) -> ColumnElement[bool]:
    """Attempts a teacher may see: by a student of one of their classrooms, on a quest it was given.

    A student in two teachers' classes shows each teacher only the quests that teacher assigned.
    """
    return exists().where(
        Enrollment.student_id == Attempt.student_id,
        classroom_teacher.c.classroom_id == Enrollment.classroom_id,
        classroom_teacher.c.teacher_id == teacher_id,
        QuestAssignment.classroom_id == Enrollment.classroom_id,
        QuestAssignment.quest_id == Attempt.quest_id,
    )


def may_see_attempt(*, staff: User, attempt: Attempt) -> bool:
    """Whether ``staff`` administers the platform or teaches the attempt's student that quest."""
    if staff.is_admin:
        return True
    if not staff.is_staff:
        return False
    query = db.select(Attempt.id).where(Attempt.id == attempt.id, taught_by(staff.id))
    return db.session.scalar(query) is not None
