"""Server-side sessions: a visitor's is kept an hour, a signed-in user's its whole lifetime."""

from __future__ import annotations

import struct
import time

from flask import Flask

from quest_platform.sessions import VISITOR_SESSION_LIFETIME, RedisSessions

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
