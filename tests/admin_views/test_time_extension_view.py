"""The extra time view: listing grants, giving more time, and the link from a timed attempt."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from helpers import csrf_token, post_form
from sqlalchemy import func, select

from quest_platform.models import AuditEntry, StageKind, TimeExtension
from quest_platform.queries.timing import extra_seconds_for
from quest_platform.services.time_extensions import grant_time_extension

LIST = "/admin/time-extension/"
NEW = "/admin/time-extension/new/"


def text_of(response) -> str:
    return response.get_data(as_text=True)


def options_of(page: str, name: str) -> dict[str, str]:
    """The options of the select called ``name`` on ``page``: value to label."""
    select_ = page.split(f'name="{name}"', 1)[1].split("</select>", 1)[0]
    return dict(re.findall(r'<option(?: selected)? value="([^"]*)">([^<]*)</option>', select_))


def selected_of(page: str, name: str) -> str | None:
    select_ = page.split(f'name="{name}"', 1)[1].split("</select>", 1)[0]
    match = re.search(r'<option selected value="([^"]*)">', select_)
    return match.group(1) if match else None


def stage_of(quest, kind=StageKind.TIMED):
    return next(stage for stage in quest.stages if stage.kind == kind)


def grant(school, *, other=False, extra_seconds=600, reason="Uses a screen reader"):
    return grant_time_extension(
        student=school.other_student if other else school.student,
        stage=stage_of(school.other_quest if other else school.quest),
        extra_seconds=extra_seconds,
        reason=reason,
        by=school.other_teacher if other else school.teacher,
    )


def extension_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(TimeExtension))


def form_for(school, **fields: str) -> dict[str, str]:
    return {
        "student": str(school.student.id),
        "stage": str(stage_of(school.quest).id),
        "minutes": "15",
        "reason": "Fire drill in the middle of the round",
        **fields,
    }


@pytest.fixture
def as_teacher(client, school, login_as):
    login_as(school.teacher)
    return client


def test_the_list_shows_the_grants_of_own_students(as_teacher, school):
    grant(school)
    grant(school, other=True, reason="Other class reason")
    page = text_of(as_teacher.get(LIST))
    stage = stage_of(school.quest)
    assert "<caption>1 record</caption>" in page
    for text in (
        school.student.display_name,
        school.quest.title,
        f"{stage.position}. {stage.title}",
        "<td>10</td>",
        "Uses a screen reader",
        school.teacher.display_name,
    ):
        assert text in page, text
    assert "Other class reason" not in page
    assert school.other_student.display_name not in page


def test_the_details_show_the_limit_and_every_grant_added_up(as_teacher, school):
    first = grant(school, extra_seconds=300)
    grant(school, extra_seconds=120)
    page = text_of(as_teacher.get(f"{LIST}details/?id={first.id}"))
    assert school.student.username in page
    assert "2 min 0 s" in page  # the stage's own limit
    assert "7 min 0 s" in page  # both grants
    # Grants are never edited or deleted.
    assert "/admin/time-extension/edit/" not in page
    assert "/admin/time-extension/delete/" not in page


def test_another_teacher_sees_nothing_and_their_details_are_not_found(client, school, login_as):
    extension = grant(school)
    login_as(school.other_teacher)
    page = text_of(client.get(LIST))
    assert "Uses a screen reader" not in page
    assert school.student.display_name not in page
    response = client.get(f"{LIST}details/?id={extension.id}")
    assert response.status_code == 404
    assert "Uses a screen reader" not in text_of(response)
    export = text_of(client.get(f"{LIST}export/csv/"))
    assert "Uses a screen reader" not in export


def test_an_admin_sees_every_grant(client, school, login_as):
    grant(school)
    grant(school, other=True, reason="Other class reason")
    login_as(school.admin)
    page = text_of(client.get(LIST))
    assert "Uses a screen reader" in page
    assert "Other class reason" in page


def test_the_form_offers_own_students_and_stages_with_a_clock_only(as_teacher, school):
    page = text_of(as_teacher.get(NEW))
    timed = stage_of(school.quest)
    quiz = stage_of(school.quest, StageKind.QUIZ)
    lesson = stage_of(school.quest, StageKind.LESSON)
    assert set(options_of(page, "student")) == {"", str(school.student.id)}
    assert school.other_student.display_name not in page
    stages = options_of(page, "stage")
    # Timed stages, and quizzes for their games (the quest has no code stage).
    assert set(stages) == {"", str(timed.id), str(quiz.id)}
    assert stages[str(timed.id)] == f"{school.quest.title} — {timed.position}. {timed.title}"
    assert str(lesson.id) not in stages
    # Grants are append-only, and the form says so.
    assert "A grant cannot be changed or removed" in page
    assert 'min="1"' in page
    assert 'max="1440"' in page


def test_the_form_is_prefilled_from_the_link(as_teacher, school):
    stage = stage_of(school.quest)
    page = text_of(
        as_teacher.get(NEW, query_string={"student": school.student.id, "stage": stage.id})
    )
    assert selected_of(page, "student") == str(school.student.id)
    assert selected_of(page, "stage") == str(stage.id)


def test_a_prefill_out_of_reach_is_ignored(as_teacher, school):
    stage = stage_of(school.other_quest)
    query = {"student": school.other_student.id, "stage": stage.id}
    page = text_of(as_teacher.get(NEW, query_string=query))
    assert selected_of(page, "student") is None
    assert selected_of(page, "stage") is None
    assert school.other_student.display_name not in page


def test_giving_extra_time_records_and_audits_it(as_teacher, db, school):
    stage = stage_of(school.quest)
    response = post_form(as_teacher, NEW, form_for(school, minutes="15"))
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == LIST
    extension = db.session.scalars(select(TimeExtension)).one()
    assert (extension.student_id, extension.stage_id) == (school.student.id, stage.id)
    assert extension.extra_seconds == 900
    assert extension.granted_by_id == school.teacher.id
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.table_name == "time_extension")
    ).one()
    assert (entry.actor_id, entry.action) == (school.teacher.id, "grant")
    # A second grant adds more.
    post_form(as_teacher, NEW, form_for(school, minutes="5"))
    assert extra_seconds_for(student=school.student, stage=stage) == 1200


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"minutes": "0"}, "minutes"),
        ({"minutes": "1441"}, "minutes"),
        ({"minutes": "ten"}, "minutes"),
        ({"minutes": ""}, "minutes"),
        ({"reason": "   "}, "reason"),
        ({"student": ""}, "student"),
        ({"stage": ""}, "stage"),
        ({"stage": "999999"}, "stage"),
    ],
)
def test_refused_input_comes_back_with_its_errors(as_teacher, db, school, fields, field):
    response = post_form(as_teacher, NEW, form_for(school, **fields))
    assert response.status_code == 422
    page = text_of(response)
    assert f'id="{field}-error"' in page
    assert 'class="error-summary"' in page
    assert extension_count(db) == 0


def test_a_lesson_or_another_teachers_student_is_refused(as_teacher, db, school):
    lesson = stage_of(school.quest, StageKind.LESSON)
    for fields in ({"stage": str(lesson.id)}, {"student": str(school.other_student.id)}):
        response = post_form(as_teacher, NEW, form_for(school, **fields))
        assert response.status_code == 422
    assert extension_count(db) == 0


def test_a_stage_of_a_quest_the_students_class_was_not_given_is_refused(
    as_teacher, db, make, school
):
    # The teacher's second classroom was given another quest; the first student is not in it.
    quest = make.quest()
    classroom = make.classroom(teachers=[school.teacher], students=[make.student()])
    make.assignment(quest=quest, classroom=classroom, by=school.teacher)
    response = post_form(as_teacher, NEW, form_for(school, stage=str(stage_of(quest).id)))
    assert response.status_code == 422
    assert 'id="student-error"' in text_of(response)
    assert extension_count(db) == 0


def test_grants_are_never_edited_or_deleted(as_teacher, db, school):
    extension = grant(school)
    assert as_teacher.get(f"{LIST}edit/?id={extension.id}").status_code == 302
    token = csrf_token(as_teacher, LIST)
    data = {"id": str(extension.id), "csrf_token": token}
    assert as_teacher.post(f"{LIST}delete/", data=data).status_code == 302
    db.session.expire_all()
    assert db.session.get(TimeExtension, extension.id).extra_seconds == 600


def test_a_timed_attempt_links_to_the_prefilled_form(as_teacher, make, school):
    stage = stage_of(school.quest)
    attempt = make.attempt(
        student=school.student,
        quest=school.quest,
        position=stage.position,
        outcome="late",
        score=0,
    )
    page = text_of(as_teacher.get(f"/admin/attempt/details/?id={attempt.id}"))
    assert "Give extra time" in page
    link = next(
        part.split('"', 1)[0]
        for part in page.split('href="')[1:]
        if part.startswith("/admin/time-extension/new/")
    )
    query = parse_qs(urlsplit(link.replace("&amp;", "&")).query)
    assert query["student"] == [str(school.student.id)]
    assert query["stage"] == [str(stage.id)]
    # After the grant, back to the attempt, which now shows the extra time.
    response = post_form(as_teacher, link.replace("&amp;", "&"), form_for(school, minutes="3"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/attempt/details/?id={attempt.id}")
    page = text_of(as_teacher.get(f"/admin/attempt/details/?id={attempt.id}"))
    assert "Extra time given" in page
    assert "3 min 0 s" in page


def test_other_attempts_offer_no_extra_time(as_teacher, school):
    page = text_of(as_teacher.get(f"/admin/attempt/details/?id={school.attempt.id}"))
    assert "Give extra time" not in page
    assert "/admin/time-extension/new/" not in page
