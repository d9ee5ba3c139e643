"""Run the benchmarks: `make bench` (or `python -m bench`), figures as ratios to the baseline.

Both servers run under gunicorn on loopback with the same worker settings, against one
database seeded with the demo (SQLite in a temporary folder, or BENCH_DATABASE_URL).

Scenarios: ``portal`` (the default) adds a classroom of 200 students with their attempts and
measures, with wrk, the student's pages (leaderboard, quest map, stage page, quiz submit) against
the issue's targets; ``admin`` adds school scale data (10,000 students, about a million
attempts) and measures the admin's attempts list, each page next to the bare SQL that fetches
the same page, served by the bare Flask app.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from bench.load import Result, measure
from bench.wrk import WrkResult, run_wrk
from quest_platform.config import database_url

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """Return a free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(port: int, path: str, timeout: float = 30.0) -> None:
    """Wait until the server on ``port`` answers ``path``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            connection = HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", path)
            connection.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server on port {port} did not start")


@contextmanager
def gunicorn(app: str, *, port: int, env: dict[str, str], workers: int) -> Iterator[None]:
    """Serve ``app`` with gunicorn on loopback for the duration of the block."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            app,
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        yield
    finally:
        process.terminate()
        process.wait(timeout=20)


def sign_in(port: int, username: str, password: str) -> str:
    """Sign in through the login form and return the session cookie header."""
    connection = HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/login")
    page = connection.getresponse()
    cookie = page.getheader("Set-Cookie", "").split(";")[0]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.read().decode())
    if token is None:
        raise SystemExit("no CSRF token on /login")
    body = urllib.parse.urlencode(
        {"email": username, "password": password, "csrf_token": token.group(1)}
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
        raise SystemExit(f"sign-in failed with {response.status}")
    return response.getheader("Set-Cookie", cookie).split(";")[0]


def report(results: list[Result], baseline: Result) -> str:
    """Format the results as a table with ratios to the baseline."""
    lines = [
        f"{'endpoint':<44}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'rps ratio':>11}{'p50 ratio':>11}{'p99 ratio':>11}{'errors':>8}"
    ]
    for result in [baseline, *results]:
        lines.append(
            f"{result.name:<44}{result.rps:>9.0f}{result.p50:>9.1f}{result.p99:>9.1f}"
            f"{baseline.rps / result.rps if result.rps else float('inf'):>10.2f}×"
            f"{result.p50 / baseline.p50:>10.2f}×{result.p99 / baseline.p99:>10.2f}×"
            f"{result.errors:>8}"
        )
    lines.append(
        "rps ratio = baseline req/s ÷ endpoint req/s; latency ratios = endpoint ÷ baseline."
    )
    return "\n".join(lines)


def filter_param(port: int, path: str, cookie: str, key: str) -> str:
    """The URL name of the list filter called ``key`` (``flt2_quest``), read from the page."""
    connection = HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path, headers={"Cookie": cookie})
    page = connection.getresponse().read().decode()
    found = re.search(rf'name="(flt\d+_{key})"', page)
    if found is None:
        raise SystemExit(f"no {key} filter on {path}")
    return found.group(1)


def first_id(database: str, query: str, **parameters: object) -> int:
    """One id from the bench database (a quest, a teacher)."""
    engine = create_engine(database_url(database, database))
    with engine.connect() as connection:
        value = connection.execute(text(query), parameters).scalar_one()
    engine.dispose()
    return int(value)


def analyze(database: str) -> None:
    """Gather the planner's statistics, as a database in use has them (autovacuum, ANALYZE)."""
    engine = create_engine(database_url(database, database))
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    engine.dispose()


def run(manage: list[str], *arguments: str, env: dict[str, str]) -> str:
    """Run a manage.py command for the bench database, failing loudly if it fails; its output."""
    result = subprocess.run(
        [*manage, *arguments], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(arguments)} failed:\n{result.stderr}")
    return result.stdout


