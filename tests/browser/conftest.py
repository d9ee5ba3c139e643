"""Browser fixtures: Debian's Chromium, driven by Playwright, against the platform on a live server.

Every test in this folder is marked ``browser``. Without Chromium the tests are skipped with the
reason; with REQUIRE_BROWSER=1 (as CI sets) a missing Chromium fails them instead.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from flask import Flask
from helpers import QuietRequestHandler, buffered
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright
from werkzeug.serving import make_server

import quest_platform
from quest_platform.extensions import babel

CHROMIUM_PATH = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BROWSER_TESTS = Path(__file__).parent
TRANSLATIONS = Path(quest_platform.__file__).parent / "translations"
# Instead of Playwright's 30 s: these pages load in well under a second, even on a busy machine.
TIMEOUT_MS = 10_000
# Assertions wait as long as actions do (Playwright's own is 5 s): on a loaded machine a live
# page's update may come later than that, and a test must not fail for it.
expect.set_options(timeout=TIMEOUT_MS)


def find_chromium() -> str | None:
    """Debian's Chromium, or any ``chromium`` on the PATH."""
    if os.access(CHROMIUM_PATH, os.X_OK):
        return CHROMIUM_PATH
    return shutil.which("chromium")


def browser_required() -> bool:
    """Whether a missing Chromium is a failure (CI) rather than a reason to skip."""
    return os.environ.get("REQUIRE_BROWSER") == "1"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark this folder's tests ``browser`` (before -m selects) and skip them without Chromium."""
    skip = pytest.mark.skip(
        reason=f"no Chromium at {CHROMIUM_PATH} or on the PATH (apt-get install chromium); "
        "set REQUIRE_BROWSER=1 to make this a failure"
    )
    missing = find_chromium() is None and not browser_required()
    for item in items:
        if BROWSER_TESTS in item.path.parents:
            item.add_marker(pytest.mark.browser)
            if missing:
                item.add_marker(skip)


def compile_catalogs() -> None:
    """Compile every catalog whose .mo is missing or older than its .po (as `make` does)."""
    for po_path in TRANSLATIONS.glob("*/LC_MESSAGES/*.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalog)
    # Flask-Babel keeps loaded catalogs for the whole process; forget any loaded before.
    babel.domain_instance.cache.clear()


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[str]:
    """The platform served on 127.0.0.1 from a background thread; yields its base URL.

    It shares the session's app, so its database is the one the builders write to. Each
    request pushes its own application context in the server's threads, apart from the
    context the tests hold open.
    """
    with app.app_context():
        compile_catalogs()
    # Port 0: the operating system picks a free port.
    server = make_server(
        "127.0.0.1", 0, buffered(app), threaded=True, request_handler=QuietRequestHandler
    )
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the whole session."""
    executable = find_chromium()
    if executable is None:
        pytest.fail(f"REQUIRE_BROWSER=1 but no Chromium at {CHROMIUM_PATH} or on the PATH")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def open_page(browser: Browser, live_server: str) -> Iterator[Callable[..., Page]]:
    """Open a page in a fresh browser context (its own cookies), with context options.

    Options are Playwright's: ``color_scheme="dark"``, ``contrast="more"``, ``locale="es-ES"``.
    The test fails if the Content-Security-Policy blocks anything on any page it visits.
    """
    contexts = []
    blocked: list[str] = []

    def record_csp(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            blocked.append(f"{message.page.url if message.page else '?'}: {message.text}")

    def open_(**options: Any) -> Page:
        options.setdefault("locale", "en-US")
        context = browser.new_context(base_url=live_server, **options)
        context.set_default_timeout(TIMEOUT_MS)
        context.on("console", record_csp)
        contexts.append(context)
        return context.new_page()

    yield open_
    for context in contexts:
        context.close()
    assert not blocked, "the Content-Security-Policy blocked:\n" + "\n".join(blocked)


@pytest.fixture
def page(open_page: Callable[..., Page]) -> Page:
    """A page in a fresh browser context with the default (light, English) settings."""
    return open_page()


@pytest.fixture(scope="session")
def spanish(live_server: str) -> Callable[..., str]:
    """Translate an English message as the Spanish pages show it (from the compiled catalog).

    ``spanish(message)`` for a message without a count; ``spanish(singular, plural, num)`` for
    one with a count, in the form for ``num`` (its placeholders are left for the caller).
    """
    translations = Translations.load(str(TRANSLATIONS), ["es"])

    def translate(message: str, plural: str | None = None, num: int | None = None) -> str:
        if plural is None:
            translated = translations.gettext(message)
        else:
            assert num is not None, "a message with a count needs the count"
            translated = translations.ngettext(message, plural, num)
        assert translated not in (message, plural), (
            f"no Spanish for {message!r}: is {TRANSLATIONS}/es/LC_MESSAGES/messages.po complete?"
        )
        return translated

    return translate
