"""Reading live games: the players' standings, and the answers to a question as they come in."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from quest_platform.extensions import db
from quest_platform.models import (
    Game,
    GameAnswer,
    GamePlayer,
    GameQuestion,
    GameStatus,
    TimeExtension,
    User,
)
from quest_platform.queries.classrooms import classrooms_of_student


@dataclass(frozen=True)
class Standing:
    """A player's place in a game: by points, ties sharing a place (1, 1, 3)."""

    place: int
    student_id: int
    name: str
    points: int
    correct: int
    streak: int


def standings(game: Game) -> list[Standing]:
    """Every player of ``game`` by points so far; ties share the place, listed by name.

    While a question is open its answers do not count yet: a player's score, place or streak
    must not tell them (or a neighbour) whether they were right before the reveal.
    """
    counted = game.position - 1 if game.status == GameStatus.QUESTION else game.position
    totals = (
        select(
            GameAnswer.student_id,
            func.coalesce(func.sum(GameAnswer.points), 0).label("points"),
            func.count().filter(GameAnswer.correct).label("correct"),
        )
        .where(GameAnswer.game_id == game.id, GameAnswer.position <= counted)
        .group_by(GameAnswer.student_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            GamePlayer.student_id,
            User.pseudonym,
            func.coalesce(totals.c.points, 0),
            func.coalesce(totals.c.correct, 0),
        )
        .join(User, User.id == GamePlayer.student_id)
        .outerjoin(totals, totals.c.student_id == GamePlayer.student_id)
        .where(GamePlayer.game_id == game.id)
        .order_by(func.coalesce(totals.c.points, 0).desc(), User.pseudonym)
    ).all()
    # A streak is alive only if the player answered the latest question counted, and rightly.
    rows_now = db.session.execute(
        select(GameAnswer.student_id, GameAnswer.streak).where(
            GameAnswer.game_id == game.id, GameAnswer.position == counted
        )
    )
    latest = {row.student_id: row.streak for row in rows_now}
    places: list[Standing] = []
    for index, (student_id, name, points, correct) in enumerate(rows):
        tied = places and places[-1].points == points
        place = places[-1].place if tied else index + 1
        streak = latest.get(student_id, 0)
        places.append(Standing(place, student_id, name, int(points), int(correct), streak))
    return places


def answer_count(game: Game, position: int) -> int:
    """How many players have answered the question at ``position``."""
    return int(
        db.session.scalar(
            select(func.count()).where(
                GameAnswer.game_id == game.id, GameAnswer.position == position
            )
        )
        or 0
    )


def choice_counts(game: Game, position: int) -> Counter[int]:
    """How many players chose each choice (by index) of the question at ``position``."""
    counts: Counter[int] = Counter()
    for response in db.session.scalars(
        select(GameAnswer.response).where(
            GameAnswer.game_id == game.id, GameAnswer.position == position
        )
    ):
        if isinstance(response, list):
            counts.update(index for index in response if isinstance(index, int))
    return counts


# What live pages are sent. A question's right answer leaves the server only with the reveal.

PODIUM_PLACES = 3
LEADERBOARD_PLACES = 5


def public_question(question: GameQuestion) -> dict[str, Any]:
    """What players see of a question: its prompt, its type and its choices (no answers)."""
    asked = question.question
    return {
        "prompt": str(asked.get("prompt", "")),
        "type": str(asked.get("type", "single")),
        "choices": [str(choice) for choice in asked.get("choices", [])],
        "stage": question.stage_id,
    }


def right_answer(question: GameQuestion) -> dict[str, Any]:
    """A question's right answer: its correct choices' indexes, or the accepted texts."""
    asked = question.question
    if asked.get("type") == "short":
        return {"accepted": [str(text) for text in asked.get("accepted", [])]}
    return {"choices": sorted(int(index) for index in asked.get("answer", []))}


def current_question(game: Game) -> GameQuestion | None:
    """The question on screen (asked or revealed), or None in the lobby."""
    if game.position == 0:
        return None
    return db.session.get(GameQuestion, (game.id, game.position))


def player_count(game: Game) -> int:
    return int(db.session.scalar(select(func.count()).where(GamePlayer.game_id == game.id)) or 0)


def player_names(game: Game) -> list[str]:
    """The joined players' leaderboard names, by name."""
    return list(
        db.session.scalars(
            select(User.pseudonym)
            .join(GamePlayer, GamePlayer.student_id == User.id)
            .where(GamePlayer.game_id == game.id)
            .order_by(User.pseudonym)
        )
    )


