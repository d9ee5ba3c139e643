"""Quest predictions: will each student finish each assigned quest by its due date, and when.

Two small, explainable models work together. A pace model says when: it projects a finish date
from how fast the student has moved through the stages, leaning on the class's pace, with an
interval from the spread of paces in the class. A regularized logistic regression says whether:
from standardized inputs (the quest so far, the calendar, the class, and the student's record on
earlier quests; INPUT_REASONS) it gives the probability of finishing by the due date, and each
input's push on it becomes a reason a teacher reads. The model ships fitted on simulated classes
and learns from a school's own records (``fit_local``), calibrated on classrooms it left out.
Demographics are never inputs. Everything is a pure function of a Dataset, vectorized over
attempts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from analytics.dataset import DONE_OUTCOMES, UTC_TIME, Dataset, empty, typed
from quest_platform.models.analytics import Confidence, RiskLevel
from quest_platform.models.attempts import Outcome

# A probability of finishing by the due date at or above ON_TRACK_FROM is on track; below
# AT_RISK_BELOW it is at risk; in between, worth watching.
ON_TRACK_FROM = 0.7
AT_RISK_BELOW = 0.4
MAX_REASONS = 3

# The logistic regression's inverse regularization strength (scikit-learn's C, L2 penalty).
REGULARIZATION = 0.5
# Stages reached in the last this many days are recent progress.
RECENT_DAYS = 7
# How many examples' worth of weight the prior model keeps when a school's own records are
# fitted (fit_local), and into how many folds of classrooms they are split for calibration.
PRIOR_STRENGTH = 5.0
CALIBRATION_FOLDS = 5
# Newton's method for those fits: at most this many steps, done when none moves a weight more
# than the tolerance.
NEWTON_STEPS = 50
NEWTON_TOLERANCE = 1e-8
NEWTON_RIDGE = 1e-6
NEWTON_HALVINGS = 30
# A reason is named only if it lowers the log-odds of finishing by at least this much.
REASON_MIN_EFFECT = 0.1
# The pace model lends every student this many stages at the class's pace, so that one quick
# or slow stage early on does not swing the projection.
PRIOR_STAGES = 1.0
# The interval around a projected finish spans these quantiles of the class's paces.
PACE_QUANTILES = (0.2, 0.8)
# Confidence in a prediction (confidence_levels): a model needs this many examples of the
# school's own records to speak with fair confidence, and this many for good; in a quest's
# first days a student's work says too little.
LOCAL_EXAMPLES_FOR_FAIR = 300
LOCAL_EXAMPLES_FOR_GOOD = 2000
FIRST_DAYS = 3.0
# The likely-finish range reaches at least this many days either side of the projection.
MIN_SPREAD_DAYS = 1.0
# A projection further out than this is no estimate at all.
FORECAST_HORIZON_DAYS = 365.0

# Labels of a LabelledDataset: whole weeks the quest had been open at the cut, and whether the
# student went on to finish every stage by the due date.
LABELS = {"student_id": "int64", "quest_id": "int64", "week": "int64", "finished": "bool"}
# One row per enrolled student and assigned quest; reasons is a tuple of Reason tuples.
PREDICTIONS = {
    "student_id": "int64",
    "quest_id": "int64",
    "classroom_id": "int64",
    "probability": "float64",
    "predicted_finish": UTC_TIME,
    "finish_low": UTC_TIME,
    "finish_high": UTC_TIME,
    "risk": "string",
    "reasons": "object",
    "stages_done": "int64",
    "stages_total": "int64",
    "confidence": "string",
    "computed_at": UTC_TIME,
}

# The model's inputs, each tied to the reason it explains (None: it never is one, as when it
# only ever raises the chance, or speaks of the class rather than the student).
# The pace model's projection is not one: next to progress and time it added no skill on
# simulated classes, and its weight turned negative, which no teacher could read as a reason.
PLAIN_REASONS: dict[str, str | None] = {
    "progress": "behind_class",
    "relative_pace": "behind_class",
    "earlier_stages_left": "earlier_stages_left",
    "inactive_days": "inactive_days",
    "failed_share": "failed_tries",
    "checkpoint_missing": "checkpoint_missing",
    "time_used": "time_left",
    "days_left": "time_left",
    "stages_left": "time_left",
    "behind_schedule": "time_left",
    "class_progress": None,
    "awaiting_review": None,
    "recent_progress": "inactive_days",
    "extra_time": None,
    "earlier_finished": "earlier_finished",
    "earlier_last_minute": None,
    "earlier_known": None,
}
# Each input also enters multiplied by the share of the quest's time gone ("..._late"), so
# its weight can change as the due date nears: a stage left weighs little in a quest's first
# week and much in its last. Both halves explain the same reason.
INPUT_REASONS: dict[str, str | None] = {
    **PLAIN_REASONS,
    **{f"{name}_late": code for name, code in PLAIN_REASONS.items() if name != "time_used"},
}
INPUTS = tuple(INPUT_REASONS)
REASON_CODES = tuple(dict.fromkeys(code for code in INPUT_REASONS.values() if code))
# Before a student has any earlier quest behind them, their record counts as this share of
# quests finished by the due date, weighing as much as EARLIER_PRIOR_WEIGHT quests.
EARLIER_PRIOR = 0.6
EARLIER_PRIOR_WEIGHT = 1.0
# A quest finished this close to its due date was finished at the last minute.
LAST_MINUTE = pd.Timedelta(days=2)

_DAY = pd.Timedelta(days=1)
_PAIR = ["classroom_id", "student_id", "quest_id"]
_CLASS = ["classroom_id", "quest_id"]

# A reason: a code and whole numbers, e.g. ("inactive_days", 6) or ("failed_tries", 3, 4).
Reason = tuple[Any, ...]


@dataclass(frozen=True)
class LabelledDataset:
    """A Dataset cut at some moment, and what later became of some of its (student, quest) pairs.

    ``labels`` is typed as LABELS. Pairs from different classes are told apart by classroom id,
    so each class in a collection of LabelledDatasets needs its own.
    """

    dataset: Dataset
    labels: pd.DataFrame


@dataclass(frozen=True)
class QuestModel:
    """A fitted model: standardized inputs into an L2-regularized logistic regression."""

    pipeline: Pipeline
    # The (student, quest, cut) examples of this deployment's own records it learned from:
    # none for the model shipped with the platform.
    local_examples: int = 0

    @property
    def coefficients(self) -> pd.Series:
        """The change in log-odds of finishing for one standard deviation of each input."""
        return pd.Series(self.pipeline[-1].coef_[0], index=list(INPUTS))

    def standardized(self, features: pd.DataFrame) -> np.ndarray:
        """The model's inputs of each row of quest_features, standardized as in fitting."""
        scaler: StandardScaler = self.pipeline[0]
        standardized: np.ndarray = scaler.transform(model_inputs(features).to_numpy())
        return standardized

    def log_odds(self, features: pd.DataFrame) -> np.ndarray:
        """The log-odds of finishing by the due date of each row of quest_features."""
        regression: LogisticRegression = self.pipeline[-1]
        log_odds: np.ndarray = regression.decision_function(self.standardized(features))
        return log_odds

    def probabilities(self, features: pd.DataFrame) -> np.ndarray:
        """P(finish by the due date) for each row of quest_features, ignoring whether it is done."""
        per_outcome: np.ndarray = self.pipeline.predict_proba(model_inputs(features).to_numpy())
        return per_outcome[:, 1]

    def parameters(self) -> dict[str, Any]:
        """The fitted numbers, all that is needed to rebuild the model (``from_parameters``)."""
        scaler: StandardScaler = self.pipeline[0]
        regression: LogisticRegression = self.pipeline[-1]
        return {
            "inputs": list(INPUTS),
            "mean": scaler.mean_.tolist(),
            "scale": scaler.scale_.tolist(),
            "coefficients": regression.coef_[0].tolist(),
            "intercept": float(regression.intercept_[0]),
            "local_examples": self.local_examples,
        }

    @classmethod
    def from_parameters(cls, parameters: dict[str, Any]) -> QuestModel:
        """The model whose fitted numbers are ``parameters``; refused if its inputs differ."""
        if parameters.get("inputs") != list(INPUTS):
            raise ValueError("the model's inputs are not this code's: fit the model again")
        scaler = StandardScaler()
        scaler.mean_ = np.asarray(parameters["mean"], dtype=float)
        scaler.scale_ = np.asarray(parameters["scale"], dtype=float)
        scaler.var_ = scaler.scale_**2
        scaler.n_features_in_ = len(INPUTS)
        regression = LogisticRegression(C=REGULARIZATION)
        regression.coef_ = np.asarray([parameters["coefficients"]], dtype=float)
        regression.intercept_ = np.asarray([parameters["intercept"]], dtype=float)
        regression.classes_ = np.array([False, True])
        regression.n_features_in_ = len(INPUTS)
        return cls(
            pipeline=make_pipeline(scaler, regression),
            local_examples=int(parameters.get("local_examples", 0)),
        )

    def contributions(self, features: pd.DataFrame) -> pd.DataFrame:
        """Each input's push on the log-odds, against a typical student of the training classes."""
        scaler: StandardScaler = self.pipeline[0]
        standardized = scaler.transform(model_inputs(features).to_numpy())
        return pd.DataFrame(
            standardized * self.pipeline[-1].coef_[0], columns=list(INPUTS), index=features.index
        )


