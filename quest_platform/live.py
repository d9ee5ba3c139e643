"""Live pages: Flask-SocketIO tells open pages that what they show has changed.

A race's projector view and its racers' pages watch the race (the ``/races`` namespace, one
room per race). When a racer's submission is graded, or the race is settled, the room hears
``changed`` with the race's id, and each page fetches the places again over plain HTTP, where
its access rule is checked as for any request: an event carries nothing private.

With ``LIVE_MESSAGE_QUEUE`` set (``REDIS_URL`` by default) the web processes and the graders
share Socket.IO's Redis message queue, so an event a grader emits reaches every web process's
browsers. Without Redis (one process grades in its own pool) events go straight to that
process's browsers.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_security import current_user
from flask_socketio import SocketIO, join_room

from quest_platform.extensions import db
from quest_platform.models import CodeRace
from quest_platform.queries.races import may_watch

socketio = SocketIO()

NAMESPACE = "/races"


def init_live(app: Flask) -> None:
    """Attach Socket.IO to ``app`` (the web app, and a grader's app, which only emits)."""
    socketio.init_app(
        app,
        message_queue=app.config.get("LIVE_MESSAGE_QUEUE"),
        async_mode="threading",
        # The Flask session (server-side, Flask-Session) is read as it is, never written here.
        manage_session=False,
        # No cors_allowed_origins: only the platform's own pages connect, as Engine.IO then
        # checks a connection's Origin against the request's own host.
        logger=False,
        engineio_logger=False,
    )


def room_of(race_id: int) -> str:
    return f"race-{race_id}"


def announce_race(race_id: int) -> None:
    """Tell the pages watching race ``race_id`` that its places may have changed."""
    socketio.emit("changed", {"race": race_id}, to=room_of(race_id), namespace=NAMESPACE)


@socketio.on("connect", namespace=NAMESPACE)
def connect(auth: Any = None) -> bool:
    """Only a signed-in person's page connects."""
    return bool(current_user.is_authenticated)


@socketio.on("watch", namespace=NAMESPACE)
def watch(data: Any) -> dict[str, bool]:
    """Join the room of the race named in ``data`` ({"race": id}) if the user may see it."""
    race_id = data.get("race") if isinstance(data, dict) else None
    if not isinstance(race_id, int) or isinstance(race_id, bool):
        return {"ok": False}
    race = db.session.get(CodeRace, race_id)
    if race is None or not current_user.is_authenticated or not may_watch(current_user, race):
        return {"ok": False}
    join_room(room_of(race_id))
    return {"ok": True}
