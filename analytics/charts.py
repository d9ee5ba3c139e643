"""Charts of the reports as inline SVG, drawn on the server with matplotlib: no network, no script.

Every function takes the figures and the words to print (already in the reader's language) and
returns an ``<svg role="img">`` whose ``<title>`` and ``<desc>`` name the chart and say what it
shows. Colour is never the only signal: series differ by hatching too, bars carry their values,
and the progress grid writes a symbol in every cell. The page gives each chart a data table as
well, so nothing is only in the picture.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

# Dark enough on white for text and bar edges (contrast ≥ 4.5:1), told apart by hatching too.
INK = "#1a1a1a"
SERIES = ("#1f4e9c", "#2e6b30", "#a3360f", "#6b3fa0")
HATCHES = ("", "//", "xx", "..")
# The progress grid's fill per state (light, so the symbol in each cell stays readable).
STATE_FILL = {
    "done": "#cfe8cf",
    "in_progress": "#fff1c2",
    "failed": "#f6d0c8",
    "awaiting_review": "#dde3f6",
    "not_started": "#ffffff",
}

# The progress grid's key: where its words start, and room for a character of them at 13px.
KEY_TEXT_AT = 32
KEY_CHARACTER = 8


@dataclass(frozen=True)
class Series:
    """One bar series: its name in the legend and a value per category."""

    name: str
    values: Sequence[float]


def _figure(width: float, height: float) -> Figure:
    # A bare Figure, not pyplot: no global state, safe in a threaded server.
    return Figure(figsize=(width, height), dpi=96, facecolor="white")


def _style(axes: Axes) -> None:
    axes.set_facecolor("white")
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.tick_params(colors=INK, labelsize=9)


def _svg(figure: Figure, *, title: str, description: str) -> str:
    """The figure as inline SVG, named by ``title`` and described by ``description``."""
    buffer = io.StringIO()
    # Ids inside the SVG (clip paths, hatches) come from this salt: one per chart keeps them
    # unique when several charts share a page, and the same chart always gives the same SVG.
    salt = hashlib.sha256(f"{title}\n{description}".encode()).hexdigest()[:12]
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": salt, "font.size": 9}):
        figure.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    # A page's Content-Security-Policy forbids inline styles, so every style becomes the
    # equivalent SVG presentation attribute, and the one cosmetic <style> sheet goes.
    svg = _STYLE_SHEET.sub("", svg)
    svg = _STYLE_ATTRIBUTE.sub(_as_attributes, svg)
    # matplotlib numbers its elements the same in every chart (figure_1, patch_1...): prefixed
    # with the chart's salt, ids and the references to them stay unique on a page of charts.
    svg = _ID_OR_REFERENCE.sub(lambda found: f"{found.group(1)}c{salt}-", svg)
    title_id, desc_id = f"chart-{salt}-title", f"chart-{salt}-desc"
    opening = re.match(r"<svg[^>]*>", svg)
    if opening is None:
        raise ValueError("matplotlib wrote no <svg> element")
    root = opening.group(0)
    root = root[:-1] + f' role="img" aria-labelledby="{title_id} {desc_id}" class="chart">'
    labels = (
        f'<title id="{title_id}">{escape(title)}</title>'
        f'<desc id="{desc_id}">{escape(description)}</desc>'
    )
    return root + labels + svg[opening.end() :]


def bar_chart(
    *,
    categories: Sequence[str],
    series: Sequence[Series],
    title: str,
    description: str,
    value_label: str,
    horizontal: bool = False,
    number: Callable[[float], str] | None = None,
) -> str:
    """Grouped bars, one group per category and one bar per series, each bar with its value.

    ``number`` writes a value as the reader's language does (whole numbers as is by default).
    """
    number = number or _number
    groups = len(categories)
    per_group = max(len(series), 1)
    width = 0.8 / per_group
    if horizontal:
        figure = _figure(7.5, max(2.2, 0.32 * groups * per_group + 1.2))
    else:
        figure = _figure(max(5.5, 0.55 * groups * per_group + 1.5), 3.4)
    axes = figure.add_subplot()
    _style(axes)
    positions = list(range(groups))
    for index, one in enumerate(series):
        offsets = [p - 0.4 + width * (index + 0.5) for p in positions]
        style: dict[str, Any] = {
            "color": SERIES[index % len(SERIES)],
            "hatch": HATCHES[index % len(HATCHES)],
            "edgecolor": INK,
            "hatchcolor": "white",
            "linewidth": 0.6,
            "label": one.name,
        }
        if horizontal:
            bars = axes.barh(offsets, one.values, height=width, **style)
        else:
            bars = axes.bar(offsets, one.values, width=width, **style)
        axes.bar_label(bars, labels=[number(v) for v in one.values], padding=2, color=INK)
    # Counts of students and attempts: whole-number ticks only.
    (axes.xaxis if horizontal else axes.yaxis).set_major_locator(MaxNLocator(integer=True))
    if horizontal:
        axes.set_yticks(positions, [_short(category) for category in categories])
        axes.invert_yaxis()  # the first category on top, as it is read
        axes.set_xlabel(value_label, color=INK)
        axes.margins(x=0.12)
    else:
        slanted = groups > 4
        axes.set_xticks(
            positions,
            [_short(category) for category in categories],
            rotation=30 if slanted else 0,
            ha="right" if slanted else "center",
        )
        axes.set_ylabel(value_label, color=INK)
        axes.margins(y=0.15)
    if len(series) > 1:
        # Above the plot, where it never covers a bar.
        axes.legend(
            frameon=False,
            labelcolor=INK,
            loc="lower center",
            bbox_to_anchor=(0.5, 1.0),
            ncol=len(series),
        )
    return _svg(figure, title=title, description=description)


def progress_grid(
    *,
    rows: Sequence[str],
    columns: Sequence[str],
    states: Sequence[Sequence[str]],
    legend: Mapping[str, tuple[str, str]],
    title: str,
    description: str,
) -> str:
    """A student-by-stage grid: each cell filled by its state and marked with the state's symbol.

    ``legend`` maps a state to its (symbol, words); the key under the grid spells them out.
    Written as SVG directly: a class of 200 is 1,400 cells, which a plotting library lays out
    far more slowly than a page needs.
    """
    cell, label_width, top = 30, 12 + 7 * max((len(row) for row in rows), default=0), 30
    # The key under the grid: one line per state, its swatch and symbol, then its words,
    # written from the left edge and as wide as its longest line (never cut at either side).
    key_top, key_line = top + cell * len(rows) + 16, 24
    key_width = KEY_TEXT_AT + KEY_CHARACTER * max((len(w) for _s, w in legend.values()), default=0)
    width = max(label_width + cell * len(columns) + 10, key_width + 10)
    height = key_top + key_line * len(legend) + 4
    boxes, words, key = [], [], []
    for index, column in enumerate(columns):
        x = label_width + cell * index + cell // 2
        words.append(f'<text x="{x}" y="{top - 10}" text-anchor="middle">{escape(column)}</text>')
    for row_index, (row, line) in enumerate(zip(rows, states, strict=True)):
        y = top + cell * row_index
        words.append(
            f'<text x="{label_width - 8}" y="{y + cell // 2 + 5}" text-anchor="end">'
            f"{escape(row)}</text>"
        )
        for index, state in enumerate(line):
            x = label_width + cell * index
            fill = STATE_FILL.get(state, "white")
            boxes.append(f'<rect x="{x}" y="{y}" width="{cell}" height="{cell}" fill="{fill}"/>')
            symbol = escape(legend.get(state, ("", ""))[0])
            words.append(f'<text x="{x + cell // 2}" y="{y + cell // 2 + 5}">{symbol}</text>')
    for index, (state, (symbol, meaning)) in enumerate(legend.items()):
        y = key_top + key_line * index
        fill = STATE_FILL.get(state, "white")
        boxes.append(f'<rect x="4" y="{y}" width="20" height="20" fill="{fill}"/>')
        words.append(f'<text x="14" y="{y + 15}">{escape(symbol)}</text>')
        key.append(f'<text x="{KEY_TEXT_AT}" y="{y + 15}">{escape(meaning)}</text>')
    salt = hashlib.sha256(f"{title}\n{description}".encode()).hexdigest()[:12]
    # Shared attributes sit on the groups: a class of 200 would repeat them 2,800 times.
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="chart-{salt}-title chart-{salt}-desc" class="chart">'
        f'<title id="chart-{salt}-title">{escape(title)}</title>'
        f'<desc id="chart-{salt}-desc">{escape(description)}</desc>'
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="white"/>'
        '<g stroke="#8a8a8a">' + "".join(boxes) + "</g>"
        f'<g fill="{INK}" font-size="13" font-family="DejaVu Sans, sans-serif" '
        'text-anchor="middle">'
        + "".join(words)
        + '<g text-anchor="start">'
        + "".join(key)
        + "</g></g></svg>"
    )


_STYLE_SHEET = re.compile(r"<style[^>]*>.*?</style>", re.DOTALL)
_STYLE_ATTRIBUTE = re.compile(r'style="([^"]*)"')
_ID_OR_REFERENCE = re.compile(r'(\bid="|url\(#|href="#)')


def _as_attributes(match: re.Match[str]) -> str:
    declarations = (part.split(":", 1) for part in match.group(1).split(";") if ":" in part)
    return " ".join(f'{name.strip()}="{value.strip()}"' for name, value in declarations)


# Longer category names are cut on the chart; its table gives them whole.
_LABEL_LENGTH = 38


def _short(label: str) -> str:
    return label if len(label) <= _LABEL_LENGTH else label[: _LABEL_LENGTH - 1].rstrip() + "…"


def _number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
