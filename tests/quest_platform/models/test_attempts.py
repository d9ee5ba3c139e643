"""Attempts are append-only, and the database itself keeps their scores and outcomes sane."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from quest_platform.models import AppendOnlyError, Attempt, Outcome, utcnow


@pytest.fixture
def record_attempt(db, make):
    """Record an attempt of a student at the first stage of a quest (values overridable)."""
    student, quest = make.student(), make.quest()

    def record(**overrides) -> Attempt:
        now = utcnow()
        values = {
            "student": student,
            "quest": quest,
            "stage": quest.stages[0],
            "started_at": now - timedelta(minutes=5),
            "submitted_at": now,
            "answer": {"choice": 1},
            "score": 8.0,
            "max_score": 10.0,
            "outcome": Outcome.PASSED.value,
        }
        attempt = Attempt(**{**values, **overrides})
        db.session.add(attempt)
        db.session.commit()
        return attempt

    return record


def attempt_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Attempt))


def test_attempts_are_recorded(db, record_attempt):
    attempt = record_attempt()
    assert attempt.id is not None
    assert attempt_count(db) == 1


def test_a_recorded_attempt_cannot_be_changed(db, record_attempt):
    attempt = record_attempt()
    attempt.score = 10.0
    with pytest.raises(AppendOnlyError):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(Attempt, attempt.id).score == 8.0


def test_a_recorded_attempt_cannot_be_deleted(db, record_attempt):
    attempt = record_attempt()
    db.session.delete(attempt)
    with pytest.raises(AppendOnlyError):
        db.session.commit()
    db.session.rollback()
    assert attempt_count(db) == 1


def test_a_second_answer_is_a_new_attempt(db, record_attempt):
    record_attempt(score=3.0, outcome=Outcome.FAILED.value)
    record_attempt(score=9.0)
    assert attempt_count(db) == 2


@pytest.mark.parametrize(
    "values",
    [
        {"score": 11.0},
        {"score": -1.0},
        {"max_score": -1.0, "score": None, "outcome": "pending_review"},
        {"outcome": "cheated"},
        {"score": None, "outcome": "passed"},
        {"submitted_at": utcnow() - timedelta(hours=1)},
    ],
    ids=[
        "score-above-max",
        "negative-score",
        "negative-max",
        "unknown-outcome",
        "unscored-but-passed",
        "submitted-before-started",
    ],
)
def test_the_database_refuses_impossible_attempts(db, record_attempt, values):
    with pytest.raises(IntegrityError):
        record_attempt(**values)
    db.session.rollback()
    assert attempt_count(db) == 0


def test_pending_review_attempts_have_no_score_yet(db, record_attempt):
    attempt = record_attempt(score=None, outcome=Outcome.PENDING_REVIEW.value)
    assert attempt.score is None
