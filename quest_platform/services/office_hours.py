"""Office hours: a teacher offers check-in slots to a classroom; a team, or a student with one or
two classmates, books one; the teacher cancels a slot, an attendee a booking.

Bookings and cancellations in one classroom happen one after another (each takes the
classroom's row lock first), so the rules that span rows hold under load: one booking per slot
(also a unique key in the database) and one check-in to come per student and classroom.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from quest_platform.extensions import db
from quest_platform.models import (
    MAX_GROUP_SIZE,
    Classroom,
    Enrollment,
    OfficeHourAttendee,
    OfficeHourBooking,
    OfficeHourSlot,
    Team,
    User,
    utcnow,
)
from quest_platform.models.office_hours import (
    MAX_LOCATION_LENGTH,
    MAX_SLOT_MINUTES,
    MAX_TOPIC_LENGTH,
)
from quest_platform.queries.teams import current_members
from quest_platform.services.audit import record_change, snapshot
from quest_platform.services.classrooms import may_manage_classroom
from quest_platform.services.errors import Conflict, NotAllowed, ServiceError, undone_on_error
from quest_platform.time_zones import SkippedLocalTime, format_moment, local_to_utc, person_zone

MIN_SLOT_MINUTES = 5
# The most slots offered in one go (an afternoon of 15-minute check-ins is 12).
MAX_SLOTS_AT_ONCE = 12


# Offering and cancelling slots (teachers)


def check_may_manage(*, by: User, classroom: Classroom) -> None:
    """Refuse anyone but the classroom's teachers and administrators."""
    if not may_manage_classroom(staff=by, classroom=classroom):
        raise NotAllowed(_("You can only manage the office hours of your own classrooms."))


def check_location(location: str) -> str:
    """Return the trimmed place (a room or a call link), or raise when it is too long."""
    location = " ".join(location.split())
    if len(location) > MAX_LOCATION_LENGTH:
        raise ServiceError(
            ngettext(
                "A place has at most %(num)d character.",
                "A place has at most %(num)d characters.",
                MAX_LOCATION_LENGTH,
            ),
            field="location",
        )
    return location


def as_utc(starts_at: datetime, zone: ZoneInfo) -> datetime:
    """``starts_at`` in UTC: a naive value is a wall time on the clocks of ``zone``."""
    if starts_at.tzinfo is not None:
        return starts_at.astimezone(UTC)
    try:
        return local_to_utc(starts_at, zone)
    except SkippedLocalTime:
        raise ServiceError(
            _(
                "That time does not exist in %(zone)s: the clocks move forward that night. "
                "Choose a time after the change.",
                zone=str(zone),
            ),
            field="start",
        ) from None


def lock_person(person: User) -> None:
    """Hold ``person``'s row until the transaction ends: the slots one teacher offers are
    checked for overlaps one offer after another. The first write of the transaction (a change
    of nothing), so SQLite takes its write lock and PostgreSQL the row's lock."""
    db.session.execute(
        update(User)
        .where(User.id == person.id)
        .values(id=User.id)
        .execution_options(synchronize_session=False)
    )


def lock_office_hours_of(classroom_id: int) -> None:
    """Hold the classroom's row until the transaction ends: bookings and cancellations in one
    classroom then happen one after another, each reading what the one before wrote."""
    db.session.execute(
        update(Classroom)
        .where(Classroom.id == classroom_id)
        .values(id=Classroom.id)
        .execution_options(synchronize_session=False)
    )


