"""Time zones: each person reads and enters times on their own clock; the database keeps UTC.

The zone is the person's setting, else their browser's (the ``quest_time_zone`` cookie), else
the school's (SCHOOL_TIME_ZONE). Every time here is explicit: nothing depends on today's date.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel import Locale
from flask_babel import get_timezone
from helpers import post_form

from quest_platform import create_app
from quest_platform.config import ConfigurationError
from quest_platform.models import Enrollment, QuestAssignment, StageStart
from quest_platform.time_zones import (
    TIME_ZONE_COOKIE,
    SkippedLocalTime,
    is_today,
    local_to_utc,
    moment_pattern,
    select_timezone,
)

CHICAGO = ZoneInfo("America/Chicago")


# Local times to UTC, across the changes of daylight saving time


def test_a_late_evening_in_chicago_is_the_next_morning_in_utc():
    assert local_to_utc(datetime(2030, 3, 2, 23, 59), CHICAGO) == datetime(
        2030, 3, 3, 5, 59, tzinfo=UTC
    )


def test_a_time_the_clocks_skip_is_refused():
    # 10 March 2030: Chicago's clocks jump from 02:00 to 03:00.
    with pytest.raises(SkippedLocalTime):
        local_to_utc(datetime(2030, 3, 10, 2, 30), CHICAGO)
    assert local_to_utc(datetime(2030, 3, 10, 3, 0), CHICAGO) == datetime(
        2030, 3, 10, 8, 0, tzinfo=UTC
    )


def test_a_time_that_happens_twice_is_the_first_of_the_two():
    # 3 November 2030: Chicago's clocks fall back from 02:00 to 01:00.
    assert local_to_utc(datetime(2030, 11, 3, 1, 30), CHICAGO) == datetime(
        2030, 11, 3, 6, 30, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("locale", "pattern"),
    [("en", "MMM d, y, h:mm\u202fa"), ("es_419", "d MMM y, h:mm\u202fa"), ("es", "d MMM y, H:mm")],
)
def test_a_moment_is_written_without_seconds(locale, pattern):
    assert moment_pattern(Locale.parse(locale)) == pattern


# Whose clock: the person's, else the browser's, else the school's


def zone_of_request(app, *, cookie: str | None = None) -> str:
    headers = {"Cookie": f"{TIME_ZONE_COOKIE}={cookie}"} if cookie else {}
    with app.app_context(), app.test_request_context(headers=headers):
        return str(get_timezone())


def test_the_browser_s_zone_comes_from_its_cookie(app):
    assert zone_of_request(app, cookie="America/Bogota") == "America/Bogota"


def test_an_unknown_zone_in_the_cookie_is_ignored(app):
    assert zone_of_request(app, cookie="Mars/Olympus_Mons") == "UTC"


def test_without_a_browser_zone_the_school_s_is_used(app, monkeypatch):
    monkeypatch.setitem(app.config, "SCHOOL_TIME_ZONE", "America/Mexico_City")
    assert zone_of_request(app) == "America/Mexico_City"
    assert zone_of_request(app, cookie="Europe/Madrid") == "Europe/Madrid"
    with app.app_context():
        assert select_timezone() == "America/Mexico_City"


def test_the_school_s_zone_is_read_from_the_environment_and_checked(tmp_path):
    app = create_app("testing", SESSION_DIR=tmp_path, SCHOOL_TIME_ZONE="Europe/Madrid")
    assert app.config["BABEL_DEFAULT_TIMEZONE"] == "Europe/Madrid"
    with pytest.raises(ConfigurationError, match="SCHOOL_TIME_ZONE"):
        create_app("testing", SESSION_DIR=tmp_path, SCHOOL_TIME_ZONE="Central Time")


def test_the_person_s_zone_beats_the_browser_s(client, db, make, school, login_as):
    student = make.student()
    student.time_zone = "Asia/Tokyo"
    db.session.add(Enrollment(classroom=school.classroom, student=student))
    db.session.commit()
    login_as(student)
    client.set_cookie(TIME_ZONE_COOKIE, "Europe/Madrid")
    page = client.get("/accounts/profile").get_data(as_text=True)
    assert "Due (Asia/Tokyo)" in page


def test_is_today_is_the_reader_s_today(app):
    evening = datetime(2030, 3, 3, 5, 30, tzinfo=UTC)  # 23:30 on 2 March in Chicago
    cookie = {"Cookie": f"{TIME_ZONE_COOKIE}=America/Chicago"}
    with app.app_context(), app.test_request_context(headers=cookie):
        assert is_today(evening, now=datetime(2030, 3, 2, 15, 0, tzinfo=UTC))
        assert not is_today(evening, now=datetime(2030, 3, 3, 15, 0, tzinfo=UTC))


# Pages: a teacher in Chicago sets a due time; a student in Madrid reads it on their clock


@pytest.fixture
def madrid_student(db, make, school):
    student = make.student()
    student.time_zone = "Europe/Madrid"
    db.session.add(Enrollment(classroom=school.classroom, student=student))
    db.session.commit()
    return student


def test_a_due_time_set_in_chicago_is_read_in_madrid(
    client, client_factory, db, school, login_as, madrid_student
):
    school.teacher.time_zone = "America/Chicago"
    db.session.commit()
    teacher = login_as(school.teacher, on=client_factory())
    url = f"/admin/assignment/edit/?id={school.assignment.id}"
    opens = school.assignment.opens_at.astimezone(CHICAGO).strftime("%Y-%m-%dT%H:%M")
    data = {"opens_at": opens, "due_at": "2030-03-02T23:59"}
    assert post_form(teacher, url, data).status_code == 302
    db.session.expire_all()
    assignment = db.session.get(QuestAssignment, school.assignment.id)
    assert assignment.due_at == datetime(2030, 3, 3, 5, 59, tzinfo=UTC)

    login_as(madrid_student)
    page = client.get("/quests").get_data(as_text=True)
    # 05:59 UTC is 06:59 in Madrid (UTC+1 in winter), written without seconds.
    assert "Due Mar 3, 2030, 6:59\u202fAM (Europe/Madrid)" in page


def test_a_spanish_reader_sees_latin_american_times(client, db, school, login_as, madrid_student):
    school.assignment.due_at = datetime(2030, 3, 3, 13, 5, tzinfo=UTC)
    madrid_student.language = "es"
    db.session.commit()
    login_as(madrid_student)
    page = client.get("/quests").get_data(as_text=True)
    assert "3 mar 2030, 2:05\u202fp.m." in page


# The timed quiz says when time runs out: a time today, a date and time on another day


@pytest.fixture
def timed_player(client, db, make, school, login_as):
    """A student of the school at the timed stage (6) of a new quest, its clock not started."""
    student = make.student()
    db.session.add(Enrollment(classroom=school.classroom, student=student))
    db.session.commit()
    quest = make.quest()
    make.assignment(quest=quest, classroom=school.classroom)
    for position in range(1, 6):
        make.attempt(student=student, quest=quest, position=position, outcome="passed", score=1)
    login_as(student)
    return student, quest


def countdown_page(client, db, monkeypatch, student, quest, *, now: datetime) -> str:
    """The timed stage as ``student`` sees it at ``now``, their clock started 30 s before."""
    monkeypatch.setattr("quest_platform.portal.routes.utcnow", lambda: now)
    stage = quest.stages[5]
    db.session.add(
        StageStart(
            student_id=student.id,
            stage_id=stage.id,
            try_number=1,
            started_at=now - timedelta(seconds=30),
        )
    )
    db.session.commit()
    return client.get(f"/quests/{quest.slug}/6").get_data(as_text=True)


def test_a_countdown_ending_today_says_the_time(client, db, monkeypatch, timed_player):
    page = countdown_page(
        client, db, monkeypatch, *timed_player, now=datetime(2030, 3, 2, 20, 0, tzinfo=UTC)
    )
    # Started at 19:59:30 with 120 s: time runs out at 20:01:30, shown to the minute.
    assert "Time runs out at 8:01\u202fPM." in page


def test_a_countdown_ending_tomorrow_says_the_day(client, db, monkeypatch, timed_player):
    page = countdown_page(
        client, db, monkeypatch, *timed_player, now=datetime(2030, 3, 2, 23, 59, tzinfo=UTC)
    )
    assert "Time runs out on Mar 3, 2030, 12:00\u202fAM." in page


def test_the_countdown_has_both_plural_forms_in_spanish(client, db, monkeypatch, timed_player):
    student, _quest = timed_player
    student.language = "es"
    db.session.commit()
    page = countdown_page(
        client, db, monkeypatch, *timed_player, now=datetime(2030, 3, 2, 20, 0, tzinfo=UTC)
    )
    assert 'data-text-minutes-one="Queda {num} minuto"' in page
    assert 'data-text-minutes-other="Quedan {num} minutos"' in page
    assert 'data-text-seconds-one="Queda {num} segundo"' in page
    assert 'data-text-seconds-other="Quedan {num} segundos"' in page
    assert "Hora límite: 8:01\u202fp.m." in page
