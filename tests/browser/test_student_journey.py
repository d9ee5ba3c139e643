"""A student's quest, in a real browser: join a class, work through all seven stages (one by
keyboard alone), hand in a screenshot, beat the clock, then see the points, the badges and the
rank; a classmate sees only the student's pseudonym on the leaderboard.

The journey runs on a desktop screen and on a phone's (390 by 844 CSS pixels, touch): at every
step axe finds nothing in any theme, and on the phone nothing scrolls sideways.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from axe_checks import assert_accessible_in_every_theme
from helpers import PASSWORD
from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect
from sqlalchemy import select

from quest_platform.extensions import db
from quest_platform.models import Attempt, Classroom, Quest, User, utcnow
from quest_platform.services.quests import StageDraft, assign_quest, create_quest, publish_quest

USERNAME = "ada.lovelace"
DISPLAY_NAME = "Ada Lovelace"
PSEUDONYM = "Analytical-Engine"
STUDENT_PASSWORD = "analytical engine punch cards"
TIME_LIMIT = 120
# Browser settings of each screen the journey runs on.
SCREENS: dict[str, dict[str, Any]] = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 3,
        "is_mobile": True,
        "has_touch": True,
    },
}

QUIZ = {
    "questions": [
        {
            "id": "where",
            "type": "single",
            "prompt": "Where does Flask keep the session by default?",
            "choices": ["In the database", "In a signed cookie", "In a text file"],
            "answer": [1],
            "explanation": "The cookie is signed with the secret key.",
        },
        {
            "id": "flags",
            "type": "multiple",
            "prompt": "Which cookie flags protect a session?",
            "choices": ["HttpOnly", "Secure", "Expires"],
            "answer": [0, 1],
        },
        {"id": "verb", "type": "short", "prompt": "Which verb signs in?", "accepted": ["POST"]},
    ]
}
SPEED_ROUND = {
    "questions": [
        {
            "id": "status",
            "type": "single",
            "prompt": "Which status code redirects after a login?",
            "choices": ["200", "302", "404"],
            "answer": [1],
        },
        {
            "id": "logout",
            "type": "short",
            "prompt": "Which method of the session forgets everything?",
            "accepted": ["clear", "clear()"],
        },
    ]
}
STAGES = [
    StageDraft("lesson", "Why sessions", "### HTTP forgets you\nA cookie names the session."),
    StageDraft("quiz", "Sessions quiz", "Three questions.", settings=QUIZ),
    StageDraft(
        "checkpoint",
        "Show your login",
        settings={
            "prompt": "Paste your /login route and a screenshot of it working.",
            "rubric": ["Checks the password hash", "Keeps only the user id"],
            "evidence": ["code", "screenshot"],
        },
    ),
    StageDraft(
        "reflection",
        "What surprised you?",
        settings={"prompt": "What surprised you about sessions?", "min_length": 40},
    ),
    StageDraft(
        "self_check",
        "Ready for the next leg?",
        settings={"items": ["My secret key is not in Git", "Signing out works"]},
    ),
    StageDraft("timed", "Speed round", time_limit_seconds=TIME_LIMIT, settings=SPEED_ROUND),
    StageDraft("lesson", "Signing out", "### Signing out\n`session.clear()` ends the session."),
]
LOGIN_ROUTE = (
    "@app.post('/login')\n"
    "def login():\n"
    "    user = find_user(request.form['username'])\n"
    "    if user and check_password_hash(user.password_hash, request.form['password']):\n"
    "        session['user_id'] = user.id\n"
)
ALT_TEXT = "The browser shows 'Welcome back, Ada' after signing in."
REFLECTION = "That the server keeps nothing: the signed cookie carries the whole session."


def assigned_quest(teacher: User, classroom: Classroom) -> Quest:
    """The teacher's published seven-stage quest, open now in ``classroom`` for two weeks."""
    quest = create_quest(
        slug="sessions",
        title="Sessions and logins",
        theme="Digital Famine",
        summary="Sign users in and out safely.",
        stages=STAGES,
        author=teacher,
    )
    publish_quest(quest=quest, by=teacher)
    opens = utcnow() - timedelta(hours=1)
    assign_quest(
        quest=quest,
        classroom=classroom,
        opens_at=opens,
        due_at=opens + timedelta(days=14),
        by=teacher,
    )
    return quest


