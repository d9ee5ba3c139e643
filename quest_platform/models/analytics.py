"""What analytics last computed for a classroom: each student's engagement figures and quest
predictions, and the charts of its dashboard.

Derived records, replaced as a whole, in one transaction, whenever a classroom's analytics are
refreshed (``services.analytics.refresh_analytics``); the attempts they come from stay the truth.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from quest_platform.extensions import Model
from quest_platform.models.base import JSONDocument, UTCDateTime, check_in


class RiskLevel(enum.StrEnum):
    """How a quest prediction reads to a teacher: by the chance of finishing by the due date."""

    ON_TRACK = "on_track"
    WATCH = "watch"
    AT_RISK = "at_risk"


class Confidence(enum.StrEnum):
    """How much data stands behind a quest prediction."""

    LITTLE_DATA = "little_data"  # the student's own record or the model's data is thin
    FAIR = "fair"
    GOOD = "good"


class PredictionModel(Model):
    """A quest model fitted on this deployment's own records, with what it was fitted on and
    how well it did on records it was not fitted on. Never changed; the newest one is used."""

    __tablename__ = "prediction_model"
    __table_args__ = (
        CheckConstraint("examples > 0", name="examples_positive"),
        CheckConstraint("classrooms > 0", name="classrooms_positive"),
        CheckConstraint("data_to >= data_from", name="span_in_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The version teachers read ("model 3"): one more than the previous one.
    version: Mapped[int] = mapped_column(unique=True)
    fitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The earliest quest opening and the latest due date of the records it learned from.
    data_from: Mapped[datetime] = mapped_column(UTCDateTime)
    data_to: Mapped[datetime] = mapped_column(UTCDateTime)
    # (student, quest, cut) examples, and the classrooms and quests they came from.
    examples: Mapped[int]
    classrooms: Mapped[int]
    quests: Mapped[int]
    # The fitted numbers (analytics.prediction.QuestModel.parameters).
    parameters: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    # Held-out scores (analytics.evaluate.Scores per week, as plain numbers).
    evaluation: Mapped[dict[str, Any]] = mapped_column(JSONDocument)

    def __repr__(self) -> str:
        return f"<PredictionModel version {self.version}>"


class StudentAnalytics(Model):
    """A student's engagement in one classroom, as computed at ``computed_at``."""

    __tablename__ = "student_analytics"
    __table_args__ = (
        UniqueConstraint("student_id", "classroom_id", name="one_record_per_classroom"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        CheckConstraint(
            "completion_pct >= 0 AND completion_pct <= 100", name="completion_is_a_percentage"
        ),
        CheckConstraint(
            "first_try_rate IS NULL OR (first_try_rate >= 0 AND first_try_rate <= 1)",
            name="first_try_rate_is_a_share",
        ),
        CheckConstraint(
            "longest_streak >= current_streak AND current_streak >= 0", name="streaks_in_order"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Looked up by student through the unique constraint, which leads with student_id.
    student_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    classroom_id: Mapped[int] = mapped_column(
        ForeignKey("classroom.id", ondelete="CASCADE"), index=True
    )
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int]
    active_days_per_week: Mapped[float] = mapped_column(Float)
    time_on_task_minutes: Mapped[float] = mapped_column(Float)
    completion_pct: Mapped[float] = mapped_column(Float)
    # None until the student has attempted a stage.
    first_try_rate: Mapped[float | None] = mapped_column(Float)
    longest_streak: Mapped[int]
    current_streak: Mapped[int]
    # None for a student who never started.
    days_since_last_activity: Mapped[int | None]
    last_active_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<StudentAnalytics student={self.student_id} classroom={self.classroom_id}>"


class QuestPrediction(Model):
    """Whether and when a student is likely to finish a quest of a classroom, and why."""

    __tablename__ = "quest_prediction"
    __table_args__ = (
        UniqueConstraint("student_id", "classroom_id", "quest_id", name="one_prediction_per_quest"),
        CheckConstraint("probability >= 0 AND probability <= 1", name="probability_in_range"),
        CheckConstraint(check_in("risk", RiskLevel), name="risk_is_a_known_level"),
        CheckConstraint(
            "stages_done >= 0 AND stages_done <= stages_total", name="stages_done_in_range"
        ),
        CheckConstraint(check_in("confidence", Confidence), name="confidence_is_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Looked up by student through the unique constraint, which leads with student_id.
    student_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    classroom_id: Mapped[int] = mapped_column(
        ForeignKey("classroom.id", ondelete="CASCADE"), index=True
    )
    quest_id: Mapped[int] = mapped_column(ForeignKey("quest.id", ondelete="CASCADE"), index=True)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    probability: Mapped[float] = mapped_column(Float)
    # None when the pace model has no estimate yet.
    predicted_finish: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finish_low: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finish_high: Mapped[datetime | None] = mapped_column(UTCDateTime)
    risk: Mapped[str] = mapped_column(String(10))
    # The top reasons as [code, number, ...] lists, most important first.
    reasons: Mapped[list[Any]] = mapped_column(JSONDocument, default=list)
    stages_done: Mapped[int]
    stages_total: Mapped[int]
    confidence: Mapped[str] = mapped_column(String(12), default=Confidence.FAIR.value)
    # The fitted model that made it; None for the model shipped with the platform.
    model_id: Mapped[int | None] = mapped_column(
        ForeignKey("prediction_model.id", ondelete="SET NULL"), index=True
    )

    def __repr__(self) -> str:
        return f"<QuestPrediction student={self.student_id} quest={self.quest_id} {self.risk}>"


class DashboardChart(Model):
    """One chart of a classroom's dashboard, drawn in one language, as computed at ``computed_at``.

    The classroom's own charts (weekly engagement, risk levels) have no quest; a quest's charts
    (its stage funnel and progress grid) are drawn for every quest given to the classroom.
    """

    __tablename__ = "dashboard_chart"
    __table_args__ = (
        UniqueConstraint("classroom_id", "language", "slug", name="one_chart_per_slug"),
        CheckConstraint("position >= 0", name="position_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Looked up by classroom and language through the unique constraint, which leads with them.
    classroom_id: Mapped[int] = mapped_column(ForeignKey("classroom.id", ondelete="CASCADE"))
    quest_id: Mapped[int | None] = mapped_column(
        ForeignKey("quest.id", ondelete="CASCADE"), index=True
    )
    language: Mapped[str] = mapped_column(String(8))
    # The chart's anchor on the page, unique on it: "weekly-3", "funnel-3-12"...
    slug: Mapped[str] = mapped_column(String(40))
    # Its place on the dashboard, top first.
    position: Mapped[int]
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The chart as the page shows it: title, takeaway, SVG and the table of its figures.
    chart: Mapped[dict[str, Any]] = mapped_column(JSONDocument)

    def __repr__(self) -> str:
        return f"<DashboardChart {self.slug} {self.language}>"
