"""Run the benchmarks: `make bench` (or `python -m bench`), figures as ratios to the baseline.

The platform and the baseline (bare Flask, bench/baseline.py) run under gunicorn on loopback with
the same worker settings, against one database seeded with the demo (SQLite in a temporary
folder, or a schema of its own in BENCH_DATABASE_URL's PostgreSQL database; bench/database.py).

Scenarios: ``portal`` (the default, bench/portal.py) adds a classroom of 200 students with their
attempts and measures, with wrk, the student's pages and quiz answers with the page cache off
(and on, while the setting exists) against the platform's targets; ``answers``
(bench/answers.py, PostgreSQL) has 40 students of that classroom answer a quiz at once under 2
and 8 gunicorn workers, with the lock waits it causes; ``admin`` adds school scale data (10,000
students, about a million attempts) and measures the admin's attempts list, each page next to
the bare SQL that fetches the same page, served by the bare Flask app; ``analytics`` measures,
with wrk, the teacher dashboard (cached) at the demo's scale, then adds the school scale data
and times the engagement report and predictions of every classroom against reading the
attempts table into pandas, with their peak memory (bench/analytics_run.py); ``costs`` adds
the portal's classroom and breaks a signed-in request (bench/request_cost.py) and a quiz
answer (bench/answer_cost.py) down, in process.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

from bench.answers import run_answers
from bench.database import analyze, bench_database, scalar
from bench.load import Result, measure
from bench.portal import ANSWERING, run_portal
from bench.servers import ROOT, demo_logins, get, gunicorn, run_manage, seed_classroom, sign_in
from bench.wrk import WrkResult, run_wrk


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


def arguments() -> argparse.Namespace:
    """The command line, refused with a plain message when a value makes no sense."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "scenario",
        nargs="?",
        choices=["portal", "answers", "costs", "admin", "analytics"],
        default="portal",
        help="portal: pages and answers at the demo's scale; answers: 40 students of one "
        "classroom answering at once (PostgreSQL); costs: where a request and an answer spend "
        "their time, in process; admin: the attempts list at school scale; analytics: the "
        "teacher dashboard at the demo's scale, then reports at school scale",
    )
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument(
        "--workers",
        type=int,
        nargs="+",
        default=None,
        help="gunicorn workers (default 2); answers: one run of rounds per count (default 2 8)",
    )
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="portal, answers: runs of each endpoint, each after a run of the baseline; "
        "costs: rounds of answers",
    )
    parser.add_argument(
        "--classroom-size",
        type=int,
        default=200,
        help="portal, answers: students in the big classroom",
    )
    parser.add_argument(
        "--answering", type=int, default=40, help="answers: students answering at once"
    )
    parser.add_argument(
        "--page-cache",
        choices=["off", "on"],
        default=None,
        help="answers: the platform with its page cache off or on (default: as it ships)",
    )
    parser.add_argument(
        "--students", type=int, default=10_000, help="admin, analytics: scale students"
    )
    parser.add_argument(
        "--quests",
        type=int,
        default=None,
        help="quests per scale student (admin and analytics 14, portal and answers 4)",
    )
    args = parser.parse_args()
    if args.workers is None:
        args.workers = [2, 8] if args.scenario == "answers" else [2]
    at_least = {
        "--seconds": (args.seconds, 1),
        "--connections": (args.connections, 1),
        "--threads": (args.threads, 1),
        "--rounds": (args.rounds, 1),
        "--workers": (min(args.workers), 1),
        "--answering": (args.answering, 1),
        "--students": (args.students, 1),
        "--quests": (1 if args.quests is None else args.quests, 1),
        "--classroom-size": (args.classroom_size, ANSWERING),
    }
    for option, (value, least) in at_least.items():
        if value < least:
            parser.error(f"{option} must be at least {least}")
    if args.threads > args.connections:
        parser.error("--threads cannot exceed --connections (each wrk thread needs one)")
    if args.scenario != "answers" and len(args.workers) > 1:
        parser.error("only the answers scenario takes more than one --workers count")
    if args.answering > args.classroom_size:
        parser.error("--answering cannot exceed --classroom-size")
    return args


