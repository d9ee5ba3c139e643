"""Achievements: a streak of school days, every reflection written, a checkpoint passed first time.

Students earn them through the same services as in the portal: submit_attempt and a teacher's
review_attempt. Badges are awarded once, with their bonus in the points ledger, and never taken
back; their definitions are stored the first time one is awarded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select, text

from quest_platform.extensions import db
from quest_platform.models import (
    Achievement,
    AchievementAward,
    Attempt,
    Outcome,
    PointsEntry,
    PointsReason,
    Quest,
    QuestTally,
    StageTally,
    User,
)
from quest_platform.models.achievements import DEFINITIONS
from quest_platform.queries.progress import QuestProgress, progress_from
from quest_platform.services.achievements import (
    all_reflections_passed,
    award_achievement,
    current_streak,
    days_worked,
    previous_school_day,
    school_day_streak,
)
from quest_platform.services.attempts import start_timed_stage, submit_attempt
from quest_platform.services.quests import StageDraft, assign_quest, create_quest, publish_quest
from quest_platform.services.reviews import review_attempt
from quest_platform.services.tallies import lock_quest_tally

# A school week in November 2026: 2 November is a Monday.
MON, TUE, WED, THU, FRI, SAT, SUN = (date(2026, 11, 2) + timedelta(days=n) for n in range(7))
NEXT_MON, NEXT_TUE, NEXT_WED, NEXT_THU, NEXT_FRI = (
    MON + timedelta(days=n) for n in (7, 8, 9, 10, 11)
)

REFLECTION = {"text": "Sessions live on the server; the cookie only names them. " * 2}
# Answers that pass each stage of the builders' quest (see Builders.stage_drafts).
PASSING = {
    1: {"confirmed": True},
    2: {"responses": {"q1": [1]}},
    3: {"evidence": "def login(): check_password_hash(...)"},
    4: REFLECTION,
    5: {"ticked": [0]},
    7: {"confirmed": True},
}


def at(day: date, hour: int = 15) -> datetime:
    """A moment of ``day`` in UTC (mid-afternoon by default)."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


@dataclass
class Learner:
    """A student whose classroom was given ``quest`` for the whole autumn, and their teacher."""

    student: User
    teacher: User
    quest: Quest
    keys: int = 0

    def submit(
        self, position: int, answer: dict[str, Any] | None = None, *, on: datetime
    ) -> Attempt:
        self.keys += 1
        return submit_attempt(
            student=self.student,
            quest=self.quest,
            stage=self.quest.stages[position - 1],
            answer=PASSING[position] if answer is None else answer,
            opened_at=on - timedelta(minutes=5),
            submission_key=f"{self.student.id}-{position}-{self.keys}",
            now=on,
        )

    def work_on(self, *days: date) -> None:
        """Open the quest's lesson on the first day, then try its quiz again each day."""
        for day in days:
            self.submit(1 if self.keys == 0 else 2, on=at(day))


def learner_of(make, quest: Quest) -> Learner:
    teacher, student = make.teacher(), make.student()
    classroom = make.classroom(teachers=[teacher], students=[student])
    assign_quest(
        quest=quest,
        classroom=classroom,
        opens_at=at(date(2026, 9, 1)),
        due_at=at(date(2027, 1, 31)),
        by=teacher,
    )
    return Learner(student, teacher, quest)


@pytest.fixture
def learner(make) -> Learner:
    return learner_of(make, make.quest(stages=7))


def awards_of(student: User) -> dict[str, datetime]:
    awards = db.session.scalars(
        select(AchievementAward).where(AchievementAward.student_id == student.id)
    )
    return {award.achievement.code: award.awarded_at for award in awards}


def bonuses_of(student: User, code: str) -> list[int]:
    query = (
        select(PointsEntry.points)
        .join(AchievementAward, AchievementAward.id == PointsEntry.award_id)
        .join(Achievement, Achievement.id == AchievementAward.achievement_id)
        .where(
            PointsEntry.student_id == student.id,
            PointsEntry.reason == PointsReason.ACHIEVEMENT,
            Achievement.code == code,
        )
    )
    return list(db.session.scalars(query))


def bonus_points(code: str) -> int:
    return next(definition.points for definition in DEFINITIONS if definition.code == code)


# The streak, on its own.


def test_five_school_days_in_a_row_make_a_streak_of_five() -> None:
    assert school_day_streak([MON, TUE, WED, THU, FRI], through=FRI) == 5


def test_a_weekend_does_not_break_a_streak() -> None:
    assert school_day_streak([THU, FRI, NEXT_MON, NEXT_TUE, NEXT_WED], through=NEXT_WED) == 5


def test_a_missing_school_day_breaks_the_streak() -> None:
    days = [MON, TUE, THU, FRI, NEXT_MON]
    assert school_day_streak(days, through=NEXT_MON) == 3
    assert school_day_streak(days, through=TUE) == 2


