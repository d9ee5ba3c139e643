"""Every page of the platform passes axe-core's WCAG 2.0, 2.1 and 2.2 A and AA rules in every theme.

Visitors who are not signed in get the theme their system asks for (light, dark or more
contrast); signed-in users get the theme of their preferences. Each page is also checked once in
Spanish. One test per page and theme, so a failure names both. Two things axe leaves to people
are checked here too: pages reflow at 320 CSS pixels, and keyboard focus is always visible.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from helpers import PASSWORD
from playwright.sync_api import Locator, Page

from quest_platform.extensions import db
from quest_platform.models import Classroom, User, utcnow
from quest_platform.services.accounts import reset_student_password, update_preferences

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE = Axe()
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
# The page background of each theme, to prove the theme under test is the one on screen.
THEME_BACKGROUNDS = {"light": "#ffffff", "dark": "#121417", "high-contrast": "#000000"}
# WCAG 1.4.10: content reflows, without scrolling sideways, in a window 320 CSS pixels wide.
NARROW_VIEWPORT = {"width": 320, "height": 640}


@dataclass
class People:
    """A teacher, their classroom and its students, plus the app for one-off settings."""

    app: Flask
    teacher: User
    classroom: Classroom
    students: list[User]

    @property
    def student(self) -> User:
        return self.students[0]

    def prefer(self, *, theme: str, language: str) -> None:
        """Give all of them this theme and language."""
        for user in [self.teacher, *self.students]:
            update_preferences(
                user=user,
                display_name=user.display_name,
                pseudonym=user.pseudonym,
                language=language,
                theme=theme,
                reduced_motion=user.reduced_motion,
                leaderboard_opt_in=user.leaderboard_opt_in,
            )


@pytest.fixture
def people(app: Flask, make: Any) -> People:
    teacher = make.teacher(password=PASSWORD)
    students = [make.student(password=PASSWORD) for _ in range(3)]
    classroom = make.classroom(teachers=[teacher], students=students)
    # One student has signed in before, so the roster shows a date as well as "Never".
    students[1].current_login_at = utcnow()
    db.session.commit()
    return People(app=app, teacher=teacher, classroom=classroom, students=students)


def submit(page: Page, button: Locator | None = None) -> None:
    """Press a form's submit button (the first in <main> by default) and wait for the result."""
    with page.expect_navigation():
        (button or page.locator("main button[type=submit]").first).click()


def sign_in(page: Page, user: User, password: str = PASSWORD) -> None:
    """Sign in with the login form's own request, sharing the page's cookies.

    Quicker than filling the form in the page; the journey test signs in by hand.
    """
    form = page.request.get("/login").text()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)
    assert token, "no CSRF token on /login"
    response = page.request.post(
        "/login",
        form={"email": user.username, "password": password, "csrf_token": token.group(1)},
        max_redirects=0,
    )
    assert response.status == 302, f"{user.username} could not sign in"


# How to reach each page. Every function leaves `page` showing the page to scan.


def home(page: Page, people: People) -> None:
    page.goto("/")


def login(page: Page, people: People) -> None:
    page.goto("/login")


def login_with_errors(page: Page, people: People) -> None:
    page.goto("/login")
    page.fill("#email", people.student.username)
    page.fill("#password", "not the password")
    submit(page)


def join(page: Page, people: People) -> None:
    page.goto("/accounts/join")


def join_with_errors(page: Page, people: People) -> None:
    page.goto("/accounts/join")
    page.fill("#join_code", "NOTACODE")
    page.fill("#username", people.student.username)
    page.fill("#password", "short")
    page.fill("#password_confirm", "different")
    submit(page)


def not_found(page: Page, people: People) -> None:
    page.goto("/no-such-page")


def rate_limited(page: Page, people: People) -> None:
    # A lower limit for this test only: the second failed sign-in is one too many.
    limit = people.app.config["LOGIN_RATE_LIMIT"]
    people.app.config["LOGIN_RATE_LIMIT"] = "1 per minute"
    try:
        login_with_errors(page, people)
        login_with_errors(page, people)
    finally:
        people.app.config["LOGIN_RATE_LIMIT"] = limit


def student_profile(page: Page, people: People) -> None:
    sign_in(page, people.student)
    page.goto("/accounts/profile")


def student_profile_saved(page: Page, people: People) -> None:
    student_profile(page, people)
    submit(page)


def student_profile_with_errors(page: Page, people: People) -> None:
    student_profile(page, people)
    page.fill("#display_name", "")
    page.fill("#pseudonym", "x")
    submit(page)


def teacher_profile(page: Page, people: People) -> None:
    sign_in(page, people.teacher)
    page.goto("/accounts/profile")


def change_password(page: Page, people: People) -> None:
    sign_in(page, people.student)
    page.goto("/change")


