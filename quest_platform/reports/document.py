"""What a report holds: tables and charts with their words, ready for a page or a file."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

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


def chart_document(chart: Chart) -> dict[str, Any]:
    """A chart as a JSON document, to be stored; ``chart_from_document`` reads it back."""
    return {
        "title": chart.title,
        "takeaway": chart.takeaway,
        "svg": chart.svg,
        "table": {
            "caption": chart.table.caption,
            "header": list(chart.table.header),
            "rows": [list(row) for row in chart.table.rows],
            "empty_text": chart.table.empty_text,
            "row_keys": list(chart.table.row_keys),
        },
        "slug": chart.slug,
    }


def chart_from_document(document: dict[str, Any]) -> Chart:
    """The chart a stored document holds (written by ``chart_document``)."""
    table = document["table"]
    return Chart(
        title=document["title"],
        takeaway=document["takeaway"],
        svg=document["svg"],
        table=Table(
            caption=table["caption"],
            header=tuple(table["header"]),
            rows=tuple(tuple(row) for row in table["rows"]),
            empty_text=table["empty_text"],
            row_keys=tuple(table["row_keys"]),
        ),
        slug=document["slug"],
    )
