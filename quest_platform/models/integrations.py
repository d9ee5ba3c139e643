"""Where the class already works: posts to a classroom's Slack and deliveries from GitHub."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from quest_platform.extensions import Model
from quest_platform.models.base import UTCDateTime, check_in, utcnow


class SlackPostStatus(enum.StrEnum):
    """Where a post to Slack stands."""

    QUEUED = "queued"
    SENT = "sent"
    # Every try failed: the post is kept, with the last error, for the teacher to see.
    FAILED = "failed"


class SlackPost(Model):
    """An announcement for a classroom's Slack channel, recorded before it is sent.

    The post is written in the request's transaction and sent by a background job, so a page
    never waits on Slack and a post is never lost: a failed send is retried, then kept as failed.
    ``key`` makes an announcement once only (a quest's "due tomorrow" is posted once).
    """

    __tablename__ = "slack_post"
    __table_args__ = (
        UniqueConstraint("classroom_id", "key", name="announced_once"),
        CheckConstraint(check_in("status", SlackPostStatus), name="status_known"),
        CheckConstraint("tries >= 0", name="tries_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    classroom_id: Mapped[int] = mapped_column(
        ForeignKey("classroom.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(120))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=SlackPostStatus.QUEUED.value)
    tries: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<SlackPost {self.id} classroom={self.classroom_id} {self.status}>"


class GithubDelivery(Model):
    """A webhook delivery from GitHub, kept by its id so that a replayed delivery is refused."""

    __tablename__ = "github_delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    classroom_id: Mapped[int] = mapped_column(
        ForeignKey("classroom.id", ondelete="CASCADE"), index=True
    )
    # GitHub's X-GitHub-Delivery header: a GUID, new for every delivery (a redelivery too).
    delivery_id: Mapped[str] = mapped_column(String(64), unique=True)
    event: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(40), default="")
    # What the platform did with it, in a few words ("recorded attempt 12", "ignored: ...").
    outcome: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<GithubDelivery {self.delivery_id} {self.event}/{self.action}>"
