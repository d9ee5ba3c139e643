"""Server-side sessions: a visitor's is kept an hour, a signed-in user's its whole lifetime."""

from __future__ import annotations

import struct
import time

from flask import Flask

from quest_platform.sessions import VISITOR_SESSION_LIFETIME, RedisSessions, SessionFiles

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
