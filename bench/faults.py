"""The faults scenario: a classroom answering while the servers under it fail, and what it saw.

The run makes its own servers (bench/fault_services.py): a PostgreSQL cluster on a port of its
own, a Redis of its own and an upload folder on a 2 MB filesystem; the machine's shared
PostgreSQL and Redis are never touched. On them it migrates, seeds the demo and a classroom of
30 students (``--classroom-size``) with an unlimited quiz (bench/prepare.py) and screenshot
checkpoints (bench/fault_data.py), and serves the platform as deployed (deploy/gunicorn.conf.py,
gthread) with 3 workers (``--workers``). The students (bench/fault_clients.py) answer for the
whole run, each answer with a submission key, sent again with the same key until it gets a
clear answer. After a calm start, one fault at a time, each followed by a calm period:

  PostgreSQL restarted with -m fast, then with -m immediate (as after a crash);
  one gunicorn worker killed (SIGKILL) mid-request, then every worker at once;
  Redis stopped for an outage, then started again (keeping what it held);
  the upload disk filled while some students hand in screenshots, then emptied.

Then the database is read (bench/fault_data.py check) and each phase reported: every status
clients saw with the kind of its body, answers acknowledged against attempts stored (lost,
stored twice, stored without an acknowledgement: said so by its 5xx or not), how long after the
fault's end each student had an answer acknowledged again (max, median), the points ledger
against the attempts, the uploads against their rows; then PASS or FAIL on: 0 lost, 0 stored
twice, ledger ok, 0 bare 5xx, every 5xx that recorded an answer says so, uploads clean.

    .venv/bin/python -m bench faults [--seconds 10] [--workers 3] [--classroom-size 30]
    .venv/bin/python -m bench.faults --calm 10 --outage 8 --think 0.25 --out report.json
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import statistics
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.fault_clients import (
    NO_RESPONSE,
    Classroom,
    Exchange,
    Student,
    as_dicts,
    screenshot_png,
)
from bench.fault_services import (
    Postgres,
    Redis,
    SmallDisk,
    postgres_cluster,
    redis_server,
    small_disk,
)
from bench.harness import ROOT, gunicorn_process, run_json, run_manage, seed_classroom

PLATFORM_APP = "quest_platform:create_app()"
GUNICORN_CONFIG = ROOT / "deploy" / "gunicorn.conf.py"
# Students answering through the form rather than the API, and of those, uploading screenshots.
FORM_SHARE = 1 / 3
UPLOADERS = 6
# Seconds of uploads on the upload disk before it is filled.
UPLOADS_BEFORE_FULL = 3.0
# The longest wait for every student to be answering again after a fault (or signed in at the
# start), before the next part begins anyway.
RECOVERY_CAP = 120.0


@dataclass
class Settings:
    """How long each part lasts and how the servers and students are set up."""

    calm: float = 10.0
    outage: float = 8.0
    workers: int = 3
    threads: int = 8
    students: int = 30
    think: float = 0.25
    out: Path | None = None


@dataclass
class Phase:
    """One part of the run: its name, when it began and ended, and its fault's start and end
    (wall clock)."""

    name: str
    start: float
    fault_start: float | None = None
    fault_end: float | None = None
    end: float = 0.0
    note: str = ""


class Servers:
    """The run's servers and gunicorn, and the faults done to them."""

    def __init__(
        self, postgres: Postgres, redis: Redis, disk: SmallDisk, master: int, classroom: Classroom
    ) -> None:
        self.postgres = postgres
        self.redis = redis
        self.disk = disk
        self.master = master
        self.classroom = classroom

    def workers(self) -> list[int]:
        """The pids of gunicorn's workers now."""
        children = Path(f"/proc/{self.master}/task/{self.master}/children").read_text()
        return [int(pid) for pid in children.split()]

    def kill_workers(self, count: int) -> str:
        pids = self.workers()[:count]
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        return f"killed {len(pids)} of {len(self.workers()) or len(pids)} workers"

    def redis_outage(self, seconds: float) -> str:
        self.redis.stop(keep=True)
        time.sleep(seconds)
        self.redis.start()
        return f"Redis down {seconds:.0f} s (sessions kept in its dump file)"

    def disk_full(self, seconds: float) -> str:
        self.classroom.uploads_open.set()
        time.sleep(UPLOADS_BEFORE_FULL)
        if self.disk.how.startswith("none"):
            time.sleep(seconds)
            return f"not filled: {self.disk.how}"
        filled = self.disk.fill()
        time.sleep(seconds)
        self.disk.free()
        return f"{self.disk.how} filled ({filled // 1024} KiB) for {seconds:.0f} s"


