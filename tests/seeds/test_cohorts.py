"""Simulated classes as Datasets: ids and frames, the ground truth, and history cut at a moment."""

from __future__ import annotations

import json
from datetime import timedelta

import pandas as pd
import pytest

from analytics.dataset import Dataset
from analytics.model import MODEL_FILE
from analytics.prediction import QuestModel, quest_features
from seeds.cohorts import (
    CUTOFF_WEEKS,
    MAX_CLASS_SIZE,
    MIN_CLASS_SIZE,
    class_dataset,
    cohort_dataset,
    finished_by_due,
    fit_default_model,
    labelled_snapshots,
    simulate_class,
    simulated_class,
    training_examples,
)

# Pure functions: the database engine plays no part, so the PostgreSQL run leaves them out.
pytestmark = pytest.mark.engine_independent

SEEDS = range(1, 13)
NOW = pd.Timestamp("2025-09-29 12:00", tz="UTC")
OPENS = NOW - pd.Timedelta(days=21)
DUE = NOW - pd.Timedelta(days=1)


@pytest.fixture(scope="module")
def plan():
    return simulated_class(3)


@pytest.fixture(scope="module")
def full(plan):
    return class_dataset(plan)


def test_a_seed_always_makes_the_same_class():
    assert simulated_class(7) == simulated_class(7)
    assert simulated_class(7) != simulated_class(8)
    assert class_dataset(simulated_class(7)).attempts.equals(
        class_dataset(simulated_class(7)).attempts
    )


def test_classes_differ_in_size_and_mix_within_the_bounds():
    plans = [simulated_class(seed) for seed in SEEDS]
    sizes = [len(plan.student_keys) for plan in plans]
    assert all(MIN_CLASS_SIZE <= size <= MAX_CLASS_SIZE for size in sizes)
    assert len(set(sizes)) > 8
    assert max(sizes) - min(sizes) > 60
    struggler_shares = {round(plan.mix["struggler"] / sum(plan.mix.values()), 3) for plan in plans}
    assert len(struggler_shares) == len(plans)


def test_quests_are_realistic():
    for plan in (simulated_class(seed) for seed in SEEDS):
        assert 2 <= len(plan.quests) <= 3
        for quest in plan.quests:
            kinds = [stage.kind for stage in quest.stages]
            assert 6 <= len(kinds) <= 8
            assert "checkpoint" in kinds
            assert len(set(kinds)) >= 4
            assert quest.opens_at.weekday() == 0, "opens on a Monday"
            assert quest.due_at.weekday() == 4, "due on a Friday"
            assert timedelta(weeks=3) < quest.due_at - quest.opens_at < timedelta(weeks=5)
        assert plan.end > max(quest.due_at for quest in plan.quests) + timedelta(days=2)


def test_a_cohort_becomes_a_dataset_of_one_classroom(plan, full):
    cohort = simulate_class(plan)
    assert isinstance(full, Dataset)
    assert full.now == pd.Timestamp(plan.end)
    assert full.classrooms["classroom_id"].tolist() == [plan.seed]
    assert full.students["name"].tolist() == list(plan.student_keys)
    assert full.students["student_id"].tolist() == list(range(1, len(plan.student_keys) + 1))
    assert set(full.enrollments["classroom_id"]) == {plan.seed}
    assert len(full.enrollments) == len(plan.student_keys)
    assert full.quests["slug"].tolist() == [quest.key for quest in plan.quests]
    assert full.assignments["opens_at"].tolist() == [
        pd.Timestamp(quest.opens_at) for quest in plan.quests
    ]
    assert full.assignments["due_at"].tolist() == [
        pd.Timestamp(quest.due_at) for quest in plan.quests
    ]
    assert len(full.stages) == sum(len(quest.stages) for quest in plan.quests)
    assert len(full.attempts) == len(cohort.attempts)
    stage_of = full.stages.set_index("stage_id")
    first = cohort.attempts[0]
    row = full.attempts.iloc[0]
    assert full.students.set_index("student_id").loc[row["student_id"], "name"] == (
        first.student_key
    )
    assert stage_of.loc[row["stage_id"], "position"] == first.stage_position
    assert stage_of.loc[row["stage_id"], "quest_id"] == row["quest_id"]
    assert row["submitted_at"] == pd.Timestamp(first.submitted_at)


def test_pending_checkpoints_have_no_score(plan):
    cut = class_dataset(plan, now=plan.start + timedelta(days=9))
    pending = cut.attempts[cut.attempts["outcome"] == "pending_review"]
    assert len(pending) > 0
    assert pending["score"].isna().all()


def test_a_cut_holds_only_the_history_up_to_it(plan, full):
    moment = plan.start + timedelta(days=10)
    cut = class_dataset(plan, now=moment)
    assert cut.now == pd.Timestamp(moment)
    assert (cut.attempts["submitted_at"] <= pd.Timestamp(moment)).all()
    earlier = full.attempts[full.attempts["submitted_at"] <= pd.Timestamp(moment)]
    columns = ["student_id", "stage_id", "submitted_at"]
    assert (
        cut.attempts[columns].reset_index(drop=True).equals(earlier[columns].reset_index(drop=True))
    )


