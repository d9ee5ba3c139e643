"""Achievements: the badges the platform can award, the rules that earn them, and awarding them.

Badges are never taken back: a later attempt or a teacher's later review that changes a result
leaves the badges (and their bonus points) already earned.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, tzinfo

from flask_babel import force_locale
from sqlalchemy import Integer, Select, bindparam, exists, func, literal_column, select, union_all
from sqlalchemy.exc import IntegrityError

from quest_platform.extensions import db
from quest_platform.models import (
    Achievement,
    AchievementAward,
    Attempt,
    Outcome,
    PointsEntry,
    PointsReason,
    QuestTally,
    Review,
    Stage,
    StageKind,
    User,
)
from quest_platform.models.achievements import DEFINITIONS, AchievementDefinition, definition_of
from quest_platform.queries.progress import (
    ProgressStatus,
    QuestProgress,
    StageState,
    progress_for,
)
from quest_platform.services.errors import undone_on_error
from quest_platform.services.tallies import enter_bonus_points
from quest_platform.time_zones import person_zone


def stored_definition(definition: AchievementDefinition) -> Achievement:
    """A new achievement row for ``definition``, in English (pages translate it on the way out)."""
    with force_locale("en"):
        return Achievement(
            code=definition.code,
            name=str(definition.name),
            description=str(definition.description),
            icon=definition.icon,
            points=definition.points,
        )


@undone_on_error
def ensure_achievements() -> list[Achievement]:
    """Create any missing achievement definitions and return all of them."""
    existing = {
        achievement.code: achievement for achievement in db.session.scalars(select(Achievement))
    }
    for definition in DEFINITIONS:
        if definition.code not in existing:
            existing[definition.code] = stored_definition(definition)
            db.session.add(existing[definition.code])
    db.session.commit()
    return list(existing.values())


def achievement_for(*, code: str) -> Achievement:
    """The stored achievement ``code``, added from DEFINITIONS in this transaction if missing.

    Nothing is committed: the caller's transaction commits the row with whatever it awards.
    Two transactions adding the same definition at once cannot both succeed (``code`` is
    unique): the one that loses finds the other's row instead.
    """
    query = select(Achievement).where(Achievement.code == code)
    achievement = db.session.scalar(query)
    if achievement is not None:
        return achievement
    achievement = stored_definition(definition_of(code))
    try:
        # A savepoint, so that losing the race undoes this row and not the caller's work.
        with db.session.begin_nested():
            db.session.add(achievement)
    except IntegrityError:
        return db.session.scalars(query).one()
    return achievement


def award_achievement(
    *, code: str, attempt: Attempt, quest_tally: QuestTally, now: datetime
) -> AchievementAward | None:
    """Award achievement ``code`` to the attempt's student, once ever, with its bonus points.

    The award names the attempt that earned it and its quest (teachers see it as they see the
    attempt). The bonus goes to the points ledger against the attempt's quest and stage, and to
    the student's tally of the quest (``quest_tally``, which the caller holds locked). Returns
    the new award, or None when the student already had the badge. Nothing is committed: the
    caller's transaction (an attempt's, a review's) commits it.
    """
    achievement = achievement_for(code=code)
    earned = select(AchievementAward.id).where(
        AchievementAward.achievement_id == achievement.id,
        AchievementAward.student_id == attempt.student_id,
    )
    if db.session.scalar(earned) is not None:
        return None
    awarded = AchievementAward(
        achievement_id=achievement.id,
        student_id=attempt.student_id,
        quest_id=attempt.quest_id,
        attempt_id=attempt.id,
        awarded_at=now,
    )
    try:
        # Two requests of the same student can earn a badge at once; one award stands.
        with db.session.begin_nested():
            db.session.add(awarded)
    except IntegrityError:
        return None
    if achievement.points:
        enter_bonus_points(
            quest_tally=quest_tally,
            entry=PointsEntry(
                student_id=attempt.student_id,
                quest_id=attempt.quest_id,
                stage_id=attempt.stage_id,
                award_id=awarded.id,
                points=achievement.points,
                reason=PointsReason.ACHIEVEMENT.value,
                created_at=now,
            ),
        )
    return awarded


def quest_achievements(*, progress: QuestProgress, stage: Stage) -> list[str]:
    """The codes that the student's ``progress`` in a quest earns, now that ``stage`` changed.

    "first-quest" once every stage is finished; "all-reflections" when ``stage`` is a
    reflection and every reflection of the quest (there is at least one) is passed.
    """
    codes = []
    if progress.status == ProgressStatus.DONE:
        codes.append("first-quest")
    if stage.kind == StageKind.REFLECTION and all_reflections_passed(progress):
        codes.append("all-reflections")
    return codes


def all_reflections_passed(progress: QuestProgress) -> bool:
    """Whether the quest has reflections and the student passed each of them."""
    reflections = [s for s in progress.stages if s.stage.kind == StageKind.REFLECTION]
    return bool(reflections) and all(s.state == StageState.PASSED for s in reflections)


def award_review_achievements(
    *, review: Review, attempt: Attempt, quest_tally: QuestTally
) -> list[AchievementAward]:
    """Award what a teacher's ``review`` of ``attempt`` earns its student; return the new awards.

    "checkpoint-first-time" when the review passes a checkpoint attempt that was the student's
    first at that stage (a mark or an override: a teacher correcting a mistaken fail still
    approves the first try); "first-quest" and "all-reflections" when the result the review
    gives completes them. For the reviews service, once the stage is counted again and before
    its commit. A later review that fails the attempt takes nothing back: badges are never
    revoked.
    """
    now = review.created_at
    stage = attempt.stage
    progress = progress_for(student=attempt.student, quest=attempt.quest, now=now)
    codes = quest_achievements(progress=progress, stage=stage)
    first_try = db.session.scalar(
        select(func.min(Attempt.id)).where(
            Attempt.student_id == attempt.student_id, Attempt.stage_id == stage.id
        )
    )
    if (
        review.outcome == Outcome.PASSED
        and stage.kind == StageKind.CHECKPOINT
        and first_try == attempt.id
    ):
        codes.append("checkpoint-first-time")
    awards = [
        award_achievement(code=code, attempt=attempt, quest_tally=quest_tally, now=now)
        for code in codes
    ]
    return [award for award in awards if award is not None]


# The streak: school days are Monday to Friday; weekends neither count nor break a streak.
STREAK_DAYS = 5
# Five school days in a row, counted back from any day, begin at most six days before it (a
# Tuesday back to the Wednesday before); two weeks back is plenty.
STREAK_LOOKBACK = timedelta(weeks=2)


def is_school_day(day: date) -> bool:
    """Monday to Friday."""
    return day.weekday() < 5


def previous_school_day(day: date) -> date:
    """The school day before ``day``: Friday before a Monday (or a weekend day)."""
    day -= timedelta(days=1)
    while not is_school_day(day):
        day -= timedelta(days=1)
    return day


def school_day_streak(days: Iterable[date], *, through: date) -> int:
    """How many school days in a row among ``days`` end on ``through`` (or the Friday before it).

    Friday then Monday are two days in a row; a school day missing breaks the streak; work on a
    weekend neither counts nor breaks it. So on a Saturday or Sunday the streak is the one that
    ended on Friday.
    """
    worked = set(days)
    day = through if is_school_day(through) else previous_school_day(through)
    streak = 0
    while day in worked:
        streak += 1
        day = previous_school_day(day)
    return streak


def days_worked(*, student_id: int, since: date, through: date, zone: tzinfo) -> set[date]:
    """The dates on the clock of ``zone``, from ``since`` to ``through``, on which the student
    submitted an attempt."""
    count = (through - since).days + 1
    # The days' bounds are worked out here, not in SQL: SQLite knows no time zones.
    bounds = {
        f"bound_{number}": start_of_day(since + timedelta(days=number), zone)
        for number in range(count + 1)
    }
    numbers = db.session.scalars(day_probes(count), {"student_id": student_id, **bounds})
    return {since + timedelta(days=number) for number in numbers}


@functools.cache
def day_probes(count: int) -> Select[int]:
    """One statement that returns which of ``count`` days in a row (numbered from 0) a student
    submitted an attempt in; its parameters are ``student_id`` and the days' bounds, ``bound_0``
    (the start of the first day) to ``bound_<count>`` (the end of the last).

    Each day is one probe of the index on (student_id, submitted_at) that stops at the first
    attempt it finds in the day, so the work stays the same, and the rows at most one a day,
    however many attempts the student made. The statement is built once for each count:
    building it costs more than running it.
    """
    moment = Attempt.submitted_at.type
    days = union_all(
        *(
            select(
                literal_column(str(number), Integer).label("number"),
                bindparam(f"bound_{number}", type_=moment).label("starts"),
                bindparam(f"bound_{number + 1}", type_=moment).label("ends"),
            )
            for number in range(count)
        )
    ).subquery("day")
    worked = exists().where(
        Attempt.student_id == bindparam("student_id"),
        Attempt.submitted_at >= days.c.starts,
        Attempt.submitted_at < days.c.ends,
    )
    return select(days.c.number).where(worked)


def start_of_day(day: date, zone: tzinfo) -> datetime:
    """The moment ``day`` begins on the clock of ``zone``."""
    return datetime.combine(day, time.min, tzinfo=zone)


def current_streak(*, student: User, now: datetime) -> int:
    """The school days in a row, up to ``now``, on which the student submitted attempts (any quest).

    Days are the student's: dates on their own clock (see :func:`person_zone`), so an attempt
    at 10 p.m. counts for that evening's day. One query.
    """
    zone = person_zone(student)
    today = now.astimezone(zone).date()
    days = days_worked(
        student_id=student.id, since=today - STREAK_LOOKBACK, through=today, zone=zone
    )
    return school_day_streak(days, through=today)
