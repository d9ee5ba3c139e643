"""A small school for the report tests: three students on one quest of three stages that
opened on a Monday and is due two weeks after NOW."""

from __future__ import annotations

import pandas as pd

from analytics.dataset import Dataset

NOW = pd.Timestamp("2025-09-17 12:00", tz="UTC")  # a Wednesday
OPENS = pd.Timestamp("2025-09-01 08:00", tz="UTC")


def attempt(student: int, stage: int, day: str, outcome: str = "passed") -> dict[str, object]:
    submitted = pd.Timestamp(day, tz="UTC")
    return {
        "student_id": student,
        "quest_id": 10,
        "stage_id": stage,
        "started_at": submitted - pd.Timedelta(minutes=30),
        "submitted_at": submitted,
        "score": 1.0 if outcome == "passed" else 0.0,
        "max_score": 1.0,
        "outcome": outcome,
    }


def school(attempts: list[dict[str, object]], students: int = 3) -> Dataset:
    frame = pd.DataFrame(attempts)
    if not frame.empty:
        frame.insert(0, "attempt_id", range(1, len(frame) + 1))
    return Dataset.of(
        now=NOW,
        attempts=frame if attempts else None,
        stages=pd.DataFrame(
            {
                "stage_id": [1, 2, 3],
                "quest_id": [10, 10, 10],
                "position": [1, 2, 3],
                "kind": ["lesson", "quiz", "checkpoint"],
                "title": ["Why sessions", "Sessions quiz", "Login works"],
                "points": [10, 10, 10],
            }
        ),
        quests=pd.DataFrame({"quest_id": [10], "slug": ["sessions"], "title": ["Sessions"]}),
        classrooms=pd.DataFrame({"classroom_id": [1], "name": ["Period 1"]}),
        students=pd.DataFrame(
            {
                "student_id": list(range(1, students + 1)),
                "name": ["Ada", "Ben", "Cy"][:students],
                "pseudonym": ["a", "b", "c"][:students],
            }
        ),
        enrollments=pd.DataFrame(
            {"classroom_id": [1] * students, "student_id": list(range(1, students + 1))}
        ),
        assignments=pd.DataFrame(
            {
                "classroom_id": [1],
                "quest_id": [10],
                "opens_at": [OPENS],
                "due_at": [pd.Timestamp("2025-09-30", tz="UTC")],
            }
        ),
    )
