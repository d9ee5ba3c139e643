"""GitHub's webhook: signed deliveries recorded once; pull requests opened or merged by linked
students handed in at the checkpoint they name; everything else refused or kept as ignored."""

from __future__ import annotations

import http.client
import json
import threading
import uuid
from collections.abc import Iterator

import pytest
from github_deliveries import Hub, checkpoint_quest, give, payload, signature_of
from helpers import QuietRequestHandler
from sqlalchemy import func, select
from werkzeug.serving import make_server

from quest_platform.models import Attempt, GithubDelivery, Outcome
from quest_platform.services import github as github_service
from quest_platform.services.github import (
    link_github_username,
    turn_off_github_webhook,
    turn_on_github_webhook,
)
from quest_platform.services.reviews import review_attempt

PULL_REQUEST = "https://github.com/west-coast-dev/travel-app/pull/12"


def counts(db) -> tuple[int, int]:
    """How many deliveries and attempts are recorded (as committed by any connection)."""
    db.session.rollback()
    deliveries = db.session.scalar(select(func.count(GithubDelivery.id)))
    attempts = db.session.scalar(select(func.count(Attempt.id)))
    return deliveries, attempts


def deliveries(db) -> list[GithubDelivery]:
    db.session.rollback()
    return list(db.session.scalars(select(GithubDelivery).order_by(GithubDelivery.id)))


def attempts(db) -> list[Attempt]:
    db.session.rollback()
    return list(db.session.scalars(select(Attempt).order_by(Attempt.id)))


# A ping, and a pull request handed in


def test_a_ping_is_recorded(hub: Hub, db):
    response = hub.deliver("ping", payload("ping"), delivery="72d3162e-cc78-11e3-81ab-4c9367dc0958")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ping"
    (delivery,) = deliveries(db)
    assert delivery.delivery_id == "72d3162e-cc78-11e3-81ab-4c9367dc0958"
    assert (delivery.event, delivery.action) == ("ping", "")
    assert delivery.outcome.startswith("ping: ")
    assert delivery.classroom_id == hub.classroom.id


def test_a_pull_request_opened_by_a_linked_student_is_handed_in_at_the_checkpoint_it_names(
    hub: Hub, db
):
    response = hub.opened()
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "recorded"
    assert "Pull request #12 in west-coast-dev/travel-app" in body["message"]
    # The answer goes to GitHub, where the repository's administrators read it: no names.
    assert hub.student.display_name not in body["message"]
    (attempt,) = attempts(db)
    assert body["attempt_id"] == attempt.id
    assert (attempt.student_id, attempt.stage_id) == (hub.student.id, hub.checkpoint.id)
    assert attempt.outcome == Outcome.PENDING_REVIEW
    assert attempt.answer["links"] == [
        {
            "url": PULL_REQUEST,
            "kind": "pull_request",
            "repository": "west-coast-dev/travel-app",
            "ref": "12",
        }
    ]
    (delivery,) = deliveries(db)
    assert (delivery.event, delivery.action) == ("pull_request", "opened")
    assert delivery.outcome.startswith("recorded: ")


def test_the_authors_login_is_matched_whatever_its_capitals(hub: Hub, db):
    # The student linked "ada-codes"; GitHub writes the author as "Ada-Codes".
    assert payload("pull_request_opened")["pull_request"]["user"]["login"] == "Ada-Codes"
    assert hub.opened().status_code == 201


def test_the_checkpoint_may_be_named_in_the_description(hub: Hub, db):
    document = payload("pull_request_opened")
    document["pull_request"]["body"] = f"Evidence for Checkpoint-{hub.checkpoint.id}, please."
    assert hub.deliver("pull_request", document).status_code == 201


def test_a_merged_pull_request_is_handed_in_when_it_is_the_first_news_of_it(hub: Hub, db):
    response = hub.merged()
    assert response.status_code == 201
    (attempt,) = attempts(db)
    assert attempt.answer["links"][0]["url"] == PULL_REQUEST


