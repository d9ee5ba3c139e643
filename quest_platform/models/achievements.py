"""Achievements: what can be earned, and who earned it when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quest_platform.extensions import Model
from quest_platform.models.base import UTCDateTime, utcnow

if TYPE_CHECKING:
    from quest_platform.models.accounts import User
    from quest_platform.models.attempts import Attempt
    from quest_platform.models.quests import Quest


@dataclass(frozen=True)
class AchievementDefinition:
    """A badge that rewards learning, not speed alone."""

    code: str
    name: str
    description: str
    icon: str
    points: int


# The platform's badges. Stored in English; pages translate them through these same strings.
DEFINITIONS = (
    AchievementDefinition(
        "first-quest", _l("Trailblazer"), _l("Finished a whole quest."), "flag", 20
    ),
    AchievementDefinition(
        "perfect-quiz",
        _l("Sharp Mind"),
        _l("Answered every question of a quiz correctly."),
        "star",
        10,
    ),
    AchievementDefinition(
        "five-day-streak",
        _l("Steady Builder"),
        _l("Worked on a quest five school days in a row."),
        "calendar",
        15,
    ),
    AchievementDefinition(
        "all-reflections",
        _l("Deep Thinker"),
        _l("Wrote every reflection of a quest."),
        "lightbulb",
        15,
    ),
    AchievementDefinition(
        "checkpoint-first-time",
        _l("Ship It"),
        _l("Had a checkpoint approved on the first try."),
        "rocket",
        10,
    ),
)


def definition_of(code: str) -> AchievementDefinition:
    """The definition of achievement ``code``; LookupError for a code the platform does not know."""
    for definition in DEFINITIONS:
        if definition.code == code:
            return definition
    raise LookupError(f"no achievement is defined with the code {code!r}")


class Achievement(Model):
    """A badge definition: a stable code, a name, a description and a bonus."""

    __tablename__ = "achievement"
    __table_args__ = (CheckConstraint("points >= 0", name="points_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text)
    icon: Mapped[str] = mapped_column(String(40))
    points: Mapped[int] = mapped_column(default=0)

    def __repr__(self) -> str:
        return f"<Achievement {self.code}>"


class AchievementAward(Model):
    """An achievement earned by a student with one of their answers, on that answer's quest.

    Every badge is earned by an attempt (as submitted, or as a teacher's review of it decided),
    so an award names that attempt and its quest: teachers see it as they see the attempt.
    """

    __tablename__ = "achievement_award"
    __table_args__ = (UniqueConstraint("achievement_id", "student_id", name="earned_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    achievement_id: Mapped[int] = mapped_column(ForeignKey("achievement.id", ondelete="RESTRICT"))
    student_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    awarded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    quest_id: Mapped[int] = mapped_column(ForeignKey("quest.id", ondelete="RESTRICT"), index=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id", ondelete="RESTRICT"))

    achievement: Mapped[Achievement] = relationship()
    student: Mapped[User] = relationship()
    quest: Mapped[Quest] = relationship()
    attempt: Mapped[Attempt] = relationship()
