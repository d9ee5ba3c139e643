"""Helpers shared by the tests: form posting with CSRF, reading pages, crawling, databases.

Import them with ``from helpers import post_form`` (``tests/`` is on the path through the
rootdir conftest).
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import pytest
from babel import Locale
from babel.dates import format_datetime
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from werkzeug.serving import WSGIRequestHandler

from quest_platform.extensions import db
from quest_platform.models import utcnow
from quest_platform.sandbox import sandbox_refused
from quest_platform.services.errors import ServiceError
from quest_platform.services.quests import StageDraft, assign_quest, create_quest, publish_quest
from quest_platform.time_zones import moment_pattern

# Strong enough for the password policy, and short: zxcvbn takes longer on long passwords.
PASSWORD = "violet kayak 93"
CSRF_PATTERN = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|'
    r'name="csrf_token" value="([^"]+)"'
)
STATIC_PREFIXES = ("/static/", "/admin/static/", "/fs-static/")


def csrf_token(client: FlaskClient, url: str) -> str:
    """Fetch ``url`` and return the CSRF token of its first form."""
    page = client.get(url)
    match = CSRF_PATTERN.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {url} ({page.status_code})"
    return match.group(1) or match.group(2)


def hidden_fields(client: FlaskClient, address: str) -> dict[str, str]:
    """The hidden fields of the stage form at ``address``: CSRF token, submission key, opened."""
    page = client.get(address).get_data(as_text=True)
    return dict(re.findall(r'name="(csrf_token|submission_key|opened)" value="([^"]*)"', page))


def post_form(
    client: FlaskClient,
    url: str,
    data: dict[str, Any],
    *,
    form_page: str | None = None,
    **kwargs: Any,
) -> Any:
    """POST ``data`` to ``url`` with the CSRF token taken from ``form_page`` (default ``url``)."""
    token = csrf_token(client, form_page or url)
    return client.post(url, data={**data, "csrf_token": token}, **kwargs)


def count_password_work(app: Flask, monkeypatch: Any) -> dict[str, int]:
    """From now on, count the passwords ``app`` hashes and checks (its Argon2 work)."""
    context = app.extensions["security"].pwd_context
    calls = {"verify": 0, "hash": 0}

    def counting(name: str) -> Callable[..., Any]:
        original = getattr(context, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            calls[name] += 1
            return original(*args, **kwargs)

        return counted

    for name in calls:
        monkeypatch.setattr(context, name, counting(name))
    return calls


def html_attribute(html: str, element: str, attribute: str) -> str | None:
    """Return ``attribute`` of the first ``<element>`` in ``html`` (None if absent)."""
    match = re.search(rf"<{element}\b[^>]*\b{attribute}=\"([^\"]*)\"", html)
    return match.group(1) if match else None


def is_site_page(html: str) -> bool:
    """Whether ``html`` is a full page of the site's design (header, main, footer)."""
    return all(
        marker in html
        for marker in ('class="site-header"', '<main id="main"', 'class="site-footer"')
    )


@dataclass(frozen=True)
class Form:
    """A form found on a page: where it posts, how, and the names of its fields."""

    page: str
    action: str
    method: str
    fields: frozenset[str]


