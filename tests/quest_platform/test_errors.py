"""Error pages: every error a visitor can meet is a page of the site, never a traceback."""

from __future__ import annotations

import logging

import pytest
from helpers import PASSWORD, is_site_page, post_form
from sqlalchemy import func, select

from quest_platform.models import RoleName, User
from quest_platform.services.accounts import create_user


def assert_error_page(response, status: int, title: str) -> str:
    assert response.status_code == status
    assert response.mimetype == "text/html"
    text = response.get_data(as_text=True)
    assert is_site_page(text)
    assert f"Error {status}" in text
    assert title in text
    assert "Traceback" not in text
    assert 'href="/"' in text, "the error page leads back home"
    return text


def test_404_page(client):
    assert_error_page(client.get("/no-such-page"), 404, "Page not found")


def test_405_page(client):
    assert_error_page(client.get("/logout"), 405, "That action is not allowed here")


def test_403_page(client, make, login_as):
    login_as(make.student())
    assert_error_page(client.get("/admin/"), 403, "You do not have access")


def test_400_page_for_a_missing_csrf_token(client):
    assert_error_page(client.post("/language", data={"language": "es"}), 400, "Your form expired")


def test_429_page(client, app, make, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "1 per minute")
    data = {"email": "nobody", "password": "not the password"}
    post_form(client, "/login", data)
    assert_error_page(post_form(client, "/login", data), 429, "Too many attempts")


@pytest.mark.provokes_server_error
def test_500_page_shows_no_traceback_and_keeps_nothing(client, app, db, monkeypatch, caplog):
    def broken_home():
        create_user(
            username="half.written",
            display_name="Half Written",
            password=PASSWORD,
            role=RoleName.STUDENT,
            commit=False,
        )
        raise RuntimeError("secret internal detail")

    # As in production: the error handler answers instead of the test client re-raising.
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    monkeypatch.setitem(app.view_functions, "pages.home", broken_home)

    text = assert_error_page(client.get("/"), 500, "Something went wrong")

    assert "secret internal detail" not in text
    assert "RuntimeError" not in text
    assert "secret internal detail" in caplog.text, "the error is logged for the operators"
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_the_nul_character_is_refused_before_it_reaches_the_database(client, make, login_as):
    student = make.student()
    login_as(student)
    api = client.post("/api/v1/tokens", json={"name": "a\u0000b"}, headers={"X-Origin": "x"})
    assert api.status_code == 422
    assert "NUL" in api.get_json()["message"]
    assert client.get("/api/v1/quests/a%00b").status_code == 404
    assert client.get("/quests?x=%00").status_code == 422
    page = post_form(client, "/accounts/profile", {"display_name": "a\x00b"})
    assert page.status_code == 422
    assert "<html" in page.get_data(as_text=True)


@pytest.mark.provokes_server_error
def test_a_traceback_logged_by_a_request_is_kept_for_the_run_to_fail_on(
    client, app, monkeypatch, request_tracebacks
):
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    monkeypatch.setitem(app.view_functions, "pages.home", lambda: 1 / 0)
    try:
        raise ZeroDivisionError("not from a request")
    except ZeroDivisionError:
        logging.getLogger("quest_platform").exception("Outside any request")

    assert client.get("/").status_code == 500

    logged = [(record.getMessage(), record.exc_info[0]) for record in request_tracebacks.records]
    assert logged == [("Exception on / [GET]", ZeroDivisionError)]
