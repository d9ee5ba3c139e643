"""Reading the analytics records: when a classroom's were computed, its dashboard, a student's
figures and predictions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select

from quest_platform.extensions import db
from quest_platform.models import (
    DashboardChart,
    Quest,
    QuestAssignment,
    QuestPrediction,
    StudentAnalytics,
)


def analytics_computed_at(classroom_id: int) -> datetime | None:
    """When the classroom's analytics were last computed; None if never.

    Every refresh draws the classroom's weekly chart, so its dashboard says when, even for a
    classroom without students.
    """
    return db.session.scalar(
        select(func.max(DashboardChart.computed_at)).where(
            DashboardChart.classroom_id == classroom_id
        )
    )


def dashboard_charts(
    classroom_id: int, *, quest_id: int | None, language: str
) -> list[DashboardChart]:
    """The stored charts of a classroom's dashboard in ``language``: the classroom's own and
    those of the quest ``quest_id``, in their order on the page."""
    return list(
        db.session.scalars(
            select(DashboardChart)
            .where(
                DashboardChart.classroom_id == classroom_id,
                DashboardChart.language == language,
                or_(DashboardChart.quest_id.is_(None), DashboardChart.quest_id == quest_id),
            )
            .order_by(DashboardChart.position)
        )
    )


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


def classroom_predictions(classroom_id: int) -> list[QuestPrediction]:
    """Every quest prediction of a classroom, least likely to finish first."""
    return list(
        db.session.scalars(
            select(QuestPrediction)
            .where(QuestPrediction.classroom_id == classroom_id)
            .order_by(
                QuestPrediction.probability, QuestPrediction.student_id, QuestPrediction.quest_id
            )
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
