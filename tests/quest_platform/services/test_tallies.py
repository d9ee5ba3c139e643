"""Tallies: the running totals each answer and review keeps, always equal to the record they sum."""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest
from sqlalchemy import delete, func, select, text

from quest_platform.database import MIGRATIONS_DIR
from quest_platform.extensions import db
from quest_platform.models import (
    Attempt,
    PointsEntry,
    QuestTally,
    RoleName,
    StageTally,
    User,
)
from quest_platform.services.achievements import ensure_achievements
from quest_platform.services.attempts import start_timed_stage, submit_attempt
from quest_platform.services.reviews import review_attempt
from quest_platform.services.tallies import counted_points, lock_quest_tally, strongest

PASSING = {
    1: {"confirmed": True},
    2: {"responses": {"q1": [1]}},
    3: {"evidence": "def login(): check_password_hash(...)"},
    4: {"text": "Sessions live on the server; the cookie only names them. " * 2},
    5: {"ticked": [0]},
    6: {"responses": {"t1": " post "}},
    7: {"confirmed": True},
}
WRONG_QUIZ = {"responses": {"q1": [0]}}


def answer(
    student: User, quest: Any, position: int, reply: dict[str, Any] | None = None
) -> Attempt:
    stage = quest.stages[position - 1]
    if stage.kind == "timed":
        start_timed_stage(student=student, quest=quest, stage=stage)
    return submit_attempt(
        student=student,
        quest=quest,
        stage=stage,
        answer=PASSING[position] if reply is None else reply,
        submission_key=f"{student.id}-{position}-{db.session.scalar(select(func.count(Attempt.id)))}",
    )


