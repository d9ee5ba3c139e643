"""What one quiz answer costs as answers pile up: statements, their time, CPU, the tables.

Run by ``python -m bench costs``, or by hand with the bench database in DATABASE_URL after
bench/prepare.py: ``python -m bench.answer_cost '<facts JSON>'``. In this process, through the
Flask test client (CSRF off), the first ``--students`` students of the classroom take turns
answering an unlimited quiz, right and wrong in turn, ``--answers`` answers a round, for
``--rounds`` rounds, on the same quiz (or, with ``--fresh``, each round on a quiz of its own).
No server, no concurrency: what changes from round to round is the cost of one answer itself.
Each round prints the answers per second, the CPU per answer of this process (and, on
PostgreSQL on this machine, of the database's backends, read from /proc), the statements per
answer and their time, grouped by statement, and the rows the last answer's reads return
(those that return other than one row named); on PostgreSQL also the live and dead rows, sizes
and HOT updates of the tables an answer writes, and, with ``--explain``, the buffers each of
the last answer's reads reads, its execution time (median of several), and the indexes it reads
the attempts by, with the rows it reads only to drop them. ``--analyze`` and ``--vacuum`` run
ANALYZE, or VACUUM the written tables, between rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import statistics
import time
import urllib.parse
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import event, text

from bench.harness import client_signed_in_as, quiz_path
from quest_platform import create_app
from quest_platform.extensions import db

TABLES = ("attempt", "points_entry", "stage_tally", "quest_tally")
# Executions of each explained statement: its time is their median.
EXPLAIN_REPEATS = 15


def statement_label(statement: str) -> str:
    """A statement as its kind and first table, with the columns left out."""
    flat = " ".join(statement.split())
    verb = flat.split(" ", 1)[0].upper()
    if verb == "SELECT":
        # The first table read, not a subquery in FROM, and the first condition on it.
        found = re.search(r"\bFROM ([^\s(]\S*)", flat)
        where = re.search(r"\bWHERE (\S+ \S+)", flat[found.end() if found else 0 :])
        suffix = f" WHERE {where.group(1)}" if where else ""
        return f"SELECT {found.group(1) if found else '?'}{suffix}"[:60]
    if verb == "INSERT":
        found = re.search(r"INSERT INTO (\S+)", flat)
        upsert = " ON CONFLICT" if "ON CONFLICT" in flat else ""
        return f"INSERT {found.group(1) if found else '?'}{upsert}"
    if verb == "UPDATE":
        return " ".join(flat.split(" ")[:2])
    return verb


class StatementLog:
    """Every statement the engine runs while recording: label, time, parameters."""

    def __init__(self) -> None:
        self.recording = False
        self.entries: list[tuple[str, float, str, Any]] = []
        self._started = 0.0

    def before(self, conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        self._started = time.perf_counter()

    def after(self, conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        if self.recording:
            seconds = time.perf_counter() - self._started
            self.entries.append((statement_label(statement), seconds, statement, parameters))


def table_figures() -> dict[str, dict[str, int]]:
    """Live and dead rows, HOT updates and sizes of the written tables (PostgreSQL)."""
    rows = db.session.execute(
        text(
            "SELECT relname, n_live_tup, n_dead_tup, n_tup_upd, n_tup_hot_upd,"
            " pg_relation_size(relid), pg_indexes_size(relid), autovacuum_count, vacuum_count"
            " FROM pg_stat_user_tables WHERE relname = ANY(:tables)"
            " AND schemaname = current_schema()"
        ),
        {"tables": list(TABLES)},
    ).all()
    db.session.rollback()
    keys = ("live", "dead", "updates", "hot", "heap_bytes", "index_bytes", "autovacuums", "vacuums")
    return {row[0]: dict(zip(keys, row[1:], strict=True)) for row in rows}


def plan_nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every node of an EXPLAIN (FORMAT JSON) plan."""
    yield plan
    for child in plan.get("Plans", []):
        yield from plan_nodes(child)