def main() -> None:
    """Seed a bench database, serve both apps, measure, print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "scenario",
        nargs="?",
        choices=["portal", "admin"],
        default="portal",
        help="portal: pages at the demo's scale; admin: the attempts list at school scale",
    )
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2, help="portal: wrk threads")
    parser.add_argument(
        "--classroom-size", type=int, default=200, help="portal: students in the big classroom"
    )
    parser.add_argument("--students", type=int, default=10_000, help="admin: scale students")
    parser.add_argument(
        "--quests", type=int, default=None, help="quests per scale student (admin 14, portal 4)"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="quest-bench-") as folder:
        database = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{folder}/bench.db"
        env = {
            **os.environ,
            "QUEST_ENV": "production",
            "QUEST_INSTANCE_DIR": folder,
            "DATABASE_URL": database,
            "SECRET_KEY": secrets.token_urlsafe(48),
            "SECURITY_PASSWORD_SALT": secrets.token_urlsafe(48),
            "LOGIN_RATE_LIMIT": "1000 per minute",
        }
        manage = [sys.executable, "manage.py"]
        run(manage, "db", "upgrade", env=env)
        run(manage, "seed", "--demo", "--force", env=env)
        facts: dict[str, Any] = {}
        if args.scenario == "portal":
            started = time.monotonic()
            output = run(
                manage,
                "seed",
                *("--students", str(args.classroom_size)),
                *("--class-size", str(args.classroom_size)),
                *("--quests", str(args.quests or 4)),
                env=env,
            )
            analyze(database)
            facts = prepare(env, output)
            print(
                f"seeded a classroom of {facts['enrolled']} students with "
                f"{facts['classroom_attempts']} attempts ({facts['attempts']} in all) "
                f"in {time.monotonic() - started:.0f} s"
            )
        if args.scenario == "admin":
            started = time.monotonic()
            run(
                manage,
                "seed",
                *("--students", str(args.students), "--quests", str(args.quests or 14)),
                env=env,
            )
            analyze(database)
            attempts = first_id(database, "SELECT count(*) FROM attempt")
            print(
                f"seeded {args.students} more students and {attempts} attempts "
                f"in {time.monotonic() - started:.0f} s"
            )
        logins = [
            line.split() for line in (Path(folder) / "demo-logins.txt").read_text().splitlines()
        ]
        first = {
            role: next(line for line in logins if line and line[0] == role)
            for role in ("admin", "teacher", "student")
        }

        baseline_port, platform_port = free_port(), free_port()
        with (
            gunicorn("bench.baseline:app", port=baseline_port, env=env, workers=args.workers),
            gunicorn(
                "quest_platform:create_app()", port=platform_port, env=env, workers=args.workers
            ),
        ):
            wait_until_up(baseline_port, "/user/1")
            wait_until_up(platform_port, "/")
            if args.scenario == "portal":
                wrk_options = {
                    "seconds": args.seconds,
                    "connections": args.connections,
                    "threads": args.threads,
                }
                portal_results = portal(platform_port, baseline_port, first, facts, wrk_options)
                print(
                    f"database: {database.split('@')[-1]}; sessions: "
                    f"{'Redis' if os.environ.get('REDIS_URL') else 'files'}; "
                    f"gunicorn --workers {args.workers} (sync); wrk --threads {args.threads} "
                    f"--connections {args.connections}, {args.seconds:.0f} s after a 2 s warm-up"
                )
                print(portal_report(portal_results))
                return
            options = {"seconds": args.seconds, "connections": args.connections}
            baseline = measure(
                name="baseline: bare Flask, PK select",
                port=baseline_port,
                path="/user/1",
                **options,
            )
            results, notes = admin(platform_port, baseline_port, first, database, env, options)
    print(
        f"database: {database.split('@')[-1]}; gunicorn --workers {args.workers}; "
        f"{args.connections} connections × {args.seconds:.0f} s after a 2 s warm-up"
    )
    print(report(results, baseline))
    print(compare_pages(results))
    print(notes)


# The targets: an endpoint's req/s as a share of the baseline's, at least.
TARGETS = {"leaderboard": 0.5, "quest map": 0.5, "stage page": 0.4, "quiz submit": 0.3}
# Students whose sessions take turns submitting answers (each answer flashes a message into
# its session, and a real student reads it on the next page; spread, the sessions stay small).
SUBMITTERS = 20


def prepare(env: dict[str, str], seed_output: str) -> dict[str, Any]:
    """Give the big classroom an unlimited quiz (bench/prepare.py) and return the facts."""
    password = re.search(r"one-time password (\S+) \(shown once\)", seed_output)
    if password is None:
        raise SystemExit(f"no password in the seed's output:\n{seed_output}")
    completed = subprocess.run(
        [sys.executable, "-m", "bench.prepare"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if completed.returncode != 0:
        raise SystemExit(f"bench.prepare failed:\n{completed.stderr}")
    return json.loads(completed.stdout.splitlines()[-1]) | {"password": password.group(1)}


def get(port: int, path: str, cookie: str) -> tuple[int, str]:
    """GET ``path`` with a session cookie: the status and the page."""
    connection = HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path, headers={"Cookie": cookie})
    response = connection.getresponse()
    return response.status, response.read().decode()


def csrf_token(page: str) -> str:
    """The CSRF token of the first form on ``page``."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', page
    )
    if found is None:
        raise SystemExit("no CSRF token on the page")
    return found.group(1)