def longest_extra_seconds(game: Game, stage_id: int) -> int:
    """The most extra time any player of ``game`` has on ``stage_id``: the question stays open
    for them."""
    per_player = (
        select(func.coalesce(func.sum(TimeExtension.extra_seconds), 0).label("extra"))
        .join(GamePlayer, GamePlayer.student_id == TimeExtension.student_id)
        .where(GamePlayer.game_id == game.id, TimeExtension.stage_id == stage_id)
        .group_by(TimeExtension.student_id)
        .subquery()
    )
    return int(db.session.scalar(select(func.max(per_player.c.extra))) or 0)


def game_document(game: Game, *, now: datetime) -> dict[str, Any]:
    """The game as every page in it sees it: where it is, the question on screen (with its
    right answer, the answers' distribution and the leading places once revealed) and the
    podium at the end. Times are durations measured here, never a client's clock."""
    document: dict[str, Any] = {
        "game": game.id,
        "status": str(game.status),
        "position": game.position,
        "total": len(game.questions),
        "seconds": game.seconds_per_question,
        "players": player_count(game),
    }
    if game.status == GameStatus.LOBBY:
        document["names"] = player_names(game)
    question = current_question(game)
    if question is not None and game.status in (GameStatus.QUESTION, GameStatus.REVEAL):
        document["question"] = public_question(question)
        started = game.question_started_at or now
        document["elapsed_ms"] = max(int((now - started).total_seconds() * 1000), 0)
        document["answered"] = answer_count(game, game.position)
        if game.seconds_per_question is not None:
            longest = game.seconds_per_question + longest_extra_seconds(game, question.stage_id)
            document["closes_in_ms"] = max(longest * 1000 - document["elapsed_ms"], 0)
    if game.status == GameStatus.REVEAL and question is not None:
        counts = choice_counts(game, game.position)
        document["answer"] = right_answer(question)
        document["counts"] = [
            counts.get(index, 0) for index in range(len(question.question.get("choices", [])))
        ]
        document["leaders"] = [place_document(s) for s in standings(game)[:LEADERBOARD_PLACES]]
    if game.status == GameStatus.FINISHED:
        document["podium"] = [
            place_document(s) for s in standings(game) if s.place <= PODIUM_PLACES
        ]
    return document


def place_document(standing: Standing) -> dict[str, Any]:
    return {
        "place": standing.place,
        "name": standing.name,
        "points": standing.points,
        "correct": standing.correct,
    }


def player_documents(game: Game, *, only: int | None = None) -> dict[int, dict[str, Any]]:
    """What each player (or only the player ``only``) is told of their own game, by student id:
    their name, score, place and streak, whether they answered the question on screen (and,
    once revealed, whether rightly and for how many points), and their extra time by stage.

    A few queries for the whole class, however many players: a reveal tells each of them.
    """
    answers = select(GameAnswer).where(
        GameAnswer.game_id == game.id, GameAnswer.position == game.position
    )
    extras = (
        select(
            TimeExtension.student_id, TimeExtension.stage_id, func.sum(TimeExtension.extra_seconds)
        )
        .where(
            TimeExtension.student_id.in_(
                select(GamePlayer.student_id).where(GamePlayer.game_id == game.id)
            ),
            TimeExtension.stage_id.in_(
                select(GameQuestion.stage_id).where(GameQuestion.game_id == game.id)
            ),
        )
        .group_by(TimeExtension.student_id, TimeExtension.stage_id)
    )
    if only is not None:
        answers = answers.where(GameAnswer.student_id == only)
        extras = extras.where(TimeExtension.student_id == only)
    answered = {answer.student_id: answer for answer in db.session.scalars(answers)}
    extra: dict[int, dict[str, int]] = {}
    for student_id, stage_id, seconds in db.session.execute(extras):
        extra.setdefault(student_id, {})[str(stage_id)] = int(seconds)
    documents: dict[int, dict[str, Any]] = {}
    for standing in standings(game):
        if only is not None and standing.student_id != only:
            continue
        answer = answered.get(standing.student_id)
        document: dict[str, Any] = {
            "name": standing.name,
            "points": standing.points,
            "place": standing.place,
            "streak": standing.streak,
            "answered": answer is not None,
            "extra": extra.get(standing.student_id, {}),
        }
        if answer is not None and game.status != GameStatus.QUESTION:
            document["correct"] = answer.correct
            document["earned"] = answer.points
        documents[standing.student_id] = document
    return documents


def games_for_student(student: User) -> list[Game]:
    """The open games of a student's classrooms, newest first."""
    return list(
        db.session.scalars(
            select(Game)
            .where(
                Game.classroom_id.in_(classrooms_of_student(student.id)),
                Game.finished_at.is_(None),
            )
            .order_by(Game.created_at.desc(), Game.id.desc())
        )
    )


def games_hosted_by(host: User) -> list[Game]:
    """The open games ``host`` hosts, newest first."""
    return list(
        db.session.scalars(
            select(Game)
            .where(Game.host_id == host.id, Game.finished_at.is_(None))
            .order_by(Game.created_at.desc(), Game.id.desc())
        )
    )
