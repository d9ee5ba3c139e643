"""Refreshing the analytics records: each student's engagement figures and quest predictions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import pandas as pd
from sqlalchemy import delete, insert

from analytics.engagement import engagement_report
from analytics.load import load_dataset
from analytics.model import shipped_model
from analytics.prediction import QuestModel, predict_quests
from quest_platform.extensions import db
from quest_platform.models import QuestPrediction, StudentAnalytics


def refresh_analytics(
    *,
    classroom_ids: Sequence[int],
    now: datetime | None = None,
    model: QuestModel | None = None,
) -> datetime:
    """Recompute the analytics records of ``classroom_ids`` and return when they were computed.

    The classrooms' records are replaced as a whole in one transaction: a reader sees the old
    set or the new one, never a mix. ``model`` defaults to the shipped quest model.
    """
    ids = sorted(set(classroom_ids))
    dataset = load_dataset(db.engine, classroom_ids=ids, now=now)
    computed_at = dataset.now.to_pydatetime()
    students = engagement_report(dataset).students
    predictions = predict_quests(dataset, model=model or shipped_model())
    db.session.execute(delete(StudentAnalytics).where(StudentAnalytics.classroom_id.in_(ids)))
    db.session.execute(delete(QuestPrediction).where(QuestPrediction.classroom_id.in_(ids)))
    if not students.empty:
        db.session.execute(
            insert(StudentAnalytics),
            [
                {
                    "student_id": int(row.student_id),
                    "classroom_id": int(row.classroom_id),
                    "computed_at": computed_at,
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
                for row in students.itertuples()
            ],
        )
    if not predictions.empty:
        db.session.execute(
            insert(QuestPrediction),
            [
                {
                    "student_id": int(row.student_id),
                    "classroom_id": int(row.classroom_id),
                    "quest_id": int(row.quest_id),
                    "computed_at": computed_at,
                    "probability": float(row.probability),
                    "predicted_finish": _moment(row.predicted_finish),
                    "finish_low": _moment(row.finish_low),
                    "finish_high": _moment(row.finish_high),
                    "risk": str(row.risk),
                    "reasons": [list(reason) for reason in row.reasons],
                    "stages_done": int(row.stages_done),
                    "stages_total": int(row.stages_total),
                }
                for row in predictions.itertuples()
            ],
        )
    db.session.commit()
    return computed_at


def _number(value: object) -> float:
    # A student with nothing assigned has no completion: recorded as 0, as the reports show it.
    return 0.0 if pd.isna(value) else float(value)  # type: ignore[arg-type]


def _maybe(value: object) -> float | None:
    return None if pd.isna(value) else float(value)  # type: ignore[arg-type]


def _moment(value: object) -> datetime | None:
    return None if pd.isna(value) else pd.Timestamp(value).to_pydatetime()  # type: ignore[arg-type]
