"""Achievements: every badge with whether (and when) a student earned it, for their profile."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, select

from quest_platform.extensions import db
from quest_platform.models import Achievement, AchievementAward, User
from quest_platform.models.achievements import DEFINITIONS


@dataclass(frozen=True)
class StudentAchievement:
    """A badge as one student sees it: what it is, and when they earned it (None: not yet).

    ``name`` and ``description`` are in the reader's language for the platform's own badges
    (lazy strings, translated when shown); any other stored badge keeps its stored text.
    """

    code: str
    name: str
    description: str
    icon: str
    points: int
    awarded_at: datetime | None

    @property
    def earned(self) -> bool:
        """Whether the student has this badge."""
        return self.awarded_at is not None


def achievements_of(*, student: User) -> list[StudentAchievement]:
    """Every badge with ``student``'s award of it, in one query.

    The platform's badges come first, in the order they are defined, whether or not one was
    stored yet (a badge not stored has never been awarded); badges stored under other codes
    follow in the order they were added.
    """
    query = (
        select(Achievement, AchievementAward.awarded_at)
        .outerjoin(
            AchievementAward,
            and_(
                AchievementAward.achievement_id == Achievement.id,
                AchievementAward.student_id == student.id,
            ),
        )
        .order_by(Achievement.id)
    )
    stored = {
        achievement.code: (achievement, awarded_at)
        for achievement, awarded_at in db.session.execute(query)
    }
    badges = []
    for definition in DEFINITIONS:
        achievement, awarded_at = stored.pop(definition.code, (None, None))
        badges.append(
            StudentAchievement(
                code=definition.code,
                name=definition.name,
                description=definition.description,
                icon=definition.icon,
                # What an award actually adds is the stored bonus, where there is one.
                points=achievement.points if achievement is not None else definition.points,
                awarded_at=awarded_at,
            )
        )
    badges.extend(
        StudentAchievement(
            code=achievement.code,
            name=achievement.name,
            description=achievement.description,
            icon=achievement.icon,
            points=achievement.points,
            awarded_at=awarded_at,
        )
        for achievement, awarded_at in stored.values()
    )
    return badges