def test_work_on_a_weekend_neither_counts_nor_breaks_a_streak() -> None:
    assert school_day_streak([WED, THU, FRI, SAT, SUN, NEXT_MON], through=NEXT_MON) == 4
    assert school_day_streak([SAT, SUN], through=SUN) == 0


def test_on_a_weekend_the_streak_is_the_one_that_ended_on_friday() -> None:
    week = [MON, TUE, WED, THU, FRI]
    assert school_day_streak(week, through=SAT) == 5
    assert school_day_streak(week, through=SUN) == 5


def test_the_streak_ends_today_or_not_at_all() -> None:
    assert school_day_streak([MON, TUE, WED], through=THU) == 0
    assert school_day_streak([MON, TUE, WED], through=WED) == 3
    assert school_day_streak([], through=WED) == 0


def test_the_school_day_before_monday_is_friday() -> None:
    assert previous_school_day(NEXT_MON) == FRI
    assert previous_school_day(SUN) == FRI
    assert previous_school_day(WED) == TUE


def test_days_worked_are_dates_on_the_given_clock(make, school) -> None:
    student, quest = school.student, school.quest
    pacific = ZoneInfo("America/Los_Angeles")
    # 02:00 on Tuesday at UTC+5 is Monday in UTC and on the Pacific clock (Monday evening).
    east = timezone(timedelta(hours=5))
    for moment in (datetime(2026, 11, 3, 2, tzinfo=east), at(MON, 23), at(WED, 0), at(FRI)):
        make.attempt(student=student, quest=quest, submitted_at=moment)
    if db.engine.dialect.name == "postgresql":
        # A session in another time zone must not move the dates.
        db.session.execute(text("SET LOCAL TIME ZONE 'Pacific/Auckland'"))

    assert days_worked(student_id=student.id, since=MON, through=THU, zone=UTC) == {MON, WED}
    assert days_worked(student_id=student.id, since=TUE, through=SUN, zone=UTC) == {WED, FRI}
    # On the Pacific clock, 23:00 and 00:00 UTC are Monday and Tuesday afternoons.
    assert days_worked(student_id=student.id, since=MON, through=SUN, zone=pacific) == {
        MON,
        TUE,
        FRI,
    }


# The streak, earned by submitting attempts.


def test_five_school_days_of_work_across_a_weekend_earn_the_streak(learner: Learner) -> None:
    learner.work_on(THU, FRI, NEXT_MON, NEXT_TUE)
    assert "five-day-streak" not in awards_of(learner.student)

    learner.work_on(NEXT_WED)

    assert awards_of(learner.student)["five-day-streak"] == at(NEXT_WED)
    assert bonuses_of(learner.student, "five-day-streak") == [bonus_points("five-day-streak")]


def test_a_missed_day_starts_the_streak_again(learner: Learner) -> None:
    learner.work_on(MON, TUE, THU, FRI, NEXT_MON, NEXT_TUE)
    assert "five-day-streak" not in awards_of(learner.student)

    learner.work_on(NEXT_WED)

    assert awards_of(learner.student)["five-day-streak"] == at(NEXT_WED)


def test_school_days_are_the_students_own_days(app, learner: Learner) -> None:
    """Evening work west of UTC counts for that evening's day, on the school's clock or the
    student's own."""
    # 7 p.m. in Los Angeles is 3 a.m. UTC the next day: in UTC, Monday to Friday evenings would
    # be Tuesday to Saturday, and Saturday does not count.
    evenings = [at(day + timedelta(days=1), 3) for day in (MON, TUE, WED, THU, FRI)]
    app.config["SCHOOL_TIME_ZONE"] = "America/Los_Angeles"
    try:
        for moment in evenings:
            learner.submit(1 if moment == evenings[0] else 2, on=moment)
    finally:
        app.config["SCHOOL_TIME_ZONE"] = "UTC"

    assert awards_of(learner.student)["five-day-streak"] == evenings[-1]


def test_a_student_s_own_time_zone_counts_before_the_school_s(make) -> None:
    learner = learner_of(make, make.quest(stages=7))
    learner.student.time_zone = "America/Los_Angeles"
    db.session.commit()
    evenings = [at(day + timedelta(days=1), 3) for day in (MON, TUE, WED, THU, FRI)]
    for moment in evenings:
        learner.submit(1 if moment == evenings[0] else 2, on=moment)

    assert awards_of(learner.student)["five-day-streak"] == evenings[-1]
    assert current_streak(student=learner.student, now=evenings[-1]) == 5


def test_several_attempts_on_one_day_count_as_one_day(learner: Learner) -> None:
    learner.work_on(MON, MON, TUE, WED, WED, THU)

    assert "five-day-streak" not in awards_of(learner.student)


