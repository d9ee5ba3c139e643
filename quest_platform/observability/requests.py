"""What every request leaves behind: one log line, and its count and time in the metrics.

Both are written by a WSGI middleware around the Flask app, so a request that raised, or
whose session or database was down, still leaves them: the middleware sees the response's
status as it starts, and writes the line after the response's last byte or when the server
closes it, whichever comes first. What only Flask knows (the route, the signed-in user) is
added to the request's notes when Flask tears the request down, which it does whatever
happened; a line whose request never got that far says ``-`` for the route.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from flask import g, request
from sqlalchemy import inspect
from werkzeug.wsgi import get_path_info

from quest_platform.observability.logs import SECRET_KEY
from quest_platform.observability.metrics import observe_request
from quest_platform.request_ids import id_of, request_id

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

# Where the middleware leaves the request's notes for Flask to fill in. Middleware inside may
# pass on a copy of the environ (Flask-SocketIO's does): the copy holds the same notes.
NOTES_KEY = "quest_platform.request_notes"
NO_ROUTE = "-"
SOCKET_IO_ROUTE = "/socket.io/"
# Set in a path in place of a secret it carries (a portfolio's share link).
HIDDEN = "[redacted]"

request_log = logging.getLogger("quest_platform.requests")

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


@dataclass
class RequestNotes:
    """What is known of a request: from the environ at first, then what Flask knew of it as it
    tore it down."""

    request_id: str
    method: str
    path: str
    remote_addr: str | None
    route: str = NO_ROUTE
    user_id: int | str | None = None

    @classmethod
    def of(cls, environ: WSGIEnvironment) -> RequestNotes:
        """The notes of a request as it comes in, giving it its id now, so that everything
        that handles it (the app, the last-resort error page) names the same id."""
        path = get_path_info(environ)
        return cls(
            request_id=id_of(environ),
            # Any word may come as a method: a line never carries more than this of it.
            method=str(environ.get("REQUEST_METHOD", ""))[:16],
            path=path,
            remote_addr=environ.get("REMOTE_ADDR"),
            # The Socket.IO server answers these itself: the app never sees them.
            route=SOCKET_IO_ROUTE if path.startswith(SOCKET_IO_ROUTE) else NO_ROUTE,
        )


def note_request(error: BaseException | None = None) -> None:
    """Fill in this request's notes for the middleware (a teardown function)."""
    notes = request.environ.get(NOTES_KEY)
    if not isinstance(notes, RequestNotes):
        return
    try:
        rule = request.url_rule
        notes.request_id = request_id()
        notes.route = rule.rule if rule is not None else NO_ROUTE
        notes.path = loggable_path()
        # As a proxy fixer in the app may have set it.
        notes.remote_addr = request.remote_addr
        notes.user_id = loaded_user_id()
    except Exception:
        # The log line must never cost the request its answer: it goes out with what is known.
        request_log.warning("The request's route and user could not be noted.", exc_info=True)


def loaded_user_id() -> int | str | None:
    """The id of the user Flask-Login loaded for this request, if it loaded one.

    Read from the user's identity in SQLAlchemy: asking ``current_user`` would load the user
    (the session, then the database), and even ``user.id`` reads the database again when a
    commit has expired the row.
    """
    # Where Flask-Login keeps the user it loaded (flask_login.utils._get_user).
    user = g.get("_login_user")
    state = inspect(user, raiseerr=False) if user is not None else None
    identity = state.identity if state is not None else None
    if not identity:
        return None
    found = identity[0]
    return found if isinstance(found, int | str) else str(found)


def loggable_path() -> str:
    """The request's path without its query, a secret in it (a share link's token) hidden."""
    path = request.path
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str) and value and SECRET_KEY.search(name):
            path = path.replace(quote(value, safe="/"), HIDDEN).replace(value, HIDDEN)
    return path


class ObservedRequests:
    """WSGI middleware: times each request to the end of its response, then logs and counts it."""

    def __init__(self, wsgi_app: WSGIApplication) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        notes = RequestNotes.of(environ)
        environ[NOTES_KEY] = notes
        statuses: list[int] = []

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            # An app may call again with exc_info to replace the status: the last one counts.
            statuses.append(int(status.split(" ", 1)[0]))
            return start_response(status, headers, exc_info)

        try:
            body = self.wsgi_app(environ, start)
        except Exception as error:
            finish(notes, status=500, started=started, error=error)
            raise

        def finished() -> None:
            finish(notes, status=statuses[-1] if statuses else 500, started=started)

        return ObservedBody(body, finished)


class ObservedBody:
    """A response's body that calls ``finished`` once, after its last byte or when the server
    closes it (a server always does, even when the client went away midway)."""

    def __init__(self, body: Iterable[bytes], finished: Callable[[], None]) -> None:
        self.body = body
        self.finished: Callable[[], None] | None = finished

    def __iter__(self) -> Iterator[bytes]:
        yield from self.body
        self.end()

    def close(self) -> None:
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()
        finally:
            self.end()

    def end(self) -> None:
        finished, self.finished = self.finished, None
        if finished is not None:
            finished()


def finish(
    notes: RequestNotes, *, status: int, started: float, error: Exception | None = None
) -> None:
    """Count the request and write its line."""
    seconds = time.perf_counter() - started
    observe_request(method=notes.method, route=notes.route, status=status, seconds=seconds)
    exc_info: ExcInfo | None = (type(error), error, error.__traceback__) if error else None
    request_log.log(
        logging.ERROR if status >= 500 else logging.INFO,
        "%s %s %s in %.1f ms",
        notes.method,
        notes.route,
        status,
        seconds * 1000,
        exc_info=exc_info,
        extra={
            "request_id": notes.request_id,
            "method": notes.method,
            "route": notes.route,
            "path": notes.path,
            "status": status,
            "duration_ms": round(seconds * 1000, 2),
            "user_id": notes.user_id,
            "remote_addr": notes.remote_addr,
        },
    )
