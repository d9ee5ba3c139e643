"""The analytics scenario: the teacher dashboard at the demo's scale, then the reports at school
scale, against the platform's targets.

First, with the demo alone, wrk loads the first demo teacher's dashboard (/admin/, its charts
read from the database), next to the bare Flask baseline. Then school scale data is added and
``python -m bench.analytics baseline|full`` runs in fresh processes, the two sides taking turns
(a busy moment of the machine falls on both), so the peak memory each reports is its own run's
(``ru_maxrss``, with the interpreter, Flask and pandas). ``baseline`` reads the attempts table
into pandas: ``pandas.read_sql`` of the columns ``attempts_query()`` selects, without its join to
the latest review. ``full`` first gets the shipped quest model (``shipped_model()``, once per
process: timed apart), then runs ``load_dataset``, ``engagement_report`` and ``predict_quests``
over every classroom.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import resource
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select

from analytics.engagement import engagement_report
from analytics.load import load_dataset
from analytics.model import shipped_model
from analytics.prediction import predict_quests
from bench.harness import demo_logins, get, gunicorn, run_json, seed_school, setup_line, sign_in
from bench.wrk import WrkResult, refuse_errors, run_wrk
from quest_platform import create_app
from quest_platform.extensions import db
from quest_platform.models import Attempt

# The platform's targets: the whole report at most this many times the plain read of the
# attempts, its process under this peak memory, the dashboard's p95 under this.
ANALYTICS_RATIO = 2.5
ANALYTICS_PEAK_MB = 1500
DASHBOARD_P95_MS = 200
# Runs of each side, baseline and full in turn, each in its own process.
ANALYTICS_ROUNDS = 3
# Steps of the full run, as the table names them.
STEPS = {
    "load_dataset": "  load_dataset (one query per frame, typed)",
    "engagement_report": "  engagement_report",
    "predict_quests": "  predict_quests (the shipped model)",
}


def run_analytics(
    args: argparse.Namespace, *, env: dict[str, str], database: str, folder: Path
) -> None:
    """The dashboard on the demo alone, then the analytics over school scale data."""
    first = demo_logins(folder)
    workers = args.workers[0]
    print(
        f"{setup_line(database, env, workers)}; wrk --threads {args.threads} --connections "
        f"{args.connections}, {args.seconds:.0f} s after a 2 s warm-up"
    )
    with (
        gunicorn("bench.baseline:app", env=env, workers=workers, up="/user/1") as baseline_port,
        gunicorn("quest_platform:create_app()", env=env, workers=workers) as port,
    ):
        cookie = sign_in(port, *first["teacher"])
        warm_dashboard(port, cookie, workers, first["teacher"][0])
        wrk = {"seconds": args.seconds, "connections": args.connections, "threads": args.threads}
        baseline = run_wrk(
            name="baseline: bare Flask, PK select", port=baseline_port, path="/user/1", **wrk
        )
        board = run_wrk(
            name="teacher dashboard (/admin/)", port=port, path="/admin/", cookie=cookie, **wrk
        )
    refuse_errors([baseline, board])
    print(dashboard_report(baseline, board))

    seed_school(env, database, students=args.students, quests=args.quests)
    sides: dict[str, list[dict[str, Any]]] = {"baseline": [], "full": []}
    for _ in range(ANALYTICS_ROUNDS):
        for mode, runs in sides.items():
            runs.append(run_json("bench.analytics", mode, env=env))
    print(analytics_report(sides["baseline"], sides["full"], board))


def warm_dashboard(port: int, cookie: str, workers: int, teacher: str) -> None:
    """Rounds of as many concurrent GETs of /admin/ as workers, so every worker has served the
    dashboard once (its first request loads what later ones reuse) before wrk starts."""
    answers: list[tuple[int, str, float]] = []

    def one() -> None:
        started = time.perf_counter()
        status, page = get(port, "/admin/", cookie)
        answers.append((status, page, time.perf_counter() - started))

    slowest = []
    for _ in range(3):
        answers.clear()
        threads = [threading.Thread(target=one) for _ in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        slowest.append(max(seconds for _status, _page, seconds in answers))
    status, page, _seconds = answers[0]
    title = re.search(r'<h2 id="dashboard-title">([^<]*)</h2>', page)
    if status != 200 or title is None:
        raise SystemExit(f"no dashboard on the teacher's /admin/ (status {status})")
    charts = page.count('class="report-chart"')
    print(
        f"{html.unescape(title.group(1))} ({charts} charts, a"
        f" {len(page) // 1000} kB page) as {teacher}; warm-up rounds of {workers} concurrent"
        " GETs, slowest " + ", ".join(f"{seconds * 1000:.0f} ms" for seconds in slowest)
    )


def verdict(met: bool) -> str:
    """PASS or MISS, as the tables print a target."""
    return "PASS" if met else "MISS"


def dashboard_report(baseline: WrkResult, board: WrkResult) -> str:
    """The dashboard's latency next to the baseline's, with the p95 target."""
    lines = [
        f"{'endpoint':<44}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'target':>10}"
        f"{'':>6}{'requests':>10}"
    ]
    for result, target, met in (
        (baseline, "", ""),
        (board, f"<{DASHBOARD_P95_MS} ms", verdict(board.p95 < DASHBOARD_P95_MS)),
    ):
        lines.append(
            f"{result.name:<44}{result.rps:>8.0f}{result.p50:>8.1f}{result.p95:>8.1f}"
            f"{result.p99:>8.1f}{target:>10}{met:>6}{result.requests:>10}"
        )
    lines.append("target: the dashboard's p95 (the platform's); no errors.")
    return "\n".join(lines)


def analytics_report(
    baseline: list[dict[str, Any]], full: list[dict[str, Any]], board: WrkResult
) -> str:
    """The timings of the analytics runs (median and best of each step), then the platform's
    three targets with their figures."""

    def seconds(runs: list[dict[str, Any]], step: str) -> list[float]:
        return [run["seconds"][step] for run in runs]

    def peak(runs: list[dict[str, Any]], key: str = "peak_mb") -> float:
        return max(run[key] for run in runs)

    rows = full[0]["rows"]
    lines = [
        f"\nanalytics of every classroom: {rows['attempts']} attempts, {rows['students']} "
        f"student rows, {rows['predictions']} quest predictions; {len(full)} runs a side, "
        "taking turns, each in a fresh process",
        f"{'step':<54}{'median s':>10}{'best s':>10}",
    ]
    steps = [
        ("baseline: pandas.read_sql of the attempts table", seconds(baseline, "read_sql")),
        ("full: engagement report and predictions", seconds(full, "full")),
        *((label, seconds(full, step)) for step, label in STEPS.items()),
    ]
    for label, timings in steps:
        lines.append(f"{label:<54}{statistics.median(timings):>10.2f}{min(timings):>10.2f}")
    lines.append(
        f"each analytics process got the shipped quest model before timing (shipped_model(), "
        f"median {statistics.median(run['model_seconds'] for run in full):.2f} s, not counted);"
        f" peak memory (ru_maxrss, the highest of each side's processes): baseline"
        f" {peak(baseline):.0f} MB, analytics {peak(full, 'ready_mb'):.0f} MB after start-up"
        f" and the model, {peak(full):.0f} MB after the run"
    )
    ratio = statistics.median(seconds(full, "full")) / statistics.median(
        seconds(baseline, "read_sql")
    )
    targets = [
        (
            "full ÷ baseline (medians)",
            f"{ratio:.2f}×",
            f"≤{ANALYTICS_RATIO}×",
            ratio <= ANALYTICS_RATIO,
        ),
        (
            "peak memory of the analytics process",
            f"{peak(full):.0f} MB",
            f"<{ANALYTICS_PEAK_MB} MB",
            peak(full) < ANALYTICS_PEAK_MB,
        ),
        (
            "teacher dashboard p95 (demo scale)",
            f"{board.p95:.1f} ms",
            f"<{DASHBOARD_P95_MS} ms",
            board.p95 < DASHBOARD_P95_MS,
        ),
    ]
    lines += ["", f"{'the platform targets':<44}{'figure':>12}{'target':>12}"]
    for label, figure, target, met in targets:
        lines.append(f"{label:<44}{figure:>12}{target:>12}{verdict(met):>6}")
    return "\n".join(lines)


# What follows runs in a fresh process: python -m bench.analytics baseline|full.


def peak_mb() -> float:
    """The process's peak resident memory so far, in MB (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6