def test_the_streak_is_earned_once(learner: Learner) -> None:
    learner.work_on(MON, TUE, WED, THU, FRI)
    learner.work_on(NEXT_MON, NEXT_TUE, NEXT_WED, NEXT_THU, NEXT_FRI)

    assert awards_of(learner.student)["five-day-streak"] == at(FRI)
    assert bonuses_of(learner.student, "five-day-streak") == [bonus_points("five-day-streak")]


# Every reflection of a quest.


def reflections_quest(make) -> Learner:
    """A learner of a quest with two reflections, at stages 2 and 4 between lessons."""
    lesson = StageDraft("lesson", "Read", "Read this.")
    reflection = StageDraft("reflection", "Think", settings={"prompt": "Why?", "min_length": 20})
    stages = [lesson, reflection, lesson, reflection, lesson, lesson]
    quest = create_quest(
        slug="two-reflections", title="Reflect", theme="T", summary="", stages=stages, author=None
    )
    return learner_of(make, publish_quest(quest=quest, by=None))


def test_writing_every_reflection_of_a_quest_earns_the_badge(make) -> None:
    learner = reflections_quest(make)
    learner.submit(1, on=at(MON))
    learner.submit(2, REFLECTION, on=at(MON))
    learner.submit(3, {"confirmed": True}, on=at(MON))
    assert "all-reflections" not in awards_of(learner.student)

    learner.submit(4, REFLECTION, on=at(TUE))

    assert awards_of(learner.student)["all-reflections"] == at(TUE)
    assert bonuses_of(learner.student, "all-reflections") == [bonus_points("all-reflections")]


def progress_with(quest: Quest, outcomes: list[Outcome]) -> QuestProgress:
    """Progress in ``quest`` whose first stages ended with ``outcomes``, the rest untried."""
    tallies = {
        stage.id: StageTally(stage_id=stage.id, tries=1, outcome=outcome.value, points=0)
        for stage, outcome in zip(quest.stages, outcomes, strict=False)
    }
    return progress_from(quest=quest, assignment=None, tallies=tallies, now=at(MON))


def all_passed(quest: Quest) -> QuestProgress:
    return progress_with(quest, [Outcome.PASSED] * len(quest.stages))


def test_every_reflection_needs_a_passed_result(make) -> None:
    quest = make.quest(stages=7)

    assert all_reflections_passed(all_passed(quest))
    # The reflection is the fourth stage: not tried yet, or failed.
    assert not all_reflections_passed(progress_with(quest, [Outcome.PASSED] * 3))
    failed = progress_with(quest, [Outcome.PASSED] * 3 + [Outcome.FAILED])
    assert not all_reflections_passed(failed)


def test_a_quest_without_reflections_never_earns_the_badge(make) -> None:
    stages = [StageDraft("lesson", f"Lesson {n}", "Read this.") for n in range(6)]
    quest = create_quest(
        slug="no-reflections", title="Read", theme="T", summary="", stages=stages, author=None
    )

    assert not all_reflections_passed(all_passed(quest))


# A checkpoint approved on the first try.


def hand_in_checkpoint(learner: Learner, *, on: datetime) -> Attempt:
    if learner.keys == 0:
        learner.submit(1, on=on)
        learner.submit(2, on=on)
    return learner.submit(3, on=on)


def test_a_checkpoint_passed_on_the_first_try_earns_the_badge_with_its_bonus(
    learner: Learner,
) -> None:
    checkpoint = hand_in_checkpoint(learner, on=at(MON))
    assert "checkpoint-first-time" not in awards_of(learner.student)

    review = review_attempt(
        attempt=checkpoint, score=9, outcome="passed", reason="", by=learner.teacher
    )

    assert awards_of(learner.student)["checkpoint-first-time"] == review.created_at
    assert bonuses_of(learner.student, "checkpoint-first-time") == [
        bonus_points("checkpoint-first-time")
    ]
    entry = db.session.scalars(
        select(PointsEntry).where(
            PointsEntry.reason == PointsReason.ACHIEVEMENT,
            PointsEntry.stage_id == checkpoint.stage_id,
        )
    ).one()
    assert (entry.quest_id, entry.attempt_id) == (learner.quest.id, None)


def test_a_checkpoint_failed_when_marked_earns_nothing(learner: Learner) -> None:
    checkpoint = hand_in_checkpoint(learner, on=at(MON))

    review_attempt(attempt=checkpoint, score=2, outcome="failed", reason="", by=learner.teacher)

    assert "checkpoint-first-time" not in awards_of(learner.student)


def test_a_checkpoint_passed_on_the_second_try_earns_nothing(learner: Learner) -> None:
    first = hand_in_checkpoint(learner, on=at(MON))
    review_attempt(attempt=first, score=2, outcome="failed", reason="", by=learner.teacher)
    second = hand_in_checkpoint(learner, on=at(TUE))

    review_attempt(attempt=second, score=10, outcome="passed", reason="", by=learner.teacher)

    assert "checkpoint-first-time" not in awards_of(learner.student)


