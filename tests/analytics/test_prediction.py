"""Quest predictions: features, the pace model, probabilities, risk levels and reasons."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from analytics.dataset import Dataset
from analytics.model import shipped_model
from analytics.prediction import (
    AT_RISK_BELOW,
    INPUTS,
    LOCAL_EXAMPLES_FOR_FAIR,
    LOCAL_EXAMPLES_FOR_GOOD,
    ON_TRACK_FROM,
    PREDICTIONS,
    LabelledDataset,
    QuestModel,
    calibrate,
    describe_reason,
    examples_frame,
    fit_local,
    fit_model,
    predict_quests,
    quest_features,
    risk_levels,
)
from quest_platform.models.analytics import RiskLevel
from seeds.cohorts import training_examples

DAY = pd.Timedelta(days=1)
NOW = pd.Timestamp("2025-09-15 12:00", tz="UTC")
# Quest 1 opened two weeks ago and is due in two; quest 2 opened a week ago, due in three.
QUESTS = {1: (NOW - 14 * DAY, NOW + 14 * DAY), 2: (NOW - 7 * DAY, NOW + 21 * DAY)}
KINDS = ("lesson", "quiz", "quiz", "checkpoint", "code", "reflection")
# The weights of the model the reason tests use (none on the other inputs).
KNOWN_WEIGHTS = {
    "progress": 2.0,
    "earlier_stages_left": -1.0,
    "inactive_days": -1.0,
    "failed_share": -2.0,
    "checkpoint_missing": -1.0,
    "time_used": -1.0,
}


def stage_id(quest: int, position: int) -> int:
    return (quest - 1) * len(KINDS) + position


def attempt(student: int, quest: int, position: int, outcome: str, days_ago: float) -> dict:
    moment = NOW - days_ago * DAY
    return {
        "student_id": student,
        "quest_id": quest,
        "stage_id": stage_id(quest, position),
        "started_at": moment - pd.Timedelta(minutes=10),
        "submitted_at": moment,
        "score": np.nan if outcome == "pending_review" else 1.0,
        "max_score": 1.0,
        "outcome": outcome,
    }


def make_dataset(
    attempts: list[dict], *, now: pd.Timestamp = NOW, students: int = 4, quests=QUESTS
) -> Dataset:
    """One classroom of ``students``, the quests of ``quests``, six stages each."""
    frame = pd.DataFrame(attempts, columns=list(attempt(1, 1, 1, "passed", 0)))
    frame.insert(0, "attempt_id", range(1, len(frame) + 1))
    return Dataset.of(
        now=now,
        attempts=frame,
        stages=pd.DataFrame(
            [
                (stage_id(quest, position), quest, position, kind, f"Stage {position}", 10)
                for quest in quests
                for position, kind in enumerate(KINDS, 1)
            ],
            columns=["stage_id", "quest_id", "position", "kind", "title", "points"],
        ),
        quests=pd.DataFrame({"quest_id": list(quests), "slug": "q", "title": "Q"}),
        classrooms=pd.DataFrame({"classroom_id": [1], "name": ["Period 1"]}),
        students=pd.DataFrame(
            {"student_id": range(1, students + 1), "name": "S", "pseudonym": "P"}
        ),
        enrollments=pd.DataFrame({"classroom_id": 1, "student_id": range(1, students + 1)}),
        assignments=pd.DataFrame(
            [(1, quest, opens, due) for quest, (opens, due) in quests.items()],
            columns=["classroom_id", "quest_id", "opens_at", "due_at"],
        ),
    )


def class_attempts() -> list[dict]:
    """Student 1 stalls on stage 3 of quest 1; 2 finished it; 3 never came; 4 awaits review."""
    return [
        attempt(1, 1, 1, "passed", 13),
        attempt(1, 1, 2, "passed", 12),
        attempt(1, 1, 3, "failed", 7),
        attempt(1, 1, 3, "failed", 6),
        *(attempt(2, 1, position, "passed", 14 - position) for position in range(1, 7)),
        attempt(2, 2, 1, "passed", 1),
        attempt(4, 1, 1, "passed", 10),
        attempt(4, 1, 2, "passed", 9),
        attempt(4, 1, 3, "passed", 5),
        attempt(4, 1, 4, "pending_review", 2),
        attempt(4, 1, 5, "passed", -1),  # after now: not yet known
    ]


@pytest.fixture(scope="module")
def features() -> pd.DataFrame:
    frame = quest_features(make_dataset(class_attempts()))
    return frame.set_index(["student_id", "quest_id"])


@pytest.fixture(scope="module")
def known_model() -> QuestModel:
    """A model whose weights are KNOWN_WEIGHTS (none on the other inputs), unstandardized."""
    return QuestModel.from_parameters(
        {
            "inputs": list(INPUTS),
            "mean": [0.0] * len(INPUTS),
            "scale": [1.0] * len(INPUTS),
            "coefficients": [KNOWN_WEIGHTS.get(name, 0.0) for name in INPUTS],
            "intercept": 0.0,
        }
    )


def test_features_of_a_student_stalled_on_a_stage(features):
    row = features.loc[(1, 1)]
    assert row["stages_total"] == 6
    assert row["stages_done"] == row["stages_reached"] == 2
    assert row["current_position"] == 3
    assert row["failed_tries"] == row["failed_total"] == 2
    assert row["attempts"] == 4
    assert row["failed_share"] == 0.5
    assert row["inactive_days"] == pytest.approx(6)
    assert row["days_open"] == pytest.approx(14)
    assert row["time_used"] == pytest.approx(0.5)
    assert row["progress"] == pytest.approx(2 / 6)
    assert row["checkpoint_position"] == 4
    assert row["checkpoint_missing"]
    assert row["started"]
    assert not row["done"]


def test_features_count_earlier_quests_left_undone(features):
    assert features.loc[(1, 2), "earlier_stages_left"] == 4
    assert features.loc[(3, 2), "earlier_stages_left"] == 6
    assert features.loc[(2, 2), "earlier_stages_left"] == 0
    assert features.loc[(1, 1), "earlier_stages_left"] == 0, "nothing opened before quest 1"


def test_a_student_who_never_came_is_not_started_and_idle_since_the_quest_opened(features):
    row = features.loc[(3, 1)]
    assert not row["started"]
    assert not row["ever_active"]
    assert row["stages_reached"] == 0
    assert row["inactive_days"] == pytest.approx(14)
    assert features.loc[(3, 2), "inactive_days"] == pytest.approx(7)


def test_a_pending_review_is_reached_not_done_and_later_attempts_are_ignored(features):
    row = features.loc[(4, 1)]
    assert row["stages_done"] == 3
    assert row["stages_reached"] == 4
    assert not row["checkpoint_missing"]
    assert row["current_position"] == 4
    assert row["inactive_days"] == pytest.approx(2)


def test_a_done_quest_finishes_when_its_last_stage_was_done(features):
    row = features.loc[(2, 1)]
    assert row["done"]
    assert row["completed_at"] == NOW - 8 * DAY
    assert row["predicted_finish"] == row["finish_low"] == row["finish_high"] == NOW - 8 * DAY


def test_the_pace_model_leans_on_the_class_pace(features):
    # Quest 1: 2 + 6 + 0 + 4 stages reached over 14 + 6 + 14 + 14 days: 0.25 stages a day.
    # Student 1 has one stage lent at that pace: (2 + 1) / (14 + 4) = 1/6 of a stage a day,
    # so the 4 stages left take 24 days.
    row = features.loc[(1, 1)]
    assert row["class_pace"] == pytest.approx(0.25)
    assert row["pace"] == pytest.approx(1 / 6)
    assert row["predicted_finish"] == NOW + 24 * DAY
    assert row["finish_low"] <= row["predicted_finish"] <= row["finish_high"]
    assert row["finish_low"] < row["finish_high"]


@pytest.mark.parametrize(
    ("probability", "risk"),
    [
        (0.0, RiskLevel.AT_RISK),
        (AT_RISK_BELOW - 0.001, RiskLevel.AT_RISK),
        (AT_RISK_BELOW, RiskLevel.WATCH),
        (ON_TRACK_FROM - 0.001, RiskLevel.WATCH),
        (ON_TRACK_FROM, RiskLevel.ON_TRACK),
        (1.0, RiskLevel.ON_TRACK),
    ],
)
def test_risk_levels_follow_the_thresholds(probability, risk):
    assert risk_levels(np.array([probability])).tolist() == [risk]


def test_predictions_have_the_declared_columns_and_one_row_per_student_and_quest(known_model):
    predictions = predict_quests(make_dataset(class_attempts()), model=known_model)
    assert predictions.dtypes.astype(str).to_dict() == PREDICTIONS
    assert len(predictions) == 8
    assert predictions["probability"].between(0, 1).all()
    assert predictions["risk"].isin(list(RiskLevel)).all()
    assert (predictions["computed_at"] == NOW).all()
    assert predictions["predicted_finish"].notna().all()


def test_a_done_student_is_certain_and_on_track(known_model):
    predictions = predict_quests(make_dataset(class_attempts()), model=known_model)
    row = predictions.set_index(["student_id", "quest_id"]).loc[(2, 1)]
    assert row["probability"] == 1.0
    assert row["risk"] == RiskLevel.ON_TRACK
    assert row["reasons"] == ()
    assert row["stages_done"] == row["stages_total"] == 6


def test_reasons_name_what_holds_a_student_back_with_its_numbers(known_model):
    predictions = predict_quests(make_dataset(class_attempts()), model=known_model)
    row = predictions.set_index(["student_id", "quest_id"]).loc[(1, 1)]
    assert row["risk"] == RiskLevel.AT_RISK
    # Idle for 6 days weighs most, 2 failed tries on stage 3 next, then half the time gone.
    # The missing checkpoint is left out: most of the class has not reached stage 4 either.
    assert row["reasons"] == (("inactive_days", 6), ("failed_tries", 2, 3), ("time_left", 14, 4, 6))
    assert [describe_reason(reason) for reason in row["reasons"]] == [
        "no activity for 6 days",
        "2 failed tries on stage 3",
        "14 days to the due date, 4 of 6 stages to go",
    ]


def test_reasons_for_a_student_who_has_not_started(known_model):
    predictions = predict_quests(make_dataset(class_attempts()), model=known_model)
    row = predictions.set_index(["student_id", "quest_id"]).loc[(3, 2)]
    assert row["risk"] == RiskLevel.AT_RISK
    # Never seen on the platform: "not started" stands for the idle days too, and only once.
    assert set(row["reasons"]) == {
        ("not_started", 7),
        ("earlier_stages_left", 6),
        ("time_left", 21, 6, 6),
    }


def test_on_track_students_carry_no_reasons(known_model):
    predictions = predict_quests(make_dataset(class_attempts()), model=known_model)
    on_track = predictions[predictions["risk"] == RiskLevel.ON_TRACK]
    assert len(on_track) > 0
    assert on_track["reasons"].map(len).eq(0).all()
    others = predictions[predictions["risk"] != RiskLevel.ON_TRACK]
    assert others["reasons"].map(len).between(1, 3).all()


def test_a_quest_past_its_due_date_is_lost_unless_done(known_model):
    three_days_late = QUESTS[1][1] + 3 * DAY + pd.Timedelta(hours=1)
    dataset = make_dataset(class_attempts(), now=three_days_late)
    predictions = predict_quests(dataset, model=known_model).set_index(["student_id", "quest_id"])
    late = predictions.loc[(1, 1)]
    assert late["probability"] == 0.0
    assert late["risk"] == RiskLevel.AT_RISK
    assert late["reasons"][0] == ("past_due", 3)
    assert describe_reason(late["reasons"][0]) == "3 days past the due date"
    assert predictions.loc[(2, 1), "probability"] == 1.0


def test_an_empty_dataset_gives_an_empty_typed_frame(known_model):
    predictions = predict_quests(Dataset.of(now=NOW), model=known_model)
    assert predictions.empty
    assert predictions.dtypes.astype(str).to_dict() == PREDICTIONS


def test_a_class_with_no_attempts_still_gets_finite_predictions(known_model):
    predictions = predict_quests(make_dataset([]), model=known_model)
    assert len(predictions) == 8
    assert predictions["probability"].notna().all()
    assert predictions["predicted_finish"].notna().all()
    assert (predictions["predicted_finish"] > NOW).all()
    reasons = predictions.set_index(["student_id", "quest_id"]).loc[(1, 1), "reasons"]
    assert ("not_started", 14) in reasons


def test_a_single_attempt_is_enough(known_model):
    predictions = predict_quests(make_dataset([attempt(1, 1, 1, "passed", 3)]), model=known_model)
    assert predictions["probability"].notna().all()
    row = predictions.set_index(["student_id", "quest_id"]).loc[(1, 1)]
    assert row["finish_low"] <= row["predicted_finish"] <= row["finish_high"]
    # One stage in two weeks across the class: the others' projections on quest 1 lie beyond
    # a year, which is no estimate at all. On quest 2 nobody has moved, so the schedule's own
    # pace stands in for the class's.
    unknown = predictions[predictions["predicted_finish"].isna()]
    assert unknown[["student_id", "quest_id"]].values.tolist() == [[2, 1], [3, 1], [4, 1]]


def test_a_quest_not_yet_open_is_projected_from_its_opening(known_model):
    quests = {1: (NOW + 2 * DAY, NOW + 30 * DAY)}
    dataset = make_dataset([], quests=quests)
    features = quest_features(dataset)
    assert (features["days_open"] == 0).all()
    predictions = predict_quests(dataset, model=known_model)
    assert predictions["probability"].notna().all()
    assert (predictions["predicted_finish"] > NOW + 2 * DAY).all()


def test_fitting_needs_both_outcomes():
    dataset = make_dataset(class_attempts())
    labels = pd.DataFrame(
        {"student_id": [1, 3, 4], "quest_id": 1, "week": 2, "finished": [True, True, True]}
    )
    with pytest.raises(ValueError, match="finished and who did not"):
        fit_model([LabelledDataset(dataset=dataset, labels=labels)])


@pytest.mark.parametrize(
    ("reason", "words"),
    [
        (("inactive_days", 1), "no activity for 1 day"),
        (("inactive_days", 6), "no activity for 6 days"),
        (("failed_tries", 3, 4), "3 failed tries on stage 4"),
        (("failed_share", 5, 9), "5 of 9 tries failed"),
        (("behind_class", 2, 5), "2 stages handed in; half the class has 5 or more"),
        (("not_started", 7), "not started 7 days after the quest opened"),
        (("earlier_stages_left", 1), "1 stage left on earlier quests"),
        (("checkpoint_missing", 4), "checkpoint at stage 4 not handed in"),
        (("time_left", 1, 2, 7), "1 day to the due date, 2 of 7 stages to go"),
        (("past_due", 2), "2 days past the due date"),
    ],
)
def test_reasons_read_as_plain_english(reason, words):
    assert describe_reason(reason) == words


def test_reasons_go_through_the_translation_functions_given():
    calls = []

    def gettext(message, **values):
        calls.append(message)
        return "«" + message % values + "»"

    def ngettext(singular, plural, num, **values):
        calls.append(plural)
        return "«" + (singular if num == 1 else plural) % {"num": num, **values} + "»"

    translate = {"gettext": gettext, "ngettext": ngettext}
    assert describe_reason(("inactive_days", 6), **translate) == "«no activity for 6 days»"
    assert describe_reason(("checkpoint_missing", 4), **translate) == (
        "«checkpoint at stage 4 not handed in»"
    )
    assert calls == ["no activity for %(num)d days", "checkpoint at stage %(stage)d not handed in"]


def test_an_unknown_reason_is_refused():
    with pytest.raises(ValueError, match="unknown reason"):
        describe_reason(("gremlins", 1))


# Quest 0 opened five weeks ago and was due a week ago; quest 1 is the one in progress.
EARLIER = {0: (NOW - 35 * DAY, NOW - 7 * DAY), **QUESTS}


def earlier_dataset() -> Dataset:
    """Student 1 finished quest 0 half a day before its due date, student 2 two weeks before it,
    student 3 never; student 4 enrolled with nothing. Student 1 has 20 minutes' extra time."""
    due = EARLIER[0][1]
    days_before_now = (NOW - due) / DAY
    rows = [
        *(attempt(1, 0, position, "passed", days_before_now + 0.5) for position in range(1, 7)),
        *(attempt(2, 0, position, "passed", days_before_now + 14) for position in range(1, 7)),
        attempt(3, 0, 1, "failed", days_before_now + 20),
        attempt(1, 1, 1, "passed", 2),
    ]
    dataset = make_dataset(rows, quests=EARLIER)
    extensions = pd.DataFrame(
        {
            "student_id": [1, 1],
            "stage_id": [stage_id(1, 5), stage_id(1, 5)],
            "extra_seconds": [600, 600],
            "granted_at": [NOW - DAY, NOW + DAY],  # the second is not granted yet
        }
    )
    return Dataset.of(
        now=NOW,
        attempts=dataset.attempts,
        stages=dataset.stages,
        quests=dataset.quests,
        classrooms=dataset.classrooms,
        students=dataset.students,
        enrollments=dataset.enrollments,
        assignments=dataset.assignments,
        extensions=extensions,
    )