def run_faults(args: argparse.Namespace) -> None:
    """`python -m bench faults`: the options it shares with the other scenarios."""
    settings = Settings(
        calm=args.seconds, outage=max(3.0, args.seconds * 0.8), workers=args.workers[0]
    )
    settings.students = args.classroom_size
    if not faults(settings)["passed"]:
        raise SystemExit(1)


def faults(settings: Settings) -> dict[str, Any]:
    """Make the servers, seed, run the phases with the students answering, then report."""
    if os.geteuid() != 0:
        raise SystemExit(
            "the faults scenario runs as root: it makes a PostgreSQL cluster and mounts a disk"
        )
    # A `kill` stops the run as Ctrl-C does: through the blocks that remove its servers.
    signal.signal(signal.SIGTERM, interrupted)
    begun = time.monotonic()
    # The report and the server's log outlive the run's folder.
    keep = (
        settings.out.parent
        if settings.out
        else Path(tempfile.mkdtemp(prefix="quest-faults-report-"))
    )
    out = settings.out or keep / "report.json"
    with tempfile.TemporaryDirectory(prefix="quest-faults-") as name:
        folder = Path(name)
        with (
            postgres_cluster() as postgres,
            redis_server(folder / "redis") as redis,
            small_disk(folder / "uploads") as disk,
        ):
            env = app_environment(folder, postgres, redis, disk)
            print(
                f"servers: PostgreSQL 15 cluster on port {postgres.port}, Redis on port"
                f" {redis.port}, uploads on {disk.how}; gunicorn gthread --workers"
                f" {settings.workers} --threads {settings.threads}",
                flush=True,
            )
            run_manage("db", "upgrade", env=env)
            run_manage("seed", "--demo", "--force", env=env)
            # The demo's classrooms have 30 students each: the run's, larger, is the one
            # bench/prepare.py picks.
            facts = seed_classroom(
                env, postgres.url, students=max(settings.students, 31), quests=1, quizzes=1
            )
            quiz = facts["quizzes"][0]
            more = run_json(
                "bench.fault_data", "prepare", str(facts["classroom"]), quiz["slug"], env=env
            )
            log = folder / "gunicorn.log"
            try:
                phases, exchanges = serve_and_break(
                    settings, env, facts, more, postgres, redis, disk, log
                )
                keys_file = folder / "keys.json"
                keys = sorted({e.key for e in exchanges if e.key})
                keys_file.write_text(json.dumps(keys))
                stored = run_json(
                    "bench.fault_data", "check", str(keys_file), str(facts["classroom"]), env=env
                )
            finally:
                if log.exists():
                    shutil.copy(log, keep / "gunicorn.log")
            server_log = log.read_text() if log.exists() else ""
    report = build_report(settings, phases, exchanges, stored, server_log)
    report["setup"] = {
        "uploads": disk.how,
        "workers": settings.workers,
        "threads": settings.threads,
        "students": settings.students,
        "seconds": round(time.monotonic() - begun),
    }
    # With every exchange and stored key, so the figures can be worked out again.
    raw = {"exchanges": as_dicts(exchanges), "stored_keys": stored["stored"]}
    out.write_text(json.dumps(report | raw, indent=1))
    print_report(report)
    print(f"\nreport: {out}; server log: {keep / 'gunicorn.log'}")
    print(f"the scenario took {time.monotonic() - begun:.0f} s in all, setup included")
    return report


