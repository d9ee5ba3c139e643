"""Classrooms: creating them, their join codes, and enrolling students."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from flask_babel import gettext as _
from sqlalchemy import select

from quest_platform.extensions import db
from quest_platform.models import Classroom, Enrollment, User
from quest_platform.services.audit import record_change, snapshot
from quest_platform.services.errors import Conflict, NotAllowed, ServiceError

JOIN_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 8


def new_join_code() -> str:
    """Return an unused join code of unambiguous capital letters and digits."""
    while True:
        code = "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))
        if db.session.scalar(select(Classroom.id).where(Classroom.join_code == code)) is None:
            return code


def create_classroom(
    *, name: str, term: str, period: int, teachers: Sequence[User], by: User | None = None
) -> Classroom:
    """Create a classroom owned by ``teachers`` with a fresh join code."""
    name, term = name.strip(), term.strip()
    if not name or not term:
        raise ServiceError(_("A classroom needs a name and a term."), field="name")
    if not 0 <= period <= 12:
        raise ServiceError(_("The period must be between 0 and 12."), field="period")
    if not teachers or not all(teacher.is_staff for teacher in teachers):
        raise ServiceError(_("A classroom needs at least one teacher."), field="teachers")
    classroom = Classroom(
        name=name, term=term, period=period, join_code=new_join_code(), teachers=list(teachers)
    )
    db.session.add(classroom)
    record_change(actor=by, action="create", record=classroom)
    db.session.commit()
    return classroom


def enroll_student(*, student: User, classroom: Classroom, by: User | None = None) -> Enrollment:
    """Add a student to a classroom's roster."""
    if not student.is_student:
        raise ServiceError(_("Only students can be enrolled in a classroom."))
    if by is not None and not (by.is_admin or by in classroom.teachers):
        raise NotAllowed(_("You can only enroll students in your own classrooms."))
    already = db.session.scalar(
        select(Enrollment).where(
            Enrollment.classroom_id == classroom.id, Enrollment.student_id == student.id
        )
    )
    if already is not None:
        raise Conflict(_("That student is already in this classroom."))
    enrollment = Enrollment(classroom=classroom, student=student)
    db.session.add(enrollment)
    record_change(actor=by, action="create", record=enrollment)
    db.session.commit()
    return enrollment


def regenerate_join_code(*, classroom: Classroom, by: User) -> str:
    """Replace a classroom's join code, so the old one stops working."""
    if not (by.is_admin or by in classroom.teachers):
        raise NotAllowed(_("You can only change join codes of your own classrooms."))
    before = snapshot(classroom)
    classroom.join_code = new_join_code()
    record_change(actor=by, action="update", record=classroom, before=before)
    db.session.commit()
    return classroom.join_code
