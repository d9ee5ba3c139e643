"""How well quest predictions tell who will finish, on records the model never learned from.

A backtest: the examples (students' quests still being worked on at cuts one, two, three...
weeks after each quest opened, with what became of them) are split by whole classrooms, or
whole quests; the model learns from all folds but one (``fit_local``, from the prior) and
predicts the one left out, until every example has a prediction it did not learn from. Then,
week by week, the model is held against two plain rivals:

- always predicting the completion rate (its Brier score is the bar for probabilities),
- the share of the quest's stages done (its AUC is the bar for telling who will finish),

with AUCs and their difference bootstrapped by student (a student's quests rise and fall
together), the Brier scores, a calibration table and the expected calibration error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd

from analytics.prediction import QuestModel, fit_local, fold_indices

LEVEL = 0.95
REPLICATES = 2000
CALIBRATION_BINS = 10
WEEKS = (1, 2, 3)
FOLDS = 5
# Below these, a week's figures would be noise: the report says so instead of judging.
MIN_EXAMPLES = 40
MIN_EACH_OUTCOME = 10
# The largest expected calibration error still called calibrated.
CALIBRATED_WITHIN = 0.05
_BLOCK = 250


@dataclass(frozen=True)
class Scores:
    """One predictor's quality on one set of students."""

    auc: float
    auc_low: float
    auc_high: float
    brier: float
    # bin ("0.0–0.1"), students, predicted (mean probability), observed (share who finished)
    calibration: pd.DataFrame

    @property
    def calibration_error(self) -> float:
        """The expected calibration error: the gap between mean prediction and share finished
        in each bin, weighted by the bin's students."""
        table = self.calibration
        if table.empty:
            return np.nan
        gaps = (table["predicted"] - table["observed"]).abs() * table["students"]
        return float(gaps.sum() / table["students"].sum())


@dataclass(frozen=True)
class WeekQuality:
    """The model against its rivals at one cut: whole weeks after the quest opened."""

    week: int
    students: int  # (student, quest) pairs still being worked on at the cut
    finished: int  # of those, how many were finished by the due date
    model: Scores
    share_done: Scores  # the share of stages done, as a score
    constant_brier: float  # always predicting this week's completion rate
    # The bootstrap interval of the model's AUC minus the share of stages done's, paired.
    gain_low: float
    gain_high: float

    @property
    def enough_data(self) -> bool:
        """Whether there are enough examples, finished and not, to judge at all."""
        return (
            self.students >= MIN_EXAMPLES
            and min(self.finished, self.students - self.finished) >= MIN_EACH_OUTCOME
        )

    @property
    def beats_constant(self) -> bool:
        """Whether the model's Brier score is below always predicting the completion rate."""
        return bool(self.model.brier < self.constant_brier)

    @property
    def beats_share_done(self) -> bool:
        """Whether the model tells who finishes better than the share of stages done: the
        paired interval of the AUC difference lies above zero."""
        return bool(self.gain_low > 0)

    @property
    def calibrated(self) -> bool:
        """Whether the expected calibration error is within CALIBRATED_WITHIN."""
        return bool(self.model.calibration_error <= CALIBRATED_WITHIN)


@dataclass(frozen=True)
class QualityReport:
    """Every cut's comparison, and how much data stood behind it."""

    weeks: tuple[WeekQuality, ...]
    examples: int  # (student, quest, cut) examples in the backtest
    classrooms: int
    quests: int
    leave_out: str  # "classroom" or "quest": what each fold held out whole
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
    return _bootstrap_interval(
        lambda weights: _weighted_auc(finished, scores, weights),
        len(finished),
        groups=groups,
        seed=seed,
        replicates=replicates,
        level=level,
    )


