"""Server-side sessions: a visitor's is kept an hour, a signed-in user's its whole lifetime;
and the library internals they rely on."""

from __future__ import annotations

import inspect
import re
import struct
import time
from pathlib import Path
from typing import Any

from cachelib import FileSystemCache
from flask import Flask, session
from flask_login import LoginManager, current_user
from flask_session.cachelib import CacheLibSessionInterface
from flask_session.redis import RedisSessionInterface

from quest_platform.sessions import (
    VISITOR_SESSION_LIFETIME,
    FileSessions,
    RedisSessions,
    SessionFiles,
    sign_in_for_this_request,
)

SESSION_COOKIE = "quest_session"


def seconds_stored(app: Flask, session_id: str) -> float:
    """How long the session store keeps ``session_id`` from now."""
    interface = app.session_interface
    key = interface.key_prefix + session_id
    if isinstance(interface, RedisSessions):
        return float(interface.client.ttl(key))
    with open(interface.cache._get_filename(key), "rb") as stored:
        expires = struct.unpack("I", stored.read(4))[0]
    return expires - time.time()


def test_a_visitors_session_is_kept_an_hour(app, client):
    assert client.get("/login").status_code == 200
    session_id = client.get_cookie(SESSION_COOKIE).value
    stored = seconds_stored(app, session_id)
    hour = VISITOR_SESSION_LIFETIME.total_seconds()
    assert hour - 60 < stored <= hour


def test_a_signed_in_session_is_kept_its_whole_lifetime(app, client, make, login_as):
    login_as(make.student())
    session_id = client.get_cookie(SESSION_COOKIE).value
    lifetime = app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()
    assert lifetime - 60 < seconds_stored(app, session_id) <= lifetime
    assert lifetime > VISITOR_SESSION_LIFETIME.total_seconds()


def test_a_full_session_folder_drops_the_sessions_expiring_first_down_to_a_margin(tmp_path):
    store = SessionFiles(str(tmp_path), threshold=10, default_timeout=3600)
    students = [f"student{number}" for number in range(6)]
    visitors = [f"visitor{number}" for number in range(5)]
    for key in students:
        store.set(key, {}, timeout=43200)
    for key in visitors:
        store.set(key, {}, timeout=3600)
    scans = []
    listing = store._list_dir

    def counted_listing() -> list[str]:
        scans.append(1)
        return listing()

    store._list_dir = counted_listing  # type: ignore[method-assign]
    # 11 sessions, over the threshold of 10: the next one first brings the folder down to 8,
    # dropping visitors' sessions (they expire first), never a student's.
    store.set("newcomer", {}, timeout=3600)
    assert all(store.has(key) for key in students)
    assert sum(store.has(key) for key in visitors) == 2
    assert store.has("newcomer")
    assert scans
    scanned = len(scans)
    store.set("next", {}, timeout=3600)
    store.set("after", {}, timeout=3600)
    # Room was made: the next sessions are stored without reading the folder again.
    assert len(scans) == scanned
    assert store.has("next")
    assert store.has("after")


# The libraries' private internals sessions.py relies on, as the pinned versions have them: an
# upgrade that changes one fails here, before it changes how sessions or tokens behave.


def parameters(function: Any) -> list[str]:
    return list(inspect.signature(function).parameters)


def test_cachelib_prunes_on_set_through_the_methods_session_files_overrides(tmp_path):
    assert parameters(FileSystemCache._prune) == ["self"]
    assert parameters(FileSystemCache._over_threshold) == ["self"]
    store = SessionFiles(str(tmp_path), threshold=3, default_timeout=60)
    assert store._threshold == 3
    prunes = []
    prune = store._prune

    def counted_prune() -> None:
        prunes.append(1)
        prune()

    store._prune = counted_prune  # type: ignore[method-assign]
    store.set("one", {}, timeout=60)
    assert prunes, "cachelib no longer prunes through _prune when storing"


def test_flask_session_stores_every_session_through_upsert_session(app, tmp_path, monkeypatch):
    for interface in (RedisSessionInterface, CacheLibSessionInterface):
        assert parameters(interface._upsert_session) == [
            "self",
            "session_lifetime",
            "session",
            "store_id",
        ]
    stored = []
    monkeypatch.setattr(
        CacheLibSessionInterface,
        "_upsert_session",
        lambda self, lifetime, session, store_id: stored.append((lifetime, store_id)),
    )
    sessions = FileSessions(
        app=app, client=FileSystemCache(str(tmp_path)), key_prefix="test:", use_signer=False
    )
    with app.test_request_context("/"):
        for data in ({"language": "es"}, {"_user_id": "someone"}):
            session = sessions.session_class(data, sid="sid")
            session.modified = True
            sessions.save_session(app, session, app.response_class())
    lifetime = app.config["PERMANENT_SESSION_LIFETIME"]
    assert stored == [(VISITOR_SESSION_LIFETIME, "test:sid"), (lifetime, "test:sid")]


def test_flask_login_signs_a_token_owner_in_for_one_request_only(app, make):
    assert parameters(LoginManager._update_request_context_with_user) == ["self", "user"]
    student = make.student()
    with app.test_request_context("/api/v1/session"):
        sign_in_for_this_request(student)
        assert current_user == student
        assert "_user_id" not in session


def test_no_other_module_reaches_into_these_libraries_internals():
    root = Path(__file__).parents[2]
    internals = re.compile(
        r"\._prune\b|\._upsert_session\b|_update_request_context_with_user|"
        r"flask_security\.proxies|view_functions\[[^\]]+\]\s*="
    )
    sources = [
        path
        for folder in ("quest_platform", "admin_views", "analytics")
        for path in (root / folder).rglob("*.py")
        if path != root / "quest_platform" / "sessions.py"
    ]
    assert sources
    found = [str(path) for path in sources if internals.search(path.read_text())]
    assert found == []
