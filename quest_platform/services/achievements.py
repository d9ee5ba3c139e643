"""Achievements: the badges the platform can award."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from quest_platform.extensions import db
from quest_platform.models import Achievement


@dataclass(frozen=True)
class AchievementDefinition:
    """A badge that rewards learning, not speed alone."""

    code: str
    name: str
    description: str
    icon: str
    points: int


# Stored in English; pages translate them through these same strings.
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


def ensure_achievements() -> list[Achievement]:
    """Create any missing achievement definitions and return all of them."""
    existing = {
        achievement.code: achievement for achievement in db.session.scalars(select(Achievement))
    }
    for definition in DEFINITIONS:
        if definition.code in existing:
            continue
        # Definitions are stored in English; pages show them through the catalog.
        with force_locale("en"):
            existing[definition.code] = Achievement(
                code=definition.code,
                name=str(definition.name),
                description=str(definition.description),
                icon=definition.icon,
                points=definition.points,
            )
            db.session.add(existing[definition.code])
    db.session.commit()
    return list(existing.values())
