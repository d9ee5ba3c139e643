"""The portal scenario: a student's pages and quiz answers, each against a baseline run just before.

A classroom of 200 students with four quests' worth of attempts is added to the demo, and given
unlimited quizzes (bench/prepare.py). Served by gunicorn on loopback: the bare Flask baseline
(one primary-key select, bench/baseline.py), the platform with its page cache off and, while the
setting exists, on, and the floor (the platform with the page cache off plus a signed-in POST
that records nothing, bench/floor.py). wrk measures each endpoint in rounds: a page's round is
the baseline, then the page under each setting; an answer's round is the baseline, the floor,
then the answer under each setting, each run on a quiz of its own. A page's ratio is its req/s
÷ the baseline's of its round, an answer's its req/s ÷ the floor's of its round; the table shows
the median of the rounds and their range, against the platform's targets, which hold with the
page cache off. Runs that write count the rows they add (attempts, points entries).
"""

from __future__ import annotations

import argparse
import statistics
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.database import analyze, engine_for, row_counts
from bench.floor import FLOOR_PATH
from bench.servers import (
    csrf_token,
    demo_logins,
    get,
    gunicorn,
    has_page_cache,
    platform_apps,
    seed_classroom,
    sign_in,
)
from bench.wrk import WrkResult, run_wrk

# The platform's targets, with the page cache off: a page's req/s as a share of the baseline's,
# an answer's as a share of the floor's, at least.
PAGE_TARGETS = {
    "leaderboard (JSON)": 0.3,
    "leaderboard (page)": 0.25,
    "quest map": 0.25,
    "stage page": 0.25,
}
ANSWER_TARGET = 0.5
# Students whose sessions take turns answering: every candidate bench/prepare.py lists.
ANSWERING = 40


@dataclass(frozen=True)
class Measured:
    """One endpoint under one setting of the page cache, over the rounds: each round's run
    next to the run it is compared with (the baseline's, or for an answer the floor's)."""

    name: str
    setting: str
    against: str
    runs: list[tuple[WrkResult, WrkResult]]
    target: float | None = None
    # For a run that writes: the attempts each answer records (the floor: none).
    per_request: int | None = None

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


def run_portal(
    args: argparse.Namespace,
    *,
    env: dict[str, str],
    database: str,
    folder: Path,
    options: dict[str, Any],
) -> None:
    """Seed the classroom, serve the apps, measure, print the table."""
    settings = platform_apps()
    facts = seed_classroom(
        env,
        students=args.classroom_size,
        quests=args.quests or 4,
        quizzes=args.rounds * len(settings),
    )
    analyze(database)
    print(
        f"seeded a classroom of {facts['enrolled']} students with "
        f"{facts['classroom_attempts']} attempts ({facts['attempts']} in all)"
    )
    first = demo_logins(folder)
    workers = args.workers[0]
    floor_app = platform_apps("bench.floor:create_floor_app")
    with ExitStack() as stack:
        baseline = stack.enter_context(
            gunicorn("bench.baseline:app", env=env, workers=workers, up="/user/1")
        )
        # The floor is the platform as its answers are measured first: the page cache off.
        floor = stack.enter_context(
            gunicorn(next(iter(floor_app.values())), env=env, workers=workers)
        )
        ports = {
            setting: stack.enter_context(gunicorn(app, env=env, workers=workers))
            for setting, app in settings.items()
        }
        results = measure_portal(ports, baseline, floor, first, facts, database, options, args)
    print(
        f"database: {database.split('@')[-1].split('?')[0]}; sessions: "
        f"{'Redis' if env.get('REDIS_URL') else 'files'}; gunicorn --workers {workers} (sync); "
        f"wrk --threads {options['threads']} --connections {options['connections']}, "
        f"{options['seconds']:.0f} s after a 2 s warm-up; {args.rounds} rounds; "
        + ("page cache off and on" if has_page_cache() else "no page cache setting")
    )
    print(portal_report(results))


