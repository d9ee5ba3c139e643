"""Live pages: Flask-SocketIO tells open pages that what they show has changed.

Two namespaces: ``/races`` here, and ``/games`` (live games, quest_platform/games/live.py).

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

import threading
import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, request
from flask_babel import gettext as _
from flask_security import current_user
from flask_socketio import SocketIO, join_room

from quest_platform.extensions import db
from quest_platform.models import CodeRace
from quest_platform.queries.races import may_watch

socketio = SocketIO()

NAMESPACE = "/races"
# The largest message a page may send (an answer, a move): anything bigger closes the
# connection before it is read.
MAX_MESSAGE_BYTES = 16 * 1024
# Each connection may send this many events at once, then one more per this many seconds:
# far more than a player or a host needs, far less than a script flooding the server.
EVENT_BURST = 10
SECONDS_PER_EVENT = 0.5


def init_live(app: Flask) -> None:
    """Attach Socket.IO to ``app`` (the web app, and a grader's app, which only emits)."""
    socketio.init_app(
        app,
        message_queue=app.config.get("LIVE_MESSAGE_QUEUE"),
        channel=app.config.get("LIVE_CHANNEL", "flask-socketio"),
        async_mode="threading",
        max_http_buffer_size=MAX_MESSAGE_BYTES,
        # The Flask session (server-side, Flask-Session) is read as it is, never written here.
        manage_session=False,
        # No cors_allowed_origins: only the platform's own pages connect, as Engine.IO then
        # checks a connection's Origin against the request's own host.
        logger=False,
        engineio_logger=False,
    )


class EventBudget:
    """How many more events one connection may send now: ``EVENT_BURST`` at once, refilled at
    one per ``SECONDS_PER_EVENT`` (a token bucket)."""

    def __init__(self) -> None:
        self.tokens = float(EVENT_BURST)
        self.checked = time.monotonic()
        self.lock = threading.Lock()

    def spend(self) -> bool:
        """Take one event from the budget; False if it is spent."""
        with self.lock:
            now = time.monotonic()
            refill = (now - self.checked) / SECONDS_PER_EVENT
            self.tokens = min(float(EVENT_BURST), self.tokens + refill)
            self.checked = now
            if self.tokens < 1:
                return False
            self.tokens -= 1
            return True


# One budget per connection of this process (a connection lives in one process).
budgets: dict[str, EventBudget] = {}

Handler = TypeVar("Handler", bound=Callable[..., Any])


def budgeted(handler: Handler) -> Handler:
    """Refuse an event past its connection's budget, unread: the page is told to slow down."""

    @wraps(handler)
    def checked(*args: Any, **kwargs: Any) -> Any:
        sid = getattr(request, "sid", "")
        if not budgets.setdefault(sid, EventBudget()).spend():
            return {"ok": False, "error": _("Too many messages at once. Wait a moment.")}
        return handler(*args, **kwargs)

    return checked  # type: ignore[return-value]


def forget_budget() -> None:
    """Drop the budget of a connection that closed."""
    budgets.pop(getattr(request, "sid", ""), None)


def room_of(race_id: int) -> str:
    return f"race-{race_id}"


def announce_race(race_id: int) -> None:
    """Tell the pages watching race ``race_id`` that its places may have changed."""
    socketio.emit("changed", {"race": race_id}, to=room_of(race_id), namespace=NAMESPACE)


@socketio.on("connect", namespace=NAMESPACE)
def connect(auth: Any = None) -> bool:
    """Only a signed-in person's page connects."""
    return bool(current_user.is_authenticated)


@socketio.on("disconnect", namespace=NAMESPACE)
def disconnect(reason: Any = None) -> None:
    forget_budget()


@socketio.on("watch", namespace=NAMESPACE)
@budgeted
def watch(data: Any) -> dict[str, Any]:
    """Join the room of the race named in ``data`` ({"race": id}) if the user may see it."""
    race_id = data.get("race") if isinstance(data, dict) else None
    if not isinstance(race_id, int) or isinstance(race_id, bool):
        return {"ok": False}
    race = db.session.get(CodeRace, race_id)
    if race is None or not current_user.is_authenticated or not may_watch(current_user, race):
        return {"ok": False}
    join_room(room_of(race_id))
    return {"ok": True}
