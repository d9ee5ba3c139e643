"""The demo is dated from the day it is seeded: the same day gives the same data, a later day
moves it all forward."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from helpers import fresh_database
from sqlalchemy import select
from sqlalchemy.orm import aliased

from quest_platform import create_app
from quest_platform.extensions import db
from quest_platform.models import (
    Attempt,
    Classroom,
    PeerReview,
    PeerReviewAssignment,
    Quest,
    QuestAssignment,
    Stage,
    User,
)
from seeds.load import DEMO_WINDOWS, DemoCalendar, seed_demo

DAY = date(2026, 11, 18)
LATER = DAY + timedelta(days=30)


def seeded_demo(folder: Path, day: date) -> dict[str, list[tuple[Any, ...]]]:
    """Seed the demo as of ``day`` into a database of its own; return what it holds."""
    with fresh_database(folder) as settings:
        app = create_app(
            "testing",
            SESSION_DIR=folder / "sessions",
            DEMO_LOGINS_FILE=folder / "demo-logins.txt",
            **settings,
        )
        with app.app_context():
            db.create_all()
            seed_demo(seed=2026, calendar=DemoCalendar(day=day), echo=lambda line: None)
            contents = demo_contents()
            db.session.remove()
            db.drop_all()
            db.engine.dispose()
    return contents


def demo_contents() -> dict[str, list[tuple[Any, ...]]]:
    """The people, assignments and attempts of the database, by name rather than by id."""
    people = select(User.username, User.display_name).order_by(User.username)
    assignments = (
        select(Classroom.name, Quest.slug, QuestAssignment.opens_at, QuestAssignment.due_at)
        .join(QuestAssignment.classroom)
        .join(QuestAssignment.quest)
        .order_by(Classroom.name, Quest.slug)
    )
    attempts = (
        select(
            User.username,
            Quest.slug,
            Stage.position,
            Attempt.started_at,
            Attempt.submitted_at,
            Attempt.score,
            Attempt.outcome,
            Attempt.answer,
        )
        .join(Attempt.student)
        .join(Attempt.quest)
        .join(Attempt.stage)
        .order_by(Attempt.submitted_at, User.username, Attempt.id)
    )
    author, reviewer = aliased(User), aliased(User)
    reviews = (
        select(
            reviewer.username,
            author.username,
            Attempt.submitted_at,
            PeerReviewAssignment.assigned_at,
            PeerReviewAssignment.due_at,
            PeerReview.submitted_at,
            PeerReview.levels,
            PeerReview.comment,
        )
        .select_from(PeerReviewAssignment)
        .join(Attempt, Attempt.id == PeerReviewAssignment.attempt_id)
        .join(author, author.id == Attempt.student_id)
        .join(reviewer, reviewer.id == PeerReviewAssignment.reviewer_id)
        .outerjoin(PeerReview, PeerReview.assignment_id == PeerReviewAssignment.id)
        .order_by(PeerReviewAssignment.assigned_at, reviewer.username, author.username)
    )
    return {
        "reviews": [tuple(row) for row in db.session.execute(reviews)],
        "people": [tuple(row) for row in db.session.execute(people)],
        "assignments": [tuple(row) for row in db.session.execute(assignments)],
        "attempts": [(*row[:7], sorted(row[7].items())) for row in db.session.execute(attempts)],
    }


@pytest.fixture(scope="module")
def seedings(tmp_path_factory) -> dict[str, dict[str, list[tuple[Any, ...]]]]:
    """The demo seeded on DAY, on DAY again, and a month later."""
    return {
        "first": seeded_demo(tmp_path_factory.mktemp("first"), DAY),
        "again": seeded_demo(tmp_path_factory.mktemp("again"), DAY),
        "later": seeded_demo(tmp_path_factory.mktemp("later"), LATER),
    }


def test_seeding_twice_on_the_same_day_gives_the_same_data(seedings):
    assert seedings["first"]["attempts"], "the demo has attempts"
    assert seedings["again"] == seedings["first"]


def test_the_demo_has_peer_reviews_given_and_written_in_time(seedings):
    reviews = seedings["first"]["reviews"]
    written = [row for row in reviews if row[5] is not None]
    assert len(written) > 10, "most reviews given are written"
    assert len(written) < len(reviews), "some are still to do, or missed"
    for reviewer, author, handed_in, given, due, sent, levels, comment in reviews:
        assert reviewer != author
        assert handed_in <= given < due
        assert sent is None or given < sent < due
        assert sent is None or (levels and comment)


def test_seeding_a_month_later_moves_the_data_forward(seedings):
    first, later = seedings["first"], seedings["later"]
    assert later["people"] == first["people"], "the same seed gives the same people"
    moved = [
        (classroom, slug, opens + timedelta(days=30), due + timedelta(days=30))
        for classroom, slug, opens, due in first["assignments"]
    ]
    # Shifted by whole local days, so the same local hours (the clocks may change in between).
    assert [row[:2] for row in later["assignments"]] == [row[:2] for row in moved]
    for now, shifted in zip(later["assignments"], moved, strict=True):
        assert abs(now[2] - shifted[2]) <= timedelta(hours=1)
        assert abs(now[3] - shifted[3]) <= timedelta(hours=1)
    last = {name: max(row[4] for row in seeding["attempts"]) for name, seeding in seedings.items()}
    assert last["later"] - last["first"] > timedelta(days=29)


def test_the_calendar_counts_from_its_day_in_the_school_time_zone():
    calendar = DemoCalendar(day=DAY)
    assert calendar.now == datetime(2026, 11, 18, 20, 0, tzinfo=UTC), "noon in Los Angeles"
    windows = [calendar.window(number) for number in range(len(DEMO_WINDOWS))]
    overdue, due_this_week, next_week = windows
    assert overdue[1] < calendar.now
    assert calendar.now < due_this_week[1] <= calendar.now + timedelta(days=7)
    assert calendar.now + timedelta(days=6) < next_week[0] < calendar.now + timedelta(days=14)
    assert all(opens < due for opens, due in windows)