def baseline_run(engine: Engine) -> dict[str, Any]:
    """One plain read of the attempts table (the columns of ``attempts_query()``, no join)."""
    query = select(
        Attempt.id.label("attempt_id"),
        Attempt.student_id,
        Attempt.quest_id,
        Attempt.stage_id,
        Attempt.started_at,
        Attempt.submitted_at,
        Attempt.score,
        Attempt.max_score,
        Attempt.outcome,
    )
    started = time.perf_counter()
    with engine.connect() as connection:
        frame = pd.read_sql(query, connection)
    return {
        "seconds": {"read_sql": time.perf_counter() - started},
        "rows": {"attempts": len(frame)},
    }


def full_run(engine: Engine) -> dict[str, Any]:
    """One engagement report and set of predictions of every classroom: seconds by step, rows."""
    model = shipped_model()
    seconds = {}
    started = time.perf_counter()
    dataset = load_dataset(engine)
    seconds["load_dataset"] = time.perf_counter() - started
    step = time.perf_counter()
    report = engagement_report(dataset)
    seconds["engagement_report"] = time.perf_counter() - step
    step = time.perf_counter()
    predictions = predict_quests(dataset, model=model)
    seconds["predict_quests"] = time.perf_counter() - step
    seconds["full"] = time.perf_counter() - started
    rows = {
        "attempts": len(dataset.attempts),
        "students": len(report.students),
        "predictions": len(predictions),
    }
    return {"seconds": seconds, "rows": rows}


def analytics_figures(mode: str) -> dict[str, Any]:
    """Run ``mode`` (baseline or full) once: its seconds, rows and the process's peak memory
    before and after it."""
    app = create_app()
    with app.app_context():
        figures: dict[str, Any] = {"mode": mode}
        if mode == "full":
            started = time.perf_counter()
            shipped_model()
            figures["model_seconds"] = time.perf_counter() - started
        figures["ready_mb"] = peak_mb()
        figures |= full_run(db.engine) if mode == "full" else baseline_run(db.engine)
        figures["peak_mb"] = peak_mb()
    return figures


if __name__ == "__main__":
    if sys.argv[1:] not in (["baseline"], ["full"]):
        raise SystemExit("usage: python -m bench.analytics baseline|full")
    print(json.dumps(analytics_figures(sys.argv[1])))