def main() -> None:
    """Seed a bench database, serve the apps, measure, print the tables."""
    args = arguments()
    begun = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix="quest-bench-") as folder,
        bench_database(Path(folder)) as database,
    ):
        env = {
            **os.environ,
            "QUEST_ENV": "production",
            "QUEST_INSTANCE_DIR": folder,
            "DATABASE_URL": database,
            "SECRET_KEY": secrets.token_urlsafe(48),
            "SECURITY_PASSWORD_SALT": secrets.token_urlsafe(48),
            "LOGIN_RATE_LIMIT": "1000 per minute",
        }
        run_manage("db", "upgrade", env=env)
        run_manage("seed", "--demo", "--force", env=env)
        options = {
            "seconds": args.seconds,
            "connections": args.connections,
            "threads": args.threads,
        }
        if args.scenario == "portal":
            run_portal(args, env=env, database=database, folder=Path(folder), options=options)
        elif args.scenario == "answers":
            run_answers(args, env=env, database=database, options=options)
        elif args.scenario == "costs":
            costs(args, env=env, database=database)
        elif args.scenario == "analytics":
            analytics(args, env=env, database=database, folder=Path(folder), begun=begun)
        else:
            admin(args, env=env, database=database, folder=Path(folder))
    print(f"\nthe scenario took {time.monotonic() - begun:.0f} s in all, seeding included")


def costs(args: argparse.Namespace, *, env: dict[str, str], database: str) -> None:
    """The portal scenario's classroom, then bench/request_cost.py and bench/answer_cost.py."""
    facts = seed_classroom(
        env, students=args.classroom_size, quests=args.quests or 4, quizzes=args.rounds
    )
    analyze(database)
    for script, options in (
        ("bench.request_cost", []),
        ("bench.answer_cost", ["--rounds", str(args.rounds), "--explain"]),
    ):
        print(f"\n{script}", flush=True)
        subprocess.run(
            [sys.executable, "-m", script, json.dumps(facts), *options],
            cwd=ROOT,
            env=env,
            check=True,
        )


def admin(args: argparse.Namespace, *, env: dict[str, str], database: str, folder: Path) -> None:
    """The admin's attempts list at school scale, each page next to its bare SQL.

    Over HTTP, each page is measured against the bare SQL of the same page served by the bare
    Flask app; then the database time of each page is measured against that SQL alone.
    """
    started = time.monotonic()
    run_manage(
        "seed", *("--students", str(args.students), "--quests", str(args.quests or 14)), env=env
    )
    analyze(database)
    attempts = scalar(database, "SELECT count(*) FROM attempt")
    print(
        f"seeded {args.students} more students and {attempts} attempts "
        f"in {time.monotonic() - started:.0f} s"
    )
    first = demo_logins(folder)
    options = {"seconds": args.seconds, "connections": args.connections}
    workers = args.workers[0]
    with (
        gunicorn("bench.baseline:app", env=env, workers=workers, up="/user/1") as baseline_port,
        gunicorn("quest_platform:create_app()", env=env, workers=workers) as port,
    ):
        baseline = measure(
            name="baseline: bare Flask, PK select", port=baseline_port, path="/user/1", **options
        )
        admin_cookie = sign_in(port, first["admin"][1], first["admin"][2])
        teacher_cookie = sign_in(port, first["teacher"][1], first["teacher"][2])
        quest = scalar(database, "SELECT min(id) FROM quest WHERE status = 'published'")
        teacher = scalar(
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
            (
                "teacher's first page",
                "/admin/attempt/",
                f"/attempts?teacher={teacher}",
                teacher_cookie,
            ),
        ]
        results = []
        for label, path, sql_path, cookie in pages:
            results.append(
                measure(
                    name=f"bare SQL: attempts, {label}",
                    port=baseline_port,
                    path=sql_path,
                    **options,
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
    print(
        f"database: {database.split('@')[-1].split('?')[0]}; gunicorn --workers {workers}; "
        f"{args.connections} connections × {args.seconds:.0f} s after a 2 s warm-up"
    )
    print(report(results, baseline))
    print(compare_pages(results))
    print(database_time.stdout)


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
    args: argparse.Namespace, *, env: dict[str, str], database: str, folder: Path, begun: float
) -> None:
    """The teacher dashboard on the demo alone, then the analytics over school scale data.

    The dashboard runs first, so the database holds the demo only; ``begun`` is when the
    scenario started (before the demo was seeded).
    """
    first = demo_logins(folder)
    workers = args.workers[0]
    options = {"seconds": args.seconds, "connections": args.connections, "threads": args.threads}
    print(
        f"database: {database.split('@')[-1].split('?')[0]}; gunicorn --workers {workers} (sync); "
        f"wrk --threads {args.threads} --connections {args.connections}, "
        f"{args.seconds:.0f} s after a 2 s warm-up"
    )
    with (
        gunicorn("bench.baseline:app", env=env, workers=workers, up="/user/1") as baseline_port,
        gunicorn("quest_platform:create_app()", env=env, workers=workers) as platform_port,
    ):
        results = dashboard(platform_port, baseline_port, first, workers, options)
    print(dashboard_report(results))

    seeding = time.monotonic()
    run_manage(
        "seed", *("--students", str(args.students), "--quests", str(args.quests or 14)), env=env
    )
    analyze(database)
    attempts = scalar(database, "SELECT count(*) FROM attempt")
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
