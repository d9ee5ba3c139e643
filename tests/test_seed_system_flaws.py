"""Regression tests for the flaws of the system Quest Platform replaces (shared/SEED_SYSTEM.md).

Each test names the flaw it keeps away. Flaws 3 (running posted code) and 6 (students grading
themselves) have no route yet to test; flaw 5 is proven in full by test_access_matrix.py.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from flask_security import verify_password
from helpers import PASSWORD, crawl, csrf_token, is_site_page, post_form
from sqlalchemy import func, select
from werkzeug.exceptions import MethodNotAllowed, NotFound

import quest_platform
from quest_platform.models import User
from quest_platform.services.accounts import reset_student_password
from seeds.load import DEMO_STAFF, DemoCalendar, seed_demo

ROOT = Path(quest_platform.__file__).parent.parent
ROLES = ("anonymous", "student", "other_student", "teacher", "other_teacher", "admin")
SECRET_VARIABLES = ("SECRET_KEY", "SECURITY_PASSWORD_SALT")
GOOD_SECRETS = {"SECRET_KEY": "k" * 48, "SECURITY_PASSWORD_SALT": "s" * 48}


def start_production(tmp_path: Path, code: str, **variables: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh Python with QUEST_ENV=production and only the given secrets."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in SECRET_VARIABLES and name != "FLASK_DEBUG"
    }
    environment.update(
        QUEST_ENV="production",
        QUEST_INSTANCE_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path / 'production.db'}",
        **variables,
    )
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


CREATE_PRODUCTION_APP = "from quest_platform import create_app; create_app('production')"


def sign_in_as(school, role: str, client, login_as):
    person = school.person(role)
    if person is not None:
        login_as(person, on=client)
    return client


# 1. Default secrets


def test_flaw_1_production_refuses_to_start_without_secrets(tmp_path):
    """Flaw 1: the signing key fell back to a literal string, so tokens could be forged."""
    result = start_production(tmp_path, CREATE_PRODUCTION_APP)
    assert result.returncode != 0
    assert "Production needs SECRET_KEY and SECURITY_PASSWORD_SALT set in the environment" in (
        result.stderr
    )
    assert "secrets.token_urlsafe" in result.stderr, "the message says how to make one"


@pytest.mark.parametrize(
    "secrets",
    [
        {"SECRET_KEY": "changeme", "SECURITY_PASSWORD_SALT": "s" * 48},
        {"SECRET_KEY": "k" * 48, "SECURITY_PASSWORD_SALT": "password"},
        {"SECRET_KEY": "short-key", "SECURITY_PASSWORD_SALT": "s" * 48},
    ],
    ids=["default-key", "default-salt", "short-key"],
)
def test_flaw_1_production_refuses_default_or_short_secrets(tmp_path, secrets):
    """Flaw 1: a well-known or guessable secret is as bad as none."""
    result = start_production(tmp_path, CREATE_PRODUCTION_APP, **secrets)
    assert result.returncode != 0
    assert "ConfigurationError: Production needs" in result.stderr


def test_flaw_1_production_starts_with_real_secrets(tmp_path):
    """Flaw 1: the refusal above is about the secrets, not production itself."""
    code = CREATE_PRODUCTION_APP + ".config['SESSION_COOKIE_SECURE'] or exit(3)"
    result = start_production(tmp_path, code, **GOOD_SECRETS)
    assert result.returncode == 0, result.stderr


def test_flaw_1_demo_accounts_get_random_passwords(app, client, db):
    """Flaw 1: every seeded user had the password `password`."""
    seed_demo(seed=2026, calendar=DemoCalendar(day=date(2026, 12, 2)), echo=lambda line: None)
    text = Path(app.config["DEMO_LOGINS_FILE"]).read_text("utf-8")
    passwords = dict(
        re.findall(r"^\w+\s+(\S+)\s+([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})", text, re.M)
    )
    assert len(passwords) == len(DEMO_STAFF) + 60
    assert len(set(passwords.values())) == len(passwords), "every password is different"

    admin = db.session.scalar(select(User).where(User.username == "admin"))
    assert not verify_password("password", admin.password)
    assert (
        post_form(client, "/login", {"email": "admin", "password": "password"}).status_code == 200
    )
    signed_in = post_form(client, "/login", {"email": "admin", "password": passwords["admin"]})
    assert signed_in.status_code == 302


# 2. Password hashes leak


def test_flaw_2_no_page_shows_a_password_hash_or_session_secret(
    client_factory, db, school, login_as
):
    """Flaw 2: the user read-out and the user list returned password hashes."""
    users = db.session.scalars(select(User)).all()
    secrets = {user.password for user in users} | {user.fs_uniquifier for user in users}

    pages = {}
    for role in ROLES:
        client = sign_in_as(school, role, client_factory(), login_as)
        for url, body in crawl(client).pages.items():
            pages[f"{url} as {role}"] = body
    teacher = login_as(school.teacher, on=client_factory())
    one_time = post_form(
        teacher,
        f"/admin/students/{school.student.id}/reset-password",
        {"confirmed": "yes"},
        form_page="/admin/",
    )
    pages["one-time password page"] = one_time.get_data(as_text=True)

    assert len(pages) >= 20
    for name, body in pages.items():
        assert "$argon2" not in body, name
        assert not any(secret in body for secret in secrets), name


# 4. Account creation without login


def test_flaw_4_joining_needs_a_classroom_join_code(client, db):
    """Flaw 4: guest accounts could be created by anyone, without any code."""
    form = {
        "join_code": "",
        "username": "guest",
        "display_name": "Guest",
        "password": PASSWORD,
        "password_confirm": PASSWORD,
    }
    assert post_form(client, "/accounts/join", form).status_code == 422
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


@pytest.mark.parametrize("password", ["ab", "abcdefgh", "aaaaaaaaaaaa", "qwertyuiop"])
def test_flaw_4_weak_passwords_are_refused(client, db, make, password):
    """Flaw 4: 2-character passwords were accepted."""
    classroom = make.classroom()
    form = {
        "join_code": classroom.join_code,
        "username": "weak.one",
        "display_name": "Weak",
        "password": password,
        "password_confirm": password,
    }
    assert post_form(client, "/accounts/join", form).status_code == 422
    assert db.session.scalar(select(User).where(User.username == "weak.one")) is None


# 5. Missing role checks


def test_flaw_5_a_student_cannot_act_on_another_user(client, db, school, login_as):
    """Flaw 5: a plain user could delete another user (see test_access_matrix.py for all)."""
    login_as(school.student)
    token = csrf_token(client, "/")
    for target in (school.other_student, school.teacher):
        url = f"/admin/students/{target.id}/reset-password"
        assert client.post(url, data={"csrf_token": token}).status_code == 403
        db.session.refresh(target)
        assert verify_password(PASSWORD, target.password)


def test_flaw_5_the_staff_area_is_closed_to_students(client, school, login_as):
    """Flaw 5: the admin table opened for any logged-in user."""
    login_as(school.student)
    assert client.get("/admin/").status_code == 403


def test_flaw_5_visitors_are_sent_to_sign_in_not_crashed(app, client, school):
    """Flaw 5: anonymous calls to protected routes crashed with 500 instead of asking to sign in."""
    token = csrf_token(client, "/")
    protected = ["/accounts/profile", "/start", "/change", "/verify", "/admin/"]
    protected += [
        f"/admin/students/{school.student.id}/reset-password",
        f"/admin/classrooms/{school.classroom.id}/join-code",
    ]
    for url in protected:
        method = "POST" if url.endswith(("reset-password", "join-code")) else "GET"
        response = client.open(url, method=method, data={"csrf_token": token})
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/login?next="), url


# 7. Token handling


def test_flaw_7_logout_ends_the_session_on_the_server(client, client_factory, make, login_as):
    """Flaw 7: logout only cleared the cookie, so a copied cookie stayed signed in."""
    login_as(make.student())
    copied = client.get_cookie("quest_session").value
    post_form(client, "/logout", {}, form_page="/accounts/profile")
    thief = client_factory()
    thief.set_cookie("quest_session", copied)
    assert thief.get("/accounts/profile").status_code == 302


def test_flaw_7_cookies_are_http_only_and_expire(client, make):
    """Flaw 7: the cookie was readable by JavaScript and tokens never expired."""
    student = make.student()
    response = post_form(client, "/login", {"email": student.username, "password": PASSWORD})
    cookies = response.headers.getlist("Set-Cookie")
    assert cookies, "signing in sets a cookie"
    for cookie in cookies:
        attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
        assert {"httponly", "expires"} <= attributes, cookie
        assert "SameSite=Lax" in cookie, cookie
    assert client.get_cookie("quest_session").expires is not None


def test_flaw_7_a_password_reset_revokes_sessions(client, school, login_as):
    """Flaw 7: tokens could not be revoked."""
    login_as(school.student)
    reset_student_password(student=school.student, by=school.teacher)
    assert client.get("/accounts/profile").status_code == 302


def test_flaw_7_no_secret_is_logged_while_signing_in(client, db, make, login_as, caplog, capsys):
    """Flaw 7: tokens were printed to the log.

    Everything is captured: every logger at DEBUG, SQL statements with their parameters, and
    anything printed.
    """
    student = make.student()
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    post_form(client, "/login", {"email": student.username, "password": "a wrong password"})
    login_as(student)
    session_id = client.get_cookie("quest_session").value
    client.get("/accounts/profile")
    post_form(client, "/logout", {}, form_page="/accounts/profile")

    printed = capsys.readouterr()
    logged = caplog.text + printed.out + printed.err
    assert caplog.records, "the log was captured"
    for secret in (PASSWORD, "a wrong password", student.password, session_id):
        assert secret not in logged


# 8. No CSRF protection


def post_routes(app, school) -> list[str]:
    """Every URL that accepts a POST, with ids of the teacher's own student and classroom (and of
    the school's quest and its first stage)."""
    ids = {
        "student_id": school.student.id,
        "classroom_id": school.classroom.id,
        "quest_id": school.quest.id,
        "position": 1,
        "slug": school.quest.slug,
        # Feedback conversations: the student's attempt, and a message number.
        "attempt_id": school.attempt.id,
    }
    urls = []
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods:
            # Any other record (a message, a slot, a review) need not exist: the token is
            # checked before the record is looked up.
            urls.append(rule.build({name: ids.get(name, 1) for name in rule.arguments})[1])
    return sorted(urls)


