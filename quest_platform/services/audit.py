"""Recording changes in the audit log."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import inspect

from quest_platform.extensions import db
from quest_platform.models import AuditEntry, User

# Columns whose values never enter the audit log (a classroom's webhook URL and secret too:
# whoever holds them can post to its Slack channel or forge GitHub deliveries).
SECRET_COLUMNS = frozenset(
    {
        "password",
        "fs_uniquifier",
        "fs_token_uniquifier",
        "slack_webhook_url",
        "github_webhook_secret",
    }
)


def snapshot(record: Any) -> dict[str, Any]:
    """Return a JSON-ready copy of a record's columns, without secrets."""
    values: dict[str, Any] = {}
    for column in inspect(record).mapper.column_attrs:
        if column.key in SECRET_COLUMNS:
            continue
        value = getattr(record, column.key)
        values[column.key] = value.isoformat() if isinstance(value, date | datetime) else value
    return values


def record_change(
    *,
    actor: User | None,
    action: str,
    record: Any,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an audit entry for ``record`` to the session; the caller's transaction commits it."""
    db.session.flush()
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None,
        action=action,
        table_name=record.__tablename__,
        record_id=str(inspect(record).identity[0]),
        before=before,
        after=after if after is not None else snapshot(record),
    )
    db.session.add(entry)
    return entry
