"""Every page of the platform passes axe-core's WCAG 2.0, 2.1 and 2.2 A and AA rules in every theme.

Visitors who are not signed in get the theme their system asks for (light, dark or more
contrast); signed-in users get the theme of their preferences. Each page is also checked once in
Spanish. One test per page and theme, so a failure names both. Two things axe leaves to people
are checked here too: pages reflow at 320 CSS pixels, and keyboard focus is always visible.
"""

from __future__ import annotations

import io
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from axe_checks import THEME_BACKGROUNDS, describe, violations
from code_editor import write_code
from flask import Flask
from helpers import PASSWORD
from PIL import Image
from playwright.sync_api import Locator, Page
from sqlalchemy import select

from quest_platform.extensions import db
from quest_platform.models import (
    AchievementAward,
    Attempt,
    AuditEntry,
    Classroom,
    Quest,
    TimeExtension,
    User,
    utcnow,
)
from quest_platform.services.accounts import reset_student_password, update_preferences
from quest_platform.services.achievements import ensure_achievements
from quest_platform.services.attempts import submit_attempt
from quest_platform.services.classrooms import create_classroom
from quest_platform.services.quests import StageDraft, assign_quest, create_quest, publish_quest
from quest_platform.services.reviews import review_attempt
from quest_platform.services.tallies import count_attempt, enter_stage_points, lock_quest_tally
from quest_platform.services.time_extensions import grant_time_extension

# WCAG 1.4.10: content reflows, without scrolling sideways, in a window 320 CSS pixels wide.
NARROW_VIEWPORT = {"width": 320, "height": 640}


@dataclass
class People:
    """A teacher, their classroom and its students, plus the app for one-off settings."""

    app: Flask
    teacher: User
    classroom: Classroom
    students: list[User]

    @property
    def student(self) -> User:
        return self.students[0]

    def prefer(self, *, theme: str, language: str) -> None:
        """Give all of them this theme and language."""
        for user in [self.teacher, *self.students]:
            update_preferences(
                user=user,
                display_name=user.display_name,
                pseudonym=user.pseudonym,
                language=language,
                theme=theme,
                reduced_motion=user.reduced_motion,
                leaderboard_opt_in=user.leaderboard_opt_in,
            )


@pytest.fixture
def people(app: Flask, make: Any) -> People:
    teacher = make.teacher(password=PASSWORD)
    students = [make.student(password=PASSWORD) for _ in range(3)]
    classroom = make.classroom(teachers=[teacher], students=students)
    # One student has signed in before, so the roster shows a date as well as "Never".
    students[1].current_login_at = utcnow()
    db.session.commit()
    return People(app=app, teacher=teacher, classroom=classroom, students=students)


def submit(page: Page, button: Locator | None = None) -> None:
    """Press a form's submit button (the first in <main> by default) and wait for the result."""
    with page.expect_navigation():
        (button or page.locator("main button[type=submit]").first).click()


def sign_in(page: Page, user: User, password: str = PASSWORD) -> None:
    """Sign in with the login form's own request, sharing the page's cookies.

    Quicker than filling the form in the page; the journey test signs in by hand.
    """
    form = page.request.get("/login").text()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)
    assert token, "no CSRF token on /login"
    response = page.request.post(
        "/login",
        form={"email": user.username, "password": password, "csrf_token": token.group(1)},
        max_redirects=0,
    )
    assert response.status == 302, f"{user.username} could not sign in"


# How to reach each page. Every function leaves `page` showing the page to scan.


def home(page: Page, people: People) -> None:
    page.goto("/")


def login(page: Page, people: People) -> None:
    page.goto("/login")


def login_with_errors(page: Page, people: People) -> None:
    page.goto("/login")
    page.fill("#email", people.student.username)
    page.fill("#password", "not the password")
    submit(page)


def join(page: Page, people: People) -> None:
    page.goto("/accounts/join")


def join_with_errors(page: Page, people: People) -> None:
    page.goto("/accounts/join")
    page.fill("#join_code", "NOTACODE")
    page.fill("#username", people.student.username)
    page.fill("#password", "short")
    page.fill("#password_confirm", "different")
    submit(page)


def not_found(page: Page, people: People) -> None:
    page.goto("/no-such-page")


def api_reference(page: Page, people: People) -> None:
    page.goto("/api/v1/docs")


def rate_limited(page: Page, people: People) -> None:
    # A lower limit for this test only: the second failed sign-in is one too many.
    limit = people.app.config["LOGIN_RATE_LIMIT"]
    people.app.config["LOGIN_RATE_LIMIT"] = "1 per minute"
    try:
        login_with_errors(page, people)
        login_with_errors(page, people)
    finally:
        people.app.config["LOGIN_RATE_LIMIT"] = limit


def student_profile(page: Page, people: People) -> None:
    sign_in(page, people.student)
    page.goto("/accounts/profile")


def student_profile_saved(page: Page, people: People) -> None:
    student_profile(page, people)
    submit(page)


def student_profile_with_errors(page: Page, people: People) -> None:
    student_profile(page, people)
    page.fill("#display_name", "")
    page.fill("#pseudonym", "x")
    submit(page)


def teacher_profile(page: Page, people: People) -> None:
    sign_in(page, people.teacher)
    page.goto("/accounts/profile")


def change_password(page: Page, people: People) -> None:
    sign_in(page, people.student)
    page.goto("/change")


def change_password_with_errors(page: Page, people: People) -> None:
    change_password(page, people)
    page.fill("#password", "not the password")
    page.fill("#new_password", "short")
    page.fill("#new_password_confirm", "other")
    submit(page)


def change_one_time_password(page: Page, people: People) -> None:
    # Signing in with a one-time password leads to the change-password page with a note.
    password = reset_student_password(student=people.student, by=people.teacher)
    sign_in(page, people.student, password)
    page.goto("/accounts/profile")
    assert page.url.endswith("/change"), page.url


def reauthenticate(page: Page, people: People) -> None:
    sign_in(page, people.student)
    page.goto("/verify")


def teacher_home(page: Page, people: People) -> None:
    sign_in(page, people.teacher)
    page.goto("/admin/")


def teacher_home_classrooms(page: Page, people: People) -> None:
    # A teacher of several classrooms: the list of them, an older one shown.
    older = create_classroom(
        name="Period 7 (last term)", term="2026 T1", period=7, teachers=[people.teacher]
    )
    older.created_at = utcnow() - timedelta(days=120)
    db.session.commit()
    sign_in(page, people.teacher)
    page.goto(f"/admin/?classroom={older.id}")
    assert page.locator(".classroom-tab").count() == 2
    assert "Period 7" in page.locator('.classroom-tab[aria-current="page"]').inner_text()