def test_a_merge_after_the_opening_waits_while_the_opening_awaits_review(hub: Hub, db):
    assert hub.opened().status_code == 201
    response = hub.merged()
    assert response.status_code == 202
    assert "already handed in" in response.get_json()["message"]
    assert counts(db) == (2, 1)
    assert deliveries(db)[1].outcome.startswith("ignored: ")


def test_a_merge_after_the_teacher_sent_the_opening_back_is_handed_in_again(hub: Hub, db):
    hub.opened()
    (first,) = attempts(db)
    review_attempt(attempt=first, score=0, outcome="failed", reason="Tests?", by=hub.teacher)
    response = hub.merged()
    assert response.status_code == 201
    assert [attempt.outcome for attempt in attempts(db)] == ["pending_review", "pending_review"]


def test_a_pull_request_is_handed_in_once_however_many_deliveries_tell_of_it(hub: Hub, db):
    # GitHub's "Redeliver" of an old delivery, or a second webhook, comes with another id.
    assert hub.opened().status_code == 201
    again = hub.opened()
    assert again.status_code == 202
    assert "already handed in" in again.get_json()["message"]
    assert counts(db) == (2, 1)


# Deliveries kept as ignored, with the reason


@pytest.mark.parametrize(
    ("event", "document", "reason"),
    [
        ("push", {"ref": "refs/heads/main", "commits": []}, "Only pull request events"),
        ("issues", {"action": "opened", "issue": {"number": 9}}, "Only pull request events"),
    ],
)
def test_other_events_are_kept_as_ignored(hub: Hub, db, event, document, reason):
    response = hub.deliver(event, document)
    assert response.status_code == 202
    assert reason in response.get_json()["message"]
    assert counts(db) == (1, 0)
    assert deliveries(db)[0].event == event


@pytest.mark.parametrize("action", ["edited", "synchronize", "reopened", "review_requested"])
def test_other_pull_request_actions_are_kept_as_ignored(hub: Hub, db, action):
    document = payload("pull_request_opened", checkpoint=hub.checkpoint.id)
    document["action"] = action
    response = hub.deliver("pull_request", document)
    assert response.status_code == 202
    assert counts(db) == (1, 0)
    assert deliveries(db)[0].action == action


def test_a_pull_request_closed_without_merging_is_ignored(hub: Hub, db):
    document = payload("pull_request_closed_merged", checkpoint=hub.checkpoint.id)
    document["pull_request"].update(merged=False, merged_at=None, merge_commit_sha=None)
    response = hub.deliver("pull_request", document)
    assert response.status_code == 202
    assert "closed without being merged" in response.get_json()["message"]
    assert counts(db) == (1, 0)


def test_a_pull_request_by_an_unlinked_user_is_ignored(hub: Hub, db):
    link_github_username(user=hub.student, github_username="", by=hub.student)
    response = hub.opened()
    assert response.status_code == 202
    assert "Ada-Codes" in response.get_json()["message"]
    assert counts(db) == (1, 0)


def test_a_pull_request_by_a_linked_student_of_another_classroom_is_ignored(hub: Hub, make, db):
    outsider = make.student()
    make.classroom(students=[outsider])
    link_github_username(user=hub.student, github_username="", by=hub.student)
    link_github_username(user=outsider, github_username="Ada-Codes", by=outsider)
    assert hub.opened().status_code == 202
    assert counts(db) == (1, 0)


def test_a_pull_request_naming_no_checkpoint_is_ignored(hub: Hub, db):
    response = hub.deliver("pull_request", payload("pull_request_opened"))
    assert response.status_code == 202
    assert "names no checkpoint" in response.get_json()["message"]
    assert counts(db) == (1, 0)


