"""Where the class already works, in a real browser: a teacher sets a classroom's Slack
announcements and turns its GitHub webhook on (its secret shown once), links a student's GitHub
username; the student sees the checkpoint's link box and their profile's GitHub card. axe finds
nothing on any of these pages, in every theme, in English and in Spanish.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from axe_checks import assert_accessible_in_every_theme
from playwright.sync_api import Page, expect
from sign_in import signed_in

from quest_platform.extensions import db
from quest_platform.models import StageKind

SPANISH_BROWSER = {"locale": "es-MX", "timezone_id": "America/Mexico_City"}
SLACK_URL = "https://hooks.slack.com/services/T0001/B0001/abcdefghijklmnopqrstuvwx"


@pytest.mark.parametrize("browser_options", [{}, SPANISH_BROWSER], ids=["english", "spanish"])
def test_slack_and_github_pages_are_accessible(
    make: Any, open_page: Callable[..., Page], browser_options: dict[str, str]
) -> None:
    teacher, student = make.teacher(), make.student()
    classroom = make.classroom(teachers=[teacher], students=[student])
    quest = make.quest(author=teacher)
    make.assignment(quest=quest, classroom=classroom, by=teacher)
    checkpoint = next(stage for stage in quest.stages if stage.kind == StageKind.CHECKPOINT)
    checkpoint.settings = {**checkpoint.settings, "evidence": ["code", "link"]}
    db.session.commit()

    page = signed_in(open_page, teacher.username, **browser_options)
    # The Slack settings: the URL is taken, then only said to be set.
    page.goto(f"/admin/classroom/slack/?id={classroom.id}")
    assert_accessible_in_every_theme(page, "a classroom's Slack settings")
    page.locator("input[name=webhook_url]").fill(SLACK_URL)
    page.locator("main form button[type=submit]").first.click()
    expect(page.locator("main")).not_to_contain_text(SLACK_URL)

    # The GitHub webhook: turned on, its secret shown once, then the classroom's page.
    page.goto(f"/admin/classroom/details/?id={classroom.id}")
    page.locator("form[action*='/github/'] button[type=submit]").last.click()
    expect(page.locator("code, .secret").first).to_be_visible()
    assert_accessible_in_every_theme(page, "a GitHub webhook's secret, shown once")
    page.goto(f"/admin/classroom/details/?id={classroom.id}")
    assert_accessible_in_every_theme(page, "a classroom's page with its Slack and GitHub")

    # A student's GitHub username, set by the teacher.
    page.goto(f"/admin/user/details/?id={student.id}")
    page.locator("input[name=github_username]").fill("octo-student")
    page.locator("form[action*='/github/'] button[type=submit]").click()
    expect(page.locator("main")).to_contain_text("octo-student")
    assert_accessible_in_every_theme(page, "a student's page with their GitHub username")

    # The checkpoint with its link box, once the student passed the stages before it.
    for position in range(1, checkpoint.position):
        make.attempt(student=student, quest=quest, position=position, outcome="passed", score=1)
    student_page = signed_in(open_page, student.username, **browser_options)
    student_page.goto(f"/quests/{quest.slug}/{checkpoint.position}")
    expect(student_page.locator("textarea[name=links]")).to_be_visible()
    assert_accessible_in_every_theme(student_page, "a checkpoint asking for links")

    student_page.goto("/accounts/profile")
    expect(student_page.locator("main")).to_contain_text("octo-student")
    assert_accessible_in_every_theme(student_page, "a student's profile with GitHub")
