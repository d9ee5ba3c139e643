"""Run the benchmarks: `make bench` (or `python -m bench`), figures as ratios to the baseline.

Both servers run under gunicorn on loopback with the same worker settings, against one
database seeded with the demo (SQLite in a temporary folder, or BENCH_DATABASE_URL).

Scenarios: ``portal`` (the default) adds a classroom of 200 students with their attempts and
measures, with wrk, the student's pages (leaderboard, quest map, stage page, quiz submit) against
the platform's targets; ``admin`` adds school scale data (10,000 students, about a million
attempts) and measures the admin's attempts list, each page next to the bare SQL that fetches
the same page, served by the bare Flask app; ``analytics`` measures, with wrk, the teacher
dashboard (cached) at the demo's scale, then adds the school scale data and times the engagement
report and predictions of every classroom against reading the attempts table into pandas, with
their peak memory (bench/analytics_run.py).
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from bench.floor import FLOOR_PATH
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


def demo_logins(folder: Path) -> dict[str, list[str]]:
    """The first demo sign-in of each role (role, username, password) from demo-logins.txt."""
    logins = [line.split() for line in (folder / "demo-logins.txt").read_text().splitlines()]
    return {
        role: next(line for line in logins if line and line[0] == role)
        for role in ("admin", "teacher", "student")
    }


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
        choices=["portal", "admin", "analytics"],
        default="portal",
        help="portal: pages at the demo's scale; admin: the attempts list at school scale; "
        "analytics: the teacher dashboard at the demo's scale, then reports at school scale",
    )
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2, help="portal, analytics: wrk threads")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="portal: runs of each endpoint, each after a run of the baseline (median ratio)",
    )
    parser.add_argument(
        "--classroom-size", type=int, default=200, help="portal: students in the big classroom"
    )
    parser.add_argument(
        "--students", type=int, default=10_000, help="admin, analytics: scale students"
    )
    parser.add_argument(
        "--quests",
        type=int,
        default=None,
        help="quests per scale student (admin and analytics 14, portal 4)",
    )
    args = parser.parse_args()

    begun = time.monotonic()
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
        if args.scenario == "analytics":
            analytics(
                args,
                env=env,
                database=database,
                folder=Path(folder),
                manage=manage,
                begun=begun,
            )
            return
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
        first = demo_logins(Path(folder))
        baseline_port, platform_port, floor_port = free_port(), free_port(), free_port()
        with ExitStack() as servers:
            servers.enter_context(
                gunicorn("bench.baseline:app", port=baseline_port, env=env, workers=args.workers)
            )
            servers.enter_context(
                gunicorn(
                    "quest_platform:create_app()", port=platform_port, env=env, workers=args.workers
                )
            )
            if args.scenario == "portal":
                servers.enter_context(
                    gunicorn(
                        "bench.floor:create_floor_app()",
                        port=floor_port,
                        env=env,
                        workers=args.workers,
                    )
                )
                wait_until_up(floor_port, "/")
            wait_until_up(baseline_port, "/user/1")
            wait_until_up(platform_port, "/")
            if args.scenario == "portal":
                wrk_options = {
                    "seconds": args.seconds,
                    "connections": args.connections,
                    "threads": args.threads,
                }
                portal_results = portal(
                    platform_port,
                    baseline_port,
                    floor_port,
                    first,
                    facts,
                    wrk_options,
                    rounds=args.rounds,
                )
                print(
                    f"database: {database.split('@')[-1]}; sessions: "
                    f"{'Redis' if os.environ.get('REDIS_URL') else 'files'}; "
                    f"gunicorn --workers {args.workers} (sync); wrk --threads {args.threads} "
                    f"--connections {args.connections}, {args.seconds:.0f} s after a 2 s warm-up; "
                    f"{args.rounds} rounds"
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


@dataclass(frozen=True)
class Paired:
    """One endpoint's median round: its run, the baseline run just before it, every round's
    ratio of the two, and the platform's target ratio (None when it has none)."""

    result: WrkResult
    baseline: WrkResult
    ratios: list[float]
    target: float | None

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)


