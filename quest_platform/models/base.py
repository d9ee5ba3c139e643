"""Shared pieces of the data model: the clock and enumerations stored as strings."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from sqlalchemy import JSON, DateTime, TypeDecorator, inspect
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect


def utcnow() -> datetime:
    """Return the current time as a timezone-aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite has no timezone type, so values are normalised to UTC on the way in and
    tagged as UTC on the way out; PostgreSQL stores them as ``timestamptz``. Naive values
    (Flask-Security writes its login times that way) are taken to be UTC already.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        # SQLite stores text: keep one naive UTC format so values sort and compare correctly.
        return aware.replace(tzinfo=None) if dialect.name == "sqlite" else aware

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def stored_id(record: object) -> int:
    """The primary key of a stored record, read without a query.

    A commit expires every loaded value, so reading ``record.id`` after it selects the row again.
    """
    identity = inspect(record).identity
    if identity is None:
        raise ValueError("the record is not stored yet")
    return int(identity[0])


def enum_values(enum_class: type[enum.Enum]) -> list[str]:
    """Return the stored values of an enumeration, for CHECK constraints and choices."""
    return [member.value for member in enum_class]


def check_in(column: str, enum_class: type[enum.Enum]) -> str:
    """Return a CHECK constraint expression that keeps a column within an enumeration."""
    quoted = ", ".join(f"'{value}'" for value in enum_values(enum_class))
    return f"{column} IN ({quoted})"


# JSON documents: JSONB on PostgreSQL (indexable, compact), plain JSON text elsewhere.
JSONDocument = JSON().with_variant(JSONB(), "postgresql")
