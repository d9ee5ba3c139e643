"""The answers scenario: the students of one classroom answering a quiz at once, on PostgreSQL.

A classroom with four quests' worth of attempts is added to the demo and given unlimited quizzes
(bench/prepare.py); 40 of its students sign in. For each number of gunicorn workers (2 and 8 by
default), the platform as it ships is served and, in rounds, the baseline (bare Flask, one
primary-key select) runs, then the students answer: wrk with a thread and a connection per
student, right and wrong in turn (each answer moves the student's points), each run on a quiz of
its own (so every run starts with students who have not tried it). Each run reports the
attempts recorded per second (counted in the database), the latency of the answers, and the
share of samples in which one of the platform's transactions waits on a lock, with what the
waits are on (LockSampler below).
"""

from __future__ import annotations

import argparse
import statistics
import threading
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from bench.harness import (
    answering_sessions,
    engine_for,
    gunicorn,
    quiz_path,
    row_counts,
    seed_classroom,
    setup_line,
)
from bench.wrk import WrkResult, mismatch_banner, refuse_errors, run_wrk

# Seconds of answers before each measured run: every worker serves its first requests.
WARMUP = 5

# The run's own connections (their application name, bench/harness.py) running a statement, and
# for each one waiting on a lock what it waits for: a row (tuple) or a table, or another
# transaction's end (transactionid: a row that transaction wrote, whose table the tuple lock the
# waiter holds names).
SAMPLE = text(
    """
    SELECT a.wait_event_type = 'Lock' AS waiting, w.locktype,
           coalesce(w.relation, t.relation)::regclass::text,
           left(regexp_replace(a.query, '\\s+', ' ', 'g'), 40)
    FROM pg_stat_activity a
    LEFT JOIN pg_locks w ON w.pid = a.pid AND NOT w.granted
    LEFT JOIN pg_locks t ON t.pid = a.pid AND t.granted AND t.locktype = 'tuple'
    WHERE a.application_name = current_setting('application_name')
      AND a.pid <> pg_backend_pid() AND a.state = 'active'
    """
)
SAMPLE_INTERVAL = 0.01


@dataclass
class LockWaits:
    """What the samples saw: how many, how many with a wait, and the waits by what they wait on."""

    samples: int = 0
    waiting_samples: int = 0  # at least one of the run's statements waiting on a lock
    waits: Counter[str] = field(default_factory=Counter)

    @property
    def share(self) -> float:
        """The share of samples in which a transaction waits on a lock."""
        return self.waiting_samples / self.samples if self.samples else 0.0

    def top(self, count: int = 2) -> str:
        """The most frequent waits, each with its share of the waits."""
        total = sum(self.waits.values())
        return "; ".join(
            f"{what} ({seen / total:.0%})" for what, seen in self.waits.most_common(count)
        )


class LockSampler:
    """Looks at pg_stat_activity and pg_locks every 10 ms, on a connection of its own in a side
    thread, while the ``with`` block runs."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.found = LockWaits()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> LockWaits:
        self._thread.start()
        return self.found

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        found = self.found
        with self.engine.connect() as connection:
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            while not self._stop.wait(SAMPLE_INTERVAL):
                waiting = [row for row in connection.execute(SAMPLE) if row.waiting]
                found.samples += 1
                found.waiting_samples += bool(waiting)
                for _waiting, locktype, relation, query in waiting:
                    # No ungranted lock: it was granted between the two views.
                    what = locktype or "a lock granted meanwhile"
                    if relation:
                        what += f" on {relation}"
                    found.waits[f"{what}, in: {query}"] += 1


@dataclass(frozen=True)
class AnswerRun:
    """One run of the students answering at once, with its baseline and its lock waits."""

    workers: int
    result: WrkResult
    baseline: WrkResult
    locks: LockWaits


def run_answers(args: argparse.Namespace, *, env: dict[str, str], database: str) -> None:
    """Seed the classroom, then measure its students answering at once under each worker count."""
    if make_url(database).get_backend_name() != "postgresql":
        raise SystemExit(
            "the answers scenario measures lock waits on PostgreSQL: set BENCH_DATABASE_URL"
        )
    facts = seed_classroom(
        env,
        database,
        students=args.classroom_size,
        quests=args.quests,
        quizzes=args.rounds * len(args.workers),
    )
    answering = args.answering
    base = {"seconds": args.seconds, "connections": args.connections, "threads": args.threads}
    print(
        f"{setup_line(database, env, ' then '.join(map(str, args.workers)))}; {answering}"
        f" students of one classroom, wrk --threads {answering} --connections {answering} (one"
        f" student per connection), {args.seconds:.0f} s after a {WARMUP} s warm-up;"
        f" {args.rounds} rounds per worker count, each on a quiz of its own; baseline: bare"
        f" Flask PK select, wrk --threads {args.threads} --connections {args.connections}"
    )
    print(HEADER, flush=True)
    engine = engine_for(database)
    quizzes = iter(facts["quizzes"])
    runs: list[AnswerRun] = []
    with gunicorn("bench.baseline:app", env=env, workers=2, up="/user/1") as baseline_port:
        sessions: list[tuple[str, str]] = []
        for workers in args.workers:
            with gunicorn("quest_platform:create_app()", env=env, workers=workers) as port:
                # Sessions live in the shared store: signed in once, they serve every server.
                sessions = sessions or answering_sessions(port, facts, answering)
                for _ in range(args.rounds):
                    baseline = run_wrk(name="baseline", port=baseline_port, path="/user/1", **base)
                    quiz = next(quizzes)
                    sampler = LockSampler(engine)
                    result = run_wrk(
                        name=f"{answering} students answering",
                        port=port,
                        path=quiz_path(quiz),
                        expect=302,
                        form="|".join(quiz["answers"]),
                        sessions=sessions,
                        session_per_thread=True,
                        rows=lambda: row_counts(engine),
                        during=sampler,
                        warmup=WARMUP,
                        seconds=args.seconds,
                        connections=answering,
                        threads=answering,
                    )
                    refuse_errors([baseline, result])
                    runs.append(AnswerRun(workers, result, baseline, sampler.found))
                    print(run_line(runs[-1]), flush=True)
    engine.dispose()
    print(summary(runs))


HEADER = (
    f"{'workers':>7}{'answers/s':>10}{'req/s':>7}{'pts/a':>6}{'p50 ms':>8}{'p99 ms':>8}"
    f"{'lock waits':>11}{'base req/s':>11}  waits on (share of the waits)"
)


def run_line(run: AnswerRun) -> str:
    """One run as a row of the table under HEADER."""
    result = run.result
    recorded = result.recorded or {}
    points = recorded.get("points_entry", 0) / max(1, recorded.get("attempt", 0))
    return (
        f"{run.workers:>7}{result.recorded_rps():>10.0f}{result.rps:>7.0f}{points:>6.2f}"
        f"{result.p50:>8.1f}{result.p99:>8.1f}{run.locks.share:>11.1%}{run.baseline.rps:>11.0f}  "
        f"{run.locks.top() or 'none'}"
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
    lines += mismatch_banner([problem for run in runs if (problem := run.result.count_mismatch())])
    return "\n".join(lines)