def reset_password_question(page: Page, people: People) -> None:
    # The roster's reset leads to a question first: resetting signs the student out.
    teacher_home(page, people)
    with page.expect_navigation():
        page.locator(f'a[href^="/admin/students/{people.student.id}/reset-password"]').click()
    assert page.locator(".confirm-page").count() == 1


def one_time_password(page: Page, people: People) -> None:
    reset_password_question(page, people)
    submit(page, page.locator(".confirm-form button"))
    assert page.locator(".credential-card").count() == 1


def confirm_action(page: Page) -> None:
    """Answer the question a bulk action asks before it runs."""
    assert page.locator(".confirm-page").count() == 1
    submit(page, page.locator(".confirm-form button"))


def admin_classrooms(page: Page, people: People) -> None:
    sign_in(page, people.teacher)
    page.goto("/admin/classroom/")


def admin_classrooms_new_join_code(page: Page, people: People) -> None:
    # A bulk action, and the list again with its message.
    admin_classrooms(page, people)
    page.check(f"#row-{people.classroom.id}")
    page.select_option("#admin-action", "new_join_code")
    submit(page, page.locator(".admin-actions button"))
    confirm_action(page)


def admin_classrooms_action_question(page: Page, people: People) -> None:
    # A bulk action with a question (Delete) asks it on a page of its own before it runs.
    admin_classrooms(page, people)
    page.check(f"#row-{people.classroom.id}")
    page.select_option("#admin-action", "delete")
    submit(page, page.locator(".admin-actions button"))
    assert page.locator(".confirm-page").count() == 1


def admin_classroom_details(page: Page, people: People) -> None:
    # With the roster: links to each student, sign-in dates, "Never" and reset buttons.
    sign_in(page, people.teacher)
    page.goto(f"/admin/classroom/details/?id={people.classroom.id}")
    assert page.locator("#roster-title + .table-scroll tbody tr").count() == len(people.students)


def admin_classroom_edit(page: Page, people: People) -> None:
    sign_in(page, people.teacher)
    page.goto(f"/admin/classroom/edit/?id={people.classroom.id}")


def admin_classroom_new_with_errors(page: Page, people: People) -> None:
    sign_in(page, people.teacher)
    page.goto("/admin/classroom/new/")
    page.fill("#period", "13")
    submit(page)


def admin_classroom_next_steps(page: Page, people: People) -> None:
    # Where a new classroom leads: the join code shown large, the import and the assignment.
    admin_classroom_new(page, people)
    assert page.locator("#join-code").input_value() != ""


def admin_classroom_new(page: Page, people: People) -> None:
    sign_in(page, people.teacher)
    page.goto("/admin/classroom/new/")
    page.fill("#name", "CS Period 6")
    page.fill("#term", "2026 T3")
    page.fill("#period", "6")
    submit(page)


def admin_users(page: Page, people: People) -> None:
    sign_in(page, people.teacher)
    page.goto("/admin/user/")


def admin_users_filtered(page: Page, people: People) -> None:
    admin_users(page, people)
    page.fill("#admin-search", people.student.username)
    page.select_option("#filter-1", str(people.classroom.id))
    submit(page, page.locator(".admin-filters button"))


def admin_users_password_sheet(page: Page, people: People) -> None:
    # The bulk action answers with the printable sheet itself.
    admin_users(page, people)
    for student in people.students:
        page.check(f"#row-{student.id}")
    page.select_option("#admin-action", "reset_passwords")
    submit(page, page.locator(".admin-actions button"))
    confirm_action(page)
    assert page.locator(".credential-card").count() == len(people.students)


def admin_users_moved(page: Page, people: People) -> None:
    # Moving needs a classroom, chosen beside the action; the list comes back with a message.
    admin_users(page, people)
    page.check(f"#row-{people.student.id}")
    page.select_option("#admin-action", "move_to_classroom")
    page.select_option("#admin-action-classroom", str(people.classroom.id))
    submit(page, page.locator(".admin-actions button"))
    confirm_action(page)


def admin_user_details(page: Page, people: People) -> None:
    sign_in(page, people.teacher)
    page.goto(f"/admin/user/details/?id={people.student.id}")


def admin_user_edit_with_errors(page: Page, people: People) -> None:
    sign_in(page, people.teacher)
    page.goto(f"/admin/user/edit/?id={people.student.id}")
    page.fill("#display_name", "")
    page.fill("#pseudonym", "no spaces!")
    submit(page)


ROSTER_CSV = (
    "first name,last name,username,email\nAna,Lee,ana.lee,ana@example.org\nJosé,Muñoz,jose.munoz,\n"
)


def roster_import(page: Page, people: People) -> None:
    sign_in(page, people.teacher)
    page.goto("/admin/roster-import/")


def roster_import_preview(page: Page, people: People, roster: str = ROSTER_CSV) -> None:
    roster_import(page, people)
    page.select_option("#classroom", str(people.classroom.id))
    csv_file = {"name": "roster.csv", "mimeType": "text/csv", "buffer": roster.encode()}
    page.set_input_files("#roster_file", files=[csv_file])
    submit(page)


def roster_import_preview_with_errors(page: Page, people: People) -> None:
    # A username that is taken, a malformed email and an ignored column: errors and a note.
    roster = (
        "first name,last name,username,email,grade\n"
        f"Ana,Lee,{people.student.username},not-an-email,9\n"
        "Ben,Ito,ben.ito,,8\n"
    )
    roster_import_preview(page, people, roster)
    assert page.locator(".error-summary").count() == 1


def roster_import_file_errors(page: Page, people: People) -> None:
    roster_import_preview(page, people, "first name,last name,username\n")
    assert page.locator("#roster_file[aria-invalid=true]").count() == 1


def roster_import_credentials(page: Page, people: People) -> None:
    roster_import_preview(page, people)
    submit(page)
    assert page.locator(".credential-card").count() == 2


