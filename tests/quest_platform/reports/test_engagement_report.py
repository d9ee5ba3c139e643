"""The engagement report in words: charts with takeaways, tables, empty states, Spanish."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from quest_platform.reports.engagement import engagement
from tests.quest_platform.reports.school_of_three import attempt, school

ACTIVE = [
    attempt(1, 1, "2025-09-02 10:00"),
    attempt(1, 2, "2025-09-03 10:00"),
    attempt(1, 3, "2025-09-10 10:00"),
    attempt(2, 1, "2025-09-02 11:00"),
    attempt(2, 2, "2025-09-02 12:00", "failed"),
    attempt(2, 2, "2025-09-03 12:00", "failed"),
    attempt(2, 2, "2025-09-04 12:00", "failed"),
]


@pytest.fixture
def context(app):
    with app.test_request_context("/"):
        yield


def test_a_classroom_report_has_weekly_funnel_and_grid_charts_and_a_student_table(context):
    report = engagement(school(ACTIVE), classroom_id=1)
    assert report.title == "Engagement report: Period 1"
    assert report.scope == "3 students, 1 quest assigned."
    assert [chart.slug for chart in report.charts] == ["weekly-1", "funnel-1-10", "grid-1-10"]
    assert report.charts[1].title == "Stage funnel: Sessions, Period 1"
    weekly, funnel, grid = report.charts
    assert weekly.takeaway == "Busiest week: Sep 1, with 2 students active; this week so far: 0."
    assert [row[:2] for row in weekly.table.rows] == [("Sep 1", 2), ("Sep 8", 1), ("Sep 15", 0)]
    assert funnel.takeaway == (
        "The class stalls at stage 2. Sessions quiz: 1 of 2 students who reached it is stuck there."
    )
    assert funnel.table.rows[1] == ("2. Sessions quiz", 2, 1, 1, 0, 0, 1.0)
    assert grid.takeaway == "Every stage done: 1 of 3 students. 0 answers await your review."
    assert grid.table.rows[1] == ("Ben", "✓ done", "✗ tried, not passed yet", "○ not started")
    for chart in report.charts:
        assert chart.svg is not None
        assert chart.takeaway in chart.svg  # the chart's description is its takeaway
    students = report.tables[0]
    assert [row[0] for row in students.rows] == ["Ada", "Ben", "Cy"]
    assert students.rows[2][-1] == "never started"
    assert students.rows[0][1] == 3


# Every student passed stages 1 and 2 and handed in the checkpoint of stage 3, unmarked.
WAITING = [
    attempt(student, stage, f"2025-09-0{student + 1} 1{stage}:00", outcome)
    for student in (1, 2, 3)
    for stage, outcome in ((1, "passed"), (2, "passed"), (3, "pending_review"))
]


def test_checkpoints_waiting_for_review_are_the_teachers_turn_not_a_stall(context):
    funnel = engagement(school(WAITING), classroom_id=1).charts[1]
    assert funnel.takeaway == (
        "No stage holds the class back: most who reach a stage pass it. "
        "3 checkpoints wait for your review."
    )
    assert funnel.table.header[4] == "Awaiting your review"
    assert funnel.table.rows[2] == ("3. Login works", 3, 0, 0, 3, 0, None)


def test_one_checkpoint_waiting_reads_in_the_singular_in_both_languages(context):
    one = [row for row in WAITING if row["student_id"] == 1]
    assert (
        engagement(school(one), classroom_id=1)
        .charts[1]
        .takeaway.endswith(" 1 checkpoint waits for your review.")
    )
    with force_locale("es"):
        spanish = engagement(school(one), classroom_id=1).charts[1].takeaway
    assert spanish.endswith(" 1 punto de control espera tu revisión.")
    with force_locale("es"):
        spanish = engagement(school(WAITING), classroom_id=1).charts[1].takeaway
    assert spanish.endswith(" 3 puntos de control esperan tu revisión.")


def test_a_classroom_without_attempts_says_so_instead_of_drawing_nothing(context):
    report = engagement(school([]), classroom_id=1)
    weekly, funnel, grid = report.charts
    assert weekly.svg is None
    assert weekly.takeaway == "Nobody has handed anything in yet."
    assert funnel.svg is None
    assert funnel.takeaway == "Nobody has started this quest yet."
    assert grid.svg is not None  # every student "not started" is worth seeing
    assert grid.takeaway.startswith("Every stage done: 0 of 3 students.")


def test_a_classroom_without_students_reads_as_empty(context):
    report = engagement(school([], students=0), classroom_id=1)
    assert report.tables[0].rows == ()
    assert report.tables[0].empty_text == "No students are enrolled in this classroom yet."
    assert all(chart.svg is None for chart in report.charts)


def test_the_report_reads_in_spanish(context):
    with force_locale("es"):
        report = engagement(school(ACTIVE), classroom_id=1)
    assert report.title == "Informe de participación: Period 1"
    assert report.charts[0].title == "Participación semanal: Period 1"
    assert "Estudiante" in report.tables[0].header
