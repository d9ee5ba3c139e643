"""This deployment's own history as labelled examples: its classrooms' quests cut week by week,
each student's quest still in progress at a cut labelled with whether it was finished by the
due date.

Only quests whose due date is SETTLE_DAYS or more in the past count: by then the reviews of
work handed in on time have come in, so what became of each student is known. Each cut is read
as of its moment (``load_dataset(now=cut)``), so an example holds only what a teacher could
have seen then.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import Engine

from analytics.dataset import DONE_OUTCOMES, Dataset
from analytics.load import load_dataset
from analytics.prediction import LABELS, LabelledDataset, examples_frame

# A quest is judged this long after its due date, when late reviews have come in.
SETTLE_DAYS = 7
# Cuts for learning: every whole week after a quest opened, up to its due date.
LEARNING_WEEKS = tuple(range(1, 13))


def finished_by_due(dataset: Dataset) -> pd.DataFrame:
    """For every student with an attempt at a quest of a classroom, whether every stage of it had
    a passed (or late) attempt submitted by that classroom's due date: columns classroom_id,
    student_id, quest_id, finished (students who left since still count, as not enrolled)."""
    attempts = dataset.attempts.merge(
        dataset.assignments[["classroom_id", "quest_id", "due_at"]], on="quest_id"
    )
    in_time = attempts["outcome"].isin(list(DONE_OUTCOMES)) & (
        attempts["submitted_at"] <= attempts["due_at"]
    )
    keys = ["classroom_id", "student_id", "quest_id"]
    done = attempts[in_time].groupby(keys)["stage_id"].nunique().rename("done")
    totals = dataset.stages.groupby("quest_id").size().rename("total")
    pairs = attempts[keys].drop_duplicates().merge(done, on=keys, how="left")
    pairs = pairs.merge(totals, left_on="quest_id", right_index=True, how="left")
    pairs["finished"] = pairs["done"].fillna(0) >= pairs["total"].fillna(0)
    return pairs[[*keys, "finished"]].reset_index(drop=True)


def database_examples(
    engine: Engine,
    *,
    now: datetime,
    zone: str = "UTC",
    classroom_ids: Collection[int] | None = None,
    quest_ids: Collection[int] | None = None,
    weeks: Iterable[int] = LEARNING_WEEKS,
) -> pd.DataFrame:
    """The examples_frame of this deployment's settled quests, cut ``weeks`` after each opened.

    Every classroom, or ``classroom_ids``; every quest, or ``quest_ids``. Students who were in
    the class at a cut and left later count, as not having finished (unless they had).
    """
    everything = load_dataset(engine, classroom_ids=classroom_ids, now=now, zone=zone)
    settled = everything.assignments[
        everything.assignments["due_at"] <= pd.Timestamp(now) - timedelta(days=SETTLE_DAYS)
    ]
    if quest_ids is not None:
        settled = settled[settled["quest_id"].isin(list(quest_ids))]
    weeks = tuple(weeks)
    snapshots: list[LabelledDataset] = []
    for classroom_id, assignments in settled.groupby("classroom_id"):
        final = load_dataset(engine, classroom_ids=[int(classroom_id)], now=now, zone=zone)
        truth = finished_by_due(final)
        cuts: dict[pd.Timestamp, list[tuple[int, int]]] = {}
        for row in assignments.itertuples(index=False):
            for week in weeks:
                cut = row.opens_at + pd.Timedelta(weeks=week)
                if cut < row.due_at:
                    cuts.setdefault(cut, []).append((int(row.quest_id), week))
        for cut, quests in sorted(cuts.items()):
            dataset = load_dataset(
                engine, classroom_ids=[int(classroom_id)], now=cut.to_pydatetime(), zone=zone
            )
            at_cut = pd.DataFrame(quests, columns=["quest_id", "week"])
            pairs = dataset.enrollments.merge(at_cut, how="cross")
            labels = pairs.merge(truth, on=["classroom_id", "student_id", "quest_id"], how="left")
            labels["finished"] = labels["finished"].fillna(False).astype(bool)
            snapshots.append(LabelledDataset(dataset=dataset, labels=labels[list(LABELS)]))
    return examples_frame(snapshots)
