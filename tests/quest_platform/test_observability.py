"""Observability: every request ends in one JSON log line (with its id, route, status, time and
user), other records are JSON lines with the request's id and no secrets, and /metrics serves
Prometheus's metrics only to a token or an allowed address, without a session or database."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from helpers import logging_preserved
from prometheus_client import REGISTRY

from quest_platform import create_app
from quest_platform.config import ConfigurationError
from quest_platform.extensions import db as _db
from quest_platform.models import Enrollment, User
from quest_platform.observability.logs import (
    REDACTED,
    JsonFormatter,
    JsonLinesHandler,
    configure_logging,
    log_format,
)
from quest_platform.observability.metrics import (
    allowed_networks,
    check_metrics_settings,
    queue_depth,
)
from quest_platform.request_ids import REQUEST_ID_HEADER

TOKEN = "metrics-token-for-the-tests-0123456789"
ELSEWHERE = {"REMOTE_ADDR": "203.0.113.7"}
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def observed(app: Flask) -> Iterator[Flask]:
    """An app of its own on the suite's database, whose test client reads each response whole
    as a server does (the suite's app keeps its own client class)."""
    shared = (
        "SQLALCHEMY_DATABASE_URI",
        "SQLALCHEMY_ENGINE_OPTIONS",
        "SESSION_DIR",
        "UPLOAD_DIR",
        "SESSION_KEY_PREFIX",
        "RATELIMIT_KEY_PREFIX",
        "DEMO_LOGINS_FILE",
    )
    application = create_app("testing", **{name: app.config[name] for name in shared})

    class ReadWhole(app.test_client_class):
        """Reads each response whole and closes it, as a server does: the line is written
        then (the test client otherwise leaves a response's body unread)."""

        def open(self, *args: Any, **kwargs: Any) -> Any:
            kwargs.setdefault("buffered", True)
            return super().open(*args, **kwargs)

    application.test_client_class = ReadWhole
    yield application
    with application.app_context():
        _db.engine.dispose()


@pytest.fixture
def client(observed: Flask) -> Any:
    """A client of the observed app (``login_as`` signs in on it too)."""
    return observed.test_client()


class JsonLines(logging.Handler):
    """Keeps what the JSON formatter writes for each record of the platform's loggers."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter())
        self.written: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.written.append(self.format(record))

    def entries(self, logger: str | None = None) -> list[dict[str, Any]]:
        found = [json.loads(line) for line in self.written]
        return [entry for entry in found if logger is None or entry["logger"] == logger]

    def requests(self) -> list[dict[str, Any]]:
        return self.entries("quest_platform.requests")


@pytest.fixture
def log() -> Iterator[JsonLines]:
    """The JSON lines the platform's loggers write during the test."""
    handler = JsonLines()
    platform = logging.getLogger("quest_platform")
    level = platform.level
    platform.addHandler(handler)
    platform.setLevel(logging.INFO)
    yield handler
    platform.removeHandler(handler)
    platform.setLevel(level)


@pytest.fixture
def student_on_a_quest(make: Any) -> tuple[User, str]:
    """A student whose class has a published quest, and the quest's slug."""
    student = make.student()
    classroom = make.classroom()
    _db.session.add(Enrollment(classroom=classroom, student=student))
    _db.session.commit()
    quest = make.quest()
    make.assignment(quest=quest, classroom=classroom)
    return student, quest.slug


def metric(name: str, labels: dict[str, str]) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


# --- The request's log line -----------------------------------------------------------------


def test_a_request_writes_one_json_line_with_its_route_user_and_id(
    client: Any, login_as: Callable[..., Any], student_on_a_quest: Any, log: JsonLines
) -> None:
    student, slug = student_on_a_quest
    login_as(student)
    log.written.clear()
    response = client.get(f"/quests/{slug}/1?search=private-words")
    assert response.status_code == 200

    [line] = [line for line in log.written if '"quest_platform.requests"' in line]
    assert "\n" not in line
    assert "private-words" not in line
    entry = json.loads(line)
    assert entry["level"] == "INFO"
    assert entry["request_id"] == response.headers[REQUEST_ID_HEADER]
    assert entry["method"] == "GET"
    assert entry["route"] == "/quests/<slug>/<int:position>"
    assert entry["path"] == f"/quests/{slug}/1"
    assert entry["status"] == 200
    assert isinstance(entry["duration_ms"], float)
    assert entry["duration_ms"] >= 0
    assert entry["user_id"] == student.id
    assert entry["remote_addr"] == "127.0.0.1"
    assert entry["time"].endswith("Z")
    assert datetime.fromisoformat(entry["time"]).utcoffset().total_seconds() == 0
    # Nothing that names the person or their session.
    for secret in (student.username, student.display_name, "quest_session"):
        assert secret not in line


def test_a_visitor_on_no_page_gets_a_line_with_no_route_and_no_user(
    client: Any, log: JsonLines
) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    [entry] = log.requests()
    assert (entry["route"], entry["path"], entry["status"]) == ("-", "/no/such/page", 404)
    assert entry["user_id"] is None
    assert entry["request_id"] == response.headers[REQUEST_ID_HEADER]


def test_a_proxy_named_request_keeps_the_proxys_id(client: Any, log: JsonLines) -> None:
    response = client.get("/health/live", headers={REQUEST_ID_HEADER: "nginx-1234abcd"})
    assert response.headers[REQUEST_ID_HEADER] == "nginx-1234abcd"
    assert log.requests()[0]["request_id"] == "nginx-1234abcd"


def test_a_secret_in_the_path_is_hidden(client: Any, log: JsonLines) -> None:
    client.get("/portfolio/shared/a-share-link-secret-0123")
    [entry] = log.requests()
    assert entry["route"] == "/portfolio/shared/<token>"
    assert entry["path"] == f"/portfolio/shared/{REDACTED}"
    assert "a-share-link-secret" not in json.dumps(log.entries())


def boom() -> str:
    raise RuntimeError("the view failed")


@pytest.mark.provokes_server_error
def test_a_request_that_raised_logs_500_with_the_id_its_page_shows(
    observed: Flask, client: Any, log: JsonLines, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(observed.config, "PROPAGATE_EXCEPTIONS", False)
    monkeypatch.setitem(observed.view_functions, "health.live", boom)
    response = client.get("/health/live")
    assert response.status_code == 500
    request_id = response.headers[REQUEST_ID_HEADER]

    [entry] = log.requests()
    assert (entry["status"], entry["route"], entry["level"]) == (500, "/health/live", "ERROR")
    assert entry["request_id"] == request_id
    # Flask's record of the exception: a JSON line too, with the id and the traceback.
    [failure] = [entry for entry in log.entries() if "exc_info" in entry]
    assert failure["request_id"] == request_id
    assert "Traceback" in failure["exc_info"]
    assert "the view failed" in failure["exc_info"]


def test_an_exception_no_handler_caught_still_logs_500(
    observed: Flask, client: Any, log: JsonLines, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The tests' Flask lets exceptions through, as a failing error handler does in production:
    # the last-resort error page (quest_platform/errors.py) or the server answers.
    monkeypatch.setitem(observed.view_functions, "health.live", boom)
    try:
        status = client.get("/health/live").status_code
    except RuntimeError:
        status = 500
    assert status == 500
    [entry] = log.requests()
    assert (entry["status"], entry["route"], entry["level"]) == (500, "/health/live", "ERROR")
    assert re.fullmatch(r"[0-9a-f]{32}", entry["request_id"])
    tracebacks = [entry["exc_info"] for entry in log.entries() if "exc_info" in entry]
    assert any("RuntimeError: the view failed" in traceback for traceback in tracebacks)


# --- JSON records and secrets ---------------------------------------------------------------


def test_extra_fields_that_name_secrets_are_redacted(log: JsonLines) -> None:
    logging.getLogger("quest_platform.services").warning(
        "Sign-in for %s failed",
        "student7",
        extra={
            "password": "violet kayak 93",
            "api_token": "qp_abc",
            "headers": {"Authorization": "Bearer abc", "Accept": "text/html"},
            "password_hash": "$argon2id$v=19$...",
            "attempts": 3,
        },
    )
    [entry] = log.entries()
    assert entry["message"] == "Sign-in for student7 failed"
    assert entry["level"] == "WARNING"
    assert entry["password"] == entry["api_token"] == entry["password_hash"] == REDACTED
    assert entry["headers"] == {"Authorization": REDACTED, "Accept": "text/html"}
    assert entry["attempts"] == 3
    assert "request_id" not in entry  # logged outside any request
    written = "".join(log.written)
    for secret in ("violet kayak", "qp_abc", "Bearer abc", "argon2id"):
        assert secret not in written


def test_an_exception_is_one_line_with_its_traceback_as_a_string(log: JsonLines) -> None:
    try:
        raise ValueError("bad value")
    except ValueError:
        logging.getLogger("quest_platform.jobs").exception("Job failed")
    [line] = log.written
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "Job failed"
    assert entry["exc_info"].startswith("Traceback")
    assert "ValueError: bad value" in entry["exc_info"]


def test_the_log_format_comes_from_the_settings(
    observed: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LOG_FORMAT", raising=False)
    monkeypatch.setitem(observed.config, "LOG_FORMAT", None)
    assert log_format(observed) == "text"
    monkeypatch.setitem(observed.config, "ENV_NAME", "production")
    assert log_format(observed) == "json"
    monkeypatch.setitem(observed.config, "LOG_FORMAT", "TEXT")
    assert log_format(observed) == "text"
    monkeypatch.setitem(observed.config, "LOG_FORMAT", "xml")
    with pytest.raises(ConfigurationError, match="LOG_FORMAT='xml'"):
        log_format(observed)


def test_json_mode_adds_one_handler_to_the_process(
    observed: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(observed.config, "LOG_FORMAT", "json")
    with logging_preserved():
        configure_logging(observed)
        configure_logging(observed)
        root = logging.getLogger()
        assert [type(h) for h in root.handlers].count(JsonLinesHandler) == 1
        assert root.level == logging.INFO


# --- /metrics -------------------------------------------------------------------------------


def test_metrics_are_a_missing_page_to_anyone_else(client: Any) -> None:
    plain_404 = client.get("/no-such-page", environ_base=ELSEWHERE)
    for method in ("GET", "POST", "HEAD", "OPTIONS"):
        response = client.open("/metrics", method=method, environ_base=ELSEWHERE)
        assert response.status_code == 404, method
    response = client.get("/metrics", environ_base=ELSEWHERE)
    assert response.content_type == plain_404.content_type
    assert "quest_http_requests" not in response.get_data(as_text=True)
    wrong = client.get(
        "/metrics", environ_base=ELSEWHERE, headers={"Authorization": "Bearer guess"}
    )
    assert wrong.status_code == 404


def test_metrics_with_the_token_from_anywhere(
    observed: Flask, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(observed.config, "METRICS_TOKEN", TOKEN)
    client.get("/health/live")
    response = client.get(
        "/metrics", environ_base=ELSEWHERE, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers
    body = response.get_data(as_text=True)
    assert "# TYPE quest_http_requests_total counter" in body
    assert 'quest_http_requests_total{method="GET",route="/health/live",status="200"}' in body
    assert "# TYPE quest_http_request_duration_seconds histogram" in body
    assert 'quest_http_request_duration_seconds_bucket{le="0.005",method="GET"' in body
    assert "# TYPE quest_answers_recorded_total counter" in body
    assert "quest_grader_queue_depth" in body


def test_metrics_from_an_allowed_address(
    observed: Flask, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The test client's requests come from 127.0.0.1, allowed by default.
    assert client.get("/metrics").status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200
    mapped = {"REMOTE_ADDR": "::ffff:127.0.0.1"}
    assert client.get("/metrics", environ_base=mapped).status_code == 200
    monkeypatch.setitem(observed.config, "METRICS_ALLOWED_IPS", "10.0.0.0/8, 192.0.2.1")
    for allowed in ("10.20.30.40", "192.0.2.1"):
        assert client.get("/metrics", environ_base={"REMOTE_ADDR": allowed}).status_code == 200
    assert client.get("/metrics").status_code == 404
    monkeypatch.setitem(observed.config, "METRICS_ALLOWED_IPS", "")
    assert client.get("/metrics").status_code == 404


def test_a_request_through_a_proxy_is_not_vouched_for_by_its_address(client: Any) -> None:
    # nginx on the same machine: every visitor arrives from 127.0.0.1, named in the header.
    forwarded = {"X-Forwarded-For": "198.51.100.4"}
    assert client.get("/metrics", headers=forwarded).status_code == 404


def test_a_wrong_allow_list_stops_the_start(
    observed: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(observed.config, "METRICS_ALLOWED_IPS", "127.0.0.1,localhost")
    with pytest.raises(ConfigurationError, match="'localhost' is not an address"):
        check_metrics_settings(observed)
    assert len(allowed_networks("127.0.0.1, ::1,10.0.0.0/8")) == 3


def test_answers_recorded_are_counted_by_stage_kind(
    client: Any, login_as: Callable[..., Any], student_on_a_quest: Any
) -> None:
    student, slug = student_on_a_quest
    login_as(student)
    before = metric("quest_answers_recorded_total", {"kind": "quiz"})
    answer(client, f"/quests/{slug}/1", {"confirmed": "yes"})
    answer(client, f"/quests/{slug}/2", {"q-q1": "1"})
    assert metric("quest_answers_recorded_total", {"kind": "quiz"}) == before + 1


def answer(client: Any, address: str, data: dict[str, str]) -> None:
    page = client.get(address).get_data(as_text=True)
    fields = dict(re.findall(r'name="(csrf_token|submission_key|opened)" value="([^"]+)"', page))
    response = client.post(address, data={**fields, **data})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]


def test_the_queue_depth_is_0_without_redis_and_left_out_when_it_does_not_answer() -> None:
    assert queue_depth(None) == 0
    # A port where nothing listens: refused at once.
    assert queue_depth("redis://127.0.0.1:9/0") is None


@pytest.mark.engine_independent
def test_metrics_and_the_log_line_work_while_the_database_is_down(
    tmp_path: Path, log: JsonLines
) -> None:
    # A PostgreSQL port where nothing listens.
    down = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI="postgresql+psycopg://postgres@127.0.0.1:9/none",
        REDIS_URL=None,
        UPLOAD_DIR=tmp_path / "uploads",
        SESSION_DIR=tmp_path / "sessions",
        METRICS_TOKEN=TOKEN,
    )
    response = down.test_client().get(
        "/metrics", environ_base=ELSEWHERE, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert response.status_code == 200
    assert "quest_http_requests_total" in response.get_data(as_text=True)
    [entry] = log.requests()
    assert (entry["route"], entry["status"]) == ("/metrics", 200)


MULTIPROCESS_RUN = """
import sys
from quest_platform import create_app

app = create_app("testing", SQLALCHEMY_DATABASE_URI=sys.argv[1], REDIS_URL=None,
                 SESSION_DIR=sys.argv[2], UPLOAD_DIR=sys.argv[2])
client = app.test_client()
client.get("/health/live", buffered=True)
client.get("/health/live", buffered=True)
sys.stdout.write(client.get("/metrics").get_data(as_text=True))
"""


@pytest.mark.engine_independent
def test_multiprocess_mode_adds_up_the_workers_counts(tmp_path: Path) -> None:
    folder = tmp_path / "prometheus"
    folder.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder), "PYTHONPATH": str(ROOT)}
    env.pop("LOG_FORMAT", None)
    outputs = []
    for _worker in range(2):
        done = subprocess.run(  # noqa: S603 (this interpreter, this test's own code)
            [sys.executable, "-c", MULTIPROCESS_RUN, f"sqlite:///{tmp_path}/db", str(tmp_path)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        outputs.append(done.stdout)
    assert any(folder.iterdir()), "each worker writes its counts to the folder"
    live = 'quest_http_requests_total{method="GET",route="/health/live",status="200"}'
    # The second worker's page counts the first's two requests and its own two.
    assert f"{live} 4.0" in outputs[1]