def change_password_with_errors(page: Page, people: People) -> None:
    change_password(page, people)
    page.fill("#password", "not the password")
    page.fill("#new_password", "short")
    page.fill("#new_password_confirm", "other")
    submit(page)


def change_one_time_password(page: Page, people: People) -> None:
    # Signing in with a one-time password leads to the change-password page with a note.
    password = reset_student_password(student=people.student, by=people.teacher)
    sign_in(page, people.student, password)
    page.goto("/accounts/profile")
    assert page.url.endswith("/change"), page.url


def reauthenticate(page: Page, people: People) -> None:
    sign_in(page, people.student)
    page.goto("/verify")


def teacher_home(page: Page, people: People) -> None:
    sign_in(page, people.teacher)
    page.goto("/admin/")


def one_time_password(page: Page, people: People) -> None:
    teacher_home(page, people)
    action = f"/admin/students/{people.student.id}/reset-password"
    submit(page, page.locator(f'form[action="{action}"] button'))


def admin_classrooms(page: Page, people: People) -> None:
    sign_in(page, people.teacher)
    page.goto("/admin/classroom/")


def admin_classrooms_new_join_code(page: Page, people: People) -> None:
    # A bulk action, and the list again with its message.
    admin_classrooms(page, people)
    page.check(f"#row-{people.classroom.id}")
    page.select_option("#admin-action", "new_join_code")
    submit(page, page.locator(".admin-actions button"))


def admin_classroom_details(page: Page, people: People) -> None:
    sign_in(page, people.teacher)
    page.goto(f"/admin/classroom/details/?id={people.classroom.id}")


def admin_classroom_edit(page: Page, people: People) -> None:
    sign_in(page, people.teacher)
    page.goto(f"/admin/classroom/edit/?id={people.classroom.id}")


def admin_classroom_new_with_errors(page: Page, people: People) -> None:
    sign_in(page, people.teacher)
    page.goto("/admin/classroom/new/")
    page.fill("#period", "13")
    submit(page)


def admin_users(page: Page, people: People) -> None:
    sign_in(page, people.teacher)
    page.goto("/admin/user/")


def admin_users_filtered(page: Page, people: People) -> None:
    admin_users(page, people)
    page.fill("#admin-search", people.student.username)
    page.select_option("#filter-1", str(people.classroom.id))
    submit(page, page.locator(".admin-filters button"))


def admin_user_details(page: Page, people: People) -> None:
    sign_in(page, people.teacher)
    page.goto(f"/admin/user/details/?id={people.student.id}")


def admin_user_edit_with_errors(page: Page, people: People) -> None:
    sign_in(page, people.teacher)
    page.goto(f"/admin/user/edit/?id={people.student.id}")
    page.fill("#display_name", "")
    page.fill("#pseudonym", "no spaces!")
    submit(page)


def forbidden(page: Page, people: People) -> None:
    sign_in(page, people.student)
    page.goto("/admin/")


ANONYMOUS_PAGES: dict[str, Callable[[Page, People], None]] = {
    "home": home,
    "login": login,
    "login-errors": login_with_errors,
    "join": join,
    "join-errors": join_with_errors,
    "not-found": not_found,
    "rate-limited": rate_limited,
}
SIGNED_IN_PAGES: dict[str, Callable[[Page, People], None]] = {
    "student-profile": student_profile,
    "student-profile-saved": student_profile_saved,
    "student-profile-errors": student_profile_with_errors,
    "teacher-profile": teacher_profile,
    "change-password": change_password,
    "change-password-errors": change_password_with_errors,
    "change-one-time-password": change_one_time_password,
    "reauthenticate": reauthenticate,
    "teacher-home": teacher_home,
    "one-time-password": one_time_password,
    "admin-classrooms": admin_classrooms,
    "admin-classrooms-new-join-code": admin_classrooms_new_join_code,
    "admin-classroom-details": admin_classroom_details,
    "admin-classroom-edit": admin_classroom_edit,
    "admin-classroom-new-errors": admin_classroom_new_with_errors,
    "admin-users": admin_users,
    "admin-users-filtered": admin_users_filtered,
    "admin-user-details": admin_user_details,
    "admin-user-edit-errors": admin_user_edit_with_errors,
    "forbidden": forbidden,
}

# (theme the page must show, language, browser settings of a visitor who is not signed in)
SYSTEM_SETTINGS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "light": ("light", "en", {"color_scheme": "light"}),
    "dark": ("dark", "en", {"color_scheme": "dark"}),
    "more-contrast": ("high-contrast", "en", {"color_scheme": "light", "contrast": "more"}),
    "light-es": ("light", "es", {"color_scheme": "light", "locale": "es-ES"}),
}
# (theme, language) of a signed-in user's preferences
PREFERENCES: dict[str, tuple[str, str]] = {
    "light": ("light", "en"),
    "dark": ("dark", "en"),
    "high-contrast": ("high-contrast", "en"),
    "dark-es": ("dark", "es"),
}


