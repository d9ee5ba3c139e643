"""A live game as a report: each player's place, points and answers, then each question's."""

from __future__ import annotations

from typing import Any

from flask_babel import format_decimal, format_percent, gettext, ngettext, pgettext
from sqlalchemy import select

from quest_platform.extensions import db
from quest_platform.models import Game, GameAnswer, GameQuestion, utcnow
from quest_platform.queries.games import Standing, standings
from quest_platform.reports.document import Cell, Report, Table
from quest_platform.services.grading import answer_texts

# How a player's chosen choices are joined in one cell.
CHOICE_SEPARATOR = "; "


def game_report(game: Game) -> Report:
    """The report of ``game`` (as far as it went): a row per player, by place, with their answer
    to each question and whether it was right; then a row per question, with how the class did.
    """
    questions = list(game.questions)
    answers = {
        (answer.student_id, answer.position): answer
        for answer in db.session.scalars(select(GameAnswer).where(GameAnswer.game_id == game.id))
    }
    places = standings(game)
    return Report(
        title=gettext(
            "Live game %(code)s: %(classroom)s", code=game.code, classroom=game.classroom.name
        ),
        scope=gettext(
            "%(classroom)s: %(players)s, %(questions)s.",
            classroom=game.classroom.name,
            players=ngettext("%(num)d player", "%(num)d players", len(places)),
            questions=ngettext("%(num)d question", "%(num)d questions", len(questions)),
        ),
        computed_at=utcnow(),
        tables=(
            players_table(places, questions, answers),
            questions_table(questions, answers, players=len(places)),
        ),
        notes=(
            settings_note(game),
            gettext("A question a player did not answer counts as wrong."),
        ),
    )


def players_table(
    places: list[Standing],
    questions: list[GameQuestion],
    answers: dict[tuple[int, int], GameAnswer],
) -> Table:
    """A row per player by place: their name, points and right answers, then for each question
    ("Q1", "Q2" …) their answer as they saw it and whether it was right."""
    header = [gettext("Place"), gettext("Name"), gettext("Points"), gettext("Correct answers")]
    for question in questions:
        header += [
            gettext("Q%(number)d", number=question.position),
            gettext("Q%(number)d result", number=question.position),
        ]
    rows: list[tuple[Cell, ...]] = []
    for standing in places:
        row: list[Cell] = [standing.place, standing.name, standing.points, standing.correct]
        for question in questions:
            answer = answers.get((standing.student_id, question.position))
            row += [answer_text(question, answer), result(answer)]
        rows.append(tuple(row))
    return Table(
        caption=gettext("Players"),
        header=tuple(header),
        rows=tuple(rows),
        empty_text=gettext("Nobody joined this game."),
    )


def questions_table(
    questions: list[GameQuestion], answers: dict[tuple[int, int], GameAnswer], *, players: int
) -> Table:
    """A row per question: how many players answered it, how many rightly, the share of all
    players who were right, and how long an answer took on average."""
    by_question: dict[int, list[GameAnswer]] = {}
    for answer in answers.values():
        by_question.setdefault(answer.position, []).append(answer)
    rows: list[tuple[Cell, ...]] = []
    for question in questions:
        given = by_question.get(question.position, [])
        right = sum(1 for answer in given if answer.correct)
        seconds = sum(answer.elapsed_ms for answer in given) / 1000 / len(given) if given else None
        rows.append(
            (
                question.position,
                str(question.question.get("prompt", "")),
                len(given),
                right,
                format_percent(right / players) if players else None,
                None if seconds is None else round(seconds, 1),
            )
        )
    return Table(
        caption=gettext("Questions"),
        header=(
            gettext("Question"),
            gettext("Prompt"),
            gettext("Answered"),
            gettext("Right"),
            gettext("Share of players right"),
            gettext("Average seconds to answer"),
        ),
        rows=tuple(rows),
        empty_text=gettext("This game asks no questions."),
    )


def answer_text(question: GameQuestion, answer: GameAnswer | None) -> str:
    """A player's answer as they saw it: the chosen choices' texts, or the text they wrote;
    empty when they did not answer."""
    if answer is None:
        return ""
    response: Any = answer.response
    if isinstance(response, list):
        response = tuple(index for index in response if isinstance(index, int))
    elif not isinstance(response, str):
        return ""
    return CHOICE_SEPARATOR.join(answer_texts(question.question, response))


def result(answer: GameAnswer | None) -> str:
    """Whether an answer was right, in words (a missing answer says so)."""
    if answer is None:
        return pgettext("game answer", "Not answered")
    return pgettext("game answer", "Right") if answer.correct else pgettext("game answer", "Wrong")


def settings_note(game: Game) -> str:
    """The game's scoring settings, in one sentence."""
    on, off = pgettext("game setting", "on"), pgettext("game setting", "off")
    if game.seconds_per_question is None:
        timer = gettext("no timer")
    else:
        timer = ngettext(
            "%(num)d second a question", "%(num)d seconds a question", game.seconds_per_question
        )
    return gettext(
        "Points a question: %(points)s; speed scoring %(speed)s; streak bonus %(streak)s; "
        "%(timer)s.",
        points=format_decimal(game.points_per_question),
        speed=on if game.speed_scoring else off,
        streak=on if game.streak_bonus else off,
        timer=timer,
    )