def test_the_earlier_record_counts_quests_already_due_and_how_they_ended():
    features = quest_features(earlier_dataset()).set_index(["student_id", "quest_id"])
    first, second, third, fourth = (features.loc[(student, 1)] for student in (1, 2, 3, 4))
    assert first["earlier_known"] == second["earlier_known"] == third["earlier_known"] == 1
    assert (first["earlier_finished"], first["earlier_last_minute"]) == (1, 1)
    assert (second["earlier_finished"], second["earlier_last_minute"]) == (1, 0)
    assert (third["earlier_finished"], third["earlier_last_minute"]) == (0, 0)
    assert fourth["earlier_known"] == 1
    assert fourth["earlier_finished"] == 0
    # Quest 0 itself has no earlier quest; quest 2 opened after quest 1, not yet due.
    assert (features.xs(0, level="quest_id")["earlier_known"] == 0).all()
    assert first["extra_seconds"] == 600
    assert second["extra_seconds"] == 0


def test_habit_and_record_reasons_are_true_of_the_student(known_model):
    predictions = predict_quests(earlier_dataset(), model=known_model)
    by_pair = predictions.set_index(["student_id", "quest_id"])["reasons"]
    assert ("last_minute", 1, 1) in by_pair[(1, 1)]
    for student in (2, 3, 4):
        assert not any(reason[0] == "last_minute" for reason in by_pair[(student, 1)])
    assert describe_reason(("last_minute", 2, 3)) == (
        "usually finishes in the last two days (2 of 3 earlier quests)"
    )
    assert describe_reason(("earlier_finished", 0, 1)) == (
        "0 of 1 earlier quest finished by its due date"
    )


