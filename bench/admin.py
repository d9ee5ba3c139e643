"""The admin scenario: the admin's attempts list at school scale, each page next to its bare SQL.

School scale data (10,000 students, about a million attempts) is added to the demo. Over HTTP,
wrk measures the list's first page, a page filtered by quest and a teacher's first page, each
next to the bare SQL that fetches the same 50 rows, served by the bare Flask app
(bench/baseline.py). Then ``python -m bench.admin`` runs in a fresh process on the bench
database (``database_times`` below): one request per page goes through the app to record the
SQL it sends, and each recorded statement and the bare SQL of the same page are replayed on one
connection (executed and fetched) and timed, so both sides are measured the same way.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import event, text

from bench.baseline import ATTEMPTS_PAGE, TAUGHT_BY
from bench.harness import (
    client_signed_in_as,
    demo_logins,
    get,
    gunicorn,
    run_json,
    scalar,
    seed_school,
    setup_line,
    sign_in,
)
from bench.wrk import WrkResult, refuse_errors, run_wrk
from quest_platform import create_app
from quest_platform.extensions import db

# Replays of each page's statements, and of its bare SQL: the time is their median.
REPEATS = 30


def run_admin(
    args: argparse.Namespace, *, env: dict[str, str], database: str, folder: Path
) -> None:
    """Seed the school, measure each page and its bare SQL over HTTP, then their database time."""
    seed_school(env, database, students=args.students, quests=args.quests)
    first = demo_logins(folder)
    wrk = {"seconds": args.seconds, "connections": args.connections, "threads": args.threads}
    workers = args.workers[0]
    with (
        gunicorn("bench.baseline:app", env=env, workers=workers, up="/user/1") as baseline_port,
        gunicorn("quest_platform:create_app()", env=env, workers=workers) as port,
    ):
        baseline = run_wrk(
            name="baseline: bare Flask, PK select", port=baseline_port, path="/user/1", **wrk
        )
        admin_cookie = sign_in(port, *first["admin"])
        teacher_cookie = sign_in(port, *first["teacher"])
        quest = scalar(database, "SELECT min(id) FROM quest WHERE status = 'published'")
        teacher = scalar(
            database, 'SELECT id FROM "user" WHERE username = :name', name=first["teacher"][0]
        )
        found = re.search(r'name="(flt\d+_quest)"', get(port, "/admin/attempt/", admin_cookie)[1])
        if found is None:
            raise SystemExit("no quest filter on /admin/attempt/")
        quest_filter = found.group(1)
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
        pairs = [
            (
                run_wrk(name=f"bare SQL: attempts, {label}", port=baseline_port, path=sql, **wrk),
                run_wrk(
                    name=f"admin: attempts, {label}", port=port, path=path, cookie=cookie, **wrk
                ),
            )
            for label, path, sql, cookie in pages
        ]
    refuse_errors([baseline, *(run for pair in pairs for run in pair)])
    times = run_json(
        "bench.admin",
        *(first["admin"][0], first["teacher"][0], str(teacher), quest_filter, str(quest)),
        env=env,
    )
    print(
        f"{setup_line(database, env, workers)}; wrk --threads {args.threads} --connections "
        f"{args.connections}, {args.seconds:.0f} s after a 2 s warm-up"
    )
    print(admin_report(baseline, pairs, times))


def admin_report(
    baseline: WrkResult, pairs: list[tuple[WrkResult, WrkResult]], times: list[list[Any]]
) -> str:
    """The runs as ratios to the baseline, each page as a multiple of its bare SQL, and the
    database time of each page against its bare SQL."""
    lines = [
        f"{'endpoint':<44}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'rps ratio':>11}{'p50 ratio':>11}{'p99 ratio':>11}"
    ]
    for result in [baseline, *(run for pair in pairs for run in pair)]:
        lines.append(
            f"{result.name:<44}{result.rps:>9.0f}{result.p50:>9.1f}{result.p99:>9.1f}"
            f"{baseline.rps / result.rps if result.rps else float('inf'):>10.2f}×"
            f"{result.p50 / baseline.p50:>10.2f}×{result.p99 / baseline.p99:>10.2f}×"
        )
    lines.append(
        "rps ratio = baseline req/s ÷ endpoint req/s; latency ratios = endpoint ÷ baseline."
    )
    lines += ["", f"{'admin page vs. its bare SQL':<44}{'p50 ×':>9}{'p99 ×':>9}{'req/s ×':>9}"]
    for sql, page in pairs:
        lines.append(
            f"{page.name:<44}{page.p50 / sql.p50:>9.2f}{page.p99 / sql.p99:>9.2f}"
            f"{sql.rps / page.rps if page.rps else float('inf'):>9.2f}"
        )
    lines += [
        "",
        f"{'database time per page':<44}{'queries':>8}{'page ms':>9}{'bare ms':>9}{'×':>7}",
    ]
    for label, queries, page_ms, bare_ms in times:
        lines.append(
            f"{'admin: attempts, ' + label:<44}{queries:>8}"
            f"{page_ms:>9.2f}{bare_ms:>9.2f}{page_ms / bare_ms:>7.2f}"
        )
    return "\n".join(lines)


# What follows runs in a fresh process on the bench database:
# python -m bench.admin <admin> <teacher> <teacher id> <quest filter> <quest id>


def recorded_sql(client: FlaskClient, path: str) -> list[tuple[str, Any]]:
    """The statements (with parameters) that one request of ``path`` sends to the database."""
    statements: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        statements.append((statement, parameters))

    with client.application.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    if response.status_code != 200:
        raise SystemExit(f"{path} answered {response.status_code}")
    return statements


def replay_ms(statements: list[tuple[str, Any]]) -> float:
    """The median time, in ms, to execute and fetch every statement once, on one connection."""
    with db.engine.connect() as connection:
        raw = connection.connection.driver_connection
        timings = []
        for _ in range(REPEATS):
            started = time.perf_counter()
            for statement, parameters in statements:
                cursor = raw.cursor()
                cursor.execute(statement, parameters)
                if cursor.description is not None:
                    cursor.fetchall()
                cursor.close()
            timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def bare_ms(where: str, parameters: dict[str, Any]) -> float:
    """The median time, in ms, of the bare SQL of a page, executed and fetched."""
    query = text(ATTEMPTS_PAGE.format(where=where))
    with db.engine.connect() as connection:
        timings = []
        for _ in range(REPEATS):
            started = time.perf_counter()
            connection.execute(query, parameters).all()
            timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def database_times(
    admin: str, teacher: str, teacher_id: int, quest_filter: str, quest: int
) -> list[list[Any]]:
    """Each page's label, queries, database time and its bare SQL's time, in ms."""
    app = create_app()
    admin_client = client_signed_in_as(app, admin)
    teacher_client = client_signed_in_as(app, teacher)
    pages = [
        ("first page", admin_client, "/admin/attempt/", "", {}),
        (
            "filtered by quest",
            admin_client,
            f"/admin/attempt/?{quest_filter}={quest}",
            "WHERE a.quest_id = :quest",
            {"quest": quest},
        ),
        (
            "teacher's first page",
            teacher_client,
            "/admin/attempt/",
            TAUGHT_BY,
            {"teacher": teacher_id},
        ),
    ]
    times = []
    for label, client, path, where, parameters in pages:
        client.get(path)  # warm the caches, as the HTTP runs did
        statements = recorded_sql(client, path)
        with app.app_context():
            times.append(
                [label, len(statements), replay_ms(statements), bare_ms(where, parameters)]
            )
    return times


if __name__ == "__main__":
    admin, teacher, teacher_id, quest_filter, quest = sys.argv[1:]
    print(json.dumps(database_times(admin, teacher, int(teacher_id), quest_filter, int(quest))))
