"""Socket.IO's Redis message queue: an event a grader emits reaches the web processes.

A grader is a process of its own, with an app that only emits. Here such a process announces
a race, and the test listens on the queue's Redis channel as every web process does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
import redis

ANNOUNCE = """
from quest_platform import create_app
from quest_platform.live import announce_race
app = create_app("testing", LIVE_MESSAGE_QUEUE={url!r}, SESSION_DIR={sessions!r})
with app.app_context():
    announce_race(41)
"""


@pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="needs Redis (TEST_REDIS_URL)")
def test_a_graders_announcement_goes_through_the_redis_queue(tmp_path, worker_id) -> None:
    from helpers import redis_url_for

    url = redis_url_for(worker_id)
    listener = redis.Redis.from_url(url).pubsub(ignore_subscribe_messages=True)
    # The channel python-socketio's Redis manager publishes on, as Flask-SocketIO names it.
    listener.subscribe("flask-socketio")
    code = ANNOUNCE.format(url=url, sessions=str(tmp_path))
    done = subprocess.run(  # noqa: S603 -- this test's own code, in a process of its own
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    deadline = time.monotonic() + 10
    message = None
    while message is None and time.monotonic() < deadline:
        message = listener.get_message(timeout=0.5)
    listener.close()
    assert message is not None, "nothing reached the queue"
    published = json.loads(message["data"])
    assert published["method"] == "emit"
    assert published["event"] == "changed"
    assert published["data"] == [{"race": 41}]
    assert published["namespace"] == "/races"
    assert published["room"] == "race-41"
