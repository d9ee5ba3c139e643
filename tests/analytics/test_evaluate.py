"""Judging quest predictions: AUC and its bootstrap interval, Brier score, calibration, baseline."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from analytics.evaluate import (
    bootstrap_auc_interval,
    brier_score,
    calibration_table,
    checkpoint_baseline,
    evaluate_predictions,
    format_quality_report,
    roc_auc,
)
from seeds.cohorts import training_examples


def test_auc_counts_the_pairs_ranked_right():
    # Finished: 0.9 and 0.4; not: 0.8 and 0.1. Of the four pairs, 0.4 < 0.8 is the one wrong.
    finished = np.array([True, False, True, False])
    assert roc_auc(finished, np.array([0.9, 0.8, 0.4, 0.1])) == 0.75


def test_auc_counts_a_tie_as_half():
    assert roc_auc(np.array([True, False]), np.array([0.5, 0.5])) == 0.5
    assert roc_auc(np.array([True, False, False]), np.array([0.5, 0.5, 0.2])) == 0.75


def test_auc_agrees_with_scikit_learn():
    rng = np.random.default_rng(3)
    finished = rng.random(500) < 0.6
    scores = np.round(rng.random(500) + 0.3 * finished, 2)  # rounded, so with ties
    assert roc_auc(finished, scores) == pytest.approx(roc_auc_score(finished, scores))


def test_auc_needs_both_outcomes():
    assert math.isnan(roc_auc(np.array([True, True]), np.array([0.2, 0.9])))
    assert math.isnan(roc_auc(np.array([], dtype=bool), np.array([])))


def test_brier_score_is_the_mean_squared_gap():
    # (1 - 0.8)² and (0 - 0.3)²: (0.04 + 0.09) / 2.
    assert brier_score(np.array([True, False]), np.array([0.8, 0.3])) == pytest.approx(0.065)
    assert brier_score(np.array([True]), np.array([1.0])) == 0.0


def test_calibration_groups_students_by_their_prediction():
    table = calibration_table(
        np.array([False, True, True, True]), np.array([0.1, 0.15, 0.5, 1.0]), bins=5
    )
    assert table["bin"].tolist() == ["0.0–0.2", "0.4–0.6", "0.8–1.0"]
    assert table["students"].tolist() == [2, 1, 1]
    assert table["predicted"].tolist() == pytest.approx([0.125, 0.5, 1.0])
    assert table["observed"].tolist() == pytest.approx([0.5, 1.0, 1.0])


def sample(size: int = 400, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    finished = rng.random(size) < 0.5
    return finished, rng.random(size) + 0.5 * finished


def test_the_bootstrap_interval_is_the_same_for_the_same_seed():
    finished, scores = sample()
    first = bootstrap_auc_interval(finished, scores, seed=11, replicates=300)
    assert bootstrap_auc_interval(finished, scores, seed=11, replicates=300) == first
    assert bootstrap_auc_interval(finished, scores, seed=12, replicates=300) != first
    low, high = first
    assert low < roc_auc(finished, scores) < high
    assert 0.02 < high - low < 0.2


def test_the_bootstrap_resamples_whole_students():
    # Each student twice (two quests, say): drawn together, their rows are drawn twice over,
    # which changes no AUC, so the interval is the one of the students alone.
    finished, scores = sample(200)
    students = np.arange(200)
    alone = bootstrap_auc_interval(finished, scores, seed=5, replicates=300)
    twice = bootstrap_auc_interval(
        np.repeat(finished, 2),
        np.repeat(scores, 2),
        groups=np.repeat(students, 2),
        seed=5,
        replicates=300,
    )
    assert twice == pytest.approx(alone)
    rows = bootstrap_auc_interval(
        np.repeat(finished, 2), np.repeat(scores, 2), seed=5, replicates=300
    )
    assert rows[1] - rows[0] < alone[1] - alone[0], "resampling rows would overstate certainty"


def test_the_baseline_is_the_training_share_who_finished_by_week_and_checkpoint():
    train = pd.DataFrame(
        {
            "week": [1, 1, 1, 1, 1, 2, 2],
            "checkpoint_missing": [True, True, True, False, False, True, False],
            "finished": [False, False, True, True, True, False, True],
        }
    )
    test = pd.DataFrame({"week": [1, 1, 2, 3], "checkpoint_missing": [True, False, True, False]})
    assert checkpoint_baseline(train, test).tolist() == pytest.approx([1 / 3, 1.0, 0.0, 4 / 7])


@pytest.fixture(scope="module")
def report():
    return evaluate_predictions(
        train=training_examples([1, 2]), test=training_examples([3]), seed=0, replicates=200
    )


def test_evaluation_scores_both_predictors_at_each_week(report):
    assert [week.week for week in report.weeks] == [1, 2, 3]
    assert report.training_students > 0
    for week in report.weeks:
        assert 0 < week.finished < week.students
        for scores in (week.model, week.baseline):
            assert 0 <= scores.auc_low <= scores.auc <= scores.auc_high <= 1
            assert 0 <= scores.brier <= 1
            assert scores.calibration["students"].sum() == week.students
            assert list(scores.calibration.columns) == ["bin", "students", "predicted", "observed"]


def test_evaluation_refuses_to_test_on_training_classes():
    examples = training_examples([4])
    with pytest.raises(ValueError, match="share classes"):
        evaluate_predictions(train=examples, test=examples)


def test_the_report_reads_as_a_table_per_week(report):
    text = format_quality_report(report)
    for week in report.weeks:
        assert f"Week {week.week} after a quest opened: {week.students} students' quests" in text
        assert f"Verdict, week {week.week}: the model" in text
    model = report.weeks[0].model
    assert (
        f"Model     {model.auc:.3f} [{model.auc_low:.3f}, {model.auc_high:.3f}]  "
        f"{model.brier:.3f}" in text
    )
    assert text.count("Calibration, model:") == 3
    assert text.count("Calibration, baseline:") == 3
