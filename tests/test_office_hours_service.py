"""Office hours: teachers offer slots on their own clock, a team or a small group books one,
one check-in to come per student and class, either side cancels; at most one booking per slot
however many ask at once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask
from helpers import at_once
from sqlalchemy import func, select

from quest_platform.extensions import db
from quest_platform.models import (
    AuditEntry,
    Classroom,
    OfficeHourAttendee,
    OfficeHourBooking,
    OfficeHourSlot,
    Team,
    User,
    utcnow,
)
from quest_platform.queries.office_hours import (
    SlotState,
    check_ins_of,
    office_hours_for,
    slot_for_student,
    slot_managed_by,
    slots_of_teacher,
)
from quest_platform.services.errors import Conflict, NotAllowed, ServiceError
from quest_platform.services.office_hours import (
    book_slot,
    cancel_booking,
    cancel_slot,
    offer_slots,
)
from quest_platform.services.teams import create_team, place_student


def soon(days: int = 2, hour: int = 14) -> datetime:
    """A moment some days from now, on the hour (UTC)."""
    return (utcnow() + timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)


def a_class(make, students: int = 6) -> tuple[User, Classroom, list[User]]:
    teacher = make.teacher()
    roster = [make.student() for _ in range(students)]
    return teacher, make.classroom(teachers=[teacher], students=roster), roster


def a_slot(teacher: User, classroom: Classroom, *, at: datetime | None = None) -> OfficeHourSlot:
    (slot,) = offer_slots(
        classroom=classroom,
        starts_at=at or soon(),
        minutes=15,
        count=1,
        location="Room 12",
        by=teacher,
    )
    return slot


def a_stored_slot(classroom: Classroom, teacher: User, *, starts_at: datetime) -> OfficeHourSlot:
    """A slot written straight to the database (the service offers none in the past)."""
    slot = OfficeHourSlot(
        classroom_id=classroom.id,
        teacher_id=teacher.id,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=15),
    )
    db.session.add(slot)
    db.session.commit()
    return slot


def a_stored_booking(slot: OfficeHourSlot, students: list[User]) -> OfficeHourBooking:
    booking = OfficeHourBooking(
        slot_id=slot.id,
        booked_by_id=students[0].id,
        attendees=[OfficeHourAttendee(student_id=student.id) for student in students],
    )
    db.session.add(booking)
    db.session.commit()
    return booking


def attendee_ids(booking: OfficeHourBooking) -> set[int]:
    return {attendee.student_id for attendee in booking.attendees}


def audited(table: str, action: str) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.table_name == table, AuditEntry.action == action)
    )


# Offering slots


def test_four_slots_of_fifteen_minutes_follow_one_another(make) -> None:
    teacher, classroom, _roster = a_class(make, 0)
    start = soon()
    slots = offer_slots(
        classroom=classroom,
        starts_at=start,
        minutes=15,
        count=4,
        location="  Room   12 ",
        by=teacher,
    )
    assert [slot.starts_at for slot in slots] == [
        start + timedelta(minutes=15 * n) for n in range(4)
    ]
    assert slots[-1].ends_at == start + timedelta(hours=1)
    assert {slot.location for slot in slots} == {"Room 12"}
    assert {slot.teacher_id for slot in slots} == {teacher.id}
    assert audited("office_hour_slot", "create") == 4


def test_a_teacher_in_los_angeles_offering_two_pm_in_winter_stores_ten_pm_utc(make) -> None:
    teacher, classroom, _roster = a_class(make, 0)
    teacher.time_zone = "America/Los_Angeles"
    db.session.commit()
    (winter,) = offer_slots(
        classroom=classroom,
        starts_at=datetime(2099, 1, 15, 14, 0),
        minutes=30,
        count=1,
        location="",
        by=teacher,
    )
    assert winter.starts_at == datetime(2099, 1, 15, 22, 0, tzinfo=UTC)
    assert winter.ends_at == datetime(2099, 1, 15, 22, 30, tzinfo=UTC)
    # On daylight time the same wall time is an hour earlier in UTC.
    (summer,) = offer_slots(
        classroom=classroom,
        starts_at=datetime(2099, 7, 15, 14, 0),
        minutes=30,
        count=1,
        location="",
        by=teacher,
    )
    assert summer.starts_at == datetime(2099, 7, 15, 21, 0, tzinfo=UTC)


def second_sunday_of_march(year: int) -> date:
    first = date(year, 3, 1)
    return first + timedelta(days=(6 - first.weekday()) % 7 + 7)


def test_a_wall_time_the_clocks_skip_is_refused(make) -> None:
    teacher, classroom, _roster = a_class(make, 0)
    teacher.time_zone = "America/Los_Angeles"
    db.session.commit()
    skipped = datetime.combine(second_sunday_of_march(2099), datetime.min.time()).replace(hour=2)
    with pytest.raises(ServiceError, match="does not exist"):
        offer_slots(
            classroom=classroom,
            starts_at=skipped.replace(minute=30),
            minutes=15,
            count=1,
            location="",
            by=teacher,
        )


def test_slots_in_the_past_are_refused(make) -> None:
    teacher, classroom, _roster = a_class(make, 0)
    with pytest.raises(ServiceError, match="still to come") as refused:
        offer_slots(
            classroom=classroom,
            starts_at=utcnow() - timedelta(minutes=1),
            minutes=15,
            count=1,
            location="",
            by=teacher,
        )
    assert refused.value.field == "start"


@pytest.mark.parametrize(("minutes", "count"), [(4, 1), (181, 1), (15, 0), (15, 13)])
def test_lengths_and_counts_out_of_bounds_are_refused(make, minutes: int, count: int) -> None:
    teacher, classroom, _roster = a_class(make, 0)
    with pytest.raises(ServiceError) as refused:
        offer_slots(
            classroom=classroom,
            starts_at=soon(),
            minutes=minutes,
            count=count,
            location="",
            by=teacher,
        )
    assert refused.value.field == ("minutes" if count == 1 else "count")
    assert db.session.scalar(select(func.count()).select_from(OfficeHourSlot)) == 0


@pytest.mark.parametrize(("minutes", "count"), [(5, 12), (180, 1)])
def test_the_bounds_themselves_are_allowed(make, minutes: int, count: int) -> None:
    teacher, classroom, _roster = a_class(make, 0)
    slots = offer_slots(
        classroom=classroom, starts_at=soon(), minutes=minutes, count=count, location="", by=teacher
    )
    assert len(slots) == count


def test_a_place_too_long_is_refused(make) -> None:
    teacher, classroom, _roster = a_class(make, 0)
    with pytest.raises(ServiceError) as refused:
        offer_slots(
            classroom=classroom,
            starts_at=soon(),
            minutes=15,
            count=1,
            location="x" * 121,
            by=teacher,
        )
    assert refused.value.field == "location"


def test_slots_never_overlap_another_slot_of_the_same_teacher(make) -> None:
    teacher, classroom, _roster = a_class(make, 0)
    second_class = make.classroom(teachers=[teacher])
    start = soon()
    offer_slots(classroom=classroom, starts_at=start, minutes=15, count=4, location="", by=teacher)
    # In another of their classrooms too, and by a single minute.
    with pytest.raises(Conflict, match="overlap"):
        offer_slots(
            classroom=second_class,
            starts_at=start + timedelta(minutes=59),
            minutes=15,
            count=1,
            location="",
            by=teacher,
        )
    with pytest.raises(Conflict, match="overlap"):
        offer_slots(
            classroom=classroom,
            starts_at=start - timedelta(minutes=30),
            minutes=15,
            count=3,
            location="",
            by=teacher,
        )
    # Right after the last one, or right before the first, is fine.
    offer_slots(
        classroom=second_class,
        starts_at=start + timedelta(hours=1),
        minutes=15,
        count=1,
        location="",
        by=teacher,
    )
    offer_slots(
        classroom=classroom,
        starts_at=start - timedelta(minutes=30),
        minutes=15,
        count=2,
        location="",
        by=teacher,
    )
    # Another teacher of the class may offer the same hour.
    colleague = make.teacher()
    classroom.teachers.append(colleague)
    db.session.commit()
    offer_slots(
        classroom=classroom, starts_at=start, minutes=15, count=4, location="", by=colleague
    )
    assert db.session.scalar(select(func.count()).select_from(OfficeHourSlot)) == 11


def test_only_the_classrooms_teachers_and_admins_offer_and_cancel_slots(make) -> None:
    teacher, classroom, _roster = a_class(make, 0)
    stranger = make.teacher()
    with pytest.raises(NotAllowed):
        offer_slots(
            classroom=classroom, starts_at=soon(), minutes=15, count=1, location="", by=stranger
        )
    slot = a_slot(teacher, classroom)
    with pytest.raises(NotAllowed):
        cancel_slot(slot=slot, by=stranger)
    admin = make.admin()
    assert a_slot(admin, classroom, at=soon(days=3)).teacher_id == admin.id
    assert cancel_slot(slot=slot, by=admin) == []


# Cancelling a slot


def test_a_booked_slots_attendees_lose_it_when_it_is_cancelled(make) -> None:
    teacher, classroom, roster = a_class(make, 3)
    slot = a_slot(teacher, classroom)
    book_slot(slot=slot, by=roster[0], classmate_ids=[roster[1].id, roster[2].id])
    lost = cancel_slot(slot=slot, by=teacher)
    assert {student.id for student in lost} == {student.id for student in roster}
    assert db.session.scalar(select(func.count()).select_from(OfficeHourBooking)) == 0
    assert db.session.scalar(select(func.count()).select_from(OfficeHourAttendee)) == 0
    assert audited("office_hour_slot", "delete") == 1
    assert audited("office_hour_booking", "delete") == 1
    assert check_ins_of(roster[0]).upcoming == ()


def test_a_slot_under_way_is_not_cancelled(make) -> None:
    teacher, classroom, _roster = a_class(make, 0)
    slot = a_stored_slot(classroom, teacher, starts_at=utcnow() - timedelta(minutes=5))
    with pytest.raises(Conflict, match="started"):
        cancel_slot(slot=slot, by=teacher)


# Booking


def test_a_team_member_books_for_the_whole_team(make) -> None:
    teacher, classroom, roster = a_class(make, 6)
    team = create_team(
        classroom=classroom, name="Stackers", member_ids=[s.id for s in roster[:4]], by=teacher
    )
    slot = a_slot(teacher, classroom)
    booking = book_slot(slot=slot, by=roster[2], team=team, topic="  Our login bug  ")
    assert booking.team_id == team.id
    assert booking.booked_by_id == roster[2].id
    assert booking.topic == "Our login bug"
    assert attendee_ids(booking) == {s.id for s in roster[:4]}
    assert audited("office_hour_booking", "create") == 1
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.table_name == "office_hour_booking")
    )
    assert sorted(entry.after["attendee_ids"]) == sorted(s.id for s in roster[:4])


def test_the_attendees_are_the_teams_current_members(make) -> None:
    teacher, classroom, roster = a_class(make, 3)
    team = create_team(
        classroom=classroom, name="Movers", member_ids=[s.id for s in roster], by=teacher
    )
    place_student(student=roster[2], classroom=classroom, team=None, by=teacher)
    booking = book_slot(slot=a_slot(teacher, classroom), by=roster[0], team=team)
    assert attendee_ids(booking) == {roster[0].id, roster[1].id}


def test_a_group_is_the_student_and_one_or_two_classmates(make) -> None:
    teacher, classroom, roster = a_class(make, 4)
    first = book_slot(slot=a_slot(teacher, classroom), by=roster[0], classmate_ids=[roster[1].id])
    assert first.team_id is None
    assert attendee_ids(first) == {roster[0].id, roster[1].id}
    later = a_slot(teacher, classroom, at=soon(days=3))
    with pytest.raises(ServiceError, match="up to 2 classmates"):
        book_slot(slot=later, by=roster[2], classmate_ids=[])
    group = book_slot(slot=later, by=roster[2], classmate_ids=[roster[3].id])
    assert attendee_ids(group) == {roster[2].id, roster[3].id}


def test_a_group_has_three_students_at_most(make) -> None:
    teacher, classroom, roster = a_class(make, 4)
    with pytest.raises(ServiceError, match="up to 2 classmates") as refused:
        book_slot(
            slot=a_slot(teacher, classroom),
            by=roster[0],
            classmate_ids=[roster[1].id, roster[2].id, roster[3].id],
        )
    assert refused.value.field == "classmates"
    assert not isinstance(refused.value, Conflict | NotAllowed)


@pytest.mark.parametrize("twice", ["classmate", "self"])
def test_each_student_of_a_group_is_named_once(make, twice: str) -> None:
    teacher, classroom, roster = a_class(make, 3)
    chosen = [roster[1].id, roster[1].id] if twice == "classmate" else [roster[0].id]
    with pytest.raises(ServiceError, match="once"):
        book_slot(slot=a_slot(teacher, classroom), by=roster[0], classmate_ids=chosen)


def test_classmates_come_from_the_slots_classroom(make) -> None:
    teacher, classroom, roster = a_class(make, 2)
    _other_teacher, _other_class, others = a_class(make, 1)
    with pytest.raises(ServiceError, match="classmates of this classroom"):
        book_slot(
            slot=a_slot(teacher, classroom),
            by=roster[0],
            classmate_ids=[roster[1].id, others[0].id],
        )
    assert db.session.scalar(select(func.count()).select_from(OfficeHourBooking)) == 0


def test_a_student_of_another_class_or_a_teacher_cannot_book(make) -> None:
    teacher, classroom, roster = a_class(make, 2)
    _other_teacher, _other_class, others = a_class(make, 2)
    slot = a_slot(teacher, classroom)
    with pytest.raises(NotAllowed):
        book_slot(slot=slot, by=others[0], classmate_ids=[others[1].id])
    with pytest.raises(NotAllowed):
        book_slot(slot=slot, by=teacher, classmate_ids=[roster[0].id])


def test_a_team_that_is_not_the_students_is_refused(make) -> None:
    teacher, classroom, roster = a_class(make, 4)
    theirs = create_team(classroom=classroom, name="Theirs", member_ids=[roster[0].id], by=teacher)
    create_team(classroom=classroom, name="Mine", member_ids=[roster[1].id], by=teacher)
    slot = a_slot(teacher, classroom)
    with pytest.raises(NotAllowed, match="your own team"):
        book_slot(slot=slot, by=roster[1], team=theirs)
    # A team of another classroom, even with the student in it, is not a team of this slot.
    elsewhere = make.classroom(teachers=[teacher], students=[roster[1]])
    other_class_team = create_team(
        classroom=elsewhere, name="Elsewhere", member_ids=[roster[1].id], by=teacher
    )
    with pytest.raises(NotAllowed, match="your own team"):
        book_slot(slot=slot, by=roster[1], team=other_class_team)


def test_a_team_and_a_group_at_once_is_refused(make) -> None:
    teacher, classroom, roster = a_class(make, 3)
    team = create_team(classroom=classroom, name="Both", member_ids=[roster[0].id], by=teacher)
    with pytest.raises(ServiceError, match="not both"):
        book_slot(
            slot=a_slot(teacher, classroom), by=roster[0], team=team, classmate_ids=[roster[1].id]
        )


def test_a_slot_started_or_booked_is_refused_as_a_conflict(make) -> None:
    teacher, classroom, roster = a_class(make, 4)
    started = a_stored_slot(classroom, teacher, starts_at=utcnow() - timedelta(minutes=1))
    with pytest.raises(Conflict, match="started already"):
        book_slot(slot=started, by=roster[0], classmate_ids=[roster[1].id])
    slot = a_slot(teacher, classroom)
    book_slot(slot=slot, by=roster[0], classmate_ids=[roster[1].id])
    with pytest.raises(Conflict, match="booked this slot already"):
        book_slot(slot=slot, by=roster[2], classmate_ids=[roster[3].id])


def test_a_topic_too_long_is_refused(make) -> None:
    teacher, classroom, roster = a_class(make, 2)
    with pytest.raises(ServiceError) as refused:
        book_slot(
            slot=a_slot(teacher, classroom),
            by=roster[0],
            classmate_ids=[roster[1].id],
            topic="x" * 501,
        )
    assert refused.value.field == "topic"


def test_one_check_in_to_come_per_student_and_class(make) -> None:
    teacher, classroom, roster = a_class(make, 5)
    first, second = a_slot(teacher, classroom), a_slot(teacher, classroom, at=soon(days=3))
    book_slot(slot=first, by=roster[0], classmate_ids=[roster[1].id])
    # The student who has one...
    with pytest.raises(Conflict, match="You have a check-in booked"):
        book_slot(slot=second, by=roster[0], classmate_ids=[roster[2].id])
    # ...and a classmate who has one, named.
    with pytest.raises(Conflict, match=f"{roster[1].display_name} has a check-in booked"):
        book_slot(slot=second, by=roster[2], classmate_ids=[roster[1].id])
    # Also a team whose member has one.
    team = create_team(
        classroom=classroom, name="Busy", member_ids=[roster[1].id, roster[3].id], by=teacher
    )
    with pytest.raises(Conflict, match=roster[1].display_name):
        book_slot(slot=second, by=roster[3], team=team)
    # Others of the class book freely; a check-in in another class does not count.
    book_slot(slot=second, by=roster[2], classmate_ids=[roster[4].id])
    elsewhere = make.classroom(teachers=[teacher], students=[roster[0], roster[1]])
    book_slot(
        slot=a_slot(teacher, elsewhere, at=soon(days=4)), by=roster[0], classmate_ids=[roster[1].id]
    )


def test_once_a_check_in_is_over_the_student_books_again(make) -> None:
    teacher, classroom, roster = a_class(make, 2)
    past = a_stored_slot(classroom, teacher, starts_at=utcnow() - timedelta(days=1))
    a_stored_booking(past, roster)
    booking = book_slot(slot=a_slot(teacher, classroom), by=roster[0], classmate_ids=[roster[1].id])
    assert attendee_ids(booking) == {roster[0].id, roster[1].id}


def test_any_attendee_cancels_before_the_start(make) -> None:
    teacher, classroom, roster = a_class(make, 3)
    slot = a_slot(teacher, classroom)
    booking = book_slot(slot=slot, by=roster[0], classmate_ids=[roster[1].id])
    with pytest.raises(NotAllowed):
        cancel_booking(booking=booking, by=roster[2])
    with pytest.raises(NotAllowed):
        cancel_booking(booking=booking, by=teacher)
    cancel_booking(booking=booking, by=roster[1])
    assert db.session.scalar(select(func.count()).select_from(OfficeHourBooking)) == 0
    assert audited("office_hour_booking", "delete") == 1
    # The slot is free again, for anyone of the class.
    assert book_slot(slot=slot, by=roster[2], classmate_ids=[roster[0].id]).slot_id == slot.id


def test_a_check_in_under_way_is_not_cancelled(make) -> None:
    teacher, classroom, roster = a_class(make, 2)
    slot = a_stored_slot(classroom, teacher, starts_at=utcnow() - timedelta(minutes=5))
    booking = a_stored_booking(slot, roster)
    with pytest.raises(Conflict, match="started"):
        cancel_booking(booking=booking, by=roster[0])


# Reading


def test_students_see_free_booked_and_their_own_slots_never_others_names(make) -> None:
    teacher, classroom, roster = a_class(make, 4)
    mine, taken, free = (a_slot(teacher, classroom, at=soon(days=n)) for n in (2, 3, 4))
    a_stored_slot(classroom, teacher, starts_at=utcnow() - timedelta(days=1))
    book_slot(slot=mine, by=roster[0], classmate_ids=[roster[1].id])
    book_slot(slot=taken, by=roster[2], classmate_ids=[roster[3].id])
    (page,) = office_hours_for(roster[0])
    assert [(entry.slot.id, entry.state) for entry in page.slots] == [
        (mine.id, SlotState.YOURS),
        (taken.id, SlotState.BOOKED),
        (free.id, SlotState.FREE),
    ]
    assert page.booking is not None
    assert page.booking.slot_id == mine.id
    assert [entry.slot.id for entry in page.free_slots] == [free.id]
    assert {classmate.id for classmate in page.classmates} == {s.id for s in roster[1:]}
    assert page.team is None


def test_a_students_check_ins_to_come_and_past(make) -> None:
    teacher, classroom, roster = a_class(make, 2)
    past = a_stored_booking(
        a_stored_slot(classroom, teacher, starts_at=utcnow() - timedelta(days=2)), roster
    )
    coming = book_slot(slot=a_slot(teacher, classroom), by=roster[1], classmate_ids=[roster[0].id])
    check_ins = check_ins_of(roster[0])
    assert [booking.id for booking in check_ins.upcoming] == [coming.id]
    assert [booking.id for booking in check_ins.past] == [past.id]


def test_teachers_see_the_slots_of_their_classrooms_and_admins_all(make) -> None:
    teacher, classroom, roster = a_class(make, 2)
    other_teacher, other_class, _others = a_class(make, 0)
    slot = a_slot(teacher, classroom)
    book_slot(slot=slot, by=roster[0], classmate_ids=[roster[1].id])
    old = a_stored_slot(classroom, teacher, starts_at=utcnow() - timedelta(days=1))
    theirs = a_slot(other_teacher, other_class)
    upcoming, past = slots_of_teacher(teacher)
    assert [s.id for s in upcoming] == [slot.id]
    assert [s.id for s in past] == [old.id]
    assert attendee_ids(upcoming[0].booking) == {roster[0].id, roster[1].id}
    assert slot_managed_by(other_teacher, slot.id) is None
    upcoming, _past = slots_of_teacher(make.admin())
    assert {s.id for s in upcoming} == {slot.id, theirs.id}
    assert slots_of_teacher(teacher, classroom_id=other_class.id) == ([], [])
    assert slot_for_student(student=roster[0], slot_id=theirs.id) is None
    assert slot_for_student(student=roster[0], slot_id=slot.id) is not None


# At once


def test_twenty_teams_booking_one_slot_at_once_make_one_booking(app: Flask, make) -> None:
    teacher, classroom, roster = a_class(make, 20)
    teams = [
        create_team(classroom=classroom, name=f"T{n}", member_ids=[student.id], by=teacher)
        for n, student in enumerate(roster)
    ]
    slot_id = a_slot(teacher, classroom).id
    pairs = iter([(team.id, student.id) for team, student in zip(teams, roster, strict=True)])

    def book() -> None:
        team_id, student_id = next(pairs)
        book_slot(
            slot=db.session.get(OfficeHourSlot, slot_id),
            by=db.session.get(User, student_id),
            team=db.session.get(Team, team_id),
        )

    outcomes = at_once(app, book)
    assert outcomes == {"ok": 1, "Conflict": 19}
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(OfficeHourBooking)) == 1
    assert db.session.scalar(select(func.count()).select_from(OfficeHourAttendee)) == 1


def test_one_student_in_twenty_groups_at_once_gets_one_check_in(app: Flask, make) -> None:
    teacher, classroom, roster = a_class(make, 21)
    wanted = roster[0].id
    slots = offer_slots(
        classroom=classroom, starts_at=soon(), minutes=5, count=12, location="", by=teacher
    )
    slots += offer_slots(
        classroom=classroom, starts_at=soon(days=3), minutes=5, count=8, location="", by=teacher
    )
    pairs = iter([(slot.id, student.id) for slot, student in zip(slots, roster[1:], strict=True)])

    def book() -> None:
        slot_id, student_id = next(pairs)
        book_slot(
            slot=db.session.get(OfficeHourSlot, slot_id),
            by=db.session.get(User, student_id),
            classmate_ids=[wanted],
        )

    outcomes = at_once(app, book)
    assert outcomes == {"ok": 1, "Conflict": 19}
    db.session.rollback()
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(OfficeHourAttendee)
            .where(OfficeHourAttendee.student_id == wanted)
        )
        == 1
    )
