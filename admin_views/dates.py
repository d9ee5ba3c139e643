"""Dates in the admin: moments shown in UTC, and the periods the date filters offer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l

from admin_views.base import ChoiceFilter
from quest_platform.models import utcnow

PERIOD_LABELS = {
    "today": _l("Today (UTC)"),
    "7": _l("Last 7 days"),
    "30": _l("Last 30 days"),
}


def utc_moment(value: datetime) -> str:
    """A moment as the admin shows it: to the minute, in UTC, saying so."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def since(period: str) -> datetime:
    """The start of a period of PERIOD_LABELS: midnight UTC today, or so many days ago."""
    now = utcnow()
    if period == "today":
        return now.replace(hour=0, minute=0, second=0, microsecond=0)
    return now - timedelta(days=int(period))


def period_filter(column: Any, name: str) -> ChoiceFilter:
    """A filter of rows whose ``column`` falls in one of the PERIOD_LABELS periods."""
    return ChoiceFilter(
        column,
        name,
        key="date",
        valid=lambda value: value in PERIOD_LABELS,
        condition=lambda value: column >= since(value),
    )
