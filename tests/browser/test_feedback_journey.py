"""Feedback conversations in a real browser: a teacher sends a checkpoint back with feedback and
asks for it again; the student finds the request on their quests, reads the conversation and
replies; the teacher sees the unread count, opens the conversation and hides a message; the
student then sees it hidden. axe finds nothing on these pages in any theme, nor in Spanish.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from axe_checks import assert_accessible_in_every_theme
from playwright.sync_api import Page, expect
from sign_in import signed_in

from quest_platform.models import StageKind

SPANISH_BROWSER = {"locale": "es-MX", "timezone_id": "America/Mexico_City"}


def test_a_checkpoint_sent_back_and_talked_over(
    make: Any, open_page: Callable[..., Page], spanish: Callable[..., str]
) -> None:
    teacher, student = make.teacher(), make.student()
    classroom = make.classroom(teachers=[teacher], students=[student])
    quest = make.quest(author=teacher)
    make.assignment(quest=quest, classroom=classroom, by=teacher)
    checkpoint = next(stage for stage in quest.stages if stage.kind == StageKind.CHECKPOINT)
    for position in range(1, checkpoint.position):
        make.attempt(student=student, quest=quest, position=position, outcome="passed", score=1)
    attempt = make.attempt(student=student, quest=quest, position=checkpoint.position)

    # The teacher sends the checkpoint back, with feedback, asking for it again.
    teacher_page = signed_in(open_page, teacher.username)
    teacher_page.goto(f"/admin/attempt/details/?id={attempt.id}")
    teacher_page.get_by_label("Score").fill("4")
    teacher_page.get_by_label("Not passed").check()
    feedback = teacher_page.get_by_label("Feedback for the student (optional)")
    feedback.fill("Your route stores the **plain** password.")
    teacher_page.get_by_label("Ask for a resubmission").check()
    teacher_page.get_by_role("button", name=re.compile("review", re.IGNORECASE)).first.click()
    conversation = teacher_page.locator("#conversation")
    expect(conversation).to_contain_text("stores the plain password")
    assert_accessible_in_every_theme(teacher_page, "an attempt with its conversation")

    # The student is asked on their quests, reads the feedback and replies.
    student_page = signed_in(open_page, student.username)
    student_page.goto("/quests")
    expect(student_page.locator("main")).to_contain_text("Your teacher asks you to hand this in")
    student_page.goto(f"/quests/{quest.slug}/{checkpoint.position}")
    expect(student_page.locator("#conversation")).to_contain_text("stores the plain password")
    assert_accessible_in_every_theme(student_page, "a checkpoint sent back, with its conversation")
    student_page.get_by_label("Your message").fill("Should I use **argon2** for it?")
    student_page.get_by_role("button", name="Send the message").click()
    expect(student_page.locator("#conversation")).to_contain_text("Should I use argon2")

    # The teacher sees one unread message, opens it from the Messages page and hides it.
    teacher_page.goto("/admin/")
    messages = teacher_page.get_by_role("link", name=re.compile(r"Messages\W+1 unread"))
    messages.click()
    assert_accessible_in_every_theme(teacher_page, "the teacher's messages")
    teacher_page.locator("main table a").first.click()
    expect(teacher_page.locator("#conversation")).to_contain_text("Should I use argon2")
    assert_accessible_in_every_theme(teacher_page, "a conversation's own page")
    teacher_page.get_by_role("button", name=re.compile("Hide from the student")).last.click()
    expect(teacher_page.locator("#conversation")).to_contain_text("Hidden from the student")

    student_page.reload()
    expect(student_page.locator("#conversation")).to_contain_text("A teacher hid this message.")
    expect(student_page.locator("#conversation")).not_to_contain_text("Should I use argon2")

    # In Spanish, the student's messages and the checkpoint.
    spanish_page = signed_in(open_page, student.username, **SPANISH_BROWSER)
    spanish_page.goto("/messages")
    expect(spanish_page.get_by_role("heading", level=1)).to_have_text(spanish("Messages"))
    assert_accessible_in_every_theme(spanish_page, "a student's messages in Spanish")
    spanish_page.goto(f"/quests/{quest.slug}/{checkpoint.position}")
    expect(spanish_page.locator("#conversation")).to_contain_text(
        spanish("A teacher hid this message.")
    )
    assert_accessible_in_every_theme(spanish_page, "a checkpoint's conversation in Spanish")
