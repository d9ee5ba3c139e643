"""The student portal on a phone and in every theme: the quest map with its path of stages and
a teacher's review, a stage page with its task first, and the end of a quest.

Each page fits 390 and 320 CSS pixels without scrolling sideways (WCAG 1.4.10), every control
is at least 24 by 24 CSS pixels (WCAG 2.5.8), and axe finds nothing in any theme.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from helpers import PASSWORD
from playwright.sync_api import Page
from sqlalchemy import select
from test_accessibility import (
    PORTAL_ANSWERS,
    People,
    assert_accessible,
    portal_quest,
    sign_in,
)

from quest_platform.extensions import db
from quest_platform.models import Attempt, Quest
from quest_platform.services.accounts import update_preferences
from quest_platform.services.attempts import start_timed_stage, submit_attempt
from quest_platform.services.reviews import review_attempt

PHONES = {"390x844": {"width": 390, "height": 844}, "320x640": {"width": 320, "height": 640}}
THEMES = ["light", "dark", "high-contrast"]
# Controls smaller than 24 by 24 CSS pixels, in the page's header, main part and footer.
SMALL_TARGETS = """() => {
    const found = [];
    const controls = 'a[href], button, summary, input:not([type=hidden]), select, textarea';
    for (const element of document.querySelectorAll(controls)) {
        const box = element.getBoundingClientRect();
        if (box.width === 0 && box.height === 0) continue;  // folded away or hidden
        if (element.closest('.skip-link')) continue;  // off screen until focused
        // A link inside a sentence is exempt (WCAG 2.5.8 "inline").
        const parent = element.parentElement;
        const inline = element.tagName === 'A' && getComputedStyle(element).display === 'inline'
            && parent.textContent.trim() !== element.textContent.trim()
            && !parent.closest('nav, ol.stage-path');
        if (inline) continue;
        if (box.width < 24 || box.height < 24) {
            found.push(`${element.tagName.toLowerCase()} "${element.textContent.trim()
                .slice(0, 30)}" ${Math.round(box.width)}x${Math.round(box.height)}`);
        }
    }
    return found;
}"""


@pytest.fixture
def people(app: Flask, make: Any) -> People:
    """A teacher, their classroom and three students."""
    teacher = make.teacher(password=PASSWORD)
    students = [make.student(password=PASSWORD) for _ in range(3)]
    classroom = make.classroom(teachers=[teacher], students=students)
    return People(app=app, teacher=teacher, classroom=classroom, students=students)


def reviewed_quest(people: People) -> Quest:
    """The portal quest with five stages handed in and the checkpoint marked by the teacher."""
    quest = portal_quest(people, done=5)
    checkpoint = db.session.scalars(
        select(Attempt).where(
            Attempt.student_id == people.student.id, Attempt.outcome == "pending_review"
        )
    ).one()
    review_attempt(
        attempt=checkpoint, score=8, outcome="passed", reason="Clear route.", by=people.teacher
    )
    return quest


def finished_quest(people: People) -> Quest:
    """The portal quest with every stage handed in, the checkpoint reviewed."""
    return finished_quest_from(people, reviewed_quest(people))


def finished_quest_from(people: People, quest: Quest) -> Quest:
    """Hand in the last two stages of the reviewed portal quest."""
    timed = quest.stages[5]
    start_timed_stage(student=people.student, quest=quest, stage=timed)
    for stage in quest.stages[5:]:
        answer = PORTAL_ANSWERS["quiz" if stage.kind == "timed" else stage.kind]
        submit_attempt(
            student=people.student,
            quest=quest,
            stage=stage,
            answer=answer,
            submission_key=secrets.token_urlsafe(16),
        )
    return quest


def prefer(people: People, *, theme: str, reduced_motion: bool = False) -> None:
    """Give everyone ``theme`` in English, with or without reduced motion."""
    people.prefer(theme=theme, language="en")
    student = people.student
    update_preferences(
        user=student,
        display_name=student.display_name,
        pseudonym=student.pseudonym,
        language="en",
        theme=theme,
        reduced_motion=reduced_motion,
        leaderboard_opt_in=student.leaderboard_opt_in,
    )


def assert_fits(page: Page, viewport: dict[str, int]) -> None:
    """No sideways scrolling at ``viewport``, and every control a comfortable target."""
    page.set_viewport_size(viewport)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= viewport["width"], f"{page.url} is {width}px wide in {viewport}"
    small = page.evaluate(SMALL_TARGETS)
    assert not small, f"{page.url} at {viewport}: targets under 24x24 px: {small}"


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("phone", PHONES)
def test_the_quest_map_on_a_phone(
    phone: str,
    theme: str,
    people: People,
    open_page: Callable[..., Page],
    spanish: Callable[[str], str],
) -> None:
    reviewed_quest(people)
    prefer(people, theme=theme)
    page = open_page(viewport=PHONES[phone])
    sign_in(page, people.student)
    page.goto("/quests")
    note = page.get_by_role("region", name="Your teacher reviewed 1 stage")
    assert "Passed" in note.inner_text()
    path = page.get_by_role("list", name="Stages of Logins for real")
    steps = path.get_by_role("listitem")
    assert steps.count() == 7
    assert "Done" in steps.nth(2).inner_text()
    assert "8 of 10 points" in steps.nth(2).inner_text()
    assert "Up next" in steps.nth(5).inner_text()
    assert "Locked" in steps.nth(6).inner_text()
    assert_fits(page, PHONES[phone])
    assert_accessible(page, theme=theme, language="en", spanish=spanish)


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("phone", PHONES)
def test_a_stage_on_a_phone_puts_the_task_first(
    phone: str,
    theme: str,
    people: People,
    open_page: Callable[..., Page],
    spanish: Callable[[str], str],
) -> None:
    portal_quest(people, done=2)
    prefer(people, theme=theme)
    page = open_page(viewport=PHONES[phone])
    sign_in(page, people.student)
    page.goto("/quests/logins/3")
    # The stage list is folded under its summary; the task is the first thing below it.
    fold = page.locator("details.stage-fold")
    assert fold.get_attribute("open") is None
    assert page.locator("summary").inner_text() == "Stages (2 of 7 done)"
    assert not page.get_by_role("list", name="Stages of Logins for real").is_visible()
    task = page.get_by_role("heading", name="Hand in your evidence")
    assert task.is_visible()
    assert fold.bounding_box()["height"] < 60
    assert_fits(page, PHONES[phone])
    # Unfolded, the list shows every stage, this one marked as the page on screen.
    page.locator("summary").click()
    current = page.locator("[aria-current=page]", has_text="3. Show your login")
    assert current.is_visible()
    assert_fits(page, PHONES[phone])
    assert_accessible(page, theme=theme, language="en", spanish=spanish)


def test_on_a_wide_screen_the_stage_list_is_an_open_sidebar(
    people: People, open_page: Callable[..., Page]
) -> None:
    portal_quest(people, done=2)
    prefer(people, theme="light")
    page = open_page(viewport={"width": 1280, "height": 800})
    sign_in(page, people.student)
    page.goto("/quests/logins/3")
    path = page.get_by_role("list", name="Stages of Logins for real")
    assert path.is_visible()
    # Beside the task, on its left.
    task = page.locator(".stage-body").bounding_box()
    assert path.bounding_box()["x"] + path.bounding_box()["width"] <= task["x"]


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("viewport", [*PHONES, "1280x800"])
def test_the_end_of_a_quest(
    viewport: str,
    theme: str,
    people: People,
    open_page: Callable[..., Page],
    spanish: Callable[[str], str],
) -> None:
    finished_quest(people)
    prefer(people, theme=theme)
    size = PHONES.get(viewport, {"width": 1280, "height": 800})
    page = open_page(viewport=size)
    sign_in(page, people.student)
    page.goto("/quests/logins/7")
    page.get_by_role("link", name="See your rewards").click()
    page.wait_for_url("**/quests/logins/complete")
    assert page.get_by_role("heading", level=1).inner_text() == "Quest complete!"
    assert page.locator(".points-number").inner_text() != "0"
    badges = page.get_by_role("region", name="Badges earned in this quest")
    for name in ("Sharp Mind", "Ship It", "Trailblazer"):
        assert badges.get_by_role("heading", name=name).is_visible()
    assert page.get_by_role("link", name="Back to my quests").is_visible()
    assert_fits(page, size)
    assert_accessible(page, theme=theme, language="en", spanish=spanish)


ANIMATION = "() => getComputedStyle(document.querySelector('.celebration-art')).animationName"


@pytest.mark.parametrize(
    ("reduced_motion", "emulation", "expected"),
    [
        pytest.param(False, {}, "trophy-rise", id="motion"),
        pytest.param(True, {}, "none", id="reduced-motion-setting"),
        pytest.param(False, {"reduced_motion": "reduce"}, "none", id="prefers-reduced-motion"),
    ],
)
def test_the_celebration_keeps_still_when_asked(
    reduced_motion: bool,
    emulation: dict[str, Any],
    expected: str,
    people: People,
    open_page: Callable[..., Page],
) -> None:
    finished_quest(people)
    prefer(people, theme="light", reduced_motion=reduced_motion)
    page = open_page(**emulation)
    sign_in(page, people.student)
    page.goto("/quests/logins/complete")
    assert page.evaluate(ANIMATION) == expected


def test_the_portal_in_spanish_on_a_phone(
    people: People, open_page: Callable[..., Page], spanish: Callable[[str], str]
) -> None:
    """The review note, the folded stage list and the end of a quest, in Spanish and dark."""
    quest = reviewed_quest(people)
    people.prefer(theme="dark", language="es")
    page = open_page(viewport=PHONES["390x844"], locale="es-ES")
    sign_in(page, people.student)
    page.goto("/quests")
    heading = spanish("Your teacher reviewed %(num)d stage") % {"num": 1}
    assert page.get_by_role("region", name=heading).is_visible()
    assert_fits(page, PHONES["390x844"])
    assert_accessible(page, theme="dark", language="es", spanish=spanish)

    page = open_page(viewport=PHONES["390x844"], locale="es-ES")
    sign_in(page, people.student)
    page.goto("/quests/logins/6")
    assert page.locator("summary").inner_text() == "Etapas (5 de 7 hechas)"
    assert_fits(page, PHONES["390x844"])
    assert_accessible(page, theme="dark", language="es", spanish=spanish)

    finished_quest_from(people, quest)
    page = open_page(viewport=PHONES["320x640"], locale="es-ES")
    sign_in(page, people.student)
    page.goto("/quests/logins/complete")
    assert page.get_by_role("heading", level=1).inner_text() == spanish("Quest complete!")
    assert_fits(page, PHONES["320x640"])
    assert_accessible(page, theme="dark", language="es", spanish=spanish)
