"""Office hours, read: the slots a student may book and their own check-ins, and a teacher's
slots with who booked them.

A student sees who comes to their own check-ins only: another booking is just "booked".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from quest_platform.extensions import db
from quest_platform.models import (
    Classroom,
    Enrollment,
    OfficeHourAttendee,
    OfficeHourBooking,
    OfficeHourSlot,
    Team,
    User,
    utcnow,
)
from quest_platform.queries.classrooms import classrooms_taught_by
from quest_platform.queries.teams import current_membership

# The past slots a teacher's page lists, newest first.
PAST_SLOTS_SHOWN = 100


class SlotState(StrEnum):
    """A slot as a student sees it."""

    FREE = "free"
    BOOKED = "booked"
    YOURS = "yours"


@dataclass(frozen=True)
class StudentSlot:
    """An upcoming slot of a student's classroom, and whether it is free, theirs or taken."""

    slot: OfficeHourSlot
    state: SlotState


@dataclass(frozen=True)
class ClassroomOfficeHours:
    """What the office-hours page shows of one of a student's classrooms."""

    classroom: Classroom
    # The student's team in the classroom, if they are in one.
    team: Team | None
    # The classroom's other active students, by name: whom a group may bring.
    classmates: tuple[User, ...]
    slots: tuple[StudentSlot, ...]
    # The student's check-in in the classroom that is not over yet, if any.
    booking: OfficeHourBooking | None

    @property
    def free_slots(self) -> tuple[StudentSlot, ...]:
        """The slots still free."""
        return tuple(entry for entry in self.slots if entry.state == SlotState.FREE)


@dataclass(frozen=True)
class CheckIns:
    """A student's check-ins: those to come (and under way), soonest first; those over, newest
    first."""

    upcoming: tuple[OfficeHourBooking, ...]
    past: tuple[OfficeHourBooking, ...]


def with_booking_details(
    query: Select[OfficeHourBooking],
) -> Select[OfficeHourBooking]:
    """Load what a check-in shows with it: the slot, its classroom and teacher, the team and the
    attendees."""
    return query.options(
        selectinload(OfficeHourBooking.slot).selectinload(OfficeHourSlot.classroom),
        selectinload(OfficeHourBooking.slot).selectinload(OfficeHourSlot.teacher),
        selectinload(OfficeHourBooking.team),
        selectinload(OfficeHourBooking.attendees).selectinload(OfficeHourAttendee.student),
    )


def attended_by(student_id: int) -> Select[int]:
    """The ids of the bookings ``student_id`` comes to, as a subquery."""
    return select(OfficeHourAttendee.booking_id).where(OfficeHourAttendee.student_id == student_id)


def check_ins_of(student: User, *, now: datetime | None = None) -> CheckIns:
    """The check-ins ``student`` comes to, in every classroom."""
    now = now or utcnow()
    bookings = list(
        db.session.scalars(
            with_booking_details(
                select(OfficeHourBooking)
                .join(OfficeHourSlot, OfficeHourSlot.id == OfficeHourBooking.slot_id)
                .where(OfficeHourBooking.id.in_(attended_by(student.id)))
                .order_by(OfficeHourSlot.starts_at, OfficeHourBooking.id)
            )
        )
    )
    upcoming = tuple(booking for booking in bookings if booking.slot.ends_at > now)
    past = tuple(reversed([booking for booking in bookings if booking.slot.ends_at <= now]))
    return CheckIns(upcoming=upcoming, past=past)


def office_hours_for(student: User, *, now: datetime | None = None) -> list[ClassroomOfficeHours]:
    """Each classroom of ``student``, by name, with its slots to come and the student's own
    check-in there."""
    now = now or utcnow()
    classrooms = list(
        db.session.scalars(
            select(Classroom)
            .join(Enrollment, Enrollment.classroom_id == Classroom.id)
            .where(Enrollment.student_id == student.id)
            .order_by(Classroom.name, Classroom.id)
        )
    )
    if not classrooms:
        return []
    slots = list(
        db.session.scalars(
            select(OfficeHourSlot)
            .where(
                OfficeHourSlot.classroom_id.in_([classroom.id for classroom in classrooms]),
                OfficeHourSlot.starts_at > now,
            )
            .options(selectinload(OfficeHourSlot.teacher))
            .order_by(OfficeHourSlot.starts_at, OfficeHourSlot.id)
        )
    )
    # Which slots are booked, and which of them by the student: ids only, never who booked.
    booked = set(
        db.session.scalars(
            select(OfficeHourBooking.slot_id).where(
                OfficeHourBooking.slot_id.in_([slot.id for slot in slots])
            )
        )
    )
    mine = {
        booking.slot.classroom_id: booking for booking in check_ins_of(student, now=now).upcoming
    }
    own_slots = {booking.slot_id for booking in mine.values()}
    pages = []
    for classroom in classrooms:
        membership = current_membership(student_id=student.id, classroom_id=classroom.id)
        entries = tuple(
            StudentSlot(
                slot=slot,
                state=SlotState.YOURS
                if slot.id in own_slots
                else SlotState.BOOKED
                if slot.id in booked
                else SlotState.FREE,
            )
            for slot in slots
            if slot.classroom_id == classroom.id
        )
        pages.append(
            ClassroomOfficeHours(
                classroom=classroom,
                team=membership.team if membership is not None else None,
                classmates=tuple(classmates_of(student, classroom_id=classroom.id)),
                slots=entries,
                booking=mine.get(classroom.id),
            )
        )
    return pages


