"""Reading accounts and the classrooms they belong to."""

from __future__ import annotations

from sqlalchemy import select

from quest_platform.extensions import db
from quest_platform.models import Classroom, Enrollment, User, classroom_teacher


def classrooms_of(user: User) -> list[Classroom]:
    """Return the classrooms a user studies in or teaches, by term, period and name."""
    if user.is_staff:
        query = (
            select(Classroom)
            .join(classroom_teacher)
            .where(classroom_teacher.c.teacher_id == user.id)
        )
    else:
        query = select(Classroom).join(Enrollment).where(Enrollment.student_id == user.id)
    return list(
        db.session.scalars(query.order_by(Classroom.term, Classroom.period, Classroom.name))
    )