def quest_features(dataset: Dataset) -> pd.DataFrame:
    """One row per enrolled student and assigned quest: progress, engagement, pace and the
    student's record on earlier quests at ``now``.

    Only attempts submitted by ``dataset.now`` count. Days are fractional. A stage is done when
    it has a passed (or late) attempt and reached when it is done or awaiting review; the
    current stage is the first one not done. Besides the assignment's columns: stages_total,
    stages_done, stages_reached, done, completed_at, attempts, failed_total, current_position,
    failed_tries (on the current stage), failed_share, checkpoint_position, checkpoint_missing
    (the first checkpoint not yet reached), stages_awaiting (handed in, awaiting review),
    stages_recent (reached in the last RECENT_DAYS),
    started, ever_active (anywhere), last_active, inactive_days, days_open, days_left,
    time_used, progress, class_median_reached, earlier_stages_left, extra_seconds (on the
    quest's stages), the pace model's class_pace, pace (stages a day), days_needed,
    predicted_finish, finish_low and finish_high, and the earlier record: earlier_known
    (earlier quests of the class already due), earlier_finished (of those, finished by the due
    date) and earlier_last_minute (of those, finished in the last LAST_MINUTE).
    """
    now = dataset.now
    attempts = dataset.attempts[dataset.attempts["submitted_at"] <= now]
    pairs = dataset.assignments.merge(dataset.enrollments, on="classroom_id")
    totals = dataset.stages.groupby("quest_id").size().rename("stages_total")
    pairs = pairs.merge(totals, left_on="quest_id", right_index=True, how="left")
    pairs["stages_total"] = pairs["stages_total"].fillna(0).astype("int64")

    features = pairs.merge(
        _progress(pairs, dataset.stages, attempts, now=now), on=_PAIR, how="left"
    )
    last_active = attempts.groupby("student_id")["submitted_at"].max().rename("last_active")
    features = features.merge(last_active, left_on="student_id", right_index=True, how="left")
    counts = [
        "stages_done",
        "stages_reached",
        "stages_awaiting",
        "stages_recent",
        "attempts",
        "failed_total",
        "failed_tries",
    ]
    features[counts] = features[counts].fillna(0).astype("int64")
    features["checkpoint_missing"] = features["checkpoint_missing"].fillna(False).astype(bool)

    window = ((features["due_at"] - features["opens_at"]) / _DAY).clip(lower=1.0)
    features["days_open"] = ((now - features["opens_at"]) / _DAY).clip(lower=0.0)
    features["days_left"] = (features["due_at"] - now) / _DAY
    features["time_used"] = (features["days_open"] / window).clip(upper=1.0)
    features["done"] = features["stages_done"] >= features["stages_total"]
    features["started"] = features["attempts"] > 0
    features["ever_active"] = features["last_active"].notna()
    since_active = (now - features["last_active"]) / _DAY
    features["inactive_days"] = since_active.fillna(features["days_open"]).clip(lower=0.0)
    features["progress"] = features["stages_reached"] / features["stages_total"].clip(lower=1)
    features["failed_share"] = features["failed_total"] / features["attempts"].clip(lower=1)
    features["class_median_reached"] = features.groupby(_CLASS)["stages_reached"].transform(
        "median"
    )
    features["earlier_stages_left"] = _earlier_stages_left(features)
    features["extra_seconds"] = _extra_seconds(features, dataset)
    features = _with_pace(features, window, now)
    return _with_earlier_record(features, now)


