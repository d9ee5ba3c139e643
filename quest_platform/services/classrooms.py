"""Classrooms: creating them, their join codes, and enrolling and moving students."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from flask_babel import gettext as _
from sqlalchemy import select

from quest_platform.extensions import db
from quest_platform.models import Classroom, Enrollment, User
from quest_platform.services.accounts import may_manage_student
from quest_platform.services.audit import record_change, snapshot
from quest_platform.services.errors import Conflict, NotAllowed, ServiceError, undone_on_error

JOIN_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 8


def new_join_code() -> str:
    """Return an unused join code of unambiguous capital letters and digits."""
    while True:
        code = "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))
        if db.session.scalar(select(Classroom.id).where(Classroom.join_code == code)) is None:
            return code


def check_classroom_details(*, name: str, term: str, period: int) -> tuple[str, str]:
    """Return the trimmed name and term, or raise with the first rule they break."""
    name, term = name.strip(), term.strip()
    if not name or not term:
        raise ServiceError(_("A classroom needs a name and a term."), field="name")
    if not 0 <= period <= 12:
        raise ServiceError(_("The period must be between 0 and 12."), field="period")
    return name, term


def may_manage_classroom(*, staff: User, classroom: Classroom) -> bool:
    """Whether ``staff`` administers the platform or teaches ``classroom``."""
    return staff.is_admin or staff in classroom.teachers


@undone_on_error
def create_classroom(
    *,
    name: str,
    term: str,
    period: int,
    teachers: Sequence[User],
    leaderboard_enabled: bool = True,
    by: User | None = None,
) -> Classroom:
    """Create a classroom owned by ``teachers`` with a fresh join code."""
    name, term = check_classroom_details(name=name, term=term, period=period)
    if not teachers or not all(teacher.is_staff for teacher in teachers):
        raise ServiceError(_("A classroom needs at least one teacher."), field="teachers")
    classroom = Classroom(
        name=name,
        term=term,
        period=period,
        join_code=new_join_code(),
        leaderboard_enabled=leaderboard_enabled,
        teachers=list(teachers),
    )
    db.session.add(classroom)
    record_change(actor=by, action="create", record=classroom)
    db.session.commit()
    return classroom


@undone_on_error
def enroll_student(
    *, student: User, classroom: Classroom, by: User | None = None, commit: bool = True
) -> Enrollment:
    """Add a student to a classroom's roster (``commit=False``: as part of a larger change)."""
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
    if commit:
        db.session.commit()
    return enrollment


@undone_on_error
def move_student(*, student: User, classroom: Classroom, by: User) -> list[Classroom]:
    """Enroll a student in ``classroom`` and take them off the other rosters ``by`` manages.

    Returns the classrooms the student left. Classrooms that ``by`` does not manage (another
    teacher's) keep the student; for an administrator that leaves only ``classroom``.
    """
    if not may_manage_classroom(staff=by, classroom=classroom):
        raise NotAllowed(_("You can only move students into your own classrooms."))
    if not may_manage_student(staff=by, student=student):
        raise NotAllowed(_("You can only move students of your own classrooms."))
    try:
        if all(enrollment.classroom_id != classroom.id for enrollment in student.enrollments):
            enroll_student(student=student, classroom=classroom, by=by, commit=False)
        left = []
        for enrollment in list(student.enrollments):
            other = enrollment.classroom
            if other.id == classroom.id or not may_manage_classroom(staff=by, classroom=other):
                continue
            record_change(
                actor=by, action="delete", record=enrollment, before=snapshot(enrollment), after={}
            )
            student.enrollments.remove(enrollment)
            left.append(other)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return left


@undone_on_error
def regenerate_join_code(*, classroom: Classroom, by: User) -> str:
    """Replace a classroom's join code, so the old one stops working."""
    if not may_manage_classroom(staff=by, classroom=classroom):
        raise NotAllowed(_("You can only change join codes of your own classrooms."))
    before = snapshot(classroom)
    classroom.join_code = new_join_code()
    record_change(actor=by, action="update", record=classroom, before=before)
    db.session.commit()
    return classroom.join_code


@undone_on_error
def update_classroom(
    *,
    classroom: Classroom,
    name: str,
    term: str,
    period: int,
    leaderboard_enabled: bool,
    by: User,
) -> Classroom:
    """Change a classroom's name, term, period and leaderboard setting."""
    if not may_manage_classroom(staff=by, classroom=classroom):
        raise NotAllowed(_("You can only change your own classrooms."))
    name, term = check_classroom_details(name=name, term=term, period=period)
    before = snapshot(classroom)
    classroom.name, classroom.term, classroom.period = name, term, period
    classroom.leaderboard_enabled = leaderboard_enabled
    record_change(actor=by, action="update", record=classroom, before=before)
    db.session.commit()
    return classroom


@undone_on_error
def delete_classroom(*, classroom: Classroom, by: User) -> None:
    """Delete a classroom that has no students (its roster would be lost otherwise)."""
    if not may_manage_classroom(staff=by, classroom=classroom):
        raise NotAllowed(_("You can only delete your own classrooms."))
    enrolled = db.session.scalar(
        select(Enrollment.id).where(Enrollment.classroom_id == classroom.id).limit(1)
    )
    if enrolled is not None:
        raise Conflict(_("Only a classroom without students can be deleted."))
    record_change(actor=by, action="delete", record=classroom, before=snapshot(classroom), after={})
    db.session.delete(classroom)
    db.session.commit()