def explain_buffers(statements: list[tuple[str, Any]]) -> list[tuple[str, int, float, str]]:
    """Each statement's shared buffers read, its time, and how it reads the attempts (the
    index and the rows it reads only to throw away), run again and rolled back."""
    found = []
    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        for statement, parameters in statements:
            # The reads, and the upserts (an insert again would break a unique key).
            if (
                not statement.lstrip().upper().startswith("SELECT")
                and "ON CONFLICT" not in statement
            ):
                continue
            times = []
            for _ in range(EXPLAIN_REPEATS):
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement, parameters)
                plan = cursor.fetchone()[0][0]
                times.append(plan["Execution Time"])
            top = plan["Plan"]
            buffers = top.get("Shared Hit Blocks", 0) + top.get("Shared Read Blocks", 0)
            nodes = list(plan_nodes(top))
            indexes = {
                node["Index Name"] for node in nodes if "_attempt_" in node.get("Index Name", "")
            }
            dropped = sum(
                node.get("Rows Removed by Filter", 0)
                for node in nodes
                if node.get("Relation Name") == "attempt"
            )
            scans = (
                f"{', '.join(sorted(indexes))}, {dropped} rows read and dropped" if indexes else ""
            )
            found.append((statement_label(statement), buffers, statistics.median(times), scans))
        connection.rollback()
    finally:
        connection.close()
    return found


def rows_returned(statements: list[tuple[str, Any]]) -> list[tuple[str, int]]:
    """The rows each of the statements' reads returns, run again and rolled back: a read whose
    rows grow with the student's history shows here, however fast its first row comes."""
    found = []
    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        for statement, parameters in statements:
            if statement.lstrip().upper().startswith("SELECT"):
                cursor.execute(statement, parameters)
                found.append((statement_label(statement), len(cursor.fetchall())))
        connection.rollback()
    finally:
        connection.close()
    return found