def snapshot() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Every stage and quest tally, as plain rows in a stable order."""
    stages = db.session.execute(
        select(
            StageTally.student_id,
            StageTally.stage_id,
            StageTally.quest_id,
            StageTally.tries,
            StageTally.outcome,
            StageTally.points,
        ).order_by(StageTally.student_id, StageTally.stage_id)
    ).all()
    quests = db.session.execute(
        select(
            QuestTally.student_id,
            QuestTally.quest_id,
            QuestTally.points,
            QuestTally.bonus_points,
            QuestTally.best_quiz,
            QuestTally.scored_at,
        ).order_by(QuestTally.student_id, QuestTally.quest_id)
    ).all()
    # Shares computed in SQL and in Python may differ in the last binary digit.
    rounded = [(*row[:4], None if row[4] is None else round(row[4], 9), row[5]) for row in quests]
    return [tuple(row) for row in stages], rounded


@pytest.fixture
def worked(make) -> dict[str, Any]:
    """Two students' work on a quest: passes, a failed then passed quiz, a checkpoint marked and
    then overridden, a timed quiz, and the achievements they earn."""
    ensure_achievements()
    ana, ben = make.student(), make.student()
    quest = make.quest()
    classroom = make.classroom(students=[ana, ben])
    make.assignment(quest=quest, classroom=classroom)
    teacher = classroom.teachers[0]
    answer(ana, quest, 1)
    answer(ana, quest, 2, WRONG_QUIZ)
    answer(ana, quest, 2)
    checkpoint = answer(ana, quest, 3)
    review_attempt(attempt=checkpoint, score=7, outcome="passed", reason="", by=teacher)
    review_attempt(attempt=checkpoint, score=4, outcome="failed", reason="Wrong file", by=teacher)
    for position in (1, 2):
        answer(ben, quest, position, WRONG_QUIZ if position == 2 else None)
    return {"ana": ana, "ben": ben, "quest": quest, "teacher": teacher}


def test_every_tally_equals_the_record_it_sums(worked) -> None:
    for tally in db.session.scalars(select(StageTally)):
        attempts = db.session.scalars(
            select(Attempt)
            .where(Attempt.student_id == tally.student_id, Attempt.stage_id == tally.stage_id)
            .order_by(Attempt.id)
        ).all()
        results = [attempt.result for attempt in attempts]
        stage_points = select(func.sum(PointsEntry.points)).where(
            PointsEntry.student_id == tally.student_id,
            PointsEntry.stage_id == tally.stage_id,
            PointsEntry.reason == "stage_score",
        )
        assert tally.tries == len(attempts)
        assert tally.outcome == strongest(outcome for _score, outcome in results)
        stage = attempts[0].stage
        assert tally.points == counted_points(stage, [score for score, _outcome in results])
        assert tally.points == (db.session.scalar(stage_points) or 0)
    for tally in db.session.scalars(select(QuestTally)):
        ledger = select(func.sum(PointsEntry.points)).where(
            PointsEntry.student_id == tally.student_id, PointsEntry.quest_id == tally.quest_id
        )
        assert tally.points == (db.session.scalar(ledger) or 0)


def test_a_review_moves_the_stage_and_the_quest_with_it(worked) -> None:
    ana, quest = worked["ana"], worked["quest"]
    checkpoint = quest.stages[2]
    tally = db.session.get(StageTally, (ana.id, checkpoint.id))

    # Marked passed for 7, then overridden to failed for 4: the latest review counts.
    assert (tally.tries, tally.outcome, tally.points) == (1, "failed", 4)
    entries = db.session.scalars(
        select(PointsEntry.points)
        .where(PointsEntry.student_id == ana.id, PointsEntry.stage_id == checkpoint.id)
        .order_by(PointsEntry.id)
    ).all()
    assert entries[:1] == [7]
    assert -3 in entries


def test_the_best_quiz_follows_the_best_try(worked) -> None:
    ana, ben, quest = worked["ana"], worked["ben"], worked["quest"]

    assert db.session.get(QuestTally, (ana.id, quest.id)).best_quiz == 1.0
    assert db.session.get(QuestTally, (ben.id, quest.id)).best_quiz == 0.0


def test_the_migration_counts_the_same_tallies_from_the_record(worked, make) -> None:
    # A timed quiz and an achievement bonus too, then count everything again from the record.
    ana, quest = worked["ana"], worked["quest"]
    answer(ana, quest, 3)
    for position in (4, 5, 6):
        answer(ana, quest, position)
    kept = snapshot()
    assert kept[0]
    assert kept[1]
    db.session.execute(delete(StageTally))
    db.session.execute(delete(QuestTally))
    migration = load_migration("0009_tallies.py")

    db.session.execute(text(migration.STAGE_TALLIES))
    db.session.execute(text(migration.QUEST_TALLIES))
    db.session.commit()

    assert snapshot() == kept


def test_the_lock_is_one_row_per_student_and_quest(make) -> None:
    student, quest = make.student(), make.quest()

    first = lock_quest_tally(student_id=student.id, quest_id=quest.id)
    db.session.commit()
    again = lock_quest_tally(student_id=student.id, quest_id=quest.id)
    db.session.commit()

    assert (first.student_id, first.quest_id) == (again.student_id, again.quest_id)
    assert db.session.scalar(select(func.count()).select_from(QuestTally)) == 1


def test_an_administrators_review_counts_like_a_teachers(worked, make) -> None:
    ben, quest = worked["ben"], worked["quest"]
    admin = make.user(RoleName.ADMIN)
    quiz = db.session.scalars(
        select(Attempt).where(Attempt.student_id == ben.id, Attempt.stage_id == quest.stages[1].id)
    ).one()

    review_attempt(attempt=quiz, score=10, outcome="passed", reason="Regraded", by=admin)

    tally = db.session.get(StageTally, (ben.id, quest.stages[1].id))
    assert (tally.outcome, tally.points) == ("passed", 10)
    assert db.session.get(QuestTally, (ben.id, quest.id)).best_quiz == 1.0


def load_migration(name: str) -> Any:
    """A migration script of migrations/versions as a module."""
    spec = importlib.util.spec_from_file_location(name, MIGRATIONS_DIR / "versions" / name)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