# Quest authoring: every token colour of a highlighted code block, a table, each stage kind.
LESSON_WITH_CODE = """### Sessions

A cookie *names* the session; the server keeps the rest. See the [Flask docs](https://flask.palletsprojects.com).

```python
from flask import session  # the signed cookie


@app.route("/login", methods=["POST"])
def login(user: User, tries=3) -> Response:
    \"\"\"Sign the user in.\"\"\"
    if user is not None and tries > 0:
        session["user_id"] = user.id
    return redirect(f"/start?user={user.id}", code=302)
```

| Verb | Status |
|:-----|-------:|
| GET  | 200    |
| POST | 302    |
"""
QUIZ = {
    "max_tries": 2,
    "questions": [
        {
            "id": "q1",
            "type": "single",
            "prompt": "Where is session data kept?",
            "choices": ["In the browser", "On the server"],
            "answer": [1],
            "hint": "The browser only keeps a cookie that names it.",
            "explanation": "The server keeps it; the cookie only names it.",
        },
        {"id": "q2", "type": "short", "prompt": "Which verb signs in?", "accepted": ["POST"]},
    ],
}
QUEST_STAGES = [
    StageDraft("lesson", "Why sessions", LESSON_WITH_CODE),
    StageDraft("quiz", "Sessions quiz", "Two questions.", settings=QUIZ),
    StageDraft(
        "checkpoint",
        "Show your login",
        settings={"prompt": "Paste your route.", "rubric": ["Runs"], "evidence": ["code"]},
    ),
    StageDraft("reflection", "Looking back", settings={"prompt": "What surprised you?"}),
    StageDraft("self_check", "Ready?", settings={"items": ["I can sign in", "I can sign out"]}),
    StageDraft("timed", "Speed round", time_limit_seconds=90, settings=QUIZ),
]


def quest_of(people: People, *, publish: bool) -> Quest:
    """The teacher's quest: published, or a draft with problems to fix before publishing."""
    stages = (
        QUEST_STAGES
        if publish
        else [*QUEST_STAGES[:2], StageDraft("lesson", "Map", "![](map.png)")]
    )
    quest = create_quest(
        slug="sessions" if publish else "sessions-draft",
        title="Sessions and logins" if publish else "Sessions (draft)",
        theme="Digital Famine",
        summary="Sign users in and out safely.",
        stages=stages,
        author=people.teacher,
    )
    return publish_quest(quest=quest, by=people.teacher) if publish else quest


def admin_quests(page: Page, people: People) -> None:
    quest_of(people, publish=True)
    quest_of(people, publish=False)
    sign_in(page, people.teacher)
    page.goto("/admin/quest/")


def admin_quest_draft(page: Page, people: People) -> None:
    quest = quest_of(people, publish=False)
    sign_in(page, people.teacher)
    page.goto(f"/admin/quest/details/?id={quest.id}")
    assert page.locator("#readiness + p + ul li").count() == 2


def admin_quest_published(page: Page, people: People) -> None:
    quest = quest_of(people, publish=True)
    sign_in(page, people.teacher)
    page.goto(f"/admin/quest/details/?id={quest.id}")


def admin_quest_quiz_with_errors(page: Page, people: People) -> None:
    quest = quest_of(people, publish=False)
    sign_in(page, people.teacher)
    page.goto(f"/admin/quest/{quest.id}/stages/new?kind=quiz")
    page.fill("#title", "Cookies quiz")
    page.fill("#questions-0-prompt", "Which flag hides a cookie from scripts?")
    page.fill("#questions-0-choices-0", "Secure")
    page.fill("#questions-0-choices-1", "HttpOnly")
    submit(page)
    # No choice ticked as correct: the message is on the choices.
    assert page.locator("#questions-0-correct-error").count() == 1


def admin_quest_quiz_editor(page: Page, people: People) -> None:
    # A second question added on the page, before saving: a several-choice one.
    quest = quest_of(people, publish=False)
    sign_in(page, people.teacher)
    page.goto(f"/admin/quest/{quest.id}/stages/new?kind=quiz")
    page.click("#add-question")
    page.select_option("#questions-1-type", "multiple")
    page.click("#questions-1 .add-choice button")
    assert page.locator("#questions-1 input[type=checkbox].choice-correct").count() == 5


def admin_quest_checkpoint(page: Page, people: People) -> None:
    quest = quest_of(people, publish=True)
    sign_in(page, people.teacher)
    page.goto(f"/admin/quest/{quest.id}/stages/3/edit")


def admin_quest_preview_lesson(page: Page, people: People) -> None:
    quest = quest_of(people, publish=True)
    sign_in(page, people.teacher)
    page.goto(f"/admin/quest/{quest.id}/preview/")
    assert page.locator(".lesson-text pre.highlight span.k").count() > 0


def admin_quest_preview_quiz(page: Page, people: People) -> None:
    quest = quest_of(people, publish=True)
    sign_in(page, people.teacher)
    page.goto(f"/admin/quest/{quest.id}/preview/2")


# Teaching records: an assigned quest with attempts (one waiting for review), an achievement.


def teaching_records(people: People) -> Attempt:
    """Assign the teacher's published quest and record attempts; return the waiting checkpoint."""
    quest = quest_of(people, publish=True)
    opens = utcnow() - timedelta(days=1)
    assign_quest(
        quest=quest,
        classroom=people.classroom,
        opens_at=opens,
        due_at=opens + timedelta(days=14),
        by=people.teacher,
    )
    now = utcnow()
    answers = [
        (2, "passed", 10.0, {"answers": {"q1": [1], "q2": "POST"}}),
        (
            3,
            "pending_review",
            None,
            {"evidence": {"code": "@app.post('/login')\ndef login(): ..."}},
        ),
    ]
    attempts = [
        Attempt(
            student=people.student,
            quest=quest,
            stage=quest.stages[position - 1],
            started_at=now - timedelta(minutes=9),
            submitted_at=now,
            answer=answer,
            score=score,
            max_score=float(quest.stages[position - 1].points),
            outcome=outcome,
        )
        for position, outcome, score, answer in answers
    ]
    achievement = next(a for a in ensure_achievements() if a.code == "first-quest")
    award = AchievementAward(
        achievement=achievement, student=people.student, quest=quest, attempt=attempts[0]
    )
    db.session.add_all([*attempts, award])
    db.session.commit()
    return attempts[-1]


def teacher_dashboard(page: Page, people: People) -> None:
    # The four charts of a classroom with a quest under way, each with its takeaway, once the
    # teacher computed its figures.
    teaching_records(people)
    sign_in(page, people.teacher)
    page.goto("/admin/")
    submit(page, page.locator(".dashboard .figures-age button"))
    assert page.locator(".dashboard .report-chart").count() == 4


def teacher_dashboard_figures(page: Page, people: People) -> None:
    # The same, with every chart's table of figures opened.
    teacher_dashboard(page, people)
    for summary in page.locator(".dashboard details summary").all():
        summary.click()
    assert page.locator(".dashboard details[open] table").count() >= 3


