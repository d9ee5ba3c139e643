"""Teams in a real browser: a teacher forms two balanced teams from the teams list, names a
scrum master and moves a student, by keyboard where a teacher would; a student finds their team
under "My team"; axe finds nothing on any of these pages, in every theme, in English and Spanish.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from axe_checks import assert_accessible_in_every_theme
from helpers import PASSWORD
from playwright.sync_api import Page, expect
from sign_in import sign_in
from sqlalchemy import select

from quest_platform.extensions import db
from quest_platform.models import Team
from quest_platform.queries.teams import current_members

SPANISH_BROWSER = {"locale": "es-MX", "timezone_id": "America/Mexico_City"}


def test_a_teacher_forms_two_teams_and_a_student_finds_theirs(
    make: Any, open_page: Callable[..., Page], spanish: Callable[..., str]
) -> None:
    teacher = make.teacher()
    students = [make.student() for _ in range(8)]
    classroom = make.classroom(teachers=[teacher], students=students)
    make.assignment(quest=make.quest(), classroom=classroom, by=teacher)

    page = open_page()
    sign_in(page, teacher.username)
    page.get_by_role("link", name="Teams").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Teams")
    page.get_by_role("link", name="Form teams…").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Form teams")
    expect(page.locator("main")).to_contain_text("8 students without a team")
    assert_accessible_in_every_theme(page, "forming teams")

    page.get_by_label("Classroom").select_option(str(classroom.id))
    page.get_by_label("Balanced by progress").check()
    page.get_by_label("Students per team").fill("4")
    page.get_by_label("Students per team").press("Enter")
    expect(page.get_by_role("status")).to_contain_text("2 teams formed")
    assert_accessible_in_every_theme(page, "the teams list")

    teams = list(db.session.scalars(select(Team).order_by(Team.name)))
    assert [len(current_members(team)) for team in teams] == [4, 4]
    first, second = teams
    page.goto(f"/admin/teams/details/?id={first.id}")
    expect(page.get_by_role("heading", name="Members and progress")).to_be_visible()
    assert_accessible_in_every_theme(page, "a team's page")

    # Name a scrum master, then move one member to the other team.
    leader, mover = [membership.student for membership in current_members(first)][:2]
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Scrum master").select_option(str(leader.id))
    assert_accessible_in_every_theme(page, "editing a team")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("main")).to_contain_text("Scrum master")
    page.get_by_label(f"Move {mover.display_name} to").select_option(str(second.id))
    page.get_by_role("button", name=f"Move {mover.display_name}").click()
    expect(page.get_by_role("status")).to_contain_text(f"{mover.display_name} moved to")
    expect(page.get_by_role("table", name=re.compile("Who joined and left"))).to_contain_text(
        mover.display_name
    )
    db.session.rollback()
    assert mover.id in {membership.student_id for membership in current_members(second)}

    # The scrum master finds the team in the main navigation, then in Spanish.
    student_page = open_page()
    sign_in(student_page, leader.username)
    student_page.get_by_role("link", name="My team").click()
    main = student_page.locator("main")
    expect(main).to_contain_text("You are the scrum master")
    expect(main).to_contain_text(first.name)
    expect(main).not_to_contain_text(mover.display_name)
    assert_accessible_in_every_theme(student_page, "a student's team")

    spanish_page = open_page(**SPANISH_BROWSER)
    sign_in_spanish(spanish_page, leader.username, spanish)
    spanish_page.goto("/team")
    expect(spanish_page.get_by_role("heading", level=1)).to_have_text(spanish("My team"))
    assert_accessible_in_every_theme(spanish_page, "a student's team in Spanish")

    teacher_spanish = open_page(**SPANISH_BROWSER)
    sign_in_spanish(teacher_spanish, teacher.username, spanish)
    teacher_spanish.goto(f"/admin/teams/details/?id={first.id}")
    expect(teacher_spanish.locator("main")).to_contain_text(spanish("Members and progress"))
    assert_accessible_in_every_theme(teacher_spanish, "a team's page in Spanish")
    teacher_spanish.goto("/admin/teams/form/")
    expect(teacher_spanish.get_by_role("heading", level=1)).to_contain_text(spanish("Form teams"))
    assert_accessible_in_every_theme(teacher_spanish, "forming teams in Spanish")


def sign_in_spanish(page: Page, username: str, spanish: Callable[..., str]) -> None:
    """Sign in on the Spanish sign-in page."""
    page.goto("/login")
    page.get_by_label(spanish("Username or email")).fill(username)
    page.get_by_label(spanish("Password")).fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name=spanish("Sign in")).click()
