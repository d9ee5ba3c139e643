"""The report of a live game: each player's place, points and answers in words, each question's
counts, as CSV and XLSX files where a player's name never runs as a formula."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from quest_platform.models import utcnow
from quest_platform.reports.files import ReportFormat, render_report
from quest_platform.reports.games import game_report
from quest_platform.services.games import (
    answer_question,
    finish_game,
    join_game,
    open_game,
    reveal_answers,
    show_next_question,
)

QUIZ, TIMED = 1, 5  # indexes into a builders' quest's stages: "Sessions quiz", "Speed round"
HEADER = (
    "Place",
    "Name",
    "Points",
    "Correct answers",
    "Q1",
    "Q1 result",
    "Q2",
    "Q2 result",
)


@pytest.fixture
def context(app):
    with app.test_request_context("/"):
        yield


@pytest.fixture
def game_class(make):
    """A teacher's class of three students, and a game of two questions on its quest's quiz
    (single choice: "Browser" or "Server", the right one) and timed quiz (short: "POST")."""
    teacher = make.teacher()
    students = [make.student() for _ in range(3)]
    for student, name in zip(students, ("Ana Fox", "=Ben", "Cai Owl"), strict=True):
        student.pseudonym = name
    classroom = make.classroom(teachers=[teacher], students=students)
    quest = make.quest(author=teacher)
    make.assignment(quest=quest, classroom=classroom)
    stages = [quest.stages[QUIZ], quest.stages[TIMED]]
    game = open_game(classroom=classroom, stages=stages, by=teacher, seconds=20)
    return teacher, students, classroom, game


@pytest.fixture
def played(game_class):
    """The game played to its end: Ana right twice, Ben wrong once, Cai wrong once."""
    teacher, (ana, ben, cai), classroom, game = game_class
    for student in (ana, ben, cai):
        join_game(code=game.code, student=student)
    first = utcnow()
    show_next_question(game=game, by=teacher, now=first)
    answer_question(
        game_id=game.id, student=ana, position=1, response=[1], now=first + timedelta(seconds=5)
    )
    answer_question(game_id=game.id, student=ben, position=1, response=[0], now=first)
    reveal_answers(game=game, by=teacher)
    second = first + timedelta(minutes=1)
    show_next_question(game=game, by=teacher, now=second)
    answer_question(
        game_id=game.id, student=ana, position=2, response="post", now=second + timedelta(seconds=2)
    )
    answer_question(
        game_id=game.id, student=cai, position=2, response="GET", now=second + timedelta(seconds=4)
    )
    finish_game(game=game, by=teacher)
    return classroom, game


def test_a_row_per_player_by_place_with_their_answers_in_words(context, played):
    classroom, game = played
    report = game_report(game)
    players, questions = report.tables

    assert report.title == f"Live game {game.code}: {classroom.name}"
    assert report.scope == f"{classroom.name}: 3 players, 2 questions."
    assert players.header == HEADER
    # 875 for a right answer in 5 of 20 seconds; 950 in 2, with 100 for the second in a row.
    # Ben and Cai tie on no points and share second place, listed by name.
    assert players.rows == (
        (1, "Ana Fox", 1925, 2, "Server", "Right", "post", "Right"),
        (2, "=Ben", 0, 0, "Browser", "Wrong", "", "Not answered"),
        (2, "Cai Owl", 0, 0, "", "Not answered", "GET", "Wrong"),
    )
    assert questions.header == (
        "Question",
        "Prompt",
        "Answered",
        "Right",
        "Share of players right",
        "Average seconds to answer",
    )
    assert questions.rows == (
        (1, "Where is session data kept?", 2, 1, "33%", 2.5),
        (2, "HTTP verb to create?", 2, 1, "33%", 3.0),
    )
    assert (
        "Points a question: 1,000; speed scoring on; streak bonus on; 20 seconds a question."
        in (report.notes)
    )


def test_a_game_nobody_joined_reports_its_questions_unanswered(context, game_class):
    _teacher, _students, _classroom, game = game_class
    players, questions = game_report(game).tables
    assert players.rows == ()
    assert players.empty_text == "Nobody joined this game."
    assert [row[2:] for row in questions.rows] == [(0, 0, None, None), (0, 0, None, None)]


def test_the_csv_and_xlsx_hold_the_places_and_names_as_text(context, played):
    _classroom, game = played
    report = game_report(game)

    rows = list(csv.reader(io.StringIO(render_report(report, ReportFormat.CSV).decode())))
    assert tuple(rows[0]) == HEADER
    assert rows[1] == ["1", "Ana Fox", "1925", "2", "Server", "Right", "post", "Right"]
    # A name that starts like a formula is exported as text.
    assert rows[2][:2] == ["2", "'=Ben"]

    workbook = load_workbook(io.BytesIO(render_report(report, ReportFormat.XLSX)))
    assert workbook.sheetnames == ["Players", "Questions"]
    players = list(workbook["Players"].values)
    assert players[0] == HEADER
    assert players[1] == (1, "Ana Fox", 1925, 2, "Server", "Right", "post", "Right")
    assert players[2][:2] == (2, "'=Ben")
    questions = list(workbook["Questions"].values)
    assert questions[1] == (1, "Where is session data kept?", 2, 1, "33%", 2.5)
