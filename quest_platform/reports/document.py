"""What a report holds: tables and charts with their words, ready for a page or a file."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

Cell = str | int | float | None


@dataclass(frozen=True)
class Table:
    """A table with a caption, its column headings and its rows (None is an empty cell)."""

    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    # Shown instead of the table when it has no rows.
    empty_text: str = ""
    # What each row is about (a student's id), so a page can link the row's heading to it.
    row_keys: tuple[int, ...] = ()


@dataclass(frozen=True)
class Chart:
    """A chart: its title, the one line it says, the SVG, and the table with the same figures."""

    title: str
    takeaway: str
    svg: str | None
    table: Table
    # The anchor of the chart on its page.
    slug: str = ""


@dataclass(frozen=True)
class Report:
    """A whole report: what it covers, when it was computed, its charts, then its tables."""

    title: str
    scope: str
    computed_at: datetime
    charts: tuple[Chart, ...] = ()
    tables: tuple[Table, ...] = ()
    notes: tuple[str, ...] = field(default=())