def portal(
    port: int,
    baseline_port: int,
    first: dict[str, list[str]],
    facts: dict[str, Any],
    options: dict[str, Any],
) -> list[tuple[WrkResult, float | None]]:
    """The student's pages in the 200-student classroom, with wrk, and each one's target."""
    anonymous = [
        ("home page (anonymous)", None, "/", None),
        ("sign-in page (anonymous)", None, "/login", None),
    ]
    results: list[tuple[WrkResult, float | None]] = [
        (
            run_wrk(
                name="baseline: bare Flask, PK select",
                port=baseline_port,
                path="/user/1",
                **options,
            ),
            None,
        )
    ]
    # Anonymous pages first: each of their requests stores a session (the CSRF token of the
    # footer's language form), and the file store evicts the longest-idle sessions past its
    # threshold, so the students sign in only after them.
    for label, target, path, _cookie in anonymous:
        results.append((run_wrk(name=label, port=port, path=path, **options), target))
    # The most active student whose latest quiz is still open to them is the one measured.
    student, stage_path = None, ""
    for candidate in facts["students"]:
        if candidate["quiz"] is None:
            continue
        cookie = sign_in(port, candidate["username"], facts["password"])
        stage_path = f"/quests/{candidate['quiz']['slug']}/{candidate['quiz']['position']}"
        if get(port, stage_path, cookie)[0] == 200:
            student = (candidate, cookie)
            break
    if student is None:
        raise SystemExit("no student of the classroom has an open quiz stage")
    candidate, cookie = student
    submit = facts["submit"]
    submit_path = f"/quests/{submit['slug']}/{submit['position']}"
    sessions = []
    for other in facts["students"][:SUBMITTERS]:
        other_cookie = sign_in(port, other["username"], facts["password"])
        status, page = get(port, submit_path, other_cookie)
        if status != 200:
            raise SystemExit(f"the unlimited quiz answered {status} to {other['username']}")
        sessions.append((other_cookie, csrf_token(page)))
    board = f"/leaderboards/classrooms/{facts['classroom']}"
    demo_cookie = sign_in(port, first["student"][1], first["student"][2])
    pages = [
        ("leaderboard (HTML)", "leaderboard", board, cookie),
        ("leaderboard (JSON)", "leaderboard", f"{board}.json", cookie),
        ("quest map", "quest map", "/quests", cookie),
        (f"stage page ({stage_path})", "stage page", stage_path, cookie),
        ("profile (demo student)", None, "/accounts/profile", demo_cookie),
    ]
    for _label, _target, path, page_cookie in pages:
        status = get(port, path, page_cookie or "")[0]
        if status != 200:
            raise SystemExit(f"{path} answered {status} before the run")
    print(
        f"measured student: {candidate['username']} ({candidate['attempts']} attempts); "
        f"quiz submits from {len(sessions)} students of the classroom"
    )
    for label, target, path, page_cookie in pages:
        result = run_wrk(name=label, port=port, path=path, cookie=page_cookie, **options)
        results.append((result, TARGETS[target] if target else None))
    # Last, as every answer adds an attempt to the classroom the pages above show.
    result = run_wrk(
        name=f"quiz submit (POST {submit_path}, 302)",
        port=port,
        path=submit_path,
        expect=302,
        form=submit["answers"],
        sessions=sessions,
        **options,
    )
    results.append((result, TARGETS["quiz submit"]))
    failed = [result for result, _target in results if result.errors]
    if failed:
        details = "\n".join(f"  {result.name}: {result.errors}" for result in failed)
        raise SystemExit(f"errors during the run, no figures reported:\n{details}")
    return results


