"""What every scenario stands on: the bench database, gunicorn, signing in, seeding.

The database is empty per run. SQLite: a file in the run's temporary folder. PostgreSQL
(``BENCH_DATABASE_URL``): a schema of the run's own in that database, made every connection's
search path through the URL and dropped with everything in it at the end, so a shared database
(the tests' ``test``) is safe to name. Every connection of the run carries the application name
``quest-bench-<hex>``, so the lock sampler (bench/answers.py) watches the run's own connections.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import make_url

from quest_platform.config import database_url
from quest_platform.extensions import db
from quest_platform.models import User

ROOT = Path(__file__).resolve().parent.parent
# The rows of the tables an answer writes, counted before and after every run that writes.
ROW_COUNTS = text(
    "SELECT (SELECT count(*) FROM attempt) AS attempt,"
    " (SELECT count(*) FROM points_entry) AS points_entry"
)


@contextmanager
def bench_database(folder: Path) -> Iterator[str]:
    """The URL of an empty database for this run, removed at the end."""
    given = os.environ.get("BENCH_DATABASE_URL")
    if not given:
        yield f"sqlite:///{folder}/bench.db"
        return
    server = make_url(database_url(given, given))
    if server.get_backend_name() != "postgresql":
        raise SystemExit("BENCH_DATABASE_URL must name a PostgreSQL database (or be unset)")
    run = secrets.token_hex(5)
    schema = f"bench_{run}"
    admin = create_engine(server)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = server.update_query_dict(
        {"options": f"-csearch_path={schema}", "application_name": f"quest-bench-{run}"}
    )
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def engine_for(database: str) -> Engine:
    """An engine on the bench database (its schema and application name included)."""
    return create_engine(database_url(database, database))


def scalar(database: str, query: str, **parameters: object) -> int:
    """One number from the bench database (an id, a count)."""
    engine = engine_for(database)
    with engine.connect() as connection:
        value = connection.execute(text(query), parameters).scalar_one()
    engine.dispose()
    return int(value)


def row_counts(engine: Engine) -> dict[str, int]:
    """The rows of each table an answer writes."""
    with engine.connect() as connection:
        return dict(connection.execute(ROW_COUNTS).mappings().one())


def analyze(database: str) -> None:
    """Gather the planner's statistics, as a database in use has them (autovacuum, ANALYZE)."""
    engine = engine_for(database)
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    engine.dispose()


def setup_line(database: str, env: dict[str, str], workers: object) -> str:
    """Where a run's figures come from: the database server, the session store, the workers."""
    return (
        f"database: {database.split('@')[-1].split('?')[0]}; sessions: "
        f"{'Redis' if env.get('REDIS_URL') else 'files'}; gunicorn --workers {workers} (sync)"
    )