def interrupted(signum: int, frame: object) -> None:
    """Stop the run as Ctrl-C does."""
    raise KeyboardInterrupt


def app_environment(
    folder: Path, postgres: Postgres, redis: Redis, disk: SmallDisk
) -> dict[str, str]:
    """The platform's environment for the run: production, random secrets, the run's servers."""
    instance = folder / "instance"
    instance.mkdir()
    return {
        **os.environ,
        "QUEST_ENV": "production",
        "QUEST_INSTANCE_DIR": str(instance),
        "DATABASE_URL": postgres.url,
        "REDIS_URL": redis.url,
        "UPLOAD_DIR": str(disk.folder),
        "SECRET_KEY": secrets.token_urlsafe(48),
        "SECURITY_PASSWORD_SALT": secrets.token_urlsafe(48),
        # Thirty students sign in from loopback, again after each lost session.
        "LOGIN_RATE_LIMIT": "10000 per minute",
        "LOGIN_ACCOUNT_RATE_LIMIT": "10000 per minute",
    }


def serve_and_break(
    settings: Settings,
    env: dict[str, str],
    facts: dict[str, Any],
    more: dict[str, Any],
    postgres: Postgres,
    redis: Redis,
    disk: SmallDisk,
    log: Path,
) -> tuple[list[Phase], list[Exchange]]:
    """Serve the platform, start the students, run each phase; the phases and every exchange."""
    options = (
        *("--config", str(GUNICORN_CONFIG)),
        *("--workers", str(settings.workers), "--threads", str(settings.threads)),
    )
    quiz = facts["quizzes"][0]
    with gunicorn_process(PLATFORM_APP, env=env, options=options, up="/login", log=log) as (
        port,
        master,
    ):
        classroom = Classroom(port, think=settings.think)
        servers = Servers(postgres, redis, disk, master.pid, classroom)
        picture = screenshot_png()
        students = facts["students"][: settings.students]
        forms = round(len(students) * FORM_SHARE)
        threads = [
            Student(
                classroom,
                username=student["username"],
                password=facts["password"],
                way="form" if number < forms else "api",
                quiz=quiz,
                api_answers=more["api_answers"][quiz["slug"]],
                checkpoints=more["checkpoints"],
                uploader=number < min(UPLOADERS, forms),
                screenshot=picture,
            )
            for number, student in enumerate(students)
        ]
        for thread in threads:
            thread.start()
        began = time.time()
        everyone = wait_for_everyone(classroom, len(threads), since=began)
        print(
            f"{everyone} of {len(threads)} students signed in and answering after"
            f" {time.time() - began:.0f} s",
            flush=True,
        )
        outage = settings.outage
        steps: list[tuple[str, Callable[[], str] | None]] = [
            ("calm start", None),
            ("PostgreSQL restart -m fast", lambda: restarted(postgres, "fast")),
            ("PostgreSQL restart -m immediate", lambda: restarted(postgres, "immediate")),
            ("one worker killed", lambda: servers.kill_workers(1)),
            ("every worker killed", lambda: servers.kill_workers(settings.workers)),
            ("Redis unreachable", lambda: servers.redis_outage(outage)),
            ("upload disk full", lambda: servers.disk_full(outage)),
        ]
        phases: list[Phase] = []
        try:
            for name, fault in steps:
                phase = Phase(name, start=time.time())
                phases.append(phase)
                if fault is not None:
                    phase.fault_start = time.time()
                    phase.note = fault()
                    phase.fault_end = time.time()
                    back = wait_for_everyone(classroom, len(threads), since=phase.fault_end)
                    print(
                        f"{name}: {phase.note}; {back} of {len(threads)} students answering"
                        f" again after {time.time() - phase.fault_end:.1f} s",
                        flush=True,
                    )
                time.sleep(settings.calm)
                classroom.uploads_open.clear()
                phase.end = time.time()
        finally:
            classroom.stop.set()
            for thread in threads:
                thread.join(timeout=90)
        phases[-1].end = time.time()
        return phases, classroom.snapshot()