def test_the_badge_is_kept_and_its_bonus_entered_once_whatever_later_reviews_say(
    learner: Learner,
) -> None:
    checkpoint = hand_in_checkpoint(learner, on=at(MON))
    review_attempt(attempt=checkpoint, score=9, outcome="passed", reason="", by=learner.teacher)
    review_attempt(
        attempt=checkpoint, score=3, outcome="failed", reason="Copied.", by=learner.teacher
    )
    review_attempt(
        attempt=checkpoint, score=10, outcome="passed", reason="My mistake.", by=learner.teacher
    )

    assert "checkpoint-first-time" in awards_of(learner.student)
    assert bonuses_of(learner.student, "checkpoint-first-time") == [
        bonus_points("checkpoint-first-time")
    ]


def test_passing_a_quiz_on_review_is_not_a_checkpoint(learner: Learner) -> None:
    learner.submit(1, on=at(MON))
    quiz = learner.submit(2, {"responses": {"q1": [0]}}, on=at(MON))

    review_attempt(attempt=quiz, score=10, outcome="passed", reason="Regraded.", by=learner.teacher)

    assert "checkpoint-first-time" not in awards_of(learner.student)


def test_a_review_that_finishes_the_quest_earns_the_first_quest(learner: Learner) -> None:
    checkpoint = hand_in_checkpoint(learner, on=at(MON))
    learner.submit(4, on=at(MON))
    learner.submit(5, on=at(MON))
    # The timed stage runs on the clock the server starts.
    timed = learner.quest.stages[5]
    start_timed_stage(
        student=learner.student,
        quest=learner.quest,
        stage=timed,
        now=at(MON) - timedelta(seconds=30),
    )
    learner.submit(6, {"responses": {"t1": "POST"}}, on=at(MON))
    learner.submit(7, on=at(MON))
    assert "first-quest" not in awards_of(learner.student)

    review_attempt(attempt=checkpoint, score=10, outcome="passed", reason="", by=learner.teacher)

    assert {"first-quest", "checkpoint-first-time"} <= set(awards_of(learner.student))


# Definitions stored on the first award.


def achievement_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Achievement))


def test_the_first_award_stores_its_definition(learner: Learner) -> None:
    assert achievement_count() == 0

    learner.submit(1, on=at(MON))
    learner.submit(2, on=at(MON))

    stored = db.session.scalars(select(Achievement)).one()
    assert (stored.code, stored.name, stored.points) == ("perfect-quiz", "Sharp Mind", 10)
    assert bonuses_of(learner.student, "perfect-quiz") == [10]


def test_a_definition_is_stored_in_english_whatever_the_language(app, learner: Learner) -> None:
    lesson = learner.submit(1, on=at(MON))
    assert achievement_count() == 0

    with app.test_request_context(), force_locale("es"):
        award = award_achievement(
            code="checkpoint-first-time", attempt=lesson, quest_tally=tally_of(lesson), now=at(MON)
        )
    db.session.commit()

    assert award is not None
    assert (award.achievement.name, award.achievement.description) == (
        "Ship It",
        "Had a checkpoint approved on the first try.",
    )
    again = award_achievement(
        code="checkpoint-first-time", attempt=lesson, quest_tally=tally_of(lesson), now=at(TUE)
    )
    assert again is None


def test_an_award_is_not_committed_by_itself(learner: Learner) -> None:
    lesson = learner.submit(1, on=at(MON))
    # As in submit_attempt and review_attempt, the caller has written its own rows already.
    db.session.add(
        Attempt(
            student_id=learner.student.id,
            quest_id=learner.quest.id,
            stage_id=lesson.stage_id,
            started_at=at(TUE),
            submitted_at=at(TUE),
            answer={"confirmed": True},
            score=10,
            max_score=10,
            outcome=Outcome.PASSED.value,
        )
    )
    db.session.flush()

    award_achievement(
        code="all-reflections", attempt=lesson, quest_tally=tally_of(lesson), now=at(TUE)
    )
    db.session.rollback()

    assert achievement_count() == 0
    assert awards_of(learner.student) == {}


def tally_of(attempt: Attempt) -> QuestTally:
    """The attempt's student's tally of its quest, locked as the services hold it."""
    return lock_quest_tally(student_id=attempt.student_id, quest_id=attempt.quest_id)


def test_an_unknown_code_is_a_programming_error(school) -> None:
    with pytest.raises(LookupError):
        award_achievement(
            code="no-such-badge",
            attempt=school.attempt,
            quest_tally=tally_of(school.attempt),
            now=at(MON),
        )