def _bootstrap_interval(
    statistic: Callable[[np.ndarray], np.ndarray],
    rows: int,
    *,
    groups: np.ndarray | None,
    seed: int,
    replicates: int,
    level: float,
) -> tuple[float, float]:
    """The percentile interval of ``statistic`` (rows of weights → one value per row) over
    bootstrap resamples of whole groups, drawn as weights on the ``rows``."""
    if rows == 0:
        return (np.nan, np.nan)
    groups = np.arange(rows) if groups is None else np.asarray(groups)
    _, codes = np.unique(groups, return_inverse=True, axis=0)
    codes = codes.reshape(-1)
    count = codes.max() + 1
    rng = np.random.default_rng(seed)
    found = []
    # In blocks of replicates, so that memory stays small however many students there are.
    for block in range(0, replicates, _BLOCK):
        draws = rng.multinomial(
            count, np.full(count, 1 / count), size=min(_BLOCK, replicates - block)
        )
        found.append(statistic(draws[:, codes].astype(float)))
    values = np.concatenate(found)
    values = values[~np.isnan(values)]
    if len(values) == 0:
        return (np.nan, np.nan)
    tail = (1 - level) / 2
    low, high = np.quantile(values, [tail, 1 - tail])
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


def paired_auc_gain_interval(
    finished: np.ndarray,
    scores: np.ndarray,
    rival: np.ndarray,
    *,
    groups: np.ndarray | None = None,
    seed: int,
    replicates: int = REPLICATES,
    level: float = LEVEL,
) -> tuple[float, float]:
    """The percentile bootstrap interval of AUC(scores) − AUC(rival), both on the same
    resamples of whole groups (students), so that what they share cancels out."""
    finished = np.asarray(finished, dtype=bool)
    scores = np.asarray(scores, dtype=float)
    rival = np.asarray(rival, dtype=float)
    return _bootstrap_interval(
        lambda weights: (
            _weighted_auc(finished, scores, weights) - _weighted_auc(finished, rival, weights)
        ),
        len(finished),
        groups=groups,
        seed=seed,
        replicates=replicates,
        level=level,
    )


def held_out_probabilities(
    frame: pd.DataFrame, *, prior: QuestModel, leave_out: str = "classroom", folds: int = FOLDS
) -> np.ndarray:
    """Each example's probability from a model fitted (``fit_local``) without its fold.

    ``frame`` is an examples_frame; folds hold whole classrooms (``leave_out="classroom"``) or
    whole quests of a classroom (``"quest"``), so no fold learns from the students or the quest
    it is tested on. A fold whose training part has one outcome only is predicted by the prior.
    """
    groups = _fold_groups(frame, leave_out)
    probabilities = np.empty(len(frame))
    parts = fold_indices(groups, folds)
    if len(parts) < 2:
        return prior.probabilities(frame) if len(frame) else probabilities
    finished = frame["finished"].to_numpy(bool)
    for test in parts:
        train = np.ones(len(frame), dtype=bool)
        train[test] = False
        if finished[train].all() or not finished[train].any():
            model = prior
        else:
            training = frame[train]
            model = fit_local(training, prior=prior, groups=_fold_groups(training, leave_out))
        probabilities[test] = model.probabilities(frame.iloc[test])
    return probabilities


def _fold_groups(frame: pd.DataFrame, leave_out: str) -> pd.Series:
    """What a fold holds whole: the classroom, or the classroom's quest."""
    if leave_out == "classroom":
        return frame["classroom_id"]
    if leave_out == "quest":
        return frame["quest_id"]
    raise ValueError(f"leave out a classroom or a quest, not {leave_out!r}")


def backtest(
    frame: pd.DataFrame,
    *,
    prior: QuestModel,
    leave_out: str = "classroom",
    folds: int = FOLDS,
    weeks: Iterable[int] = WEEKS,
    seed: int = 0,
    replicates: int = REPLICATES,
    level: float = LEVEL,
) -> QualityReport:
    """Score held-out predictions of ``frame`` (an examples_frame) week by week against the
    completion rate and the share of stages done."""
    frame = frame.reset_index(drop=True)
    probabilities = (
        held_out_probabilities(frame, prior=prior, leave_out=leave_out, folds=folds)
        if len(frame)
        else np.empty(0)
    )
    results = tuple(
        week_quality(
            frame[frame["week"] == week],
            probabilities[(frame["week"] == week).to_numpy()],
            week=week,
            seed=seed + week,
            replicates=replicates,
            level=level,
        )
        for week in weeks
    )
    return QualityReport(
        weeks=results,
        examples=len(frame),
        classrooms=frame["classroom_id"].nunique(),
        quests=frame[["classroom_id", "quest_id"]].drop_duplicates().shape[0],
        leave_out=leave_out,
        level=level,
    )


