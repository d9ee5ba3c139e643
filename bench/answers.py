"""The answers scenario: 40 students of one classroom answering a quiz at once, on PostgreSQL.

A classroom of 200 students with four quests' worth of attempts is added to the demo and given
unlimited quizzes (bench/prepare.py); 40 of its students sign in. For each number of gunicorn
workers (2 and 8 by default), the platform as it ships (or with ``--page-cache off`` or ``on``)
is served and, in rounds, the baseline (bare Flask, one primary-key select) runs, then the 40
students answer: wrk with 40 threads and 40 connections, one student's session per connection,
right and wrong in turn (each answer moves the student's points), each run on a quiz of its
own (so every run starts with students who have not tried it). Each run reports the attempts
recorded per second (counted in the database), the latency of the answers, and, sampled from a
side thread (bench/locks.py), the share of samples in which one of the platform's transactions
waits on a lock, and what the waits are on.
"""

from __future__ import annotations

import argparse
import statistics
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, inspect, text

from bench.database import analyze, engine_for, is_postgres, row_counts
from bench.locks import LockSampler, LockWaits
from bench.servers import (
    csrf_token,
    get,
    gunicorn,
    has_page_cache,
    platform_apps,
    seed_classroom,
    sign_in,
)
from bench.wrk import WrkResult, run_wrk

# Seconds of answers before each measured run: every worker serves its first requests.
WARMUP = 5


@dataclass(frozen=True)
class AnswerRun:
    """One run of the students answering at once, with its baseline and its lock waits."""

    workers: int
    result: WrkResult
    baseline: WrkResult
    locks: LockWaits
    # What reading the classroom's board stamp costs after the run (None without stamps).
    board_row: str | None


def run_answers(
    args: argparse.Namespace, *, env: dict[str, str], database: str, options: dict[str, Any]
) -> None:
    """Seed the classroom, then measure its students answering at once under each worker count."""
    if not is_postgres(database):
        raise SystemExit(
            "the answers scenario measures lock waits on PostgreSQL: set BENCH_DATABASE_URL"
        )
    answering = args.answering
    # The platform as it ships, or with the page cache set as asked.
    app = "quest_platform:create_app()"
    if args.page_cache:
        if not has_page_cache():
            raise SystemExit("the platform has no page cache setting any more: drop --page-cache")
        app = platform_apps()[args.page_cache]
    facts = seed_classroom(
        env,
        students=args.classroom_size,
        quests=args.quests or 4,
        quizzes=args.rounds * len(args.workers),
    )
    analyze(database)
    students = facts["students"][:answering]
    if len(students) < answering:
        raise SystemExit(f"the classroom has {len(students)} students, fewer than {answering}")
    wrk = {"seconds": options["seconds"], "connections": answering, "threads": answering}
    engine = engine_for(database)
    quizzes = iter(facts["quizzes"])
    runs: list[AnswerRun] = []
    print(
        f"database: {database.split('@')[-1].split('?')[0]}; sessions: "
        f"{'Redis' if env.get('REDIS_URL') else 'files'}; the platform: {app}; "
        f"{answering} students of one classroom, wrk --threads {answering} "
        f"--connections {answering} (one student per connection), {options['seconds']:.0f} s "
        f"after a {WARMUP} s warm-up; {args.rounds} rounds per worker count, each on a quiz of"
        " its own; "
        f"baseline: bare Flask PK select, wrk --threads {options['threads']} "
        f"--connections {options['connections']}"
    )
    print(HEADER, flush=True)
    with gunicorn("bench.baseline:app", env=env, workers=2, up="/user/1") as baseline_port:
        sessions: list[tuple[str, str]] = []
        for workers in args.workers:
            with gunicorn(app, env=env, workers=workers) as port:
                if not sessions:
                    sessions = signed_in(port, students, facts)
                for _ in range(args.rounds):
                    base = run_wrk(name="baseline", port=baseline_port, path="/user/1", **options)
                    quiz = next(quizzes)
                    sampler = LockSampler(engine)
                    result = run_wrk(
                        name=f"{answering} students answering",
                        port=port,
                        path=f"/quests/{quiz['slug']}/{quiz['position']}",
                        expect=302,
                        # Right and wrong in turn: each answer moves the points.
                        form="|".join(quiz["answers"]),
                        sessions=sessions,
                        session_per_thread=True,
                        rows=lambda: row_counts(engine),
                        during=sampler,
                        warmup=WARMUP,
                        **wrk,
                    )
                    if result.errors:
                        raise SystemExit(f"errors during the run: {result.errors}")
                    board = board_row_cost(engine, facts["classroom"])
                    run = AnswerRun(workers, result, base, sampler.found, board)
                    print(run_line(run), flush=True)
                    runs.append(run)
    engine.dispose()
    print(summary(runs))


