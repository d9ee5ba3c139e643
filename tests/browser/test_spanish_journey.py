"""A class that works in Spanish, in real browsers, from a teacher's set-up to a finished quest.

The teacher's and the student's browsers ask for Spanish (Mexico) and are on Mexico City's clock;
neither person ever chooses a language or a zone. The teacher makes a classroom, assigns a quest
with its due date on their own clock, and marks the checkpoint; the student joins with the code,
works through all seven stages (a quiz failed once, then passed) and finishes the quest. Every
page is in Spanish, every time is on Mexico City's clock in Spanish, the choice of language is
never stored, and axe finds nothing at any step in any theme.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from axe_checks import assert_accessible_in_every_theme
from helpers import PASSWORD, shown_moment
from playwright.sync_api import Page, expect
from sqlalchemy import select
from test_student_journey import LOGIN_ROUTE, REFLECTION, STAGES, STUDENT_PASSWORD, latest_attempt

from quest_platform.extensions import db
from quest_platform.models import Classroom, QuestAssignment, User, utcnow
from quest_platform.services.quests import create_quest, publish_quest
from quest_platform.time_zones import local_to_utc

ZONE = "America/Mexico_City"
SPANISH_BROWSER = {"locale": "es-MX", "timezone_id": ZONE}
# Pages write Latin American Spanish dates ("15 dic 2026, 11:59 p.m.").
DATE_LOCALE = "es_419"
USERNAME = "sor.juana"
DISPLAY_NAME = "Juana Inés"


def expect_spanish(page: Page, spanish: Callable[..., str]) -> None:
    """The page is in Spanish: its language and the words of its frame."""
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.locator(".skip-link")).to_have_text(spanish("Skip to main content"))
    expect(page.locator("footer label")).to_have_text(spanish("Language"))


def expect_result(page: Page, headline: str, details: str = "") -> None:
    """The stage's result says ``headline`` (and ``details``), and has the focus."""
    banner = page.locator("#result-banner")
    expect(banner).to_be_focused()
    expect(banner.locator(".result-headline")).to_contain_text(headline)
    expect(banner).to_contain_text(details)


def go_on(page: Page, spanish: Callable[..., str], number: int, title: str) -> None:
    """Follow the "Next" button to stage ``number``."""
    name = spanish("Next: stage %(number)d, %(title)s") % {"number": number, "title": title}
    page.get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def sign_in(page: Page, username: str, password: str, spanish: Callable[..., str]) -> None:
    """Sign in with the login form, reading its Spanish labels."""
    page.goto("/login")
    page.get_by_label(spanish("Username or email")).fill(username)
    page.get_by_label(spanish("Password")).fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name=spanish("Sign in")).click()


def due_in_two_weeks() -> tuple[str, datetime]:
    """11:59 p.m. on Mexico City's clock two weeks from today: as typed in, and in UTC."""
    local_day = utcnow().astimezone(ZoneInfo(ZONE)).date() + timedelta(days=14)
    wall_time = datetime.combine(local_day, datetime.min.time()).replace(hour=23, minute=59)
    return wall_time.strftime("%Y-%m-%dT%H:%M"), local_to_utc(wall_time, ZoneInfo(ZONE))