@undone_on_error
def offer_slots(
    *,
    classroom: Classroom,
    starts_at: datetime,
    minutes: int,
    count: int,
    location: str,
    by: User,
    zone: ZoneInfo | None = None,
) -> list[OfficeHourSlot]:
    """Offer ``count`` back-to-back slots of ``minutes`` each to ``classroom``, the first at
    ``starts_at``: four 15-minute slots from 14:00 end at 15:00.

    A naive ``starts_at`` is a wall time on the teacher's clock (``zone``, by default the zone
    ``by`` chose, else the school's); slots are stored in UTC. Slots start in the future and
    never overlap another slot of the same teacher, in any classroom.
    """
    check_may_manage(by=by, classroom=classroom)
    if not MIN_SLOT_MINUTES <= minutes <= MAX_SLOT_MINUTES:
        raise ServiceError(
            ngettext(
                "A slot lasts between %(least)d and %(num)d minute.",
                "A slot lasts between %(least)d and %(num)d minutes.",
                MAX_SLOT_MINUTES,
                least=MIN_SLOT_MINUTES,
            ),
            field="minutes",
        )
    if not 1 <= count <= MAX_SLOTS_AT_ONCE:
        raise ServiceError(
            ngettext(
                "Offer between 1 and %(num)d slot at once.",
                "Offer between 1 and %(num)d slots at once.",
                MAX_SLOTS_AT_ONCE,
            ),
            field="count",
        )
    location = check_location(location)
    first = as_utc(starts_at, zone or person_zone(by))
    if first <= utcnow():
        raise ServiceError(_("Office hours are offered for a time still to come."), field="start")
    length = timedelta(minutes=minutes)
    last_end = first + length * count
    lock_person(by)
    clash = db.session.scalar(
        select(OfficeHourSlot)
        .where(
            OfficeHourSlot.teacher_id == by.id,
            OfficeHourSlot.starts_at < last_end,
            OfficeHourSlot.ends_at > first,
        )
        .order_by(OfficeHourSlot.starts_at)
        .limit(1)
    )
    if clash is not None:
        raise Conflict(
            _(
                "These slots overlap one you offer already, at %(time)s: choose another time.",
                time=format_moment(clash.starts_at),
            ),
            field="start",
        )
    slots = []
    for number in range(count):
        slot = OfficeHourSlot(
            classroom_id=classroom.id,
            teacher_id=by.id,
            starts_at=first + length * number,
            ends_at=first + length * (number + 1),
            location=location,
        )
        db.session.add(slot)
        record_change(actor=by, action="create", record=slot)
        slots.append(slot)
    db.session.commit()
    return slots


@undone_on_error
def cancel_slot(*, slot: OfficeHourSlot, by: User) -> list[User]:
    """Take back a slot that has not started; a booking of it is cancelled with it.

    Returns the students who lose their check-in (none for a free slot).
    """
    check_may_manage(by=by, classroom=slot.classroom)
    if slot.starts_at <= utcnow():
        raise Conflict(_("This slot has started already: it can no longer be cancelled."))
    lock_office_hours_of(slot.classroom_id)
    booking = booking_of_slot(slot.id)
    attendees: list[User] = []
    if booking is not None:
        attendees = [attendee.student for attendee in booking.attendees]
        record_change(
            actor=by, action="delete", record=booking, before=booking_snapshot(booking), after={}
        )
    record_change(actor=by, action="delete", record=slot, before=snapshot(slot), after={})
    db.session.delete(slot)
    db.session.commit()
    return attendees


# Booking and cancelling (students)


@contextmanager
def conflict_on_clash(message: str) -> Iterator[None]:
    """Turn the database's one booking per slot into a Conflict."""
    try:
        yield
    except IntegrityError as error:
        db.session.rollback()
        raise Conflict(message) from error


def booking_of_slot(slot_id: int) -> OfficeHourBooking | None:
    """The booking of a slot, read from the database (not the loaded relationship)."""
    return db.session.scalar(select(OfficeHourBooking).where(OfficeHourBooking.slot_id == slot_id))


def booking_snapshot(booking: OfficeHourBooking) -> dict[str, object]:
    """A booking's columns and its attendees, for the audit log."""
    return {
        **snapshot(booking),
        "attendee_ids": sorted(attendee.student_id for attendee in booking.attendees),
    }


def is_enrolled(*, student_id: int, classroom_id: int) -> bool:
    """Whether ``student_id`` is enrolled in ``classroom_id``."""
    return (
        db.session.scalar(
            select(Enrollment.id).where(
                Enrollment.student_id == student_id, Enrollment.classroom_id == classroom_id
            )
        )
        is not None
    )


def check_topic(topic: str) -> str:
    """Return the trimmed topic, or raise when it is too long."""
    topic = topic.strip()
    if len(topic) > MAX_TOPIC_LENGTH:
        raise ServiceError(
            ngettext(
                "A topic has at most %(num)d character.",
                "A topic has at most %(num)d characters.",
                MAX_TOPIC_LENGTH,
            ),
            field="topic",
        )
    return topic


def check_slot_open(slot: OfficeHourSlot) -> None:
    """Refuse a slot that has started or is booked already."""
    if slot.starts_at <= utcnow():
        raise Conflict(_("This slot has started already: choose a later one."))
    if booking_of_slot(slot.id) is not None:
        raise Conflict(_("Someone has booked this slot already: choose another one."))


