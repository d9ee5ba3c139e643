"""Server-side sessions: in Redis when REDIS_URL is set, else in files in the instance folder.

Every visitor gets a session, since every page carries a CSRF token (the footer's language
form). A visitor who has not signed in keeps theirs on the server for an hour only: the file
store, when full, drops the sessions that expire first, so visitors' sessions go before
students' (which last ``PERMANENT_SESSION_LIFETIME``), and Redis holds fewer keys.

This is the one module that relies on libraries' private internals, where they offer no public
way; tests/quest_platform/test_sessions.py checks each against the pinned versions:

- cachelib's ``FileSystemCache._prune`` (and ``_threshold``, ``_over_threshold``), to prune a
  full session folder down to a margin;
- cachelib's ``FileSystemCache`` file format (``_get_filename``, ``_normalize_timeout``,
  ``_fs_transaction_suffix``, ``_update_count``), to write a session file that says when it
  could not be written, leaving no temporary file behind;
- Flask-Session's ``_upsert_session``, the method its interfaces store a session with, to keep
  a visitor's session for less time;
- Flask-Login's ``LoginManager._update_request_context_with_user``, to sign a token's owner in
  for one request without a session;
- Flask's ``RequestContext._session``, to give a request whose session could not be opened a
  session that keeps nothing (Flask's ``session`` property has no setter).
"""

from __future__ import annotations

import os
import struct
import tempfile
from contextlib import suppress
from datetime import timedelta
from typing import Any, NoReturn

import redis
from cachelib import FileSystemCache
from flask import Flask, Request, current_app
from flask.globals import request_ctx
from flask.sessions import NullSession
from flask_login import UserMixin
from flask_session.base import ServerSideSession
from flask_session.cachelib import CacheLibSessionInterface
from flask_session.redis import RedisSessionInterface

from quest_platform.config import REDIS_TIMEOUT_SECONDS

VISITOR_SESSION_LIFETIME = timedelta(hours=1)
# Files in the session folder before the oldest-expiring are dropped.
SESSION_FILES = 20_000
# The share of SESSION_FILES a full folder is brought down to.
PRUNED_TO = 0.8
# Requests served without a session, whatever its store's state: static files, the health checks
# and the metrics. (API calls signed with a personal token go on without one when it is down.)
SESSIONLESS_PATHS = ("/static/", "/health/", "/metrics")


class SessionStoreUnavailable(RuntimeError):
    """The session store could not be read or written: Redis does not answer, or the session
    folder's disk is full or read-only. The error page says so (quest_platform/errors.py)."""


class SessionFiles(FileSystemCache):
    """The file store of sessions: once over its threshold, it drops the expired sessions and
    then those that expire first until PRUNED_TO of the threshold is left.

    cachelib stops one file under the threshold, so every new session past it would read the
    whole folder again (20,000 files, about a second); this way one read makes room for
    thousands of sessions.
    """

    def set(
        self,
        key: str,
        value: Any,
        timeout: int | timedelta | None = None,
        mgmt_element: bool = False,
    ) -> bool:
        """Write a session's file, or raise SessionStoreUnavailable leaving no file behind.

        cachelib logs a failed write and returns False, leaving an empty temporary file, and
        Flask-Session then sends the cookie of a session never saved.
        """
        if mgmt_element:
            # The count of files kept beside the sessions: losing one update is harmless.
            try:
                self._write(key, value, timeout=0)
            except OSError:
                return False
            return True
        self._prune()
        overwrite = os.path.isfile(self._get_filename(key))
        try:
            self._write(key, value, timeout=timeout)
        except OSError as error:
            raise SessionStoreUnavailable("A session file could not be written.") from error
        if not overwrite:
            self._update_count(delta=1)
        return True

    def _write(self, key: str, value: Any, *, timeout: int | timedelta | None) -> None:
        """Write ``key``'s file as cachelib does (its expiry, then the value) through a
        temporary file, which is removed when the write fails."""
        handle, temporary = tempfile.mkstemp(suffix=self._fs_transaction_suffix, dir=self._path)
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(struct.pack("I", self._normalize_timeout(timeout)))
                self.serializer.dump(value, file)
            filename = self._get_filename(key)
            os.replace(temporary, filename)
            if self._mode is not None:
                os.chmod(filename, self._mode)
        except OSError:
            with suppress(OSError):
                os.remove(temporary)
            raise

    def _prune(self) -> None:
        if not self._over_threshold():
            return
        threshold = self._threshold
        # cachelib's pruning (pinned in requirements.txt) removes until under _threshold.
        self._threshold = int(threshold * PRUNED_TO)
        try:
            super()._prune()
        finally:
            self._threshold = threshold


