"""Attempts: the append-only record of every answer a student submits to a stage."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from quest_platform.extensions import db
from quest_platform.models.base import JSONDocument, UTCDateTime, check_in, utcnow

if TYPE_CHECKING:
    from quest_platform.models.accounts import User
    from quest_platform.models.quests import Quest, Stage


class Outcome(enum.StrEnum):
    """How an attempt ended."""

    PASSED = "passed"
    FAILED = "failed"
    PENDING_REVIEW = "pending_review"
    LATE = "late"


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or delete a recorded attempt."""


class Attempt(db.Model):
    """A student's answer to one stage, with its timing, score and outcome. Never changed."""

    __tablename__ = "attempt"
    __table_args__ = (
        CheckConstraint(check_in("outcome", Outcome), name="outcome_known"),
        CheckConstraint("max_score >= 0", name="max_score_not_negative"),
        CheckConstraint(
            "score IS NULL OR (score >= 0 AND score <= max_score)", name="score_in_range"
        ),
        CheckConstraint("submitted_at >= started_at", name="submitted_after_start"),
        CheckConstraint(
            "score IS NOT NULL OR outcome = 'pending_review'", name="only_pending_unscored"
        ),
        Index("ix_attempt_student_stage", "student_id", "stage_id"),
        Index("ix_attempt_quest_submitted", "quest_id", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    quest_id: Mapped[int] = mapped_column(ForeignKey("quest.id", ondelete="RESTRICT"))
    stage_id: Mapped[int] = mapped_column(ForeignKey("stage.id", ondelete="RESTRICT"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answer: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    score: Mapped[float | None] = mapped_column(Float)
    max_score: Mapped[float] = mapped_column(Float)
    outcome: Mapped[str] = mapped_column(String(20))
    # A client-chosen key that makes a resent submission a no-op instead of a second attempt.
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)

    student: Mapped[User] = relationship()
    quest: Mapped[Quest] = relationship()
    stage: Mapped[Stage] = relationship()

    def __repr__(self) -> str:
        return f"<Attempt {self.id} stage={self.stage_id} {self.outcome}>"


@event.listens_for(Session, "before_flush")
def _refuse_attempt_changes(session: Session, flush_context: object, instances: object) -> None:
    """Keep attempts append-only: reviews and overrides are separate records."""
    for instance in (*session.dirty, *session.deleted):
        if isinstance(instance, Attempt) and (
            instance in session.deleted or session.is_modified(instance)
        ):
            raise AppendOnlyError("attempts are append-only; record a new row instead")
