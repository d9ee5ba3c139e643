"""Posts to Slack: recorded, sent by a job as JSON, tried again while Slack is down or slow, then
kept as failed with the error; never posted twice, never without a webhook URL, never naming
the URL in an error or a log."""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid

import pytest
import redis
from helpers import logging_preserved
from rq import Queue, SimpleWorker
from sqlalchemy import select

import manage
from quest_platform import jobs
from quest_platform.extensions import db
from quest_platform.models import Classroom, QuestAssignment, SlackPost
from quest_platform.services.slack import announce, announce_assignment, send_test_message

needs_redis = pytest.mark.skipif(
    not os.environ.get("TEST_REDIS_URL"), reason="needs Redis (TEST_REDIS_URL)"
)


def posts_of(classroom: Classroom) -> list[SlackPost]:
    """The classroom's posts as committed (by the jobs, in sessions of their own)."""
    db.session.rollback()
    query = select(SlackPost).where(SlackPost.classroom_id == classroom.id)
    return list(db.session.scalars(query.order_by(SlackPost.id)))


def test_a_post_is_sent_as_json_and_marked_sent(slack_class, fake_slack) -> None:
    send_test_message(classroom=slack_class, by=slack_class.teachers[0])

    [post] = posts_of(slack_class)
    assert (post.status, post.tries, post.last_error) == ("sent", 1, "")
    assert post.sent_at is not None
    [request] = fake_slack.received
    assert request.path == f"/services/T0TEST/B0TEST/{fake_slack.secret}"
    assert request.content_type == "application/json"
    assert request.body == {"text": post.text}
    assert slack_class.name in post.text


def test_a_slack_that_is_down_is_tried_again_then_the_post_is_kept_as_failed(
    make, slack_class, fake_slack, caplog
) -> None:
    """The assignment is made whatever Slack says; the post keeps Slack's answer."""
    caplog.set_level(logging.DEBUG)
    fake_slack.answer_with(500, 500, 500)

    assignment = make.assignment(quest=make.quest(), classroom=slack_class)

    assert db.session.get(QuestAssignment, assignment.id) is not None
    [post] = posts_of(slack_class)
    assert (post.status, post.tries) == ("failed", 3)
    assert post.last_error == "Slack answered 500: rollup_error"
    # Tried once, then once after each of the test settings' two retry delays.
    assert len(fake_slack.received) == 3
    assert fake_slack.secret not in caplog.text


def test_slack_back_on_a_later_try_sends_the_post(slack_class, fake_slack) -> None:
    fake_slack.answer_with(500)

    send_test_message(classroom=slack_class, by=slack_class.teachers[0])

    [post] = posts_of(slack_class)
    assert (post.status, post.tries, post.last_error) == ("sent", 2, "")
    assert len(fake_slack.received) == 2


def test_a_refused_connection_is_tried_again_then_kept_as_failed(
    make, slack_class, closed_origin, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = uuid.uuid4().hex
    slack_class.slack_webhook_url = f"{closed_origin}/services/T0TEST/B0TEST/{secret}"
    db.session.commit()

    make.assignment(quest=make.quest(), classroom=slack_class)

    [post] = posts_of(slack_class)
    assert (post.status, post.tries) == ("failed", 3)
    assert post.last_error.startswith("Could not reach Slack:")
    assert "refused" in post.last_error.lower()
    assert secret not in post.last_error
    assert secret not in caplog.text


def test_a_slow_slack_times_out_and_is_tried_again(app, slack_class, fake_slack, monkeypatch):
    monkeypatch.setitem(app.config, "SLACK_TIMEOUT_SECONDS", 0.3)
    fake_slack.hang_seconds = 1.5
    fake_slack.answer_with("hang")

    started = time.monotonic()
    send_test_message(classroom=slack_class, by=slack_class.teachers[0])

    # One try waited out its timeout (not Slack's whole delay), the next one went through.
    assert time.monotonic() - started < 1.4
    [post] = posts_of(slack_class)
    assert (post.status, post.tries) == ("sent", 2)
    assert len(fake_slack.received) == 2


def test_a_slack_that_never_answers_leaves_the_post_failed_with_the_timeout(
    app, slack_class, fake_slack, monkeypatch
) -> None:
    monkeypatch.setitem(app.config, "SLACK_TIMEOUT_SECONDS", 0.2)
    fake_slack.hang_seconds = 1.0
    fake_slack.answer_with("hang", "hang", "hang")

    send_test_message(classroom=slack_class, by=slack_class.teachers[0])

    [post] = posts_of(slack_class)
    assert (post.status, post.tries) == ("failed", 3)
    assert post.last_error == "No answer within 0.2 s."


def test_a_revoked_webhook_is_not_tried_again(slack_class, fake_slack) -> None:
    """Slack's "no_service" (the webhook was removed) does not change with retries."""
    fake_slack.answer_with(404)

    send_test_message(classroom=slack_class, by=slack_class.teachers[0])

    [post] = posts_of(slack_class)
    assert (post.status, post.tries) == ("failed", 1)
    assert post.last_error == "Slack answered 404: no_service"
    assert len(fake_slack.received) == 1


def test_nothing_is_posted_for_a_classroom_without_a_webhook(make, fake_slack) -> None:
    classroom = make.classroom(students=[make.student()])

    make.assignment(quest=make.quest(), classroom=classroom)

    assert posts_of(classroom) == []
    assert fake_slack.received == []


def test_the_same_announcement_twice_is_posted_once(make, slack_class, fake_slack) -> None:
    assignment = make.assignment(quest=make.quest(), classroom=slack_class)

    assert announce_assignment(assignment=assignment) == 0

    assert [post.key for post in posts_of(slack_class)] == [f"assigned:{assignment.id}"]
    assert len(fake_slack.received) == 1


def test_two_announcements_at_the_same_moment_make_one_post(app, slack_class, fake_slack):
    """Two processes announcing the same thing at once: the database keeps one row, whichever
    commits first (on PostgreSQL, the second waits for the first and inserts nothing)."""
    classroom_id = slack_class.id
    barrier = threading.Barrier(2)
    posted: list[int] = []
    errors: list[BaseException] = []

    def announce_race() -> None:
        try:
            with app.app_context():
                classroom = db.session.get(Classroom, classroom_id)
                barrier.wait(timeout=10)
                posted.append(
                    announce(classroom=classroom, key="race:1", compose=lambda: "A race!")
                )
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=announce_race) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert sorted(posted) == [0, 1]
    assert [post.key for post in posts_of(slack_class)] == ["race:1"]
    assert fake_slack.texts == ["A race!"]