def classmates_of(student: User, *, classroom_id: int) -> list[User]:
    """The other active students of ``classroom_id``, by name."""
    return list(
        db.session.scalars(
            select(User)
            .join(Enrollment, Enrollment.student_id == User.id)
            .where(
                Enrollment.classroom_id == classroom_id,
                User.id != student.id,
                User.active.is_(True),
            )
            .order_by(func.lower(User.display_name), User.id)
        )
    )


def slot_for_student(*, student: User, slot_id: int) -> OfficeHourSlot | None:
    """The slot ``slot_id`` if it is in a classroom ``student`` is enrolled in."""
    return db.session.scalar(
        select(OfficeHourSlot)
        .join(Enrollment, Enrollment.classroom_id == OfficeHourSlot.classroom_id)
        .where(OfficeHourSlot.id == slot_id, Enrollment.student_id == student.id)
    )


def booking_for_attendee(*, student: User, booking_id: int) -> OfficeHourBooking | None:
    """The booking ``booking_id`` if ``student`` comes to it."""
    return db.session.scalar(
        with_booking_details(
            select(OfficeHourBooking).where(
                OfficeHourBooking.id == booking_id,
                OfficeHourBooking.id.in_(attended_by(student.id)),
            )
        )
    )


# Teachers


def managed_slots(viewer: User) -> Select[OfficeHourSlot]:
    """The slots of the classrooms ``viewer`` teaches (an administrator: all), with their
    bookings and attendees."""
    query = select(OfficeHourSlot).options(
        selectinload(OfficeHourSlot.classroom),
        selectinload(OfficeHourSlot.teacher),
        selectinload(OfficeHourSlot.booking).selectinload(OfficeHourBooking.team),
        selectinload(OfficeHourSlot.booking).selectinload(OfficeHourBooking.booked_by),
        selectinload(OfficeHourSlot.booking)
        .selectinload(OfficeHourBooking.attendees)
        .selectinload(OfficeHourAttendee.student),
    )
    if not viewer.is_admin:
        query = query.where(OfficeHourSlot.classroom_id.in_(classrooms_taught_by(viewer.id)))
    return query


def slots_of_teacher(
    viewer: User, *, classroom_id: int | None = None, now: datetime | None = None
) -> tuple[list[OfficeHourSlot], list[OfficeHourSlot]]:
    """The slots ``viewer`` manages (of one classroom, if given): those to come, soonest first,
    and the latest past ones (PAST_SLOTS_SHOWN at most), newest first."""
    now = now or utcnow()
    query = managed_slots(viewer)
    if classroom_id is not None:
        query = query.where(OfficeHourSlot.classroom_id == classroom_id)
    upcoming = list(
        db.session.scalars(
            query.where(OfficeHourSlot.starts_at > now).order_by(
                OfficeHourSlot.starts_at, OfficeHourSlot.id
            )
        )
    )
    past = list(
        db.session.scalars(
            query.where(OfficeHourSlot.starts_at <= now)
            .order_by(OfficeHourSlot.starts_at.desc(), OfficeHourSlot.id.desc())
            .limit(PAST_SLOTS_SHOWN)
        )
    )
    return upcoming, past


def slot_managed_by(viewer: User, slot_id: int) -> OfficeHourSlot | None:
    """The slot ``slot_id`` if it is in a classroom ``viewer`` teaches (an administrator: any)."""
    return db.session.scalar(managed_slots(viewer).where(OfficeHourSlot.id == slot_id))
