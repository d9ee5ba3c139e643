"""A code race in real browsers: a teacher writes a code challenge with hidden tests in the quest
editor, publishes and assigns the quest, and starts a race in the admin; three students race,
and the projector view's places change live (no reload) as each passing submission is graded.
Once the race is over its points are in the ledger, the attempts are in the teacher's list and
the analytics, and the racers see their final places. axe finds nothing on any new page in any
theme."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from axe_checks import assert_accessible_in_every_theme
from code_editor import write_code
from helpers import PASSWORD, SOLUTION, code_quest, require_sandbox
from playwright.sync_api import Page, expect
from quest_editor import fill_stage
from sign_in import sign_in
from sqlalchemy import select, update

from analytics.load import load_dataset
from quest_platform.extensions import db
from quest_platform.models import CodeRace, PointsEntry, PointsReason, Quest, utcnow
from quest_platform.services.races import start_race
from quest_platform.services.time_extensions import grant_time_extension

WRONG = "def add(a, b):\n    return a * b\n"


@pytest.fixture(autouse=True)
def sandbox() -> None:
    require_sandbox()


def send_code(page: Page, source: str) -> None:
    write_code(page, source)
    with page.expect_navigation():
        page.get_by_role("button", name="Submit", exact=True).click()
    expect(page.locator("#code-run")).to_contain_text("hidden test")


CODE_FIELDS = {
    "Prompt": "Write add(a, b), which returns the sum of a and b.",
    "Starter code": "def add(a, b):\n    pass\n",
    "Examples students see": "add(2, 3) == 5",
    "Hidden tests": "add(10, 20) == 30\nadd(-1, 1) == 0\nadd(0, 0) == 0",
    "Reference solution": SOLUTION,
}


def write_the_race_quest(page: Page, classroom: Any) -> Quest:
    """The teacher writes a quest whose first stage is a code challenge, publishes it and gives
    it to ``classroom``, all in the admin."""
    page.goto("/admin/quest/new/")
    page.get_by_label("Title").fill("Race day")
    page.get_by_label("Slug").fill("race-day")
    page.get_by_label("Theme").fill("Functions")
    page.get_by_label("Summary").fill("A race on functions.")
    page.get_by_role("button", name="Save", exact=True).click()
    fill_stage(page, "code", "Add two numbers", CODE_FIELDS)
    for number in range(2, 7):
        fill_stage(page, "lesson", f"Reading {number}", {"Lesson text": "Functions return."})
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("status")).to_contain_text("is published")
    page.goto("/admin/quest/")
    row = page.get_by_role("row").filter(has_text="Race day")
    row.get_by_role("link", name=re.compile("Assign to a classroom")).click()
    page.get_by_label("Classroom").select_option(str(classroom.id))
    due = (utcnow() + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    page.get_by_label(re.compile("^Due")).fill(due)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("successfully created")
    quest = db.session.scalar(select(Quest).where(Quest.slug == "race-day"))
    assert quest is not None
    assert quest.stages[0].settings["tests"] == CODE_FIELDS["Hidden tests"]
    return quest


def test_a_teacher_starts_a_race_and_three_students_race_live(
    make: Any, open_page: Callable[..., Page]
) -> None:
    teacher = make.teacher(password=PASSWORD)
    students = [make.student(password=PASSWORD) for _ in range(3)]
    classroom = make.classroom(teachers=[teacher], students=students)
    projector = open_page(viewport={"width": 1280, "height": 800})
    sign_in(projector, teacher.username)
    quest = write_the_race_quest(projector, classroom)

    # The students open the challenge before the teacher starts the race: no race yet.
    racers = []
    for student in students:
        page = open_page()
        sign_in(page, student.username)
        page.goto(f"/quests/{quest.slug}/1")
        racers.append(page)

    # The teacher starts the race in the admin, and lands on the projector view.
    projector.goto("/admin/races/new/")
    assert_accessible_in_every_theme(projector, "the form that starts a race")
    projector.get_by_label("Class").select_option(label=f"{classroom.name} ({classroom.term})")
    projector.get_by_label("Code challenge").select_option(index=1)
    projector.get_by_label("Now").check()
    projector.get_by_label("Minutes").fill("10")
    with projector.expect_navigation():
        projector.get_by_role("button", name="Start the race").click()
    expect(projector.get_by_role("heading", level=1)).to_have_text("Code race: Add two numbers")
    expect(projector.locator("#race-state-text")).to_have_text("The race is on.")
    expect(projector.locator("#race-places")).to_contain_text("No one has solved it yet.")
    assert_accessible_in_every_theme(projector, "the projector view of a race")
    # A mark on the page that a reload would wipe: the places below change without one.
    projector.evaluate("window.notReloaded = true")

    # Each racer reloads into the race, and sees the live panel and the problem.
    for page in racers:
        page.reload()
        expect(page.locator("#race-state-text")).to_have_text("The race is on.")
    assert_accessible_in_every_theme(racers[0], "a racer's stage page")

    first, second, third = racers
    send_code(second, SOLUTION)
    expect(projector.locator("#race-places tr")).to_have_count(1)
    expect(projector.locator("#race-places")).to_contain_text(students[1].pseudonym)
    send_code(first, WRONG)
    send_code(first, SOLUTION)
    expect(projector.locator("#race-places tr")).to_have_count(2)
    send_code(third, SOLUTION)
    expect(projector.locator("#race-places tr")).to_have_count(3)
    expect(projector.locator("#race-status")).to_have_text("3 of 3 students have solved it.")
    assert projector.evaluate("window.notReloaded") is True
    names = projector.locator("#race-places th").all_inner_texts()
    assert names[0] == students[1].pseudonym
    assert [student.display_name for student in students if student.display_name in names] == []
    # A racer's own screen follows too, with their own line marked.
    expect(third.locator("#race-places tr")).to_have_count(3)
    expect(third.locator("#race-places tr[aria-current=true]")).to_contain_text("(you)")
    assert_accessible_in_every_theme(projector, "the projector view with places")

    # The teacher's time is up (the race ends a second ago): its points are settled into the
    # ledger, once.
    db.session.execute(
        update(CodeRace)
        .where(CodeRace.classroom_id == classroom.id)
        .values(ends_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
    projector.reload()
    expect(projector.locator("#race-state-text")).to_have_text(
        "The race is over: these are the final places."
    )
    assert_accessible_in_every_theme(projector, "the projector view of an over race")
    entries = db.session.scalars(
        select(PointsEntry).where(PointsEntry.reason == PointsReason.RACE.value)
    ).all()
    assert sorted(entry.points for entry in entries) == [20, 25, 30]
    second.reload()
    expect(second.locator("#race-own")).to_contain_text("You are in place 1. You earned 30 points.")

    # The teacher's attempts list and the analytics have every submission of the race.
    projector.goto("/admin/attempt/")
    rows = projector.locator("table tbody tr")
    expect(rows).to_have_count(4)
    analysed = load_dataset(db.engine, classroom_ids=[classroom.id]).attempts
    assert sorted(analysed["outcome"]) == ["failed", "passed", "passed", "passed"]
    projector.goto("/admin/races/")
    expect(projector.locator("table")).to_contain_text("Over")
    assert_accessible_in_every_theme(projector, "the list of races")


def test_before_the_start_racers_wait_and_the_problem_appears_at_the_start(
    make: Any, open_page: Callable[..., Page]
) -> None:
    """Then, past the race's own time, a student with extra time still races."""
    teacher = make.teacher(password=PASSWORD)
    student = make.student(password=PASSWORD)
    classroom = make.classroom(teachers=[teacher], students=[student])
    quest = code_quest(make, student, classroom=classroom)
    race = start_race(
        classroom=classroom,
        stage=quest.stages[0],
        minutes=5,
        first_points=30,
        min_points=5,
        by=teacher,
        starts_at=utcnow() + timedelta(hours=1),
    )
    projector = open_page(viewport={"width": 1280, "height": 800})
    sign_in(projector, teacher.username)
    projector.goto(f"/races/{race.id}")
    expect(projector.locator("#race-state-text")).to_have_text("The race has not started yet.")
    assert_accessible_in_every_theme(projector, "the projector view before the start")
    page = open_page(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    sign_in(page, student.username)
    page.goto(f"/quests/{quest.slug}/1")
    expect(page.locator("#race-state-text")).to_have_text("The race has not started yet.")
    expect(page.get_by_role("textbox", name="Your code")).to_have_count(0)
    assert_accessible_in_every_theme(page, "a racer waiting for the start, on a phone")

    # The start draws near (the teacher's hour is nearly up): the page, loaded while the race
    # has not started, shows the problem by itself at the start.
    starts_at = utcnow() + timedelta(seconds=10)
    db.session.execute(
        update(CodeRace)
        .where(CodeRace.id == race.id)
        .values(starts_at=starts_at, ends_at=starts_at + timedelta(minutes=5))
    )
    db.session.commit()
    projector.reload()
    page.reload()
    expect(page.locator("#race-state-text")).to_have_text("The race has not started yet.")
    expect(page.get_by_role("textbox", name="Your code")).to_be_visible(timeout=30_000)
    expect(page.locator("#race-state-text")).to_have_text("The race is on.")
    expect(projector.locator("#race-state-text")).to_have_text("The race is on.", timeout=15_000)

    grant_time_extension(
        student=student, stage=quest.stages[0], extra_seconds=600, reason="Plan", by=teacher
    )
    # The race's own time is up (it ended a moment after its start, which has passed).
    db.session.execute(
        update(CodeRace)
        .where(CodeRace.id == race.id)
        .values(ends_at=starts_at + timedelta(milliseconds=1))
    )
    db.session.commit()
    projector.reload()
    expect(projector.locator("#race-state-text")).to_have_text(
        "Time is up, except for students with extra time."
    )
    assert_accessible_in_every_theme(projector, "the projector view in extra time")
    page.reload()
    expect(page.locator("#race-state-text")).to_have_text(
        "Time is up, except for students with extra time."
    )
    # Ten minutes from the start, which was moments ago.
    expect(page.locator(".race-clock")).to_have_text(re.compile(r"Time left: [89]:\d\d"))
    expect(page.locator("#race")).to_contain_text("This includes 10 minutes of extra time")
