"""How well quest predictions tell who will finish: AUC with a bootstrap interval, Brier score
and calibration, for the model and for a naive baseline, on classes the model never saw.

The model is fitted on the training classes; the test classes' students are scored at each cut
(one, two, three weeks after a quest opened) and compared with what became of them. Only
quests still being worked on at the cut count: one already done needs no prediction. The
split is by class, and so by student, never by attempt. The baseline is a one-line rule:
a student who has not handed in the quest's first checkpoint yet is less likely to finish; its
two rates (checkpoint handed in or not, per week) are read from the training classes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import pandas as pd

from analytics.prediction import LabelledDataset, examples_frame, fit_examples

LEVEL = 0.95
REPLICATES = 2000
CALIBRATION_BINS = 5
WEEKS = (1, 2, 3)
_BLOCK = 250


@dataclass(frozen=True)
class Scores:
    """One predictor's quality on one set of students."""

    auc: float
    auc_low: float
    auc_high: float
    brier: float
    # bin ("0.0–0.2"), students, predicted (mean probability), observed (share who finished)
    calibration: pd.DataFrame


@dataclass(frozen=True)
class WeekQuality:
    """The model against the baseline at one cut: whole weeks after the quest opened."""

    week: int
    students: int  # (student, quest) pairs still being worked on at the cut
    finished: int  # of those, how many were finished by the due date
    model: Scores
    baseline: Scores

    @property
    def model_beats_baseline(self) -> bool:
        """Whether the model's AUC interval lies wholly above the baseline's."""
        return self.model.auc_low > self.baseline.auc_high


@dataclass(frozen=True)
class QualityReport:
    """Every cut's comparison, and how much data stood behind it."""

    weeks: tuple[WeekQuality, ...]
    training_students: int  # (student, quest) pairs the model was fitted on
    level: float


def roc_auc(finished: np.ndarray, scores: np.ndarray) -> float:
    """The chance that a student who finished scores higher than one who did not (ties: half).

    NaN when either group is empty.
    """
    finished = np.asarray(finished, dtype=bool)
    weights = np.ones((1, len(finished)))
    return float(_weighted_auc(finished, np.asarray(scores, dtype=float), weights)[0])


def bootstrap_auc_interval(
    finished: np.ndarray,
    scores: np.ndarray,
    *,
    groups: np.ndarray | None = None,
    seed: int,
    replicates: int = REPLICATES,
    level: float = LEVEL,
) -> tuple[float, float]:
    """The percentile bootstrap interval of the AUC, resampling whole groups (students).

    Each replicate draws as many groups as there are, with replacement, and keeps every row of
    each draw; the same seed gives the same interval.
    """
    finished = np.asarray(finished, dtype=bool)
    scores = np.asarray(scores, dtype=float)
    if len(finished) == 0:
        return (np.nan, np.nan)
    groups = np.arange(len(finished)) if groups is None else np.asarray(groups)
    _, codes = np.unique(groups, return_inverse=True, axis=0)
    codes = codes.reshape(-1)
    count = codes.max() + 1
    rng = np.random.default_rng(seed)
    aucs = []
    # In blocks of replicates, so that memory stays small however many students there are.
    for block in range(0, replicates, _BLOCK):
        draws = rng.multinomial(
            count, np.full(count, 1 / count), size=min(_BLOCK, replicates - block)
        )
        aucs.append(_weighted_auc(finished, scores, draws[:, codes].astype(float)))
    found = np.concatenate(aucs)
    found = found[~np.isnan(found)]
    if len(found) == 0:
        return (np.nan, np.nan)
    tail = (1 - level) / 2
    low, high = np.quantile(found, [tail, 1 - tail])
    return float(low), float(high)


