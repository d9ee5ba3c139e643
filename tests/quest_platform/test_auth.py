"""Signing in and out: usernames or emails, one vague error, a rate limit, server sessions."""

from __future__ import annotations

import pytest
from flask_security import verify_password
from flask_security import views as security_views
from helpers import (
    PASSWORD,
    count_password_work,
    csrf_token,
    html_attribute,
    is_site_page,
    post_form,
    redis_url_for,
)

from quest_platform import create_app
from quest_platform.services.accounts import reset_student_password

SESSION_COOKIE = "quest_session"
NEW_PASSWORD = "lighthouse marmalade orbit 42"


def sign_in(client, login: str, password: str = PASSWORD):
    return post_form(client, "/login", {"email": login, "password": password})


def signed_in(client) -> bool:
    return client.get("/accounts/profile").status_code == 200


def error_summary(response) -> str:
    text = response.get_data(as_text=True)
    start = text.index('class="error-summary"')
    return text[start : text.index("</div>", start)]


def test_sign_in_with_a_username(client, make):
    student = make.student()
    response = sign_in(client, student.username)
    assert response.status_code == 302
    assert response.headers["Location"] == "/start"
    assert signed_in(client)


def test_sign_in_with_an_email_address_in_any_case(client, make):
    make.teacher(email="rivera@example.org")
    assert sign_in(client, "Rivera@Example.org").status_code == 302
    assert signed_in(client)


def test_usernames_are_not_case_sensitive(client, make):
    student = make.student()
    assert sign_in(client, student.username.upper()).status_code == 302


@pytest.mark.parametrize(("role", "landing"), [("student", "/quests"), ("teacher", "/admin/")])
def test_start_sends_each_role_to_its_own_page(client, make, login_as, role, landing):
    login_as(getattr(make, role)())
    response = client.get("/start")
    assert response.headers["Location"] == landing


def test_wrong_password_and_unknown_user_get_the_same_answer(client, make):
    student = make.student()
    wrong_password = sign_in(client, student.username, "not the right password")
    unknown_user = sign_in(client, "nobody.here", "not the right password")
    assert wrong_password.status_code == unknown_user.status_code == 200
    assert error_summary(wrong_password) == error_summary(unknown_user)
    assert "Authentication failed" in error_summary(wrong_password)
    assert not signed_in(client)


def sign_in_by_api(client, login: str, password: str):
    return client.post("/api/v1/session", json={"username": login, "password": password})


def sign_in_as_the_course_pages(client, login: str, password: str):
    return client.post("/api/authenticate", json={"uid": login, "password": password})


SIGN_IN_PATHS = {
    "/login": sign_in,
    "/api/v1/session": sign_in_by_api,
    "/api/authenticate": sign_in_as_the_course_pages,
}


@pytest.mark.parametrize("case", ["unknown name", "inactive account", "wrong password"])
@pytest.mark.parametrize("path", SIGN_IN_PATHS)
def test_every_sign_in_path_does_the_same_password_work_whatever_fails(
    app, client, db, make, monkeypatch, path, case
):
    # Timing is not measured: the work that takes the time is counted (one Argon2 check).
    student = make.student()
    login, password = student.username, PASSWORD
    if case == "unknown name":
        login = "nobody.here"
    elif case == "inactive account":
        student.active = False
        db.session.commit()
    else:
        password = "not the right password"
    work = count_password_work(app, monkeypatch)
    response = SIGN_IN_PATHS[path](client, login, password)
    assert response.status_code in {200, 401}
    assert work == {"verify": 1, "hash": 0}
    assert not signed_in(client)


def test_the_sign_in_page_is_flask_securitys_own_view(app):
    # Limits and checks attach to it through public hooks, never by replacing the view.
    assert app.view_functions["security.login"] is security_views.login


def test_deactivated_users_cannot_sign_in(client, db, make):
    student = make.student()
    student.active = False
    db.session.commit()
    sign_in(client, student.username)
    assert not signed_in(client)


