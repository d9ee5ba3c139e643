"""axe-core in Chromium: a page's WCAG 2.0, 2.1 and 2.2 A and AA violations, in one theme or all.

The journeys call :func:`assert_accessible_in_every_theme` at each step, so every page and state
a person passes through is checked in the light, dark and high-contrast themes, as it stands
(a result just announced, a form with its errors), without loading it again.
"""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE = Axe()
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
# The page background of each theme, to prove the theme under test is the one on screen.
THEME_BACKGROUNDS = {"light": "#ffffff", "dark": "#121417", "high-contrast": "#000000"}
SHOWN_THEME = """() => ({
    theme: document.documentElement.dataset.theme,
    background: getComputedStyle(document.documentElement).getPropertyValue('--bg').trim(),
})"""
SET_THEME = "theme => { document.documentElement.dataset.theme = theme; }"


def describe(violations: list[dict[str, Any]]) -> str:
    """One paragraph per violated rule: its id, its help text and the elements that break it."""
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(f"    {' '.join(map(str, node['target']))}: {summary}")
    return "\n".join(lines)


def violations(page: Page) -> list[dict[str, Any]]:
    """What axe finds on the page as it is on screen now."""
    return AXE.run(page, options=AXE_OPTIONS).response["violations"]


def assert_accessible_in_every_theme(page: Page, step: str) -> None:
    """axe finds nothing on the page at ``step`` in any theme; the page's own theme comes back.

    A theme is the ``data-theme`` attribute of the page's root and nothing else (every colour of
    the style sheets hangs on it), so setting the attribute shows the page exactly as a person
    who chose that theme sees it.
    """
    page.wait_for_load_state()
    own_theme = page.evaluate(SHOWN_THEME)["theme"]
    found = []
    try:
        for theme, background in THEME_BACKGROUNDS.items():
            page.evaluate(SET_THEME, theme)
            assert page.evaluate(SHOWN_THEME) == {"theme": theme, "background": background}
            if in_theme := violations(page):
                found.append(f"in the {theme} theme:\n{describe(in_theme)}")
    finally:
        page.evaluate(SET_THEME, own_theme)
    if found:
        pytest.fail(f"{step} ({page.url}):\n" + "\n".join(found))
