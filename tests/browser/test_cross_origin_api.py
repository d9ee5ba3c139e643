"""A student's own front end on another origin calls the API from Chromium, as on GitHub Pages;
and the API reference page, which needs nothing from the network.

A small static page, served by a server of its own, signs in with ``/api/authenticate``, reads
``/api/id`` and the quest list, answers a stage and signs out, with ``credentials: 'include'``
and the course front end's ``X-Origin`` header. The platform allows that page's origin; the
same page served from an origin it does not allow is refused by the browser.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from flask import Flask
from helpers import PASSWORD, QuietRequestHandler, buffered
from playwright.sync_api import Browser, expect
from sqlalchemy import func, select
from werkzeug.serving import make_server

from quest_platform import create_app
from quest_platform.extensions import db
from quest_platform.models import Attempt

FRONT_END = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>My quest site</title></head>
<body><main><h1>My quest site</h1><pre id="log"></pre></main>
<script>
const api = {api};
const options = {{credentials: "include",
                 headers: {{"Content-Type": "application/json", "X-Origin": "client"}}}};
const log = (line) => {{ document.getElementById("log").textContent += line + "\\n"; }};
async function call(path, init) {{
  const response = await fetch(api + path, {{...options, ...init}});
  const text = await response.text();
  return [response.status, text ? JSON.parse(text) : null];
}}
async function run() {{
  try {{
    let [status, body] = await call("/api/authenticate",
      {{method: "POST", body: JSON.stringify({{uid: {uid}, password: {password}}})}});
    log("login " + status);
    [status, body] = await call("/api/id", {{}});
    log("id " + status + " " + body.uid);
    [status, body] = await call("/api/v1/quests", {{}});
    log("quests " + status + " " + body.map((quest) => quest.slug).join(","));
    [status, body] = await call("/api/v1/quests/" + {slug} + "/stages/1/attempts",
      {{method: "POST", body: JSON.stringify({{answer: {{confirmed: true}}}})}});
    log("answer " + status + " " + body.outcome);
    [status, body] = await call("/api/authenticate", {{method: "DELETE"}});
    log("logout " + status);
    [status, body] = await call("/api/id", {{}});
    log("after " + status);
  }} catch (error) {{
    log("refused " + error.name);
  }}
  log("done");
}}
run();
</script></body></html>
"""


def static_site(page: Callable[[], str]) -> Iterator[str]:
    """Serve the page ``page()`` gives at / from 127.0.0.1 on a port of its own.

    Yields the site's origin. The page is read when asked for: it can name a server started
    after this one.
    """

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = page().encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def platform_for(app: Flask) -> Iterator[Callable[[str], str]]:
    """Serve the platform, on its test database, allowing calls from one origin; gives its URL."""
    servers = []

    def serve(origin: str) -> str:
        shared = {
            name: app.config[name]
            for name in (
                "SQLALCHEMY_DATABASE_URI",
                "SQLALCHEMY_ENGINE_OPTIONS",
                "SESSION_DIR",
                "UPLOAD_DIR",
                "SESSION_KEY_PREFIX",
                "RATELIMIT_KEY_PREFIX",
                "REDIS_URL",
                "SECRET_KEY",
                "SECURITY_PASSWORD_SALT",
            )
        }
        platform = create_app("testing", **shared, API_ALLOWED_ORIGINS=[origin])
        server = make_server(
            "127.0.0.1", 0, buffered(platform), threaded=True, request_handler=QuietRequestHandler
        )
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        servers.append((server, thread, platform))
        return f"http://127.0.0.1:{server.server_port}"

    yield serve
    for server, thread, platform in servers:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        with platform.app_context():
            db.engine.dispose()


def front_end(api: str, *, uid: str, slug: str) -> str:
    return FRONT_END.format(
        api=json.dumps(api),
        uid=json.dumps(uid),
        password=json.dumps(PASSWORD),
        slug=json.dumps(slug),
    )


def run_page(browser: Browser, url: str) -> list[str]:
    """Open ``url`` in a fresh browser and return the lines its script logged."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(url)
        page.wait_for_function("document.getElementById('log').textContent.includes('done')")
        return page.locator("#log").inner_text().splitlines()
    finally:
        context.close()


def test_a_front_end_on_an_allowed_origin_signs_in_reads_answers_and_signs_out(
    browser: Browser, platform_for: Callable[[str], str], make: Any
):
    teacher, student = make.teacher(), make.student(password=PASSWORD)
    classroom = make.classroom(teachers=[teacher], students=[student])
    quest = make.quest()
    make.assignment(quest=quest, classroom=classroom, by=teacher)
    served: dict[str, str] = {}
    # The page needs the platform's address, and the platform the page's origin: the page is
    # served first, reading the address once the platform is up.
    site = static_site(lambda: served["page"])
    origin = next(site)
    api = platform_for(origin)
    served["page"] = front_end(api, uid=student.username, slug=quest.slug)
    try:
        lines = run_page(browser, origin)
    finally:
        site.close()
    assert lines == [
        "login 200",
        f"id 200 {student.username}",
        f"quests 200 {quest.slug}",
        "answer 201 passed",
        "logout 200",
        "after 401",
        "done",
    ]
    attempts = db.session.scalar(
        select(func.count(Attempt.id)).where(Attempt.student_id == student.id)
    )
    assert attempts == 1


def test_a_front_end_on_another_origin_is_refused(
    browser: Browser, platform_for: Callable[[str], str], make: Any
):
    student = make.student(password=PASSWORD)
    api = platform_for("http://localhost:4000")
    page = front_end(api, uid=student.username, slug="any")
    site = static_site(lambda: page)
    origin = next(site)
    try:
        lines = run_page(browser, origin)
    finally:
        site.close()
    assert lines == ["refused TypeError", "done"]
    assert student.current_login_at is None


def test_the_api_reference_works_with_the_network_off(browser: Browser, live_server: str):
    context = browser.new_context(base_url=live_server)
    asked: list[str] = []

    def only_the_platform(route: Any) -> None:
        url = route.request.url
        asked.append(url)
        if url.startswith(live_server):
            route.continue_()
        else:
            route.abort("internetdisconnected")

    try:
        context.route("**/*", only_the_platform)
        page = context.new_page()
        page.goto("/api/v1/docs")
        expect(page.get_by_role("heading", level=1)).to_have_text("API reference")
        expect(page.locator("#resource-api_quests")).to_be_visible()
    finally:
        context.close()
    assert asked
    assert all(url.startswith(live_server) for url in asked), asked