class _PageParser(HTMLParser):
    """Collects the links (a, link, script, img) and the forms of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.forms: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag in {"a", "link"} and "href" in values:
            self.links.append(values["href"])
        elif tag in {"script", "img"} and "src" in values:
            self.links.append(values["src"])
        elif tag == "form":
            self.forms.append(
                {
                    "action": values.get("action"),
                    "method": values.get("method", "get"),
                    "fields": [],
                }
            )
        elif tag in {"input", "select", "textarea", "button"} and self.forms and "name" in values:
            self.forms[-1]["fields"].append(values["name"])


@dataclass
class Crawl:
    """What a crawl saw: every page body by URL, every form, and every broken link."""

    pages: dict[str, str] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    forms: list[Form] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)


def same_site_path(base: str, href: str) -> str | None:
    """Return ``href`` as a path on this site (with its query), or None if it leaves the site."""
    if href.startswith(("mailto:", "tel:", "javascript:", "#")):
        return None
    parts = urlsplit(urljoin(f"http://localhost{base}", href))
    if parts.netloc != "localhost":
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def crawl(client: FlaskClient, start: str = "/", *, limit: int = 200) -> Crawl:
    """Visit every same-site page reachable from ``start`` by links and redirects (GET only)."""
    result = Crawl()
    queue, seen = deque([start]), {start}
    while queue and len(seen) <= limit:
        url = queue.popleft()
        response = client.get(url)
        try:
            result.statuses[url] = response.status_code
            if response.status_code >= 400:
                result.broken.append(f"{url} -> {response.status_code}")
                continue
            if response.status_code in {301, 302, 303, 307, 308}:
                targets = [response.headers["Location"]]
            elif response.mimetype == "text/html":
                body = response.get_data(as_text=True)
                result.pages[url] = body
                parser = _PageParser()
                parser.feed(body)
                targets = parser.links
                for form in parser.forms:
                    action = same_site_path(url, form["action"] or url)
                    assert action is not None, f"a form on {url} posts off the site"
                    result.forms.append(
                        Form(url, action, form["method"].upper(), frozenset(form["fields"]))
                    )
            else:
                targets = []
        finally:
            response.close()
        for target in targets:
            path = same_site_path(url, target)
            if path is not None and path not in seen:
                seen.add(path)
                queue.append(path)
    return result


def _postgres_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL")
    return url if url and make_url(url).get_backend_name() == "postgresql" else None


def redis_url_for(worker: str) -> str | None:
    """TEST_REDIS_URL, on a Redis database of its own for each pytest-xdist worker (gw0, gw1...).

    Resetting the rate limiter between tests clears its whole Redis database, so two workers
    sharing one would clear each other's counts in the middle of a test.
    """
    url = os.environ.get("TEST_REDIS_URL")
    if not url or not worker.startswith("gw"):
        return url
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{base + 1 + int(worker.removeprefix('gw'))}"))


@contextmanager
def fresh_database(directory: os.PathLike[str] | str) -> Iterator[dict[str, Any]]:
    """Yield settings for an empty database of the kind under test, and remove it after.

    SQLite: a new file in ``directory``. PostgreSQL (TEST_DATABASE_URL): a new schema in the
    test database, made the connection's search path, dropped with everything in it at the end.
    """
    postgres = _postgres_url()
    if postgres is None:
        yield {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{directory}/fresh-{uuid.uuid4().hex[:8]}.db",
        }
        return
    schema = f"fresh_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield {
            "SQLALCHEMY_DATABASE_URI": postgres,
            "SQLALCHEMY_ENGINE_OPTIONS": {
                "connect_args": {"options": f"-csearch_path={schema}"},
                "pool_pre_ping": True,
            },
        }
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def logging_preserved() -> Iterator[None]:
    """Put logging back as it was: Alembic's env.py reconfigures it from alembic.ini."""
    manager = logging.root.manager
    root = logging.getLogger()
    saved_root = (root.level, root.handlers[:])
    saved = {
        name: (logger.disabled, logger.level, logger.handlers[:], logger.propagate)
        for name, logger in manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
    }
    try:
        yield
    finally:
        root.setLevel(saved_root[0])
        root.handlers[:] = saved_root[1]
        for name, logger in manager.loggerDict.items():
            if not isinstance(logger, logging.Logger):
                continue
            disabled, level, handlers, propagate = saved.get(name, (False, 0, [], True))
            logger.disabled, logger.propagate = disabled, propagate
            logger.setLevel(level)
            logger.handlers[:] = handlers