def student_insights(page: Page, people: People) -> None:
    # A student's engagement and predictions, reached from their row on the dashboard.
    teaching_records(people)
    sign_in(page, people.teacher)
    page.goto(f"/admin/students/{people.student.id}/insights")
    submit(page, page.locator(".figures-age button"))
    assert page.locator("tbody tr").count() == 1


def admin_attempts(page: Page, people: People) -> None:
    teaching_records(people)
    sign_in(page, people.teacher)
    page.goto("/admin/attempt/")
    assert page.locator(".admin-table tbody tr").count() == 2


def admin_attempt_review(page: Page, people: People) -> None:
    # The answer, the timing and the form to mark a waiting checkpoint.
    attempt = teaching_records(people)
    sign_in(page, people.teacher)
    page.goto(f"/admin/attempt/details/?id={attempt.id}")
    assert page.locator("#review-title").count() == 1


def admin_attempt_review_with_errors(page: Page, people: People) -> None:
    # A score above the maximum and no outcome: the page again, with the errors (422).
    admin_attempt_review(page, people)
    page.fill("#score", "99")
    submit(page, page.locator("#review-title ~ form button[type=submit]").first)
    assert page.locator(".error-summary").count() == 1


def admin_attempt_review_contradicting(page: Page, people: People) -> None:
    # "Passed" with no points: refused, with the message on the outcome.
    admin_attempt_review(page, people)
    page.fill("#score", "0")
    page.check("#outcome-0")
    submit(page, page.locator("#review-title ~ form button[type=submit]").first)
    assert page.locator("#outcome-error").count() == 1


def admin_attempt_reviewed(page: Page, people: People) -> None:
    # Marked: the review history, and the form now changes the result (a reason is needed).
    admin_attempt_review(page, people)
    page.fill("#score", "8")
    page.check("#outcome-0")
    submit(page, page.locator("#review-title ~ form button[type=submit]").first)
    assert page.locator("#reviews-title + .table-scroll tbody tr").count() == 1


# Extra time: a late answer at the timed stage, and ten more minutes for its student.


def extra_time_records(people: People) -> tuple[Attempt, TimeExtension]:
    """Teaching records, a late answer at the timed stage, and extra time for its student."""
    quest = teaching_records(people).quest
    stage = next(stage for stage in quest.stages if stage.kind == "timed")
    now = utcnow()
    attempt = Attempt(
        student=people.student,
        quest=quest,
        stage=stage,
        started_at=now - timedelta(minutes=3),
        submitted_at=now,
        answer={"answers": {"q1": [1]}, "elapsed_seconds": 180},
        score=0.0,
        max_score=float(stage.points),
        outcome="late",
    )
    db.session.add(attempt)
    db.session.commit()
    extension = grant_time_extension(
        student=people.student,
        stage=stage,
        extra_seconds=600,
        reason="Uses a screen reader.",
        by=people.teacher,
    )
    return attempt, extension


def admin_attempt_timed(page: Page, people: People) -> None:
    # The extra time given so far, and the link to give more.
    attempt, _extension = extra_time_records(people)
    sign_in(page, people.teacher)
    page.goto(f"/admin/attempt/details/?id={attempt.id}")
    assert page.locator("a[href*='/admin/time-extension/new/']").count() == 1


def admin_time_extensions(page: Page, people: People) -> None:
    extra_time_records(people)
    sign_in(page, people.teacher)
    page.goto("/admin/time-extension/")
    assert page.locator(".admin-table tbody tr").count() == 1


def admin_time_extension_details(page: Page, people: People) -> None:
    _attempt, extension = extra_time_records(people)
    sign_in(page, people.teacher)
    page.goto(f"/admin/time-extension/details/?id={extension.id}")


def admin_time_extension_new(page: Page, people: People) -> None:
    # Reached from the timed attempt: its student and stage are chosen.
    admin_attempt_timed(page, people)
    with page.expect_navigation():
        page.locator("a[href*='/admin/time-extension/new/']").click()
    assert page.locator("#stage option[selected]").count() == 1


def admin_time_extension_new_with_errors(page: Page, people: People) -> None:
    # Zero minutes: the form again, with the error on the minutes (422).
    admin_time_extension_new(page, people)
    page.fill("#minutes", "0")
    submit(page)
    assert page.locator("#minutes[aria-invalid=true]").count() == 1


def admin_assignments(page: Page, people: People) -> None:
    teaching_records(people)
    sign_in(page, people.teacher)
    page.goto("/admin/assignment/")


def admin_assignment_new_with_errors(page: Page, people: People) -> None:
    # Due before it opens: the message sits on the due date.
    quest_of(people, publish=True)
    sign_in(page, people.teacher)
    page.goto("/admin/assignment/new/")
    page.fill("#opens_at", "2030-03-16T08:30")
    page.fill("#due_at", "2030-03-02T08:30")
    submit(page)
    assert page.locator("#due_at[aria-invalid=true]").count() == 1


def admin_awards(page: Page, people: People) -> None:
    teaching_records(people)
    sign_in(page, people.teacher)
    page.goto("/admin/award/")


def admin_list_refused(page: Page, people: People) -> None:
    # A page number no list has: what was wrong, and the way back to the list (400).
    sign_in(page, people.teacher)
    response = page.goto("/admin/attempt/?page=-1")
    assert response is not None
    assert response.status == 400


def admin_audit_details(page: Page, people: People) -> None:
    # The assignment the teacher made, field by field.
    teaching_records(people)
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.actor_id == people.teacher.id)
    ).first()
    sign_in(page, people.teacher)
    page.goto(f"/admin/audit/details/?id={entry.id}")
    assert page.locator(".audit-changes tbody tr").count() > 1


# Leaderboards: a tie, a student who opted out, personal bests with a quiz score.


def leaderboard_records(people: People) -> Quest:
    """Teaching records plus points for every student; the last student opted out."""
    quest = teaching_records(people).quest
    for student, points in zip(people.students, (20, 20, 5), strict=True):
        attempt = Attempt(
            student=student,
            quest=quest,
            stage=quest.stages[2],
            started_at=utcnow() - timedelta(minutes=5),
            answer={"evidence": {"code": "print('hello')"}},
            max_score=float(quest.stages[2].points),
            outcome="pending_review",
        )
        quest_tally = lock_quest_tally(student_id=student.id, quest_id=quest.id)
        db.session.add(attempt)
        db.session.flush()
        stage_tally = count_attempt(
            quest_tally=quest_tally, stage_tally=None, attempt=attempt, stage=quest.stages[2]
        )
        # The points a teacher's mark gives, entered as the reviews service enters them.
        enter_stage_points(
            quest_tally=quest_tally,
            stage_tally=stage_tally,
            attempt=attempt,
            points=points,
            at=utcnow(),
        )
    people.students[-1].leaderboard_opt_in = False
    db.session.commit()
    return quest


