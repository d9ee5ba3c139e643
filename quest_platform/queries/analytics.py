"""Reading the analytics records: when a classroom's were computed, its dashboard, a student's
figures and predictions."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select

from quest_platform.extensions import db
from quest_platform.models import (
    DashboardChart,
    PredictionModel,
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


def latest_prediction_model(*, as_of: datetime | None = None) -> PredictionModel | None:
    """The newest quest model fitted on this deployment's records (by ``as_of``, if given);
    None before the first."""
    query = select(PredictionModel).order_by(PredictionModel.version.desc()).limit(1)
    if as_of is not None:
        query = query.where(PredictionModel.fitted_at <= as_of)
    return db.session.scalar(query)


def prediction_models_by_id(model_ids: Collection[int]) -> dict[int, PredictionModel]:
    """The fitted models of the given ids, by id."""
    if not model_ids:
        return {}
    found = db.session.scalars(select(PredictionModel).where(PredictionModel.id.in_(model_ids)))
    return {model.id: model for model in found}


@dataclass(frozen=True)
class PredictionBasis:
    """What stands behind a classroom's stored predictions: the fitted model that made them
    (None: the one shipped with the platform) and how many there are of each confidence."""

    model_id: int | None
    confidence: dict[str, int]


def prediction_basis(classroom_ids: Collection[int]) -> dict[int, PredictionBasis]:
    """For each of the given classrooms that has stored predictions, what stands behind them."""
    if not classroom_ids:
        return {}
    rows = db.session.execute(
        select(
            QuestPrediction.classroom_id,
            QuestPrediction.model_id,
            QuestPrediction.confidence,
            func.count(),
        )
        .where(QuestPrediction.classroom_id.in_(classroom_ids))
        .group_by(
            QuestPrediction.classroom_id, QuestPrediction.model_id, QuestPrediction.confidence
        )
    )
    models: dict[int, int | None] = {}
    confidence: dict[int, dict[str, int]] = {}
    for classroom_id, model_id, level, count in rows:
        # A refresh makes every prediction of a classroom with one model.
        models[classroom_id] = model_id
        confidence.setdefault(classroom_id, {})[level] = count
    return {
        classroom_id: PredictionBasis(model_id=models[classroom_id], confidence=counts)
        for classroom_id, counts in confidence.items()
    }
