"""Server-side sessions: in Redis when REDIS_URL is set, else in files in the instance folder.

Every visitor gets a session, since every page carries a CSRF token (the footer's language
form). A visitor who has not signed in keeps theirs on the server for an hour only: the file
store, when full, drops the sessions that expire first, so visitors' sessions go before
students' (which last ``PERMANENT_SESSION_LIFETIME``), and Redis holds fewer keys.

This is the one module that relies on libraries' private internals, where they offer no public
way; tests/quest_platform/test_sessions.py checks each against the pinned versions:

- cachelib's ``FileSystemCache._prune`` (and ``_threshold``, ``_over_threshold``), to prune a
  full session folder down to a margin;
- Flask-Session's ``_upsert_session``, the method its interfaces store a session with, to keep
  a visitor's session for less time;
- Flask-Login's ``LoginManager._update_request_context_with_user``, to sign a token's owner in
  for one request without a session.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import redis
from cachelib import FileSystemCache
from flask import Flask, current_app
from flask_login import UserMixin
from flask_session.base import ServerSideSession
from flask_session.cachelib import CacheLibSessionInterface
from flask_session.redis import RedisSessionInterface

VISITOR_SESSION_LIFETIME = timedelta(hours=1)
# Files in the session folder before the oldest-expiring are dropped.
SESSION_FILES = 20_000
# The share of SESSION_FILES a full folder is brought down to.
PRUNED_TO = 0.8


class SessionFiles(FileSystemCache):
    """The file store of sessions: once over its threshold, it drops the expired sessions and
    then those that expire first until PRUNED_TO of the threshold is left.

    cachelib stops one file under the threshold, so every new session past it would read the
    whole folder again (20,000 files, about a second); this way one read makes room for
    thousands of sessions.
    """

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


class RedisSessions(VisitorSessionsExpireSooner, RedisSessionInterface):
    """Sessions in Redis, shared by every process of the platform."""


class FileSessions(VisitorSessionsExpireSooner, CacheLibSessionInterface):
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
        client = redis.Redis.from_url(config["REDIS_URL"])
        app.session_interface = RedisSessions(client=client, **options)
    else:
        lifetime = int(config["PERMANENT_SESSION_LIFETIME"].total_seconds())
        store = SessionFiles(
            str(config["SESSION_DIR"]), threshold=SESSION_FILES, default_timeout=lifetime
        )
        app.session_interface = FileSessions(client=store, **options)
