"""Reading live games: the players' standings, and the answers to a question as they come in."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select

from quest_platform.extensions import db
from quest_platform.models import Game, GameAnswer, GamePlayer, User


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
    """Every player of ``game`` by points so far; ties share the place, listed by name."""
    totals = (
        select(
            GameAnswer.student_id,
            func.coalesce(func.sum(GameAnswer.points), 0).label("points"),
            func.count().filter(GameAnswer.correct).label("correct"),
        )
        .where(GameAnswer.game_id == game.id)
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
    # A streak is alive only if the player answered the latest question asked, and rightly.
    rows_now = db.session.execute(
        select(GameAnswer.student_id, GameAnswer.streak).where(
            GameAnswer.game_id == game.id, GameAnswer.position == game.position
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
