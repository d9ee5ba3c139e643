"""A teacher's first hour in a real browser: a new classroom's next steps lead to a roster
import and an assignment with the classroom chosen, a published quest is assigned from the
list, and waiting checkpoints are marked one after another with "Save and next"."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from helpers import PASSWORD
from playwright.sync_api import Page, expect
from sqlalchemy import select

from quest_platform.extensions import db
from quest_platform.models import Classroom, Enrollment, Review, utcnow


def sign_in_by_hand(page: Page, username: str) -> None:
    page.goto("/login")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))


def test_a_new_classroom_is_set_up_from_its_next_steps(
    make: Any, open_page: Callable[..., Page]
) -> None:
    teacher = make.teacher()
    make.classroom(teachers=[teacher])
    quest = make.quest()
    page = open_page()
    sign_in_by_hand(page, teacher.username)

    page.goto("/admin/classroom/new/")
    page.get_by_label("Name").fill("CS Period 7")
    page.get_by_label("Term").fill("2026 T3")
    page.get_by_label("Period").fill("7")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Next steps for CS Period 7")
    classroom = db.session.scalar(select(Classroom).where(Classroom.name == "CS Period 7"))
    assert classroom is not None
    expect(page.get_by_label("Join code")).to_have_value(classroom.join_code)
    expect(page.get_by_role("button", name="Copy the code")).to_be_visible()

    page.get_by_role("link", name="Import a roster").click()
    expect(page.get_by_label("Classroom")).to_have_value(str(classroom.id))
    page.go_back()
    page.get_by_role("link", name="Assign a quest").click()
    expect(page.get_by_label("Classroom")).to_have_value(str(classroom.id))

    # A published quest is assigned from its row in the quest list.
    page.goto("/admin/quest/")
    row = page.get_by_role("row").filter(has_text=quest.title)
    row.get_by_role("link", name=re.compile("Assign to a classroom")).click()
    expect(page.get_by_label("Quest")).to_have_value(str(quest.id))


def test_checkpoints_are_marked_one_after_another(
    make: Any, school: Any, open_page: Callable[..., Page]
) -> None:
    classmate = make.student()
    db.session.add(Enrollment(classroom=school.classroom, student=classmate))
    db.session.commit()
    older = make.attempt(
        student=classmate,
        quest=school.quest,
        answer={"evidence": "def login():\n    return redirect('/')"},
        submitted_at=utcnow() - timedelta(hours=2),
    )
    page = open_page()
    sign_in_by_hand(page, school.teacher.username)
    page.goto(f"/admin/attempt/details/?id={older.id}")
    expect(page.get_by_role("heading", name="What the stage asks")).to_be_visible()
    expect(page.locator(".answer-code .k").first).to_have_text("def")

    # "Passed" with no points contradicts itself: refused, with the reason on the outcome.
    page.get_by_label("Score").fill("0")
    page.get_by_label("Passed", exact=True).check()
    page.get_by_role("button", name="Save and next").click()
    expect(page.locator("#outcome-error")).to_contain_text("A pass needs at least 7 of 10")

    page.get_by_label("Score").fill("9")
    page.get_by_label("Passed", exact=True).check()
    page.get_by_role("button", name="Save and next").click()
    expect(page).to_have_url(re.compile(rf"id={school.attempt.id}"))
    page.get_by_label("Score").fill("4")
    page.get_by_label("Not passed", exact=True).check()
    page.get_by_role("button", name="Save and next").click()
    expect(page.get_by_role("status")).to_contain_text(
        "No other checkpoint is waiting for your review."
    )
    reviewed = db.session.scalars(select(Review.attempt_id).order_by(Review.id)).all()
    assert reviewed == [older.id, school.attempt.id]
