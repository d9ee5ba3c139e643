"""Peer review: students given others' checkpoint submissions to review on the stage's rubric."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quest_platform.extensions import Model
from quest_platform.models.base import JSONDocument, UTCDateTime, utcnow

if TYPE_CHECKING:
    from quest_platform.models.accounts import User
    from quest_platform.models.attempts import Attempt

MAX_PEER_COMMENT_LENGTH = 4000
# Reviewers are graded on their reviews from 0 (not helpful) to this (very helpful).
MAX_REVIEWER_GRADE = 3


class PeerReviewAssignment(Model):
    """A submission (a checkpoint attempt) given to one reviewer, due by a deadline.

    Reviewers are students of the author's classroom; when too few peers handed in, a teacher
    takes the place (``by_teacher``). A reviewer is given a submission at most once.
    """

    __tablename__ = "peer_review_assignment"
    __table_args__ = (
        UniqueConstraint("attempt_id", "reviewer_id", name="reviewer_once_per_submission"),
        CheckConstraint("due_at > assigned_at", name="due_after_assigned"),
        Index("ix_peer_review_assignment_reviewer", "reviewer_id", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("attempt.id", ondelete="RESTRICT"), index=True
    )
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    by_teacher: Mapped[bool] = mapped_column(Boolean, default=False)

    attempt: Mapped[Attempt] = relationship()
    reviewer: Mapped[User] = relationship()
    review: Mapped[PeerReview | None] = relationship(back_populates="assignment", uselist=False)

    def __repr__(self) -> str:
        return f"<PeerReviewAssignment {self.id} attempt={self.attempt_id} by={self.reviewer_id}>"


class PeerReview(Model):
    """A reviewer's levels on each rubric criterion, with a comment; written once.

    ``levels`` holds one level index per criterion of the stage's rubric, in order. A teacher
    may hide an unkind review from its author and grade the reviewer on it.
    """

    __tablename__ = "peer_review"
    __table_args__ = (
        CheckConstraint(f"length(comment) <= {MAX_PEER_COMMENT_LENGTH}", name="comment_length"),
        CheckConstraint("hidden_by_id IS NULL OR hidden_at IS NOT NULL", name="hidden_with_time"),
        CheckConstraint(
            f"reviewer_grade IS NULL OR (reviewer_grade >= 0"
            f" AND reviewer_grade <= {MAX_REVIEWER_GRADE})",
            name="reviewer_grade_in_range",
        ),
        CheckConstraint("graded_by_id IS NULL OR graded_at IS NOT NULL", name="graded_with_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("peer_review_assignment.id", ondelete="RESTRICT"), unique=True
    )
    levels: Mapped[list[Any]] = mapped_column(JSONDocument, default=list)
    comment: Mapped[str] = mapped_column(Text, default="")
    comment_html: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    hidden_reason: Mapped[str] = mapped_column(Text, default="")
    reviewer_grade: Mapped[int | None] = mapped_column(Integer)
    graded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    graded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    assignment: Mapped[PeerReviewAssignment] = relationship(back_populates="review")

    def __repr__(self) -> str:
        return f"<PeerReview {self.id} assignment={self.assignment_id}>"

    @property
    def hidden(self) -> bool:
        """Whether a teacher hid the review from its author."""
        return self.hidden_at is not None
