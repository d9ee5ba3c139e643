"""Boxes that scroll sideways on a narrow screen (wide tables, long code) can be reached and
scrolled by keyboard: each is in the tab order, and a table's box is a region named after its
table (WCAG 2.1.1; axe's scrollable-region-focusable)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import quest_platform

# Pure functions: the database engine plays no part, so the PostgreSQL run leaves them out.
pytestmark = pytest.mark.engine_independent

TEMPLATES = Path(quest_platform.__file__).parent / "templates"
TABLE_BOXES = re.compile(r'<div class="table-scroll"[^>]*>')
CODE_BOXES = re.compile(r'<pre class="(?:answer-code|starter-code)"[^>]*>')


def boxes(pattern: re.Pattern[str]) -> list[tuple[str, str]]:
    return [
        (str(path.relative_to(TEMPLATES)), tag)
        for path in sorted(TEMPLATES.rglob("*.html"))
        for tag in pattern.findall(path.read_text(encoding="utf-8"))
    ]


@pytest.mark.parametrize(("template", "tag"), boxes(TABLE_BOXES))
def test_a_table_s_scroll_box_is_a_named_region_in_the_tab_order(template: str, tag: str) -> None:
    assert 'tabindex="0"' in tag, template
    assert 'role="region"' in tag, template
    assert "aria-label=" in tag or "aria-labelledby=" in tag, template


@pytest.mark.parametrize(("template", "tag"), boxes(CODE_BOXES))
def test_a_code_box_is_in_the_tab_order(template: str, tag: str) -> None:
    assert 'tabindex="0"' in tag, template


def test_the_templates_have_such_boxes() -> None:
    assert len(boxes(TABLE_BOXES)) >= 10
    assert len(boxes(CODE_BOXES)) >= 5