class VisitorSessionsExpireSooner:
    """Store a session without a signed-in user for at most VISITOR_SESSION_LIFETIME."""

    def _upsert_session(
        self, session_lifetime: timedelta, session: ServerSideSession, store_id: str
    ) -> None:
        if "_user_id" not in session:
            session_lifetime = min(session_lifetime, VISITOR_SESSION_LIFETIME)
        super()._upsert_session(session_lifetime, session, store_id)  # type: ignore[misc]


class SaysWhenUnavailable:
    """Raise SessionStoreUnavailable when the store fails; requests that need no session
    (SESSIONLESS_PATHS) never read it, and API calls signed with a token go on without it."""

    def open_session(self, app: Flask, request: Request) -> Any:
        if request.path.startswith(SESSIONLESS_PATHS):
            return None  # Flask then gives the request a session that keeps nothing.
        try:
            return super().open_session(app, request)  # type: ignore[misc]
        except (redis.RedisError, OSError) as error:
            if signed_with_a_token(request):
                # The token signs the caller in: the request goes on, keeping no session.
                return UnkeptSession()
            raise SessionStoreUnavailable("The session store could not be read.") from error

    def _upsert_session(
        self, session_lifetime: timedelta, session: ServerSideSession, store_id: str
    ) -> None:
        try:
            super()._upsert_session(session_lifetime, session, store_id)  # type: ignore[misc]
        except redis.RedisError as error:
            raise SessionStoreUnavailable("The session store could not be written.") from error


def signed_with_a_token(request: Request) -> bool:
    """Whether ``request`` is an API call signed with a personal token (quest_platform/api)."""
    return request.headers.get("Authorization", "").startswith("Bearer ")


class UnkeptSession(NullSession):
    """The session of a request served while the store cannot be reached: it holds nothing,
    and changing it raises SessionStoreUnavailable (an outage page), not Flask's error."""

    def _unavailable(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise SessionStoreUnavailable("The session store could not be reached.")

    __setitem__ = __delitem__ = clear = pop = popitem = update = setdefault = _unavailable


class RedisSessions(SaysWhenUnavailable, VisitorSessionsExpireSooner, RedisSessionInterface):
    """Sessions in Redis, shared by every process of the platform."""


class FileSessions(SaysWhenUnavailable, VisitorSessionsExpireSooner, CacheLibSessionInterface):
    """Sessions in files, shared by the processes of one machine."""


def sign_in_for_this_request(user: UserMixin) -> None:
    """Make ``user`` the current user of this request only: nothing is written to the session.

    Flask-Login signs users in through the session, or from a request through its request
    loader, which it consults only when the session names no one; a personal token must win
    over a session cookie sent with it.
    """
    current_app.login_manager._update_request_context_with_user(user)  # type: ignore[attr-defined]


def configure_sessions(app: Flask) -> None:
    """Keep sessions on the server: in Redis when REDIS_URL is set, else in the instance folder."""
    config = app.config
    options: dict[str, Any] = {
        "app": app,
        "key_prefix": config["SESSION_KEY_PREFIX"],
        "use_signer": False,
        "permanent": config["SESSION_PERMANENT"],
        "sid_length": 32,
        "serialization_format": "msgpack",
    }
    if config.get("REDIS_URL"):
        client = redis.Redis.from_url(
            config["REDIS_URL"],
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
        )
        app.session_interface = RedisSessions(client=client, **options)
    else:
        lifetime = int(config["PERMANENT_SESSION_LIFETIME"].total_seconds())
        store = SessionFiles(
            str(config["SESSION_DIR"]), threshold=SESSION_FILES, default_timeout=lifetime
        )
        app.session_interface = FileSessions(client=store, **options)


def keep_no_session() -> None:
    """Make the rest of this request keep no session: its store may be what failed, and an
    error page changes nothing in it.

    A session that could not be opened is replaced by one that keeps nothing, so that the
    response's own steps (which read the session) still run.
    """
    if request_ctx._session is None:
        request_ctx._session = current_app.session_interface.make_null_session(current_app)
    else:
        request_ctx._session.modified = False