def make_dataset(attempts: list[tuple[int, int, str, pd.Timestamp]]) -> Dataset:
    """Two students, one three-stage quest; attempts as (student, position, outcome, time)."""
    return Dataset.of(
        now=NOW,
        attempts=pd.DataFrame(
            [
                (number, student, 1, position, time, time, 1.0, 1.0, outcome)
                for number, (student, position, outcome, time) in enumerate(attempts, 1)
            ],
            columns=[
                "attempt_id",
                "student_id",
                "quest_id",
                "stage_id",
                "started_at",
                "submitted_at",
                "score",
                "max_score",
                "outcome",
            ],
        ),
        stages=pd.DataFrame(
            {
                "stage_id": [1, 2, 3],
                "quest_id": 1,
                "position": [1, 2, 3],
                "kind": ["lesson", "timed", "checkpoint"],
                "title": "Stage",
                "points": 10,
            }
        ),
        quests=pd.DataFrame({"quest_id": [1], "slug": ["q"], "title": ["Q"]}),
        classrooms=pd.DataFrame({"classroom_id": [1], "name": ["C"]}),
        students=pd.DataFrame({"student_id": [1, 2, 3], "name": "S", "pseudonym": "P"}),
        enrollments=pd.DataFrame({"classroom_id": 1, "student_id": [1, 2, 3]}),
        assignments=pd.DataFrame(
            {"classroom_id": [1], "quest_id": [1], "opens_at": [OPENS], "due_at": [DUE]}
        ),
    )


def test_finished_by_due_needs_every_stage_done_in_time():
    day = pd.Timedelta(days=1)
    dataset = make_dataset(
        [
            (1, 1, "passed", OPENS + day),
            (1, 2, "late", OPENS + 2 * day),  # a late timed stage still completes it
            (1, 3, "failed", OPENS + 3 * day),
            (1, 3, "passed", DUE - day),
            (2, 1, "passed", OPENS + day),
            (2, 2, "passed", OPENS + day),
            (2, 3, "pending_review", DUE - day),  # not yet done
            (3, 1, "passed", OPENS + day),
            (3, 2, "passed", OPENS + day),
            (3, 3, "passed", DUE + pd.Timedelta(hours=1)),  # done, but after the due date
        ]
    )
    truth = finished_by_due(dataset).set_index("student_id")["finished"]
    assert truth.to_dict() == {1: True, 2: False, 3: False}


def test_labels_come_from_the_full_history_and_features_from_the_cut(plan, full):
    truth = finished_by_due(full).set_index(["student_id", "quest_id"])["finished"]
    snapshots = labelled_snapshots(plan)
    cuts = {
        pd.Timestamp(quest.opens_at + timedelta(weeks=week))
        for quest in plan.quests
        for week in CUTOFF_WEEKS
    }
    assert [snapshot.dataset.now for snapshot in snapshots] == sorted(cuts)
    finished_later = 0
    for snapshot in snapshots:
        labels = snapshot.labels
        assert (snapshot.dataset.attempts["submitted_at"] <= snapshot.dataset.now).all()
        assert labels["week"].isin(CUTOFF_WEEKS).all()
        pairs = list(zip(labels["student_id"], labels["quest_id"], strict=True))
        assert labels["finished"].tolist() == truth.loc[pairs].tolist()
        opens = snapshot.dataset.assignments.set_index("quest_id")["opens_at"]
        weeks_open = (snapshot.dataset.now - labels["quest_id"].map(opens)) / pd.Timedelta(weeks=1)
        assert (weeks_open == labels["week"]).all()
        at_cut = finished_by_due(snapshot.dataset).set_index(["student_id", "quest_id"])
        done_at_cut = at_cut.loc[pairs, "finished"].to_numpy()
        finished_later += int((labels["finished"].to_numpy() & ~done_at_cut).sum())
    assert finished_later > 0, "some students finish after a cut, which only the labels know"


def test_training_examples_cover_each_class_in_order():
    examples = training_examples([5, 6])
    classrooms = [int(example.dataset.classrooms["classroom_id"].iloc[0]) for example in examples]
    assert classrooms == sorted(classrooms)
    assert set(classrooms) == {5, 6}
    assert len(examples) == len(labelled_snapshots(simulated_class(5))) + len(
        labelled_snapshots(simulated_class(6))
    )


def test_cohort_dataset_takes_its_classroom_from_the_caller(plan):
    cohort = simulate_class(plan, now=plan.start + timedelta(days=3))
    dataset = cohort_dataset(
        cohort, quests=plan.quests, now=plan.start + timedelta(days=3), classroom_id=42
    )
    assert dataset.classrooms["classroom_id"].tolist() == [42]
    assert set(dataset.assignments["classroom_id"]) == {42}


def test_the_shipped_model_file_holds_what_fitting_gives():
    kept = json.loads(MODEL_FILE.read_text("utf-8"))
    fitted = fit_default_model().parameters()
    assert kept["inputs"] == fitted["inputs"]
    for key in ("mean", "scale", "coefficients", "intercept"):
        assert kept[key] == pytest.approx(fitted[key], rel=1e-6), key


def test_a_model_rebuilt_from_its_parameters_predicts_the_same():
    dataset = class_dataset(simulated_class(5), now=simulated_class(5).start + timedelta(weeks=2))
    fitted = fit_default_model()
    rebuilt = QuestModel.from_parameters(fitted.parameters())
    features = quest_features(dataset)
    assert rebuilt.probabilities(features) == pytest.approx(fitted.probabilities(features))
    with pytest.raises(ValueError, match="fit the model again"):
        QuestModel.from_parameters({**fitted.parameters(), "inputs": ["progress"]})