def describe(violations: list[dict[str, Any]]) -> str:
    """One paragraph per violated rule: its id, its help text and the elements that break it."""
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(f"    {' '.join(map(str, node['target']))}: {summary}")
    return "\n".join(lines)


def assert_accessible(
    page: Page, *, theme: str, language: str, spanish: Callable[[str], str]
) -> None:
    """The page shows ``theme`` in ``language``, axe finds no violation, and it reflows."""
    page.wait_for_load_state()
    shown = page.evaluate(
        """() => ({
            lang: document.documentElement.lang,
            background: getComputedStyle(document.documentElement)
                .getPropertyValue('--bg').trim(),
        })"""
    )
    assert shown == {"lang": language, "background": THEME_BACKGROUNDS[theme]}, page.url
    if language == "es":
        skip_link = page.locator(".skip-link").inner_text()
        assert skip_link == spanish("Skip to main content"), f"{page.url} is not in Spanish"

    results = AXE.run(page, options=AXE_OPTIONS)
    violations = results.response["violations"]
    if violations:
        pytest.fail(f"{page.url} in {theme}/{language}:\n{describe(violations)}")

    page.set_viewport_size(NARROW_VIEWPORT)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= NARROW_VIEWPORT["width"], (
        f"{page.url} is {width}px wide in a 320px window: it scrolls sideways (WCAG 1.4.10)"
    )


@pytest.mark.parametrize(
    ("visit", "settings"),
    [
        pytest.param(visit, settings, id=f"{name}-{setting}")
        for name, visit in ANONYMOUS_PAGES.items()
        for setting, settings in SYSTEM_SETTINGS.items()
    ],
)
def test_anonymous_page(
    visit: Callable[[Page, People], None],
    settings: tuple[str, str, dict[str, Any]],
    people: People,
    open_page: Callable[..., Page],
    spanish: Callable[[str], str],
) -> None:
    theme, language, browser_settings = settings
    page = open_page(**browser_settings)
    visit(page, people)
    assert page.locator("html").get_attribute("data-theme") == "auto"
    assert_accessible(page, theme=theme, language=language, spanish=spanish)


@pytest.mark.parametrize(
    ("visit", "preferences"),
    [
        pytest.param(visit, preferences, id=f"{name}-{preference}")
        for name, visit in SIGNED_IN_PAGES.items()
        for preference, preferences in PREFERENCES.items()
    ],
)
def test_signed_in_page(
    visit: Callable[[Page, People], None],
    preferences: tuple[str, str],
    people: People,
    open_page: Callable[..., Page],
    spanish: Callable[[str], str],
) -> None:
    theme, language = preferences
    people.prefer(theme=theme, language=language)
    page = open_page()
    visit(page, people)
    assert page.locator("html").get_attribute("data-theme") == theme
    assert_accessible(page, theme=theme, language=language, spanish=spanish)


def relative_luminance(colour: str) -> float:
    """WCAG relative luminance of ``#rrggbb`` or ``rgb(r, g, b)``."""
    if colour.startswith("#"):
        channels = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    else:
        channels = [int(number) for number in re.findall(r"\d+", colour)[:3]]
    linear = [
        c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
        for c in (channel / 255 for channel in channels)
    ]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    lighter, darker = sorted(map(relative_luminance, (first, second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


FOCUSED = """() => {
    const element = document.activeElement;
    const style = getComputedStyle(element);
    return {
        name: `${element.tagName.toLowerCase()} ${element.id || element.textContent.trim()}`,
        focusVisible: element.matches(':focus-visible'),
        style: style.outlineStyle,
        width: parseFloat(style.outlineWidth),
        colour: style.outlineColor,
    };
}"""


@pytest.mark.parametrize("theme", list(THEME_BACKGROUNDS))
def test_keyboard_focus_is_visible_on_every_control(
    theme: str, people: People, open_page: Callable[..., Page]
) -> None:
    """Tab through a page with every kind of control: each shows a clear outline (WCAG 2.4.7)."""
    people.prefer(theme=theme, language="en")
    page = open_page()
    student_profile_with_errors(page, people)
    backgrounds = page.evaluate(
        """() => ['--bg', '--surface'].map(
            (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim())"""
    )
    visited = []
    for _ in range(40):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUSED)
        if focus["name"].startswith("body"):
            break
        visited.append(focus["name"])
        assert focus["focusVisible"], f"{focus['name']} does not match :focus-visible"
        assert focus["style"] != "none", f"no outline on {focus}"
        assert focus["width"] >= 2, f"a hairline outline on {focus}"
        for background in backgrounds:
            ratio = contrast_ratio(focus["colour"], background)
            assert ratio >= 3, f"outline of {focus['name']} is {ratio:.1f}:1 on {background}"
    # The skip link, header, error summary, fields, buttons and footer were all reached.
    assert len(visited) >= 15, visited
