"""A report as CSV, XLSX, Markdown and an HTML file that opens offline."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from quest_platform.reports.document import Chart, Report, Table
from quest_platform.reports.files import ReportFormat, render_report

STUDENTS = Table(
    caption="Engagement of each student",
    header=("Student", "Attempts", "Hours on task"),
    rows=(("Zoë Núñez", 12, 1.5), ("=HYPERLINK(1)", 3, None), ("Ada | Lovelace", 0, 0.0)),
)
WEEKS = Table(caption="Students active per week", header=("Week of", "Students"), rows=())
REPORT = Report(
    title="Engagement report: Period 1",
    scope="3 students, 1 quest assigned.",
    computed_at=datetime(2026, 11, 30, 15, 0, tzinfo=UTC),
    charts=(
        Chart(
            title="Weekly engagement",
            takeaway="Nobody has handed anything in yet.",
            svg=None,
            table=Table(
                caption="Students active per week",
                header=("Week of", "Students"),
                rows=(("Nov 2", 3),),
            ),
            slug="weekly",
        ),
        Chart(
            title="Stage funnel",
            takeaway="No stage holds the class back.",
            svg='<svg role="img" aria-labelledby="t"><title id="t">Stage funnel</title></svg>',
            table=WEEKS,
            slug="funnel-1",
        ),
    ),
    tables=(STUDENTS,),
)


@pytest.fixture
def context(app):
    with app.test_request_context("/"):
        yield


def test_the_csv_is_the_main_table_in_utf8_that_never_runs_a_formula(context):
    text = render_report(REPORT, ReportFormat.CSV).decode("utf-8")
    assert text.startswith("Student,Attempts,Hours on task\r\n")
    assert "Zoë Núñez,12,1.5" in text
    assert "'=HYPERLINK(1),3," in text


def test_the_xlsx_has_a_sheet_per_table_with_the_numbers_as_numbers(context):
    workbook = load_workbook(io.BytesIO(render_report(REPORT, ReportFormat.XLSX)))
    assert workbook.sheetnames == [
        "Engagement of each student",
        "Students active per week",
        "Students active per week (2)",
    ]
    rows = list(workbook["Engagement of each student"].values)
    assert rows[0] == ("Student", "Attempts", "Hours on task")
    assert rows[1] == ("Zoë Núñez", 12, 1.5)
    assert rows[2][0] == "'=HYPERLINK(1)"


def test_the_markdown_escapes_what_would_break_its_tables(context):
    text = render_report(REPORT, ReportFormat.MD).decode()
    assert text.startswith("# Engagement report: Period 1\n")
    assert "| Ada \\| Lovelace | 0 | 0.0 |" in text
    assert "## Stage funnel" in text
    assert "No stage holds the class back." in text


def test_the_html_file_holds_everything_and_reaches_for_nothing(context):
    page = render_report(REPORT, ReportFormat.HTML).decode()
    assert page.startswith("<!doctype html>")
    assert '<html lang="en">' in page
    assert '<svg role="img" aria-labelledby="t">' in page
    # A chart without a picture shows its table instead; one with a picture adds its figures
    # under a disclosure (here none: an empty table reads as its empty text).
    assert page.count("<table") == 2
    assert page.count("<details>") == 1
    assert "Students active per week" in page
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert "<script" not in page
    assert "Zoë Núñez" in page
    assert "—" in page  # the empty cell