def measure_portal(
    ports: dict[str, int],
    baseline_port: int,
    floor_port: int,
    first: dict[str, list[str]],
    facts: dict[str, Any],
    database: str,
    options: dict[str, Any],
    args: argparse.Namespace,
) -> list[Measured]:
    """Every endpoint of the scenario, in rounds, under each setting of the page cache."""
    settings = list(ports)
    port = ports[settings[0]]
    rounds = args.rounds
    engine = engine_for(database)

    def baseline() -> WrkResult:
        return run_wrk(name="baseline", port=baseline_port, path="/user/1", **options)

    def page_rounds(
        name: str,
        path: str,
        cookie: str | None,
        target: float | None = None,
        servers: dict[str, int] = ports,
    ) -> list[Measured]:
        """Rounds of the baseline, then the page on each server; the target is the first's."""
        runs: dict[str, list[tuple[WrkResult, WrkResult]]] = {setting: [] for setting in servers}
        for _ in range(rounds):
            base = baseline()
            for setting, setting_port in servers.items():
                result = run_wrk(name=name, port=setting_port, path=path, cookie=cookie, **options)
                runs[setting].append((result, base))
        return [
            Measured(name, setting, "baseline", runs[setting], target if index == 0 else None)
            for index, setting in enumerate(servers)
        ]

    results: list[Measured] = []
    # Anonymous pages first, on the first setting only (no page cache serves them): each of
    # their requests stores a session, and the file store evicts the longest-idle sessions past
    # its threshold, so the students sign in only after them.
    for name, path in (("home page (anonymous)", "/"), ("sign-in page (anonymous)", "/login")):
        results += page_rounds(name, path, None, servers={settings[0]: port})

    student, cookie, stage_path = measured_student(port, facts)
    quizzes = facts["quizzes"]
    quiz_paths = [f"/quests/{quiz['slug']}/{quiz['position']}" for quiz in quizzes]
    sessions = []
    for other in facts["students"][:ANSWERING]:
        other_cookie = sign_in(port, other["username"], facts["password"])
        status, page = get(port, quiz_paths[0], other_cookie)
        if status != 200:
            raise SystemExit(f"the unlimited quiz answered {status} to {other['username']}")
        sessions.append((other_cookie, csrf_token(page)))
    board = f"/leaderboards/classrooms/{facts['classroom']}"
    demo_cookie = sign_in(port, first["student"][1], first["student"][2])
    pages = [
        ("leaderboard (JSON)", f"{board}.json", cookie),
        ("leaderboard (page)", board, cookie),
        ("quest map", "/quests", cookie),
        ("stage page", stage_path, cookie),
        ("profile (demo student)", "/accounts/profile", demo_cookie),
    ]
    for setting_port in ports.values():
        for _name, path, page_cookie in pages:
            status = get(setting_port, path, page_cookie)[0]
            if status != 200:
                raise SystemExit(f"{path} answered {status} before the run")
    print(
        f"measured student: {student['username']} ({student['attempts']} attempts), stage page "
        f"{stage_path}; quiz answers from {len(sessions)} students of the classroom in turn"
    )
    # The floor of every page: signed in, nothing of its own (the page cache off).
    floor_get = "floor: signed-in GET, nothing of its own"
    results += page_rounds(floor_get, FLOOR_PATH, cookie, servers={settings[0]: floor_port})
    for name, path, page_cookie in pages:
        results += page_rounds(name, path, page_cookie, PAGE_TARGETS.get(name))

    # Answers last, as every answer adds an attempt to the classroom the pages above show.
    def rows() -> dict[str, int]:
        return row_counts(engine)

    # Right and wrong in turn: each answer moves the student's points (bench/prepare.py).
    answer = "|".join(facts["quizzes"][0]["answers"])
    floor_runs = []
    answer_runs: dict[str, list[tuple[WrkResult, WrkResult]]] = {setting: [] for setting in ports}
    unused = iter(quiz_paths)
    for _ in range(rounds):
        base = baseline()
        floor = run_wrk(
            name="floor: signed-in POST, nothing of its own",
            port=floor_port,
            path=FLOOR_PATH,
            expect=302,
            form="floor=1",
            sessions=sessions,
            rows=rows,
            records=0,
            **options,
        )
        floor_runs.append((floor, base))
        for setting, setting_port in ports.items():
            quiz_path = next(unused)
            result = run_wrk(
                name="quiz answer (POST, 302)",
                port=setting_port,
                path=quiz_path,
                expect=302,
                form=answer,
                sessions=sessions,
                rows=rows,
                **options,
            )
            answer_runs[setting].append((result, floor))
    engine.dispose()
    floor_name = floor_runs[0][0].name
    results.append(Measured(floor_name, settings[0], "baseline", floor_runs, per_request=0))
    for index, setting in enumerate(settings):
        target = ANSWER_TARGET if index == 0 else None
        results.append(
            Measured(
                "quiz answer (POST, 302)",
                setting,
                "floor",
                answer_runs[setting],
                target,
                per_request=1,
            )
        )
    failed = [
        (measured, run) for measured in results for run, _reference in measured.runs if run.errors
    ]
    if failed:
        details = "\n".join(
            f"  {m.name} (page cache {m.setting or 'n/a'}): {run.errors}" for m, run in failed
        )
        raise SystemExit(f"errors during the run, no figures reported:\n{details}")
    return results


