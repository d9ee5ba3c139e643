"""Live games in the admin: which games a person sees there, and how big each one is."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import InstrumentedAttribute

from quest_platform.extensions import db
from quest_platform.models import Game, GamePlayer, GameQuestion, User
from quest_platform.queries.classrooms import classrooms_taught_by


def games_visible_to(user: User) -> ColumnElement[bool] | None:
    """The games ``user`` sees in the admin: their classrooms' (None: an admin's, all)."""
    if user.is_admin:
        return None
    return Game.classroom_id.in_(classrooms_taught_by(user.id))


@dataclass(frozen=True)
class GameSize:
    """How many questions a game asks and how many players joined it."""

    questions: int = 0
    players: int = 0


def game_sizes(games: Sequence[Game]) -> dict[int, GameSize]:
    """The size of each of ``games``, by game id: two grouped queries, however many games."""
    ids = [game.id for game in games]
    if not ids:
        return {}
    questions = counts_by_game(GameQuestion.game_id, ids)
    players = counts_by_game(GamePlayer.game_id, ids)
    return {
        game_id: GameSize(questions.get(game_id, 0), players.get(game_id, 0)) for game_id in ids
    }


def counts_by_game(game_id: InstrumentedAttribute[int], ids: list[int]) -> dict[int, int]:
    """How many rows of ``game_id``'s table each of the games ``ids`` has (none: missing)."""
    rows = db.session.execute(
        select(game_id, func.count()).where(game_id.in_(ids)).group_by(game_id)
    )
    return {int(key): int(count) for key, count in rows}
