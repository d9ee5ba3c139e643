"""The teacher home at /admin: own classrooms, join codes, rosters and password resets."""

from __future__ import annotations

import re

from flask_security import verify_password
from helpers import PASSWORD, post_form
from sqlalchemy import select

from quest_platform.models import AuditEntry


def reset_password(client, student):
    return post_form(
        client,
        f"/admin/students/{student.id}/reset-password",
        {"confirmed": "yes"},
        form_page="/admin/",
    )


def new_join_code(client, classroom):
    return post_form(client, f"/admin/classrooms/{classroom.id}/join-code", {}, form_page="/admin/")


def one_time_password(response) -> str:
    codes = re.findall(r"<code>([^<]+)</code>", response.get_data(as_text=True))
    return codes[-1]


def test_a_teacher_sees_their_classrooms_join_codes_and_rosters(client, school, login_as):
    login_as(school.teacher)
    text = client.get("/admin/").get_data(as_text=True)
    assert school.classroom.name in text
    assert school.classroom.join_code in text
    assert school.student.display_name in text
    assert "1 student in" in text


def test_a_teacher_sees_nothing_of_other_classrooms(client, school, login_as):
    login_as(school.teacher)
    text = client.get("/admin/").get_data(as_text=True)
    assert school.other_classroom.name not in text
    assert school.other_classroom.join_code not in text
    assert school.other_student.display_name not in text


def test_a_teacher_without_classrooms_is_told_so(client, make, login_as):
    login_as(make.teacher())
    assert "You do not teach any classroom yet" in client.get("/admin/").get_data(as_text=True)


def test_an_admin_sees_every_classroom(client, school, login_as):
    login_as(school.admin)
    text = client.get("/admin/").get_data(as_text=True)
    for classroom in (school.classroom, school.other_classroom):
        assert f'href="/admin/?classroom={classroom.id}"' in text
        shown = client.get(f"/admin/?classroom={classroom.id}").get_data(as_text=True)
        assert classroom.join_code in shown


def test_a_teacher_gives_a_student_a_one_time_password(
    client, client_factory, db, school, login_as
):
    login_as(school.teacher)
    response = reset_password(client, school.student)
    assert response.status_code == 200
    password = one_time_password(response)
    assert "It is shown only once" in response.get_data(as_text=True)

    db.session.refresh(school.student)
    assert verify_password(password, school.student.password)
    assert not verify_password(PASSWORD, school.student.password)
    assert school.student.must_change_password

    student_client = login_as(school.student, password=password, on=client_factory())
    assert student_client.get("/accounts/profile").headers["Location"] == "/change"


def test_the_one_time_password_page_is_not_stored_by_the_browser(client, school, login_as):
    login_as(school.teacher)
    assert reset_password(client, school.student).headers["Cache-Control"] == "no-store"


def test_a_teacher_cannot_reset_a_password_in_another_classroom(client, db, school, login_as):
    login_as(school.teacher)
    assert reset_password(client, school.other_student).status_code == 403
    db.session.refresh(school.other_student)
    assert verify_password(PASSWORD, school.other_student.password)
    assert not school.other_student.must_change_password


def test_resetting_an_unknown_student_is_not_found(client, school, login_as):
    login_as(school.teacher)
    response = post_form(client, "/admin/students/999999/reset-password", {}, form_page="/admin/")
    assert response.status_code == 404


def test_a_teacher_replaces_a_join_code(client, db, school, login_as):
    login_as(school.teacher)
    old_code = school.classroom.join_code
    response = new_join_code(client, school.classroom)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/?classroom={school.classroom.id}"

    db.session.refresh(school.classroom)
    assert school.classroom.join_code != old_code
    text = client.get("/admin/").get_data(as_text=True)
    assert f"The new join code of {school.classroom.name} is {school.classroom.join_code}." in text
    assert old_code not in text


def test_a_teacher_cannot_replace_another_classroom_s_join_code(client, db, school, login_as):
    login_as(school.teacher)
    old_code = school.other_classroom.join_code
    assert new_join_code(client, school.other_classroom).status_code == 403
    db.session.refresh(school.other_classroom)
    assert school.other_classroom.join_code == old_code
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "update")).all() == []


def test_students_are_refused_and_visitors_sent_to_sign_in(client, school, login_as):
    assert client.get("/admin/").headers["Location"].startswith("/login")
    login_as(school.student)
    assert client.get("/admin/").status_code == 403