def test_failed_posts_are_sent_again_from_the_command_line(app, slack_class, fake_slack):
    fake_slack.answer_with(500, 500, 500)
    send_test_message(classroom=slack_class, by=slack_class.teachers[0])
    assert posts_of(slack_class)[0].status == "failed"

    with logging_preserved():
        result = app.test_cli_runner().invoke(manage.cli, ["slack", "retry-failed"])

    assert result.exit_code == 0, result.output
    assert "Queued 1 post again." in result.output
    [post] = posts_of(slack_class)
    assert (post.status, post.tries) == ("sent", 1)
    assert len(fake_slack.received) == 4


def test_without_redis_the_web_process_tries_again_on_a_timer(
    app, slack_class, fake_slack, monkeypatch
) -> None:
    """The pool's threads also grade code: a retry waits on a timer, and the caller not at all."""
    monkeypatch.setitem(app.config, "JOBS_INLINE", False)
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    monkeypatch.setitem(app.config, "SLACK_RETRY_DELAYS", (0.2,))
    fake_slack.answer_with(500)

    send_test_message(classroom=slack_class, by=slack_class.teachers[0])

    for _ in range(100):
        if posts_of(slack_class)[0].status == "sent":
            break
        time.sleep(0.05)
    [post] = posts_of(slack_class)
    assert (post.status, post.tries) == ("sent", 2)
    assert len(fake_slack.received) == 2


@needs_redis
def test_on_redis_graders_try_a_failed_post_again_when_it_is_due(
    app, slack_class, fake_slack, monkeypatch
) -> None:
    """RQ tries again at once after a delay of 0; a later try waits in RQ's scheduler, which a
    grader runs (``manage.py grader`` works ``with_scheduler``)."""
    connection = redis.Redis.from_url(app.config["REDIS_URL"])
    # A queue of its own: other test runs may share this Redis and its "quest-jobs" queue.
    queue = Queue(f"slack-test-{uuid.uuid4().hex}", connection=connection)
    monkeypatch.setattr(jobs, "job_queue", lambda url: queue)
    monkeypatch.setattr(jobs, "grader_app", lambda: app)
    monkeypatch.setitem(app.config, "JOBS_INLINE", False)
    monkeypatch.setitem(app.config, "SLACK_RETRY_DELAYS", (0, 1))
    fake_slack.answer_with(500, 500)
    try:
        send_test_message(classroom=slack_class, by=slack_class.teachers[0])
        assert (posts_of(slack_class)[0].status, queue.count) == ("queued", 1)

        SimpleWorker([queue], connection=connection).work(burst=True)

        [post] = posts_of(slack_class)
        assert (post.status, post.tries) == ("queued", 2)
        assert post.last_error == "Slack answered 500: rollup_error"
        assert queue.scheduled_job_registry.count == 1

        time.sleep(1.2)
        SimpleWorker([queue], connection=connection).work(burst=True, with_scheduler=True)

        [post] = posts_of(slack_class)
        assert (post.status, post.tries) == ("sent", 3)
        assert len(fake_slack.received) == 3
    finally:
        queue.delete(delete_jobs=True)