def _weighted_auc(finished: np.ndarray, scores: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The AUC under each row of ``weights`` (replicates × students), all at once.

    Students are sorted by score once; within each group of tied scores, the weight of those
    who finished meets the weight of those who did not below it (and half of those level).
    """
    order = np.argsort(scores, kind="stable")
    ordered = scores[order]
    finished = finished[order]
    weights = weights[:, order]
    if len(ordered) == 0:
        return np.full(len(weights), np.nan)
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    positive = np.add.reduceat(weights * finished, starts, axis=1)
    negative = np.add.reduceat(weights * ~finished, starts, axis=1)
    below = np.cumsum(negative, axis=1) - negative
    wins = (positive * (below + 0.5 * negative)).sum(axis=1)
    pairs = positive.sum(axis=1) * negative.sum(axis=1)
    areas: np.ndarray = np.divide(wins, pairs, out=np.full(len(pairs), np.nan), where=pairs > 0)
    return areas


def brier_score(finished: np.ndarray, probabilities: np.ndarray) -> float:
    """The mean squared gap between each probability and what happened (0 is perfect)."""
    finished = np.asarray(finished, dtype=float)
    if len(finished) == 0:
        return np.nan
    return float(np.mean((np.asarray(probabilities, dtype=float) - finished) ** 2))


def calibration_table(
    finished: np.ndarray, probabilities: np.ndarray, *, bins: int = CALIBRATION_BINS
) -> pd.DataFrame:
    """Students grouped by predicted probability (equal-width bins, empty ones left out): how
    many, their mean prediction, and the share who really finished."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    labels = [f"{low:.1f}–{high:.1f}" for low, high in pairwise(edges)]
    frame = pd.DataFrame(
        {
            "bin": pd.cut(
                np.asarray(probabilities, dtype=float),
                edges,
                labels=labels,
                include_lowest=True,
            ),
            "probability": np.asarray(probabilities, dtype=float),
            "finished": np.asarray(finished, dtype=float),
        }
    )
    table = frame.groupby("bin", observed=True).agg(
        students=("finished", "size"),
        predicted=("probability", "mean"),
        observed=("finished", "mean"),
    )
    table = table.reset_index()
    table["bin"] = table["bin"].astype("string")
    return table


def score(
    finished: np.ndarray,
    probabilities: np.ndarray,
    *,
    groups: np.ndarray | None = None,
    seed: int,
    replicates: int = REPLICATES,
    level: float = LEVEL,
    bins: int = CALIBRATION_BINS,
) -> Scores:
    """AUC with its bootstrap interval, Brier score and calibration of one predictor."""
    low, high = bootstrap_auc_interval(
        finished, probabilities, groups=groups, seed=seed, replicates=replicates, level=level
    )
    return Scores(
        auc=roc_auc(finished, probabilities),
        auc_low=low,
        auc_high=high,
        brier=brier_score(finished, probabilities),
        calibration=calibration_table(finished, probabilities, bins=bins),
    )


def checkpoint_baseline(train: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
    """The baseline's probability for each test row: the training share who finished among
    students in the same week with the first checkpoint handed in, or not, at the cut."""
    cells = ["week", "checkpoint_missing"]
    rates = train.groupby(cells)["finished"].mean().rename("rate")
    by_week = train.groupby("week")["finished"].mean()
    looked_up = test[cells].merge(rates, left_on=cells, right_index=True, how="left")["rate"]
    overall = train["finished"].mean() if len(train) else 0.5
    fallback = test["week"].map(by_week).fillna(overall)
    probabilities: np.ndarray = looked_up.fillna(fallback).to_numpy(float)
    return probabilities


def evaluate_predictions(
    *,
    train: Sequence[LabelledDataset],
    test: Sequence[LabelledDataset],
    weeks: Iterable[int] = WEEKS,
    seed: int = 0,
    replicates: int = REPLICATES,
    level: float = LEVEL,
) -> QualityReport:
    """Fit the model and the baseline on ``train`` and score both on ``test``, week by week.

    The two must hold different classes (each with its own classroom id); the bootstrap
    resamples whole students, so a student's quests rise or fall together.
    """
    training = examples_frame(train)
    testing = examples_frame(test)
    shared = set(training["classroom_id"]) & set(testing["classroom_id"])
    if shared:
        raise ValueError(f"train and test share classes {sorted(shared)}: test on unseen students")
    model = fit_examples(training)
    testing["model"] = model.probabilities(testing) if len(testing) else []
    testing["baseline"] = checkpoint_baseline(training, testing)
    results = tuple(
        _week_quality(
            testing[testing["week"] == week],
            week=week,
            seed=seed + week,
            replicates=replicates,
            level=level,
        )
        for week in weeks
    )
    return QualityReport(weeks=results, training_students=len(training), level=level)


def _week_quality(
    rows: pd.DataFrame, *, week: int, seed: int, replicates: int, level: float
) -> WeekQuality:
    """Both predictors scored on one week's rows, on the same bootstrap resamples."""
    finished = rows["finished"].to_numpy(bool)
    students = rows[["classroom_id", "student_id"]].to_numpy()
    model, baseline = (
        score(
            finished,
            rows[predictor].to_numpy(float),
            groups=students,
            seed=seed,
            replicates=replicates,
            level=level,
        )
        for predictor in ("model", "baseline")
    )
    return WeekQuality(
        week=week,
        students=len(rows),
        finished=int(finished.sum()),
        model=model,
        baseline=baseline,
    )


def format_quality_report(report: QualityReport) -> str:
    """The report as plain text: per week, both AUCs with intervals, Brier scores, calibration
    tables and a verdict."""
    percent = f"{report.level:.0%}"
    blocks = []
    for week in report.weeks:
        lines = [
            f"Week {week.week} after a quest opened: {week.students} students' quests in progress, "
            f"{week.finished} of them finished by the due date",
            "",
            _table(
                ["", f"AUC [{percent} interval]", "Brier"],
                [
                    [name, _auc(scores), _number(scores.brier)]
                    for name, scores in (("Model", week.model), ("Baseline", week.baseline))
                ],
            ),
        ]
        for name, scores in (("model", week.model), ("baseline", week.baseline)):
            rows = [
                [row.bin, str(row.students), _number(row.predicted, 2), _number(row.observed, 2)]
                for row in scores.calibration.itertuples(index=False)
            ]
            lines += [
                "",
                f"Calibration, {name}:",
                _table(["Predicted", "Students", "Mean prediction", "Finished"], rows),
            ]
        if week.model_beats_baseline:
            verdict = f"the model beats the baseline: its {percent} interval lies above."
        else:
            verdict = f"the model does not beat the baseline: the {percent} intervals overlap."
        lines += ["", f"Verdict, week {week.week}: {verdict}"]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _auc(scores: Scores) -> str:
    return f"{_number(scores.auc)} [{_number(scores.auc_low)}, {_number(scores.auc_high)}]"


def _number(value: float, digits: int = 3) -> str:
    return "–" if np.isnan(value) else f"{value:.{digits}f}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    """Rows as aligned text columns under a header and a rule."""
    widths = [max(map(len, column)) for column in zip(header, *rows, strict=True)]
    lines = [header, ["-" * width for width in widths], *rows]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )
