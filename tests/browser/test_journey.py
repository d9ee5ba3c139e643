"""A student's first visit, in a real browser: join a class, set the theme and language, sign out
and back in, mostly with the keyboard.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect
from sqlalchemy import select

from quest_platform.extensions import db
from quest_platform.models import User

USERNAME = "ada.lovelace"
PASSWORD = "analytical engine punch cards"

# What the keyboard has focused, and whether the focus can be seen.
FOCUSED = """() => {
    const element = document.activeElement;
    const style = getComputedStyle(element);
    return {
        element: element.outerHTML.slice(0, 80),
        focusVisible: element.matches(':focus-visible'),
        outline: style.outlineStyle,
    };
}"""


def assert_focus_visible(page: Page) -> None:
    """The focused element shows the keyboard focus style: an outline that is not ``none``."""
    focus = page.evaluate(FOCUSED)
    assert focus["focusVisible"], f"{focus['element']} does not match :focus-visible"
    assert focus["outline"] != "none", f"{focus['element']} has no focus outline"


def tab_to(page: Page, selector: str, *, limit: int = 30) -> None:
    """Press Tab until ``selector`` has the focus, checking the focus is visible at each stop."""
    target = page.locator(selector)
    for _ in range(limit):
        page.keyboard.press("Tab")
        assert_focus_visible(page)
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{selector} not reached after {limit} presses of Tab")


def test_student_joins_sets_preferences_signs_out_and_in(
    make: Any, open_page: Callable[..., Page], spanish: Callable[[str], str]
) -> None:
    classroom = make.classroom()
    page = open_page()

    # The home page leads to the join form.
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("data-theme", "auto")
    page.get_by_role("navigation").get_by_role("link", name="Join a class").click()
    expect(page).to_have_url(re.compile(r"/accounts/join$"))

    # Registering with the join code signs the student in on their quests.
    page.get_by_label("Classroom join code").fill(classroom.join_code)
    page.get_by_label("Username").fill(USERNAME)
    page.get_by_label("Display name").fill("Ada Lovelace")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    expect(page).to_have_url(re.compile(r"/quests$"))
    expect(page.get_by_role("status")).to_contain_text("Welcome, Ada Lovelace!")
    expect(page.get_by_role("heading", level=1)).to_have_text("My quests")
    expect(page.locator("html")).to_have_attribute("data-theme", "light")

    # From the top of the page, Tab reaches the skip link first; it moves focus to <main>.
    page.evaluate("() => document.activeElement.blur()")
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    # The profile holds the preferences.
    page.get_by_role("link", name="My profile").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My profile")

    # The language follows the browser until chosen: choose Español (after "the browser's" and
    # English) and the dark theme, and save, with the keyboard only.
    tab_to(page, "#language")
    expect(page.locator("#language")).to_have_value("")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#language")).to_have_value("es")
    tab_to(page, "input[name=theme]:checked")
    page.keyboard.press("ArrowDown")
    expect(page.get_by_label("Dark", exact=True)).to_be_checked()
    tab_to(page, "main form:not([action$=github]) button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    # The page now speaks Spanish in the dark theme.
    html = page.locator("html")
    expect(html).to_have_attribute("data-theme", "dark")
    expect(html).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_have_text(spanish("My profile"))
    expect(page.get_by_role("status")).to_contain_text(spanish("Your profile is saved."))
    db.session.expire_all()
    student = db.session.scalar(select(User).where(User.username == USERNAME))
    assert (student.theme, student.language) == ("dark", "es")

    # Signing out with the header's button ends on the home page, signed out.
    header = page.get_by_role("banner")
    with page.expect_navigation():
        header.get_by_role("button", name=spanish("Sign out")).click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(html).to_have_attribute("data-theme", "auto")
    expect(header.get_by_role("button")).to_have_count(0)
    expect(header.locator('a[href="/login"]')).to_be_visible()

    # The same credentials sign in again, to the student's own theme and language.
    header.locator('a[href="/login"]').click()
    page.locator("#email").fill(USERNAME)
    page.locator("#password").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("#password").press("Enter")
    expect(page).to_have_url(re.compile(r"/quests$"))
    expect(html).to_have_attribute("data-theme", "dark")
    expect(html).to_have_attribute("lang", "es")
    expect(header.get_by_role("button", name=spanish("Sign out"))).to_be_visible()