def free_port() -> int:
    """Return a free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(app: str, *, env: dict[str, str], workers: int, up: str = "/") -> Iterator[int]:
    """Serve ``app`` with gunicorn (sync workers) on loopback for the block; yield its port once
    it answers ``up``."""
    with gunicorn_process(app, env=env, options=("--workers", str(workers)), up=up) as served:
        yield served[0]


@contextmanager
def gunicorn_process(
    app: str,
    *,
    env: dict[str, str],
    options: tuple[str, ...],
    up: str = "/",
    log: Path | None = None,
) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """Serve ``app`` with gunicorn and its ``options`` on loopback for the block, its output in
    ``log`` if given; yield its port and its master process once it answers ``up``."""
    port = free_port()
    output = log.open("w") if log is not None else None
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn"),
            *options,
            *("--bind", f"127.0.0.1:{port}"),
            *("--log-level", "warning"),
            app,
        ],
        cwd=ROOT,
        env=env,
        stdout=output,
        stderr=output,
    )
    try:
        deadline = time.monotonic() + 300
        while True:
            if process.poll() is not None:
                printed = f":\n{log.read_text()}" if log is not None else ""
                raise SystemExit(f"{app} stopped with {process.returncode}{printed}")
            if time.monotonic() > deadline:
                raise SystemExit(f"{app} did not start")
            try:
                get(port, up)
                break
            except OSError:
                time.sleep(0.2)
        yield port, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if output is not None:
            output.close()


def get(port: int, path: str, cookie: str | None = None) -> tuple[int, str]:
    """GET ``path`` (with a session cookie): the status and the page."""
    connection = HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    response = connection.getresponse()
    return response.status, response.read().decode()


def csrf_token(page: str) -> str:
    """The CSRF token of the first form on ``page``."""
    found = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
    if found is None:
        raise SystemExit("no CSRF token on the page")
    return found.group(1)


def sign_in(port: int, username: str, password: str) -> str:
    """Sign in through the login form and return the session cookie header."""
    connection = HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/login")
    page = connection.getresponse()
    cookie = page.getheader("Set-Cookie", "").split(";")[0]
    body = urllib.parse.urlencode(
        {"email": username, "password": password, "csrf_token": csrf_token(page.read().decode())}
    )
    connection.request(
        "POST",
        "/login",
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
    )
    response = connection.getresponse()
    response.read()
    if response.status != 302:
        raise SystemExit(f"sign-in of {username} failed with {response.status}")
    return response.getheader("Set-Cookie", cookie).split(";")[0]


def client_signed_in_as(app: Flask, username: str) -> FlaskClient:
    """A Flask test client of ``app`` signed in as ``username``, its session written directly.

    Made outside any app context of ours, and used outside one: a request made while one is
    pushed would share its ``g``, where Flask-Login keeps the user it loaded, with every other.
    """
    with app.app_context():
        uniquifier = db.session.scalar(select(User.fs_uniquifier).where(User.username == username))
    if uniquifier is None:
        raise SystemExit(f"no user {username}")
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = uniquifier
        session["_fresh"] = True
    return client


def quiz_path(quiz: dict[str, Any]) -> str:
    """The path of a quiz stage as bench/prepare.py describes it."""
    return f"/quests/{quiz['slug']}/{quiz['position']}"


def answering_sessions(port: int, facts: dict[str, Any], count: int) -> list[tuple[str, str]]:
    """The first ``count`` students of the classroom signed in: each one's session cookie and
    CSRF token, read from the first unlimited quiz (which must be open to them)."""
    students = facts["students"][:count]
    if len(students) < count:
        raise SystemExit(f"the classroom has {len(students)} students, fewer than {count}")
    sessions = []
    for student in students:
        cookie = sign_in(port, student["username"], facts["password"])
        status, page = get(port, quiz_path(facts["quizzes"][0]), cookie)
        if status != 200:
            raise SystemExit(f"the unlimited quiz answered {status} to {student['username']}")
        sessions.append((cookie, csrf_token(page)))
    return sessions


def run_manage(*arguments: str, env: dict[str, str]) -> str:
    """Run a manage.py command for the bench database, failing loudly if it fails; its output."""
    result = subprocess.run(
        [sys.executable, "manage.py", *arguments], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(arguments)} failed:\n{result.stderr}")
    return result.stdout


def run_json(module: str, *arguments: str, env: dict[str, str]) -> Any:
    """Run ``python -m <module>`` in a fresh process on the bench database: the JSON of its last
    line of output."""
    completed = subprocess.run(
        [sys.executable, "-m", module, *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if completed.returncode != 0:
        raise SystemExit(f"{module} failed:\n{completed.stderr}")
    return json.loads(completed.stdout.splitlines()[-1])


def demo_logins(folder: Path) -> dict[str, tuple[str, str]]:
    """The first demo sign-in of each role (its username and password) from demo-logins.txt."""
    logins = [line.split() for line in (folder / "demo-logins.txt").read_text().splitlines()]
    return {
        role: next((line[1], line[2]) for line in logins if line and line[0] == role)
        for role in ("admin", "teacher", "student")
    }


def seed_classroom(
    env: dict[str, str], database: str, *, students: int, quests: int, quizzes: int
) -> dict[str, Any]:
    """Add a classroom of ``students`` with ``quests`` quests' worth of attempts, give it
    ``quizzes`` unlimited quizzes (bench/prepare.py) and gather the planner's statistics;
    return the facts prepare prints, with the classroom's one-time password."""
    output = run_manage(
        "seed",
        *("--students", str(students)),
        *("--class-size", str(students)),
        *("--quests", str(quests)),
        env=env,
    )
    password = re.search(r"one-time password (\S+) \(shown once\)", output)
    if password is None:
        raise SystemExit(f"no password in the seed's output:\n{output}")
    facts = run_json("bench.prepare", str(quizzes), env=env)
    analyze(database)
    print(
        f"seeded a classroom of {facts['enrolled']} students with "
        f"{facts['classroom_attempts']} attempts ({facts['attempts']} in all)"
    )
    return facts | {"password": password.group(1)}


def seed_school(env: dict[str, str], database: str, *, students: int, quests: int) -> None:
    """Add school scale data (``students`` students with ``quests`` quests each) and gather the
    planner's statistics."""
    started = time.monotonic()
    run_manage("seed", *("--students", str(students)), *("--quests", str(quests)), env=env)
    analyze(database)
    attempts = scalar(database, "SELECT count(*) FROM attempt")
    print(
        f"seeded {students} more students, {attempts} attempts in all, in"
        f" {time.monotonic() - started:.0f} s"
    )
