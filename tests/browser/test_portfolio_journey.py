"""A student's portfolio in a real browser: a student with a reflection, a reviewed checkpoint
with a screenshot and a link, a classmate's peer review and a badge opens My portfolio, makes a
link and copies it; a signed-out browser opens it and sees the work; the student stops sharing
and the link gives the 404 page. axe finds nothing on the portfolio, on the shared page and on
the page in Spanish, in every theme.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from axe_checks import assert_accessible_in_every_theme
from PIL import Image
from playwright.sync_api import Page, expect
from sign_in import signed_in

from quest_platform.extensions import db
from quest_platform.models import PeerReview, PeerReviewAssignment, utcnow
from quest_platform.services.evidence import Screenshot, check_screenshot, keep_screenshot
from quest_platform.services.reviews import review_attempt

SPANISH_BROWSER = {"locale": "es-MX", "timezone_id": "America/Mexico_City"}
CLIPBOARD = {"permissions": ["clipboard-read", "clipboard-write"]}
REFLECTION = "Sessions live on the server; the cookie only names them."
ALT_TEXT = "The login form saying the password is wrong"


def screenshot_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 200), "#2a6f97").save(buffer, format="PNG")
    return buffer.getvalue()


def student_with_work(make: Any) -> Any:
    """A student of a class with a reflection, a checkpoint reviewed by the teacher (with a
    screenshot and a pull request), a classmate's anonymous peer review and a badge."""
    teacher = make.teacher()
    student, classmate = make.student(), make.student()
    classroom = make.classroom(teachers=[teacher], students=[student, classmate])
    quest = make.quest()
    make.assignment(quest=quest, classroom=classroom, by=teacher)
    stage = quest.stages[2]
    stage.settings = {
        **stage.settings,
        "evidence": ["code", "screenshot", "link"],
        "peer_reviews": 1,
    }
    db.session.commit()
    make.attempt(
        student=student,
        quest=quest,
        position=4,
        outcome="passed",
        score=10.0,
        answer={"text": REFLECTION},
    )
    checkpoint = make.attempt(
        student=student,
        quest=quest,
        answer={
            "evidence": "def login(): return check(password)",
            "links": [
                {
                    "url": "https://github.com/ana/site/pull/3",
                    "kind": "pull_request",
                    "repository": "ana/site",
                    "ref": "3",
                }
            ],
        },
    )
    keep_screenshot(
        attempt=checkpoint,
        screenshot=check_screenshot(Screenshot(data=screenshot_png(), alt_text=ALT_TEXT)),
    )
    db.session.commit()
    review_attempt(
        attempt=checkpoint, score=8.0, outcome="passed", reason="Clear evidence.", by=teacher
    )
    assignment = PeerReviewAssignment(
        attempt_id=checkpoint.id, reviewer_id=classmate.id, due_at=utcnow() + timedelta(days=3)
    )
    db.session.add(assignment)
    db.session.flush()
    db.session.add(
        PeerReview(
            assignment_id=assignment.id,
            levels=[2],
            comment="Clear errors, well done.",
            comment_html="<p>Clear errors, well done.</p>",
        )
    )
    db.session.commit()
    make.award(student=student, code="five-day-streak", attempt=checkpoint)
    return student, classmate


def test_a_student_shares_their_portfolio_and_stops_sharing_it(
    make: Any, open_page: Callable[..., Page], spanish: Callable[..., str]
) -> None:
    student, classmate = student_with_work(make)

    page = signed_in(open_page, student.username, **CLIPBOARD)
    page.goto("/quests")
    page.get_by_role("link", name="My portfolio").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My portfolio")
    main = page.locator("main")
    expect(main).to_contain_text("only you can see it")
    expect(main).to_contain_text(REFLECTION)
    expect(main).to_contain_text("Clear evidence.")
    expect(main).to_contain_text("Clear errors, well done.")
    expect(main).to_contain_text("Steady Builder")
    expect(main.get_by_role("img", name=ALT_TEXT)).to_be_visible()
    expect(main).not_to_contain_text(classmate.display_name)
    assert_accessible_in_every_theme(page, "a student's portfolio")

    # The student makes a link and copies it.
    page.get_by_role("button", name="Make a link to share").click()
    link_field = page.get_by_label("Link to your portfolio")
    expect(link_field).to_be_visible()
    link = link_field.input_value()
    assert "/portfolio/shared/" in link
    page.get_by_role("button", name="Copy the link").click()
    expect(page.locator("[data-copy-status=portfolio-link]")).to_have_text("The link is copied.")
    assert page.evaluate("navigator.clipboard.readText()") == link
    assert_accessible_in_every_theme(page, "a portfolio with its new link")

    # Someone signed out opens it.
    visitor = open_page()
    response = visitor.goto(link)
    assert response is not None
    assert response.status == 200
    expect(visitor.get_by_role("heading", level=1)).to_contain_text(student.display_name)
    shared = visitor.locator("main")
    expect(shared).to_contain_text(REFLECTION)
    expect(shared).to_contain_text("Clear errors, well done.")
    expect(shared.get_by_role("img", name=ALT_TEXT)).to_be_visible()
    assert visitor.locator("main img").evaluate("image => image.naturalWidth") == 320
    expect(shared.get_by_role("button", name="Stop sharing")).to_have_count(0)
    expect(visitor.get_by_role("link", name="Sign in")).to_be_visible()
    assert_accessible_in_every_theme(visitor, "a shared portfolio, signed out")
    dark_visitor = open_page(color_scheme="dark")
    dark_visitor.goto(link)
    assert_accessible_in_every_theme(dark_visitor, "a shared portfolio in a dark browser")

    # The same portfolio in Spanish.
    spanish_page = signed_in(open_page, student.username, **SPANISH_BROWSER)
    spanish_page.goto("/portfolio")
    expect(spanish_page.locator("html")).to_have_attribute("lang", "es")
    expect(spanish_page.locator("nav")).to_contain_text(spanish("My quests"))
    assert_accessible_in_every_theme(spanish_page, "a student's portfolio in Spanish")
    spanish_visitor = open_page(**SPANISH_BROWSER)
    spanish_visitor.goto(link)
    assert_accessible_in_every_theme(spanish_visitor, "a shared portfolio in Spanish")

    # The student stops sharing: the link gives the 404 page.
    page.goto("/portfolio")
    expect(page.locator("main")).to_contain_text("Your portfolio is shared since")
    page.get_by_role("button", name="Stop sharing").click()
    expect(page.get_by_role("status")).to_contain_text("private again")
    response = visitor.goto(link)
    assert response is not None
    assert response.status == 404
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Page not found")
    assert_accessible_in_every_theme(page, "a portfolio made private again")