def test_a_likely_finish_range_never_collapses_to_one_day(known_model):
    predictions = predict_quests(make_dataset(class_attempts()), model=known_model)
    open_rows = predictions[predictions["predicted_finish"].notna()]
    open_rows = open_rows[open_rows["stages_done"] < open_rows["stages_total"]]
    assert len(open_rows) > 0
    assert (open_rows["finish_high"] - open_rows["predicted_finish"] >= DAY).all()
    assert (open_rows["finish_low"] <= open_rows["predicted_finish"]).all()
    assert (open_rows["finish_high"] - open_rows["finish_low"] >= DAY).all()
    assert (open_rows["finish_low"] >= NOW).all()


def test_confidence_is_little_until_the_model_knows_the_school(known_model):
    shipped = predict_quests(earlier_dataset(), model=known_model)
    open_now = shipped["stages_done"] < shipped["stages_total"]
    assert (shipped.loc[open_now & (shipped["quest_id"] == 1), "confidence"] == "little_data").all()
    assert (shipped.loc[~open_now, "confidence"] == "good").all()

    local = replace(known_model, local_examples=LOCAL_EXAMPLES_FOR_GOOD)
    predictions = predict_quests(earlier_dataset(), model=local).set_index(
        ["student_id", "quest_id"]
    )
    # Halfway through quest 1 with quest 0 behind them: good, started or not.
    assert predictions.loc[(1, 1), "confidence"] == "good"
    assert predictions.loc[(4, 1), "confidence"] == "good"
    fair = replace(known_model, local_examples=LOCAL_EXAMPLES_FOR_FAIR)
    assert (
        predict_quests(earlier_dataset(), model=fair)
        .set_index(["student_id", "quest_id"])
        .loc[(1, 1), "confidence"]
        == "fair"
    )


