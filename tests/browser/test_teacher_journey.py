"""A teacher's first week in a real browser, from set-up to the first review: make a classroom,
import its roster from the next steps, write and publish a 7-stage quest, assign it on their own
clock, mark a student's checkpoint reached from the teacher home, override a quiz score with a
reason and find it in the audit log, then read the dashboard.

At every step axe finds nothing in any theme.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from axe_checks import assert_accessible_in_every_theme
from helpers import PASSWORD, shown_moment
from playwright.sync_api import Page, expect
from quest_editor import fill_stage
from sqlalchemy import select

from quest_platform.extensions import db
from quest_platform.models import (
    Attempt,
    Classroom,
    Quest,
    QuestAssignment,
    Review,
    User,
    utcnow,
)
from quest_platform.services.attempts import submit_attempt

# The teacher's browser is on the clock of the school's coast.
ZONE = "America/Los_Angeles"
ROSTER = (
    "first name,last name,username,email\n"
    "Grace,Hopper,grace.h,\n"
    "Alan,Turing,alan.t,alan@example.org\n"
)

# The seven stages, one form each: (kind, title, fields by label).
STAGES: list[tuple[str, str, dict[str, str]]] = [
    (
        "lesson",
        "Cookies and sessions",
        {"Lesson text": "### HTTP forgets you\nA cookie carries the session id.\n"},
    ),
    (
        "quiz",
        "Sessions quiz",
        {
            "Question": "Where does Flask keep the session by default?",
            "Choice 1": "In the database",
            "Choice 2": "In a signed cookie",
            "Choice 3": "In a text file",
        },
    ),
    ("lesson", "Hashing passwords", {"Lesson text": "Use `generate_password_hash`."}),
    (
        "checkpoint",
        "Show your login route",
        {
            "Prompt": "Paste your /login route.",
            "Rubric": "Checks the hash\nStores only the user id",
        },
    ),
    (
        "reflection",
        "What surprised you?",
        {"Prompt": "What surprised you about sessions?", "Minimum length in characters": "50"},
    ),
    (
        "self_check",
        "Ready for the next leg?",
        {"Checklist": "My secret key is not in Git\nLogout works"},
    ),
    (
        "timed",
        "Speed round",
        {
            "Question": "Which HTTP method sends a login form?",
            "Accepted answers": "POST\npost",
            "Time limit in seconds": "120",
        },
    ),
]


def test_teacher_sets_up_a_class_and_reviews_the_first_checkpoint(
    make: Any, open_page: Callable[..., Page], tmp_path: Path
) -> None:
    teacher = make.teacher()
    page = open_page(timezone_id=ZONE)

    # Sign in by hand, to a teacher home with no classroom yet.
    page.goto("/login")
    page.get_by_label("Username or email").fill(teacher.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    assert_accessible_in_every_theme(page, "the teacher home, before any classroom")

    # A new classroom, whose next steps lead to the roster import with the classroom chosen.
    page.goto("/admin/classroom/new/")
    page.get_by_label("Name").fill("CS Period 2")
    page.get_by_label("Term").fill("2026 T3")
    page.get_by_label("Period").fill("2")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Next steps for CS Period 2")
    assert_accessible_in_every_theme(page, "a new classroom's next steps")
    classroom = db.session.scalar(select(Classroom).where(Classroom.name == "CS Period 2"))
    assert classroom is not None
    page.get_by_role("link", name="Import a roster").click()
    expect(page.get_by_label("Classroom")).to_have_value(str(classroom.id))

    # Roster import: a dry run writes nothing, then the import shows one-time passwords once.
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, "utf-8")
    page.get_by_label("Roster file").set_input_files(roster)
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("table")).to_contain_text("grace.h")
    assert db.session.scalar(select(User.id).where(User.username == "grace.h")) is None
    assert_accessible_in_every_theme(page, "the roster import's preview")
    page.get_by_role("button", name=re.compile(r"Import 2 students")).click()
    expect(page.locator("main")).to_contain_text("alan.t")
    assert_accessible_in_every_theme(page, "the roster import's sign-in sheet")
    grace = db.session.scalar(select(User).where(User.username == "grace.h"))
    assert grace is not None
    assert grace.must_change_password

    # A new quest with seven stages of different kinds, then published.
    page.goto("/admin/quest/new/")
    page.get_by_label("Title").fill("Boarding pass")
    page.get_by_label("Slug").fill("boarding-pass")
    page.get_by_label("Theme").fill("West Coast Travel")
    page.get_by_label("Summary").fill("Log travelers in and out.")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Boarding pass")
    for kind, title, fields in STAGES:
        fill_stage(page, kind, title, fields)
    expect(page.get_by_role("heading", name="7 stages")).to_be_visible()
    assert_accessible_in_every_theme(page, "the quest editor with seven stages")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("status")).to_contain_text("is published")
    assert_accessible_in_every_theme(page, "the quest published")
    quest = db.session.scalar(select(Quest).where(Quest.slug == "boarding-pass"))
    assert quest is not None
    assert quest.status == "published"
    assert [stage.kind for stage in quest.stages] == [kind for kind, _, _ in STAGES]

    # Assigned from the quest list; it opens now by default, and is due in two weeks at 3 p.m.
    # on the teacher's clock, which the form names.
    page.goto("/admin/quest/")
    row = page.get_by_role("row").filter(has_text="Boarding pass")
    row.get_by_role("link", name=re.compile("Assign to a classroom")).click()
    page.get_by_label("Classroom").select_option(str(classroom.id))
    local_day = utcnow().astimezone(ZoneInfo(ZONE)).date() + timedelta(days=14)
    due_wall_time = datetime.combine(local_day, datetime.min.time()).replace(hour=15)
    page.get_by_label(f"Due ({ZONE})").fill(due_wall_time.strftime("%Y-%m-%dT%H:%M"))
    assert_accessible_in_every_theme(page, "the assignment form")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("successfully created")
    due_at = due_wall_time.replace(tzinfo=ZoneInfo(ZONE))
    expect(page.locator("main")).to_contain_text(shown_moment(due_at, ZONE))
    assert_accessible_in_every_theme(page, "the assignments list")
    assignment = db.session.scalar(select(QuestAssignment))
    assert assignment is not None
    assert assignment.due_at.replace(tzinfo=None) == due_at.astimezone(ZoneInfo("UTC")).replace(
        tzinfo=None
    )

    # Grace works through the quest up to the checkpoint: the quiz wrong at first, then right.
    quiz = quest.stages[1]
    question = quiz.questions[0]["id"]

    def hand_in(position: int, answer: dict[str, Any]) -> Attempt:
        return submit_attempt(
            student=grace,
            quest=quest,
            stage=quest.stages[position - 1],
            answer=answer,
            submission_key=secrets.token_urlsafe(16),
        )

    hand_in(1, {"confirmed": True})
    attempt = hand_in(2, {"responses": {question: [0]}})
    hand_in(2, {"responses": {question: [1]}})
    hand_in(3, {"confirmed": True})
    checkpoint = hand_in(4, {"evidence": "@app.post('/login')\ndef login():\n    return '/'"})

    # The teacher home counts the checkpoint waiting, and leads to it: the first review.
    page.goto("/admin/")
    assert_accessible_in_every_theme(page, "the teacher home with a checkpoint waiting")
    page.get_by_role("link", name=re.compile(r"^1 to review in CS Period 2$")).click()
    row = page.get_by_role("row").filter(has_text="Grace Hopper")
    expect(row).to_contain_text("Show your login route")
    assert_accessible_in_every_theme(page, "the checkpoints waiting for review")
    row.get_by_role("link", name=re.compile("Details")).click()
    expect(page.get_by_role("heading", name="Mark this checkpoint")).to_be_visible()
    expect(page.locator("main")).to_contain_text(shown_moment(checkpoint.submitted_at, ZONE))
    assert_accessible_in_every_theme(page, "the review page")
    page.get_by_label("Score").fill("9")
    page.get_by_label("Passed", exact=True).check()
    page.get_by_label("Feedback for the student (optional)").fill("Clear route.")
    page.get_by_role("button", name="Save the review").click()
    expect(page.get_by_role("status")).to_contain_text("The review is saved.")
    assert_accessible_in_every_theme(page, "the first review saved")
    db.session.expire_all()
    assert db.session.get(Attempt, checkpoint.id).result == (9.0, "passed")

    # The teacher finds the quiz in the attempts list and overrides the score with a reason.
    page.goto("/admin/attempt/")
    row = (
        page.get_by_role("row")
        .filter(has_text="Grace Hopper")
        .filter(has_text="Sessions quiz")
        .filter(has_text="Not passed")
    )
    row.get_by_role("link", name=re.compile("Details")).click()
    page.get_by_label("Score").fill("8")
    page.get_by_label("Passed", exact=True).check()
    page.get_by_role("button", name="Save the review").click()
    expect(page.locator(".field-error")).to_contain_text("reason")
    assert_accessible_in_every_theme(page, "an override without a reason")
    assert db.session.scalar(select(Review.id).where(Review.attempt_id == attempt.id)) is None
    page.get_by_label("Score").fill("8")
    page.get_by_label("Passed", exact=True).check()
    page.get_by_label("Reason").fill("The question was ambiguous; both readings are right.")
    page.get_by_role("button", name="Save the review").click()
    expect(page.get_by_role("status")).to_contain_text("The review is saved.")
    db.session.expire_all()
    assert db.session.get(Attempt, attempt.id).result == (8.0, "passed")
    assert db.session.get(Attempt, attempt.id).score == 0.0

    # The audit log shows the override: who, what, before and after.
    page.goto("/admin/audit/")
    row = page.get_by_role("row").filter(has_text="Score overridden").first
    expect(row).to_contain_text(teacher.display_name)
    assert_accessible_in_every_theme(page, "the audit log")
    row.get_by_role("link", name=re.compile("Details")).click()
    expect(page.locator("main")).to_contain_text("The question was ambiguous")
    assert_accessible_in_every_theme(page, "an audit entry")

    # The dashboard, computed on request, with a table behind every chart.
    page.goto("/admin/")
    page.get_by_role("button", name="Compute the figures of CS Period 2").click()
    expect(page.locator(".dashboard .report-chart").first).to_be_visible()
    for summary in page.locator(".dashboard details summary").all():
        summary.click()
    assert_accessible_in_every_theme(page, "the dashboard with its tables open")