def _progress(
    pairs: pd.DataFrame, stages: pd.DataFrame, attempts: pd.DataFrame, *, now: pd.Timestamp
) -> pd.DataFrame:
    """Per pair: stages done and reached (in all, and in the last RECENT_DAYS), attempts and
    failed ones, when the last stage was done, the current stage and its failed tries, and the
    first checkpoint if still missing."""
    outcome = attempts["outcome"]
    done = outcome.isin(list(DONE_OUTCOMES))
    reached = done | outcome.eq(Outcome.PENDING_REVIEW)
    per_stage = (
        attempts.assign(
            done=done,
            reached=reached,
            failed=outcome.eq(Outcome.FAILED),
            done_at=attempts["submitted_at"].where(done),
            reached_at=attempts["submitted_at"].where(reached),
        )
        .groupby(["student_id", "stage_id"])
        .agg(
            done=("done", "any"),
            reached=("reached", "any"),
            tries=("done", "size"),
            failed=("failed", "sum"),
            done_at=("done_at", "min"),
            reached_at=("reached_at", "min"),
        )
    )
    # One row per pair and stage of its quest.
    grid = pairs[_PAIR].merge(stages[["quest_id", "stage_id", "position", "kind"]], on="quest_id")
    grid = grid.merge(per_stage, left_on=["student_id", "stage_id"], right_index=True, how="left")
    grid[["done", "reached"]] = grid[["done", "reached"]].fillna(False).astype(bool)
    grid[["tries", "failed"]] = grid[["tries", "failed"]].fillna(0).astype("int64")

    grid["awaiting"] = grid["reached"] & ~grid["done"]
    grid["recent"] = grid["reached_at"] > now - pd.Timedelta(days=RECENT_DAYS)
    progress = grid.groupby(_PAIR).agg(
        stages_recent=("recent", "sum"),
        stages_done=("done", "sum"),
        stages_reached=("reached", "sum"),
        stages_awaiting=("awaiting", "sum"),
        attempts=("tries", "sum"),
        failed_total=("failed", "sum"),
        last_done=("done_at", "max"),
    )
    current = grid[~grid["done"]].sort_values("position").drop_duplicates(_PAIR)
    current = current.set_index(_PAIR)[["position", "failed"]]
    progress[["current_position", "failed_tries"]] = current
    checkpoints = grid[grid["kind"] == "checkpoint"].sort_values("position").drop_duplicates(_PAIR)
    checkpoints = checkpoints.set_index(_PAIR)
    progress["checkpoint_position"] = checkpoints["position"]
    progress["checkpoint_missing"] = ~checkpoints["reached"]
    for column in ("current_position", "checkpoint_position"):
        progress[column] = progress[column].astype("Int64")
    return progress.reset_index()


