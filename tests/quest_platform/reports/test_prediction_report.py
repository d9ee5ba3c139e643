"""The prediction report in words: which model made the predictions and how sure each one is."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask_babel import force_locale

from analytics.dataset import Dataset
from analytics.model import shipped_model
from analytics.prediction import QuestModel
from quest_platform.models import PredictionModel
from quest_platform.reports.files import ReportFormat, render_report
from quest_platform.reports.predictions import chance_text, predictions
from tests.quest_platform.reports.school_of_three import attempt
from tests.quest_platform.reports.school_of_three import school as school_of_three

STARTING_MODEL = (
    "Predictions by the starting model, learned from simulated classes and not yet from this "
    "school's records: take them as a first guess."
)


def school() -> Dataset:
    """Three students half-way through a quest of three stages, due in two weeks."""
    return school_of_three(
        [
            attempt(1, 1, "2025-09-02 10:00"),
            attempt(1, 2, "2025-09-10 10:00"),
            attempt(2, 1, "2025-09-03 11:00"),
        ]
    )


def fitted_model() -> PredictionModel:
    """Model 3 as stored after learning from this school's records (not saved: none needed)."""
    return PredictionModel(
        version=3,
        fitted_at=datetime(2026, 12, 3, 15, 0, tzinfo=UTC),
        data_from=datetime(2026, 9, 1, 12, 0, tzinfo=UTC),
        data_to=datetime(2026, 11, 28, 12, 0, tzinfo=UTC),
        examples=2310,
        classrooms=12,
        quests=40,
        parameters={**shipped_model().parameters(), "local_examples": 2310},
        evaluation={"weeks": []},
    )


@pytest.fixture
def context(app):
    with app.test_request_context("/"):
        yield


def chances(report) -> list[str]:
    [table] = report.tables
    column = table.header.index("Chance of finishing by the due date")
    return [str(row[column]) for row in table.rows]


def test_the_report_names_the_starting_model_and_gives_first_guesses(context):
    report = predictions(school(), model=shipped_model(), classroom_id=1)
    assert report.notes[0] == STARTING_MODEL
    # The starting model has learned nothing from this school: every chance is a first guess.
    assert all(chance.startswith("about ") for chance in chances(report))
    assert all(chance.endswith("— little data yet") for chance in chances(report))
    markdown = render_report(report, ReportFormat.MD).decode()
    assert STARTING_MODEL in markdown


def test_the_report_names_the_fitted_model_it_predicted_with(context):
    fitted = fitted_model()
    model = QuestModel.from_parameters(fitted.parameters)
    report = predictions(school(), model=model, fitted=fitted, classroom_id=1)
    sentence = (
        "Predictions by model 3, learned from this school's records on Dec 3, 2026: 2,310 "
        "examples from 12 classrooms, on quests from Sep 1, 2026 to Nov 28, 2026."
    )
    assert report.notes[0] == sentence
    assert sentence in render_report(report, ReportFormat.MD).decode()
    # Learned from enough of the school's records, the chances of students who handed work in
    # are no longer first guesses.
    assert any("confidence" in chance for chance in chances(report))


def test_the_report_reads_in_spanish(app):
    fitted = fitted_model()
    with app.test_request_context("/"), force_locale("es"):
        report = predictions(
            school(), model=QuestModel.from_parameters(fitted.parameters), fitted=fitted
        )
        assert report.notes[0].startswith(
            "Predicciones del modelo 3, aprendido de los registros de esta escuela el 3 dic 2026:"
        )


@pytest.mark.parametrize(
    ("probability", "confidence", "words"),
    [
        (0.63, "little_data", "about 60% — little data yet"),
        # With little data nothing is sure either way.
        (0.02, "little_data", "about 10% — little data yet"),
        (0.99, "little_data", "about 90% — little data yet"),
        (0.63, "fair", "63% — fair confidence"),
        (1.0, "good", "100% — good confidence"),
    ],
)
def test_a_chance_says_how_sure_it_is_in_words(context, probability, confidence, words):
    assert chance_text(probability, confidence) == words