def test_a_quest_in_its_first_days_has_little_data_whatever_the_model(known_model):
    quests = {1: (NOW - 2 * DAY, NOW + 26 * DAY)}
    dataset = make_dataset([attempt(1, 1, 1, "passed", 1)], quests=quests)
    local = replace(known_model, local_examples=LOCAL_EXAMPLES_FOR_GOOD)
    assert (predict_quests(dataset, model=local)["confidence"] == "little_data").all()
    later = make_dataset([attempt(1, 1, 1, "passed", 1)], quests=quests, now=NOW + 5 * DAY)
    confidence = predict_quests(later, model=local).set_index("student_id")["confidence"]
    assert confidence[1] == "fair"  # started, nothing earlier to go on
    assert confidence[2] == "little_data"  # nothing at all from them yet


def simulated_frame(seeds: range) -> pd.DataFrame:
    return examples_frame(training_examples(seeds, weeks=(1, 2, 3, 4)))


def test_a_school_with_little_history_keeps_close_to_the_prior():
    prior = shipped_model()
    frame = simulated_frame(range(60, 61))
    few = frame.sample(n=60, random_state=1)
    little = fit_local(few, prior=prior)
    much = fit_local(frame, prior=prior)
    distance = np.abs(little.coefficients - prior.coefficients).sum()
    assert distance < np.abs(much.coefficients - prior.coefficients).sum()
    assert little.local_examples == 60
    assert much.local_examples == len(frame)