def test_a_pull_request_naming_another_classrooms_checkpoint_is_ignored(hub: Hub, make, db):
    other_quest = checkpoint_quest(make)
    give(other_quest, make.classroom())
    response = hub.opened(checkpoint=other_quest.stages[0].id)
    assert response.status_code == 202
    assert "not a checkpoint of a quest given to this classroom" in response.get_json()["message"]
    assert counts(db) == (1, 0)


def test_a_pull_request_naming_a_stage_that_is_no_checkpoint_is_ignored(hub: Hub, db):
    lesson = next(stage for stage in hub.quest.stages if stage.kind == "lesson")
    assert hub.opened(checkpoint=lesson.id).status_code == 202
    assert counts(db) == (1, 0)


def test_a_checkpoint_that_takes_no_links_refuses_the_pull_request(hub: Hub, make, db):
    quest = checkpoint_quest(make, evidence=("code",))
    give(quest, hub.classroom)
    response = hub.opened(checkpoint=quest.stages[0].id)
    assert response.status_code == 202
    assert "does not take links" in response.get_json()["message"]
    assert counts(db) == (1, 0)


def test_a_checkpoint_already_handed_in_on_the_platform_refuses_it(hub: Hub, login_as, db):
    from quest_platform.services.attempts import submit_attempt

    submit_attempt(
        student=hub.student,
        quest=hub.quest,
        stage=hub.checkpoint,
        answer={"evidence": "def login(): ..."},
        submission_key="by-hand",
    )
    response = hub.opened()
    assert response.status_code == 202
    assert "already handed in" in response.get_json()["message"]
    assert counts(db) == (1, 1)


# Refused, with nothing written


def test_a_replayed_delivery_is_refused_and_nothing_is_written(hub: Hub, db):
    delivery = str(uuid.uuid4())
    assert hub.opened(delivery=delivery).status_code == 201
    before = counts(db)
    replay = hub.opened(delivery=delivery)
    assert replay.status_code == 409
    assert "Replayed delivery" in replay.get_json()["message"]
    assert counts(db) == before
    # A ping or an ignored event is no different.
    assert hub.deliver("ping", payload("ping"), delivery=delivery).status_code == 409


@pytest.mark.parametrize(
    "signature",
    [
        "",  # none
        "sha256=",
        "sha256=" + "0" * 64,
        "sha1=7d38cdd689735b008b3c702edd92eea23791c5f6",
        "not a signature",
    ],
)
def test_a_delivery_without_a_good_signature_is_refused(hub: Hub, db, signature):
    response = hub.opened(signature=signature)
    assert response.status_code == 401
    assert response.is_json
    assert response.get_json()["status"] == 401
    assert counts(db) == (0, 0)


def test_a_delivery_signed_with_another_secret_is_refused(hub: Hub, db):
    assert hub.opened(secret="not-the-classrooms-secret").status_code == 401
    assert counts(db) == (0, 0)


def test_a_body_changed_after_signing_is_refused(hub: Hub, db):
    document = payload("pull_request_opened", checkpoint=hub.checkpoint.id)
    signed = signature_of(json.dumps(document).encode(), hub.secret)
    document["pull_request"]["user"]["login"] = "someone-else"
    assert hub.deliver("pull_request", document, signature=signed).status_code == 401


def test_unknown_classrooms_and_classrooms_without_a_secret_answer_alike(hub: Hub, make, db):
    """Ids cannot be probed: a classroom that does not exist, one whose webhook is off and a bad
    signature all get the same 401."""
    quiet = make.classroom()
    unknown = hub.opened(classroom_id=999_999, secret="anything")
    off = hub.opened(classroom_id=quiet.id, secret="anything")
    bad = hub.opened(secret="anything")
    assert unknown.status_code == off.status_code == bad.status_code == 401
    assert unknown.get_json() == off.get_json() == bad.get_json()
    assert counts(db) == (0, 0)


def test_a_webhook_turned_off_refuses_its_old_secrets_deliveries(hub: Hub, db):
    turn_off_github_webhook(classroom=hub.classroom, by=hub.teacher)
    assert hub.opened().status_code == 401
    assert counts(db) == (0, 0)


