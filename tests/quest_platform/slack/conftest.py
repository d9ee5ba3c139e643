"""Fixtures of the Slack tests: a Slack incoming webhook served on 127.0.0.1, and a class
that posts to it."""

from __future__ import annotations

import json
import secrets
import socket
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from flask import Flask

from quest_platform.extensions import db
from quest_platform.models import Classroom


@dataclass(frozen=True)
class Received:
    """One request the fake Slack received."""

    path: str
    content_type: str
    body: dict[str, Any]


@dataclass
class FakeSlack:
    """Slack's incoming webhook, as the tests need it: it keeps every request, and answers each
    with the next of ``answers`` (a status, or "hang": no answer for ``hang_seconds``), then
    with 200 "ok"."""

    origin: str
    received: list[Received] = field(default_factory=list)
    answers: deque[int | str] = field(default_factory=deque)
    hang_seconds: float = 2.0
    secret: str = field(default_factory=lambda: secrets.token_hex(12))

    @property
    def url(self) -> str:
        """The webhook's URL: a secret, like Slack's."""
        return f"{self.origin}/services/T0TEST/B0TEST/{self.secret}"

    @property
    def texts(self) -> list[str]:
        return [request.body["text"] for request in self.received]

    def answer_with(self, *answers: int | str) -> None:
        self.answers.extend(answers)


@pytest.fixture
def fake_slack(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSlack]:
    """A fake Slack on a port of its own, allowed as a webhook origin while the test runs."""
    slack: FakeSlack

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            content_type = self.headers.get("Content-Type", "")
            slack.received.append(Received(self.path, content_type, body))
            answer = slack.answers.popleft() if slack.answers else 200
            if answer == "hang":
                time.sleep(slack.hang_seconds)
                answer = 200
            text = {200: b"ok", 404: b"no_service", 500: b"rollup_error"}.get(int(answer), b"")
            try:
                self.send_response(int(answer))
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)
            except OSError:
                # The platform stopped waiting (a timeout): nobody reads this answer.
                pass

        def log_message(self, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        block_on_close = False

        def handle_error(self, request: Any, client_address: Any) -> None:
            pass

    server = Server(("127.0.0.1", 0), Handler)
    slack = FakeSlack(origin=f"http://127.0.0.1:{server.server_port}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setitem(app.config, "SLACK_WEBHOOK_ORIGINS", [slack.origin])
    try:
        yield slack
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def closed_origin(app: Flask, monkeypatch: pytest.MonkeyPatch) -> str:
    """An origin on 127.0.0.1 where nothing listens (connections are refused), allowed."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    origin = f"http://127.0.0.1:{port}"
    monkeypatch.setitem(
        app.config, "SLACK_WEBHOOK_ORIGINS", [*app.config["SLACK_WEBHOOK_ORIGINS"], origin]
    )
    return origin


@pytest.fixture
def slack_class(make: Any, fake_slack: FakeSlack) -> Classroom:
    """A classroom (its teacher first of ``teachers``, two students) posting to the fake Slack."""
    classroom = make.classroom(students=[make.student(), make.student()])
    classroom.slack_webhook_url = fake_slack.url
    db.session.commit()
    return classroom
