"""The analytics at scale, timed: the engagement report and predictions against a plain read.

Run by ``python -m bench analytics`` with the bench database in DATABASE_URL, one run per
fresh process, so the peak memory it reports is that run's own (with the interpreter, Flask and
pandas it needs). ``baseline`` reads the attempts table into pandas: ``pandas.read_sql`` of the
columns ``attempts_query()`` selects, without its join to the latest review. ``full`` first gets
the shipped quest model (``shipped_model()``, once per process: timed apart), then runs
``load_dataset``, ``engagement_report`` and ``predict_quests`` over every classroom. The last
line of output is JSON: the seconds of the run, by step, the frames' sizes and the process's
peak resident memory (``ru_maxrss``) before and after it.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select

from analytics.engagement import engagement_report
from analytics.load import load_dataset
from analytics.model import shipped_model
from analytics.prediction import predict_quests
from quest_platform import create_app
from quest_platform.extensions import db
from quest_platform.models import Attempt


def peak_mb() -> float:
    """The process's peak resident memory so far, in MB (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6


def read_attempts(engine: Engine) -> pd.DataFrame:
    """The attempts table as pandas reads it: the columns of ``attempts_query()``, no join."""
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
    with engine.connect() as connection:
        return pd.read_sql(query, connection)


def baseline_run(engine: Engine) -> dict[str, Any]:
    """One plain read of the attempts table: its seconds and rows."""
    started = time.perf_counter()
    frame = read_attempts(engine)
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
        "funnel": len(report.funnel),
        "predictions": len(predictions),
    }
    return {"seconds": seconds, "rows": rows}


def main(mode: str) -> None:
    """Run ``mode`` (baseline or full) once and print its figures as JSON."""
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
    print(json.dumps(figures))


if __name__ == "__main__":
    if sys.argv[1:] not in (["baseline"], ["full"]):
        raise SystemExit("usage: python -m bench.analytics_run baseline|full")
    main(sys.argv[1])