def test_sign_in_follows_a_same_site_next_page(client, make):
    student = make.student()
    token = csrf_token(client, "/login")
    response = client.post(
        "/login?next=/accounts/profile",
        data={"email": student.username, "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/accounts/profile"


def test_sign_in_never_redirects_off_the_site(client, make):
    student = make.student()
    token = csrf_token(client, "/login")
    response = client.post(
        "/login?next=https://evil.example/steal",
        data={"email": student.username, "password": PASSWORD, "csrf_token": token},
    )
    assert "evil.example" not in response.headers.get("Location", "")
    assert "Redirections outside the domain are forbidden" in response.get_data(as_text=True)


def test_too_many_sign_in_attempts_get_the_rate_limit_page(client, app, make, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "3 per minute")
    student = make.student()
    for _ in range(3):
        assert sign_in(client, student.username, "guessing again").status_code == 200
    response = sign_in(client, student.username, PASSWORD)
    assert response.status_code == 429
    text = response.get_data(as_text=True)
    assert is_site_page(text)
    assert "Too many attempts" in text
    assert not signed_in(client), "the right password does not help while limited"


def test_an_app_a_test_makes_keeps_the_limit_counts_on_the_workers_own_redis(
    app, worker_id, tmp_path
):
    """The limiter is one object per process: a second app rebinds it, to the same storage."""
    own = create_app("testing", SESSION_DIR=tmp_path)
    assert own.config["RATELIMIT_STORAGE_URI"] == app.config["RATELIMIT_STORAGE_URI"]
    assert app.config["RATELIMIT_STORAGE_URI"] == (redis_url_for(worker_id) or "memory://")


def test_reading_the_sign_in_page_is_not_rate_limited(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "2 per minute")
    for _ in range(5):
        assert client.get("/login").status_code == 200


def test_signing_in_starts_a_new_session(client, make):
    student = make.student()
    client.get("/login")
    before = client.get_cookie(SESSION_COOKIE).value
    sign_in(client, student.username)
    assert client.get_cookie(SESSION_COOKIE).value != before


def test_logout_is_a_post_with_a_csrf_token(client, make, login_as):
    login_as(make.student())
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert signed_in(client)
    response = post_form(client, "/logout", {}, form_page="/accounts/profile")
    assert response.status_code == 302
    assert not signed_in(client)


def test_logout_ends_the_session_on_the_server(client, client_factory, make, login_as):
    login_as(make.student())
    stolen = client.get_cookie(SESSION_COOKIE).value
    post_form(client, "/logout", {}, form_page="/accounts/profile")

    replay = client_factory()
    replay.set_cookie(SESSION_COOKIE, stolen)
    response = replay.get("/accounts/profile")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_session_cookie_is_http_only_and_same_site_lax(client, make, login_as):
    login_as(make.student())
    cookie = client.get_cookie(SESSION_COOKIE)
    assert cookie.http_only
    assert cookie.same_site == "Lax"


def test_no_remember_me_cookie_is_set(client, make, login_as):
    login_as(make.student())
    assert client.get_cookie("remember_token") is None


def test_a_one_time_password_must_be_replaced_before_anything_else(client, db, make, login_as):
    teacher, student = make.teacher(), make.student()
    make.classroom(teachers=[teacher], students=[student])
    one_time = reset_student_password(student=student, by=teacher)
    login_as(student, password=one_time)

    for url in ("/accounts/profile", "/", "/start"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"] == "/change"
    page = client.get("/change").get_data(as_text=True)
    assert "Please choose a new password" in page

    response = post_form(
        client,
        "/change",
        {"password": one_time, "new_password": NEW_PASSWORD, "new_password_confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert client.get("/accounts/profile").status_code == 200
    db.session.refresh(student)
    assert not student.must_change_password
    assert verify_password(NEW_PASSWORD, student.password)


def test_a_one_time_password_holder_can_still_switch_language(client, db, make, login_as):
    student = make.student()
    student.must_change_password = True
    db.session.commit()
    login_as(student)
    response = post_form(
        client, "/language", {"language": "es", "next": "/change"}, form_page="/change"
    )
    assert response.headers["Location"] == "/change"
    db.session.refresh(student)
    assert student.language == "es"
    assert html_attribute(client.get("/change").get_data(as_text=True), "html", "lang") == "es"


def test_a_weak_new_password_is_refused(client, db, make, login_as):
    student = make.student()
    login_as(student)
    response = post_form(
        client,
        "/change",
        {
            "password": PASSWORD,
            "new_password": "password1234",
            "new_password_confirm": "password1234",
        },
    )
    assert response.status_code in {200, 400, 422}
    assert "common password" in response.get_data(as_text=True)
    db.session.refresh(student)
    assert verify_password(PASSWORD, student.password)


def test_a_password_reset_ends_the_student_s_sessions(client, make, login_as):
    teacher, student = make.teacher(), make.student()
    make.classroom(teachers=[teacher], students=[student])
    login_as(student)
    reset_student_password(student=student, by=teacher)
    assert not signed_in(client)
    assert sign_in(client, student.username, PASSWORD).status_code == 200, "old password fails"
