"""The portal scenario: a student's pages and quiz answers, each against a run just before it.

A classroom with four quests' worth of attempts is added to the demo and given unlimited quizzes
(bench/prepare.py). Three servers run under gunicorn: the baseline (bare Flask, one primary-key
select, bench/baseline.py), the platform as it ships, and the floor (the platform plus a
signed-in GET and POST that do nothing of their own, bench/floor.py). wrk measures each
endpoint in rounds: a page's round is the baseline, then the page; the answers' round is the
baseline, the floor's POST, then the answers, on a quiz of the round's own. A page's ratio is
its req/s ÷ the baseline's of its round, an answer's its req/s ÷ the floor's of its round; the
table shows the median of the rounds and their range, against the platform's targets.
"""

from __future__ import annotations

import argparse
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.floor import FLOOR_PATH
from bench.harness import (
    answering_sessions,
    demo_logins,
    engine_for,
    get,
    gunicorn,
    quiz_path,
    row_counts,
    seed_classroom,
    setup_line,
    sign_in,
)
from bench.wrk import WrkResult, mismatch_banner, refuse_errors, run_wrk

# The platform's targets: a page's req/s as a share of the baseline's, an answer's as a share of
# the floor's, at least.
PAGE_TARGETS = {
    "leaderboard (JSON)": 0.3,
    "leaderboard (page)": 0.25,
    "quest map": 0.25,
    "stage page": 0.25,
}
ANSWER_TARGET = 0.5
ANSWER = "quiz answer (POST, 302)"


