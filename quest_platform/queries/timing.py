"""Timing: when a student's try at a timed stage started, and how long they have for it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from quest_platform.extensions import db
from quest_platform.models import Stage, StageStart, TimeExtension, User


@dataclass(frozen=True)
class Countdown:
    """A started try at a timed stage: when it started, when time is up, when answers turn late.

    ``ends_at`` is the start plus the stage's limit plus any extra time a teacher gave;
    answers are on time until ``late_after`` (``ends_at`` plus the stage's grace period).
    """

    started_at: datetime
    ends_at: datetime
    late_after: datetime
    extra_seconds: int

    def seconds_left(self, now: datetime) -> int:
        """Whole seconds until time is up (0 once it is)."""
        return max(0, int((self.ends_at - now).total_seconds()))


def extra_seconds_for(*, student: User, stage: Stage) -> int:
    """The extra time teachers gave ``student`` on ``stage``, in seconds (0 when none)."""
    total = db.session.scalar(
        select(func.coalesce(func.sum(TimeExtension.extra_seconds), 0)).where(
            TimeExtension.student_id == student.id, TimeExtension.stage_id == stage.id
        )
    )
    return int(total or 0)


def start_of(*, student: User, stage: Stage, try_number: int) -> StageStart | None:
    """The recorded start of ``student``'s try number ``try_number`` at ``stage``, if any."""
    return db.session.scalar(
        select(StageStart).where(
            StageStart.student_id == student.id,
            StageStart.stage_id == stage.id,
            StageStart.try_number == try_number,
        )
    )


def countdown_of(*, start: StageStart, stage: Stage, student: User) -> Countdown:
    """The countdown of a started try at a timed stage."""
    extra = extra_seconds_for(student=student, stage=stage)
    ends_at = start.started_at + timedelta(seconds=(stage.time_limit_seconds or 0) + extra)
    return Countdown(
        started_at=start.started_at,
        ends_at=ends_at,
        late_after=ends_at + timedelta(seconds=stage.grace_seconds),
        extra_seconds=extra,
    )
