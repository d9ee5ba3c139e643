"""submit_attempt: records, grades and rewards an answer once, and refuses what is not allowed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from quest_platform.extensions import db
from quest_platform.models import (
    AchievementAward,
    Attempt,
    Enrollment,
    Outcome,
    PointsEntry,
    PointsReason,
    Quest,
    QuestAssignment,
    StageKind,
    User,
    utcnow,
)
from quest_platform.services.achievements import ensure_achievements
from quest_platform.services.attempts import start_timed_stage, submit_attempt
from quest_platform.services.errors import Conflict, NotAllowed, ServiceError
from quest_platform.services.quests import StageDraft, create_quest, publish_quest
from quest_platform.services.reviews import review_attempt

# Answers that pass each stage of the builders' quest (see Builders.stage_drafts).
PASSING = {
    1: {"confirmed": True},
    2: {"responses": {"q1": [1]}},
    3: {"evidence": "def login(): check_password_hash(...)"},
    4: {"text": "Sessions live on the server; the cookie only names them. " * 2},
    5: {"ticked": [0]},
    6: {"responses": {"t1": " post "}},
    7: {"confirmed": True},
}


@dataclass
class Player:
    """A student in a classroom that was given ``quest``; ``submit`` answers one of its stages."""

    student: User
    quest: Quest
    assignment: QuestAssignment
    keys: int = 0

    def submit(
        self,
        position: int,
        answer: dict[str, Any] | None = None,
        *,
        key: str | None = None,
        seconds: float = 30,
        now: datetime | None = None,
        student: User | None = None,
    ) -> Attempt:
        self.keys += 1
        now = now or utcnow()
        stage = self.quest.stages[position - 1]
        if stage.kind == StageKind.TIMED:
            # The clock of a timed stage runs from the start the server recorded.
            start_timed_stage(
                student=student or self.student,
                quest=self.quest,
                stage=stage,
                now=now - timedelta(seconds=seconds),
            )
        return submit_attempt(
            student=student or self.student,
            quest=self.quest,
            stage=stage,
            answer=PASSING[position] if answer is None else answer,
            opened_at=now - timedelta(seconds=seconds),
            submission_key=f"{self.student.id}-{position}-{self.keys}" if key is None else key,
            now=now,
        )

    def complete_through(self, position: int) -> None:
        for earlier in range(1, position + 1):
            self.submit(earlier)


def ledger(student: User, **where: Any) -> list[int]:
    query = select(PointsEntry.points).where(PointsEntry.student_id == student.id)
    for column, value in where.items():
        query = query.where(getattr(PointsEntry, column) == value)
    return list(db.session.scalars(query.order_by(PointsEntry.id)))


def count_attempts(student: User) -> int:
    return db.session.scalar(select(func.count()).where(Attempt.student_id == student.id))


@pytest.fixture
def player(make) -> Player:
    student = make.student()
    classroom = make.classroom(students=[student])
    quest = make.quest()
    return Player(student, quest, make.assignment(quest=quest, classroom=classroom))


def quiz_quest(make, *, points: int = 20, **settings: Any) -> Player:
    """A player of a quest that opens with a two-question quiz with ``settings``."""
    questions = [
        {"id": "a", "type": "single", "prompt": "?", "choices": ["x", "y"], "answer": [0]},
        {"id": "b", "type": "short", "prompt": "?", "accepted": ["yes"]},
    ]
    drafts = [
        StageDraft(
            "quiz",
            "Quiz",
            points=points,
            # Unless a test says otherwise, answers stay hidden and a pass leaves tries open.
            settings={"questions": questions, "reveal_answers": "never", **settings},
        ),
        *[StageDraft("lesson", f"Lesson {n}", "Read this.") for n in range(5)],
    ]
    quest = publish_quest(
        quest=create_quest(
            slug="quiz-first", title="Quiz first", theme="T", summary="", stages=drafts, author=None
        ),
        by=None,
    )
    student = make.student()
    classroom = make.classroom(students=[student])
    return Player(student, quest, make.assignment(quest=quest, classroom=classroom))


RIGHT = {"responses": {"a": [0], "b": "Yes"}}
HALF = {"responses": {"a": [0], "b": "no"}}
WRONG = {"responses": {"a": [1]}}


def test_an_answer_is_recorded_graded_and_its_points_entered(player: Player) -> None:
    attempt = player.submit(1)

    assert (attempt.outcome, attempt.score, attempt.max_score) == (Outcome.PASSED, 10.0, 10.0)
    assert attempt.answer == {"confirmed": True}
    assert attempt.submitted_at - attempt.started_at == timedelta(seconds=30)
    entry = db.session.scalars(select(PointsEntry)).one()
    assert (entry.points, entry.reason, entry.attempt_id) == (
        10,
        PointsReason.STAGE_SCORE,
        attempt.id,
    )
    assert (entry.quest_id, entry.stage_id) == (player.quest.id, attempt.stage_id)


def test_a_resent_submission_returns_the_first_attempt_and_records_nothing_more(
    player: Player,
) -> None:
    first = player.submit(1, key="double-click")
    again = player.submit(1, key="double-click")

    assert again.id == first.id
    assert count_attempts(player.student) == 1
    assert ledger(player.student) == [10]


@pytest.mark.parametrize("max_tries", [3, 1], ids=["tries left", "its try used"])
def test_a_resent_quiz_answer_returns_the_first_attempt(make, max_tries: int) -> None:
    # With tries left the resent answer passes the checks and meets the key's unique
    # constraint; with its one try used the checks refuse it. Either way: the first attempt.
    player = quiz_quest(make, max_tries=max_tries)
    first = player.submit(1, RIGHT, key="resent")
    first_id, points = first.id, ledger(player.student)
    again = player.submit(1, HALF, key="resent")

    assert again.id == first_id
    assert again.score == 20.0
    assert count_attempts(player.student) == 1
    assert ledger(player.student) == points


def test_another_students_submission_key_is_a_conflict(player: Player, make) -> None:
    player.submit(1, key="shared-key")
    classmate = make.student()
    db.session.add(Enrollment(classroom=player.assignment.classroom, student=classmate))
    db.session.commit()

    with pytest.raises(Conflict):
        player.submit(1, key="shared-key", student=classmate)
    assert count_attempts(classmate) == 0


def test_a_key_reused_for_another_stage_is_a_conflict(player: Player) -> None:
    player.submit(1, key="one-key")

    with pytest.raises(Conflict):
        player.submit(2, key="one-key")


@pytest.mark.parametrize("key", ["", "   ", "k" * 65])
def test_a_missing_or_oversized_submission_key_is_refused(player: Player, key: str) -> None:
    with pytest.raises(ServiceError, match="could not be matched"):
        player.submit(1, key=key)


def test_a_locked_stage_is_refused(player: Player) -> None:
    with pytest.raises(NotAllowed, match="earlier stages"):
        player.submit(2)
    assert count_attempts(player.student) == 0


def test_a_checkpoint_waiting_for_review_opens_the_next_stage(player: Player) -> None:
    player.complete_through(2)
    checkpoint = player.submit(3)

    assert (checkpoint.outcome, checkpoint.score) == (Outcome.PENDING_REVIEW, None)
    assert player.submit(4).outcome == Outcome.PASSED
    assert ledger(player.student, stage_id=checkpoint.stage_id) == []


def test_a_quest_not_given_to_the_students_class_is_refused(school) -> None:
    stage = school.other_quest.stages[0]

    with pytest.raises(NotAllowed, match="not given to your class"):
        submit_attempt(
            student=school.student,
            quest=school.other_quest,
            stage=stage,
            answer={"confirmed": True},
            opened_at=utcnow() - timedelta(minutes=1),
            submission_key="stranger",
        )


def test_a_stage_of_another_quest_is_refused(player: Player, make) -> None:
    other = make.quest()

    with pytest.raises(ServiceError, match="not part of this quest"):
        submit_attempt(
            student=player.student,
            quest=player.quest,
            stage=other.stages[0],
            answer={"confirmed": True},
            opened_at=utcnow() - timedelta(minutes=1),
            submission_key="tampered",
        )


def test_a_quest_that_has_not_opened_is_refused(player: Player) -> None:
    before = player.assignment.opens_at - timedelta(minutes=1)

    with pytest.raises(NotAllowed, match="opens on"):
        player.submit(1, now=before)


def test_a_closed_quest_is_refused_not_recorded_late(player: Player) -> None:
    after = player.assignment.due_at + timedelta(minutes=1)

    with pytest.raises(NotAllowed, match="closed"):
        player.submit(1, now=after)
    assert count_attempts(player.student) == 0


def test_an_opening_time_in_the_future_times_the_try_from_the_answer(player: Player) -> None:
    attempt = player.submit(1, seconds=-5)

    assert attempt.started_at == attempt.submitted_at


def test_an_answer_of_the_wrong_shape_records_nothing(player: Player) -> None:
    player.submit(1)

    with pytest.raises(ServiceError, match="no question q9"):
        player.submit(2, {"responses": {"q9": [0]}})
    assert count_attempts(player.student) == 1


def test_a_handed_in_stage_cannot_be_handed_in_again(player: Player) -> None:
    player.submit(1)

    with pytest.raises(Conflict, match="already handed in"):
        player.submit(1)
    assert ledger(player.student) == [10]


def test_a_reflection_too_short_is_refused_and_may_be_written_on(player: Player) -> None:
    player.complete_through(3)

    with pytest.raises(ServiceError, match="at least 50 characters"):
        player.submit(4, {"text": "Too short."})
    assert count_attempts(player.student) == 3
    assert player.submit(4).outcome == Outcome.PASSED


def test_tries_run_out_at_the_stages_maximum(make) -> None:
    player = quiz_quest(make, max_tries=2)
    player.submit(1, WRONG)
    player.submit(1, HALF)

    with pytest.raises(Conflict, match="all 2 tries"):
        player.submit(1, RIGHT)
    assert count_attempts(player.student) == 2


def test_a_quiz_may_be_retried_after_passing_when_tries_are_left(make) -> None:
    player = quiz_quest(make, max_tries=3)
    player.submit(1, RIGHT)

    assert player.submit(1, HALF).outcome == Outcome.FAILED


def test_a_quiz_that_showed_its_answers_on_a_pass_takes_no_more_tries(make) -> None:
    # Retrying with the answers in view would earn a perfect score for nothing.
    player = quiz_quest(make, max_tries=3, reveal_answers="finished")
    player.submit(1, HALF)
    player.submit(1, RIGHT)

    with pytest.raises(ServiceError, match="its answers are shown: it takes no more tries"):
        player.submit(1, RIGHT)


def test_the_ledger_keeps_the_best_score_under_the_best_policy(make) -> None:
    player = quiz_quest(make, score_policy="best")
    for answer in (HALF, RIGHT, WRONG, HALF):
        player.submit(1, answer)

    stage_points = ledger(player.student, reason=PointsReason.STAGE_SCORE)
    assert stage_points == [10, 10]
    assert sum(stage_points) == 20


def test_the_ledger_follows_the_latest_score_under_the_latest_policy(make) -> None:
    player = quiz_quest(make, score_policy="latest")
    for answer in (HALF, RIGHT, WRONG, HALF):
        player.submit(1, answer)

    stage_points = ledger(player.student, reason=PointsReason.STAGE_SCORE)
    assert stage_points == [10, 10, -20, 10]
    assert sum(stage_points) == 10


def test_quiz_scores_round_half_up_into_whole_points(make) -> None:
    player = quiz_quest(make, points=5)
    player.submit(1, HALF)

    assert ledger(player.student) == [3]


def test_a_timed_quiz_answered_too_late_is_late_and_scores_its_late_policy(
    player: Player,
) -> None:
    player.complete_through(5)

    # Builders' timed stage: 120 seconds, default grace of 5, default late policy "zero".
    attempt = player.submit(6, seconds=126)

    assert (attempt.outcome, attempt.score) == (Outcome.LATE, 0.0)
    assert ledger(player.student, stage_id=attempt.stage_id) == []
    # Late is finished: the quest goes on.
    assert player.submit(7).outcome == Outcome.PASSED


def test_a_timed_quiz_within_its_grace_is_on_time(player: Player) -> None:
    player.complete_through(5)

    attempt = player.submit(6, seconds=124)

    assert (attempt.outcome, attempt.score) == (Outcome.PASSED, 10.0)


def awards_of(student: User) -> list[str]:
    awards = db.session.scalars(
        select(AchievementAward).where(AchievementAward.student_id == student.id)
    )
    return sorted(award.achievement.code for award in awards)


def test_a_perfect_quiz_earns_its_achievement_and_bonus_once(make) -> None:
    ensure_achievements()
    player = quiz_quest(make)
    player.submit(1, RIGHT)
    player.submit(1, RIGHT)

    assert awards_of(player.student) == ["perfect-quiz"]
    bonus = ledger(player.student, reason=PointsReason.ACHIEVEMENT)
    assert bonus == [10]
    assert sum(ledger(player.student)) == 30


def test_achievements_not_yet_stored_are_stored_when_first_earned(make) -> None:
    player = quiz_quest(make)

    assert player.submit(1, RIGHT).outcome == Outcome.PASSED
    assert awards_of(player.student) == ["perfect-quiz"]
    assert ledger(player.student, reason=PointsReason.ACHIEVEMENT) == [10]


def test_finishing_a_quest_earns_the_first_quest_achievement(player: Player, make) -> None:
    ensure_achievements()
    player.complete_through(2)
    checkpoint = player.submit(3)
    teacher = player.assignment.classroom.teachers[0]
    review_attempt(attempt=checkpoint, score=10, outcome="passed", reason="", by=teacher)
    for position in range(4, 8):
        player.submit(position)

    assert awards_of(player.student) == [
        "all-reflections",
        "checkpoint-first-time",
        "first-quest",
        "perfect-quiz",
    ]
    # Every stage, the checkpoint's points coming with its review, plus bonuses.
    assert sum(ledger(player.student, reason=PointsReason.STAGE_SCORE)) == 70
    assert sum(ledger(player.student, reason=PointsReason.ACHIEVEMENT)) == 20 + 15 + 10 + 10


def test_a_quest_with_a_checkpoint_still_waiting_is_not_done(player: Player) -> None:
    ensure_achievements()
    player.complete_through(7)

    assert awards_of(player.student) == ["all-reflections", "perfect-quiz"]


def test_a_reviewed_checkpoint_settles_its_points(player: Player) -> None:
    player.complete_through(2)
    checkpoint = player.submit(3)
    teacher = player.assignment.classroom.teachers[0]

    review_attempt(attempt=checkpoint, score=8, outcome="passed", reason="", by=teacher)

    stage_points = ledger(
        player.student, stage_id=checkpoint.stage_id, reason=PointsReason.STAGE_SCORE
    )
    assert stage_points == [8]
    entry = db.session.scalars(select(PointsEntry).where(PointsEntry.attempt_id == checkpoint.id))
    assert entry.one().points == 8