def student_leaderboard(page: Page, people: People) -> None:
    leaderboard_records(people)
    sign_in(page, people.student)
    page.goto(f"/leaderboards/classrooms/{people.classroom.id}")
    assert page.locator("tr[aria-current=true]").count() == 1


def student_quest_leaderboard(page: Page, people: People) -> None:
    quest = leaderboard_records(people)
    sign_in(page, people.student)
    page.goto(f"/leaderboards/classrooms/{people.classroom.id}/quests/{quest.slug}")


def student_leaderboard_opted_out(page: Page, people: People) -> None:
    leaderboard_records(people)
    sign_in(page, people.students[-1])
    page.goto(f"/leaderboards/classrooms/{people.classroom.id}")


def student_leaderboard_turned_off(page: Page, people: People) -> None:
    leaderboard_records(people)
    people.classroom.leaderboard_enabled = False
    db.session.commit()
    sign_in(page, people.student)
    page.goto(f"/leaderboards/classrooms/{people.classroom.id}")
    assert page.locator("main table").count() == 1  # the personal bests only


def teacher_leaderboard(page: Page, people: People) -> None:
    leaderboard_records(people)
    people.classroom.leaderboard_enabled = False
    db.session.commit()
    sign_in(page, people.teacher)
    page.goto(f"/leaderboards/classrooms/{people.classroom.id}")


def teacher_leaderboards(page: Page, people: People) -> None:
    sign_in(page, people.teacher)
    page.goto("/leaderboards/")


# The student portal: a quest with every kind of stage, the checkpoint taking a screenshot.

PORTAL_STAGES = [
    *QUEST_STAGES[:2],
    StageDraft(
        "checkpoint",
        "Show your login",
        settings={
            "prompt": "Paste your route and a screenshot of it working.",
            "rubric": ["Runs"],
            "evidence": ["code", "screenshot"],
        },
    ),
    StageDraft(
        "reflection", "Looking back", settings={"prompt": "What surprised you?", "min_length": 40}
    ),
    *QUEST_STAGES[4:],
    StageDraft("lesson", "Signing out", "`session.clear()` ends the session."),
]
# A right answer to each stage the student hands in before the one under test.
PORTAL_ANSWERS: dict[str, dict[str, Any]] = {
    "lesson": {"confirmed": True},
    "quiz": {"responses": {"q1": [1], "q2": "POST"}},
    "checkpoint": {"evidence": "@app.post('/login')\ndef login(): ..."},
    "reflection": {"text": "That the whole session can live in a signed cookie."},
    "self_check": {"ticked": [0, 1]},
}


def portal_quest(
    people: People,
    *,
    done: int = 0,
    stages: list[StageDraft] = PORTAL_STAGES,
    slug: str = "logins",
) -> Quest:
    """The portal quest (or another of ``stages``), assigned to the class; the student has
    handed in its first ``done`` stages (a perfect quiz among them earns a badge; the
    checkpoint waits for review)."""
    quest = create_quest(
        slug=slug,
        title="Logins for real",
        theme="Digital Famine",
        summary="Sign users in and out safely.",
        stages=stages,
        author=people.teacher,
    )
    publish_quest(quest=quest, by=people.teacher)
    opens = utcnow() - timedelta(days=1)
    assign_quest(
        quest=quest,
        classroom=people.classroom,
        opens_at=opens,
        due_at=opens + timedelta(days=14),
        by=people.teacher,
    )
    for stage in quest.stages[:done]:
        submit_attempt(
            student=people.student,
            quest=quest,
            stage=stage,
            answer=PORTAL_ANSWERS[stage.kind],
            submission_key=secrets.token_urlsafe(16),
        )
    return quest


def png_file() -> dict[str, Any]:
    """A small PNG screenshot, as Playwright uploads it."""
    buffer = io.BytesIO()
    Image.new("RGB", (240, 160), "#1d4ed8").save(buffer, format="PNG")
    return {"name": "login.png", "mimeType": "image/png", "buffer": buffer.getvalue()}


def quest_map(page: Page, people: People) -> None:
    portal_quest(people, done=1)
    sign_in(page, people.student)
    page.goto("/quests")
    assert page.locator(".quest-card").count() == 1


def quest_map_empty(page: Page, people: People) -> None:
    sign_in(page, people.student)
    page.goto("/quests")


def stage_lesson(page: Page, people: People) -> None:
    # A highlighted code block and a table in the lesson text.
    portal_quest(people)
    sign_in(page, people.student)
    page.goto("/quests/logins/1")


def stage_quiz_feedback(page: Page, people: People) -> None:
    # Both answers wrong: the result with feedback on each question, and the form again.
    portal_quest(people, done=1)
    sign_in(page, people.student)
    page.goto("/quests/logins/2")
    page.check("#q-q1-0")
    page.fill("#q-q2-answer", "GET")
    submit(page)
    assert page.locator(".feedback-list li.incorrect").count() == 2
    assert page.locator("#result-banner.result-retry").count() == 1


def stage_quiz_passed(page: Page, people: People) -> None:
    # Passed: the result takes the focus, and the right answers and explanations are shown.
    portal_quest(people, done=1)
    sign_in(page, people.student)
    page.goto("/quests/logins/2")
    page.check("#q-q1-1")
    page.fill("#q-q2-answer", "post")
    submit(page)
    assert page.locator("#result-banner.result-passed:focus").count() == 1


def stage_quiz_out_of_tries(page: Page, people: People) -> None:
    # Both tries wrong: no try left, and the right answers shown.
    portal_quest(people, done=1)
    sign_in(page, people.student)
    for _try in range(2):
        page.goto("/quests/logins/2")
        page.check("#q-q1-0")
        submit(page)
    assert page.locator("#result-banner.result-out_of_tries").count() == 1
    assert page.locator(".feedback-answer").count() == 2


def stage_reflection_with_errors(page: Page, people: People) -> None:
    # Too short: the error summary, and the message on the field (422).
    portal_quest(people, done=3)
    sign_in(page, people.student)
    page.goto("/quests/logins/4")
    page.fill("#text", "Cookies.")
    submit(page)
    assert page.locator(".error-summary").count() == 1
    assert page.locator("#text[aria-invalid=true]").count() == 1