@pytest.mark.parametrize("role", ["anonymous", "teacher"])
def test_flaw_8_every_form_needs_its_csrf_token(app, client, db, school, login_as, role):
    """Flaw 8: there was no CSRF protection at all."""
    sign_in_as(school, role, client, login_as)
    join_code = school.classroom.join_code
    urls = post_routes(app, school)
    assert len(urls) >= 9
    for url in urls:
        response = client.post(url, data={"language": "es", "next": "/"})
        if url.startswith("/api/"):
            # A cookie call to the API without its CSRF header is refused with a JSON problem;
            # without a session there is no cookie to abuse, and a form body is not JSON.
            expected = {400} if role == "teacher" else {400, 401, 422}
            assert response.status_code in expected, url
            assert response.get_json()["status"] == response.status_code, url
            continue
        if url.startswith("/hooks/"):
            # A webhook of another service is no form: it never reads the session, and a
            # delivery without the signature of the classroom's secret is refused.
            assert response.status_code == 401, url
            assert response.get_json()["status"] == 401, url
            continue
        assert response.status_code == 400, url
        assert is_site_page(response.get_data(as_text=True)), url
    db.session.refresh(school.classroom)
    assert school.classroom.join_code == join_code
    assert client.get("/accounts/profile").status_code == (200 if role == "teacher" else 302)


