"""The games scenario's baseline: a bare Flask + Flask-SocketIO app that does the least a live
game needs, served like the platform (bench/games.py).

It speaks the platform's ``/games`` protocol to the same bots, in the same threading mode, with
the same message size cap and the same message queue (Redis when ``REDIS_URL`` is set), on the
same bench database:

- ``host`` and ``play`` join the game's room (anyone may connect: there is no sign-in);
- ``next`` sends the room a fixed question document, ``reveal`` a fixed reveal document;
- ``answer`` inserts one row into a small table of its own and commits, then acknowledges.
"""

from __future__ import annotations

import os
import random
from typing import Any

from flask import Flask, request
from flask_socketio import SocketIO, join_room
from sqlalchemy import create_engine, text

# The platform's SQLite settings (WAL, a busy timeout), set on every engine's connections.
import quest_platform.database  # noqa: F401
from quest_platform.config import database_url
from quest_platform.live import MAX_MESSAGE_BYTES

NAMESPACE = "/games"
# The question every ``next`` shows: as big as a demo question's document.
QUESTION = {
    "prompt": "Which of these is a good reason to store data in a database?",
    "type": "single",
    "choices": [
        "Many people can read and change it at once",
        "It makes the data smaller",
        "It hides the data from everyone",
        "It runs the code faster",
    ],
    "stage": 1,
}

engine = create_engine(database_url(os.environ.get("DATABASE_URL"), "sqlite:///bench.db"))
with engine.begin() as connection:
    connection.execute(
        text(
            "CREATE TABLE IF NOT EXISTS bench_game_answer ("
            " game INTEGER NOT NULL, position INTEGER NOT NULL, player VARCHAR(40) NOT NULL,"
            " response VARCHAR(100) NOT NULL, PRIMARY KEY (game, position, player))"
        )
    )

app = Flask(__name__)
socketio = SocketIO(
    app,
    message_queue=os.environ.get("REDIS_URL"),
    async_mode="threading",
    max_http_buffer_size=MAX_MESSAGE_BYTES,
    logger=False,
    engineio_logger=False,
)


def room_of(game: Any) -> str:
    return f"game-{game}"


@socketio.on("host", namespace=NAMESPACE)
@socketio.on("play", namespace=NAMESPACE)
def take_place(data: dict[str, Any]) -> dict[str, Any]:
    join_room(room_of(data["game"]))
    return {"ok": True}


@socketio.on("next", namespace=NAMESPACE)
def next_question(data: dict[str, Any]) -> dict[str, Any]:
    position = data["position"] + 1
    document = {
        "game": data["game"],
        "status": "question",
        "position": position,
        "question": QUESTION,
        "seconds": 20,
        "elapsed_ms": 0,
        # The platform's document carries a few counts read from the database.
        "players": 0,
        "answered": 0,
        "closes_in_ms": 20_000,
    }
    socketio.emit("game", document, to=room_of(data["game"]), namespace=NAMESPACE)
    return {"ok": True}


@socketio.on("reveal", namespace=NAMESPACE)
def reveal(data: dict[str, Any]) -> dict[str, Any]:
    document = {
        "game": data["game"],
        "status": "reveal",
        "position": data["position"],
        "question": QUESTION,
        "answer": {"choices": [0]},
        "counts": [random.randint(0, 100) for _ in QUESTION["choices"]],
    }
    socketio.emit("game", document, to=room_of(data["game"]), namespace=NAMESPACE)
    return {"ok": True}


@socketio.on("answer", namespace=NAMESPACE)
def answer(data: dict[str, Any]) -> dict[str, Any]:
    """One INSERT and its commit, keyed like the platform's answers (a second one fails)."""
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO bench_game_answer (game, position, player, response)"
                " VALUES (:game, :position, :player, :response)"
            ),
            {
                "game": data["game"],
                "position": data["position"],
                "player": request.sid,  # type: ignore[attr-defined]
                "response": str(data["response"])[:100],
            },
        )
    return {"ok": True, "answered": True}
