"""The announcements: a quest assigned, due tomorrow, a live game or a code race starting, and
reviews posted; each in the class's language, on the school's clock, with a link to the
platform, once only, and never failing the change it announces."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask_babel import force_locale, get_translations
from helpers import code_quest, logging_preserved, post_form, shown_moment
from sqlalchemy import select

import manage
from quest_platform.extensions import db
from quest_platform.models import QuestAssignment, SlackPost, utcnow
from quest_platform.services import slack
from quest_platform.services.games import open_game
from quest_platform.services.quests import assign_quest
from quest_platform.services.races import start_race
from quest_platform.services.reviews import review_attempt

SCHOOL_ZONE = "America/Chicago"
ASSIGNED = "New quest for %(classroom)s: “%(quest)s”. It opens %(opens)s and is due %(due)s."
ASSIGNED_ES = "Nueva misión para %(classroom)s: «%(quest)s». Abre el %(opens)s y vence el %(due)s."


@pytest.fixture
def school_clock(app: Flask, monkeypatch: pytest.MonkeyPatch) -> str:
    """The school keeps Chicago's time (and the platform has no external address)."""
    monkeypatch.setitem(app.config, "SCHOOL_TIME_ZONE", SCHOOL_ZONE)
    monkeypatch.setitem(app.config, "EXTERNAL_URL", None)
    return SCHOOL_ZONE


