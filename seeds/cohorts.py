"""Simulated classes as analytics Datasets, with the ground truth that predictions are tested on.

A seed number makes a class: its size (30 to 180 students), its mix of personas, and two or
three quests of six to eight stages that open a week or two apart, each due on the Friday of
its fourth or fifth week. ``class_dataset`` simulates the class up to a moment and turns the cohort
into a Dataset; ``finished_by_due`` reads the ground truth from the full simulation; and
``labelled_snapshots`` pairs the history cut one, two and three weeks after each quest opened
with what became of each student in the end.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pandas as pd

from analytics.dataset import Dataset
from analytics.history import finished_by_due as finished_in_time
from analytics.model import MODEL_FILE, write_model
from analytics.prediction import LABELS, LabelledDataset, QuestModel, fit_model
from seeds.simulate import PERSONA_MIX, Cohort, QuestSpec, StageSpec, simulate_cohort

# A Monday morning: every simulated class starts on it, its first quest opening at once.
DEFAULT_START = datetime(2025, 9, 1, 8, 0, tzinfo=UTC)
MIN_CLASS_SIZE = 30
MAX_CLASS_SIZE = 180
CUTOFF_WEEKS = (1, 2, 3)
# Cuts to learn from: every week a simulated quest is open (they last three to five weeks).
SIMULATED_WEEKS = (1, 2, 3, 4, 5)

# Stage kinds in the order a quest presents them, after the demo quests in seeds/data/quests.
QUEST_LAYOUTS = (
    ("lesson", "lesson", "quiz", "lesson", "checkpoint", "reflection", "self_check"),
    ("lesson", "quiz", "code", "checkpoint", "timed", "reflection", "self_check"),
    ("lesson", "lesson", "quiz", "lesson", "timed", "checkpoint", "reflection", "self_check"),
    ("lesson", "quiz", "code", "checkpoint", "reflection", "self_check"),
    ("lesson", "code", "quiz", "checkpoint", "code", "checkpoint", "reflection", "self_check"),
    ("lesson", "lesson", "lesson", "quiz", "timed", "checkpoint", "self_check"),
)
POINTS = {
    "lesson": 10,
    "quiz": 20,
    "code": 20,
    "checkpoint": 30,
    "timed": 20,
    "reflection": 10,
    "self_check": 5,
}
TIMED_LIMITS = (180, 300)
# How far each persona's share may stray from PERSONA_MIX, as a factor, from class to class.
MIX_SPREAD = (0.4, 1.8)


@dataclass(frozen=True)
class SimulatedClass:
    """Everything the simulator needs to play one class, decided by its seed."""

    seed: int
    student_keys: tuple[str, ...]
    quests: tuple[QuestSpec, ...]
    mix: Mapping[str, float]
    start: datetime

    @property
    def end(self) -> datetime:
        """A week after the last due date: every review has settled by then."""
        return max(quest.due_at for quest in self.quests) + timedelta(weeks=1)

    @property
    def weeks(self) -> int:
        """Whole weeks from the start to the end."""
        return math.ceil((self.end - self.start) / timedelta(weeks=1))


def simulated_class(seed: int, *, start: datetime = DEFAULT_START) -> SimulatedClass:
    """The class a seed number makes: the same seed always gives the same class."""
    rng = random.Random(f"class:{seed}")
    size = rng.randint(MIN_CLASS_SIZE, MAX_CLASS_SIZE)
    mix = {persona: share * rng.uniform(*MIX_SPREAD) for persona, share in PERSONA_MIX.items()}
    gap = timedelta(weeks=rng.choice((1, 2)))
    quests = []
    for index in range(rng.choice((2, 3))):
        opens = start + index * gap
        # Due on a Friday evening, four or five weeks after opening on a Monday morning.
        due = opens + timedelta(weeks=rng.choice((3, 4)), days=4, hours=12)
        layout = rng.choice(QUEST_LAYOUTS)
        stages = tuple(
            StageSpec(
                position=position,
                kind=kind,
                max_score=float(POINTS[kind]),
                time_limit_seconds=rng.choice(TIMED_LIMITS) if kind == "timed" else None,
            )
            for position, kind in enumerate(layout, start=1)
        )
        quests.append(
            QuestSpec(key=f"quest-{index + 1}", stages=stages, opens_at=opens, due_at=due)
        )
    return SimulatedClass(
        seed=seed,
        student_keys=tuple(f"student-{number:03d}" for number in range(1, size + 1)),
        quests=tuple(quests),
        mix=mix,
        start=start,
    )


def simulate_class(plan: SimulatedClass, *, now: datetime | None = None) -> Cohort:
    """The class's cohort, simulated up to ``now`` (default: the end)."""
    return simulate_cohort(
        seed=plan.seed,
        student_keys=plan.student_keys,
        quests=plan.quests,
        start=plan.start,
        weeks=plan.weeks,
        now=plan.end if now is None else now,
        mix=plan.mix,
    )


def class_dataset(plan: SimulatedClass, *, now: datetime | None = None) -> Dataset:
    """The class simulated up to ``now`` (default: the end) as a Dataset; classroom id = seed."""
    moment = plan.end if now is None else now
    return cohort_dataset(
        simulate_class(plan, now=moment),
        quests=plan.quests,
        now=moment,
        classroom_id=plan.seed,
        classroom_name=f"Simulated class {plan.seed}",
    )


