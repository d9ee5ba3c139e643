"""Personal API tokens: what a student's own front end signs in with, instead of a cookie."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quest_platform.extensions import Model
from quest_platform.models.base import UTCDateTime, utcnow

if TYPE_CHECKING:
    from quest_platform.models.accounts import User


class ApiToken(Model):
    """A token a user made for their own programs. Only its SHA-256 digest is stored.

    The token itself is shown once, when it is made. It works until it expires or its owner
    revokes it; a revoked token keeps its row, so the owner's list shows what happened to it.
    """

    __tablename__ = "api_token"
    __table_args__ = (
        CheckConstraint("expires_at > created_at", name="expires_after_creation"),
        CheckConstraint("length(name) > 0", name="name_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    # The token's first characters, shown in lists so an owner can tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(12))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} {self.prefix}… user={self.user_id}>"

    def works_at(self, moment: datetime) -> bool:
        """Whether the token may sign its owner in at ``moment``."""
        return self.revoked_at is None and moment < self.expires_at
