"""Learning the quest model from this deployment's own records: the examples its settled quests
give, the stored versions, the model in use, and the predictions that name it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import func, select

import manage
from analytics.history import SETTLE_DAYS, database_examples, finished_by_due
from analytics.load import load_dataset
from analytics.model import shipped_model
from analytics.prediction import INPUTS
from quest_platform.extensions import db
from quest_platform.models import (
    Classroom,
    Confidence,
    PredictionModel,
    QuestAssignment,
    QuestPrediction,
)
from quest_platform.services.analytics import refresh_analytics
from quest_platform.services.errors import Conflict, ServiceError
from quest_platform.services.prediction_models import (
    MIN_EXAMPLES,
    fit_prediction_model,
    model_in_use,
)
from seeds.load import seed_students

# The scale classes' history is simulated up to HISTORY_END; by LATER every quest they were
# given has been due for SETTLE_DAYS.
HISTORY_END = datetime(2026, 10, 5, 16, tzinfo=UTC)
LATER = HISTORY_END + timedelta(days=60)


def quiet(line: str) -> None:
    """Seeding's progress lines, unwanted here."""


@pytest.fixture
def history(make) -> list[int]:
    """A teacher's four classes of 30, each given two quests, with their history; their ids."""
    make.teacher()
    seed_students(count=120, seed=11, echo=quiet, class_size=30, quest_count=2, now=HISTORY_END)
    return sorted(db.session.scalars(select(Classroom.id)))


def test_settled_quests_give_examples_cut_week_by_week(history):
    examples = database_examples(db.engine, now=LATER, classroom_ids=history)

    assert set(examples["classroom_id"]) == set(history)
    assignments = db.session.scalars(
        select(QuestAssignment).where(QuestAssignment.classroom_id.in_(history))
    ).all()
    longest = max((a.due_at - a.opens_at) // timedelta(weeks=1) for a in assignments)
    assert set(examples["week"]) == set(range(1, longest + 1))
    assert (examples["due_at"] <= pd.Timestamp(LATER - timedelta(days=SETTLE_DAYS))).all()
    # Each example was still being worked on at its cut, a whole number of weeks in.
    assert (~examples["done"]).all()
    cut = examples["opens_at"] + pd.to_timedelta(examples["week"] * 7, unit="D")
    assert (cut < examples["due_at"]).all()
    # Labelled with what became of the student, read from the records as they are now.
    truth = finished_by_due(load_dataset(db.engine, classroom_ids=history, now=LATER))
    labelled = examples.merge(truth, on=["classroom_id", "student_id", "quest_id"], how="left")
    assert (labelled["finished_x"] == labelled["finished_y"].fillna(False)).all()
    assert 0 < examples["finished"].sum() < len(examples)


def test_a_quest_not_yet_settled_gives_no_example(history):
    early = HISTORY_END + timedelta(days=1)
    examples = database_examples(db.engine, now=early, classroom_ids=history)
    settled_by = pd.Timestamp(early - timedelta(days=SETTLE_DAYS))
    assert (examples["due_at"] <= settled_by).all()
    later = database_examples(db.engine, now=LATER, classroom_ids=history)
    assert len(examples) < len(later)


def test_fitting_stores_each_version_with_its_data_and_evaluation(history):
    assert model_in_use() == (shipped_model(), None)

    first = fit_prediction_model(now=LATER)
    second = fit_prediction_model(now=LATER)

    assert (first.version, second.version) == (1, 2)
    examples = database_examples(db.engine, now=LATER)
    assert first.examples == len(examples)
    assert first.classrooms == examples["classroom_id"].nunique()
    assert first.data_from <= first.data_to <= LATER
    assert first.parameters["inputs"] == list(INPUTS)
    assert first.parameters["local_examples"] == len(examples)
    assert [week["week"] for week in first.evaluation["weeks"]] == [1, 2, 3]
    model, stored = model_in_use()
    assert stored.id == second.id
    # As of a moment before the first fit, predictions were the shipped model's.
    assert model_in_use(as_of=LATER - timedelta(seconds=1)) == (shipped_model(), None)
    assert model_in_use(as_of=LATER)[1].id == second.id
    assert model.local_examples == len(examples)
    assert model.coefficients.to_list() == pytest.approx(second.parameters["coefficients"])


def test_refreshed_predictions_name_the_model_and_their_confidence(history):
    classroom = db.session.get(Classroom, history[0])
    refresh_analytics(classroom=classroom, now=LATER)
    shipped = db.session.scalars(
        select(QuestPrediction).where(QuestPrediction.classroom_id == classroom.id)
    ).all()
    assert shipped
    assert {prediction.model_id for prediction in shipped} == {None}

    fitted = fit_prediction_model(now=LATER)
    refresh_analytics(classroom=classroom, now=LATER + timedelta(minutes=1))
    predictions = db.session.scalars(
        select(QuestPrediction).where(QuestPrediction.classroom_id == classroom.id)
    ).all()
    assert {prediction.model_id for prediction in predictions} == {fitted.id}
    assert {prediction.confidence for prediction in predictions} <= set(Confidence)


def test_too_little_history_is_refused_and_nothing_is_stored(app, make):
    make.classroom()
    with pytest.raises(ServiceError, match="Too little history to learn from yet") as refusal:
        fit_prediction_model(now=LATER)
    assert f"It takes {MIN_EXAMPLES}" in refusal.value.message
    assert db.session.scalar(select(func.count()).select_from(PredictionModel)) == 0
    assert model_in_use()[1] is None


def test_the_fit_command_reports_the_model_and_its_backtest(app, history):
    result = app.test_cli_runner().invoke(manage.cli, ["analytics", "fit"])

    assert result.exit_code == 0, result.output
    stored = model_in_use()[1]
    assert (
        f"Fitted quest model 1 on {stored.examples} examples from 4 classrooms and 8 quests"
        in result.output
    )
    for week in (1, 2, 3):
        assert (
            re.search(
                rf"Week {week}, on classrooms it did not learn from: AUC 0\.\d{{3}} \(share of "
                rf"stages done 0\.\d{{3}}\), Brier 0\.\d{{3}} \(completion rate 0\.\d{{3}}\), "
                rf"calibration error 0\.\d{{3}}\.",
                result.output,
            )
            or f"Week {week}: too little data to judge." in result.output
        )


def test_two_fits_at_once_store_two_versions_or_refuse_one(history, monkeypatch):
    # The second fit reads the same highest version as the first, as two at once would.
    real_scalar = db.session.scalar
    monkeypatch.setattr(
        db.session,
        "scalar",
        lambda statement, *args, **kwargs: (
            0
            if "max(prediction_model.version)" in str(statement)
            else real_scalar(statement, *args, **kwargs)
        ),
    )
    fit_prediction_model(now=LATER)
    with pytest.raises(Conflict, match="Another fit stored version 1 first"):
        fit_prediction_model(now=LATER)
    monkeypatch.undo()
    assert db.session.scalar(select(func.count()).select_from(PredictionModel)) == 1