def backend_ticks() -> dict[int, int]:
    """CPU clock ticks used so far by each PostgreSQL backend of this run's connections (same
    application name), read from /proc: the database's work, untouched by waiting for a CPU.
    Empty when the database runs elsewhere."""
    pids = db.session.scalars(
        text(
            "SELECT pid FROM pg_stat_activity"
            " WHERE application_name = current_setting('application_name')"
        )
    ).all()
    db.session.rollback()
    ticks = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks[pid] = int(fields[11]) + int(fields[12])  # utime and stime
    return ticks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("facts", help="the JSON that bench/prepare.py printed")
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--answers", type=int, default=400, help="answers a round")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument(
        "--fresh", action="store_true", help="each round on a quiz of its own (bench/prepare.py)"
    )
    parser.add_argument("--analyze", action="store_true", help="ANALYZE between rounds")
    parser.add_argument("--vacuum", action="store_true", help="VACUUM the tables between rounds")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN the last answer")
    args = parser.parse_args()
    facts = json.loads(args.facts)
    if min(args.students, args.answers, args.rounds) < 1:
        parser.error("--students, --answers and --rounds must be at least 1")
    if args.students > len(facts["students"]):
        parser.error(f"--students: the classroom has {len(facts['students'])}")
    if args.answers <= args.students:
        parser.error("--answers must be more than --students (a round is batches of one each)")
    if args.fresh and args.rounds > len(facts["quizzes"]):
        parser.error(f"--fresh needs a quiz a round: there are {len(facts['quizzes'])}")
    app = create_app(WTF_CSRF_ENABLED=False)
    log = StatementLog()
    with app.app_context():
        postgres = db.engine.dialect.name == "postgresql"
        event.listen(db.engine, "before_cursor_execute", log.before)
        event.listen(db.engine, "after_cursor_execute", log.after)
    clients = [client_signed_in_as(app, s["username"]) for s in facts["students"][: args.students]]
    answered, run, clock = 0, secrets.token_hex(4), os.sysconf("SC_CLK_TCK")
    for round_number in range(1, args.rounds + 1):
        quiz = facts["quizzes"][round_number - 1 if args.fresh else 0]
        path = quiz_path(quiz)
        # Right and wrong in turn, as the benchmarks send them: each answer moves the points.
        forms = [urllib.parse.parse_qs(answer) for answer in quiz["answers"]]
        if postgres:
            with app.app_context():
                ticks = backend_ticks()
        log.entries.clear()
        log.recording = True
        started, cpu = time.perf_counter(), time.thread_time()
        batches, batch_cpu = [], cpu
        for number in range(args.answers):
            if number and number % len(clients) == 0:
                # Each student answered once more: this batch's CPU per answer.
                batches.append((time.thread_time() - batch_cpu) / len(clients))
                batch_cpu = time.thread_time()
            client = clients[number % len(clients)]
            answered += 1
            last_start = len(log.entries)
            form = forms[(number // len(clients)) % 2] | {"submission_key": f"{run}-{answered}"}
            response = client.post(path, data=form)
            if response.status_code != 302:
                raise SystemExit(f"answer {answered} got {response.status_code}")
        seconds, cpu = time.perf_counter() - started, time.thread_time() - cpu
        log.recording = False
        database_cpu = ""
        if postgres:
            with app.app_context():
                spent = sum(t - ticks.get(pid, 0) for pid, t in backend_ticks().items())
            database_cpu = f", the database {spent / clock / args.answers * 1000:.2f} ms"
        last = [(statement, parameters) for _l, _s, statement, parameters in log.entries]
        last = last[last_start:]
        tries = answered // len(clients) if not args.fresh else args.answers // len(clients)
        print(
            f"\nround {round_number} ({quiz['slug']}): {args.answers / seconds:.0f} answers/s in"
            f" one process; the students end with {tries} tries at the quiz; CPU per answer:"
            f" this process {cpu / args.answers * 1000:.2f} ms (batches of one answer a student:"
            f" median {statistics.median(batches) * 1000:.2f} ms, best"
            f" {min(batches) * 1000:.2f} ms){database_cpu};"
            f" {len(log.entries) / args.answers:.1f} statements an answer,"
            f" {sum(s for _l, s, _t, _p in log.entries) / args.answers * 1000:.2f} ms of them"
        )
        by_label: dict[str, list[float]] = defaultdict(list)
        for label, spent_s, _statement, _parameters in log.entries:
            by_label[label].append(spent_s)
        for label, spent_s in sorted(by_label.items(), key=lambda item: -sum(item[1])):
            print(
                f"  {label:<60}{len(spent_s) / args.answers:>6.2f}×"
                f"{statistics.median(spent_s) * 1000:>8.3f} ms median"
                f"{sum(spent_s) / args.answers * 1000:>8.3f} ms/answer"
            )
        with app.app_context():
            returned = rows_returned(last)
        print(
            f"  the last answer's reads, run again, return {sum(n for _l, n in returned)} rows: "
            + ", ".join(f"{label} {rows}" for label, rows in returned if rows != 1)
        )
        if not postgres:
            continue
        with app.app_context():
            for table, figures in table_figures().items():
                print(f"  {table}: " + ", ".join(f"{k} {v}" for k, v in figures.items()))
            if args.explain:
                explained = explain_buffers(last)
                for label, buffers, ms, scans in explained:
                    print(f"  explain {label:<52}{buffers:>7} buffers{ms:>9.3f} ms  {scans}")
                print(
                    "  the last answer's reads and upserts, run again:"
                    f" {sum(e[1] for e in explained)} buffers,"
                    f" {sum(e[2] for e in explained):.3f} ms of execution"
                )
            if args.analyze:
                with db.engine.begin() as connection:
                    connection.execute(text("ANALYZE"))
            if args.vacuum:
                with db.engine.connect() as connection:
                    connection = connection.execution_options(isolation_level="AUTOCOMMIT")
                    for table in TABLES:
                        connection.execute(text(f"VACUUM {table}"))


if __name__ == "__main__":
    main()