def test_a_spanish_class_from_set_up_to_a_finished_quest(
    make: Any, open_page: Callable[..., Page], spanish: Callable[..., str]
) -> None:
    teacher = make.teacher(password=PASSWORD)
    quest = create_quest(
        slug="sesiones",
        title="Sesiones e inicios de sesión",
        theme="Digital Famine",
        summary="Inicia y cierra sesiones con seguridad.",
        stages=STAGES,
        author=teacher,
    )
    publish_quest(quest=quest, by=teacher)
    titles = [stage.title for stage in quest.stages]

    # The teacher signs in from a Spanish browser, to a teacher home in Spanish.
    desk = open_page(**SPANISH_BROWSER)
    sign_in(desk, teacher.username, PASSWORD, spanish)
    expect(desk).to_have_url(re.compile(r"/admin/$"))
    expect(desk.get_by_role("heading", level=1)).to_have_text(spanish("Teacher home"))
    expect_spanish(desk, spanish)
    assert_accessible_in_every_theme(desk, "the teacher home, before any classroom")

    # A new classroom, whose next steps lead to assigning the quest.
    desk.goto("/admin/classroom/new/")
    expect_spanish(desk, spanish)
    desk.locator("#name").fill("Programación 3")
    desk.locator("#term").fill("2026 T3")
    desk.locator("#period").fill("3")
    assert_accessible_in_every_theme(desk, "a new classroom's form")
    with desk.expect_navigation():
        desk.locator("main form [type=submit]").first.click()
    heading = spanish("Next steps for %(name)s") % {"name": "Programación 3"}
    expect(desk.get_by_role("heading", level=1)).to_have_text(heading)
    assert_accessible_in_every_theme(desk, "a new classroom's next steps")
    classroom = db.session.scalar(select(Classroom).where(Classroom.name == "Programación 3"))
    assert classroom is not None
    desk.get_by_role("link", name=spanish("Assign a quest")).click()

    # The due date is typed on the teacher's clock; the form names that clock.
    expect(desk.get_by_label(spanish("Classroom"))).to_have_value(str(classroom.id))
    due_label = f"{spanish('Due')} ({ZONE})"
    expect(desk.locator("label[for=due_at]")).to_have_text(due_label)
    desk.get_by_label(spanish("Quest"), exact=True).select_option(str(quest.id))
    typed, due_at = due_in_two_weeks()
    desk.locator("#due_at").fill(typed)
    assert_accessible_in_every_theme(desk, "the assignment form")
    with desk.expect_navigation():
        desk.locator("main form [type=submit]").first.click()
    assignment = db.session.scalar(select(QuestAssignment))
    assert assignment is not None
    assert assignment.due_at.replace(tzinfo=None) == due_at.replace(tzinfo=None)
    assert_accessible_in_every_theme(desk, "the assignments list")

    # The student joins from a Spanish browser: every page after the join form stays Spanish.
    phone = open_page(**SPANISH_BROWSER)
    phone.goto("/accounts/join")
    expect_spanish(phone, spanish)
    phone.get_by_label(spanish("Classroom join code")).fill(classroom.join_code)
    phone.get_by_label(spanish("Username"), exact=True).fill(USERNAME)
    phone.get_by_label(spanish("Display name")).fill(DISPLAY_NAME)
    phone.get_by_label(spanish("Password"), exact=True).fill(STUDENT_PASSWORD)
    phone.get_by_label(spanish("Repeat the password")).fill(STUDENT_PASSWORD)
    assert_accessible_in_every_theme(phone, "the join form")
    phone.get_by_role("button", name=spanish("Create my account")).click()
    expect(phone).to_have_url(re.compile(r"/quests$"))
    expect_spanish(phone, spanish)
    welcome = spanish("Welcome, %(name)s! Your account is ready.") % {"name": DISPLAY_NAME}
    expect(phone.get_by_role("status")).to_contain_text(welcome)
    student = db.session.scalar(select(User).where(User.username == USERNAME))
    assert student is not None
    assert student.language is None, "the browser chooses the language until the student does"

    # The quest's due date on the student's clock, in Spanish.
    card = phone.locator(".quest-card").filter(has_text=quest.title)
    due_text = spanish("Due %(date)s (%(zone)s)") % {
        "date": shown_moment(due_at, ZONE, DATE_LOCALE),
        "zone": ZONE,
    }
    expect(card).to_contain_text(due_text)
    done_text = spanish("%(done)d of %(num)d stage done", "%(done)d of %(num)d stages done", 7)
    expect(card).to_contain_text(done_text % {"done": 0, "num": 7})
    assert_accessible_in_every_theme(phone, "the quest map, nothing started")

    # Stage 1, a lesson.
    card.locator("a.button").first.click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(titles[0])
    expect_spanish(phone, spanish)
    assert_accessible_in_every_theme(phone, "a lesson")
    phone.get_by_role("button", name=spanish("I have worked through this lesson")).click()
    earned = spanish("You earned %(num)s point.", "You earned %(num)s points.", 10) % {"num": 10}
    expect_result(phone, spanish("Stage complete"), earned)
    assert_accessible_in_every_theme(phone, "a lesson done")
    go_on(phone, spanish, 2, titles[1])

    # Stage 2, the quiz: a wrong answer is met with hints, never the right answer; then passed.
    assert_accessible_in_every_theme(phone, "a quiz")
    phone.get_by_label("In a signed cookie").check()
    phone.get_by_label("Expires").check()
    phone.locator("#q-verb-answer").fill("GET")
    phone.get_by_role("button", name=spanish("Check my answers")).click()
    expect_result(phone, spanish("Not passed yet"))
    # Feedback on the wrong answers gives no right answer; the right one is kept for the retry.
    expect(phone.locator(".feedback-list .feedback-answer")).to_have_count(0)
    expect(phone.get_by_label("In a signed cookie")).to_be_checked()
    expect(phone.get_by_label("Expires")).not_to_be_checked()
    assert_accessible_in_every_theme(phone, "a quiz not passed yet")
    phone.get_by_label("HttpOnly").check()
    phone.get_by_label("Secure").check()
    phone.locator("#q-verb-answer").fill("POST")
    phone.get_by_role("button", name=spanish("Check my answers")).click()
    expect_result(phone, spanish("Passed"))
    assert_accessible_in_every_theme(phone, "a quiz passed")
    go_on(phone, spanish, 3, titles[2])

    # Stage 3, the checkpoint, handed in as code.
    phone.get_by_label(spanish("Your code or notes")).fill(LOGIN_ROUTE)
    assert_accessible_in_every_theme(phone, "a checkpoint")
    phone.get_by_role("button", name=spanish("Hand in for review")).click()
    expect_result(phone, spanish("Handed in: waiting for your teacher's review"))
    assert_accessible_in_every_theme(phone, "a checkpoint handed in")
    go_on(phone, spanish, 4, titles[3])

    # Stage 4, the reflection: too short first, with the reason in Spanish.
    phone.get_by_label(spanish("Your answer")).fill("Galletas.")
    phone.get_by_role("button", name=spanish("Submit my reflection")).click()
    expect(phone.locator(".error-summary")).to_be_visible()
    expect_spanish(phone, spanish)
    assert_accessible_in_every_theme(phone, "a reflection too short")
    phone.get_by_label(spanish("Your answer")).fill(REFLECTION)
    phone.get_by_role("button", name=spanish("Submit my reflection")).click()
    expect_result(phone, spanish("Stage complete"), earned)
    go_on(phone, spanish, 5, titles[4])

    # Stage 5, the self-check.
    phone.get_by_label("My secret key is not in Git").check()
    phone.get_by_label("Signing out works").check()
    phone.get_by_role("button", name=spanish("Everything is ticked")).click()
    expect_result(phone, spanish("Stage complete"), earned)
    go_on(phone, spanish, 6, titles[5])

    # Stage 6, the timed quiz, with its clock running.
    assert_accessible_in_every_theme(phone, "a timed stage before the clock")
    phone.get_by_role("button", name=spanish("Start the clock")).click()
    expect(phone.locator("#countdown .countdown-clock")).to_be_visible()
    assert_accessible_in_every_theme(phone, "a timed stage with the clock running")
    phone.get_by_label("302").check()
    phone.locator("#q-logout-answer").fill("clear")
    phone.get_by_role("button", name=spanish("Check my answers")).click()
    expect_result(phone, spanish("Passed"))
    go_on(phone, spanish, 7, titles[6])

    # Stage 7; then the quest waits for the teacher's review of the checkpoint.
    phone.get_by_role("button", name=spanish("I have worked through this lesson")).click()
    expect_result(phone, spanish("Stage complete"), earned)
    phone.get_by_role("link", name=spanish("See your rewards")).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(spanish("Every stage handed in!"))
    expect_spanish(phone, spanish)
    assert_accessible_in_every_theme(phone, "every stage handed in")

    # The teacher's home counts the checkpoint waiting, and leads to it.
    desk.goto("/admin/")
    waiting = spanish("%(num)d to review", "%(num)d to review", 1) % {"num": 1}
    desk.get_by_role("link", name=re.compile(re.escape(waiting))).first.click()
    expect_spanish(desk, spanish)
    assert_accessible_in_every_theme(desk, "the checkpoints waiting for review")
    checkpoint = latest_attempt(student, 3, quest)
    assert checkpoint is not None
    desk.goto(f"/admin/attempt/details/?id={checkpoint.id}")
    expect(desk.locator("main")).to_contain_text("check_password_hash")
    # The moment it was handed in, on the teacher's clock, in Spanish.
    expect(desk.locator("main")).to_contain_text(
        shown_moment(checkpoint.submitted_at, ZONE, DATE_LOCALE)
    )
    assert_accessible_in_every_theme(desk, "the review page")
    desk.get_by_label(spanish("Score")).fill("9")
    desk.get_by_label(spanish("Passed"), exact=True).check()
    desk.get_by_label(spanish("Feedback for the student (optional)")).fill("¡Muy claro!")
    desk.get_by_role("button", name=spanish("Save the review")).click()
    expect(desk.get_by_role("status")).to_contain_text(spanish("The review is saved."))
    assert_accessible_in_every_theme(desk, "the review saved")

    # The student reads the review, then finds the quest complete.
    phone.goto("/quests")
    reviewed = spanish(
        "Your teacher reviewed %(num)d stage", "Your teacher reviewed %(num)d stages", 1
    ) % {"num": 1}
    note = phone.get_by_role("region", name=reviewed)
    expect(note).to_contain_text(spanish("Passed"))
    assert_accessible_in_every_theme(phone, "the quest map with a review")
    note.get_by_role("link", name=re.compile(re.escape(titles[2]))).click()
    expect(phone.locator("#conversation .message").first).to_contain_text("¡Muy claro!")
    phone.goto(f"/quests/{quest.slug}/complete")
    expect(phone.get_by_role("heading", level=1)).to_have_text(spanish("Quest complete!"))
    expect_spanish(phone, spanish)
    assert_accessible_in_every_theme(phone, "the quest complete")

    db.session.expire_all()
    assert db.session.get(User, student.id).language is None
    assert db.session.get(User, teacher.id).language is None