def _earlier_stages_left(features: pd.DataFrame) -> pd.Series:
    """Per row: stages not yet done on the student's quests (same class) that opened earlier."""
    left = features[["classroom_id", "student_id", "opens_at"]].assign(
        left=features["stages_total"] - features["stages_done"]
    )
    earlier = features[[*_PAIR, "opens_at"]].merge(
        left, on=["classroom_id", "student_id"], suffixes=("", "_other")
    )
    earlier = earlier[earlier["opens_at_other"] < earlier["opens_at"]]
    per_pair = earlier.groupby(_PAIR)["left"].sum()
    index = pd.MultiIndex.from_frame(features[_PAIR])
    return pd.Series(per_pair.reindex(index, fill_value=0).to_numpy(), index=features.index)


def _extra_seconds(features: pd.DataFrame, dataset: Dataset) -> pd.Series:
    """Per row: the extra time (seconds) the student was given on the quest's stages."""
    extensions = dataset.extensions[dataset.extensions["granted_at"] <= dataset.now].merge(
        dataset.stages[["stage_id", "quest_id"]], on="stage_id"
    )
    per_pair = extensions.groupby(["student_id", "quest_id"])["extra_seconds"].sum()
    index = pd.MultiIndex.from_frame(features[["student_id", "quest_id"]])
    return pd.Series(per_pair.reindex(index, fill_value=0).to_numpy(), index=features.index)


def _with_earlier_record(features: pd.DataFrame, now: pd.Timestamp) -> pd.DataFrame:
    """Add the student's record on the class's earlier quests whose due date has passed: how
    many, how many finished by the due date, and how many of those in its last days."""
    features = features.copy()
    finished = features["done"] & (features["completed_at"] <= features["due_at"])
    record = features.loc[
        features["due_at"] <= now, ["classroom_id", "student_id", "opens_at"]
    ].assign(
        finished=finished,
        last_minute=finished & (features["due_at"] - features["completed_at"] <= LAST_MINUTE),
    )
    earlier = features[[*_PAIR, "opens_at"]].merge(
        record, on=["classroom_id", "student_id"], suffixes=("", "_other")
    )
    earlier = earlier[earlier["opens_at_other"] < earlier["opens_at"]]
    per_pair = earlier.groupby(_PAIR).agg(
        earlier_known=("finished", "size"),
        earlier_finished=("finished", "sum"),
        earlier_last_minute=("last_minute", "sum"),
    )
    index = pd.MultiIndex.from_frame(features[_PAIR])
    for column in per_pair.columns:
        features[column] = per_pair[column].reindex(index, fill_value=0).to_numpy(dtype="int64")
    return features


def _with_pace(features: pd.DataFrame, window: pd.Series, now: pd.Timestamp) -> pd.DataFrame:
    """Add the pace model: stages per day, and a projected finish with its interval.

    A student's pace is their stages reached over the days the quest has been open to them (up
    to the day they finished), with PRIOR_STAGES lent at the class's pooled pace; so a student
    with no progress yet gets a slow but finite pace. The interval scales the projection by how
    much faster and slower than the median the class's PACE_QUANTILES move.
    """
    features = features.copy()
    done = features["done"]
    features["completed_at"] = features["last_done"].where(done)
    span_end = features["completed_at"].fillna(now)
    span = ((span_end - features["opens_at"]) / _DAY).clip(lower=0.0)
    reached = features["stages_reached"].astype(float)
    classes = features.assign(span=span, reached=reached).groupby(_CLASS)
    pooled = classes["reached"].transform("sum") / classes["span"].transform("sum")
    # Before anyone has moved, the schedule's own pace stands in for the class's.
    schedule = features["stages_total"].clip(lower=1) / window
    features["class_pace"] = pooled.where(np.isfinite(pooled) & (pooled > 0), schedule)
    pace = (reached + PRIOR_STAGES) / (span + PRIOR_STAGES / features["class_pace"])
    features["pace"] = pace

    paces = features.groupby(_CLASS)["pace"]
    median = paces.transform("median")
    low_quantile, high_quantile = PACE_QUANTILES
    faster = (paces.transform("quantile", high_quantile) / median).clip(lower=1.0)
    slower = (paces.transform("quantile", low_quantile) / median).clip(upper=1.0)

    days_needed = (features["stages_total"] - reached).clip(lower=0.0) / pace
    features["days_needed"] = days_needed
    start = features["opens_at"].where(features["opens_at"] > now, now)
    # However alike the class's paces, a projection is never sure to the day: the range
    # spans at least MIN_SPREAD_DAYS either side (never before the start).
    spread = (days_needed - MIN_SPREAD_DAYS).clip(lower=0.0)
    for column, days in (
        ("predicted_finish", days_needed),
        ("finish_low", np.minimum(days_needed / faster, spread)),
        ("finish_high", np.maximum(days_needed / slower, days_needed + MIN_SPREAD_DAYS)),
    ):
        within = days_needed <= FORECAST_HORIZON_DAYS
        projected = start + pd.to_timedelta(days.where(within), unit="D").dt.round("s")
        features[column] = projected.where(~done, features["completed_at"])
    return features