def wait_for_everyone(classroom: Classroom, students: int, *, since: float) -> int:
    """Wait until every student has had an answer acknowledged after ``since`` (at most
    RECOVERY_CAP seconds); how many have."""
    deadline = time.monotonic() + RECOVERY_CAP
    while (back := classroom.answering_since(since)) < students and time.monotonic() < deadline:
        time.sleep(0.1)
    return back


def restarted(postgres: Postgres, mode: str) -> str:
    begun = time.monotonic()
    postgres.restart(mode)
    return f"restarted in {time.monotonic() - begun:.1f} s"


# The report.


def phase_of(phases: list[Phase], moment: float) -> str:
    """The phase a moment falls in (the last one for anything after it). A request counts in
    the phase its response came in: one sent just before a fault is one the fault hit."""
    for phase in phases:
        if moment < phase.end:
            return phase.name
    return phases[-1].name


def status_label(exchange: Exchange) -> str:
    if exchange.status in NO_RESPONSE:
        return str(exchange.status)
    if exchange.body in ("redirect", "no body"):
        return str(exchange.status)
    return f"{exchange.status} {exchange.body}"


def recorder(exchanges: list[Exchange], submitted_at: float) -> Exchange:
    """Of the exchanges that sent one key, the one that recorded it: the last sent before the
    attempt's submission time (the server's clock is this machine's)."""
    before = [exchange for exchange in exchanges if exchange.start <= submitted_at + 0.001]
    return before[-1] if before else exchanges[0]


