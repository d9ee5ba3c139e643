"""The audit log: who changed which record, from what to what, and when."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quest_platform.extensions import Model
from quest_platform.models.base import JSONDocument, UTCDateTime, utcnow

if TYPE_CHECKING:
    from quest_platform.models.accounts import User


class AuditEntry(Model):
    """One recorded change. Secrets never enter ``before`` or ``after``."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_record", "table_name", "record_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(40))
    table_name: Mapped[str] = mapped_column(String(60))
    record_id: Mapped[str] = mapped_column(String(40))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    actor: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<AuditEntry {self.action} {self.table_name}#{self.record_id}>"