def stage_checkpoint(page: Page, people: People) -> None:
    # Code, a screenshot and its description.
    portal_quest(people, done=2)
    sign_in(page, people.student)
    page.goto("/quests/logins/3")
    assert page.locator("#screenshot").count() == 1


def stage_checkpoint_handed_in(page: Page, people: People) -> None:
    # Waiting for review: the code and the screenshot handed in.
    stage_checkpoint(page, people)
    page.fill("#evidence", "@app.post('/login')\ndef login(): ...")
    page.set_input_files("#screenshot", files=[png_file()])
    page.fill("#alt_text", "The app says Welcome back after signing in.")
    submit(page)
    assert page.locator("#result .evidence-image").count() == 1


def stage_checkpoint_choose_again(page: Page, people: People) -> None:
    # A screenshot without its description: the form comes back and asks for the file again.
    stage_checkpoint(page, people)
    page.fill("#evidence", "@app.post('/login')\ndef login(): ...")
    page.set_input_files("#screenshot", files=[png_file()])
    submit(page)
    assert page.locator("#screenshot-again").count() == 1


def stage_timed(page: Page, people: People) -> None:
    # Before the clock starts: the rules and the button only.
    portal_quest(people, done=5)
    sign_in(page, people.student)
    page.goto("/quests/logins/6")


def stage_timed_running(page: Page, people: People) -> None:
    # The clock running, with its status region, above the questions.
    stage_timed(page, people)
    submit(page)
    assert page.locator("#countdown [role=status]").count() == 1


CODE_QUEST_STAGES = [
    StageDraft(
        "code",
        "Add two numbers",
        "Write `add(a, b)`: it returns the sum of `a` and `b`.",
        settings={
            "prompt": "Write add(a, b).",
            "starter_code": "def add(a, b):\n    pass\n",
            "examples": "add(2, 3) == 5\nadd(-1, 1) == 0",
            "tests": "add(10, 20) == 30\nadd('a', 'b') == 'ab'",
            "solution": "def add(a, b):\n    return a + b\n",
        },
    ),
    *PORTAL_STAGES[1:7],
]


def admin_quest_preview_code(page: Page, people: People) -> None:
    # A code challenge as the teacher previews it: examples, the count of hidden tests, the code.
    quest = portal_quest(people, stages=CODE_QUEST_STAGES, slug="adding")
    sign_in(page, people.teacher)
    page.goto(f"/admin/quest/{quest.id}/preview/1")
    assert page.locator("#preview-code").count() == 1


def code_challenge(page: Page, people: People) -> None:
    # A code challenge: its examples, the facts and the editor with its two buttons.
    portal_quest(people, stages=CODE_QUEST_STAGES, slug="adding")
    sign_in(page, people.student)
    page.goto("/quests/adding/1")
    assert page.locator("#code").count() == 1


def code_challenge_examples_run(page: Page, people: People) -> None:
    # The examples run: one passed, one failed with what the code gave and printed.
    code_challenge(page, people)
    write_code(page, "def add(a, b):\n    print(a, b)\n    return a + b if a > 0 else a * b\n")
    submit(page, page.locator("button[name=purpose][value=examples]"))
    assert page.locator("#code-run .test-list li.incorrect").count() == 1


def code_challenge_submitted(page: Page, people: People) -> None:
    # A submission failing a hidden test: the result, the share of hidden tests, the editor.
    code_challenge(page, people)
    write_code(page, "def add(a, b):\n    return int(a) + int(b)\n")
    submit(page, page.locator("button[name=purpose][value=submission]"))
    assert page.locator("#result-banner.result-retry").count() == 1


def stage_locked(page: Page, people: People) -> None:
    portal_quest(people)
    sign_in(page, people.student)
    response = page.goto("/quests/logins/7")
    assert response is not None
    assert response.status == 403


def student_profile_progress(page: Page, people: People) -> None:
    # Points, the quest in progress, badges earned (a perfect quiz, every reflection) and not.
    portal_quest(people, done=5)
    student_profile(page, people)
    assert page.locator(".badge-earned").count() == 2


def forbidden(page: Page, people: People) -> None:
    sign_in(page, people.student)
    page.goto("/admin/")


