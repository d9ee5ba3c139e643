"""The join page: a student creates an account with their classroom's join code."""

from __future__ import annotations

import pytest
from helpers import PASSWORD, csrf_token, is_site_page, post_form
from sqlalchemy import func, select
from werkzeug.test import encode_multipart

from quest_platform.models import AuditEntry, Enrollment, User


def rows_written(db) -> dict[str, int]:
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (User, Enrollment, AuditEntry)
    }


@pytest.fixture
def classroom(make):
    return make.classroom()


def join_form(classroom, **overrides) -> dict[str, str]:
    values = {
        "join_code": classroom.join_code,
        "username": "grace.h",
        "display_name": "Grace Hopper",
        "password": PASSWORD,
        "password_confirm": PASSWORD,
    }
    return {**values, **overrides}


def test_join_page_explains_the_join_code(client):
    page = client.get("/accounts/join")
    assert page.status_code == 200
    assert "join code" in page.get_data(as_text=True)


def test_joining_signs_the_student_in_and_lands_on_their_quests(client, db, classroom):
    response = post_form(client, "/accounts/join", join_form(classroom))
    assert response.status_code == 302
    assert response.headers["Location"] == "/quests"
    assert "Welcome, Grace Hopper!" in client.get("/quests").get_data(as_text=True)

    profile = client.get("/accounts/profile")
    assert profile.status_code == 200
    text = profile.get_data(as_text=True)
    assert "grace.h" in text
    assert classroom.name in text

    student = db.session.scalar(select(User).where(User.username == "grace.h"))
    assert student.is_student
    assert [enrollment.classroom_id for enrollment in student.enrollments] == [classroom.id]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"join_code": "ZZZZZZZZ"}, "No classroom has that join code"),
        ({"password": "grace", "password_confirm": "grace"}, "at least 10 characters"),
        (
            {"password": "password1234", "password_confirm": "password1234"},
            "very common password",
        ),
        ({"password_confirm": "something else entirely"}, "The passwords differ."),
        ({"join_code": "ABC"}, "Field must be exactly 8 characters long."),
        ({"username": "x y z"}, "Use 3 to 40 letters"),
        ({"display_name": ""}, "This field is required."),
    ],
    ids=[
        "wrong-code",
        "short-password",
        "common-password",
        "mismatched-confirm",
        "malformed-code",
        "bad-username",
        "no-name",
    ],
)
def test_bad_registrations_are_explained_and_write_nothing(client, db, classroom, change, message):
    before = rows_written(db)
    response = post_form(client, "/accounts/join", join_form(classroom, **change))
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert message in text
    assert 'role="alert"' in text, "the error summary is announced"
    assert rows_written(db) == before
    assert client.get("/accounts/profile").status_code == 302, "nobody is signed in"


def test_a_taken_username_is_explained_and_writes_nothing(client, db, classroom, make):
    make.student(username="grace.h")
    before = rows_written(db)
    response = post_form(client, "/accounts/join", join_form(classroom))
    assert response.status_code == 422
    assert "That username is taken" in response.get_data(as_text=True)
    assert rows_written(db) == before


def test_the_form_keeps_what_was_typed_except_passwords(client, classroom):
    response = post_form(client, "/accounts/join", join_form(classroom, join_code="ZZZZZZZZ"))
    text = response.get_data(as_text=True)
    assert 'value="grace.h"' in text
    assert PASSWORD not in text


def test_an_oversized_form_gets_the_too_large_page(client, db, classroom):
    before = rows_written(db)
    form = join_form(classroom, display_name="x" * (6 * 1024 * 1024))
    response = post_form(client, "/accounts/join", form)
    assert response.status_code == 413
    text = response.get_data(as_text=True)
    assert is_site_page(text)
    assert "That was too large" in text
    assert rows_written(db) == before


def test_an_oversized_field_of_a_multipart_form_gets_the_too_large_page(client, db, classroom):
    before = rows_written(db)
    form = join_form(classroom, display_name="x" * (600 * 1024))
    form["csrf_token"] = csrf_token(client, "/accounts/join")
    boundary, body = encode_multipart(form)
    response = client.post(
        "/accounts/join", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 413
    assert is_site_page(response.get_data(as_text=True))
    assert rows_written(db) == before


def test_a_form_without_its_csrf_token_gets_the_expired_form_page(client, db, classroom):
    before = rows_written(db)
    response = client.post("/accounts/join", data=join_form(classroom))
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert is_site_page(text)
    assert "Your form expired" in text
    assert rows_written(db) == before


def test_a_signed_in_user_is_sent_to_their_profile(client, make, login_as):
    login_as(make.student())
    response = client.get("/accounts/join")
    assert response.status_code == 302
    assert response.headers["Location"] == "/accounts/profile"
