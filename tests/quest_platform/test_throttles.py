"""Throttles: one sign-in budget per address and one per account across every sign-in path,
and a budget for joining a class."""

from __future__ import annotations

import pytest
from helpers import PASSWORD, csrf_token, is_site_page, post_form

from quest_platform.throttles import SIGN_IN_PATHS

PATHS = ("/login", "/api/v1/session", "/api/authenticate")
WRONG = "not the right password"


def try_sign_in(client, path: str, login: str, password: str = WRONG, address: str = "10.0.0.1"):
    """One sign-in try on ``path`` from ``address``."""
    sent_from = {"REMOTE_ADDR": address}
    if path == "/login":
        token = csrf_token(client, "/login")
        data = {"email": login, "password": password, "csrf_token": token}
        return client.post("/login", data=data, environ_base=sent_from)
    field = "username" if path == "/api/v1/session" else "uid"
    return client.post(path, json={field: login, "password": password}, environ_base=sent_from)


def assert_throttled(response, path: str) -> None:
    assert response.status_code == 429, path
    assert int(response.headers["Retry-After"]) > 0
    if path == "/login":
        assert is_site_page(response.get_data(as_text=True))
    else:
        assert response.get_json()["status"] == 429


@pytest.fixture
def budgets(app, monkeypatch):
    def set_budgets(*, address: str, account: str) -> None:
        monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", address)
        monkeypatch.setitem(app.config, "LOGIN_ACCOUNT_RATE_LIMIT", account)

    return set_budgets


def test_every_path_that_checks_a_password_is_a_route(app):
    posts = {rule.endpoint for rule in app.url_map.iter_rules() if "POST" in rule.methods}
    assert set(SIGN_IN_PATHS) <= posts


def test_failures_on_every_path_spend_one_budget_per_address(client, budgets):
    budgets(address="10 per minute", account="100 per minute")
    for number in range(10):
        path = PATHS[number % 3]
        assert try_sign_in(client, path, f"guess{number}").status_code in {200, 401}, path
    for path in PATHS:
        assert_throttled(try_sign_in(client, path, "one.more"), path)
    assert try_sign_in(client, "/api/v1/session", "one.more", address="10.0.0.2").status_code == 401


def test_a_whole_class_signs_in_from_one_school_address(client_factory, make, budgets):
    budgets(address="10 per minute", account="10 per minute")
    students = [make.student() for _ in range(30)]
    for number, student in enumerate(students):
        path = PATHS[number % 3]
        response = try_sign_in(client_factory(), path, student.username, PASSWORD)
        assert response.status_code in {200, 302}, (path, response.status_code)
    # Failures from that address still spend its budget.
    client = client_factory()
    for number in range(10):
        assert try_sign_in(client, PATHS[number % 3], f"guess{number}").status_code in {200, 401}
    assert_throttled(try_sign_in(client, "/login", "one.more"), "/login")


def test_failures_on_one_account_from_many_addresses_spend_its_budget(client, make, budgets):
    budgets(address="100 per minute", account="10 per minute")
    student, classmate = make.student(), make.student()
    spellings = (student.username, f"  {student.username.upper()} ")
    for number in range(10):
        path, login = PATHS[number % 3], spellings[number % 2]
        response = try_sign_in(client, path, login, address=f"10.0.1.{number}")
        assert response.status_code in {200, 401}, path
    for path in PATHS:
        response = try_sign_in(client, path, student.username, PASSWORD, address="10.0.2.1")
        assert_throttled(response, path)
    assert client.get("/api/v1/session").status_code == 401, "the right password did not help"
    other = try_sign_in(client, "/api/v1/session", classmate.username, PASSWORD, "10.0.2.1")
    assert other.status_code == 200


def test_guessing_a_password_from_a_signed_in_session_spends_the_accounts_budget(
    client, make, login_as, budgets
):
    budgets(address="100 per minute", account="3 per minute")
    student = make.student()
    login_as(student)
    change = {"password": WRONG, "new_password": "a b c d e f", "new_password_confirm": "x"}
    for _ in range(2):
        assert post_form(client, "/change", change).status_code != 429
    assert post_form(client, "/change", change).status_code == 429


def test_joining_a_class_has_its_own_budget_per_address(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "JOIN_RATE_LIMIT", "3 per minute")
    join = {"join_code": "NOSUCH23", "username": "grace.h", "display_name": "Grace"}
    join |= {"password": PASSWORD, "password_confirm": PASSWORD}
    for _ in range(3):
        assert post_form(client, "/accounts/join", join).status_code == 422
    refused = post_form(client, "/accounts/join", join)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert is_site_page(refused.get_data(as_text=True))
    assert client.get("/accounts/join").status_code == 200, "reading the page is not limited"
    assert try_sign_in(client, "/api/v1/session", "grace.h").status_code == 401
