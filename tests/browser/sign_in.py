"""Signing in through the real sign-in page, as a browser test's person does."""

from __future__ import annotations

from helpers import PASSWORD
from playwright.sync_api import Page


def sign_in(page: Page, username: str) -> None:
    """Sign ``username`` in on ``page`` (the suite's password) and wait for the next page."""
    page.goto("/login")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
