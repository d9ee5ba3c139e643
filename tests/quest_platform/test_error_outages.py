"""Error answers when what they would need is down: the database, the session store, the disk.

A server error answers with a page (a JSON problem under /api) made without the database or
the session, naming the request's id and what the request saved before it failed; a service
that is down is a 503 that says which, never the server's bare 500.
"""

from __future__ import annotations

import errno
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, request
from helpers import PASSWORD, csrf_token, hidden_fields, is_site_page
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from werkzeug.test import EnvironBuilder

from quest_platform import create_app
from quest_platform import sessions as session_store
from quest_platform.extensions import db
from quest_platform.models import Attempt, RoleName
from quest_platform.services.accounts import create_user
from quest_platform.services.tokens import create_api_token

# A port where nothing listens: connections are refused at once.
CLOSED_PORT = 9


def assert_unavailable_page(response: Any, *, says: str) -> str:
    """The outage page: 503, the site's design without a menu or form, the request's id."""
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert "no-store" in response.headers["Cache-Control"]
    text = response.get_data(as_text=True)
    assert is_site_page(text)
    assert says in text
    assert "<form" not in text
    assert "Traceback" not in text
    assert response.headers["X-Request-ID"] in text, "the page names the request's id"
    return text


@pytest.fixture
def own_app(tmp_path: Path) -> Iterator[Any]:
    """Build apps of their own (a database or a store that is down), each on a SQLite file."""
    made: list[Flask] = []

    def build(**settings: Any) -> Flask:
        settings = {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'own.db'}",
            "REDIS_URL": None,
            "SESSION_DIR": tmp_path / "sessions",
            "UPLOAD_DIR": tmp_path / "uploads",
            "PROPAGATE_EXCEPTIONS": False,
            **settings,
        }
        application = create_app("testing", **settings)
        made.append(application)
        return application

    yield build
    for application in made:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


def with_student(application: Flask) -> str:
    """Make the tables and one student in ``application``'s database; return the username."""
    with application.app_context():
        db.create_all()
        create_user(
            username="ana.lopez",
            display_name="Ana López",
            password=PASSWORD,
            role=RoleName.STUDENT,
        )
    return "ana.lopez"


