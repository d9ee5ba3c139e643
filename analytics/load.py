"""Reading the platform's tables into typed pandas DataFrames: the only module that uses SQL."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, select

from quest_platform.models import Attempt, Enrollment

ATTEMPT_COLUMNS = {
    "id": "int64",
    "student_id": "int64",
    "quest_id": "int64",
    "stage_id": "int64",
    "score": "float64",
    "max_score": "float64",
    "outcome": "category",
}


def load_attempts(engine: Engine) -> pd.DataFrame:
    """Return every attempt with its classroom, one query, timestamps as UTC datetimes."""
    query = select(
        Attempt.id,
        Attempt.student_id,
        Attempt.quest_id,
        Attempt.stage_id,
        Enrollment.classroom_id,
        Attempt.started_at,
        Attempt.submitted_at,
        Attempt.score,
        Attempt.max_score,
        Attempt.outcome,
    ).join(Enrollment, Enrollment.student_id == Attempt.student_id)
    with engine.connect() as connection:
        frame = pd.read_sql(query, connection)
    frame = frame.astype(ATTEMPT_COLUMNS | {"classroom_id": "int64"})
    for column in ("started_at", "submitted_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
    return frame