def model_inputs(features: pd.DataFrame) -> pd.DataFrame:
    """The model's inputs (INPUTS, in order, as floats) from quest_features; counts of days and
    stages enter on a log scale, so the tenth idle day weighs less than the second.

    The earlier record enters as shares shrunk towards EARLIER_PRIOR, so one earlier quest
    moves a student less than five. Every input but time_used comes twice: as it is, and
    times time_used (INPUT_REASONS).
    """
    known = features["earlier_known"].astype(float) + EARLIER_PRIOR_WEIGHT
    class_progress = features["class_median_reached"] / features["stages_total"].clip(lower=1)
    plain = pd.DataFrame(
        {
            "progress": features["progress"],
            "relative_pace": np.log(features["pace"] / features["class_pace"]),
            "earlier_stages_left": np.log1p(features["earlier_stages_left"]),
            "inactive_days": np.log1p(features["inactive_days"]),
            "failed_share": features["failed_share"],
            "checkpoint_missing": features["checkpoint_missing"].astype(float),
            "time_used": features["time_used"],
            "days_left": np.log1p(features["days_left"].clip(lower=0.0)),
            "stages_left": np.log1p(features["stages_total"] - features["stages_reached"]),
            "behind_schedule": (features["time_used"] - features["progress"]).clip(lower=0.0),
            "class_progress": class_progress,
            "awaiting_review": np.log1p(features["stages_awaiting"]),
            "recent_progress": features["stages_recent"] / features["stages_total"].clip(lower=1),
            "extra_time": np.log1p(features["extra_seconds"] / 60),
            "earlier_finished": (
                features["earlier_finished"] + EARLIER_PRIOR * EARLIER_PRIOR_WEIGHT
            )
            / known,
            "earlier_last_minute": features["earlier_last_minute"] / known,
            "earlier_known": np.log1p(features["earlier_known"]),
        },
        index=features.index,
    ).astype(float)
    late = plain.drop(columns="time_used").mul(plain["time_used"], axis=0).add_suffix("_late")
    return pd.concat([plain, late], axis=1)[list(INPUTS)]


def open_rows(features: pd.DataFrame, now: pd.Timestamp) -> pd.Series:
    """Which rows are still being worked on: open, not yet due, not yet done."""
    return ~features["done"] & (features["opens_at"] <= now) & (features["due_at"] > now)


def examples_frame(examples: Sequence[LabelledDataset]) -> pd.DataFrame:
    """The quest_features of every labelled pair still being worked on at its cut, with its labels.

    Pairs already done at the cut are left out: their outcome is known, not predicted.
    """
    if not examples:
        nothing = Dataset.of(now=pd.Timestamp(0, tz="UTC"))
        examples = [LabelledDataset(dataset=nothing, labels=empty(LABELS))]
    frames = []
    for example in examples:
        features = quest_features(example.dataset)
        features = features[open_rows(features, example.dataset.now)]
        labels = typed(example.labels, LABELS)
        frames.append(features.merge(labels, on=["student_id", "quest_id"]))
    return pd.concat(frames, ignore_index=True)


def fit_model(
    examples: Sequence[LabelledDataset], *, regularization: float = REGULARIZATION
) -> QuestModel:
    """Fit the logistic regression on labelled pairs still being worked on at their cuts."""
    return fit_examples(examples_frame(examples), regularization=regularization)


def fit_examples(frame: pd.DataFrame, *, regularization: float = REGULARIZATION) -> QuestModel:
    """Fit the logistic regression on an examples_frame."""
    finished = frame["finished"].to_numpy(bool)
    if finished.all() or not finished.any():
        raise ValueError("fitting needs examples of students who finished and who did not")
    pipeline = make_pipeline(StandardScaler(), LogisticRegression(C=regularization))
    pipeline.fit(model_inputs(frame).to_numpy(), finished)
    return QuestModel(pipeline=pipeline)


def fit_local(
    frame: pd.DataFrame,
    *,
    prior: QuestModel,
    prior_strength: float = PRIOR_STRENGTH,
    groups: pd.Series | None = None,
) -> QuestModel:
    """Fit the model on a deployment's own examples (an examples_frame), starting from ``prior``.

    The coefficients are pulled towards the prior's by a penalty worth about ``prior_strength``
    examples, so a school with little history keeps the prior and one with much learns its own;
    the intercept is free, so the school's own completion rate is learned at once. The inputs
    keep the prior's standardization, so coefficients stay comparable. The result is then
    calibrated (``calibrate``) on out-of-fold predictions over ``groups`` (classrooms, say).
    """
    finished = frame["finished"].to_numpy(float)
    if finished.all() or not finished.any():
        raise ValueError("fitting needs examples of students who finished and who did not")
    inputs = prior.standardized(frame)
    fitted = replace(
        _penalized_fit(inputs, finished, prior, prior_strength), local_examples=len(frame)
    )
    if groups is None:
        return fitted
    folds = fold_indices(np.asarray(groups))
    if len(folds) < 2:
        return fitted
    held_out = np.empty(len(frame))
    for test in folds:
        train = np.ones(len(frame), dtype=bool)
        train[test] = False
        if finished[train].all() or not finished[train].any():
            return fitted
        model = _penalized_fit(inputs[train], finished[train], prior, prior_strength)
        held_out[test] = model.log_odds(frame.iloc[test])
    return calibrate(fitted, held_out, finished)