def build_report(
    settings: Settings,
    phases: list[Phase],
    exchanges: list[Exchange],
    stored: dict[str, Any],
    server_log: str,
) -> dict[str, Any]:
    """Every figure of the report, per phase and in all, with the checks."""
    by_key: dict[str, list[Exchange]] = defaultdict(list)
    for exchange in exchanges:
        if exchange.key:
            by_key[exchange.key].append(exchange)
    saved = stored["stored"]
    rows: dict[str, dict[str, Any]] = {
        phase.name: {
            "statuses": Counter(),
            "sent": 0,
            "keys": 0,
            "acknowledged": 0,
            "stored": 0,
            "lost": [],
            "stored_unacknowledged_said": 0,
            "stored_unacknowledged_silent": 0,
            "failed_recorded_said": 0,
            "failed_recorded_silent": [],
            "no_response_recorded": 0,
            "bare": [],
            "no_response": 0,
        }
        for phase in phases
    }
    for exchange in exchanges:
        row = rows[phase_of(phases, exchange.end)]
        row["statuses"][status_label(exchange)] += 1
        row["sent"] += exchange.key is not None
        if exchange.bare:
            row["bare"].append(exchange)
        if exchange.status in NO_RESPONSE:
            row["no_response"] += 1
    for key, sent in by_key.items():
        row = rows[phase_of(phases, sent[0].end)]
        row["keys"] += 1
        acknowledged = any(exchange.acknowledged for exchange in sent)
        row["acknowledged"] += acknowledged
        if key not in saved:
            if acknowledged:
                row["lost"].append(key)
            continue
        row["stored"] += 1
        made = recorder(sent, saved[key][1])
        # What recorded the answer is counted in the phase its response came in.
        where = rows[phase_of(phases, made.end)]
        failed = isinstance(made.status, int) and made.status >= 500
        if failed:
            if made.said_recorded:
                where["failed_recorded_said"] += 1
            else:
                where["failed_recorded_silent"].append(made)
        elif made.status in NO_RESPONSE:
            where["no_response_recorded"] += 1
        if not acknowledged:
            said = any(exchange.said_recorded for exchange in sent)
            row["stored_unacknowledged_said" if said else "stored_unacknowledged_silent"] += 1
    recovery = recoveries(phases, exchanges)
    report_phases = []
    for phase in phases:
        row = rows[phase.name]
        report_phases.append(
            {
                "phase": phase.name,
                "note": phase.note,
                "statuses": dict(row["statuses"].most_common()),
                "answers_sent": row["sent"],
                "keys": row["keys"],
                "acknowledged": row["acknowledged"],
                "stored": row["stored"],
                "lost": len(row["lost"]),
                "lost_keys": row["lost"][:20],
                "stored_not_acknowledged_said_recorded": row["stored_unacknowledged_said"],
                "stored_not_acknowledged_silent": row["stored_unacknowledged_silent"],
                "recorded_by_a_5xx_that_said_so": row["failed_recorded_said"],
                "recorded_by_a_5xx_that_did_not_say_so": len(row["failed_recorded_silent"]),
                "recorded_by_a_request_without_response": row["no_response_recorded"],
                "silent_5xx_examples": [
                    f"{e.status} {e.body} {e.path} {e.request_id}: {e.message}"
                    for e in row["failed_recorded_silent"][:5]
                ],
                "bare_5xx": len(row["bare"]),
                "bare_5xx_by_path": dict(
                    Counter(
                        f"{e.status} {e.body} {e.action} {re.sub(r'/[0-9]+', '/<n>', e.path)}"
                        for e in row["bare"]
                    ).most_common()
                ),
                "no_response": row["no_response"],
                "recovery": recovery.get(phase.name),
            }
        )
    ledger = stored["ledger"]
    uploads = stored["uploads"]
    totals = {
        "lost": sum(phase["lost"] for phase in report_phases),
        "duplicates": len(stored["duplicates"]),
        "ledger_mismatches": ledger["mismatches"],
        "bare_5xx": sum(phase["bare_5xx"] for phase in report_phases),
        "silent_recorded_5xx": sum(
            phase["recorded_by_a_5xx_that_did_not_say_so"] for phase in report_phases
        ),
        "uploads_left_behind": len(uploads["empty_files"]) + len(uploads["files_without_row"]),
        "upload_rows_without_file": len(uploads["rows_without_file"]),
    }
    checks = {
        "0 lost": totals["lost"] == 0,
        "0 stored twice": totals["duplicates"] == 0,
        "ledger ok": totals["ledger_mismatches"] == 0,
        "0 bare 5xx": totals["bare_5xx"] == 0,
        "every 5xx that recorded says so": totals["silent_recorded_5xx"] == 0,
        "uploads clean": totals["uploads_left_behind"] + totals["upload_rows_without_file"] == 0,
    }
    return {
        "phases": report_phases,
        "ledger": ledger,
        "uploads": uploads,
        "duplicates": stored["duplicates"],
        "totals": totals,
        "checks": checks,
        "passed": all(checks.values()),
        "server_errors": server_errors(server_log),
        "settings": {
            "calm": settings.calm,
            "outage": settings.outage,
            "think": settings.think,
        },
        "phase_times": [vars(phase) for phase in phases],
    }


def recoveries(phases: list[Phase], exchanges: list[Exchange]) -> dict[str, dict[str, Any]]:
    """For each fault: seconds from its end to each student's next acknowledged answer (max,
    median), the students who saw anything but a clear answer meanwhile, and those with no
    answer acknowledged before the phase ended."""
    by_student: dict[str, list[Exchange]] = defaultdict(list)
    for exchange in exchanges:
        by_student[exchange.student].append(exchange)
    found = {}
    for phase in phases:
        if phase.fault_start is None or phase.fault_end is None:
            continue
        fault_end = phase.fault_end
        times, troubled, stuck = [], 0, 0
        for mine in by_student.values():
            during = [e for e in mine if phase.fault_start <= e.end < phase.end]
            if any(
                e.status in NO_RESPONSE or (isinstance(e.status, int) and e.status >= 500)
                for e in during
            ):
                troubled += 1
            after = [e.end for e in mine if e.acknowledged and fault_end <= e.end < phase.end]
            if after:
                times.append(min(after) - fault_end)
            else:
                stuck += 1
        found[phase.name] = {
            "max_s": round(max(times), 2) if times else None,
            "median_s": round(statistics.median(times), 2) if times else None,
            "students_with_errors": troubled,
            "students_not_recovered": stuck,
        }
    return found