@dataclass(frozen=True)
class Measured:
    """One endpoint over the rounds: each round's run next to the run it is compared with (the
    baseline's, or for an answer the floor's)."""

    name: str
    against: str
    runs: list[tuple[WrkResult, WrkResult]]
    target: float | None = None
    # For a run that writes: the attempts each request records (an answer 1, the floor 0).
    records: int | None = None

    @property
    def ratios(self) -> list[float]:
        return [run.rps / reference.rps if reference.rps else 0.0 for run, reference in self.runs]

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)

    @property
    def median_run(self) -> tuple[WrkResult, WrkResult]:
        """The round whose ratio is the median (the upper one of an even count)."""
        ordered = sorted(zip(self.ratios, range(len(self.runs)), strict=True))
        return self.runs[ordered[len(ordered) // 2][1]]

    def mismatches(self) -> list[str]:
        """The runs whose rows recorded do not match their requests."""
        if self.records is None:
            return []
        # An answer moves the points only when it differs from the student's last one: its
        # points entries are not counted; the floor records none of either.
        tables = ["attempt"] if self.records else ["attempt", "points_entry"]
        return [
            problem
            for run, _reference in self.runs
            for table in tables
            if (problem := run.count_mismatch(table, self.records))
        ]


def run_portal(
    args: argparse.Namespace, *, env: dict[str, str], database: str, folder: Path
) -> None:
    """Seed the classroom, serve the apps, measure, print the table."""
    facts = seed_classroom(
        env, database, students=args.classroom_size, quests=args.quests, quizzes=args.rounds
    )
    first = demo_logins(folder)
    workers = args.workers[0]
    with (
        gunicorn("bench.baseline:app", env=env, workers=workers, up="/user/1") as baseline_port,
        gunicorn("bench.floor:create_floor_app()", env=env, workers=workers) as floor_port,
        gunicorn("quest_platform:create_app()", env=env, workers=workers) as port,
    ):
        results = measure_portal(args, port, baseline_port, floor_port, first, facts, database)
    print(
        f"{setup_line(database, env, workers)}; wrk --threads {args.threads} --connections "
        f"{args.connections}, {args.seconds:.0f} s after a 2 s warm-up; {args.rounds} rounds"
    )
    print(portal_report(results))


def measure_portal(
    args: argparse.Namespace,
    port: int,
    baseline_port: int,
    floor_port: int,
    first: dict[str, tuple[str, str]],
    facts: dict[str, Any],
    database: str,
) -> list[Measured]:
    """Every endpoint of the scenario, in rounds."""
    wrk = {"seconds": args.seconds, "connections": args.connections, "threads": args.threads}

    def baseline() -> WrkResult:
        return run_wrk(name="baseline", port=baseline_port, path="/user/1", **wrk)

    def page(
        name: str, path: str, cookie: str | None, *, on: int = port, target: float | None = None
    ) -> Measured:
        runs = []
        for _ in range(args.rounds):
            reference = baseline()
            runs.append((run_wrk(name=name, port=on, path=path, cookie=cookie, **wrk), reference))
        return Measured(name, "baseline", runs, target)

    # Anonymous pages first: each of their requests stores a visitor's session, and the file
    # store drops the longest-idle sessions past its threshold, so students sign in after them.
    results = [
        page("home page (anonymous)", "/", None),
        page("sign-in page (anonymous)", "/login", None),
    ]
    student, cookie, stage_path = measured_student(port, facts)
    sessions = answering_sessions(port, facts, args.answering)
    board = f"/leaderboards/classrooms/{facts['classroom']}"
    pages = [
        ("leaderboard (JSON)", f"{board}.json", cookie),
        ("leaderboard (page)", board, cookie),
        ("quest map", "/quests", cookie),
        ("stage page", stage_path, cookie),
        ("profile (demo student)", "/accounts/profile", sign_in(port, *first["student"])),
    ]
    for _name, path, page_cookie in pages:
        if (status := get(port, path, page_cookie)[0]) != 200:
            raise SystemExit(f"{path} answered {status} before the run")
    print(
        f"measured student: {student['username']} ({student['attempts']} attempts), stage page "
        f"{stage_path}; quiz answers from {len(sessions)} students of the classroom in turn"
    )
    results.append(
        page("floor: signed-in GET, nothing of its own", FLOOR_PATH, cookie, on=floor_port)
    )
    results += [page(name, path, c, target=PAGE_TARGETS.get(name)) for name, path, c in pages]

    # Answers last, as every answer adds an attempt to the classroom the pages above show; right
    # and wrong in turn, so each answer moves the student's points (bench/prepare.py).
    engine = engine_for(database)
    writes = {"sessions": sessions, "rows": lambda: row_counts(engine), "expect": 302, **wrk}
    floor_runs, answer_runs = [], []
    for quiz in facts["quizzes"][: args.rounds]:
        reference = baseline()
        floor = run_wrk(
            name="floor: signed-in POST, nothing of its own",
            port=floor_port,
            path=FLOOR_PATH,
            form="floor=1",
            records=0,
            **writes,
        )
        answer = run_wrk(
            name=ANSWER, port=port, path=quiz_path(quiz), form="|".join(quiz["answers"]), **writes
        )
        floor_runs.append((floor, reference))
        answer_runs.append((answer, floor))
    engine.dispose()
    results.append(Measured(floor_runs[0][0].name, "baseline", floor_runs, records=0))
    results.append(Measured(ANSWER, "floor", answer_runs, ANSWER_TARGET, records=1))
    refuse_errors(run for measured in results for pair in measured.runs for run in pair)
    return results


def measured_student(port: int, facts: dict[str, Any]) -> tuple[dict[str, Any], str, str]:
    """The most active student whose latest quiz stage is still open to them: the student, their
    session cookie and that stage's path."""
    for candidate in facts["students"]:
        if candidate["quiz"] is None:
            continue
        cookie = sign_in(port, candidate["username"], facts["password"])
        stage_path = quiz_path(candidate["quiz"])
        if get(port, stage_path, cookie)[0] == 200:
            return candidate, cookie, stage_path
    raise SystemExit("no student of the classroom has an open quiz stage")


def portal_report(results: list[Measured]) -> str:
    """The table of the portal scenario, with the figures of each endpoint's median round."""
    lines = [
        f"{'endpoint':<42}{'req/s':>7}{'rec/s':>7}{'pts/a':>6}{'p50 ms':>8}"
        f"{'p99 ms':>8}{'vs':>15}{'ratio':>7}{'rounds':>12}{'target':>8}{'':>5}"
    ]
    for measured in results:
        run, reference = measured.median_run
        recorded = points = ""
        if run.recorded is not None:
            recorded = f"{run.recorded_rps():.0f}"
            attempts = run.recorded.get("attempt", 0)
            points = f"{run.recorded['points_entry'] / attempts:.2f}" if attempts else "-"
        target = measured.target
        verdict = "" if target is None else ("PASS" if measured.ratio >= target else "MISS")
        spread = f"{min(measured.ratios):.2f}–{max(measured.ratios):.2f}"
        against = f"{measured.against} {reference.rps:.0f}"
        lines.append(
            f"{measured.name:<42}{run.rps:>7.0f}{recorded:>7}{points:>6}"
            f"{run.p50:>8.1f}{run.p99:>8.1f}{against:>15}{measured.ratio:>7.2f}{spread:>12}"
            f"{'' if target is None else f'≥{target}':>8}{verdict:>5}"
        )
    lines.append(
        "ratio: a page's req/s ÷ the req/s of the baseline (bare Flask, one PK select) run just"
        " before it; an answer's req/s ÷ the floor's (the signed-in POST that records nothing)"
        " of the same round. Median of the rounds (their range shown); req/s, rec/s (attempts"
        " recorded per second, counted in the database), pts/a (points entries recorded per"
        " attempt) and latencies are of the median round."
    )
    lines += mismatch_banner([problem for m in results for problem in m.mismatches()])
    return "\n".join(lines)