ANONYMOUS_PAGES: dict[str, Callable[[Page, People], None]] = {
    "home": home,
    "login": login,
    "login-errors": login_with_errors,
    "join": join,
    "join-errors": join_with_errors,
    "not-found": not_found,
    "rate-limited": rate_limited,
    "api-reference": api_reference,
}
SIGNED_IN_PAGES: dict[str, Callable[[Page, People], None]] = {
    "student-profile": student_profile,
    "student-profile-saved": student_profile_saved,
    "student-profile-errors": student_profile_with_errors,
    "student-profile-progress": student_profile_progress,
    "quest-map": quest_map,
    "quest-map-empty": quest_map_empty,
    "stage-lesson": stage_lesson,
    "stage-quiz-feedback": stage_quiz_feedback,
    "stage-quiz-passed": stage_quiz_passed,
    "stage-quiz-out-of-tries": stage_quiz_out_of_tries,
    "stage-reflection-errors": stage_reflection_with_errors,
    "stage-checkpoint": stage_checkpoint,
    "stage-checkpoint-handed-in": stage_checkpoint_handed_in,
    "stage-checkpoint-choose-again": stage_checkpoint_choose_again,
    "stage-timed": stage_timed,
    "stage-timed-running": stage_timed_running,
    "stage-locked": stage_locked,
    "admin-quest-preview-code": admin_quest_preview_code,
    "code-challenge": code_challenge,
    "code-challenge-examples-run": code_challenge_examples_run,
    "code-challenge-submitted": code_challenge_submitted,
    "teacher-profile": teacher_profile,
    "change-password": change_password,
    "change-password-errors": change_password_with_errors,
    "change-one-time-password": change_one_time_password,
    "reauthenticate": reauthenticate,
    "teacher-home": teacher_home,
    "teacher-home-classrooms": teacher_home_classrooms,
    "reset-password-question": reset_password_question,
    "teacher-dashboard": teacher_dashboard,
    "teacher-dashboard-figures": teacher_dashboard_figures,
    "student-insights": student_insights,
    "one-time-password": one_time_password,
    "admin-classrooms": admin_classrooms,
    "admin-classrooms-new-join-code": admin_classrooms_new_join_code,
    "admin-classrooms-action-question": admin_classrooms_action_question,
    "admin-classroom-details": admin_classroom_details,
    "admin-classroom-edit": admin_classroom_edit,
    "admin-classroom-new-errors": admin_classroom_new_with_errors,
    "admin-classroom-next-steps": admin_classroom_next_steps,
    "admin-users": admin_users,
    "admin-users-filtered": admin_users_filtered,
    "admin-users-password-sheet": admin_users_password_sheet,
    "admin-users-moved": admin_users_moved,
    "admin-user-details": admin_user_details,
    "admin-user-edit-errors": admin_user_edit_with_errors,
    "roster-import": roster_import,
    "roster-import-file-errors": roster_import_file_errors,
    "roster-import-preview": roster_import_preview,
    "roster-import-preview-errors": roster_import_preview_with_errors,
    "roster-import-credentials": roster_import_credentials,
    "admin-quests": admin_quests,
    "admin-quest-draft": admin_quest_draft,
    "admin-quest-published": admin_quest_published,
    "admin-quest-quiz-errors": admin_quest_quiz_with_errors,
    "admin-quest-quiz-editor": admin_quest_quiz_editor,
    "admin-quest-checkpoint": admin_quest_checkpoint,
    "admin-quest-preview-lesson": admin_quest_preview_lesson,
    "admin-quest-preview-quiz": admin_quest_preview_quiz,
    "admin-attempts": admin_attempts,
    "admin-attempt-review": admin_attempt_review,
    "admin-attempt-review-errors": admin_attempt_review_with_errors,
    "admin-attempt-review-contradicting": admin_attempt_review_contradicting,
    "admin-attempt-reviewed": admin_attempt_reviewed,
    "admin-attempt-timed": admin_attempt_timed,
    "admin-time-extensions": admin_time_extensions,
    "admin-time-extension-details": admin_time_extension_details,
    "admin-time-extension-new": admin_time_extension_new,
    "admin-time-extension-new-errors": admin_time_extension_new_with_errors,
    "admin-assignments": admin_assignments,
    "admin-assignment-new-errors": admin_assignment_new_with_errors,
    "admin-awards": admin_awards,
    "admin-list-refused": admin_list_refused,
    "admin-audit-details": admin_audit_details,
    "student-leaderboard": student_leaderboard,
    "student-quest-leaderboard": student_quest_leaderboard,
    "student-leaderboard-opted-out": student_leaderboard_opted_out,
    "student-leaderboard-turned-off": student_leaderboard_turned_off,
    "teacher-leaderboard": teacher_leaderboard,
    "teacher-leaderboards": teacher_leaderboards,
    "forbidden": forbidden,
}

# (theme the page must show, language, browser settings of a visitor who is not signed in)
SYSTEM_SETTINGS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "light": ("light", "en", {"color_scheme": "light"}),
    "dark": ("dark", "en", {"color_scheme": "dark"}),
    "more-contrast": ("high-contrast", "en", {"color_scheme": "light", "contrast": "more"}),
    "light-es": ("light", "es", {"color_scheme": "light", "locale": "es-ES"}),
}
# (theme, language) of a signed-in user's preferences
PREFERENCES: dict[str, tuple[str, str]] = {
    "light": ("light", "en"),
    "dark": ("dark", "en"),
    "high-contrast": ("high-contrast", "en"),
    "dark-es": ("dark", "es"),
}


def assert_accessible(
    page: Page, *, theme: str, language: str, spanish: Callable[[str], str]
) -> None:
    """The page shows ``theme`` in ``language``, axe finds no violation, and it reflows."""
    page.wait_for_load_state()
    shown = page.evaluate(
        """() => ({
            lang: document.documentElement.lang,
            background: getComputedStyle(document.documentElement)
                .getPropertyValue('--bg').trim(),
        })"""
    )
    assert shown == {"lang": language, "background": THEME_BACKGROUNDS[theme]}, page.url
    if language == "es":
        skip_link = page.locator(".skip-link").inner_text()
        assert skip_link == spanish("Skip to main content"), f"{page.url} is not in Spanish"

    if found := violations(page):
        pytest.fail(f"{page.url} in {theme}/{language}:\n{describe(found)}")

    page.set_viewport_size(NARROW_VIEWPORT)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= NARROW_VIEWPORT["width"], (
        f"{page.url} is {width}px wide in a 320px window: it scrolls sideways (WCAG 1.4.10)"
    )


@pytest.mark.parametrize(
    ("visit", "settings"),
    [
        pytest.param(visit, settings, id=f"{name}-{setting}")
        for name, visit in ANONYMOUS_PAGES.items()
        for setting, settings in SYSTEM_SETTINGS.items()
    ],
)
def test_anonymous_page(
    visit: Callable[[Page, People], None],
    settings: tuple[str, str, dict[str, Any]],
    people: People,
    open_page: Callable[..., Page],
    spanish: Callable[[str], str],
) -> None:
    theme, language, browser_settings = settings
    page = open_page(**browser_settings)
    visit(page, people)
    assert page.locator("html").get_attribute("data-theme") == "auto"
    assert_accessible(page, theme=theme, language=language, spanish=spanish)


@pytest.mark.provokes_server_error
@pytest.mark.parametrize("settings", SYSTEM_SETTINGS.values(), ids=SYSTEM_SETTINGS.keys())
def test_the_server_error_page(
    settings: tuple[str, str, dict[str, Any]],
    app: Flask,
    monkeypatch: pytest.MonkeyPatch,
    open_page: Callable[..., Page],
    spanish: Callable[[str], str],
) -> None:
    # The page made without the database or the session, as when one of them is down.
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    monkeypatch.setitem(app.view_functions, "pages.home", lambda: 1 / 0)
    theme, language, browser_settings = settings
    page = open_page(**browser_settings)
    response = page.goto("/")
    assert response is not None
    assert response.status == 500
    assert page.locator(".error-reference code").inner_text() == response.headers["x-request-id"]
    assert_accessible(page, theme=theme, language=language, spanish=spanish)


@pytest.mark.parametrize(
    ("visit", "preferences"),
    [
        pytest.param(visit, preferences, id=f"{name}-{preference}")
        for name, visit in SIGNED_IN_PAGES.items()
        for preference, preferences in PREFERENCES.items()
    ],
)
def test_signed_in_page(
    visit: Callable[[Page, People], None],
    preferences: tuple[str, str],
    people: People,
    open_page: Callable[..., Page],
    spanish: Callable[[str], str],
) -> None:
    theme, language = preferences
    people.prefer(theme=theme, language=language)
    page = open_page()
    visit(page, people)
    assert page.locator("html").get_attribute("data-theme") == theme
    assert_accessible(page, theme=theme, language=language, spanish=spanish)


