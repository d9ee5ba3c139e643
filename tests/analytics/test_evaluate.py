"""Judging quest predictions: AUC and its bootstrap intervals, Brier score, calibration, and the
backtest against the completion rate and the share of stages done."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from analytics.evaluate import (
    backtest,
    bootstrap_auc_interval,
    brier_score,
    calibration_table,
    format_quality_report,
    held_out_probabilities,
    paired_auc_gain_interval,
    quality_summary,
    roc_auc,
    score,
)
from analytics.model import shipped_model
from analytics.prediction import examples_frame, fit_local
from seeds.cohorts import training_examples

# Pure functions: the database engine plays no part, so the PostgreSQL run leaves them out.
pytestmark = pytest.mark.engine_independent


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


def test_the_paired_gain_is_zero_against_itself_and_positive_against_noise():
    finished, scores = sample()
    rng = np.random.default_rng(2)
    same = paired_auc_gain_interval(finished, scores, scores, seed=3, replicates=300)
    assert same == (0.0, 0.0)
    noise = paired_auc_gain_interval(
        finished, scores, rng.random(len(scores)), seed=3, replicates=300
    )
    assert 0 < noise[0] < noise[1]
    worse = paired_auc_gain_interval(
        finished, rng.random(len(scores)), scores, seed=3, replicates=300
    )
    assert worse[0] < worse[1] < 0


def test_the_calibration_error_weighs_each_bin_by_its_students():
    # Bin 0.1–0.2: 2 students predicted 0.15, none finished; bin 0.9–1.0: 2 at 0.95, both did.
    finished = np.array([False, False, True, True])
    scores = score(finished, np.array([0.15, 0.15, 0.95, 0.95]), seed=0, replicates=100)
    assert scores.calibration_error == pytest.approx(0.1)


def examples(classrooms: int, *, seed: int = 0) -> pd.DataFrame:
    """An examples_frame of simulated classes at weeks 1-3 (and 4, to learn from)."""
    return examples_frame(training_examples(range(seed, seed + classrooms), weeks=(1, 2, 3, 4)))


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return examples(4, seed=40)


@pytest.fixture(scope="module")
def report(frame):
    return backtest(frame, prior=shipped_model(), replicates=200)


def test_held_out_probabilities_come_from_models_that_never_saw_the_classroom(frame):
    prior = shipped_model()
    held_out = held_out_probabilities(frame, prior=prior)
    # The first classroom alone: its fold's model learned from the other three only.
    first = frame["classroom_id"] == frame["classroom_id"].min()
    others = frame[~first]
    alone = fit_local(others, prior=prior, groups=others["classroom_id"])
    assert held_out[first.to_numpy()] == pytest.approx(alone.probabilities(frame[first]))


def test_leaving_out_quests_keeps_each_quest_in_one_fold(frame):
    prior = shipped_model()
    by_quest = held_out_probabilities(frame, prior=prior, leave_out="quest")
    assert by_quest.shape == (len(frame),)
    assert np.all((by_quest > 0) & (by_quest < 1))
    with pytest.raises(ValueError, match="classroom or a quest"):
        held_out_probabilities(frame, prior=prior, leave_out="student")


def test_the_backtest_scores_the_model_and_its_rivals_at_each_week(report, frame):
    assert [week.week for week in report.weeks] == [1, 2, 3]
    assert report.examples == len(frame)
    assert report.classrooms == 4
    for week in report.weeks:
        assert week.students == (frame["week"] == week.week).sum()
        assert 0 < week.finished < week.students
        for scores in (week.model, week.share_done):
            assert 0 <= scores.auc_low <= scores.auc <= scores.auc_high <= 1
            assert scores.calibration["students"].sum() == week.students
        rate = week.finished / week.students
        assert week.constant_brier == pytest.approx(rate * (1 - rate))
        assert week.gain_low <= week.model.auc - week.share_done.auc <= week.gain_high


def test_the_report_reads_as_a_table_per_week_with_a_verdict(report):
    text = format_quality_report(report)
    assert text.startswith(f"{report.examples} examples from 4 classrooms")
    for week in report.weeks:
        assert f"Week {week.week} after a quest opened: {week.students} students' quests" in text
        assert f"Verdict, week {week.week}: its probabilities" in text
    model = report.weeks[0].model
    assert f"Model                       {model.auc:.3f} [{model.auc_low:.3f}," in text
    assert text.count("Expected calibration error:") == 3


def test_too_little_data_is_said_plainly_not_judged(frame):
    few = frame[frame["student_id"] <= 4]
    report = backtest(few, prior=shipped_model(), replicates=100)
    text = format_quality_report(report)
    assert "Too little data to judge week 1" in text
    assert "Verdict" not in text
    summary = quality_summary(report)
    assert summary["weeks"][0]["enough_data"] is False


def test_the_summary_holds_plain_numbers(report):
    summary = quality_summary(report)
    assert summary["examples"] == report.examples
    week = summary["weeks"][0]
    assert week["auc"] == round(report.weeks[0].model.auc, 4)
    assert isinstance(week["calibration_error"], float)
