"""Security headers on every response, and no caching of signed-in pages."""

from __future__ import annotations

import pytest
from helpers import code_quest, require_sandbox

EXPECTED_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
# Every kind of response: pages, forms, redirects, errors and static files.
URLS = [
    "/",
    "/login",
    "/accounts/join",
    "/start",
    "/no-such-page",
    "/logout",
    "/static/css/site.css",
]


def assert_protective_headers(response) -> None:
    for name, value in EXPECTED_HEADERS.items():
        assert response.headers.get(name) == value, name
    policy = response.headers["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ):
        assert directive in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy


@pytest.mark.parametrize("url", URLS)
def test_every_response_carries_the_security_headers(client, url):
    with client.get(url) as response:
        assert_protective_headers(response)


def test_signed_in_responses_carry_the_security_headers(client, make, login_as):
    login_as(make.teacher())
    for url in ("/accounts/profile", "/admin/", "/change"):
        assert_protective_headers(client.get(url))


def test_development_and_testing_do_not_ask_for_https_only(client):
    assert "Strict-Transport-Security" not in client.get("/").headers


@pytest.mark.parametrize("url", ["/accounts/profile", "/admin/", "/change", "/"])
def test_signed_in_pages_are_never_stored(client, make, login_as, url):
    login_as(make.teacher())
    assert client.get(url).headers["Cache-Control"] == "no-store"


def test_public_pages_may_be_cached_for_visitors(client):
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")


def test_admin_pages_allow_only_their_own_nonced_scripts(client, make, login_as):
    """Flask-Admin pages get a fresh script nonce each; no page ever gets 'unsafe-inline'."""
    login_as(make.teacher())
    policies = [client.get("/admin/classroom/").headers["Content-Security-Policy"] for _ in "ab"]
    nonces = [policy.split("'nonce-")[1].split("'")[0] for policy in policies]
    assert nonces[0] != nonces[1]
    for policy in policies:
        assert "style-src 'self';" in policy
        assert "unsafe-inline" not in policy
    assert "nonce-" not in client.get("/accounts/profile").headers["Content-Security-Policy"]


def test_a_code_challenge_admits_its_editors_one_nonced_style_element(client, make, login_as):
    """The editor's script and its style element share the page's nonce; no inline style is
    allowed otherwise, and pages without the editor allow no nonced style at all."""
    require_sandbox()
    student = make.student()
    quest = code_quest(make, student)
    login_as(student)
    response = client.get(f"/quests/{quest.slug}/1")
    policy = response.headers["Content-Security-Policy"]
    nonce = policy.split("'nonce-")[1].split("'")[0]
    assert f"script-src 'self' 'nonce-{nonce}'" in policy
    assert f"style-src 'self' 'nonce-{nonce}'" in policy
    assert "unsafe-inline" not in policy
    assert f'code-editor.js" nonce="{nonce}"' in response.get_data(as_text=True)
    assert (
        "style-src 'self';"
        in client.get(f"/quests/{quest.slug}/2").headers["Content-Security-Policy"]
    )
