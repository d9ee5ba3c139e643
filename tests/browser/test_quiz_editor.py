"""Quizzes in a real browser: a teacher writes one by keyboard alone, adding a question without
saving first; a student's result takes the focus, so a screen reader reads it out."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from helpers import PASSWORD
from playwright.sync_api import Page, expect
from sign_in import sign_in
from sqlalchemy import select

from quest_platform.extensions import db
from quest_platform.models import Stage, utcnow
from quest_platform.services.quests import StageDraft, assign_quest, create_quest, publish_quest

QUIZ = {
    "max_tries": 2,
    "questions": [
        {
            "id": "q1",
            "type": "single",
            "prompt": "Which call fills in a template?",
            "choices": ["render_template(name, **context)", "redirect(url)"],
            "answer": [0],
            "hint": "Look for the word template.",
        }
    ],
}


def press_tab_until(page: Page, locator: Any, *, limit: int = 60) -> None:
    """Press Tab until ``locator`` has the focus."""
    for _ in range(limit):
        if locator.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{locator} not reached by Tab")


def test_a_teacher_adds_a_question_by_keyboard_without_saving_first(
    make: Any, open_page: Callable[..., Page]
) -> None:
    teacher = make.teacher(password=PASSWORD)
    quest = create_quest(
        slug="templates",
        title="Templates",
        theme="Digital Famine",
        summary="",
        stages=[StageDraft("lesson", "Jinja", "Text.")],
        author=teacher,
    )
    page = open_page()
    sign_in(page, teacher.username)
    page.goto(f"/admin/quest/{quest.id}/stages/new?kind=quiz")

    page.get_by_label("Title", exact=True).fill("Templates quiz")
    page.get_by_label("Pass mark, in percent of the questions").fill("50")
    first = page.locator("#questions-0")
    first.get_by_label("Question", exact=True).fill("Which call fills in a template?")
    first.get_by_label("Choice 1", exact=True).fill("render_template()")
    first.get_by_label("Choice 2", exact=True).fill("redirect()")
    # One correct choice: a radio button, ticked with the keyboard.
    correct = first.get_by_label("Correct: choice 1")
    expect(correct).to_have_attribute("type", "radio")
    correct.focus()
    page.keyboard.press("Space")
    expect(correct).to_be_checked()

    # "Add question" by keyboard: a new block, its question field focused, announced.
    add = page.get_by_role("button", name="Add question")
    press_tab_until(page, add)
    page.keyboard.press("Enter")
    second = page.locator("#questions-1")
    expect(second.locator("legend").first).to_have_text("Question 2")
    expect(second.get_by_label("Question", exact=True)).to_be_focused()
    expect(page.locator("#question-status")).to_have_text("Question 2 added.")
    page.keyboard.type("Which flags protect a cookie?")
    # Several correct choices: the type turns the radio buttons into tick boxes.
    second.get_by_label("Question type").select_option("multiple")
    expect(second.get_by_label("Correct: choice 1")).to_have_attribute("type", "checkbox")
    for number, text in enumerate(["Secure", "HttpOnly", "Bold", "Large"], start=1):
        second.get_by_label(f"Choice {number}", exact=True).fill(text)
    # A fifth choice, by keyboard too.
    add_choice = second.get_by_role("button", name="Add choice")
    add_choice.focus()
    page.keyboard.press("Enter")
    expect(second.get_by_label("Choice 5", exact=True)).to_be_focused()
    page.keyboard.type("SameSite")
    for number in (1, 2, 5):
        box = second.get_by_label(f"Correct: choice {number}")
        box.focus()
        page.keyboard.press("Space")
        expect(box).to_be_checked()
    second.get_by_label("Hint after a wrong answer").fill("More than one is right.")

    with page.expect_navigation():
        page.get_by_role("button", name="Save stage").click()
    expect(page.get_by_role("status")).to_contain_text("Stage 2 added.")
    db.session.expire_all()
    stage = db.session.scalar(select(Stage).where(Stage.quest_id == quest.id, Stage.position == 2))
    assert stage.settings["pass_percent"] == 50
    assert stage.settings["questions"] == [
        {
            "id": "q1",
            "type": "single",
            "prompt": "Which call fills in a template?",
            "choices": ["render_template()", "redirect()"],
            "answer": [0],
        },
        {
            "id": "q2",
            "type": "multiple",
            "prompt": "Which flags protect a cookie?",
            "choices": ["Secure", "HttpOnly", "Bold", "Large", "SameSite"],
            "answer": [0, 1, 4],
            "hint": "More than one is right.",
        },
    ]


def test_a_students_result_takes_the_focus_and_says_what_happened(
    make: Any, open_page: Callable[..., Page]
) -> None:
    teacher = make.teacher(password=PASSWORD)
    student = make.student(password=PASSWORD)
    classroom = make.classroom(teachers=[teacher], students=[student])
    stages = [StageDraft("quiz", "Templates quiz", settings=QUIZ)] + [
        StageDraft("lesson", f"Lesson {n}", "Text.") for n in range(5)
    ]
    quest = create_quest(
        slug="templates-quiz",
        title="Templates",
        theme="Digital Famine",
        summary="",
        stages=stages,
        author=teacher,
    )
    publish_quest(quest=quest, by=teacher)
    opens = utcnow() - timedelta(hours=1)
    assign_quest(
        quest=quest,
        classroom=classroom,
        opens_at=opens,
        due_at=opens + timedelta(days=7),
        by=teacher,
    )
    page = open_page()
    sign_in(page, student.username)
    page.goto("/quests/templates-quiz/1")
    expect(page.locator("#quiz-facts")).to_contain_text("Pass mark: 7 of 10 points")

    page.get_by_label("redirect(url)").check()
    page.get_by_role("button", name="Check my answers").click()
    banner = page.locator("#result-banner")
    expect(banner).to_be_focused()
    expect(banner).to_have_class(re.compile(r"\bresult-retry\b"))
    expect(banner).to_contain_text("Not passed yet")
    expect(banner).to_contain_text("you have 1 try left")
    expect(page.locator(".feedback-list")).to_contain_text("Look for the word template.")
    expect(page.locator(".feedback-list")).not_to_contain_text("render_template")

    page.get_by_label("render_template(name, **context)").check()
    page.get_by_role("button", name="Check my answers").click()
    expect(banner).to_be_focused()
    expect(banner).to_have_class(re.compile(r"\bresult-passed\b"))
    expect(banner).to_contain_text("Passed")
    expect(page.locator("#questions")).to_have_count(0)