class QuietRequestHandler(WSGIRequestHandler):
    """Logs server errors but not every request, so test output stays readable."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


def buffered(application: Flask) -> Callable[..., list[bytes]]:
    """The app with each response read whole before it is sent.

    A browser that moves on while a static file is still being sent drops the connection; the
    development server then leaves the file open (a ResourceWarning, an error in this suite).
    Read whole, the file is closed before the first byte goes out.
    """

    def serve(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        body = application(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()

    return serve


def shown_moment(value: Any, zone: str = "UTC", locale: str = "en") -> str:
    """``value`` as pages write a moment: on the clock of ``zone``, to the minute."""
    pattern = moment_pattern(Locale.parse(locale))
    return format_datetime(value, pattern, tzinfo=ZoneInfo(zone), locale=locale)


def require_sandbox() -> None:
    """Skip the test where this machine cannot run sandboxes (bubblewrap), or fail it when
    REQUIRE_SANDBOX=1 (as CI sets)."""
    if reason := sandbox_refused():
        if os.environ.get("REQUIRE_SANDBOX") == "1":
            pytest.fail(f"REQUIRE_SANDBOX=1 but {reason}")
        pytest.skip(reason)


# A code challenge: add(a, b), with one example and four hidden tests, worth 20 points.
SOLUTION = "def add(a, b):\n    return a + b\n"
CODE_STAGE = StageDraft(
    "code",
    "Add two numbers",
    points=20,
    settings={
        "prompt": "Write add(a, b), which returns the sum of a and b.",
        "starter_code": "def add(a, b):\n    pass\n",
        "examples": "add(2, 3) == 5",
        "tests": "\n".join(
            [
                "add(-1, 1) == 0",
                "add(10, 20) == 30",
                "add(0.5, 0.25) == 0.75",
                "add('a', 'b') == 'ab'",
            ]
        ),
        "solution": SOLUTION,
        "seconds_per_test": 1,
    },
)


def code_quest(
    make: Any,
    student: Any,
    *,
    solution: str = SOLUTION,
    publish: bool = True,
    classroom: Any = None,
) -> Any:
    """A quest of seven stages whose first is a code challenge (its tests: four calls), published
    and given to ``classroom`` (else a new classroom of ``student``); a draft when not
    ``publish``."""
    drafts = [
        replace(CODE_STAGE, settings={**CODE_STAGE.settings, "solution": solution}),
        *make.stage_drafts(6),
    ]
    quest = create_quest(
        slug=f"adding-{make._next()}",
        title="Adding",
        theme="T",
        summary="",
        stages=drafts,
        author=None,
    )
    if not publish:
        return quest
    publish_quest(quest=quest, by=None)
    classroom = classroom or make.classroom(students=[student])
    opens = utcnow() - timedelta(days=1)
    assign_quest(
        quest=quest, classroom=classroom, opens_at=opens, due_at=opens + timedelta(days=9), by=None
    )
    return quest


def received(client: Any, name: str, namespace: str, seconds: float = 5.0) -> list[dict[str, Any]]:
    """The ``name`` events a Socket.IO test client has received on ``namespace``, waiting a
    little for them (through Redis they arrive from the message queue's listener)."""
    deadline = time.monotonic() + seconds
    while True:
        events = [e for e in client.get_received(namespace) if e["name"] == name]
        if events or time.monotonic() > deadline:
            return events
        time.sleep(0.05)


def at_once(app: Flask, call: Callable[[], Any], *, senders: int = 20) -> Counter[str]:
    """Run ``call`` in ``senders`` threads released together, each with its own application
    context and session (as each request has); count what each got back: "ok" or the name of
    the service error it raised."""
    barrier = threading.Barrier(senders)
    outcomes: list[str] = []
    lock = threading.Lock()

    def run() -> None:
        with app.app_context():
            barrier.wait()
            try:
                call()
                outcome = "ok"
            except ServiceError as error:
                outcome = type(error).__name__
            finally:
                db.session.remove()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return Counter(outcomes)
