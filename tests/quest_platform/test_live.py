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
import uuid

import pytest
import redis

ANNOUNCE = """
from quest_platform import create_app
from quest_platform.live import announce_race
app = create_app(
    "testing", LIVE_MESSAGE_QUEUE={url!r}, LIVE_CHANNEL={channel!r}, SESSION_DIR={sessions!r}
)
with app.app_context():
    announce_race(41)
"""


@pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="needs Redis (TEST_REDIS_URL)")
def test_a_graders_announcement_goes_through_the_redis_queue(tmp_path, worker_id) -> None:
    from helpers import redis_url_for

    url = redis_url_for(worker_id)
    listener = redis.Redis.from_url(url).pubsub(ignore_subscribe_messages=True)
    # A channel of this test's own: other test processes share the Redis server's channels.
    channel = f"test-{uuid.uuid4().hex}"
    listener.subscribe(channel)
    code = ANNOUNCE.format(url=url, channel=channel, sessions=str(tmp_path))
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


ANNOUNCE_GAME = """
from quest_platform import create_app
from quest_platform.extensions import db
from quest_platform.games.live import announce_game
from quest_platform.models import Game
app = create_app(
    "testing",
    LIVE_MESSAGE_QUEUE={url!r},
    LIVE_CHANNEL={channel!r},
    SESSION_DIR={sessions!r},
    SQLALCHEMY_DATABASE_URI={database!r},
    SQLALCHEMY_ENGINE_OPTIONS={engine!r},
)
with app.app_context():
    announce_game(db.session.get(Game, {game_id}))
"""


@pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="needs Redis (TEST_REDIS_URL)")
def test_a_games_moves_reach_every_web_process_through_the_redis_queue(
    app, make, tmp_path, worker_id
) -> None:
    """Another web process (here, a process of its own) announces a game: the game's room and
    each player's own room hear it through the queue every web process listens on."""
    from helpers import redis_url_for

    from quest_platform.services.games import (
        join_game,
        open_game,
        reveal_answers,
        show_next_question,
    )

    teacher = make.teacher()
    student = make.student()
    classroom = make.classroom(teachers=[teacher], students=[student])
    quest = make.quest(author=teacher)
    make.assignment(quest=quest, classroom=classroom)
    game = open_game(classroom=classroom, stages=[quest.stages[1]], by=teacher)
    join_game(code=game.code, student=student)
    show_next_question(game=game, by=teacher)
    reveal_answers(game=game, by=teacher)
    url = redis_url_for(worker_id)
    listener = redis.Redis.from_url(url).pubsub(ignore_subscribe_messages=True)
    channel = f"test-{uuid.uuid4().hex}"
    listener.subscribe(channel)
    code = ANNOUNCE_GAME.format(
        url=url,
        channel=channel,
        sessions=str(tmp_path),
        database=app.config["SQLALCHEMY_DATABASE_URI"],
        engine=app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}),
        game_id=game.id,
    )
    done = subprocess.run(  # noqa: S603 -- this test's own code, in a process of its own
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    published = []
    deadline = time.monotonic() + 10
    while len(published) < 2 and time.monotonic() < deadline:
        message = listener.get_message(timeout=0.5)
        if message is not None:
            published.append(json.loads(message["data"]))
    listener.close()
    assert [(p["event"], p["room"], p["namespace"]) for p in published] == [
        ("game", f"game-{game.id}", "/games"),
        ("you", f"game-{game.id}-player-{student.id}", "/games"),
    ]
    assert published[0]["data"][0]["status"] == "reveal"
    assert published[1]["data"][0]["name"] == student.pseudonym