def server_errors(log: str) -> dict[str, int]:
    """What the server's log says went wrong, counted: the platform's error lines (JSON lines:
    its failed requests by route and status, the exception that ended each traceback) and, in
    plain text, gunicorn's own errors and tracebacks."""
    found: Counter[str] = Counter()
    plain = []
    for line in log.splitlines():
        entry = json_line(line)
        if entry is None:
            plain.append(line)
        elif entry.get("level") in ("ERROR", "CRITICAL"):
            if entry.get("logger") == "quest_platform.requests":
                route = entry.get("route")
                if route in (None, "", "-"):
                    route = re.sub(r"/[0-9]+", "/<n>", str(entry.get("path")))
                found[f"failed: {entry.get('method')} {route} {entry.get('status')}"] += 1
            else:
                message = re.sub(r"/[0-9]+", "/<n>", str(entry.get("message", "")))
                found[f"{entry.get('logger')}: {message[:150]}"] += 1
            if entry.get("exc_info"):
                found[f"exception: {final_exception(str(entry['exc_info']))}"] += 1
    text = "\n".join(plain)
    for block in text.split("Traceback (most recent call last):")[1:]:
        if "direct cause of the following" in block or "During handling of the above" in block:
            continue
        found[f"exception: {final_exception(block)}"] += 1
    for line in plain:
        failed = re.search(r"ERROR in app: (.*)", line)
        if failed:
            found[f"logged: {re.sub(r'/[0-9]+', '/<n>', failed.group(1))}"] += 1
        elif "[ERROR]" in line or "[CRITICAL]" in line:
            said = re.sub(r"^.*\] ", "", re.sub(r"[0-9]+", "<n>", line))
            found[f"gunicorn: {said}"] += 1
    return dict(found.most_common(30))


def json_line(line: str) -> dict[str, Any] | None:
    """A line of the platform's JSON log, or None for a line of plain text."""
    if not line.startswith("{"):
        return None
    try:
        entry = json.loads(line)
    except ValueError:
        return None
    return entry if isinstance(entry, dict) else None


# The line that names an exception: its dotted class name, then its message.
EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Unavailable|Shutdown)\b")


def final_exception(traceback: str) -> str:
    """The exception a traceback (or a chain of them) ended with: its last line naming one."""
    lines = [line for line in traceback.splitlines() if EXCEPTION_LINE.match(line)]
    return lines[-1][:180] if lines else "(no exception line)"


