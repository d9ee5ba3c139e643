"""A live game's events (the ``/games`` namespace of quest_platform/live.py).

Pages send, each answered with ``{"ok": true, ...}`` or ``{"ok": false, "error": text}``:

- ``host`` {game}: the host's page (the game's host, or an administrator) takes its place; the
  answer holds the game as it is now, so a reloaded host page carries on.
- ``play`` {game}: a player's page (a student who joined) takes its place; the answer holds the
  game and the player's own name, score, place, streak and extra time, so a player who reloads,
  loses the network or switches device comes back where they were.
- ``answer`` {game, position, response}: the player answers the question at ``position``. Only
  the response is read: the player is the signed-in student, the time is the server's and the
  points are counted here, whatever else the message holds.
- ``next`` {game, position}, ``reveal`` {game, position}, ``finish`` {game}: the host's moves,
  each made once however often it is sent (two hosts' tabs, a double click).

The server sends ``game`` (the game as every page sees it: ``game_document``) to the game's
room after every move and every join, ``answered`` {position, count} to the host's room as
answers come in, and ``you`` (``player_documents``) to each player after a reveal and at the end.
With Redis as the message queue these reach the pages of every web process.

Every event costs its connection part of a budget (``budgeted``); a message over 16 KB closes
the connection unread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask_babel import gettext as _
from flask_security import current_user
from flask_socketio import join_room
from sqlalchemy.exc import SQLAlchemyError

from quest_platform.extensions import db
from quest_platform.live import budgeted, forget_budget, socketio
from quest_platform.models import Game, GamePlayer, GameStatus, User, utcnow
from quest_platform.queries.games import (
    answer_count,
    game_document,
    player_documents,
)
from quest_platform.services.errors import ServiceError
from quest_platform.services.games import (
    answer_question,
    check_host,
    finish_game,
    reveal_answers,
    show_next_question,
)

NAMESPACE = "/games"

logger = logging.getLogger(__name__)


def room_of(game_id: int) -> str:
    """Every page of the game: the host's and the players'."""
    return f"game-{game_id}"


def host_room_of(game_id: int) -> str:
    return f"game-{game_id}-host"


def player_room_of(game_id: int, student_id: int) -> str:
    """One player's pages (a player may have the game open on two devices)."""
    return f"game-{game_id}-player-{student_id}"


def whole_number(value: Any) -> int | None:
    """``value`` if it is a whole number (and not a boolean), else None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def game_in(data: Any) -> Game:
    """The game named by a message's ``game``; a message naming none is refused alike."""
    game_id = whole_number(data.get("game")) if isinstance(data, dict) else None
    game = db.session.get(Game, game_id) if game_id is not None else None
    if game is None:
        raise ServiceError(_("This game does not exist."))
    return game


def user() -> User:
    return current_user._get_current_object()


def answered_plainly(handler: Callable[[Any], dict[str, Any]]) -> Callable[[Any], dict[str, Any]]:
    """A refused event is answered with its reason, as the page shows it."""

    @wraps(handler)
    def answering(data: Any = None) -> dict[str, Any]:
        try:
            return {"ok": True, **handler(data)}
        except ServiceError as error:
            db.session.rollback()
            return {"ok": False, "error": error.message}
        except SQLAlchemyError:
            # The database is out of reach or every connection is busy (a class of a thousand
            # answering at once): the page is told to try again rather than left waiting.
            db.session.rollback()
            logger.exception("A live game's event failed in the database")
            return {"ok": False, "error": _("The game is busy. Try again in a moment.")}

    return answering


def announce_game(game: Game) -> None:
    """Send every page of ``game`` the game as it is now; after a reveal or the end, tell each
    player their own result too."""
    db.session.refresh(game)
    document = game_document(game, now=utcnow())
    socketio.emit("game", document, to=room_of(game.id), namespace=NAMESPACE)
    if game.status in (GameStatus.REVEAL, GameStatus.FINISHED):
        for student_id, mine in player_documents(game).items():
            socketio.emit("you", mine, to=player_room_of(game.id, student_id), namespace=NAMESPACE)


@socketio.on("connect", namespace=NAMESPACE)
def connect(auth: Any = None) -> bool:
    """Only a signed-in person's page connects."""
    return bool(current_user.is_authenticated)


@socketio.on("disconnect", namespace=NAMESPACE)
def disconnect(reason: Any = None) -> None:
    forget_budget()


@socketio.on("host", namespace=NAMESPACE)
@budgeted
@answered_plainly
def host(data: Any) -> dict[str, Any]:
    """The host's page joins the game's rooms and is sent the game as it is."""
    game = game_in(data)
    check_host(game, user())
    join_room(room_of(game.id))
    join_room(host_room_of(game.id))
    return {"game": game_document(game, now=utcnow())}


@socketio.on("play", namespace=NAMESPACE)
@budgeted
@answered_plainly
def play(data: Any) -> dict[str, Any]:
    """A player's page joins the game's rooms and is sent the game and the player's place."""
    game = game_in(data)
    student = user()
    if db.session.get(GamePlayer, (game.id, student.id)) is None:
        raise ServiceError(_("Join the game with its code first."))
    join_room(room_of(game.id))
    join_room(player_room_of(game.id, student.id))
    mine = player_documents(game, only=student.id)[student.id]
    return {"game": game_document(game, now=utcnow()), "you": mine}


@socketio.on("answer", namespace=NAMESPACE)
@budgeted
@answered_plainly
def answer(data: Any) -> dict[str, Any]:
    """Record the signed-in player's answer; the host's page hears the new count."""
    game = game_in(data)
    position = whole_number(data.get("position"))
    answer_question(
        game_id=game.id, student=user(), position=position or -1, response=data.get("response")
    )
    count = answer_count(game, position or 0)
    socketio.emit(
        "answered",
        {"position": position, "count": count},
        to=host_room_of(game.id),
        namespace=NAMESPACE,
    )
    return {"answered": True}


def host_move(move: Callable[[Game, Any], None]) -> Callable[[Any], dict[str, Any]]:
    """One of the host's moves: checked, made, then announced to every page of the game."""

    @wraps(move)
    def moving(data: Any = None) -> dict[str, Any]:
        game = game_in(data)
        check_host(game, user())
        move(game, data)
        announce_game(game)
        return {}

    return moving


def seen_position(game: Game, data: Any) -> None:
    """A move names the question its page showed: a page behind the game moves nothing."""
    if whole_number(data.get("position")) != game.position:
        raise ServiceError(_("The game has moved on already."))


@socketio.on("next", namespace=NAMESPACE)
@budgeted
@answered_plainly
@host_move
def next_question(game: Game, data: Any) -> None:
    """Show the next question (or, after the last, end the game)."""
    seen_position(game, data)
    show_next_question(game=game, by=user())


@socketio.on("reveal", namespace=NAMESPACE)
@budgeted
@answered_plainly
@host_move
def reveal(game: Game, data: Any) -> None:
    """Close the question on screen and show its answers."""
    seen_position(game, data)
    reveal_answers(game=game, by=user())


@socketio.on("finish", namespace=NAMESPACE)
@budgeted
@answered_plainly
@host_move
def finish(game: Game, data: Any) -> None:
    """End the game now and record its answers."""
    finish_game(game=game, by=user())
