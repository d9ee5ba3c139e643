"""Feedback conversations in the JSON API: reading and writing the messages about an attempt."""

from __future__ import annotations

from datetime import datetime

import pytest
from flask import Flask
from helpers import post_form
from sqlalchemy import func, select

from quest_platform.extensions import db
from quest_platform.models import MAX_MESSAGE_LENGTH, AttemptMessage
from quest_platform.services.feedback import hide_message, post_message
from quest_platform.services.tokens import create_api_token

HEADERS = {"X-Origin": "client"}


def url(attempt) -> str:
    return f"/api/v1/attempts/{attempt.id}/messages"


def message_count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(AttemptMessage))


def test_the_messages_come_with_their_authors_and_html(school, login_as) -> None:
    post_message(attempt=school.attempt, author=school.student, body="Is *this* fine?")
    post_message(attempt=school.attempt, author=school.teacher, body="Yes, **well done**.")
    client = login_as(school.student)
    messages = client.get(url(school.attempt), headers=HEADERS).get_json()
    assert [(m["author"], m["author_role"], m["own"]) for m in messages] == [
        (school.student.display_name, "student", True),
        (school.teacher.display_name, "teacher", False),
    ]
    assert messages[1]["body"] == "Yes, **well done**."
    assert messages[1]["body_html"] == "<p>Yes, <strong>well done</strong>.</p>\n"
    assert messages[1]["hidden"] is False
    assert datetime.fromisoformat(messages[0]["created_at"]).tzinfo is not None


def test_a_hidden_message_keeps_its_text_from_the_student_only(school, login_as, client_factory):
    message = post_message(attempt=school.attempt, author=school.student, body="Oops, unkind")
    hide_message(message=message, by=school.teacher)
    student = login_as(school.student, on=client_factory())
    [seen] = student.get(url(school.attempt), headers=HEADERS).get_json()
    assert (seen["hidden"], seen["body"], seen["body_html"]) == (True, None, None)
    teacher = login_as(school.teacher, on=client_factory())
    [seen] = teacher.get(url(school.attempt), headers=HEADERS).get_json()
    assert (seen["hidden"], seen["body"]) == (True, "Oops, unkind")


def test_writing_returns_the_message_sanitized(school, login_as, hostile, live_markup) -> None:
    client = login_as(school.teacher)
    response = client.post(url(school.attempt), json={"body": hostile}, headers=HEADERS)
    assert response.status_code == 201
    written = response.get_json()
    assert written["body"] == hostile
    assert written["own"] is True
    assert live_markup(written["body_html"]) == []


@pytest.mark.parametrize(
    ("body", "says"),
    [("  \n ", "empty"), ("x" * (MAX_MESSAGE_LENGTH + 1), "4,000")],
)
def test_bad_messages_are_problems_with_nothing_written(
    school, login_as, body: str, says: str
) -> None:
    client = login_as(school.student)
    response = client.post(url(school.attempt), json={"body": body}, headers=HEADERS)
    assert response.status_code == 422
    problem = response.get_json()
    assert says in problem["message"]
    assert problem["errors"]["body"]
    assert message_count() == 0


def test_a_body_is_required(school, login_as) -> None:
    client = login_as(school.student)
    response = client.post(url(school.attempt), json={}, headers=HEADERS)
    assert response.status_code == 422
    assert "body" in response.get_json()["errors"]


@pytest.mark.parametrize("outsider", ["other_student", "other_teacher"])
def test_another_classs_conversation_does_not_exist(school, login_as, outsider: str) -> None:
    client = login_as(getattr(school, outsider))
    assert client.get(url(school.attempt), headers=HEADERS).status_code == 404
    response = client.post(url(school.attempt), json={"body": "Hi"}, headers=HEADERS)
    assert response.status_code == 404
    assert message_count() == 0


def test_a_personal_token_writes_as_its_owner(school, client) -> None:
    token = create_api_token(user=school.student, name="My site")
    response = client.post(
        url(school.attempt),
        json={"body": "From my own front end"},
        headers={"Authorization": f"Bearer {token.secret}"},
    )
    assert response.status_code == 201
    assert response.get_json()["author"] == school.student.display_name


def test_the_api_shares_the_pages_budget_of_messages(
    app: Flask, school, login_as, monkeypatch
) -> None:
    monkeypatch.setitem(app.config, "MESSAGE_RATE_LIMIT", "2 per minute")
    client = login_as(school.student)
    page = f"/attempts/{school.attempt.id}/messages"
    assert post_form(client, page, {"body": "From the page"}).status_code == 302
    first = client.post(url(school.attempt), json={"body": "One"}, headers=HEADERS)
    second = client.post(url(school.attempt), json={"body": "Two"}, headers=HEADERS)
    assert (first.status_code, second.status_code) == (201, 429)
    assert second.get_json()["status"] == 429
    assert second.headers["Retry-After"]
    assert message_count() == 2
