"""The points ledger is append-only, and the database keeps each entry's cause and points sane."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from quest_platform.models import AppendOnlyError, Outcome, PointsEntry, PointsReason


@pytest.fixture
def enter(db, make):
    """Enter points for a student's passed attempt (values overridable)."""
    student, quest = make.student(), make.quest()
    attempt = make.attempt(
        student=student, quest=quest, position=1, outcome=Outcome.PASSED.value, score=10.0
    )

    def entry(**overrides: Any) -> PointsEntry:
        values = {
            "student_id": student.id,
            "quest_id": quest.id,
            "stage_id": attempt.stage_id,
            "attempt_id": attempt.id,
            "points": 10,
            "reason": PointsReason.STAGE_SCORE.value,
        }
        points = PointsEntry(**(values | overrides))
        db.session.add(points)
        db.session.commit()
        return points

    return entry


def test_an_entry_is_never_changed_or_deleted(db, enter) -> None:
    entry = enter()

    entry.points = 99
    with pytest.raises(AppendOnlyError):
        db.session.flush()
    db.session.rollback()
    db.session.delete(entry)
    with pytest.raises(AppendOnlyError):
        db.session.flush()


@pytest.mark.parametrize(
    "overrides",
    [
        {"points": 0},
        {"reason": "bribe"},
        {"attempt_id": None},
        {"stage_id": None},
        {"reason": PointsReason.ACHIEVEMENT.value},
    ],
)
def test_the_database_refuses_an_entry_without_points_or_a_known_cause(
    db, enter, overrides: dict[str, Any]
) -> None:
    with pytest.raises(IntegrityError):
        enter(**overrides)
    db.session.rollback()


def test_a_lower_score_may_take_points_back(enter) -> None:
    assert enter(points=-5).points == -5
