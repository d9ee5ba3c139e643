"""Portfolio links: a student's portfolio shared with anyone who has the link, until revoked."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quest_platform.extensions import Model
from quest_platform.models.base import UTCDateTime, utcnow

if TYPE_CHECKING:
    from quest_platform.models.accounts import User


class PortfolioLink(Model):
    """A link that opens a student's portfolio signed out. Only its SHA-256 digest is stored.

    The link is shown to its student once, when it is made. A portfolio is private until its
    student makes a link, and again once they revoke it; a revoked link keeps its row (with
    ``revoked_at``) and never opens again. A student has at most one link that works.
    """

    __tablename__ = "portfolio_link"
    __table_args__ = (
        CheckConstraint(
            "revoked_at IS NULL OR revoked_at >= created_at", name="revoked_after_creation"
        ),
        Index(
            "uq_portfolio_link_working",
            "student_id",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    # The token's first characters, shown so a student can tell which link still works.
    prefix: Mapped[str] = mapped_column(String(12))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    student: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<PortfolioLink {self.id} {self.prefix}… student={self.student_id}>"
