"""Progress: stages unlock in order, results follow the latest review, and quests have a status."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event

from quest_platform.extensions import db
from quest_platform.models import Outcome, Quest, RoleName, User, utcnow
from quest_platform.queries.progress import ProgressStatus, StageState, progress_for
from quest_platform.services.quests import assign_quest
from quest_platform.services.reviews import review_attempt


@pytest.fixture
def student(make) -> User:
    return make.student()


@pytest.fixture
def quest(make, student: User) -> Quest:
    quest = make.quest()
    make.assignment(quest=quest, classroom=make.classroom(students=[student]))
    return quest


def passed(make, student: User, quest: Quest, *positions: int) -> None:
    for position in positions:
        make.attempt(
            student=student,
            quest=quest,
            position=position,
            outcome=Outcome.PASSED.value,
            score=10.0,
        )


def states(student: User, quest: Quest) -> list[tuple[StageState, bool]]:
    return [
        (stage.state, stage.unlocked) for stage in progress_for(student=student, quest=quest).stages
    ]


def test_a_new_student_has_only_the_first_stage_open(student: User, quest: Quest) -> None:
    progress = progress_for(student=student, quest=quest)

    assert progress.status == ProgressStatus.NOT_STARTED
    assert [stage.unlocked for stage in progress.stages] == [True] + [False] * 6
    assert progress.next_stage is not None
    assert progress.next_stage.stage.position == 1
    assert progress.finished_count == 0
    assert progress.assignment is not None


def test_passing_a_stage_opens_the_next(make, student: User, quest: Quest) -> None:
    passed(make, student, quest, 1)

    progress = progress_for(student=student, quest=quest)

    assert progress.status == ProgressStatus.IN_PROGRESS
    assert states(student, quest)[:3] == [
        (StageState.PASSED, True),
        (StageState.NOT_STARTED, True),
        (StageState.NOT_STARTED, False),
    ]
    assert progress.finished_count == 1
    assert progress.next_stage.stage.position == 2


def test_a_failed_try_keeps_the_next_stage_locked(make, student: User, quest: Quest) -> None:
    passed(make, student, quest, 1)
    make.attempt(student=student, quest=quest, position=2, outcome="failed", score=0.0)

    assert states(student, quest)[1:3] == [
        (StageState.FAILED, True),
        (StageState.NOT_STARTED, False),
    ]


def test_a_checkpoint_waiting_for_review_opens_the_next_stage_but_is_not_finished(
    make, student: User, quest: Quest
) -> None:
    passed(make, student, quest, 1, 2)
    make.attempt(student=student, quest=quest, position=3)

    progress = progress_for(student=student, quest=quest)

    assert states(student, quest)[2:4] == [
        (StageState.AWAITING_REVIEW, True),
        (StageState.NOT_STARTED, True),
    ]
    assert progress.finished_count == 2
    assert progress.next_stage.stage.position == 4


@pytest.mark.parametrize(
    ("outcome", "state"), [("passed", StageState.PASSED), ("failed", StageState.FAILED)]
)
def test_the_latest_review_decides_a_stage(
    make, student: User, quest: Quest, outcome: str, state: StageState
) -> None:
    passed(make, student, quest, 1, 2)
    checkpoint = make.attempt(student=student, quest=quest, position=3)
    first = "failed" if outcome == "passed" else "passed"
    admin = make.user(RoleName.ADMIN)
    for decided in (first, outcome):
        score = 10 if decided == "passed" else 5
        review_attempt(attempt=checkpoint, score=score, outcome=decided, reason="Why", by=admin)

    assert states(student, quest)[2][0] == state


def test_a_stage_out_of_tries_is_finished_and_opens_the_next(make, student: User) -> None:
    quest = make.quest()
    make.assignment(quest=quest, classroom=make.classroom(students=[student]))
    quiz = quest.stages[1]
    quiz.settings = {**quiz.settings, "max_tries": 2}
    db.session.commit()
    passed(make, student, quest, 1)
    for _ in range(2):
        make.attempt(student=student, quest=quest, position=2, outcome="failed", score=0.0)

    assert states(student, quest)[1:3] == [
        (StageState.OUT_OF_TRIES, True),
        (StageState.NOT_STARTED, True),
    ]


def test_a_late_timed_stage_is_finished(make, student: User, quest: Quest) -> None:
    passed(make, student, quest, 1, 2, 3, 4, 5)
    make.attempt(student=student, quest=quest, position=6, outcome="late", score=0.0)

    assert states(student, quest)[5:] == [(StageState.LATE, True), (StageState.NOT_STARTED, True)]


def test_a_quest_with_every_stage_finished_is_done_even_after_its_due_date(
    make, student: User, quest: Quest
) -> None:
    passed(make, student, quest, *range(1, 8))
    later = utcnow() + timedelta(days=30)

    progress = progress_for(student=student, quest=quest, now=later)

    assert progress.status == ProgressStatus.DONE
    assert progress.finished_count == 7
    assert progress.next_stage is None


def test_an_unfinished_quest_past_its_due_date_is_overdue(
    make, student: User, quest: Quest
) -> None:
    passed(make, student, quest, 1)
    after = progress_for(student=student, quest=quest).assignment.due_at + timedelta(seconds=1)

    assert progress_for(student=student, quest=quest, now=after).status == ProgressStatus.OVERDUE


def test_a_student_in_two_classes_given_the_quest_gets_the_later_due_date(
    make, student: User, quest: Quest
) -> None:
    second = make.classroom(students=[student])
    later = assign_quest(
        quest=quest,
        classroom=second,
        opens_at=utcnow(),
        due_at=utcnow() + timedelta(days=60),
        by=None,
    )

    assert progress_for(student=student, quest=quest).assignment.id == later.id


def test_a_quest_not_given_to_the_student_has_no_assignment(make, student: User) -> None:
    progress = progress_for(student=student, quest=make.quest())

    assert progress.assignment is None
    assert progress.status == ProgressStatus.NOT_STARTED


def test_only_the_students_own_attempts_count(make, student: User, quest: Quest) -> None:
    passed(make, make.student(), quest, 1)

    assert states(student, quest)[0] == (StageState.NOT_STARTED, True)


def test_progress_takes_two_queries_whatever_the_number_of_attempts(
    make, student: User, quest: Quest
) -> None:
    passed(make, student, quest, 1, 2, 3, 4)
    # Load the rows the test already holds (a commit expired them): they are not the progress's.
    db.session.refresh(student)
    db.session.refresh(quest, ["stages"])
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        progress_for(student=student, quest=quest)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)

    assert len(statements) == 2