def calibrate(model: QuestModel, log_odds: np.ndarray, finished: np.ndarray) -> QuestModel:
    """``model`` rescaled so that its held-out ``log_odds`` match what happened (Platt scaling).

    A logistic curve on the log-odds is fitted; as it is linear in them, it folds into the
    model's own coefficients and intercept, so reasons still read from one set of weights.
    """
    slope, shift = _logistic_fit(log_odds[:, None], np.asarray(finished, dtype=float), 0.0)
    parameters = model.parameters()
    parameters["coefficients"] = (np.asarray(parameters["coefficients"]) * slope[0]).tolist()
    parameters["intercept"] = float(parameters["intercept"] * slope[0] + shift)
    return QuestModel.from_parameters(parameters)


def _penalized_fit(
    inputs: np.ndarray, finished: np.ndarray, prior: QuestModel, strength: float
) -> QuestModel:
    """The logistic regression on standardized ``inputs``, pulled towards ``prior``."""
    start = prior.coefficients.to_numpy()
    weights, intercept = _logistic_fit(inputs, finished, strength, centre=start)
    parameters = prior.parameters()
    parameters["coefficients"] = weights.tolist()
    parameters["intercept"] = float(intercept)
    return QuestModel.from_parameters(parameters)


def _logistic_fit(
    inputs: np.ndarray,
    finished: np.ndarray,
    strength: float,
    *,
    centre: np.ndarray | None = None,
) -> tuple[np.ndarray, float]:
    """Weights and intercept minimizing the log loss plus strength/2 · |weights − centre|²,
    by Newton's method (a handful of steps for a convex loss this smooth)."""
    count, width = inputs.shape
    centre = np.zeros(width) if centre is None else centre
    design = np.hstack([inputs, np.ones((count, 1))])
    target = np.append(centre, 0.0)
    # The intercept is not pulled anywhere; the tiny ridge keeps every step solvable.
    penalty = np.append(np.full(width, strength), 0.0) + NEWTON_RIDGE

    def loss(theta: np.ndarray) -> float:
        log_odds = design @ theta
        # log(1 + e^z) − y·z, without overflow.
        fit = np.sum(np.logaddexp(0.0, log_odds) - finished * log_odds)
        return float(fit + 0.5 * np.sum(penalty * (theta - target) ** 2))

    theta = target.copy()
    current = loss(theta)
    for _ in range(NEWTON_STEPS):
        chance = expit(design @ theta)
        gradient = design.T @ (chance - finished) + penalty * (theta - target)
        curvature = (design * (chance * (1 - chance))[:, None]).T @ design + np.diag(penalty)
        step = np.linalg.solve(curvature, gradient)
        # A full step can overshoot far from the optimum: halve it until the loss falls.
        for _ in range(NEWTON_HALVINGS):
            trial = loss(theta - step)
            if trial <= current:
                break
            step = step / 2
        theta, current = theta - step, min(trial, current)
        if np.abs(step).max() < NEWTON_TOLERANCE:
            break
    return theta[:-1], float(theta[-1])


def fold_indices(groups: np.ndarray, count: int = CALIBRATION_FOLDS) -> list[np.ndarray]:
    """Row indices split into up to ``count`` folds, each group (a classroom) in one fold."""
    labels, codes = np.unique(groups, return_inverse=True)
    if len(labels) < 2:
        return []
    fold_of_group = np.arange(len(labels)) % min(count, len(labels))
    fold = fold_of_group[codes.reshape(-1)]
    return [np.flatnonzero(fold == number) for number in np.unique(fold)]


def predict_quests(dataset: Dataset, *, model: QuestModel) -> pd.DataFrame:
    """Predict, for every enrolled student and assigned quest, whether and when they finish.

    Columns are PREDICTIONS. A done quest has probability 1 and is on track; an unfinished
    quest past its due date has probability 0 and is at risk. ``reasons`` holds up to
    MAX_REASONS reasons (most important first) for quests at risk or worth watching.
    """
    features = quest_features(dataset)
    now = dataset.now
    if features.empty:
        return empty(PREDICTIONS)
    done = features["done"].to_numpy()
    past_due = ~done & (features["due_at"] <= now).to_numpy()
    probability = np.where(done, 1.0, np.where(past_due, 0.0, model.probabilities(features)))
    risk = risk_levels(probability)
    reasons = _reasons(features, model.contributions(features), risk, past_due, now)
    confidence = confidence_levels(features, model=model, now=now)
    frame = pd.DataFrame(
        {
            "student_id": features["student_id"],
            "quest_id": features["quest_id"],
            "classroom_id": features["classroom_id"],
            "probability": probability,
            "predicted_finish": features["predicted_finish"],
            "finish_low": features["finish_low"],
            "finish_high": features["finish_high"],
            "risk": risk,
            "reasons": reasons,
            "stages_done": features["stages_done"],
            "stages_total": features["stages_total"],
            "confidence": confidence,
            "computed_at": now,
        },
        index=features.index,
    )
    return typed(frame, PREDICTIONS)


