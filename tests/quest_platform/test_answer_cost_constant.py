"""An answer costs the same however many attempts the student made before it.

The answer's statements are counted as the engine sends them; each read is then run again to
count the rows it returns, so a read that grows with the student's history (every earlier try,
every attempt of the last weeks) shows here even when its first row comes fast.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, func, select

from quest_platform.extensions import db
from quest_platform.models import Attempt, Quest, User
from quest_platform.services.attempts import submit_attempt
from quest_platform.services.quests import assign_quest, create_quest, publish_quest

# The quiz of the builders' quest (Builders.stage_drafts) is its second stage.
LESSON, QUIZ = 1, 2
RIGHT = {"responses": {"q1": [1]}}
WRONG = {"responses": {"q1": [0]}}
# Tries at the quiz before the later measured answer: many, as a class's practice piles up.
LONG_HISTORY = 60


@dataclass
class StatementLog:
    """The statements the engine runs while ``recording``, with their parameters."""

    recording: bool = False
    statements: list[tuple[str, Any]] = field(default_factory=list)

    def before(self, conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        if self.recording:
            self.statements.append((statement, parameters))


@pytest.fixture
def statements(app: Any) -> Iterator[StatementLog]:
    log = StatementLog()
    event.listen(db.engine, "before_cursor_execute", log.before)
    yield log
    event.remove(db.engine, "before_cursor_execute", log.before)


@dataclass
class Practice:
    """A student practising a quiz that counts the latest try and takes any number of them."""

    student: User
    quest: Quest
    keys: int = 0

    def answer(self, position: int, answer: dict[str, Any], *, on: datetime) -> Attempt:
        self.keys += 1
        return submit_attempt(
            student=self.student,
            quest=self.quest,
            stage=self.quest.stages[position - 1],
            answer=answer,
            submission_key=f"practice-{self.keys}",
            now=on,
        )

    def tries_at_quiz(self) -> int:
        stage = self.quest.stages[QUIZ - 1]
        query = select(func.count(Attempt.id)).where(
            Attempt.student_id == self.student.id, Attempt.stage_id == stage.id
        )
        return db.session.scalar(query) or 0


@pytest.fixture
def practice(make) -> Practice:
    drafts = make.stage_drafts(7)
    quiz = drafts[QUIZ - 1]
    # The latest try counts: every answer that changes right to wrong moves the points, so the
    # measured answers write to the ledger as well as to the tallies.
    drafts[QUIZ - 1] = replace(quiz, settings=quiz.settings | {"score_policy": "latest"})
    teacher, student = make.teacher(), make.student()
    quest = publish_quest(
        quest=create_quest(
            slug="practice",
            title="Practice",
            theme="West Coast Travel",
            summary="A quiz to practise.",
            stages=drafts,
            author=teacher,
        ),
        by=teacher,
    )
    assign_quest(
        quest=quest,
        classroom=make.classroom(teachers=[teacher], students=[student]),
        opens_at=datetime(2026, 9, 1, tzinfo=UTC),
        due_at=datetime(2027, 1, 31, tzinfo=UTC),
        by=teacher,
    )
    return Practice(student, quest)


def measured(
    practice: Practice, log: StatementLog, *, on: datetime
) -> tuple[int, list[tuple[str, int]]]:
    """Answer the quiz wrong (after a right try) and return the statements it took, and each
    read with the rows it returns when run again.

    The answer starts, as in a request, with a session that holds only the student and the
    quest with its stages, freshly loaded.
    """
    student_id, quest_id = practice.student.id, practice.quest.id
    db.session.close()
    practice.student = db.session.get_one(User, student_id)
    practice.quest = db.session.get_one(Quest, quest_id)
    assert len(practice.quest.stages) > QUIZ
    log.statements.clear()
    log.recording = True
    try:
        practice.answer(QUIZ, WRONG, on=on)
    finally:
        log.recording = False
    reads = []
    connection = db.session.connection()
    for statement, parameters in log.statements:
        if statement.lstrip().upper().startswith("SELECT"):
            rows = connection.exec_driver_sql(statement, parameters).all()
            reads.append((statement, len(rows)))
    db.session.rollback()
    return len(log.statements), reads


def test_an_answer_costs_the_same_after_one_try_and_after_many(
    practice: Practice, statements: StatementLog
) -> None:
    # All on one Monday: one day of work, far from the streak badge, so both measured answers
    # earn nothing and take the same path.
    monday = datetime(2026, 11, 2, 9, tzinfo=UTC)
    practice.answer(LESSON, {"confirmed": True}, on=monday)
    practice.answer(QUIZ, RIGHT, on=monday.replace(minute=5))

    early_count, early_reads = measured(practice, statements, on=monday.replace(minute=10))
    # A long practice, ending with a right try like the first one.
    for number in range(LONG_HISTORY - 2):
        answer = RIGHT if number % 2 else WRONG
        practice.answer(QUIZ, answer, on=monday.replace(hour=10, minute=number))
    assert practice.tries_at_quiz() == LONG_HISTORY
    late_count, late_reads = measured(practice, statements, on=monday.replace(hour=15))

    assert late_count == early_count
    assert [statement for statement, _rows in late_reads] == [
        statement for statement, _rows in early_reads
    ]
    # No read returns more rows with the longer history: none of them reads the earlier tries.
    # (The most any returns is a tally for each stage of the quest.)
    assert [rows for _statement, rows in late_reads] == [rows for _statement, rows in early_reads]
    assert max(rows for _statement, rows in late_reads) <= len(practice.quest.stages)
