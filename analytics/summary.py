"""Quick summaries of attempt records, for seeding and command-line output."""

from __future__ import annotations

import pandas as pd


def weekly_activity(attempts: pd.DataFrame) -> pd.DataFrame:
    """Return attempts and active students per ISO week and classroom."""
    if attempts.empty:
        return pd.DataFrame(columns=["classroom_id", "week", "attempts", "active_students"])
    week = attempts["submitted_at"].dt.tz_convert(None).dt.to_period("W-SUN").dt.start_time
    grouped = attempts.assign(week=week.dt.date).groupby(["classroom_id", "week"], observed=True)
    return grouped.agg(
        attempts=("id", "size"), active_students=("student_id", "nunique")
    ).reset_index()