@pytest.mark.parametrize("role", ROLES)
def test_flaw_8_every_form_on_every_page_carries_a_csrf_token(client, school, login_as, role):
    """Flaw 8: state-changing forms posted without a token."""
    forms = crawl(sign_in_as(school, role, client, login_as)).forms
    assert forms
    for form in forms:
        if form.method == "POST":
            assert "csrf_token" in form.fields, f"{form.action} on {form.page}"


# 9. Broken and dead code


@pytest.mark.parametrize("role", ROLES)
def test_flaw_9_every_link_and_form_on_every_page_resolves(app, client, school, login_as, role):
    """Flaw 9: routes rendered missing templates and pages called endpoints that did not exist."""
    result = crawl(sign_in_as(school, role, client, login_as))
    assert result.broken == []
    assert len(result.pages) >= 3
    assert all(is_site_page(body) for body in result.pages.values())

    routes = app.url_map.bind("localhost")
    for form in result.forms:
        path = form.action.split("?")[0]
        try:
            routes.match(path, method=form.method)
        except (NotFound, MethodNotAllowed) as error:
            pytest.fail(f"the form on {form.page} posts to {form.action}: {error}")


# 10. Debug mode on all interfaces


def test_flaw_10_production_never_runs_in_debug_mode(tmp_path):
    """Flaw 10: debug mode was on, on all interfaces."""
    code = CREATE_PRODUCTION_APP + ".debug and exit(3)"
    result = start_production(tmp_path, code, **GOOD_SECRETS)
    assert result.returncode == 0, result.stderr


def test_flaw_10_production_refuses_flask_debug(tmp_path):
    """Flaw 10: FLASK_DEBUG=1 (or `manage.py --debug`) must not switch production to debug."""
    result = start_production(tmp_path, CREATE_PRODUCTION_APP, FLASK_DEBUG="1", **GOOD_SECRETS)
    assert result.returncode != 0
    assert "debug" in result.stderr
    assert "FLASK_DEBUG" in result.stderr


def test_flaw_10_the_server_listens_on_localhost_by_default():
    """Flaw 10: the server listened on all interfaces."""
    makefile = (ROOT / "Makefile").read_text("utf-8")
    assert re.search(r"^HOST \?= 127\.0\.0\.1$", makefile, re.M)
