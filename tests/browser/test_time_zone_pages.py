"""Time zones in a real browser: the page learns the browser's zone, and times follow it."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from helpers import PASSWORD
from playwright.sync_api import Page, expect
from sqlalchemy import select

from quest_platform.extensions import db
from quest_platform.models import QuestAssignment


def test_a_teacher_s_browser_zone_is_used_until_they_choose_one(
    make: Any, open_page: Callable[..., Page]
) -> None:
    teacher = make.teacher()
    classroom = make.classroom(teachers=[teacher])
    quest = make.quest(author=teacher)
    page = open_page(timezone_id="America/Chicago")

    # The sign-in page already tells the server the browser's zone.
    page.goto("/login")
    page.get_by_label("Username or email").fill(teacher.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))

    page.goto("/admin/assignment/new/")
    opens = page.get_by_label("Opens (America/Chicago)")
    # A new assignment opens now, on the teacher's clock, to the minute.
    shown = datetime.strptime(opens.input_value(), "%Y-%m-%dT%H:%M")
    now = datetime.now(ZoneInfo("America/Chicago")).replace(tzinfo=None)
    assert abs((now - shown).total_seconds()) < 120
    page.get_by_label("Quest").select_option(str(quest.id))
    page.get_by_label("Classroom").select_option(str(classroom.id))
    page.get_by_label("Due (America/Chicago)").fill("2030-03-02T23:59")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("successfully created")
    query = select(QuestAssignment).where(QuestAssignment.quest_id == quest.id)
    assignment = db.session.scalars(query).one()
    assert assignment.due_at == datetime(2030, 3, 3, 5, 59, tzinfo=UTC)
    expect(page.locator("main")).to_contain_text("Mar 2, 2030, 11:59\u202fPM")