@pytest.mark.engine_independent
@pytest.mark.provokes_server_error
def test_a_signed_in_page_while_the_database_is_down_is_a_503_in_the_browsers_language(
    own_app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    application = own_app(
        SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg://postgres@127.0.0.1:{CLOSED_PORT}/none"
    )
    client = application.test_client()
    with client.session_transaction() as session:
        # A student signed in before the database went away: loading them needs it.
        session["_user_id"] = "a-students-uniquifier"
        session["_fresh"] = True

    page = client.get("/quests", headers={"Accept-Language": "es-MX,es;q=0.9"})

    text = assert_unavailable_page(page, says="No puede conectarse a su base de datos")
    assert 'lang="es"' in text
    api = client.get("/api/v1/session")
    assert api.status_code == 503
    problem = api.get_json()
    assert problem["request_id"] == api.headers["X-Request-ID"]
    assert problem["recorded"] is False
    assert "database" in problem["message"]
    assert client.get("/health/live").status_code == 200
    # An outage fails every request alike: each is one line of the log, not a traceback.
    outages = [record for record in caplog.records if "answered 503" in record.getMessage()]
    assert len(outages) == 2
    assert "/quests [GET] answered 503, database unavailable: OperationalError" in (
        outages[0].getMessage()
    )
    assert not any(record.exc_info for record in caplog.records)


@pytest.mark.engine_independent
@pytest.mark.provokes_server_error
def test_while_redis_is_down_pages_say_so_and_what_needs_no_session_still_works(
    own_app: Any,
) -> None:
    # Limits would fall back to each process's memory; the suite's limiter is shared by its
    # apps, so this app's is not pointed at the Redis that is down.
    application = own_app(
        REDIS_URL=f"redis://127.0.0.1:{CLOSED_PORT}/0", RATELIMIT_STORAGE_URI="memory://"
    )
    student = with_student(application)
    with application.app_context():
        token = create_api_token(user=db.session.scalars(select_user(student)).one(), name="Site")
    client = application.test_client()

    # A new visitor: the page is made, then its session (its form's token) cannot be kept.
    assert_unavailable_page(client.get("/login"), says="keeps you signed in")
    assert client.get_cookie("quest_session") is None, "no cookie for a session never kept"
    # A returning visitor: their session cannot be read.
    client.set_cookie("quest_session", "x" * 32)
    assert_unavailable_page(client.get("/quests"), says="keeps you signed in")
    # What needs no session goes on.
    with client.get("/static/css/site.css") as stylesheet:
        assert stylesheet.status_code == 200
    assert client.get("/health/live").status_code == 200
    assert client.get("/health/ready").status_code == 503
    signed = client.get("/api/v1/session", headers={"Authorization": f"Bearer {token.secret}"})
    assert signed.status_code == 200
    assert signed.get_json()["username"] == student
    # A token's call that would change a session says the store is down.
    kept = client.get("/api/v1/session/csrf", headers={"Authorization": f"Bearer {token.secret}"})
    assert kept.status_code == 503
    assert "keeps you signed in" in kept.get_json()["message"]


def select_user(username: str) -> Any:
    from quest_platform.models import User

    return select(User).where(User.username == username)


@pytest.mark.engine_independent
@pytest.mark.provokes_server_error
@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS], ids=["full", "read-only"])
def test_a_sign_in_whose_session_cannot_be_written_says_so_and_leaves_nothing(
    own_app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    application = own_app()
    student = with_student(application)
    client = application.test_client()
    token = csrf_token(client, "/login")
    sessions = tmp_path / "sessions"
    before = {path.name for path in sessions.iterdir()}

    def disk_refuses(*args: Any) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(session_store.os, "replace", disk_refuses)
    form = client.post("/login", data={"email": student, "password": PASSWORD, "csrf_token": token})
    api = application.test_client().post(
        "/api/v1/session",
        json={"username": student, "password": PASSWORD},
        headers={"X-Origin": "x"},
    )

    assert_unavailable_page(form, says="disk is full or read-only")
    assert "Set-Cookie" not in form.headers
    assert api.status_code == 503, "never a 200 for a session that was not kept"
    assert "Set-Cookie" not in api.headers
    assert "disk is full or read-only" in api.get_json()["message"]
    after = {path.name for path in sessions.iterdir()}
    # Signing in drops the visitor's session; nothing is left half-written in its place.
    assert after <= before, "no temporary or unsaved session file left"


@pytest.mark.provokes_server_error
@pytest.mark.parametrize("where", ["api", "page"])
def test_an_error_after_an_answer_was_recorded_says_so(
    app: Flask, client: Any, school: Any, login_as: Any, monkeypatch: pytest.MonkeyPatch, where
) -> None:
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    slug = school.quest.slug
    stage_id = school.quest.stages[0].id
    login_as(school.student)

    def reply_fails(response: Any) -> Any:
        if request.method == "POST":
            raise ConnectionResetError("the reply could not be written")
        return response

    # The answer is committed; writing its reply fails.
    monkeypatch.setattr(app, "after_request_funcs", {None: [reply_fails]})
    if where == "api":
        response = client.post(
            f"/api/v1/quests/{slug}/stages/1/attempts",
            json={"answer": {"confirmed": True}},
            headers={"X-Origin": "x"},
        )
        assert response.status_code == 500
        problem = response.get_json()
        assert problem["recorded"] is True
        assert "Your answer was recorded" in problem["message"]
    else:
        address = f"/quests/{slug}/1"
        response = client.post(address, data={**hidden_fields(client, address), "confirmed": "yes"})
        assert response.status_code == 500
        assert "Your answer was recorded before this error" in response.get_data(as_text=True)
    stored = db.session.scalar(
        select(func.count())
        .select_from(Attempt)
        .where(Attempt.student_id == school.student.id, Attempt.stage_id == stage_id)
    )
    assert stored == 1


@pytest.mark.provokes_server_error
def test_an_error_before_anything_was_saved_says_nothing_was(
    app: Flask, client: Any, school: Any, login_as: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    login_as(school.student)

    def fails(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("grading failed")

    monkeypatch.setattr("quest_platform.api.quests.submit_attempt", fails)
    response = client.post(
        f"/api/v1/quests/{school.quest.slug}/stages/1/attempts",
        json={"answer": {"confirmed": True}},
        headers={"X-Origin": "x"},
    )
    assert response.status_code == 500
    assert response.get_json()["recorded"] is False
    assert "Nothing you sent was saved" in response.get_json()["message"]
    assert "grading failed" not in response.get_data(as_text=True)


@pytest.mark.engine_independent
@pytest.mark.provokes_server_error
def test_an_error_page_that_cannot_be_made_is_still_the_platforms_page(
    own_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    application = own_app()
    with_student(application)

    def broken(*args: Any, **kwargs: Any) -> str:
        raise RuntimeError("the template is gone")

    monkeypatch.setattr("quest_platform.errors.standalone_page", broken)
    monkeypatch.setitem(application.view_functions, "pages.home", lambda: 1 / 0)
    client = application.test_client()

    page = client.get("/", headers={"Accept-Language": "es", "X-Request-ID": "report-12345"})

    assert page.status_code == 500
    text = page.get_data(as_text=True)
    assert is_site_page(text)
    assert "Algo salió mal" in text
    assert "report-12345" in text
    assert "Traceback" not in text


def test_every_answer_names_its_request_and_keeps_a_proxys_id(client: Any) -> None:
    mine = client.get("/", headers={"X-Request-ID": "nginx-0123456789abcdef"})
    assert mine.headers["X-Request-ID"] == "nginx-0123456789abcdef"
    made = client.get("/", headers={"X-Request-ID": "<script>"})
    assert made.headers["X-Request-ID"] != "<script>"
    assert len(made.headers["X-Request-ID"]) == 32


@pytest.mark.parametrize("path", ["/static/no-such.css", "/health/no-such-check"])
def test_a_missing_address_where_no_session_is_kept_is_a_404_page(client: Any, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    text = response.get_data(as_text=True)
    assert is_site_page(text)
    assert "Page not found" in text
    assert "reference" not in text, "a 404 is not an error to report"


@pytest.mark.engine_independent
@pytest.mark.parametrize(
    ("proxies", "seen"), [(0, "127.0.0.1 http"), (1, "203.0.113.7 https")], ids=["none", "nginx"]
)
def test_behind_a_proxy_the_client_is_whom_the_proxy_names(
    own_app: Any, proxies: int, seen: str
) -> None:
    application = own_app(PROXY_COUNT=proxies)
    application.add_url_rule("/who", "who", lambda: f"{request.remote_addr} {request.scheme}")
    response = application.test_client().get(
        "/who",
        headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"},
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    assert response.get_data(as_text=True) == seen


def answer_by_token(app: Flask, school: Any, start: Any) -> bytes:
    """Answer stage 1 through the API with a personal token, straight through the WSGI app."""
    token = create_api_token(user=school.student, name="Site")
    environ = EnvironBuilder(
        path=f"/api/v1/quests/{school.quest.slug}/stages/1/attempts",
        method="POST",
        json={"answer": {"confirmed": True}},
        headers={"Authorization": f"Bearer {token.secret}"},
    ).get_environ()
    # In a thread of its own, the request has its own application context, ended (torn down)
    # with the request as in a server; the test's context would otherwise be reused.
    body: list[bytes] = []
    thread = threading.Thread(target=lambda: body.extend(app.wsgi_app(environ, start)))
    thread.start()
    thread.join()
    return b"".join(body)


def test_a_connection_lost_after_the_answer_was_recorded_keeps_its_reply(
    app: Flask, school: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_remove = db.session.remove
    lost: list[bool] = []

    def remove_over_a_lost_connection() -> None:
        if not lost:
            lost.append(True)
            raise OperationalError("ROLLBACK", {}, ConnectionError("server closed the connection"))
        real_remove()

    # The database restarts after the commit: the request's closing rollback fails.
    monkeypatch.setattr(db.session, "remove", remove_over_a_lost_connection)
    statuses: list[str] = []
    body = answer_by_token(
        app, school, lambda status, headers, exc_info=None: statuses.append(status)
    )

    assert lost == [True]
    assert statuses == ["201 CREATED"]
    assert json.loads(body)["outcome"] == "passed"


@pytest.mark.provokes_server_error
def test_a_reply_whose_request_failed_at_its_end_is_replaced_by_one_saying_what_was_saved(
    app: Flask, school: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def ends_badly(error: BaseException | None) -> None:
        raise RuntimeError("the request's end failed")

    # First in the list, so it runs last (after the session was ended) and escapes Flask.
    monkeypatch.setattr(
        app, "teardown_appcontext_funcs", [ends_badly, *app.teardown_appcontext_funcs]
    )
    calls: list[tuple[str, bool]] = []

    def start(status: str, headers: Any, exc_info: Any = None) -> Any:
        calls.append((status, exc_info is not None))
        return lambda data: None

    body = answer_by_token(app, school, start)

    assert calls == [("201 CREATED", False), ("500 INTERNAL SERVER ERROR", True)]
    problem = json.loads(body)
    assert problem["recorded"] is True
    assert "Your answer was recorded" in problem["message"]
    assert problem["request_id"]
