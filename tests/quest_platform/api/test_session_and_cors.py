"""Signing in through the API, the course front end's contract, CSRF for cookies, and CORS."""

from __future__ import annotations

import pytest
from helpers import PASSWORD

ALLOWED = "http://localhost:4000"
HEADERS = {"X-Origin": "client"}


@pytest.fixture
def allowed_origin(app):
    assert app.config["API_ALLOWED_ORIGINS"] == [ALLOWED]
    return ALLOWED


def test_the_course_pages_sign_in_read_the_user_and_sign_out(client, make):
    student = make.student()
    response = client.post(
        "/api/authenticate", json={"uid": student.username, "password": PASSWORD}, headers=HEADERS
    )
    assert response.status_code == 200
    assert response.get_json()["uid"] == student.username
    cookie = client.get_cookie("quest_session")
    assert cookie is not None
    assert cookie.http_only
    me = client.get("/api/id", headers=HEADERS).get_json()
    assert me == {
        "id": student.id,
        "uid": student.username,
        "name": student.display_name,
        "roles": ["student"],
    }
    assert client.delete("/api/authenticate", headers=HEADERS).status_code == 200
    assert client.get("/api/id", headers=HEADERS).status_code == 401


def test_a_wrong_password_is_a_401_problem_and_signs_no_one_in(client, make):
    student = make.student()
    response = client.post(
        "/api/v1/session", json={"username": student.username, "password": "wrong password!"}
    )
    assert response.status_code == 401
    assert response.get_json()["message"] == "The username or password is not right."
    assert client.get("/api/v1/session").status_code == 401


def test_signing_in_is_rate_limited_with_a_429_problem(client, make, app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "2 per minute")
    body = {"uid": "nobody", "password": "wrong"}
    statuses = [client.post("/api/authenticate", json=body).status_code for _ in range(3)]
    assert statuses == [401, 401, 429]
    assert client.post("/api/authenticate", json=body).get_json()["status"] == 429


def test_no_answer_shows_a_password_hash(client, make):
    student = make.student()
    client.post("/api/v1/session", json={"username": student.username, "password": PASSWORD})
    for url in ("/api/v1/session", "/api/id"):
        text = client.get(url).get_data(as_text=True)
        assert student.password not in text
        assert 'password"' not in text.replace("must_change_password", "")


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 400),
        ({"X-Origin": "client"}, 201),
        ({"X-CSRFToken": "forged"}, 400),
        ({"X-Origin": "client", "Origin": "https://evil.example"}, 403),
    ],
)
def test_a_cookie_write_needs_a_csrf_token_or_the_custom_header(client, make, headers, status):
    student = make.student()
    client.post("/api/v1/session", json={"username": student.username, "password": PASSWORD})
    response = client.post("/api/v1/tokens", json={"name": "site"}, headers=headers)
    assert response.status_code == status
    if status >= 400:
        assert response.get_json()["status"] == status


def test_a_cookie_write_with_the_sessions_csrf_token_works(client, make):
    student = make.student()
    client.post("/api/v1/session", json={"username": student.username, "password": PASSWORD})
    token = client.get("/api/v1/session/csrf").get_json()["csrf_token"]
    response = client.post("/api/v1/tokens", json={"name": "site"}, headers={"X-CSRFToken": token})
    assert response.status_code == 201


def test_an_allowed_origins_preflight_allows_credentials_and_the_custom_header(
    client, allowed_origin
):
    response = client.options(
        "/api/authenticate",
        headers={
            "Origin": allowed_origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, x-origin",
        },
    )
    assert response.headers["Access-Control-Allow-Origin"] == allowed_origin
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    allowed = response.headers["Access-Control-Allow-Headers"].lower()
    assert "x-origin" in allowed
    assert "content-type" in allowed


def test_another_origin_gets_no_cors_permission(client, allowed_origin):
    response = client.options(
        "/api/authenticate",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "Access-Control-Allow-Origin" not in response.headers
    response = client.get("/api/v1/openapi.json", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_cookie_writes_from_an_allowed_origin_are_accepted(client, make, allowed_origin):
    student = make.student()
    client.post("/api/authenticate", json={"uid": student.username, "password": PASSWORD})
    response = client.delete(
        "/api/authenticate", headers={"Origin": allowed_origin, "X-Origin": "client"}
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == allowed_origin


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        ("{not json", "application/json", 400),
        ('{"uid": 5, "password": "x"}', "application/json", 422),
        ('{"uid": "a", "password": "x", "admin": true}', "application/json", 422),
        ('{"uid": "a"}', "application/json", 422),
    ],
)
def test_bad_input_is_a_clear_json_problem(client, body, content_type, status):
    response = client.post("/api/authenticate", data=body, content_type=content_type)
    assert response.status_code == status
    problem = response.get_json()
    assert problem["status"] == status
    assert problem["message"]
    if status == 422:
        assert problem["errors"]


def test_a_huge_body_is_refused_with_413(client):
    response = client.post(
        "/api/authenticate",
        data=b"{" + b" " * (6 * 1024 * 1024) + b"}",
        content_type="application/json",
    )
    assert response.status_code == 413
    assert response.get_json()["status"] == 413


def test_cross_site_cookies_when_configured(make):
    from quest_platform import create_app

    app = create_app("testing", API_CROSS_SITE_COOKIES=True)
    assert app.config["SESSION_COOKIE_SAMESITE"] == "None"
    assert app.config["SESSION_COOKIE_SECURE"] is True


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/leaderboards/classrooms/2147483648",
        "/api/v1/tokens/99999999999999999999",
        "/evidence/99999999999999999999",
    ],
)
def test_an_id_too_large_for_the_database_is_not_found(client, make, url):
    student = make.student()
    client.post("/api/v1/session", json={"username": student.username, "password": PASSWORD})
    response = client.open(url, method="DELETE" if "tokens" in url else "GET", headers=HEADERS)
    assert response.status_code == 404