def test_a_local_fit_learns_the_school_completion_rate():
    prior = shipped_model()
    frame = simulated_frame(range(61, 63))
    # A school where nobody finishes a quest in its first weeks... a third of the examples
    # flipped to unfinished: the fitted model's mean probability follows the school.
    school = frame.assign(finished=frame["finished"] & (frame.index % 3 != 0))
    fitted = fit_local(school, prior=prior, groups=school["classroom_id"])
    mean = fitted.probabilities(school).mean()
    assert mean == pytest.approx(school["finished"].mean(), abs=0.02)
    assert prior.probabilities(school).mean() > mean + 0.1


def test_calibration_folds_into_the_coefficients():
    prior = shipped_model()
    frame = simulated_frame(range(63, 64))
    log_odds = prior.log_odds(frame)
    # Outcomes drawn from half the prior's log-odds: calibration halves the weights.
    rng = np.random.default_rng(4)
    finished = rng.random(len(frame)) < 1 / (1 + np.exp(-0.5 * log_odds))
    calibrated = calibrate(prior, log_odds, finished)
    weighed = prior.coefficients != 0  # inputs the simulated classes never vary weigh nothing
    ratio = (calibrated.coefficients / prior.coefficients)[weighed]
    assert ratio.to_numpy() == pytest.approx(np.full(len(ratio), ratio.iloc[0]))
    assert 0.3 < ratio.iloc[0] < 0.7