def print_report(report: dict[str, Any]) -> None:
    """The report as tables: one row per phase, its statuses under it, then the checks."""
    header = (
        f"{'phase':<32}{'sent':>6}{'keys':>6}{'acked':>6}{'stored':>7}{'lost':>5}"
        f"{'unack+st':>9}{'5xx rec':>8}{'silent':>7}{'bare':>5}{'no resp':>8}{'nr rec':>7}"
        f"{'recov max':>10}{'median':>7}{'hit':>4}"
    )
    print()
    print(header)
    for phase in report["phases"]:
        recovery = phase["recovery"] or {}
        unacknowledged = (
            phase["stored_not_acknowledged_said_recorded"] + phase["stored_not_acknowledged_silent"]
        )
        print(
            f"{phase['phase']:<32}{phase['answers_sent']:>6}{phase['keys']:>6}"
            f"{phase['acknowledged']:>6}{phase['stored']:>7}{phase['lost']:>5}"
            f"{unacknowledged:>9}{phase['recorded_by_a_5xx_that_said_so']:>8}"
            f"{phase['recorded_by_a_5xx_that_did_not_say_so']:>7}{phase['bare_5xx']:>5}"
            f"{phase['no_response']:>8}{phase['recorded_by_a_request_without_response']:>7}"
            f"{seconds(recovery.get('max_s')):>10}"
            f"{seconds(recovery.get('median_s')):>7}"
            f"{recovery.get('students_with_errors', ''):>4}"
        )
        statuses = ", ".join(f"{label} ×{count}" for label, count in phase["statuses"].items())
        print(f"    statuses: {statuses}")
        if phase["bare_5xx_by_path"]:
            bare = "; ".join(f"{path} ×{n}" for path, n in phase["bare_5xx_by_path"].items())
            print(f"    bare 5xx: {bare}")
        for example in phase["silent_5xx_examples"]:
            print(f"    recorded, not said: {example}")
        if phase["note"]:
            print(f"    fault: {phase['note']}")
    print(
        "sent: requests carrying an answer (retries included); keys: answers; acked: answers"
        " acknowledged (2xx, or the form's redirect to its result); unack+st: stored without an"
        " acknowledgement; 5xx rec / silent: answers recorded by a request that got a 5xx which"
        " said so / did not (counted where its response came); bare: 5xx not in the"
        " platform's page or JSON problem; no resp:"
        " connections reset, refused or timed out; nr rec: answers recorded by a request that got"
        " no response (its retry got the attempt back); recov: seconds from the fault's end to each"
        " student's next acknowledged answer; hit: students who saw a 5xx or no response."
    )
    ledger, uploads = report["ledger"], report["uploads"]
    print(
        f"\nledger: {ledger['pairs']} student–stage pairs checked, {ledger['mismatches']}"
        " mismatches"
    )
    for example in ledger["examples"]:
        print(f"    {example}")
    print(
        f"uploads: {uploads['rows']} evidence rows, {uploads['files']} files, empty files"
        f" {len(uploads['empty_files'])}, files without a row {len(uploads['files_without_row'])},"
        f" rows without a file {len(uploads['rows_without_file'])}"
    )
    if report["server_errors"]:
        print("server log (exceptions and gunicorn errors, counted):")
        for line, count in report["server_errors"].items():
            print(f"    {count:>5} × {line}")
    print()
    for check, passed in report["checks"].items():
        print(f"{'PASS' if passed else 'FAIL'}  {check}")
    print(f"{'PASS' if report['passed'] else 'FAIL'}: faults")


def report_again(path: Path) -> dict[str, Any]:
    """The report of an earlier run, worked out again from its JSON (its exchanges, stored
    keys and checks) and the server log beside it."""
    earlier = json.loads(path.read_text())
    log = path.parent / "gunicorn.log"
    stored = {
        "stored": earlier["stored_keys"],
        "duplicates": earlier["duplicates"],
        "ledger": earlier["ledger"],
        "uploads": earlier["uploads"],
    }
    return build_report(
        Settings(**earlier["settings"]),
        [Phase(**phase) for phase in earlier["phase_times"]],
        [Exchange(**exchange) for exchange in earlier["exchanges"]],
        stored,
        log.read_text() if log.exists() else "",
    )


def seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def main() -> None:
    """`python -m bench.faults` with every setting of its own."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.faults",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--calm", type=float, default=10.0, help="seconds after each fault (10)")
    parser.add_argument(
        "--outage", type=float, default=8.0, help="seconds Redis is down, the disk full (8)"
    )
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (3)")
    parser.add_argument("--threads", type=int, default=8, help="threads per worker (8)")
    parser.add_argument("--students", type=int, default=30, help="students answering (30)")
    parser.add_argument(
        "--think", type=float, default=0.25, help="seconds between a student's answers (0.25)"
    )
    parser.add_argument("--out", type=Path, help="where the JSON report goes")
    parser.add_argument(
        "--again", type=Path, help="print the report of an earlier run from its JSON, run nothing"
    )
    args = parser.parse_args()
    if args.again:
        print_report(report_again(args.again))
        return
    del args.again
    for name in ("calm", "outage", "workers", "threads", "students"):
        if getattr(args, name) <= 0:
            parser.error(f"--{name} must be positive")
    report = faults(Settings(**vars(args)))
    raise SystemExit(0 if report["passed"] else 1)


if __name__ == "__main__":
    main()
