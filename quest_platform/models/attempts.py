"""Attempts: the append-only record of every answer a student submits to a stage."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from quest_platform.extensions import Model
from quest_platform.models.base import JSONDocument, UTCDateTime, check_in, utcnow

if TYPE_CHECKING:
    from quest_platform.models.accounts import User
    from quest_platform.models.achievements import AchievementAward
    from quest_platform.models.quests import Quest, Stage


class Outcome(enum.StrEnum):
    """How an attempt ended."""

    PASSED = "passed"
    FAILED = "failed"
    PENDING_REVIEW = "pending_review"
    LATE = "late"


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or delete a recorded attempt."""


class Attempt(Model):
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
        # A student's attempts by time: an answer asks which of the last days the student
        # worked on (the streak), one probe a day, however many attempts they made.
        Index("ix_attempt_student_submitted", "student_id", "submitted_at"),
        Index("ix_attempt_quest_submitted", "quest_id", "submitted_at"),
        # The attempts list shows the newest first; this index serves its first pages.
        Index("ix_attempt_submitted", "submitted_at"),
        # Attempts waiting for review (or late) are few among many: this finds them, newest
        # first, for the teacher home's counts and the attempts list filtered to them.
        Index("ix_attempt_outcome_submitted", "outcome", "submitted_at"),
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
    # A team checkpoint's hand-in this attempt credits the student with (models/teams.py).
    team_hand_in_id: Mapped[int | None] = mapped_column(
        ForeignKey("team_hand_in.id", ondelete="RESTRICT"), index=True
    )

    student: Mapped[User] = relationship()
    quest: Mapped[Quest] = relationship()
    stage: Mapped[Stage] = relationship()
    # Read-only from this side: a review is added as its own row, never through the attempt.
    reviews: Mapped[list[Review]] = relationship(order_by="Review.id", viewonly=True)
    screenshot: Mapped[EvidenceFile | None] = relationship(viewonly=True)

    def __repr__(self) -> str:
        return f"<Attempt {self.id} stage={self.stage_id} {self.outcome}>"

    @property
    def latest_review(self) -> Review | None:
        """The review that decides this attempt's result now, if a teacher reviewed it."""
        return self.reviews[-1] if self.reviews else None

    @property
    def result(self) -> tuple[float | None, str]:
        """The score and outcome that count: the latest review's, else the attempt's own."""
        review = self.latest_review
        return (review.score, review.outcome) if review else (self.score, self.outcome)


class ReviewKind(enum.StrEnum):
    """Why a teacher reviewed an attempt."""

    # Marking an attempt that waited for a teacher (a checkpoint).
    MARK = "mark"
    # Replacing a score the platform (or an earlier review) gave; a reason is required.
    OVERRIDE = "override"


class Review(Model):
    """A teacher's decision on an attempt: a checkpoint marked or a score overridden. Never changed.

    The attempt itself stays as submitted; the latest review of an attempt gives its result.
    """

    __tablename__ = "review"
    __table_args__ = (
        CheckConstraint(check_in("kind", ReviewKind), name="kind_known"),
        CheckConstraint("outcome IN ('passed', 'failed')", name="outcome_decided"),
        CheckConstraint("score >= 0", name="score_not_negative"),
        CheckConstraint(
            "kind <> 'override' OR length(trim(reason)) > 0", name="override_has_reason"
        ),
        CheckConstraint(
            "NOT resubmit_requested OR outcome = 'failed'", name="resubmit_only_when_failed"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("attempt.id", ondelete="RESTRICT"), index=True
    )
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(20))
    score: Mapped[float] = mapped_column(Float)
    outcome: Mapped[str] = mapped_column(String(20))
    # The reason for an override, or feedback for the student on a marked checkpoint.
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A failed mark that asks the student to hand the work in again (after the feedback).
    resubmit_requested: Mapped[bool] = mapped_column(Boolean, default=False)

    attempt: Mapped[Attempt] = relationship()
    reviewer: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<Review {self.id} attempt={self.attempt_id} {self.kind}>"


class ReviewSeen(Model):
    """When a student saw a teacher's review of their work: until then, the portal tells them.

    Kept apart from the review, which never changes; a row is written once, the first time the
    student opens the stage that shows the review.
    """

    __tablename__ = "review_seen"

    review_id: Mapped[int] = mapped_column(
        ForeignKey("review.id", ondelete="CASCADE"), primary_key=True
    )
    student_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<ReviewSeen review={self.review_id} student={self.student_id}>"


class PointsReason(enum.StrEnum):
    """Why points were entered in the ledger."""

    # A stage's counted score, first entered or changed by a later attempt (best/latest policy).
    STAGE_SCORE = "stage_score"
    # The bonus of an achievement the student earned.
    ACHIEVEMENT = "achievement"
    # The points of a student's place in a code race (models/races.py).
    RACE = "race"