def screenshot_png(path: Path) -> Path:
    """A small PNG, drawn with Pillow, standing in for a screenshot of the student's app."""
    image = Image.new("RGB", (320, 200), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((10, 10, 310, 50), fill="#1d4ed8")
    draw.text((20, 80), "Welcome back, Ada", fill="black")
    image.save(path, format="PNG")
    return path


def sign_in(page: Page, username: str, password: str) -> None:
    """Sign in with the login form, as a person does."""
    page.goto("/login")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()


def tab_to(page: Page, selector: str, *, limit: int = 40) -> None:
    """Press Tab until ``selector`` has the focus."""
    target = page.locator(selector)
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{selector} not reached after {limit} presses of Tab")


def expect_flash(page: Page, text: str) -> None:
    """The page's messages include ``text``."""
    expect(page.get_by_role("status").filter(has_text=text)).to_be_visible()


def expect_result(page: Page, headline: str, details: str = "") -> None:
    """The stage's result says ``headline`` (and ``details``), and has the focus."""
    banner = page.locator("#result-banner")
    expect(banner).to_be_focused()
    expect(banner.locator(".result-headline")).to_contain_text(headline)
    expect(banner).to_contain_text(details)


def go_on(page: Page, number: int, title: str) -> None:
    """Follow the "Next" button to stage ``number``."""
    page.get_by_role("link", name=f"Next: stage {number}, {title}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def latest_attempt(student: User, position: int, quest: Quest) -> Attempt | None:
    """The student's latest attempt at stage ``position``, as the database has it now."""
    db.session.expire_all()
    stage = next(stage for stage in quest.stages if stage.position == position)
    query = (
        select(Attempt)
        .where(Attempt.student_id == student.id, Attempt.stage_id == stage.id)
        .order_by(Attempt.id.desc())
    )
    return db.session.scalars(query).first()


def check(page: Page, step: str) -> None:
    """The page at ``step`` passes axe in every theme and fits its window's width."""
    assert_accessible_in_every_theme(page, step)
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{step} ({page.url}) scrolls sideways: {width}"


@pytest.mark.parametrize("screen", SCREENS)
def test_student_completes_a_quest_and_a_classmate_sees_only_the_pseudonym(
    screen: str, make: Any, open_page: Callable[..., Page], tmp_path: Path
) -> None:
    teacher = make.teacher(password=PASSWORD)
    classmate = make.student(password=PASSWORD)
    classroom = make.classroom(teachers=[teacher], students=[classmate])
    quest = assigned_quest(teacher, classroom)
    page = open_page(**SCREENS[screen])

    # Joining with the class's code lands on the quest map, with the quest not started.
    page.goto("/accounts/join")
    page.get_by_label("Classroom join code").fill(classroom.join_code)
    page.get_by_label("Username").fill(USERNAME)
    page.get_by_label("Display name").fill(DISPLAY_NAME)
    page.get_by_label("Password", exact=True).fill(STUDENT_PASSWORD)
    page.get_by_label("Repeat the password").fill(STUDENT_PASSWORD)
    check(page, "the join form")
    page.get_by_role("button", name="Create my account").click()
    expect(page).to_have_url(re.compile(r"/quests$"))
    expect_flash(page, f"Welcome, {DISPLAY_NAME}!")
    card = page.locator(".quest-card").filter(has_text="Sessions and logins")
    expect(card).to_contain_text("Not started")
    expect(card).to_contain_text("0 of 7 stages done")
    check(page, "the quest map, nothing started")
    student = db.session.scalar(select(User).where(User.username == USERNAME))

    # Stage 1, a lesson; later stages stay locked until it is done.
    card.get_by_role(
        "link", name=re.compile(r"^Start: stage 1, Why sessions in Sessions and logins$")
    ).click()
    expect(page).to_have_url(re.compile(r"/quests/sessions/1$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Why sessions")
    sidebar = page.get_by_role("navigation", name="Stages of this quest")
    expect(sidebar.locator(".path-step").nth(1)).to_contain_text("2. Sessions quiz")
    expect(sidebar.locator(".path-step").nth(1)).to_contain_text("Locked")
    check(page, "a lesson")
    page.get_by_role("button", name="I have worked through this lesson").click()
    expect_result(page, "Stage complete", "You earned 10 points.")
    check(page, "a lesson done")
    go_on(page, 2, "Sessions quiz")
    check(page, "a quiz")

    # Stage 2, the quiz, by keyboard alone: Space picks, the arrows move, Enter sends.
    tab_to(page, "#q-where-0")
    page.keyboard.press("ArrowDown")
    expect(page.get_by_label("In a signed cookie")).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.locator("#q-flags-0")).to_be_focused()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    expect(page.get_by_label("HttpOnly")).to_be_checked()
    expect(page.get_by_label("Secure")).to_be_checked()
    tab_to(page, "#q-verb-answer")
    page.keyboard.type("post")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect_result(page, "Passed", "You scored 10 of 10 points.")
    feedback = page.locator(".feedback-list li")
    expect(feedback).to_have_count(3)
    expect(feedback.first).to_contain_text("Right · Your answer: In a signed cookie")
    expect(feedback.first).to_contain_text("The cookie is signed with the secret key.")
    expect(page.locator(".feedback-list li.incorrect")).to_have_count(0)
    check(page, "a quiz passed")
    go_on(page, 3, "Show your login")

    # Stage 3, the checkpoint: code, a screenshot and what the screenshot shows.
    page.get_by_label("Your code or notes").fill(LOGIN_ROUTE)
    page.get_by_label("Screenshot (PNG, JPEG or GIF, up to 4 MB)").set_input_files(
        screenshot_png(tmp_path / "welcome.png")
    )
    page.get_by_label("Describe the screenshot").fill(ALT_TEXT)
    check(page, "a checkpoint filled in")
    page.get_by_role("button", name="Hand in for review").click()
    expect_result(page, "Handed in: waiting for your teacher's review")
    result = page.locator("#result")
    expect(result).to_contain_text("waiting for your teacher's review")
    expect(result.locator("pre code")).to_contain_text("check_password_hash")
    image = result.get_by_role("img", name=ALT_TEXT)
    expect(image).to_be_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth") == 320
    check(page, "a checkpoint handed in")
    checkpoint = latest_attempt(student, 3, quest)
    assert checkpoint.outcome == "pending_review"
    assert checkpoint.screenshot.alt_text == ALT_TEXT
    go_on(page, 4, "What surprised you?")

    # Stage 4, the reflection: too short is refused with the reason, then written out.
    answer = page.get_by_label("Your answer")
    answer.fill("Cookies.")
    page.get_by_role("button", name="Submit my reflection").click()
    expect(page.locator(".error-summary")).to_contain_text("Write at least 40 characters")
    expect(answer).to_have_attribute("aria-invalid", "true")
    expect(answer).to_have_value("Cookies.")
    assert latest_attempt(student, 4, quest) is None
    check(page, "a reflection too short")
    answer.fill(REFLECTION)
    page.get_by_role("button", name="Submit my reflection").click()
    expect_result(page, "Stage complete", "You earned 10 points.")
    expect(page.locator("#result .answer-text")).to_have_text(REFLECTION)
    go_on(page, 5, "Ready for the next leg?")

    # Stage 5, the self-check.
    page.get_by_label("My secret key is not in Git").check()
    page.get_by_label("Signing out works").check()
    check(page, "a self-check")
    page.get_by_role("button", name="Everything is ticked").click()
    expect_result(page, "Stage complete", "You earned 10 points.")
    go_on(page, 6, "Speed round")

    # Stage 6, the timed quiz: nothing to answer until the clock starts.
    expect(page.get_by_text("You will have 2 minutes to answer.")).to_be_visible()
    expect(page.locator("#questions")).to_have_count(0)
    check(page, "a timed stage before the clock")
    page.get_by_role("button", name="Start the clock").click()
    expect(page).to_have_url(re.compile(r"/quests/sessions/6#questions$"))
    countdown = page.locator("#countdown")
    # The clock counts down from two minutes (a busy machine may take a few seconds to get here).
    clock = countdown.locator(".countdown-clock")
    expect(clock).to_have_text(re.compile(r"^Time left: (2:00|1:[0-5]\d)$"))
    expect(clock).not_to_have_text(clock.inner_text())  # it ticks
    expect(clock).to_have_attribute("aria-hidden", "true")
    status = page.locator("#countdown-status")
    expect(status).to_have_attribute("role", "status")
    expect(status).to_have_attribute("aria-live", "polite")
    check(page, "a timed stage with the clock running")
    page.get_by_label("302").check()
    page.get_by_label("Your answer").fill("clear")
    page.get_by_role("button", name="Check my answers").click()
    expect_result(page, "Passed", "You scored 10 of 10 points.")
    timed = latest_attempt(student, 6, quest)
    assert timed.outcome == "passed"
    assert (timed.submitted_at - timed.started_at).total_seconds() < TIME_LIMIT
    go_on(page, 7, "Signing out")

    # Stage 7, the last lesson; then the quest waits only for the teacher's review.
    page.get_by_role("button", name="I have worked through this lesson").click()
    expect_result(page, "Stage complete", "You earned 10 points.")
    # Every stage handed in: the end of the quest, the checkpoint still waiting for review.
    page.get_by_role("link", name="See your rewards").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Every stage handed in!")
    expect(page.locator("main")).to_contain_text("1 checkpoint waits for your teacher's review")
    check(page, "every stage handed in")
    page.get_by_role("link", name="Back to my quests").click()
    expect(card).to_contain_text("6 of 7 stages done")
    expect(card.get_by_role("link", name="Review Sessions and logins")).to_be_visible()

    # The teacher marks the checkpoint passed in the admin, in a browser of their own.
    teacher_page = open_page()
    sign_in(teacher_page, teacher.username, PASSWORD)
    teacher_page.goto(f"/admin/attempt/details/?id={checkpoint.id}")
    expect(teacher_page.get_by_role("heading", name="Mark this checkpoint")).to_be_visible()
    expect(teacher_page.locator("main")).to_contain_text("check_password_hash")
    # The screenshot, served to the teacher, with the student's text alternative.
    screenshot = teacher_page.get_by_role("img", name=ALT_TEXT)
    expect(screenshot).to_be_visible()
    assert screenshot.evaluate("image => image.complete && image.naturalWidth > 0")
    expect(teacher_page.locator("figcaption")).to_contain_text(ALT_TEXT)
    check(teacher_page, "the teacher's review page")
    teacher_page.get_by_label("Score").fill("10")
    teacher_page.get_by_label("Passed", exact=True).check()
    teacher_page.get_by_label("Feedback for the student (optional)").fill(
        "Clear route; the screenshot proves it works."
    )
    teacher_page.get_by_role("button", name="Save the review").click()
    expect(teacher_page.get_by_role("status")).to_contain_text("The review is saved.")

    # The student is told of the review on the quest map, until they read it.
    page.goto("/quests")
    note = page.get_by_role("region", name="Your teacher reviewed 1 stage")
    expect(note).to_contain_text("Passed")
    check(page, "the quest map with a review")
    note.get_by_role("link", name=re.compile("Show your login")).click()
    expect(page).to_have_url(re.compile(r"/quests/sessions/3$"))
    expect(page.locator("#result")).to_contain_text("Passed")
    # The teacher's feedback is the first message of the conversation about the answer.
    expect(page.locator("#conversation .message").first).to_contain_text(
        "Clear route; the screenshot proves it works."
    )
    check(page, "a checkpoint reviewed")
    page.goto("/quests")
    expect(page.get_by_role("region", name="Your teacher reviewed 1 stage")).to_have_count(0)
    expect(card).to_contain_text("Done")
    expect(card).to_contain_text("7 of 7 stages done")

    # The quest is complete: its points and badges, and the way back.
    card.get_by_role("link", name="See your rewards in Sessions and logins").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Quest complete!")
    expect(page.locator(".points-number")).to_have_text("125")
    for name in ("Sharp Mind", "Trailblazer", "Ship It", "Deep Thinker"):
        expect(page.get_by_role("heading", name=name)).to_be_visible()
    check(page, "the quest complete")

    # The profile: 7 stages of 10 points, plus the bonuses of Sharp Mind (10, the perfect quiz),
    # Deep Thinker (15, every reflection), Trailblazer (20, the quest) and Ship It (10, the
    # checkpoint passed at the first try).
    page.get_by_role("navigation").get_by_role("link", name="My profile").click()
    progress = page.get_by_role("region", name="My progress")
    expect(progress).to_contain_text("125 points")
    row = progress.get_by_role("row").filter(has_text="Sessions and logins")
    expect(row).to_contain_text("Done")
    expect(row).to_contain_text("7 of 7")
    for name in ("Sharp Mind", "Trailblazer", "Ship It", "Deep Thinker"):
        badge = progress.locator(".badge").filter(has=page.get_by_role("heading", name=name))
        expect(badge).to_have_class(re.compile(r"\bbadge-earned\b"))
        expect(badge).to_contain_text("Earned on")
    check(page, "the profile")

    # A pseudonym of the student's choosing for the leaderboards.
    page.get_by_label("Leaderboard name").fill(PSEUDONYM)
    page.get_by_role("button", name="Save my profile").click()
    expect_flash(page, "Your profile is saved.")

    # The leaderboard: one classroom, so straight to its board, with the student first.
    page.get_by_role("link", name="See my rank on the leaderboard").click()
    expect(page).to_have_url(re.compile(rf"/leaderboards/classrooms/{classroom.id}$"))
    expect(page.get_by_text("You have 125 points.")).to_be_visible()
    expect(page.get_by_text("You are ranked 1 of")).to_be_visible()
    mine = page.locator("tr[aria-current=true]")
    expect(mine).to_have_count(1)
    expect(mine.get_by_role("cell").first).to_have_text("1")
    expect(mine.get_by_role("rowheader")).to_have_text(f"{PSEUDONYM} (you)")
    check(page, "the leaderboard")

    # A classmate signs in: the student is on the board by pseudonym only.
    classmate_page = open_page()
    sign_in(classmate_page, classmate.username, PASSWORD)
    classmate_page.goto("/leaderboards/")
    expect(classmate_page).to_have_url(re.compile(rf"/leaderboards/classrooms/{classroom.id}$"))
    first = classmate_page.get_by_role("row").filter(has_text=PSEUDONYM)
    expect(first.get_by_role("cell").first).to_have_text("1")
    expect(first).not_to_contain_text("(you)")
    expect(classmate_page.locator("tr[aria-current=true]")).not_to_contain_text(PSEUDONYM)
    html = classmate_page.content()
    for private in (DISPLAY_NAME, USERNAME, "lovelace"):
        assert private.casefold() not in html.casefold(), f"{private!r} is on the classmate's page"
    json_board = classmate_page.request.get(f"/leaderboards/classrooms/{classroom.id}.json").text()
    assert DISPLAY_NAME not in json_board
    assert USERNAME not in json_board
