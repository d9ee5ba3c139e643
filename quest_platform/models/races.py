"""Code races: a teacher's timed contest on one code stage for one classroom."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quest_platform.extensions import Model
from quest_platform.models.base import UTCDateTime, utcnow

if TYPE_CHECKING:
    from quest_platform.models.accounts import User
    from quest_platform.models.classrooms import Classroom
    from quest_platform.models.quests import Stage

# Each place below first earns this many fewer points, down to the race's minimum.
POINTS_STEP = 5


class CodeRace(Model):
    """A race on a code stage: the classroom's students see the problem at ``starts_at`` and
    are ranked by when they first submit code that passes every hidden test.

    A student's race ends at ``ends_at`` plus the extra time their teachers gave them on the
    stage. Once every student's race is over the race is settled: its points by place go into
    the points ledger, once (``settled_at``). One race per classroom and stage.
    """

    __tablename__ = "code_race"
    __table_args__ = (
        UniqueConstraint("classroom_id", "stage_id", name="one_race_per_stage"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("min_points >= 1", name="min_points_positive"),
        CheckConstraint("first_points >= min_points", name="first_at_least_min"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    classroom_id: Mapped[int] = mapped_column(ForeignKey("classroom.id", ondelete="RESTRICT"))
    stage_id: Mapped[int] = mapped_column(ForeignKey("stage.id", ondelete="RESTRICT"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Points for first place; each place after earns POINTS_STEP fewer, never under min_points,
    # which every student who solves it in time earns.
    first_points: Mapped[int] = mapped_column(Integer)
    min_points: Mapped[int] = mapped_column(Integer)
    started_by_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    classroom: Mapped[Classroom] = relationship()
    stage: Mapped[Stage] = relationship()
    started_by: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<CodeRace {self.id} classroom={self.classroom_id} stage={self.stage_id}>"

    @property
    def duration(self) -> timedelta:
        return self.ends_at - self.starts_at

    def points_for(self, place: int) -> int:
        """The points earned in ``place`` (1 for the first)."""
        return max(self.min_points, self.first_points - POINTS_STEP * (place - 1))