class PointsEntry(Model):
    """One line of a student's points ledger: points gained (or, for a lower score, lost).

    A student's points are the sum of their entries; each entry names the attempt, the
    achievement award or the race place that caused it. Never changed: a correction is a new entry.
    """

    __tablename__ = "points_entry"
    __table_args__ = (
        CheckConstraint(check_in("reason", PointsReason), name="reason_known"),
        CheckConstraint("points <> 0", name="points_not_zero"),
        # Exactly one cause: an attempt's stage score, an achievement award's bonus, or a
        # place in a race (with the passing attempt that earned it).
        CheckConstraint(
            "(reason = 'stage_score' AND attempt_id IS NOT NULL AND stage_id IS NOT NULL"
            " AND award_id IS NULL AND race_id IS NULL)"
            " OR (reason = 'achievement' AND award_id IS NOT NULL AND attempt_id IS NULL"
            " AND race_id IS NULL)"
            " OR (reason = 'race' AND race_id IS NOT NULL AND attempt_id IS NOT NULL"
            " AND stage_id IS NULL AND award_id IS NULL)",
            name="one_cause",
        ),
        # A race's points reach each student once.
        UniqueConstraint("race_id", "student_id", name="one_prize_per_race"),
        Index("ix_points_entry_student_stage", "student_id", "stage_id"),
        # Leaderboards sum points per quest.
        Index("ix_points_entry_quest_student", "quest_id", "student_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    quest_id: Mapped[int] = mapped_column(ForeignKey("quest.id", ondelete="RESTRICT"))
    stage_id: Mapped[int | None] = mapped_column(ForeignKey("stage.id", ondelete="RESTRICT"))
    attempt_id: Mapped[int | None] = mapped_column(
        ForeignKey("attempt.id", ondelete="RESTRICT"), index=True
    )
    award_id: Mapped[int | None] = mapped_column(
        ForeignKey("achievement_award.id", ondelete="RESTRICT"), index=True
    )
    points: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    race_id: Mapped[int | None] = mapped_column(ForeignKey("code_race.id", ondelete="RESTRICT"))

    student: Mapped[User] = relationship()
    attempt: Mapped[Attempt | None] = relationship()
    award: Mapped[AchievementAward | None] = relationship()

    def __repr__(self) -> str:
        return f"<PointsEntry {self.id} student={self.student_id} {self.points:+d} {self.reason}>"


class StageStart(Model):
    """When a student started a try at a timed stage, as the server recorded it. Never changed.

    The time limit runs from here, whatever the student's browser says; reloading the page does
    not restart it.
    """

    __tablename__ = "stage_start"
    __table_args__ = (
        UniqueConstraint("student_id", "stage_id", "try_number", name="once_per_try"),
        CheckConstraint("try_number >= 1", name="try_number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    stage_id: Mapped[int] = mapped_column(ForeignKey("stage.id", ondelete="RESTRICT"))
    # The try this start belongs to: 1 for the first attempt, 2 for the second, ...
    try_number: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<StageStart student={self.student_id} stage={self.stage_id} try={self.try_number}>"


class TimeExtension(Model):
    """Extra time a teacher gave a student on a timed stage. Never changed.

    The student's limit on the stage is its own limit plus the sum of their extensions.
    """

    __tablename__ = "time_extension"
    __table_args__ = (
        CheckConstraint("extra_seconds > 0 AND extra_seconds <= 86400", name="extra_in_range"),
        Index("ix_time_extension_student_stage", "student_id", "stage_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    stage_id: Mapped[int] = mapped_column(ForeignKey("stage.id", ondelete="RESTRICT"))
    extra_seconds: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text, default="")
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    student: Mapped[User] = relationship(foreign_keys=[student_id])
    stage: Mapped[Stage] = relationship()
    granted_by: Mapped[User | None] = relationship(foreign_keys=[granted_by_id])

    def __repr__(self) -> str:
        extra = f"+{self.extra_seconds}s"
        return f"<TimeExtension student={self.student_id} stage={self.stage_id} {extra}>"


SCREENSHOT_TYPES = ("image/png", "image/jpeg")


class EvidenceFile(Model):
    """A screenshot handed in with a checkpoint attempt, kept outside the web root. Never changed.

    The file itself lives in the upload folder under ``stored_name`` (random, never the
    student's file name); only the student and their teachers may read it.
    """

    __tablename__ = "evidence_file"
    __table_args__ = (
        CheckConstraint("content_type IN ('image/png', 'image/jpeg')", name="content_type_image"),
        CheckConstraint("size_bytes > 0", name="size_positive"),
        CheckConstraint("width > 0 AND height > 0", name="dimensions_positive"),
        CheckConstraint("length(trim(alt_text)) > 0", name="alt_text_given"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("attempt.id", ondelete="RESTRICT"), unique=True
    )
    student_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"), index=True)
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(20))
    size_bytes: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    alt_text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<EvidenceFile {self.id} attempt={self.attempt_id}>"


APPEND_ONLY = (Attempt, Review, PointsEntry, StageStart, TimeExtension, EvidenceFile)


@event.listens_for(Session, "before_flush")
def _refuse_attempt_changes(session: Session, flush_context: object, instances: object) -> None:
    """Keep attempts and what hangs on them append-only: a change is a new row."""
    for instance in (*session.dirty, *session.deleted):
        if isinstance(instance, APPEND_ONLY) and (
            instance in session.deleted or session.is_modified(instance)
        ):
            raise AppendOnlyError(
                "attempts, reviews, points, starts, extensions and evidence are append-only;"
                " record a new row instead"
            )