# The platform's targets: an endpoint's req/s as a share of the baseline's, at least.
TARGETS = {"leaderboard": 0.5, "quest map": 0.5, "stage page": 0.4, "quiz submit": 0.3}
# Students whose sessions take turns submitting answers: every candidate bench/prepare.py
# lists, so each student's tries at the quiz (which every answer's checks read) stay few.
SUBMITTERS = 40


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
    floor_port: int,
    first: dict[str, list[str]],
    facts: dict[str, Any],
    options: dict[str, Any],
    rounds: int,
) -> list[Paired]:
    """The student's pages in the 200-student classroom, with wrk, each against the baseline.

    Every endpoint runs ``rounds`` times, each right after a run of the baseline: its ratio is
    the median of the rounds' ratios (the machine's speed drifts and stalls over a run).
    """

    def paired(target: float | None, **endpoint: Any) -> Paired:
        runs = []
        for _ in range(rounds):
            base = run_wrk(name="baseline", port=baseline_port, path="/user/1", **options)
            result = run_wrk(**endpoint, **options)
            runs.append((result.rps / base.rps if base.rps else 0.0, result, base))
        runs.sort(key=lambda run: run[0])
        _ratio, result, base = runs[len(runs) // 2]
        return Paired(result, base, [ratio for ratio, _result, _base in runs], target)

    anonymous = [
        ("home page (anonymous)", None, "/", None),
        ("sign-in page (anonymous)", None, "/login", None),
    ]
    results: list[Paired] = []
    # Anonymous pages first: each of their requests stores a session (the CSRF token of the
    # footer's language form), and the file store evicts the longest-idle sessions past its
    # threshold, so the students sign in only after them.
    for label, target, path, _cookie in anonymous:
        results.append(paired(target, name=label, port=port, path=path))
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
        target_ratio = TARGETS[target] if target else None
        results.append(paired(target_ratio, name=label, port=port, path=path, cookie=page_cookie))
    # Last, as every answer adds an attempt to the classroom the pages above show.
    submits = paired(
        TARGETS["quiz submit"],
        name=f"quiz submit (POST {submit_path}, 302)",
        port=port,
        path=submit_path,
        expect=302,
        form=submit["answers"],
        sessions=sessions,
    )
    results.append(submits)
    # The same sessions on the platform plus one route that records nothing (bench/floor.py):
    # what any answer costs before its own work.
    floor = paired(
        None,
        name=f"floor: signed-in POST, nothing recorded ({FLOOR_PATH})",
        port=floor_port,
        path=FLOOR_PATH,
        expect=302,
        form="floor=1",
        sessions=sessions,
    )
    results.append(floor)
    failed = [paired.result for paired in results if paired.result.errors]
    if failed:
        details = "\n".join(f"  {result.name}: {result.errors}" for result in failed)
        raise SystemExit(f"errors during the run, no figures reported:\n{details}")
    return results


def portal_report(results: list[Paired]) -> str:
    """The table of the portal scenario: ratio = endpoint req/s ÷ baseline req/s, each endpoint
    against the baseline run just before it; the median of the rounds, and their range."""
    lines = [
        f"{'endpoint':<58}{'req/s':>7}{'p50 ms':>7}{'p99 ms':>7}{'base':>6}{'ratio':>6}"
        f"{'rounds':>11}{'target':>7}{'':>5}"
    ]
    for paired in results:
        result, target, ratio = paired.result, paired.target, paired.ratio
        verdict = "" if target is None else ("PASS" if ratio >= target else "MISS")
        spread = f"{min(paired.ratios):.2f}–{max(paired.ratios):.2f}"
        lines.append(
            f"{result.name:<58}{result.rps:>7.0f}{result.p50:>7.1f}{result.p99:>7.1f}"
            f"{paired.baseline.rps:>6.0f}{ratio:>6.2f}{spread:>11}"
            f"{'' if target is None else f'≥{target}':>7}{verdict:>5}"
        )
    lines.append(
        "ratio = endpoint req/s ÷ req/s of the baseline (bare Flask, one PK select) run just"
        " before it, median of the rounds (their range shown); req/s, latencies and base are"
        " of the median round; targets are the platform's; no errors."
    )
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
    """Each admin page as a multiple of the bare SQL of the same page (target: 3×)."""
    lines = ["", f"{'admin page vs. its bare SQL':<44}{'p50 ×':>9}{'p99 ×':>9}{'req/s ×':>9}"]
    for sql, page in zip(results[::2], results[1::2], strict=True):
        lines.append(
            f"{page.name:<44}{page.p50 / sql.p50:>9.2f}{page.p99 / sql.p99:>9.2f}"
            f"{sql.rps / page.rps if page.rps else float('inf'):>9.2f}"
        )
    return "\n".join(lines)


# The platform's targets for the analytics: the whole report at most this many times the plain
# read of the attempts, its process under this peak memory, the cached dashboard's p95 under this.
ANALYTICS_RATIO = 2.5
ANALYTICS_PEAK_MB = 1500
DASHBOARD_P95_MS = 200
# Runs of each side of the analytics timing, baseline and full in turn, each in its own process.
ANALYTICS_ROUNDS = 3
# Steps of the full analytics run (bench/analytics_run.py), as the table names them.
ANALYTICS_STEPS = {
    "load_dataset": "  load_dataset (one query per frame, typed)",
    "engagement_report": "  engagement_report",
    "predict_quests": "  predict_quests (the shipped model)",
}


def analytics(
    args: argparse.Namespace,
    *,
    env: dict[str, str],
    database: str,
    folder: Path,
    manage: list[str],
    begun: float,
) -> None:
    """The teacher dashboard on the demo alone, then the analytics over school scale data.

    The dashboard runs first, so the database holds the demo only; ``begun`` is when the
    scenario started (before the demo was seeded).
    """
    first = demo_logins(folder)
    baseline_port, platform_port = free_port(), free_port()
    options = {"seconds": args.seconds, "connections": args.connections, "threads": args.threads}
    print(
        f"database: {database.split('@')[-1]}; gunicorn --workers {args.workers} (sync); "
        f"wrk --threads {args.threads} --connections {args.connections}, "
        f"{args.seconds:.0f} s after a 2 s warm-up"
    )
    with (
        gunicorn("bench.baseline:app", port=baseline_port, env=env, workers=args.workers),
        gunicorn("quest_platform:create_app()", port=platform_port, env=env, workers=args.workers),
    ):
        wait_until_up(baseline_port, "/user/1")
        wait_until_up(platform_port, "/")
        results = dashboard(platform_port, baseline_port, first, args.workers, options)
    print(dashboard_report(results))

    seeding = time.monotonic()
    run(
        manage,
        "seed",
        *("--students", str(args.students), "--quests", str(args.quests or 14)),
        env=env,
    )
    analyze(database)
    attempts = first_id(database, "SELECT count(*) FROM attempt")
    print(
        f"\nseeded {args.students} more students and {attempts} attempts in all "
        f"in {time.monotonic() - seeding:.0f} s"
    )
    # The two sides take turns, so a busy moment of the machine falls on both alike.
    baseline, full = [], []
    for _ in range(ANALYTICS_ROUNDS):
        baseline.append(analytics_process("baseline", env))
        full.append(analytics_process("full", env))
    print(analytics_report(baseline, full))
    print(targets_report(baseline, full, results[-1]))
    print(f"\nthe scenario took {time.monotonic() - begun:.0f} s in all, seeding included")


def dashboard(
    port: int,
    baseline_port: int,
    first: dict[str, list[str]],
    workers: int,
    options: dict[str, Any],
) -> list[WrkResult]:
    """The first demo teacher's dashboard (/admin/, their first classroom), cached, with wrk.

    Every worker draws the dashboard once on its first request (getting the quest model first),
    then serves it from its cache: rounds of as many concurrent GETs as workers warm them all,
    since a sync worker drawing a dashboard takes no other request.
    """
    cookie = sign_in(port, first["teacher"][1], first["teacher"][2])
    rounds = []
    for _ in range(3):
        answers = concurrent_gets(port, "/admin/", cookie, workers)
        rounds.append(max(seconds for _status, _page, seconds in answers))
        status, page, _seconds = answers[0]
        if status != 200:
            raise SystemExit(f"/admin/ answered {status} to the teacher")
    title = re.search(r'<h2 id="dashboard-title">([^<]*)</h2>', page)
    if title is None:
        raise SystemExit("no dashboard on the teacher's /admin/")
    charts = page.count('class="report-chart"')
    print(
        f"{html.unescape(title.group(1))} ({charts} charts, a {len(page) // 1000} kB page) "
        f"as {first['teacher'][1]}; warm-up rounds of {workers} concurrent GETs, slowest "
        + ", ".join(f"{seconds * 1000:.0f} ms" for seconds in rounds)
    )
    results = [
        run_wrk(
            name="baseline: bare Flask, PK select", port=baseline_port, path="/user/1", **options
        ),
        run_wrk(
            name="teacher dashboard (/admin/, cached)",
            port=port,
            path="/admin/",
            cookie=cookie,
            **options,
        ),
    ]
    failed = [result for result in results if result.errors]
    if failed:
        details = "\n".join(f"  {result.name}: {result.errors}" for result in failed)
        raise SystemExit(f"errors during the run, no figures reported:\n{details}")
    return results


def concurrent_gets(port: int, path: str, cookie: str, count: int) -> list[tuple[int, str, float]]:
    """GET ``path`` on ``count`` connections at once: each answer's status, page and seconds."""
    answers: list[tuple[int, str, float]] = []
    lock = threading.Lock()

    def one() -> None:
        started = time.perf_counter()
        status, page = get(port, path, cookie)
        with lock:
            answers.append((status, page, time.perf_counter() - started))

    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def dashboard_report(results: list[WrkResult]) -> str:
    """The dashboard's latency next to the baseline's, with the p95 target."""
    lines = [
        f"{'endpoint':<44}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'target':>10}"
        f"{'':>6}{'requests':>10}"
    ]
    for index, result in enumerate(results):
        # The first row is the baseline, shown for scale; the target is the dashboard's.
        target = f"<{DASHBOARD_P95_MS} ms" if index else ""
        verdict = verdict_of(result.p95 < DASHBOARD_P95_MS) if index else ""
        lines.append(
            f"{result.name:<44}{result.rps:>8.0f}{result.p50:>8.1f}{result.p95:>8.1f}"
            f"{result.p99:>8.1f}{target:>10}{verdict:>6}{result.requests:>10}"
        )
    lines.append("target: the cached dashboard's p95 (the platform's); no errors.")
    return "\n".join(lines)


def analytics_process(mode: str, env: dict[str, str]) -> dict[str, Any]:
    """Run bench/analytics_run.py in ``mode`` in a fresh process and return its figures."""
    completed = subprocess.run(
        [sys.executable, "-m", "bench.analytics_run", mode],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if completed.returncode != 0:
        raise SystemExit(f"bench.analytics_run {mode} failed:\n{completed.stderr}")
    return json.loads(completed.stdout.splitlines()[-1])


def seconds_of(runs: list[dict[str, Any]], step: str) -> list[float]:
    """The seconds of ``step`` in each of the ``runs`` of one side."""
    return [one["seconds"][step] for one in runs]


def peak_of(runs: list[dict[str, Any]], key: str = "peak_mb") -> float:
    """The highest peak memory, in MB, among the processes of ``runs``."""
    return max(one[key] for one in runs)


def analytics_report(baseline: list[dict[str, Any]], full: list[dict[str, Any]]) -> str:
    """The timings of the analytics runs: median and best of each step."""
    rows = full[0]["rows"]
    lines = [
        f"\nanalytics of every classroom: {rows['attempts']} attempts, {rows['students']} "
        f"student rows, {rows['predictions']} quest predictions; {len(full)} runs a side, "
        "taking turns, each in a fresh process",
        f"{'step':<54}{'median s':>10}{'best s':>10}",
    ]
    steps = [
        ("baseline: pandas.read_sql of the attempts table", seconds_of(baseline, "read_sql")),
        ("full: engagement report and predictions", seconds_of(full, "full")),
        *((label, seconds_of(full, step)) for step, label in ANALYTICS_STEPS.items()),
    ]
    for label, seconds in steps:
        lines.append(f"{label:<54}{statistics.median(seconds):>10.2f}{min(seconds):>10.2f}")
    ready = [one["model_seconds"] for one in full]
    lines.append(
        f"each analytics process got the shipped quest model before timing (shipped_model(), "
        f"median {statistics.median(ready):.2f} s, not counted); peak memory (ru_maxrss, the "
        f"highest of each side's processes): baseline {peak_of(baseline):.0f} MB, analytics "
        f"{peak_of(full, 'ready_mb'):.0f} MB after start-up and the model, "
        f"{peak_of(full):.0f} MB after the run"
    )
    return "\n".join(lines)


def targets_report(
    baseline: list[dict[str, Any]], full: list[dict[str, Any]], board: WrkResult
) -> str:
    """The platform's three targets for the analytics, each with its figure and verdict."""
    ratio = statistics.median(seconds_of(full, "full")) / statistics.median(
        seconds_of(baseline, "read_sql")
    )
    rows = [
        (
            "full ÷ baseline (medians)",
            f"{ratio:.2f}×",
            f"≤{ANALYTICS_RATIO}×",
            ratio <= ANALYTICS_RATIO,
        ),
        (
            "peak memory of the analytics process",
            f"{peak_of(full):.0f} MB",
            f"<{ANALYTICS_PEAK_MB} MB",
            peak_of(full) < ANALYTICS_PEAK_MB,
        ),
        (
            "cached teacher dashboard p95 (demo scale)",
            f"{board.p95:.1f} ms",
            f"<{DASHBOARD_P95_MS} ms",
            board.p95 < DASHBOARD_P95_MS,
        ),
    ]
    header = "the platform's targets"
    lines = ["", f"{header:<44}{'figure':>12}{'target':>12}"]
    for label, figure, target, met in rows:
        lines.append(f"{label:<44}{figure:>12}{target:>12}{verdict_of(met):>6}")
    return "\n".join(lines)


def verdict_of(met: bool) -> str:
    """PASS or MISS, as the tables print a target."""
    return "PASS" if met else "MISS"


if __name__ == "__main__":
    main()
