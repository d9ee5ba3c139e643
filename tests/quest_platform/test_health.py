"""Health checks: /health/live while the process runs; /health/ready and `manage.py check` say
whether the database (and its schema), Redis and the folders the platform writes to are
usable, telling a probe only pass or fail and a person at the command line why."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from test_manage import run_cli

from quest_platform import create_app
from quest_platform.extensions import db
from quest_platform.health.checks import migration_head, readiness, redis_check


def test_live_answers_without_a_session_or_anything_else(client: Any) -> None:
    response = client.get("/health/live")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"


def test_ready_lists_each_check_when_all_pass(app: Any, client: Any) -> None:
    response = client.get("/health/ready")
    assert response.status_code == 200
    names = [
        "database",
        "schema",
        "uploads",
        "redis" if app.config.get("REDIS_URL") else "sessions",
    ]
    assert response.json == {"status": "ready", "checks": dict.fromkeys(names, "ok")}
    assert "Set-Cookie" not in response.headers


def test_an_unwritable_upload_folder_is_not_ready_and_says_only_which(
    app: Any, client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setitem(app.config, "UPLOAD_DIR", blocker / "uploads")
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.json["status"] == "not ready"
    assert response.json["checks"]["uploads"] == "failing"
    assert response.json["checks"]["database"] == "ok"
    # Nothing of the machine is told: no path, no error text.
    assert str(tmp_path) not in response.get_data(as_text=True)


def test_a_database_behind_its_code_is_not_ready(app: Any, client: Any) -> None:
    head = migration_head()
    set_version = text("UPDATE alembic_version SET version_num = :version")
    with db.engine.begin() as connection:
        connection.execute(set_version, {"version": "0020"})
    try:
        assert client.get("/health/ready").json["checks"]["schema"] == "failing"
        problem = next(check.problem for check in readiness(app) if check.name == "schema")
        assert problem.startswith(f"the database is at migration 0020, the code expects {head}")
        assert "manage.py db upgrade" in problem
    finally:
        with db.engine.begin() as connection:
            connection.execute(set_version, {"version": head})


@pytest.mark.engine_independent
def test_nothing_answering_is_not_ready_and_never_an_error(tmp_path: Path) -> None:
    # A PostgreSQL port where nothing listens.
    app = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI="postgresql+psycopg://postgres@127.0.0.1:9/none",
        REDIS_URL=None,
        UPLOAD_DIR=tmp_path / "uploads",
        SESSION_DIR=tmp_path / "sessions",
    )
    response = app.test_client().get("/health/ready")
    assert response.status_code == 503
    assert response.json["checks"] == {
        "database": "failing",
        "schema": "failing",
        "uploads": "ok",
        "sessions": "ok",
    }
    assert "127.0.0.1" not in response.get_data(as_text=True)
    assert app.test_client().get("/health/live").status_code == 200
    with app.app_context():
        problems = {check.name: check.problem for check in readiness(app)}
        app.extensions["sqlalchemy"].engine.dispose()
    assert problems["database"].startswith("the database does not answer:")
    assert "refused" in problems["database"].lower()


@pytest.mark.engine_independent
def test_redis_not_answering_is_a_failing_check() -> None:
    check = redis_check("redis://127.0.0.1:9/0")
    assert (check.name, check.ok) == ("redis", False)
    assert check.problem.startswith("Redis does not answer:")


def test_the_check_command_says_ready_or_names_each_problem(
    app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run_cli(app, "check")
    assert result.exit_code == 0, result.output
    assert "database: ok" in result.output
    assert result.output.strip().endswith("Ready to serve.")
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setitem(app.config, "UPLOAD_DIR", blocker / "uploads")
    result = run_cli(app, "check")
    assert result.exit_code == 1
    assert f"uploads: FAILING: the uploads folder {blocker / 'uploads'} cannot be written" in (
        result.output
    )
    assert "1 of 4 checks failed." in result.output


@pytest.mark.engine_independent
def test_a_server_starting_while_redis_does_not_answer_says_so_in_its_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    create_app(
        "testing",
        TESTING=False,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'start.db'}",
        REDIS_URL="redis://:secret-word@127.0.0.1:9/0",
        RATELIMIT_STORAGE_URI="memory://",
        SESSION_DIR=tmp_path / "sessions",
        UPLOAD_DIR=tmp_path / "uploads",
    )
    said = [record for record in caplog.records if record.name == "quest_platform.health.checks"]
    assert len(said) == 1
    line = said[0].getMessage()
    assert said[0].levelname == "ERROR"
    assert line.startswith("Redis does not answer:")
    assert "answer 503" in line
    assert "secret-word" not in line
