"""Fixtures of the feedback tests: script-laden messages, and a check for live markup in HTML."""

from __future__ import annotations

from collections.abc import Callable
from html.parser import HTMLParser

import pytest

# Messages that try to run a script, each in its own way.
HOSTILE_MESSAGES = [
    "<script>alert(1)</script>",
    '<iframe src="https://evil.example/"></iframe>',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    '<img src="x" onerror="alert(1)">',
    '![x](x" onerror="alert(1))',
    "<a href='javascript:alert(1)'>x</a>",
    '<svg onload="alert(1)"></svg>',
]
EMBEDDING_TAGS = frozenset({"iframe", "frame", "object", "embed", "style"})
URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "xlink:href"})


class LiveMarkup(HTMLParser):
    """Collects whatever in a page could run a script: an inline script, an embedding element,
    an event handler, a ``javascript:`` address."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in EMBEDDING_TAGS or (tag == "script" and not values.get("src")):
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{tag} {name}")
            address = "".join((value or "").split()).lower()
            if name in URL_ATTRIBUTES and address.startswith(("javascript:", "data:text")):
                self.found.append(f"{tag} {name}={value}")


def find_live_markup(html: str) -> list[str]:
    parser = LiveMarkup()
    parser.feed(html)
    parser.close()
    return parser.found


@pytest.fixture(params=HOSTILE_MESSAGES)
def hostile(request: pytest.FixtureRequest) -> str:
    """A message that tries to run a script."""
    return str(request.param)


@pytest.fixture
def live_markup() -> Callable[[str], list[str]]:
    """Whatever in an HTML page or fragment could run a script (empty: nothing)."""
    return find_live_markup