def measured_student(port: int, facts: dict[str, Any]) -> tuple[dict[str, Any], str, str]:
    """The most active student whose latest quiz stage is still open to them: the student, their
    session cookie and that stage's path."""
    for candidate in facts["students"]:
        if candidate["quiz"] is None:
            continue
        cookie = sign_in(port, candidate["username"], facts["password"])
        stage_path = f"/quests/{candidate['quiz']['slug']}/{candidate['quiz']['position']}"
        if get(port, stage_path, cookie)[0] == 200:
            return candidate, cookie, stage_path
    raise SystemExit("no student of the classroom has an open quiz stage")


def portal_report(results: list[Measured]) -> str:
    """The table of the portal scenario, with the figures of each endpoint's median round."""
    lines = [
        f"{'endpoint':<42}{'cache':>6}{'req/s':>7}{'rec/s':>7}{'pts/a':>6}{'p50 ms':>8}"
        f"{'p99 ms':>8}{'vs':>15}{'ratio':>7}{'rounds':>12}{'target':>8}{'':>5}"
    ]
    mismatches = []
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
            f"{measured.name:<42}{measured.setting:>6}{run.rps:>7.0f}{recorded:>7}{points:>6}"
            f"{run.p50:>8.1f}{run.p99:>8.1f}{against:>15}{measured.ratio:>7.2f}{spread:>12}"
            f"{'' if target is None else f'≥{target}':>8}{verdict:>5}"
        )
        if measured.per_request is not None:
            for each, _reference in measured.runs:
                for table, per_request in (("attempt", measured.per_request), ("points_entry", 0)):
                    # An answer that adds no points (the same answer again) writes no entry.
                    if table == "points_entry" and measured.per_request:
                        continue
                    if problem := each.count_mismatch(table, per_request):
                        mismatches.append(problem)
    lines.append(
        "ratio: a page's req/s ÷ the req/s of the baseline (bare Flask, one PK select) run just"
        " before it; an answer's req/s ÷ the floor's (the signed-in POST that records nothing)"
        " of the same round. Median of the rounds (their range shown); req/s, rec/s (attempts"
        " recorded per second, counted in the database), pts/a (points entries recorded per"
        " attempt) and latencies are of the median round. Targets hold with the page cache off."
    )
    if mismatches:
        lines.append("")
        lines.append("!!! RECORDED ROWS DO NOT MATCH THE ANSWERS: THESE FIGURES ARE NOT TRUE !!!")
        lines += [f"!!! {problem}" for problem in mismatches]
    return "\n".join(lines)
