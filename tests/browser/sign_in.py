"""Signing in through the real sign-in page, as a browser test's person does."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from helpers import PASSWORD
from playwright.sync_api import Page


def sign_in(page: Page, username: str) -> None:
    """Sign ``username`` in on ``page`` (the suite's password) and wait for the next page."""
    page.goto("/login")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()


def signed_in(open_page: Callable[..., Page], username: str, **options: Any) -> Page:
    """A new browser (``options``: its locale, time zone, ...) signed in as ``username``; the
    sign-in form is found by its fields, so this works in any language."""
    page = open_page(**options)
    page.goto("/login")
    page.locator("input[name=email]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("form button[type=submit]").first.click()
    return page
