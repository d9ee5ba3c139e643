"""`manage.py report predictions --as-of`: the predictions of a past moment, from the records of
then; a date is the end of that day in the school's time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import click
import pytest
from flask import Flask
from helpers import logging_preserved

import manage
from quest_platform.extensions import db
from quest_platform.models import Classroom, Enrollment, QuestAssignment

LOS_ANGELES = "America/Los_Angeles"
# The present of the parsing tests: a Wednesday evening in Los Angeles (Thursday in UTC).
NOW = datetime(2025, 3, 13, 3, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def run_cli(app: Flask, *args: str):
    """Run a manage.py command against ``app``, as `python manage.py ...` would."""
    with logging_preserved():
        return app.test_cli_runner().invoke(manage.cli, list(args))


def as_of(value: str, zone: str = LOS_ANGELES) -> datetime:
    return manage.as_of_moment(value, zone=zone, now=NOW)


# Reading the moment


def test_a_date_is_the_end_of_that_day_in_the_schools_time_zone():
    # Pacific daylight time (UTC-7) from 9 March 2025.
    assert as_of("2025-03-10") == datetime(2025, 3, 11, 6, 59, 59, 999999, tzinfo=UTC)
    assert as_of("2025-03-10", zone="UTC") == datetime(2025, 3, 10, 23, 59, 59, 999999, UTC)


def test_the_schools_today_is_as_of_now():
    assert as_of("2025-03-12") == NOW


def test_a_time_without_an_offset_is_on_the_schools_clock():
    assert as_of("2025-03-10T15:30") == datetime(2025, 3, 10, 22, 30, tzinfo=UTC)
    assert as_of("2025-03-10 15:30") == datetime(2025, 3, 10, 22, 30, tzinfo=UTC)


def test_a_time_with_an_offset_is_that_moment():
    assert as_of("2025-03-10T15:30+01:00") == datetime(2025, 3, 10, 14, 30, tzinfo=UTC)
    assert as_of("2025-03-13T03:00Z") == NOW


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2025-03-13", "2025-03-13 is in the future."),
        ("2025-03-13T03:00:01Z", "2025-03-13T03:00:01Z is in the future."),
        ("2025-03-12T20:01", "2025-03-12T20:01 is in the future."),
        ("last tuesday", "'last tuesday' is not a date or a date and time"),
        ("2025-02-30", "'2025-02-30' is not a date or a date and time"),
        ("", "'' is not a date or a date and time"),
        ("2025-03-09T02:30", "2025-03-09T02:30 does not exist in America/Los_Angeles"),
    ],
)
def test_a_future_moment_or_anything_else_is_refused(value, message):
    with pytest.raises(click.BadParameter) as refusal:
        as_of(value)
    assert message in refusal.value.format_message()


# The report


@pytest.fixture
def classroom(make) -> Classroom:
    """A classroom of two students, enrolled in February 2025, given one quest on 1 March and
    another at 03:00 UTC on 11 March (still 10 March in Los Angeles)."""
    teacher = make.teacher()
    classroom = make.classroom(teachers=[teacher])
    for _ in range(2):
        db.session.add(
            Enrollment(
                classroom=classroom,
                student=make.student(),
                enrolled_at=datetime(2025, 2, 20, tzinfo=UTC),
            )
        )
    for given in (datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 3, 11, 3, tzinfo=UTC)):
        db.session.add(
            QuestAssignment(
                quest=make.quest(),
                classroom=classroom,
                opens_at=given + DAY,
                due_at=given + 15 * DAY,
                assigned_at=given,
            )
        )
    db.session.commit()
    return classroom


def quest_titles(classroom: Classroom) -> list[str]:
    """The titles of the quests given to ``classroom``, in the order they were given."""
    given = sorted(classroom.assignments, key=lambda assignment: assignment.assigned_at)
    return [assignment.quest.title for assignment in given]


def reported_quests(output: str, classroom: Classroom) -> dict[str, int]:
    """How many rows of the table of each student's quests name each quest of ``classroom``."""
    lines = output.splitlines()
    heading = next(number for number, line in enumerate(lines) if line.startswith("| Student |"))
    rows = [line for line in lines[heading + 2 :] if line.startswith("| ")]
    return {title: sum(f"| {title} |" in row for row in rows) for title in quest_titles(classroom)}


def predictions_report(app: Flask, classroom: Classroom, *options: str) -> dict[str, int]:
    result = run_cli(app, "report", "predictions", "--classroom", str(classroom.id), *options)
    assert result.exit_code == 0, result.output
    return reported_quests(result.output, classroom)


def test_the_report_as_of_a_day_holds_the_quests_given_by_its_end(app, classroom, monkeypatch):
    first, second = quest_titles(classroom)
    assert predictions_report(app, classroom) == {first: 2, second: 2}
    monkeypatch.setitem(app.config, "SCHOOL_TIME_ZONE", "UTC")
    assert predictions_report(app, classroom, "--as-of", "2025-03-10") == {first: 2, second: 0}
    monkeypatch.setitem(app.config, "SCHOOL_TIME_ZONE", LOS_ANGELES)
    assert predictions_report(app, classroom, "--as-of", "2025-03-10") == {first: 2, second: 2}
    assert predictions_report(app, classroom, "--as-of", "2025-03-10T19:59") == {
        first: 2,
        second: 0,
    }


def test_the_report_as_of_a_moment_leaves_out_the_students_who_came_later(app, make, classroom):
    enrolled = datetime(2025, 3, 5, tzinfo=UTC)
    db.session.add(Enrollment(classroom=classroom, student=make.student(), enrolled_at=enrolled))
    db.session.commit()
    first, second = quest_titles(classroom)
    assert predictions_report(app, classroom, "--as-of", "2025-03-04") == {first: 2, second: 0}
    assert predictions_report(app, classroom, "--as-of", "2025-03-05") == {first: 3, second: 0}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2999-01-01", "Invalid value for '--as-of': 2999-01-01 is in the future."),
        ("soon", "Invalid value for '--as-of': 'soon' is not a date or a date and time"),
    ],
)
def test_the_report_refuses_a_future_moment_or_garbage(app, classroom, value, message):
    result = run_cli(app, "report", "predictions", "--as-of", value)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_the_help_explains_as_of(app):
    result = run_cli(app, "report", "predictions", "--help")
    assert result.exit_code == 0
    assert "--as-of MOMENT" in result.output