def confidence_levels(
    features: pd.DataFrame, *, model: QuestModel, now: pd.Timestamp
) -> np.ndarray:
    """How much data stands behind each row's prediction (a Confidence value).

    Little data: the model has not yet learned from this school's own records (fewer than
    LOCAL_EXAMPLES_FOR_FAIR examples), or it knows nothing of the student yet (nothing handed
    in on the quest, no earlier quest behind them, or a quest open less than a few days).
    Good: a model of this school's records with LOCAL_EXAMPLES_FOR_GOOD examples or more, for
    a student with an earlier quest behind them, a quarter of the way or more to the due date.
    A finished quest, or one past its due date, is known: good.
    """
    known = features["done"] | (features["due_at"] <= now)
    unknown_student = (~features["started"] & (features["earlier_known"] == 0)) | (
        features["days_open"] < FIRST_DAYS
    )
    if model.local_examples < LOCAL_EXAMPLES_FOR_FAIR:
        little = np.ones(len(features), dtype=bool)
    else:
        little = unknown_student.to_numpy()
    good = (
        (model.local_examples >= LOCAL_EXAMPLES_FOR_GOOD)
        & (features["earlier_known"] >= 1)
        & (features["time_used"] >= 0.25)
    ).to_numpy()
    return np.select(
        [known.to_numpy(), little, good],
        [Confidence.GOOD.value, Confidence.LITTLE_DATA.value, Confidence.GOOD.value],
        Confidence.FAIR.value,
    )


def risk_levels(probability: np.ndarray) -> np.ndarray:
    """The risk level (RiskLevel) of each probability of finishing by the due date."""
    probability = np.asarray(probability, dtype=float)
    return np.select(
        [probability >= ON_TRACK_FROM, probability >= AT_RISK_BELOW],
        [RiskLevel.ON_TRACK.value, RiskLevel.WATCH.value],
        RiskLevel.AT_RISK.value,
    )


def _reasons(
    features: pd.DataFrame,
    contributions: pd.DataFrame,
    risk: np.ndarray,
    past_due: np.ndarray,
    now: pd.Timestamp,
) -> list[tuple[Reason, ...]]:
    """The strongest reasons why each quest at risk or worth watching may not be finished.

    A reason is named when its inputs lower the log-odds by REASON_MIN_EFFECT or more against a
    typical student and it is plainly true of the student (see _true_reasons).
    """
    strength = pd.DataFrame(
        {
            code: contributions[[name for name, its in INPUT_REASONS.items() if its == code]].sum(
                axis=1
            )
            for code in REASON_CODES
        }
    )
    named = strength.where(_true_reasons(features) & (strength <= -REASON_MIN_EFFECT))
    ranked = named.to_numpy()
    order = np.argsort(np.nan_to_num(ranked, nan=np.inf), axis=1, kind="stable")
    available = ~np.isnan(np.take_along_axis(ranked, order, axis=1))
    tuples = _reason_tuples(features)
    overdue = np.floor((now - features["due_at"]) / _DAY).to_numpy()
    habits = _habits(features)
    explain = risk != RiskLevel.ON_TRACK
    reasons: list[tuple[Reason, ...]] = []
    for row in range(len(features)):
        if not explain[row]:
            reasons.append(())
            continue
        chosen = [tuples[REASON_CODES[column]][row] for column in order[row][available[row]]]
        if past_due[row]:
            chosen.insert(0, ("past_due", int(overdue[row])))
        # Two inputs can come to the same reason (not started, say): name it once.
        chosen = list(dict.fromkeys(chosen))
        # A habit of finishing at the last minute is no cause for worry but tells the teacher
        # how to read the rest: it always finds room.
        habit = habits[row]
        if habit is not None:
            chosen = [*chosen[: MAX_REASONS - 1], habit]
        reasons.append(tuple(chosen[:MAX_REASONS]))
    return reasons


def _habits(features: pd.DataFrame) -> list[Reason | None]:
    """Per row, the student's habit of finishing in a quest's last days, when it is theirs:
    at least half of their earlier quests (one or more) finished in the last LAST_MINUTE."""
    return [
        ("last_minute", last, known) if known >= 1 and 2 * last >= known else None
        for last, known in zip(
            features["earlier_last_minute"].astype(int),
            features["earlier_known"].astype(int),
            strict=True,
        )
    ]


def _true_reasons(features: pd.DataFrame) -> pd.DataFrame:
    """Which reasons are plainly true of each row, so that none reads as nonsense."""
    started = features["started"]
    not_started = ~started & (features["days_open"] >= 1)
    return pd.DataFrame(
        {
            "behind_class": not_started
            | (started & (features["stages_reached"] < features["class_median_reached"])),
            "earlier_stages_left": features["earlier_stages_left"] >= 1,
            "inactive_days": (features["ever_active"] & (features["inactive_days"] >= 2))
            | (~features["ever_active"] & not_started),
            "failed_tries": features["failed_total"] >= 2,
            "checkpoint_missing": started
            & features["checkpoint_missing"]
            & (features["class_median_reached"] >= features["checkpoint_position"].fillna(0)),
            "time_left": (features["days_left"] >= 0)
            & (features["stages_reached"] < features["stages_total"]),
            "earlier_finished": features["earlier_finished"] < features["earlier_known"],
        }
    )[list(REASON_CODES)]