def test_a_new_secret_replaces_the_old_one(hub: Hub, db):
    old = hub.secret
    hub.secret = turn_on_github_webhook(classroom=hub.classroom, by=hub.teacher)
    assert hub.secret != old
    assert hub.opened(secret=old).status_code == 401
    assert hub.opened().status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        b'{"action": "opened", "pull_request": ',
        b"not json at all",
        b'{"action": "opened", "action": "closed"}',
        b"\xff\xfe not UTF-8",
        b'["a", "list"]',
    ],
)
def test_a_malformed_body_is_a_400_and_nothing_is_written(hub: Hub, db, body):
    response = hub.deliver("pull_request", body)
    assert response.status_code == 400
    assert response.is_json
    assert response.get_json()["message"]
    assert counts(db) == (0, 0)


@pytest.mark.parametrize(
    "spoil",
    [
        lambda document: document.pop("action"),
        lambda document: document.pop("pull_request"),
        lambda document: document["pull_request"].pop("html_url"),
        lambda document: document["pull_request"].pop("user"),
        lambda document: document["pull_request"]["user"].pop("login"),
        lambda document: document["pull_request"].pop("title"),
        lambda document: document["pull_request"].pop("merged"),
        lambda document: document["pull_request"].update(body=12),
        lambda document: document["pull_request"].update(
            html_url="https://github.com/west-coast-dev/travel-app/issues/12"
        ),
        lambda document: document["pull_request"].update(html_url="https://evil.example/pull/1"),
    ],
    ids=[
        "no action",
        "no pull_request",
        "no html_url",
        "no user",
        "no login",
        "no title",
        "no merged",
        "body not text",
        "html_url of an issue",
        "html_url elsewhere",
    ],
)
def test_a_pull_request_without_its_fields_is_a_400_and_nothing_is_written(hub: Hub, db, spoil):
    document = payload("pull_request_opened", checkpoint=hub.checkpoint.id)
    spoil(document)
    response = hub.deliver("pull_request", document)
    assert response.status_code == 400
    assert counts(db) == (0, 0)


@pytest.mark.parametrize(
    "headers",
    [
        {"X-GitHub-Event": None},
        {"X-GitHub-Event": "Pull Request!"},
        {"X-GitHub-Delivery": ""},
        {"X-GitHub-Delivery": "x" * 65},
        {"X-GitHub-Delivery": "not/a/guid"},
    ],
)
def test_a_delivery_without_its_event_or_id_is_a_400(hub: Hub, db, headers):
    response = hub.opened(headers=headers)
    assert response.status_code == 400
    assert counts(db) == (0, 0)


def test_an_oversized_body_is_a_413_and_nothing_is_written(hub: Hub, db):
    document = payload("pull_request_opened", checkpoint=hub.checkpoint.id)
    document["pull_request"]["body"] = "x" * (1024 * 1024)
    response = hub.deliver("pull_request", document)
    assert response.status_code == 413
    assert response.is_json
    assert counts(db) == (0, 0)


def test_a_body_larger_than_the_apis_but_within_the_webhooks_limit_is_read(hub: Hub, db):
    document = payload("pull_request_opened", checkpoint=hub.checkpoint.id)
    document["pull_request"]["body"] = "A long description. " * 20_000  # 400 KB
    assert hub.deliver("pull_request", document).status_code == 201


