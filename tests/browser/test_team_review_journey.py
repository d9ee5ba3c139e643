"""A team sprint's checkpoint in a real browser: a teacher forms two teams; one member hands in
a team checkpoint for their team; two students of the other team peer review it on the rubric;
the author replies in the conversation; the teacher hides one review, which the author then no
longer sees; a team books office hours. axe finds nothing on any of these pages, in every theme,
in English and in Spanish.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from axe_checks import assert_accessible_in_every_theme
from playwright.sync_api import Page, expect
from sign_in import signed_in
from sqlalchemy import select

from quest_platform.extensions import db
from quest_platform.models import Attempt, PeerReviewAssignment, Team, utcnow
from quest_platform.queries.teams import current_members
from quest_platform.services.attempts import submit_attempt
from quest_platform.services.office_hours import offer_slots
from quest_platform.services.quests import StageDraft, create_quest, publish_quest

SPANISH_BROWSER = {"locale": "es-MX", "timezone_id": "America/Mexico_City"}
RUBRIC = ["The login form checks the password", "Errors are shown in words"]
TEAM_CHECKPOINT = StageDraft(
    "checkpoint",
    "Ship the login page",
    "### Hand in your team's login route",
    points=10,
    settings={
        "prompt": "Paste your team's login route.",
        "rubric": RUBRIC,
        "evidence": ["code"],
        "team": True,
        "peer_reviews": 2,
        "peer_review_days": 3,
    },
)


def team_quest() -> Any:
    """A published quest whose first stage is a team checkpoint asking for two peer reviews."""
    lessons = [StageDraft("lesson", f"Lesson {n}", "### Read this") for n in range(2, 7)]
    quest = create_quest(
        slug=f"team-sprint-{uuid.uuid4().hex[:8]}",
        title="Team sprint",
        theme="West Coast Travel",
        summary="A checkpoint the team hands in together.",
        stages=[TEAM_CHECKPOINT, *lessons],
        author=None,
    )
    return publish_quest(quest=quest, by=None)


def test_a_team_hands_in_peers_review_it_and_the_teacher_hides_one_review(
    make: Any, open_page: Callable[..., Page], spanish: Callable[..., str]
) -> None:
    teacher = make.teacher()
    students = [make.student() for _ in range(6)]
    classroom = make.classroom(teachers=[teacher], students=students)
    quest = team_quest()
    make.assignment(quest=quest, classroom=classroom, by=teacher)

    # The teacher forms two teams of three from the teams list.
    teacher_page = signed_in(open_page, teacher.username)
    teacher_page.goto("/admin/teams/form/")
    teacher_page.get_by_label("Classroom").select_option(str(classroom.id))
    teacher_page.get_by_label("At random").check()
    teacher_page.get_by_label("Students per team").fill("3")
    teacher_page.get_by_label("Students per team").press("Enter")
    expect(teacher_page.get_by_role("status")).to_contain_text("2 teams formed")
    first, second = db.session.scalars(select(Team).order_by(Team.name)).all()
    authors = [membership.student for membership in current_members(first)]
    reviewers = [membership.student for membership in current_members(second)]

    # One member hands in the team checkpoint for the whole team.
    author = authors[0]
    author_page = signed_in(open_page, author.username)
    author_page.goto(f"/quests/{quest.slug}/1")
    expect(author_page.locator(".team-hand-in")).to_contain_text(
        f"one member hands in for {first.name}"
    )
    assert_accessible_in_every_theme(author_page, "a team checkpoint before it is handed in")
    author_page.get_by_label("Your code or notes").fill("def login(): return check_password()")
    author_page.get_by_role("button", name="Hand in for review").click()
    expect(author_page.locator(".team-hand-in")).to_contain_text(
        f"Handed in by {author.display_name} for {first.name}"
    )
    assert_accessible_in_every_theme(author_page, "a team checkpoint handed in")
    db.session.rollback()
    credited = db.session.scalars(select(Attempt).where(Attempt.stage_id == quest.stages[0].id))
    assert {attempt.student_id for attempt in credited} == {student.id for student in authors}

    # The other team hands in too; two of its members are given the first team's work.
    submit_attempt(
        student=reviewers[0],
        quest=quest,
        stage=quest.stages[0],
        answer={"evidence": "def login(): ..."},
        submission_key=uuid.uuid4().hex,
    )
    given = db.session.scalars(
        select(PeerReviewAssignment).join(Attempt).where(Attempt.student_id == author.id)
    ).all()
    assert len(given) == 2
    assert {assignment.reviewer_id for assignment in given} <= {s.id for s in reviewers}

    comments = ["Clear **errors**, well done.", "The form never says what went wrong."]
    for assignment, comment in zip(given, comments, strict=True):
        reviewer = db.session.get(type(teacher), assignment.reviewer_id)
        page = signed_in(open_page, reviewer.username)
        page.get_by_role("link", name=re.compile(r"Reviews\W+1 to do")).click()
        assert_accessible_in_every_theme(page, "a student's reviews to do")
        page.locator("main table a").first.click()
        expect(page.locator("main")).not_to_contain_text(author.display_name)
        page.get_by_label("Meets it (3 of 4)").first.check()
        page.get_by_label("Getting there (2 of 4)").last.check()
        page.get_by_label("Your comment").fill(comment)
        assert_accessible_in_every_theme(page, "the review form")
        page.get_by_role("button", name="Send the review").click()
        expect(page.get_by_role("status")).to_contain_text("Your review is sent")

    # The author reads both reviews (anonymous) and replies in the conversation.
    author_page.reload()
    received = author_page.locator("main").get_by_role(
        "heading", name="Peer reviews of your answer"
    )
    expect(received).to_be_visible()
    expect(author_page.locator("main")).to_contain_text("Clear errors, well done.")
    expect(author_page.locator("main")).to_contain_text("never says what went wrong")
    for reviewer in reviewers:
        expect(author_page.locator("main")).not_to_contain_text(reviewer.display_name)
    assert_accessible_in_every_theme(author_page, "a checkpoint with its peer reviews")
    author_page.get_by_label("Your message").fill("Thanks! We now show the error in words.")
    author_page.get_by_role("button", name="Send the message").click()
    expect(author_page.locator("#conversation")).to_contain_text("We now show the error")

    # The teacher sees every review by name on the attempt, and hides the unkind one.
    teacher_page.goto(f"/admin/attempt/details/?id={given[0].attempt_id}")
    reviews = teacher_page.locator("#peer-reviews")
    expect(reviews).to_contain_text("never says what went wrong")
    assert_accessible_in_every_theme(teacher_page, "an attempt with its peer reviews")
    unkind = teacher_page.locator(".peer-review", has_text="never says what went wrong")
    unkind.get_by_label("Reason to hide it (for teachers)").fill("Not kind enough")
    unkind.get_by_role("button", name=re.compile("Hide from the author")).click()
    expect(teacher_page.locator("#peer-reviews")).to_contain_text(
        "Hidden from the author: Not kind enough"
    )
    teacher_page.goto(f"/admin/peer-reviews/?classroom={classroom.id}")
    expect(teacher_page.get_by_role("heading", level=1)).to_contain_text("Peer reviews")
    assert_accessible_in_every_theme(teacher_page, "the teacher's peer reviews")
    teacher_page.get_by_role("link", name=re.compile("Ship the login page")).click()
    expect(teacher_page.locator("main")).to_contain_text("Hidden from the author")
    assert_accessible_in_every_theme(teacher_page, "a stage's peer reviews")
    teacher_page.goto(f"/admin/teams/details/?id={first.id}")
    expect(teacher_page.locator("main")).to_contain_text("Ship the login page")
    assert_accessible_in_every_theme(teacher_page, "a team's page with its checkpoints")

    author_page.reload()
    expect(author_page.locator("main")).to_contain_text("Clear errors, well done.")
    expect(author_page.locator("main")).not_to_contain_text("never says what went wrong")

    # Office hours: the teacher offers slots; the author's team books one.
    offer_slots(
        classroom=classroom,
        starts_at=utcnow().replace(microsecond=0) + timedelta(days=2),
        minutes=15,
        count=2,
        location="Room 12",
        by=teacher,
    )
    author_page.get_by_role("link", name="Office hours").click()
    assert_accessible_in_every_theme(author_page, "a student's office hours")
    author_page.locator("summary", has_text="Book this slot").first.click()
    author_page.get_by_role("button", name=re.compile(r"^Book\s+—")).first.click()
    expect(author_page.get_by_role("status")).to_contain_text("Your check-in is booked")
    teacher_page.goto("/admin/office-hours/")
    expect(teacher_page.locator("main")).to_contain_text(first.name)
    assert_accessible_in_every_theme(teacher_page, "the teacher's office hours")
    teacher_page.goto("/admin/office-hours/offer")
    assert_accessible_in_every_theme(teacher_page, "offering office hours")

    # The same pages in Spanish.
    spanish_author = signed_in(open_page, author.username, **SPANISH_BROWSER)
    spanish_author.goto(f"/quests/{quest.slug}/1")
    expect(spanish_author.locator("main")).to_contain_text(spanish("Peer reviews of your answer"))
    assert_accessible_in_every_theme(spanish_author, "a team checkpoint's reviews in Spanish")
    spanish_author.goto("/office-hours")
    expect(spanish_author.get_by_role("heading", level=1)).to_have_text(spanish("Office hours"))
    assert_accessible_in_every_theme(spanish_author, "office hours in Spanish")
    spanish_reviewer = signed_in(
        open_page, db.session.get(type(teacher), given[0].reviewer_id).username, **SPANISH_BROWSER
    )
    spanish_reviewer.goto(f"/reviews/{given[0].id}")
    expect(spanish_reviewer.locator("main")).to_contain_text(spanish("Your review"))
    assert_accessible_in_every_theme(spanish_reviewer, "a written review in Spanish")
    spanish_reviewer.goto("/reviews")
    assert_accessible_in_every_theme(spanish_reviewer, "a student's reviews in Spanish")
    spanish_teacher = signed_in(open_page, teacher.username, **SPANISH_BROWSER)
    spanish_teacher.goto(f"/admin/attempt/details/?id={given[0].attempt_id}")
    expect(spanish_teacher.locator("#peer-reviews")).to_contain_text(spanish("Peer reviews"))
    assert_accessible_in_every_theme(spanish_teacher, "an attempt's peer reviews in Spanish")
    spanish_teacher.goto(f"/admin/peer-reviews/?classroom={classroom.id}")
    assert_accessible_in_every_theme(spanish_teacher, "the teacher's peer reviews in Spanish")
    spanish_teacher.goto("/admin/office-hours/offer")
    assert_accessible_in_every_theme(spanish_teacher, "offering office hours in Spanish")
