"""Feedback conversations: the messages about an attempt, and how far each person has read."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quest_platform.extensions import Model
from quest_platform.models.base import UTCDateTime, utcnow

if TYPE_CHECKING:
    from quest_platform.models.accounts import User
    from quest_platform.models.attempts import Attempt

MAX_MESSAGE_LENGTH = 4000


class AttemptMessage(Model):
    """One message in the conversation about an attempt, between the student and their teachers.

    ``body`` is the Markdown as written; ``body_html`` is it rendered and sanitized once, when
    the message is written. A teacher may hide a message (it stays, marked hidden, for them).
    """

    __tablename__ = "attempt_message"
    __table_args__ = (
        CheckConstraint(
            f"length(trim(body)) > 0 AND length(body) <= {MAX_MESSAGE_LENGTH}",
            name="body_length",
        ),
        # Who hid a message may be a deleted account (NULL), but never without the time.
        CheckConstraint("hidden_by_id IS NULL OR hidden_at IS NOT NULL", name="hidden_with_time"),
        # A thread is read in order; unread counts compare ids within threads.
        Index("ix_attempt_message_attempt_id", "attempt_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id", ondelete="RESTRICT"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    attempt: Mapped[Attempt] = relationship()
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])

    def __repr__(self) -> str:
        return f"<AttemptMessage {self.id} attempt={self.attempt_id}>"


class ThreadRead(Model):
    """How far a person has read the conversation about an attempt: its latest message they saw."""

    __tablename__ = "thread_read"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("attempt.id", ondelete="CASCADE"), primary_key=True
    )
    last_read_message_id: Mapped[int] = mapped_column(Integer)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<ThreadRead user={self.user_id} attempt={self.attempt_id}>"
