"""The code races view: starting a race from the form (now or at a time on the teacher's clock),
and refusals that say what is wrong, with nothing written."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from helpers import code_quest, post_form
from sqlalchemy import func, select

from quest_platform.models import CodeRace

NEW = "/admin/races/new/"


@pytest.fixture
def race_class(make):
    teacher = make.teacher()
    student = make.student()
    classroom = make.classroom(teachers=[teacher], students=[student])
    quest = code_quest(make, student, classroom=classroom)
    return teacher, classroom, quest


def form(classroom, quest, **changes):
    return {
        "classroom": str(classroom.id),
        "stage": str(quest.stages[0].id),
        "start": "now",
        "starts_at": "",
        "minutes": "12",
        "first_points": "40",
        "min_points": "10",
        **changes,
    }


def races(db) -> int:
    return db.session.scalar(select(func.count()).select_from(CodeRace))


def test_a_race_started_now_opens_its_projector_view(client, db, race_class, login_as):
    teacher, classroom, quest = race_class
    login_as(teacher)
    page = client.get(NEW).get_data(as_text=True)
    assert f"{quest.title} — 1. {quest.stages[0].title}" in page
    assert f"{quest.title} — 2." not in page, "only code challenges are offered"

    response = post_form(client, NEW, form(classroom, quest))

    race = db.session.scalar(select(CodeRace))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/races/{race.id}"
    assert (race.first_points, race.min_points) == (40, 10)
    assert (race.ends_at - race.starts_at).total_seconds() == 12 * 60


def test_a_race_at_a_time_takes_the_time_on_the_teachers_clock(client, db, race_class, login_as):
    teacher, classroom, quest = race_class
    teacher.time_zone = "America/Chicago"
    db.session.commit()
    login_as(teacher)
    zone = ZoneInfo("America/Chicago")
    day = (datetime.now(zone) + timedelta(days=2)).date()
    fields = form(classroom, quest, start="later", starts_at=f"{day.isoformat()}T09:30")
    response = post_form(client, NEW, fields)
    assert response.status_code == 302
    race = db.session.scalar(select(CodeRace))
    assert race.starts_at == datetime.combine(day, time(9, 30), tzinfo=zone).astimezone(UTC)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"start": "later", "starts_at": ""}, "Choose when the race starts."),
        ({"start": "later", "starts_at": "2001-01-01T09:00"}, "has not passed"),
        ({"minutes": "0"}, "Between 1 and 180 minutes."),
        ({"minutes": "many"}, "Not a valid integer value."),
        ({"first_points": "3"}, "First place earns at least"),
        ({"stage": "999999"}, "Not a valid choice."),
        ({"start": "whenever"}, "Not a valid choice."),
    ],
)
def test_a_refused_race_says_why_and_writes_nothing(
    client, db, race_class, login_as, changes, message
):
    teacher, classroom, quest = race_class
    login_as(teacher)
    response = post_form(client, NEW, form(classroom, quest, **changes))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert races(db) == 0


def test_another_teachers_class_is_not_offered_nor_taken(client, db, race_class, make, login_as):
    _teacher, classroom, quest = race_class
    login_as(make.teacher())
    assert classroom.name not in client.get(NEW).get_data(as_text=True)
    response = post_form(client, NEW, form(classroom, quest))
    assert response.status_code == 422
    assert races(db) == 0


def test_a_teacher_with_no_code_challenge_is_told_how_to_make_one(client, make, login_as):
    login_as(make.teacher())
    page = client.get(NEW).get_data(as_text=True)
    assert "None of your classes has a code challenge to race on yet." in page
    assert 'href="/admin/quest/"' in page
