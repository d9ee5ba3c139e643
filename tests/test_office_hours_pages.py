"""Office-hours pages: students book and cancel on /office-hours, teachers offer, list and cancel
slots in the admin; times on each reader's clock; refusals come back with their reason and
status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from helpers import csrf_token, post_form
from sqlalchemy import func, select

from quest_platform.extensions import db
from quest_platform.models import (
    Classroom,
    OfficeHourAttendee,
    OfficeHourBooking,
    OfficeHourSlot,
    utcnow,
)
from quest_platform.services.office_hours import book_slot, offer_slots
from quest_platform.services.teams import create_team

PAGE = "/office-hours"
ADMIN = "/admin/office-hours/"
WINTER_TWO_PM_IN_LA = datetime(2099, 1, 15, 22, 0, tzinfo=UTC)


def soon(days: int = 2) -> datetime:
    return (utcnow() + timedelta(days=days)).replace(hour=14, minute=0, second=0, microsecond=0)


@pytest.fixture
def course(make):
    """A class of five with a team of three (the first three students), a teacher with two free
    slots, and another class with its own teacher, student and slot."""

    class Course:
        teacher = make.teacher()
        students = [make.student() for _ in range(5)]
        classroom = make.classroom(teachers=[teacher], students=students)
        team = create_team(
            classroom=classroom,
            name="Stackers",
            member_ids=[s.id for s in students[:3]],
            by=teacher,
        )
        slots = offer_slots(
            classroom=classroom,
            starts_at=soon(),
            minutes=15,
            count=2,
            location="Room 12",
            by=teacher,
        )
        other_teacher = make.teacher()
        other_student = make.student()
        other_classroom = make.classroom(teachers=[other_teacher], students=[other_student])
        (other_slot,) = offer_slots(
            classroom=other_classroom,
            starts_at=soon(),
            minutes=15,
            count=1,
            location="Lab",
            by=other_teacher,
        )

    return Course


def page_of(client, url: str = PAGE) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return unescape(response.get_data(as_text=True))


def bookings() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(OfficeHourBooking))


def book(client, slot: OfficeHourSlot, data: dict[str, str]):
    return post_form(client, f"{PAGE}/{slot.id}/book", data, form_page=PAGE)


# Students


def test_students_have_an_office_hours_link_and_teachers_do_not(course, login_as, client_factory):
    student = login_as(course.students[0], on=client_factory())
    assert 'href="/office-hours"' in page_of(student, "/quests")
    teacher = login_as(course.teacher, on=client_factory())
    assert 'href="/office-hours"' not in page_of(teacher, "/admin/")
    assert teacher.get(PAGE).status_code == 403


def test_the_page_offers_each_free_slot_for_the_team_or_a_group(
    course, login_as, client, client_factory
):
    login_as(course.students[0])
    html = page_of(client)
    assert html.count('action="/office-hours/') == 2
    assert "Book for my team Stackers" in html
    for classmate in course.students[1:]:
        assert classmate.display_name in html
    assert "Room 12" in html
    assert course.other_slot.location not in html
    # A student without a team books for a group only.
    html = page_of(login_as(course.students[4], on=client_factory()))
    assert "Book for my team" not in html
    assert "Book for a group" in html


def test_times_are_on_the_students_clock(course, login_as, client):
    course.students[0].time_zone = "America/Los_Angeles"
    slot = OfficeHourSlot(
        classroom_id=course.classroom.id,
        teacher_id=course.teacher.id,
        starts_at=WINTER_TWO_PM_IN_LA,
        ends_at=WINTER_TWO_PM_IN_LA + timedelta(minutes=15),
    )
    db.session.add(slot)
    db.session.commit()
    login_as(course.students[0])
    html = page_of(client)
    assert "Jan 15, 2099, 2:00\u202fPM" in html or "Jan 15, 2099, 2:00 PM" in html
    assert "America/Los_Angeles" in html


def test_a_team_member_books_and_the_team_sees_its_check_in(
    course, login_as, client, client_factory
):
    login_as(course.students[1])
    slot = course.slots[0]
    response = book(client, slot, {"team": str(course.team.id), "topic": "Our login bug"})
    assert response.status_code == 302
    assert response.headers["Location"] == PAGE
    booking = db.session.scalar(select(OfficeHourBooking))
    assert booking.team_id == course.team.id
    teammate = login_as(course.students[2], on=client_factory())
    html = page_of(teammate)
    assert "Your check-in" in html
    assert "Our login bug" in html
    assert f'action="/office-hours/bookings/{booking.id}/cancel"' in html
    # No other booking form while the check-in is to come.
    assert f'action="/office-hours/{course.slots[1].id}/book"' not in html


def test_others_see_only_booked_never_who(course, login_as, client):
    book_slot(
        slot=course.slots[0],
        by=course.students[0],
        team=course.team,
        topic="A private topic",
    )
    login_as(course.students[3])
    html = page_of(client)
    assert "Booked" in html
    assert "Stackers" not in html
    assert "A private topic" not in html
    for member in course.students[:3]:
        assert member.display_name in html  # in the classmates' choices only...
    assert f'action="/office-hours/{course.slots[0].id}/book"' not in html
    assert f'action="/office-hours/{course.slots[1].id}/book"' in html


def test_a_group_books_with_classmates(course, login_as, client):
    login_as(course.students[3])
    response = book(
        client,
        course.slots[1],
        {"team": "", "classmate": [str(course.students[4].id), ""], "topic": ""},
    )
    assert response.status_code == 302
    attendees = set(db.session.scalars(select(OfficeHourAttendee.student_id)))
    assert attendees == {course.students[3].id, course.students[4].id}


def test_a_taken_slot_is_a_conflict_with_its_reason(course, login_as, client):
    book_slot(slot=course.slots[0], by=course.students[3], classmate_ids=[course.students[4].id])
    login_as(course.students[0])
    response = book(client, course.slots[0], {"team": str(course.team.id)})
    assert response.status_code == 409
    assert "booked this slot already" in unescape(response.get_data(as_text=True))
    assert bookings() == 1


def test_a_second_check_in_is_a_conflict(course, login_as, client):
    book_slot(slot=course.slots[0], by=course.students[0], team=course.team)
    login_as(course.students[0])
    response = book(client, course.slots[1], {"classmate": str(course.students[4].id)})
    assert response.status_code == 409
    assert "cancel it first" in unescape(response.get_data(as_text=True))


@pytest.mark.parametrize(
    "data",
    [
        {},  # no team, no classmate
        {"classmate": ["{a}", "{b}", "{c}"]},  # four students
        {"classmate": ["{a}", "{a}"]},  # a classmate twice
        {"classmate": "{other}"},  # a student of another class
        {"classmate": "not-an-id"},
        {"team": "99999999999"},
        {"classmate": "{a}", "topic": "x" * 501},
    ],
    ids=["nobody", "four", "twice", "other-class", "not-an-id", "no-such-team", "long-topic"],
)
def test_a_choice_that_cannot_be_used_is_unprocessable(course, login_as, client, data):
    ids = {
        "a": course.students[4].id,
        "b": course.students[1].id,
        "c": course.students[2].id,
        "other": course.other_student.id,
    }
    filled = {
        name: [value.format(**ids) for value in values]
        if isinstance(values, list)
        else values.format(**ids)
        for name, values in data.items()
    }
    login_as(course.students[3])
    response = book(client, course.slots[0], filled)
    assert response.status_code == 422
    html = unescape(response.get_data(as_text=True))
    assert "Error:" in html
    # The refused form is open again, at its slot.
    assert f'<li id="slot-{course.slots[0].id}">' in html
    assert bookings() == 0


def test_a_team_not_theirs_is_refused(course, login_as, client):
    login_as(course.students[3])
    response = book(client, course.slots[0], {"team": str(course.team.id)})
    assert response.status_code == 403
    assert "your own team" in unescape(response.get_data(as_text=True))


def test_slots_and_bookings_of_other_classes_are_missing(course, login_as, client):
    login_as(course.students[0])
    assert book(client, course.other_slot, {"team": str(course.team.id)}).status_code == 404
    book_slot(slot=course.slots[0], by=course.students[3], classmate_ids=[course.students[4].id])
    booking = db.session.scalar(select(OfficeHourBooking))
    token = csrf_token(client, PAGE)
    cancel = f"{PAGE}/bookings/{booking.id}/cancel"
    # A classmate who does not come to it finds no such check-in.
    assert client.post(cancel, data={"csrf_token": token}).status_code == 404
    assert bookings() == 1


def test_an_attendee_cancels_and_the_slot_is_free_again(course, login_as, client):
    book_slot(slot=course.slots[0], by=course.students[3], classmate_ids=[course.students[4].id])
    booking_id = db.session.scalar(select(OfficeHourBooking.id))
    login_as(course.students[4])
    response = post_form(client, f"{PAGE}/bookings/{booking_id}/cancel", {}, form_page=PAGE)
    assert response.status_code == 302
    assert bookings() == 0
    html = page_of(client)
    assert "Your check-in is cancelled" in html
    assert f'action="/office-hours/{course.slots[0].id}/book"' in html


def test_a_check_in_under_way_cannot_be_cancelled(course, login_as, client):
    slot = OfficeHourSlot(
        classroom_id=course.classroom.id,
        teacher_id=course.teacher.id,
        starts_at=utcnow() - timedelta(minutes=5),
        ends_at=utcnow() + timedelta(minutes=10),
    )
    booking = OfficeHourBooking(
        slot=slot,
        booked_by_id=course.students[3].id,
        attendees=[OfficeHourAttendee(student_id=course.students[3].id)],
    )
    db.session.add_all([slot, booking])
    db.session.commit()
    login_as(course.students[3])
    html = page_of(client)
    assert "under way" in html
    response = post_form(client, f"{PAGE}/bookings/{booking.id}/cancel", {}, form_page=PAGE)
    assert response.status_code == 409


# Teachers


def test_teachers_see_their_slots_with_bookings_and_admins_see_all(
    course, make, login_as, client_factory
):
    book_slot(slot=course.slots[0], by=course.students[1], team=course.team, topic="Our login bug")
    teacher = login_as(course.teacher, on=client_factory())
    html = page_of(teacher, ADMIN)
    assert "Stackers" in html
    assert "Our login bug" in html
    for member in course.students[:3]:
        assert member.display_name in html
    assert "Free" in html
    assert "Lab" not in html  # the other class's slot
    admin = login_as(make.admin(), on=client_factory())
    assert "Lab" in page_of(admin, ADMIN)
    other = login_as(course.other_teacher, on=client_factory())
    assert "Stackers" not in page_of(other, ADMIN)
    assert other.get(f"{ADMIN}?classroom={course.classroom.id}").status_code == 404


def test_the_classroom_page_links_to_its_office_hours(course, login_as, client):
    login_as(course.teacher)
    html = page_of(client, f"/admin/classroom/details/?id={course.classroom.id}")
    assert f"/admin/office-hours/?classroom={course.classroom.id}" in html
    assert f"/admin/office-hours/offer?classroom={course.classroom.id}" in html


def offer_data(classroom: Classroom, **changes: str) -> dict[str, str]:
    return {
        "classroom": str(classroom.id),
        "date": "2099-01-15",
        "start": "14:00",
        "minutes": "15",
        "count": "4",
        "location": "Room 12",
        **changes,
    }


def test_a_teacher_offers_slots_on_their_own_clock(course, login_as, client):
    course.teacher.time_zone = "America/Los_Angeles"
    db.session.commit()
    login_as(course.teacher)
    form = page_of(client, f"{ADMIN}offer?classroom={course.classroom.id}")
    assert "(America/Los_Angeles)" in form
    assert f'<option selected value="{course.classroom.id}">' in form
    assert course.other_classroom.name not in form
    response = post_form(client, f"{ADMIN}offer", offer_data(course.classroom))
    assert response.status_code == 302
    db.session.rollback()
    starts = list(
        db.session.scalars(
            select(OfficeHourSlot.starts_at)
            .where(OfficeHourSlot.starts_at > WINTER_TWO_PM_IN_LA - timedelta(hours=1))
            .order_by(OfficeHourSlot.starts_at)
        )
    )
    assert starts == [WINTER_TWO_PM_IN_LA + timedelta(minutes=15 * n) for n in range(4)]
    assert "4 slots offered" in page_of(client, response.headers["Location"])


@pytest.mark.parametrize(
    ("changes", "status", "reason"),
    [
        ({"date": "2000-01-15"}, 422, "still to come"),
        ({"minutes": "4"}, 422, "between 5 and 180 minutes"),
        ({"count": "13"}, 422, "between 1 and 12 slots"),
        ({"start": ""}, 422, "This field is required"),
    ],
)
def test_an_offer_that_cannot_be_used_comes_back(course, login_as, client, changes, status, reason):
    login_as(course.teacher)
    response = post_form(client, f"{ADMIN}offer", offer_data(course.classroom, **changes))
    assert response.status_code == status
    assert reason in unescape(response.get_data(as_text=True))


def test_an_overlapping_offer_is_a_conflict(course, login_as, client):
    login_as(course.teacher)
    assert post_form(client, f"{ADMIN}offer", offer_data(course.classroom)).status_code == 302
    response = post_form(client, f"{ADMIN}offer", offer_data(course.classroom, count="1"))
    assert response.status_code == 409
    assert "overlap" in unescape(response.get_data(as_text=True))


def test_another_teachers_classroom_cannot_be_chosen(course, login_as, client):
    login_as(course.other_teacher)
    response = post_form(client, f"{ADMIN}offer", offer_data(course.classroom))
    assert response.status_code == 422
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(OfficeHourSlot)) == 3


def test_cancelling_a_slot_asks_first_then_its_students_lose_it(course, login_as, client):
    book_slot(slot=course.slots[0], by=course.students[1], team=course.team)
    slot_id = course.slots[0].id
    login_as(course.teacher)
    token = csrf_token(client, ADMIN)
    asked = client.post(f"{ADMIN}cancel", data={"csrf_token": token, "slot": slot_id})
    assert asked.status_code == 200
    question = unescape(asked.get_data(as_text=True))
    assert "Cancel this slot" in question
    assert course.students[0].display_name in question
    assert bookings() == 1
    done = client.post(
        f"{ADMIN}cancel",
        data={"csrf_token": token, "slot": slot_id, "confirmed": "yes"},
    )
    assert done.status_code == 302
    assert "3 students lose their check-in" in page_of(client, ADMIN)
    assert bookings() == 0
    assert db.session.get(OfficeHourSlot, slot_id) is None


def test_another_teachers_slot_is_missing(course, login_as, client):
    login_as(course.other_teacher)
    token = csrf_token(client, ADMIN)
    for data in ({"slot": course.slots[0].id}, {"slot": "x"}, {}):
        response = client.post(
            f"{ADMIN}cancel", data={"csrf_token": token, "confirmed": "yes", **data}
        )
        assert response.status_code == 404
    db.session.rollback()
    assert db.session.get(OfficeHourSlot, course.slots[0].id) is not None


def test_students_never_reach_the_admin_pages(course, login_as, client):
    login_as(course.students[0])
    assert client.get(ADMIN).status_code == 403