def cohort_dataset(
    cohort: Cohort,
    *,
    quests: Sequence[QuestSpec],
    now: datetime,
    classroom_id: int = 1,
    classroom_name: str = "Simulated class",
) -> Dataset:
    """A simulated cohort as a Dataset: one classroom, every student enrolled, every quest
    assigned with its opening and due dates. Ids count from 1 in the order given; students are
    named by their keys."""
    student_ids = {profile.key: number for number, profile in enumerate(cohort.profiles, 1)}
    quest_ids = {quest.key: number for number, quest in enumerate(quests, 1)}
    stage_rows = [
        {
            "quest_id": quest_ids[quest.key],
            "position": stage.position,
            "kind": stage.kind,
            "title": f"{stage.kind.replace('_', ' ').capitalize()} {stage.position}",
            "points": round(stage.max_score),
        }
        for quest in quests
        for stage in sorted(quest.stages, key=lambda stage: stage.position)
    ]
    stages = pd.DataFrame(stage_rows, columns=["quest_id", "position", "kind", "title", "points"])
    stages.insert(0, "stage_id", range(1, len(stages) + 1))
    stage_ids = {
        (quest_id, position): stage_id
        for stage_id, quest_id, position in stages[["stage_id", "quest_id", "position"]].itertuples(
            index=False
        )
    }
    attempts = pd.DataFrame(
        {
            "attempt_id": range(1, len(cohort.attempts) + 1),
            "student_id": [student_ids[a.student_key] for a in cohort.attempts],
            "quest_id": [quest_ids[a.quest_key] for a in cohort.attempts],
            "stage_id": [
                stage_ids[quest_ids[a.quest_key], a.stage_position] for a in cohort.attempts
            ],
            "started_at": [a.started_at for a in cohort.attempts],
            "submitted_at": [a.submitted_at for a in cohort.attempts],
            "score": [math.nan if a.score is None else a.score for a in cohort.attempts],
            "max_score": [a.max_score for a in cohort.attempts],
            "outcome": [a.outcome for a in cohort.attempts],
        }
    )
    students = pd.DataFrame(
        {"student_id": list(student_ids.values()), "name": list(student_ids)}
    ).assign(pseudonym=lambda frame: frame["name"])
    return Dataset.of(
        now=pd.Timestamp(now),
        attempts=attempts,
        stages=stages,
        quests=pd.DataFrame(
            {
                "quest_id": list(quest_ids.values()),
                "slug": list(quest_ids),
                "title": [key.replace("-", " ").title() for key in quest_ids],
            }
        ),
        classrooms=pd.DataFrame({"classroom_id": [classroom_id], "name": [classroom_name]}),
        students=students,
        enrollments=students[["student_id"]].assign(classroom_id=classroom_id),
        assignments=pd.DataFrame(
            {
                "classroom_id": classroom_id,
                "quest_id": [quest_ids[quest.key] for quest in quests],
                "opens_at": [quest.opens_at for quest in quests],
                "due_at": [quest.due_at for quest in quests],
            }
        ),
    )


def finished_by_due(dataset: Dataset) -> pd.DataFrame:
    """For every enrolled student and assigned quest, whether every stage had a passed (or late)
    attempt submitted by the due date (``analytics.history.finished_by_due``'s rule): columns
    student_id, quest_id, finished."""
    keys = ["classroom_id", "student_id", "quest_id"]
    pairs = dataset.assignments.merge(dataset.enrollments, on="classroom_id")[keys]
    labels = pairs.merge(finished_in_time(dataset), on=keys, how="left")
    labels["finished"] = labels["finished"].fillna(False).astype(bool)
    return labels[["student_id", "quest_id", "finished"]].reset_index(drop=True)


def labelled_snapshots(
    plan: SimulatedClass, *, weeks: Iterable[int] = CUTOFF_WEEKS
) -> list[LabelledDataset]:
    """The class cut ``weeks`` after each quest opened, labelled with the full simulation's truth.

    Each snapshot's Dataset holds only the history up to its cut; its labels cover the quests
    that had been open exactly that many weeks then (several quests can share a cut).
    """
    truth = finished_by_due(class_dataset(plan))
    quest_ids = {quest.key: number for number, quest in enumerate(plan.quests, 1)}
    cuts: dict[datetime, list[tuple[int, int]]] = {}
    for quest in plan.quests:
        for week in weeks:
            cut = quest.opens_at + timedelta(weeks=week)
            if cut < quest.due_at:
                cuts.setdefault(cut, []).append((quest_ids[quest.key], week))
    snapshots = []
    for cut in sorted(cuts):
        at_cut = pd.DataFrame(cuts[cut], columns=["quest_id", "week"])
        labels = truth.merge(at_cut, on="quest_id")[list(LABELS)]
        snapshots.append(LabelledDataset(dataset=class_dataset(plan, now=cut), labels=labels))
    return snapshots


def training_examples(
    seeds: Iterable[int], *, weeks: Iterable[int] = CUTOFF_WEEKS
) -> list[LabelledDataset]:
    """The labelled snapshots of the classes made by ``seeds``, cut ``weeks`` after each quest
    opened, in order."""
    weeks = tuple(weeks)
    return [
        snapshot
        for seed in seeds
        for snapshot in labelled_snapshots(simulated_class(seed), weeks=weeks)
    ]


# Simulated classes the shipped model (analytics/model.py) is fitted on.
DEFAULT_TRAINING_SEEDS = tuple(range(1, 9))


def fit_default_model() -> QuestModel:
    """The quest model the platform ships, fitted afresh on DEFAULT_TRAINING_SEEDS classes."""
    return fit_model(training_examples(DEFAULT_TRAINING_SEEDS, weeks=SIMULATED_WEEKS))


if __name__ == "__main__":
    write_model(fit_default_model())
    print(f"Wrote {MODEL_FILE}")