def week_quality(
    rows: pd.DataFrame,
    probabilities: np.ndarray,
    *,
    week: int,
    seed: int,
    replicates: int = REPLICATES,
    level: float = LEVEL,
) -> WeekQuality:
    """The model's probabilities for one week's rows, scored against its rivals on the same
    bootstrap resamples of students."""
    finished = rows["finished"].to_numpy(bool)
    students = rows[["classroom_id", "student_id"]].to_numpy()
    share = (rows["stages_done"] / rows["stages_total"].clip(lower=1)).to_numpy(float)
    options = {"groups": students, "seed": seed, "replicates": replicates, "level": level}
    gain_low, gain_high = paired_auc_gain_interval(finished, probabilities, share, **options)
    rate = finished.mean() if len(finished) else np.nan
    return WeekQuality(
        week=week,
        students=len(rows),
        finished=int(finished.sum()),
        model=score(finished, probabilities, **options),
        share_done=score(finished, share, **options),
        constant_brier=brier_score(finished, np.full(len(finished), rate)),
        gain_low=gain_low,
        gain_high=gain_high,
    )


def quality_summary(report: QualityReport) -> dict[str, Any]:
    """The report's figures as plain numbers, to keep beside a fitted model."""
    return {
        "examples": report.examples,
        "leave_out": report.leave_out,
        "weeks": [
            {
                "week": week.week,
                "students": week.students,
                "finished": week.finished,
                "auc": _plain(week.model.auc),
                "share_done_auc": _plain(week.share_done.auc),
                "gain_low": _plain(week.gain_low),
                "gain_high": _plain(week.gain_high),
                "brier": _plain(week.model.brier),
                "constant_brier": _plain(week.constant_brier),
                "calibration_error": _plain(week.model.calibration_error),
                "enough_data": week.enough_data,
            }
            for week in report.weeks
        ],
    }


def _plain(value: float) -> float | None:
    return None if np.isnan(value) else round(float(value), 4)


def format_quality_report(report: QualityReport) -> str:
    """The report as plain text: per week, the AUCs with intervals, the Brier scores, the
    calibration table, and a verdict in a sentence."""
    percent = f"{report.level:.0%}"
    blocks = [
        f"{report.examples} examples from {report.classrooms} classrooms and {report.quests} "
        f"quests; each {report.leave_out} predicted by a model that never learned from it."
    ]
    for week in report.weeks:
        heading = (
            f"Week {week.week} after a quest opened: {week.students} students' quests in "
            f"progress, {week.finished} of them finished by the due date"
        )
        if not week.enough_data:
            blocks.append(
                f"{heading}\n\nToo little data to judge week {week.week}: it takes at least "
                f"{MIN_EXAMPLES} quests in progress, {MIN_EACH_OUTCOME} finished and "
                f"{MIN_EACH_OUTCOME} not."
            )
            continue
        rows = [
            [row.bin, str(row.students), _number(row.predicted, 2), _number(row.observed, 2)]
            for row in week.model.calibration.itertuples(index=False)
        ]
        lines = [
            heading,
            "",
            _table(
                ["", f"AUC [{percent} interval]", "Brier"],
                [
                    ["Model", _auc(week.model), _number(week.model.brier)],
                    ["Share of stages done", _auc(week.share_done), "–"],
                    ["Always the completion rate", "0.500", _number(week.constant_brier)],
                ],
            ),
            "",
            f"AUC gain over the share of stages done: [{_number(week.gain_low)}, "
            f"{_number(week.gain_high)}] ({percent}, paired by student)",
            f"Expected calibration error: {_number(week.model.calibration_error)}",
            "",
            "Calibration:",
            _table(["Predicted", "Students", "Mean prediction", "Finished"], rows),
            "",
            f"Verdict, week {week.week}: {_verdict(week)}",
        ]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _verdict(week: WeekQuality) -> str:
    """One sentence on each bar the model must clear."""
    parts = [
        "its probabilities beat the completion rate"
        if week.beats_constant
        else "its probabilities do no better than always predicting the completion rate",
        "it tells who finishes better than the share of stages done"
        if week.beats_share_done
        else "it does not tell who finishes better than the share of stages done",
        "it is calibrated"
        if week.calibrated
        else f"its calibration error is above {CALIBRATED_WITHIN:.2f}",
    ]
    return "; ".join(parts) + "."


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
