"""Reading the analytics records: when a classroom's were computed, and a student's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from quest_platform.extensions import db
from quest_platform.models import (
    Attempt,
    Enrollment,
    Quest,
    QuestAssignment,
    QuestPrediction,
    Review,
    StudentAnalytics,
)


def analytics_computed_at(classroom_id: int) -> datetime | None:
    """When the classroom's analytics records were last computed; None if never."""
    return db.session.scalar(
        select(func.min(StudentAnalytics.computed_at)).where(
            StudentAnalytics.classroom_id == classroom_id
        )
    )


def records_version(classroom_id: int) -> tuple[int, ...]:
    """A fingerprint of what a classroom's analytics depend on: it changes when they may.

    The newest attempt and review anywhere, the classroom's enrollments and its newest
    assignment: one query over primary keys and indexes.
    """
    row = db.session.execute(
        select(
            select(func.coalesce(func.max(Attempt.id), 0)).scalar_subquery(),
            select(func.coalesce(func.max(Review.id), 0)).scalar_subquery(),
            select(func.count())
            .select_from(Enrollment)
            .where(Enrollment.classroom_id == classroom_id)
            .scalar_subquery(),
            # With the count, a student leaving and another joining still changes the print.
            select(func.coalesce(func.sum(Enrollment.student_id), 0))
            .where(Enrollment.classroom_id == classroom_id)
            .scalar_subquery(),
            select(func.coalesce(func.max(QuestAssignment.id), 0))
            .where(QuestAssignment.classroom_id == classroom_id)
            .scalar_subquery(),
        )
    ).one()
    return tuple(int(value) for value in row)


def student_analytics(student_id: int, classroom_ids: list[int]) -> list[StudentAnalytics]:
    """A student's engagement records in the given classrooms."""
    return list(
        db.session.scalars(
            select(StudentAnalytics)
            .where(
                StudentAnalytics.student_id == student_id,
                StudentAnalytics.classroom_id.in_(classroom_ids),
            )
            .order_by(StudentAnalytics.classroom_id)
        )
    )


def student_predictions(student_id: int, classroom_ids: list[int]) -> list[QuestPrediction]:
    """A student's quest predictions in the given classrooms, least likely to finish first."""
    return list(
        db.session.scalars(
            select(QuestPrediction)
            .where(
                QuestPrediction.student_id == student_id,
                QuestPrediction.classroom_id.in_(classroom_ids),
            )
            .order_by(QuestPrediction.probability, QuestPrediction.quest_id)
        )
    )


@dataclass(frozen=True)
class AssignedQuest:
    """A quest given to a classroom, as the dashboard's quest picker lists it."""

    id: int
    title: str
    opens_at: datetime


def quests_assigned_to(classroom_id: int) -> list[AssignedQuest]:
    """The quests given to a classroom, in the order they open."""
    rows = db.session.execute(
        select(Quest.id, Quest.title, QuestAssignment.opens_at)
        .join(QuestAssignment, QuestAssignment.quest_id == Quest.id)
        .where(QuestAssignment.classroom_id == classroom_id)
        .order_by(QuestAssignment.opens_at, Quest.title)
    )
    return [AssignedQuest(*row) for row in rows]


def quest_titles(quest_ids: list[int]) -> dict[int, str]:
    """The titles of the given quests, by id."""
    rows = db.session.execute(select(Quest.id, Quest.title).where(Quest.id.in_(quest_ids)))
    return dict(rows.all())
