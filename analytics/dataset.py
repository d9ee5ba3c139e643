"""The frames every analysis reads: their columns and types, and the Dataset that holds them.

``analytics.load`` fills a Dataset from the database and ``seeds.cohorts`` from a simulated
cohort; engagement, prediction and charts read only these frames, so they run the same on both.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from quest_platform.models.attempts import Outcome

UTC_TIME = "datetime64[us, UTC]"

# One row per attempt; score and outcome as they count now (after the latest review).
ATTEMPTS = {
    "attempt_id": "int64",
    "student_id": "int64",
    "quest_id": "int64",
    "stage_id": "int64",
    "started_at": UTC_TIME,
    "submitted_at": UTC_TIME,
    "score": "float64",  # NaN while a checkpoint awaits review
    "max_score": "float64",
    "outcome": "string",  # an Outcome
}
# One row per stage of every quest in the dataset.
STAGES = {
    "stage_id": "int64",
    "quest_id": "int64",
    "position": "int64",
    "kind": "string",
    "title": "string",
    "points": "int64",
}
QUESTS = {"quest_id": "int64", "slug": "string", "title": "string"}
CLASSROOMS = {"classroom_id": "int64", "name": "string"}
# Students enrolled and active as of the dataset's moment; ``name`` is what a teacher reads
# (the display name).
STUDENTS = {"student_id": "int64", "name": "string", "pseudonym": "string"}
ENROLLMENTS = {"classroom_id": "int64", "student_id": "int64"}
ASSIGNMENTS = {
    "classroom_id": "int64",
    "quest_id": "int64",
    "opens_at": UTC_TIME,
    "due_at": UTC_TIME,
}
# Extra time a teacher gave a student on a timed stage (one row per grant).
EXTENSIONS = {
    "student_id": "int64",
    "stage_id": "int64",
    "extra_seconds": "int64",
    "granted_at": UTC_TIME,
}
# A peer review written, one row per student whose work it reviews (each member of a team's
# hand-in): which review, who wrote it, whose work it is, at which stage, and whether a teacher
# hid it (then it does not count as received).
PEER_REVIEWS = {
    "review_id": "int64",
    "reviewer_id": "int64",
    "author_id": "int64",
    "stage_id": "int64",
    "submitted_at": UTC_TIME,
    "hidden": "bool",
}

# An attempt with one of these outcomes completes its stage.
DONE_OUTCOMES = frozenset({Outcome.PASSED, Outcome.LATE})


def typed(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """``frame`` with exactly ``columns``, in order, each of its type (UTC for datetimes)."""
    frame = frame.reindex(columns=list(columns))
    for column, dtype in columns.items():
        if dtype == UTC_TIME:
            moments = pd.to_datetime(frame[column], utc=True, format="ISO8601")
            frame[column] = moments.astype(UTC_TIME)
        else:
            frame[column] = frame[column].astype(dtype)
    return frame.reset_index(drop=True)


def empty(columns: dict[str, str]) -> pd.DataFrame:
    """A frame with no rows and the given typed columns."""
    return typed(pd.DataFrame(columns=list(columns)), columns)


@dataclass(frozen=True)
class Dataset:
    """The records an analysis needs, as of ``now``, each frame typed as declared above.

    ``zone`` is the school's time zone: days (active days, streaks, days since) and weeks are
    its calendar's, so an attempt at 8 p.m. in California counts on that day, not the next.
    """

    attempts: pd.DataFrame
    stages: pd.DataFrame
    quests: pd.DataFrame
    classrooms: pd.DataFrame
    students: pd.DataFrame
    enrollments: pd.DataFrame
    assignments: pd.DataFrame
    now: pd.Timestamp
    zone: str = "UTC"
    extensions: pd.DataFrame = field(default_factory=lambda: empty(EXTENSIONS))
    peer_reviews: pd.DataFrame = field(default_factory=lambda: empty(PEER_REVIEWS))

    @classmethod
    def of(
        cls,
        *,
        now: pd.Timestamp,
        attempts: pd.DataFrame | None = None,
        stages: pd.DataFrame | None = None,
        quests: pd.DataFrame | None = None,
        classrooms: pd.DataFrame | None = None,
        students: pd.DataFrame | None = None,
        enrollments: pd.DataFrame | None = None,
        assignments: pd.DataFrame | None = None,
        extensions: pd.DataFrame | None = None,
        peer_reviews: pd.DataFrame | None = None,
        zone: str = "UTC",
    ) -> Dataset:
        """A Dataset from plain frames (missing ones empty), every frame typed."""

        def frame(value: pd.DataFrame | None, columns: dict[str, str]) -> pd.DataFrame:
            return empty(columns) if value is None else typed(value, columns)

        return cls(
            attempts=frame(attempts, ATTEMPTS),
            stages=frame(stages, STAGES),
            quests=frame(quests, QUESTS),
            classrooms=frame(classrooms, CLASSROOMS),
            students=frame(students, STUDENTS),
            enrollments=frame(enrollments, ENROLLMENTS),
            assignments=frame(assignments, ASSIGNMENTS),
            extensions=frame(extensions, EXTENSIONS),
            peer_reviews=frame(peer_reviews, PEER_REVIEWS),
            now=pd.Timestamp(now).tz_convert("UTC")
            if pd.Timestamp(now).tzinfo
            else pd.Timestamp(now, tz="UTC"),
            zone=zone,
        )