def signed_in(
    port: int, students: list[dict[str, Any]], facts: dict[str, Any]
) -> list[tuple[str, str]]:
    """Each student's session cookie and CSRF token, signed in through the login form."""
    sessions = []
    quiz = facts["quizzes"][0]
    for student in students:
        cookie = sign_in(port, student["username"], facts["password"])
        status, page = get(port, f"/quests/{quiz['slug']}/{quiz['position']}", cookie)
        if status != 200:
            raise SystemExit(f"the unlimited quiz answered {status} to {student['username']}")
        sessions.append((cookie, csrf_token(page)))
    return sessions


def board_row_cost(engine: Engine, classroom: int) -> str | None:
    """The change_stamp table's dead rows and the buffers that reading the classroom's board
    stamp touches, when the platform keeps change stamps."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("change_stamp"):
            return None
        dead = connection.execute(
            text(
                "SELECT n_dead_tup FROM pg_stat_user_tables"
                " WHERE relname = 'change_stamp' AND schemaname = current_schema()"
            )
        ).scalar_one()
        plan = connection.execute(
            text(
                "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)"
                " SELECT version FROM change_stamp WHERE scope = :scope"
            ),
            {"scope": f"board:{classroom}"},
        ).scalar_one()[0]["Plan"]
    buffers = plan.get("Shared Hit Blocks", 0) + plan.get("Shared Read Blocks", 0)
    return f"{dead} dead rows, {buffers} buffers to read board:{classroom}"


HEADER = (
    f"{'workers':>7}{'answers/s':>10}{'req/s':>7}{'pts/a':>6}{'p50 ms':>8}{'p99 ms':>8}"
    f"{'lock waits':>11}{'base req/s':>11}  waits on (share of the waits); change_stamp after"
)


def run_line(run: AnswerRun) -> str:
    """One run as a row of the table under HEADER."""
    result = run.result
    recorded = result.recorded or {}
    points = recorded.get("points_entry", 0) / max(1, recorded.get("attempt", 0))
    return (
        f"{run.workers:>7}{result.recorded_rps():>10.0f}{result.rps:>7.0f}{points:>6.2f}"
        f"{result.p50:>8.1f}{result.p99:>8.1f}{run.locks.share:>11.1%}{run.baseline.rps:>11.0f}  "
        f"{run.locks.top() or 'none'}; {run.board_row or 'no change_stamp table'}"
    )


def summary(runs: list[AnswerRun]) -> str:
    """The median of each worker count's runs, and any count of rows that does not match."""
    lines = [""]
    for workers in dict.fromkeys(run.workers for run in runs):
        mine = [run for run in runs if run.workers == workers]
        recorded = [run.result.recorded_rps() for run in mine]
        shares = [run.locks.share for run in mine]
        lines.append(
            f"{workers} workers: {statistics.median(recorded):.0f} answers/s recorded (median;"
            f" {min(recorded):.0f}–{max(recorded):.0f}), p50"
            f" {statistics.median(run.result.p50 for run in mine):.1f} ms, p99"
            f" {statistics.median(run.result.p99 for run in mine):.1f} ms, lock waits in"
            f" {statistics.median(shares):.1%} of samples ({min(shares):.1%}–{max(shares):.1%})"
        )
    lines.append(
        "answers/s: attempts recorded per second, counted in the database; pts/a: points entries"
        " recorded per attempt; lock waits: the share of samples (every 10 ms) in which one of"
        " the platform's transactions waited on a lock."
    )
    mismatches = [problem for run in runs if (problem := run.result.count_mismatch())]
    if mismatches:
        lines.append("")
        lines.append("!!! RECORDED ROWS DO NOT MATCH THE ANSWERS: THESE FIGURES ARE NOT TRUE !!!")
        lines += [f"!!! {problem}" for problem in mismatches]
    return "\n".join(lines)
