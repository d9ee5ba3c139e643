"""Refreshing a classroom's analytics: its students' figures and predictions, and its dashboard.

The one writer of the analytics records (``models/analytics.py``). Pages and the API only read
them; a teacher's "Refresh" button, ``manage.py analytics refresh`` (for cron) and the demo's
seeding call this.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from flask import current_app
from flask_babel import force_locale
from sqlalchemy import delete, insert, select

from analytics.engagement import engagement_report
from analytics.load import load_dataset
from analytics.prediction import QuestModel, predict_quests
from quest_platform.extensions import db
from quest_platform.i18n import format_locale
from quest_platform.models import Classroom, DashboardChart, QuestPrediction, StudentAnalytics
from quest_platform.queries.analytics import analytics_computed_at
from quest_platform.reports.dashboard import dashboard_charts
from quest_platform.reports.document import chart_document
from quest_platform.services.errors import undone_on_error
from quest_platform.services.prediction_models import model_in_use


@undone_on_error
def refresh_analytics(
    *,
    classroom: Classroom,
    now: datetime | None = None,
    model: QuestModel | None = None,
) -> datetime:
    """Compute a classroom's analytics afresh, store them, and return when they were computed.

    Each student's engagement figures and quest predictions, and the charts of the classroom's
    dashboard in every language of the platform. The classroom's records are replaced as a
    whole in one transaction: a reader sees the old set or the new one, never a mix. A refresh
    that finds fresher records stored (another one, begun later, finished first) keeps them and
    returns their time. ``model`` defaults to the model in use (the newest fitted on this
    deployment's records, else the shipped one), and each prediction names it.
    """
    fitted = None
    if model is None:
        model, fitted = model_in_use()
    computed = _compute(
        classroom_id=classroom.id, now=now, model=model, model_id=fitted.id if fitted else None
    )
    # One refresh of a classroom writes at a time: a second waits here for the first to commit,
    # then finds its records (SQLite lets one writer in at a time anyway).
    db.session.execute(select(Classroom.id).where(Classroom.id == classroom.id).with_for_update())
    stored = analytics_computed_at(classroom.id)
    if stored is not None and stored > computed.at:
        db.session.commit()
        return stored
    for model_class in (StudentAnalytics, QuestPrediction, DashboardChart):
        db.session.execute(delete(model_class).where(model_class.classroom_id == classroom.id))
    for model_class, rows in (
        (StudentAnalytics, computed.students),
        (QuestPrediction, computed.predictions),
        (DashboardChart, computed.charts),
    ):
        if rows:
            db.session.execute(insert(model_class), rows)
    db.session.commit()
    return computed.at


@dataclass(frozen=True)
class _Computed:
    """A classroom's analytics as rows of the three tables, computed at ``at``."""

    at: datetime
    students: list[dict[str, Any]]
    predictions: list[dict[str, Any]]
    charts: list[dict[str, Any]]


def _compute(
    *, classroom_id: int, now: datetime | None, model: QuestModel, model_id: int | None
) -> _Computed:
    """Read a classroom's records and compute its analytics, writing nothing."""
    dataset = load_dataset(
        db.engine,
        classroom_ids=[classroom_id],
        now=now,
        zone=current_app.config["SCHOOL_TIME_ZONE"],
    )
    at = dataset.now.to_pydatetime()
    report = engagement_report(dataset)
    predictions = predict_quests(dataset, model=model)
    charts = []
    for language in current_app.config["LANGUAGES"]:
        with force_locale(format_locale(language)):
            drawn = dashboard_charts(
                dataset, report=report, predictions=predictions, classroom_id=classroom_id
            )
        charts += [
            {
                "classroom_id": classroom_id,
                "quest_id": placed.quest_id,
                "language": language,
                "slug": placed.chart.slug,
                "position": placed.position,
                "computed_at": at,
                "chart": chart_document(placed.chart),
            }
            for placed in drawn
        ]
    students = [
        {
            "student_id": int(row.student_id),
            "classroom_id": int(row.classroom_id),
            "computed_at": at,
            "attempts": int(row.attempts),
            "active_days_per_week": _number(row.active_days_per_week),
            "time_on_task_minutes": _number(row.time_on_task_minutes),
            "completion_pct": _number(row.completion_pct),
            "first_try_rate": _maybe(row.first_try_rate),
            "longest_streak": int(row.longest_streak),
            "current_streak": int(row.current_streak),
            "days_since_last_activity": None
            if row.never_started
            else int(row.days_since_last_activity),
            "last_active_at": _moment(row.last_active_at),
        }
        for row in report.students.itertuples()
    ]
    predicted = [
        {
            "student_id": int(row.student_id),
            "classroom_id": int(row.classroom_id),
            "quest_id": int(row.quest_id),
            "computed_at": at,
            "probability": float(row.probability),
            "predicted_finish": _moment(row.predicted_finish),
            "finish_low": _moment(row.finish_low),
            "finish_high": _moment(row.finish_high),
            "risk": str(row.risk),
            "reasons": [list(reason) for reason in row.reasons],
            "stages_done": int(row.stages_done),
            "stages_total": int(row.stages_total),
            "confidence": str(row.confidence),
            "model_id": model_id,
        }
        for row in predictions.itertuples()
    ]
    return _Computed(at=at, students=students, predictions=predicted, charts=charts)


def _number(value: float) -> float:
    # A student with nothing assigned has no completion: recorded as 0, as the reports show it.
    return 0.0 if pd.isna(value) else float(value)


def _maybe(value: float) -> float | None:
    return None if pd.isna(value) else float(value)


def _moment(value: object) -> datetime | None:
    return None if pd.isna(value) else pd.Timestamp(value).to_pydatetime()