def portal_report(results: list[tuple[WrkResult, float | None]]) -> str:
    """The table of the portal scenario: ratio = endpoint req/s ÷ baseline req/s."""
    baseline = results[0][0]
    lines = [
        f"{'endpoint':<54}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}{'ratio':>7}{'target':>8}"
        f"{'':>6}{'requests':>10}"
    ]
    for result, target in results:
        ratio = result.rps / baseline.rps if baseline.rps else 0.0
        verdict = "" if target is None else ("PASS" if ratio >= target else "MISS")
        lines.append(
            f"{result.name:<54}{result.rps:>8.0f}{result.p50:>8.1f}{result.p99:>8.1f}"
            f"{ratio:>7.2f}{'' if target is None else f'≥{target}':>8}{verdict:>6}"
            f"{result.requests:>10}"
        )
    lines.append("ratio = endpoint req/s ÷ baseline req/s (the issue's targets); no errors.")
    return "\n".join(lines)


def admin(
    port: int,
    baseline_port: int,
    first: dict[str, list[str]],
    database: str,
    env: dict[str, str],
    options: dict[str, Any],
) -> tuple[list[Result], str]:
    """The admin's attempts list at school scale, each page next to its bare SQL.

    Over HTTP, each page is measured against the bare SQL of the same page served by the bare
    Flask app; then the database time of each page is measured against that SQL alone.
    """
    admin_cookie = sign_in(port, first["admin"][1], first["admin"][2])
    teacher_cookie = sign_in(port, first["teacher"][1], first["teacher"][2])
    quest = first_id(database, "SELECT min(id) FROM quest WHERE status = 'published'")
    teacher = first_id(
        database, 'SELECT id FROM "user" WHERE username = :name', name=first["teacher"][1]
    )
    quest_filter = filter_param(port, "/admin/attempt/", admin_cookie, "quest")
    pages = [
        ("first page", "/admin/attempt/", "/attempts", admin_cookie),
        (
            "filtered by quest",
            f"/admin/attempt/?{quest_filter}={quest}",
            f"/attempts?quest={quest}",
            admin_cookie,
        ),
        ("teacher's first page", "/admin/attempt/", f"/attempts?teacher={teacher}", teacher_cookie),
    ]
    results = []
    for label, path, sql_path, cookie in pages:
        results.append(
            measure(
                name=f"bare SQL: attempts, {label}", port=baseline_port, path=sql_path, **options
            )
        )
        results.append(
            measure(
                name=f"admin: attempts, {label}",
                port=port,
                path=path,
                headers={"Cookie": cookie},
                **options,
            )
        )
    database_time = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.dbtime",
            first["admin"][1],
            first["teacher"][1],
            quest_filter,
            str(quest),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return results, database_time.stdout


def compare_pages(results: list[Result]) -> str:
    """Each admin page as a multiple of the bare SQL of the same page (the issue's target: 3×)."""
    lines = ["", f"{'admin page vs. its bare SQL':<44}{'p50 ×':>9}{'p99 ×':>9}{'req/s ×':>9}"]
    for sql, page in zip(results[::2], results[1::2], strict=True):
        lines.append(
            f"{page.name:<44}{page.p50 / sql.p50:>9.2f}{page.p99 / sql.p99:>9.2f}"
            f"{sql.rps / page.rps if page.rps else float('inf'):>9.2f}"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