def _reason_tuples(features: pd.DataFrame) -> dict[str, list[Reason]]:
    """Every reason for every row, as (code, whole numbers...)."""

    def whole(column: str, rounding: Callable[[Any], Any] = np.floor) -> list[int]:
        return [int(value) for value in rounding(features[column].fillna(0).to_numpy(float))]

    days_open = whole("days_open")
    behind = [
        ("behind_class", reached, median) if started else ("not_started", days)
        for started, reached, median, days in zip(
            features["started"],
            whole("stages_reached"),
            whole("class_median_reached", np.ceil),
            days_open,
            strict=True,
        )
    ]
    # A student never seen on the platform at all is, above all, not started.
    inactive = [
        ("inactive_days", idle) if seen else ("not_started", days)
        for seen, idle, days in zip(
            features["ever_active"], whole("inactive_days"), days_open, strict=True
        )
    ]
    # Failed tries on the stage the student is stuck on say more than a share, when there are.
    failed = [
        ("failed_tries", on_stage, stage) if on_stage >= 2 else ("failed_share", total, tries)
        for on_stage, stage, total, tries in zip(
            whole("failed_tries"),
            whole("current_position"),
            whole("failed_total"),
            whole("attempts"),
            strict=True,
        )
    ]
    return {
        "behind_class": behind,
        "earlier_stages_left": [("earlier_stages_left", n) for n in whole("earlier_stages_left")],
        "inactive_days": inactive,
        "failed_tries": failed,
        "checkpoint_missing": [
            ("checkpoint_missing", stage) for stage in whole("checkpoint_position")
        ],
        "time_left": [
            ("time_left", days, total - reached, total)
            for days, reached, total in zip(
                whole("days_left"), whole("stages_reached"), whole("stages_total"), strict=True
            )
        ],
        "earlier_finished": [
            ("earlier_finished", finished, known)
            for finished, known in zip(
                whole("earlier_finished"), whole("earlier_known"), strict=True
            )
        ],
    }


def _english_gettext(message: str, **values: Any) -> str:
    return message % values


def _english_ngettext(singular: str, plural: str, num: int, **values: Any) -> str:
    return (singular if num == 1 else plural) % {"num": num, **values}


def describe_reason(
    reason: Reason,
    *,
    gettext: Callable[..., str] = _english_gettext,
    ngettext: Callable[..., str] = _english_ngettext,
) -> str:
    """A reason in plain words, through translation functions shaped like Flask-Babel's.

    Without them the words are English: ``describe_reason(("inactive_days", 6))`` is
    "no activity for 6 days".
    """
    match reason:
        case ("inactive_days", days):
            return ngettext("no activity for %(num)d day", "no activity for %(num)d days", days)
        case ("failed_tries", tries, stage):
            return ngettext(
                "%(num)d failed try on stage %(stage)d",
                "%(num)d failed tries on stage %(stage)d",
                tries,
                stage=stage,
            )
        case ("failed_share", failed, tries):
            return ngettext(
                "%(failed)d of %(num)d try failed",
                "%(failed)d of %(num)d tries failed",
                tries,
                failed=failed,
            )
        case ("behind_class", reached, median):
            return ngettext(
                "%(num)d stage handed in; half the class has %(median)d or more",
                "%(num)d stages handed in; half the class has %(median)d or more",
                reached,
                median=median,
            )
        case ("not_started", days):
            return ngettext(
                "not started %(num)d day after the quest opened",
                "not started %(num)d days after the quest opened",
                days,
            )
        case ("earlier_stages_left", stages):
            return ngettext(
                "%(num)d stage left on earlier quests",
                "%(num)d stages left on earlier quests",
                stages,
            )
        case ("checkpoint_missing", stage):
            return gettext("checkpoint at stage %(stage)d not handed in", stage=stage)
        case ("time_left", days, left, total):
            return ngettext(
                "%(num)d day to the due date, %(left)d of %(total)d stages to go",
                "%(num)d days to the due date, %(left)d of %(total)d stages to go",
                days,
                left=left,
                total=total,
            )
        case ("earlier_finished", finished, known):
            return ngettext(
                "%(finished)d of %(num)d earlier quest finished by its due date",
                "%(finished)d of %(num)d earlier quests finished by their due dates",
                known,
                finished=finished,
            )
        case ("last_minute", last, known):
            return ngettext(
                "usually finishes in the last two days (%(last)d of %(num)d earlier quest)",
                "usually finishes in the last two days (%(last)d of %(num)d earlier quests)",
                known,
                last=last,
            )
        case ("past_due", days):
            return ngettext("%(num)d day past the due date", "%(num)d days past the due date", days)
    raise ValueError(f"unknown reason {reason!r}")
