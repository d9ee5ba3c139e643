"""Charts as inline SVG: named and described, values on the bars, safe under the page's CSP."""

from __future__ import annotations

import re

import pytest

from analytics.charts import Series, bar_chart, progress_grid

# Pure functions: the database engine plays no part, so the PostgreSQL run leaves them out.
pytestmark = pytest.mark.engine_independent

LEGEND = {
    "done": ("✓", "done"),
    "failed": ("✗", "tried, not passed yet"),
    "not_started": ("○", "not started"),
}


def funnel(title: str = "Stage funnel") -> str:
    return bar_chart(
        categories=["1. Lesson", "2. Quiz"],
        series=[Series("Reached", [12, 9]), Series("Passed", [11, 4])],
        title=title,
        description="5 of 9 students have not passed the quiz.",
        value_label="Students",
        horizontal=True,
    )


def test_a_bar_chart_is_an_image_named_and_described_by_its_words():
    svg = funnel()
    root = re.match(r"<svg[^>]*>", svg)
    assert root is not None
    assert 'role="img"' in root.group(0)
    title_id, desc_id = re.search(r'aria-labelledby="([^" ]+) ([^"]+)"', root.group(0)).groups()
    assert f'<title id="{title_id}">Stage funnel</title>' in svg
    assert f'<desc id="{desc_id}">5 of 9 students have not passed the quiz.</desc>' in svg


def test_every_bar_carries_its_value_and_each_series_its_own_hatching():
    svg = funnel()
    texts = re.findall(r"<text[^>]*>([^<]+)</text>", svg)
    for value in ("12", "9", "11", "4"):
        assert value in texts
    assert {"Reached", "Passed", "1. Lesson", "2. Quiz", "Students"} <= set(texts)
    # The second series is hatched: colour is not the only way to tell the bars apart.
    assert "<pattern" in svg


def test_a_chart_has_no_inline_style_for_the_content_security_policy_to_block():
    svg = funnel()
    assert "style=" not in svg
    assert "<style" not in svg
    assert 'fill="#1f4e9c"' in svg


def test_the_same_chart_gives_the_same_svg_and_two_charts_never_share_ids():
    first, again, other = funnel(), funnel(), funnel("Another funnel")
    assert first == again
    ids = set(re.findall(r'id="([^"]+)"', first))
    assert ids.isdisjoint(re.findall(r'id="([^"]+)"', other))


def test_words_are_escaped_in_the_svg():
    svg = bar_chart(
        categories=["<b>A & B</b>"],
        series=[Series("Students", [3])],
        title="<script>x</script>",
        description="a & b",
        value_label="n",
    )
    assert "<script>" not in svg
    assert "&lt;script&gt;x&lt;/script&gt;" in svg
    assert "&lt;b&gt;A &amp; B&lt;/b&gt;" in svg


def test_long_category_names_are_cut_on_the_chart():
    name = "3. Log In, Log Out, and a Traveler Profile That Remembers Progress"
    svg = bar_chart(
        categories=[name],
        series=[Series("Students", [3])],
        title="t",
        description="d",
        value_label="n",
    )
    assert name not in svg
    assert "3. Log In, Log Out, and a Traveler Pr…" in svg


def test_the_progress_grid_marks_every_cell_with_its_state_symbol():
    svg = progress_grid(
        rows=["Ada <A>", "Ben"],
        columns=["1", "2", "3"],
        states=[["done", "done", "failed"], ["done", "not_started", "not_started"]],
        legend=LEGEND,
        title="Progress",
        description="1 of 2 students is stuck.",
    )
    # The background, one per cell, one per state of the key.
    assert svg.count("<rect") == 1 + 6 + len(LEGEND)
    symbols = ["✓", "✓", "✗", "✓", "○", "○", *(symbol for symbol, _words in LEGEND.values())]
    assert re.findall(r">(✓|✗|○)</text>", svg) == symbols
    assert svg.count('fill="#cfe8cf"') == 3 + 1  # done, and its key
    assert "Ada &lt;A&gt;" in svg
    assert ">tried, not passed yet</text>" in svg
    assert 'role="img"' in svg
    assert "<title" in svg
    assert "<desc" in svg
    assert "style=" not in svg


def test_the_progress_grid_key_starts_at_the_left_and_fits_inside_the_image():
    # A grid of one short column is far narrower than the key's longest words.
    svg = progress_grid(
        rows=["Al"], columns=["1"], states=[["done"]], legend=LEGEND, title="P", description="d"
    )
    width = int(re.search(r'<svg[^>]* width="(\d+)"', svg).group(1))
    key = re.search(r'<g text-anchor="start">(.*?)</g>', svg).group(1)
    for x, words in re.findall(r'<text x="(\d+)" y="\d+">([^<]+)</text>', key):
        assert int(x) >= 0
        assert int(x) + 8 * len(words) <= width, words


def test_an_empty_grid_is_still_a_valid_image():
    svg = progress_grid(
        rows=[], columns=[], states=[], legend=LEGEND, title="Progress", description="Nobody."
    )
    assert svg.startswith("<svg")
    assert svg.endswith("</svg>")
