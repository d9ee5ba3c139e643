"""Rewards a student sees: what a finished quest earned them, and reviews they have not read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from quest_platform.extensions import db
from quest_platform.models import (
    Achievement,
    AchievementAward,
    Attempt,
    Quest,
    QuestStatus,
    QuestTally,
    Review,
    ReviewSeen,
    Stage,
    User,
)
from quest_platform.models.achievements import definition_of
from quest_platform.queries.achievements import StudentAchievement
from quest_platform.queries.progress import QuestProgress


@dataclass(frozen=True)
class QuestRewards:
    """What a student earned in one quest: its points (bonuses included) and its badges."""

    points: int
    bonus_points: int
    badges: tuple[StudentAchievement, ...]

    @property
    def stage_points(self) -> int:
        """The points the stages' scores count for, without the badges' bonuses."""
        return self.points - self.bonus_points


@dataclass(frozen=True)
class ReviewNote:
    """A teacher's review of a student's stage that the student has not seen yet."""

    quest: Quest
    stage: Stage
    outcome: str
    score: float
    max_score: float
    reviewed_at: datetime


def quest_rewards(*, student: User, quest: Quest) -> QuestRewards:
    """``student``'s points in ``quest`` and the badges their answers in it earned: two queries."""
    tally = db.session.get(QuestTally, (student.id, quest.id))
    query = (
        select(Achievement, AchievementAward.awarded_at)
        .join(AchievementAward, AchievementAward.achievement_id == Achievement.id)
        .where(AchievementAward.student_id == student.id, AchievementAward.quest_id == quest.id)
        .order_by(AchievementAward.awarded_at, AchievementAward.id)
    )
    badges = tuple(
        badge_of(achievement, awarded_at) for achievement, awarded_at in db.session.execute(query)
    )
    if tally is None:
        return QuestRewards(points=0, bonus_points=0, badges=badges)
    return QuestRewards(points=tally.points, bonus_points=tally.bonus_points, badges=badges)


def badge_of(achievement: Achievement, awarded_at: datetime) -> StudentAchievement:
    """An earned badge, named in the reader's language when it is one of the platform's own."""
    try:
        definition = definition_of(achievement.code)
    except LookupError:
        name, description = achievement.name, achievement.description
    else:
        name, description = definition.name, definition.description
    return StudentAchievement(
        code=achievement.code,
        name=name,
        description=description,
        icon=achievement.icon,
        points=achievement.points,
        awarded_at=awarded_at,
    )


def next_quest(quests: list[QuestProgress], *, after: Quest) -> QuestProgress | None:
    """Of a student's quests (as the quest map lists them), the first other one with a stage to
    do, for "what's next" once ``after`` is finished."""
    return next((p for p in quests if p.quest.id != after.id and p.next_stage is not None), None)


def unseen_reviews(*, student: User) -> list[ReviewNote]:
    """Teachers' reviews of ``student``'s work not seen yet, newest first, one per stage.

    A stage reviewed twice (marked, then its score changed) is told once, with the review that
    counts now.
    """
    query = (
        select(Review)
        .join(Attempt, Attempt.id == Review.attempt_id)
        # A quest taken back to draft is out of the student's reach, and so are its reviews.
        .join(Quest, Quest.id == Attempt.quest_id)
        .outerjoin(ReviewSeen, ReviewSeen.review_id == Review.id)
        .where(
            Attempt.student_id == student.id,
            Quest.status != QuestStatus.DRAFT.value,
            ReviewSeen.review_id.is_(None),
        )
        .options(joinedload(Review.attempt).joinedload(Attempt.stage))
        .options(joinedload(Review.attempt).joinedload(Attempt.quest))
        .order_by(Review.created_at.desc(), Review.id.desc())
    )
    notes: dict[int, ReviewNote] = {}
    for review in db.session.scalars(query).unique():
        attempt = review.attempt
        notes.setdefault(
            attempt.stage_id,
            ReviewNote(
                quest=attempt.quest,
                stage=attempt.stage,
                outcome=review.outcome,
                score=review.score,
                max_score=attempt.max_score,
                reviewed_at=review.created_at,
            ),
        )
    return list(notes.values())