def test_a_form_encoded_delivery_asks_for_json(hub: Hub, db):
    response = hub.deliver(
        "ping", b"payload=%7B%7D", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415
    assert "application/json" in response.get_json()["message"]
    assert counts(db) == (0, 0)


def test_deliveries_are_rate_limited(hub: Hub, app, monkeypatch, db):
    monkeypatch.setitem(app.config, "GITHUB_WEBHOOK_RATE_LIMIT", "2 per minute")
    assert hub.deliver("ping", payload("ping")).status_code == 200
    assert hub.deliver("ping", payload("ping")).status_code == 200
    refused = hub.deliver("ping", payload("ping"))
    assert refused.status_code == 429
    assert refused.is_json
    assert int(refused.headers["Retry-After"]) > 0
    assert counts(db) == (2, 0)


@pytest.mark.provokes_server_error
def test_the_delivery_and_the_attempt_are_written_in_one_transaction(
    hub: Hub, app, db, monkeypatch
):
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)

    def broken(**kwargs):
        raise RuntimeError("the database went away after the attempt was written")

    # Runs after the attempt is flushed, before the commit that records both.
    monkeypatch.setattr("quest_platform.services.attempts.award_achievements", broken)
    response = hub.opened()
    assert response.status_code == 500
    assert response.is_json
    assert counts(db) == (0, 0)


def test_no_csrf_token_is_asked_of_github(hub: Hub, app):
    assert app.config.get("WTF_CSRF_ENABLED", True)
    assert hub.deliver("ping", payload("ping")).status_code == 200


# Over real HTTP, and at once


@pytest.fixture
def served(app) -> Iterator[str]:
    """The app served over HTTP on a free local port, for as long as the test runs."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def test_a_delivery_signed_as_github_signs_it_is_handed_in_over_http(hub: Hub, served, db):
    body = json.dumps(payload("pull_request_opened", checkpoint=hub.checkpoint.id)).encode()
    connection = http.client.HTTPConnection(served, timeout=30)
    try:
        connection.request(
            "POST",
            f"/hooks/github/{hub.classroom.id}",
            body=body,
            headers={
                "Content-Type": "application/json",
                "User-Agent": "GitHub-Hookshot/2f6d2bb",
                "X-GitHub-Event": "pull_request",
                "X-GitHub-Delivery": "0b989ba4-242f-11e5-81e1-c7b6966d2516",
                "X-GitHub-Hook-ID": "512345678",
                "X-Hub-Signature-256": signature_of(body, hub.secret),
            },
        )
        response = connection.getresponse()
        answer = json.loads(response.read())
    finally:
        connection.close()
    assert response.status == 201
    assert response.getheader("Content-Type") == "application/json"
    assert answer["status"] == "recorded"
    assert counts(db) == (1, 1)
    assert deliveries(db)[0].delivery_id == "0b989ba4-242f-11e5-81e1-c7b6966d2516"


@pytest.mark.parametrize("past_the_check", [False, True], ids=["as sent", "both past the check"])
def test_the_same_delivery_sent_twice_at_once_is_recorded_once(
    hub: Hub, app, db, monkeypatch, past_the_check
):
    """Two deliveries with one id at the same moment: one is recorded, the other is refused as
    replayed. With ``past_the_check``, both are let past the service's look for the id, so the
    database's unique constraint decides."""
    if past_the_check:
        real = github_service.delivery_recorded
        asked = threading.local()

        def not_yet_the_first_time(delivery_id: str) -> bool:
            if getattr(asked, "once", False):
                return real(delivery_id)
            asked.once = True
            return False

        monkeypatch.setattr(github_service, "delivery_recorded", not_yet_the_first_time)
    delivery = str(uuid.uuid4())
    # Read here: the threads have no application context to load records in.
    document = payload("pull_request_opened", checkpoint=hub.checkpoint.id)
    classroom_id = hub.classroom.id
    barrier = threading.Barrier(2)
    statuses: list[int] = []
    lock = threading.Lock()

    def send() -> None:
        client = app.test_client()
        barrier.wait()
        response = hub.deliver(
            "pull_request", document, delivery=delivery, classroom_id=classroom_id, client=client
        )
        with lock:
            statuses.append(response.status_code)

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [201, 409]
    assert counts(db) == (1, 1)


def test_a_delivery_leaves_no_session_behind(hub: Hub):
    response = hub.deliver("ping", payload("ping"))
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