# Teacher and student text longer than a phone's line: a name, a web address, a line of code.
LONG_NAME = "werkzeug.security.generate_password_hash"
WEB_ADDRESS = "https://flask.palletsprojects.com/en/stable/quickstart/#sessions"
LONG_LINE = "return render_template('login.html', form=form, next=request.args.get('next'))"
# What reaches past the window, outside the boxes that scroll on their own, and which controls
# reach past their field. Text is measured by its lines, as a long word overflows its box.
OVERFLOWING = """() => {
    const edge = document.documentElement.clientWidth;
    const scrolls = (element) => getComputedStyle(element).overflowX !== 'visible';
    const name = (element) => element.tagName.toLowerCase() + (element.id ? `#${element.id}` : '');
    const found = [];
    const walk = (element) => {
        if (element.getBoundingClientRect().right > edge) found.push(`${name(element)} box`);
        for (const child of element.childNodes) {
            if (child.nodeType === Node.TEXT_NODE && child.textContent.trim()) {
                const range = document.createRange();
                range.selectNodeContents(child);
                if (range.getBoundingClientRect().right > edge) {
                    found.push(`${name(element)} text "${child.textContent.trim().slice(0, 30)}"`);
                }
            } else if (child.nodeType === Node.ELEMENT_NODE && !scrolls(child)) {
                walk(child);
            }
        }
    };
    walk(document.body);
    for (const control of document.querySelectorAll('main :is(input, select, textarea)')) {
        const right = control.getBoundingClientRect().right;
        if (right > control.parentElement.getBoundingClientRect().right) {
            found.push(`${name(control)} wider than its field`);
        }
    }
    return found;
}"""


@pytest.mark.parametrize("language", ["en", "es"])
def test_checkpoint_reflows_whatever_its_text(
    language: str, people: People, open_page: Callable[..., Page]
) -> None:
    """A checkpoint, handed in twice and sent back with feedback, fits a 320px window (WCAG
    1.4.10) with long titles, a web address in its prompt and feedback, long lines of code, a
    long date, the attempts table and a screenshot with a long file name chosen."""
    people.prefer(theme="light", language=language)
    quest = create_quest(
        slug="hashing",
        title=f"Passwords with {LONG_NAME}",
        theme="Digital Famine",
        summary="Store passwords safely.",
        stages=[
            StageDraft(
                "checkpoint",
                f"Internationalization: {LONG_NAME}",
                settings={
                    "prompt": f"Read {WEB_ADDRESS}, then hash with {LONG_NAME}.",
                    "rubric": [f"Calls {LONG_NAME}"],
                    "starter_code": f"@app.post('/login')\ndef login():\n    {LONG_LINE}",
                    "evidence": ["code", "screenshot"],
                },
            ),
            PORTAL_STAGES[0],
            *PORTAL_STAGES[3:],
        ],
        author=people.teacher,
    )
    publish_quest(quest=quest, by=people.teacher)
    # The longest date of any year, in both languages: "Sep 30, ... 10:59:59 PM", "30 sept ...".
    assign_quest(
        quest=quest,
        classroom=people.classroom,
        opens_at=utcnow() - timedelta(days=1),
        due_at=datetime(utcnow().year + 1, 9, 30, 22, 59, 59, tzinfo=UTC),
        by=people.teacher,
    )
    for _ in range(2):
        attempt = submit_attempt(
            student=people.student,
            quest=quest,
            stage=quest.stages[0],
            answer={"evidence": f"def login():\n    {LONG_LINE}"},
            submission_key=secrets.token_urlsafe(16),
        )
        review_attempt(
            attempt=attempt,
            score=0,
            outcome="failed",
            reason=f"Read {WEB_ADDRESS} again.",
            by=people.teacher,
        )
    page = open_page(viewport=NARROW_VIEWPORT)
    sign_in(page, people.student)
    page.goto("/quests/hashing/1")
    screenshot = png_file()
    screenshot["name"] = f"Screenshot 2026-09-30 at 22.59.59 {LONG_NAME} working.png"
    page.set_input_files("#screenshot", files=[screenshot])
    assert page.locator(".data-table tbody tr").count() == 2

    overflowing = page.evaluate(OVERFLOWING)
    assert not overflowing, f"does not fit a 320px window: {', '.join(overflowing)}"
    assert page.evaluate("() => document.documentElement.scrollWidth") <= NARROW_VIEWPORT["width"]


def relative_luminance(colour: str) -> float:
    """WCAG relative luminance of ``#rrggbb`` or ``rgb(r, g, b)``."""
    if colour.startswith("#"):
        channels = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    else:
        channels = [int(number) for number in re.findall(r"\d+", colour)[:3]]
    linear = [
        c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
        for c in (channel / 255 for channel in channels)
    ]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    lighter, darker = sorted(map(relative_luminance, (first, second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


FOCUSED = """() => {
    const element = document.activeElement;
    const style = getComputedStyle(element);
    return {
        name: `${element.tagName.toLowerCase()} ${element.id || element.textContent.trim()}`,
        focusVisible: element.matches(':focus-visible'),
        style: style.outlineStyle,
        width: parseFloat(style.outlineWidth),
        colour: style.outlineColor,
    };
}"""


@pytest.mark.parametrize("theme", list(THEME_BACKGROUNDS))
def test_keyboard_focus_is_visible_on_every_control(
    theme: str, people: People, open_page: Callable[..., Page]
) -> None:
    """Tab through a page with every kind of control: each shows a clear outline (WCAG 2.4.7)."""
    people.prefer(theme=theme, language="en")
    page = open_page()
    student_profile_with_errors(page, people)
    backgrounds = page.evaluate(
        """() => ['--bg', '--surface'].map(
            (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim())"""
    )
    visited = []
    for _ in range(40):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUSED)
        if focus["name"].startswith("body"):
            break
        visited.append(focus["name"])
        assert focus["focusVisible"], f"{focus['name']} does not match :focus-visible"
        assert focus["style"] != "none", f"no outline on {focus}"
        assert focus["width"] >= 2, f"a hairline outline on {focus}"
        for background in backgrounds:
            ratio = contrast_ratio(focus["colour"], background)
            assert ratio >= 3, f"outline of {focus['name']} is {ratio:.1f}:1 on {background}"
    # The skip link, header, error summary, fields, buttons and footer were all reached.
    assert len(visited) >= 15, visited