@pytest.fixture
def spanish(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Callable[[str, str], None]:
    """Give an English message its Spanish in the catalog while the test runs.

    The Spanish catalog is filled after the code; these tests prove that a Spanish class is
    written to in Spanish, words (from the catalog) and dates (from the locale) alike.
    """

    def translate(english: str, spanish_text: str) -> None:
        with app.test_request_context(), force_locale("es_419"):
            catalog = get_translations()._catalog
        monkeypatch.setitem(catalog, english, spanish_text)

    return translate


def keys_of(classroom) -> list[str]:
    db.session.rollback()
    query = select(SlackPost.key).where(SlackPost.classroom_id == classroom.id)
    return list(db.session.scalars(query.order_by(SlackPost.id)))


def test_a_quest_assigned_in_the_admin_is_announced_in_spanish_on_the_school_clock(
    client, make, login_as, slack_class, fake_slack, school_clock, spanish
) -> None:
    """The teacher reads their own clock (Tokyo) and English; the class reads Chicago's and
    Spanish. The link is to the quest, at the address the teacher reached the platform by."""
    spanish(ASSIGNED, ASSIGNED_ES)
    teacher = slack_class.teachers[0]
    teacher.time_zone = "Asia/Tokyo"
    slack_class.language = "es"
    db.session.commit()
    quest = make.quest()
    login_as(teacher)

    data = {
        "quest": str(quest.id),
        "classroom": str(slack_class.id),
        "opens_at": "2030-03-02T08:30",
        "due_at": "2030-03-16T17:00",
    }
    assert post_form(client, "/admin/assignment/new/", data).status_code == 302

    assignment = db.session.scalar(select(QuestAssignment).where(QuestAssignment.quest == quest))
    opens = shown_moment(datetime(2030, 3, 1, 23, 30, tzinfo=UTC), SCHOOL_ZONE, "es_419")
    due = shown_moment(datetime(2030, 3, 16, 8, 0, tzinfo=UTC), SCHOOL_ZONE, "es_419")
    assert opens == "1 mar 2030, 5:30\u202fp.m."
    assert fake_slack.texts == [
        f"Nueva misión para {slack_class.name}: «{quest.title}». Abre el {opens} y vence el "
        f"{due}.\n<http://localhost/quests/{quest.slug}>"
    ]
    assert keys_of(slack_class) == [f"assigned:{assignment.id}"]


def test_an_english_class_is_written_to_in_english_whatever_the_teacher_reads(
    client, make, login_as, slack_class, fake_slack, school_clock, app, monkeypatch
) -> None:
    monkeypatch.setitem(app.config, "EXTERNAL_URL", "https://quest.example.org")
    teacher = slack_class.teachers[0]
    teacher.language, teacher.time_zone = "es", "UTC"
    db.session.commit()
    quest = make.quest()
    login_as(teacher)
    data = {
        "quest": str(quest.id),
        "classroom": str(slack_class.id),
        "opens_at": "2030-03-02T08:30",
        "due_at": "2030-03-16T17:00",
    }

    assert post_form(client, "/admin/assignment/new/", data).status_code == 302

    opens = shown_moment(datetime(2030, 3, 2, 8, 30, tzinfo=UTC), SCHOOL_ZONE)
    due = shown_moment(datetime(2030, 3, 16, 17, 0, tzinfo=UTC), SCHOOL_ZONE)
    assert fake_slack.texts == [
        f"New quest for {slack_class.name}: “{quest.title}”. It opens {opens} and is due {due}."
        f"\n<https://quest.example.org/quests/{quest.slug}>"
    ]


def test_names_are_written_so_that_slack_shows_them_as_typed(
    make, slack_class, fake_slack, school_clock
) -> None:
    """A title cannot ping the whole channel or make a link of its own."""
    slack_class.name = "CS <!channel> & co"
    db.session.commit()
    quest = make.quest()

    make.assignment(quest=quest, classroom=slack_class)

    [text] = fake_slack.texts
    assert text.startswith("New quest for CS &lt;!channel&gt; &amp; co: ")
    assert "<!channel>" not in text


def assign_due(quest, classroom, due_at: datetime) -> QuestAssignment:
    return assign_quest(
        quest=quest,
        classroom=classroom,
        opens_at=due_at - timedelta(days=7),
        due_at=due_at,
        by=None,
    )


def test_due_tomorrow_reminds_each_class_once_of_what_is_due_within_a_day(
    app, make, slack_class, fake_slack, school_clock, monkeypatch
) -> None:
    monkeypatch.setitem(app.config, "EXTERNAL_URL", "https://school.example.org/quest")
    now = utcnow()
    soon = assign_due(make.quest(), slack_class, now + timedelta(hours=5))
    later = assign_due(make.quest(), slack_class, now + timedelta(days=3))
    assign_due(make.quest(), make.classroom(), now + timedelta(hours=5))  # no Slack
    assign_due(make.quest(), slack_class, now - timedelta(hours=1))  # already past
    announced = len(fake_slack.received)

    with logging_preserved():
        first = app.test_cli_runner().invoke(manage.cli, ["slack", "due-tomorrow"])
        again = app.test_cli_runner().invoke(manage.cli, ["slack", "due-tomorrow"])

    assert (first.exit_code, first.output) == (0, "Queued 1 reminder.\n")
    assert (again.exit_code, again.output) == (0, "Queued 0 reminders.\n")
    due = shown_moment(soon.due_at, SCHOOL_ZONE)
    assert fake_slack.texts[announced:] == [
        f"Reminder for {slack_class.name}: “{soon.quest.title}” is due {due}."
        f"\n<https://school.example.org/quest/quests/{soon.quest.slug}>"
    ]
    assert f"due:{soon.id}" in keys_of(slack_class)
    assert f"due:{later.id}" not in keys_of(slack_class)


def test_without_an_external_address_the_reminder_has_no_link(
    app, make, slack_class, fake_slack, school_clock
) -> None:
    """From cron there is no request to take the platform's address from."""
    assign_due(make.quest(), slack_class, utcnow() + timedelta(hours=5))

    with app.app_context():
        assert slack.announce_due_assignments() == 1

    assert "\n<" not in fake_slack.texts[-1]
    assert fake_slack.texts[-1].startswith(f"Reminder for {slack_class.name}: ")


def test_a_live_game_starting_is_announced_with_its_code(
    app, make, slack_class, fake_slack, monkeypatch
) -> None:
    monkeypatch.setitem(app.config, "EXTERNAL_URL", "https://quest.example.org")
    quest = make.quest()
    make.assignment(quest=quest, classroom=slack_class)

    game = open_game(classroom=slack_class, stages=[quest.stages[1]], by=slack_class.teachers[0])

    assert fake_slack.texts[-1] == (
        f"A live game is starting in {slack_class.name}: join with the code {game.code}."
        f"\n<https://quest.example.org/games/join/{game.code}>"
    )
    assert keys_of(slack_class)[-1] == f"game:{game.id}"


def test_a_code_race_is_announced_when_it_starts_or_is_set_for_later(
    make, slack_class, fake_slack, school_clock
) -> None:
    teacher = slack_class.teachers[0]
    quest = code_quest(make, None, classroom=slack_class)
    other = code_quest(make, None, classroom=slack_class)
    now = utcnow()

    first = start_race(
        classroom=slack_class,
        stage=quest.stages[0],
        minutes=15,
        first_points=30,
        min_points=5,
        by=teacher,
        now=now,
    )
    later = start_race(
        classroom=slack_class,
        stage=other.stages[0],
        minutes=1,
        first_points=30,
        min_points=5,
        by=teacher,
        starts_at=now + timedelta(days=1),
        now=now,
    )

    stage = quest.stages[0].title
    assert fake_slack.texts[-2:] == [
        f"A code race on “{stage}” of “{quest.title}” has started in {slack_class.name}: "
        "it lasts 15 minutes.",
        f"A code race on “{stage}” of “{other.title}” starts "
        f"{shown_moment(later.starts_at, SCHOOL_ZONE)} in {slack_class.name} and lasts 1 minute.",
    ]
    assert keys_of(slack_class)[-2:] == [f"race:{first.id}", f"race:{later.id}"]


def test_reviews_are_announced_once_a_stage_a_day_on_the_school_calendar(
    make, slack_class, fake_slack, school_clock
) -> None:
    teacher = slack_class.teachers[0]
    students = [enrollment.student for enrollment in slack_class.enrollments]
    quest = make.quest()
    make.assignment(quest=quest, classroom=slack_class)
    attempts = [make.attempt(student=student, quest=quest) for student in students]
    before = len(fake_slack.received)

    for attempt in attempts:
        review_attempt(attempt=attempt, score=8, outcome="passed", reason="", by=teacher)
    # Changing a result is not news to the class.
    review_attempt(attempt=attempts[0], score=5, outcome="failed", reason="Misread.", by=teacher)

    stage = attempts[0].stage
    assert fake_slack.texts[before:] == [
        f"Reviews of “{stage.title}” of “{quest.title}” were posted for {slack_class.name}."
    ]
    # 05:00 and 07:00 UTC fall on two days in Chicago (23:00 and 01:00); 20:00 on the second.
    for hour in (5, 7, 20):
        moment = datetime(2030, 3, 2, hour, 0, tzinfo=UTC)
        slack.announce_reviews_posted(attempt=attempts[1], by=teacher, now=moment)
    keys = [key for key in keys_of(slack_class) if key.startswith("reviews:")]
    assert keys[1:] == [f"reviews:{stage.id}:2030-03-01", f"reviews:{stage.id}:2030-03-02"]
    for student in students:
        assert all(student.display_name not in text for text in fake_slack.texts)


def test_reviews_are_announced_only_in_classes_the_reviewer_teaches(
    make, slack_class, fake_slack, school_clock
) -> None:
    teacher = slack_class.teachers[0]
    student = slack_class.enrollments[0].student
    other_class = make.classroom(students=[student])
    other_class.slack_webhook_url = f"{fake_slack.origin}/services/T0TEST/B0TEST/otherclass"
    db.session.commit()
    quest = make.quest()
    make.assignment(quest=quest, classroom=slack_class)
    make.assignment(quest=quest, classroom=other_class)
    attempt = make.attempt(student=student, quest=quest)

    review_attempt(attempt=attempt, score=8, outcome="passed", reason="", by=teacher)

    assert [key.split(":")[0] for key in keys_of(other_class)] == ["assigned"]
    assert keys_of(slack_class)[-1].startswith(f"reviews:{attempt.stage_id}:")


def test_slack_down_never_fails_the_change_it_announces(
    client, make, login_as, slack_class, fake_slack
) -> None:
    fake_slack.answer_with(500, 500, 500)
    quest = make.quest()
    login_as(slack_class.teachers[0])
    data = {
        "quest": str(quest.id),
        "classroom": str(slack_class.id),
        "opens_at": "2030-03-02T08:30",
        "due_at": "2030-03-16T17:00",
    }

    response = post_form(client, "/admin/assignment/new/", data)

    assert response.status_code == 302
    assignment = db.session.scalar(select(QuestAssignment).where(QuestAssignment.quest == quest))
    assert assignment is not None
    post = db.session.scalar(select(SlackPost).where(SlackPost.classroom_id == slack_class.id))
    assert (post.status, post.tries) == ("failed", 3)


def test_a_broken_announcement_is_logged_and_the_change_still_made(
    make, slack_class, fake_slack, monkeypatch, caplog
) -> None:
    def broken(**kwargs):
        raise RuntimeError("the announcement broke")

    monkeypatch.setattr(slack, "record_post", broken)
    quest = make.quest()

    with caplog.at_level(logging.ERROR, logger="quest_platform.services.slack"):
        assignment = make.assignment(quest=quest, classroom=slack_class)

    assert db.session.get(QuestAssignment, assignment.id) is not None
    assert "The Slack announcement announce_assignment failed." in caplog.text
    assert fake_slack.received == []