def group_of(*, slot: OfficeHourSlot, by: User, classmate_ids: Sequence[int]) -> list[int]:
    """The students of a group booking: ``by`` and one or two classmates of the slot's
    classroom, each named once."""
    if len(set(classmate_ids)) != len(classmate_ids) or by.id in classmate_ids:
        raise ServiceError(_("Choose each classmate once."), field="classmates")
    if not 1 <= len(classmate_ids) <= MAX_GROUP_SIZE - 1:
        raise ServiceError(
            ngettext(
                "Book for your team, or for a group of yourself and up to %(num)d classmate.",
                "Book for your team, or for a group of yourself and up to %(num)d classmates.",
                MAX_GROUP_SIZE - 1,
            ),
            field="classmates",
        )
    enrolled = set(
        db.session.scalars(
            select(Enrollment.student_id).where(
                Enrollment.classroom_id == slot.classroom_id,
                Enrollment.student_id.in_(classmate_ids),
            )
        )
    )
    if enrolled != set(classmate_ids):
        raise ServiceError(_("Choose classmates of this classroom."), field="classmates")
    return [by.id, *classmate_ids]


def team_of(*, slot: OfficeHourSlot, by: User, team: Team) -> list[int]:
    """The current members of ``team``, which must be ``by``'s team in the slot's classroom."""
    member_ids = [membership.student_id for membership in current_members(team)]
    if team.classroom_id != slot.classroom_id or by.id not in member_ids:
        raise NotAllowed(_("You can only book for your own team."))
    return member_ids


def already_booked(*, classroom_id: int, student_ids: Sequence[int]) -> list[User]:
    """The students among ``student_ids`` with a check-in in ``classroom_id`` not over yet."""
    return list(
        db.session.scalars(
            select(User)
            .join(OfficeHourAttendee, OfficeHourAttendee.student_id == User.id)
            .join(OfficeHourBooking, OfficeHourBooking.id == OfficeHourAttendee.booking_id)
            .join(OfficeHourSlot, OfficeHourSlot.id == OfficeHourBooking.slot_id)
            .where(
                OfficeHourSlot.classroom_id == classroom_id,
                OfficeHourSlot.ends_at > utcnow(),
                User.id.in_(student_ids),
            )
            .order_by(User.display_name, User.id)
        )
    )


@undone_on_error
def book_slot(
    *,
    slot: OfficeHourSlot,
    by: User,
    team: Team | None = None,
    classmate_ids: Sequence[int] = (),
    topic: str = "",
) -> OfficeHourBooking:
    """Book ``slot`` for ``by``'s team (its current members come) or for a group of ``by`` and
    one or two classmates, with an optional topic.

    Each student has one check-in to come per classroom: a student who has one already (for
    their team, their group or anyone's) cancels it before booking another.
    """
    if not by.is_student or not is_enrolled(student_id=by.id, classroom_id=slot.classroom_id):
        raise NotAllowed(_("Office hours are booked by the students of the class."))
    check_slot_open(slot)
    topic = check_topic(topic)
    if team is not None and classmate_ids:
        raise ServiceError(_("Book for your team or for a group, not both."), field="classmates")
    taken = _("Someone booked this slot a moment ago: choose another one.")
    with conflict_on_clash(taken):
        # Memberships change under the same lock (services/teams.py), so the team read next is
        # the team as it is.
        lock_office_hours_of(slot.classroom_id)
        if booking_of_slot(slot.id) is not None:
            raise Conflict(taken)
        if team is not None:
            student_ids = team_of(slot=slot, by=by, team=team)
        else:
            student_ids = group_of(slot=slot, by=by, classmate_ids=list(classmate_ids))
        busy = already_booked(classroom_id=slot.classroom_id, student_ids=student_ids)
        if any(student.id == by.id for student in busy):
            raise Conflict(
                _(
                    "You have a check-in booked in this class already: cancel it first to "
                    "book another."
                )
            )
        if busy:
            raise Conflict(
                ngettext(
                    "%(names)s has a check-in booked in this class already.",
                    "%(names)s have a check-in booked in this class already.",
                    len(busy),
                    names=", ".join(student.display_name for student in busy),
                )
            )
        booking = OfficeHourBooking(
            slot_id=slot.id,
            team_id=team.id if team is not None else None,
            booked_by_id=by.id,
            topic=topic,
            attendees=[OfficeHourAttendee(student_id=student_id) for student_id in student_ids],
        )
        db.session.add(booking)
        db.session.flush()
        record_change(actor=by, action="create", record=booking, after=booking_snapshot(booking))
        db.session.commit()
    return booking


@undone_on_error
def cancel_booking(*, booking: OfficeHourBooking, by: User) -> None:
    """Cancel a check-in before it starts; any of its attendees may. The slot is free again."""
    if by.id not in {attendee.student_id for attendee in booking.attendees}:
        raise NotAllowed(_("Only the students who come to a check-in may cancel it."))
    if booking.slot.starts_at <= utcnow():
        raise Conflict(_("This check-in has started already: it can no longer be cancelled."))
    lock_office_hours_of(booking.slot.classroom_id)
    record_change(
        actor=by, action="delete", record=booking, before=booking_snapshot(booking), after={}
    )
    db.session.delete(booking)
    db.session.commit()
