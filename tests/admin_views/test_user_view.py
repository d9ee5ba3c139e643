"""The users view: columns, search, filters, light edits and deactivation, all audited."""

from __future__ import annotations

from helpers import post_form
from sqlalchemy import select

from quest_platform.models import AuditEntry, User


def test_the_list_shows_roles_classrooms_and_last_sign_in(client, school, login_as):
    login_as(school.teacher)
    page = client.get("/admin/user/").get_data(as_text=True)
    assert f"<td>{school.student.username}</td>" in page
    assert f"<td>{school.classroom.name}</td>" in page
    assert "<td>Student</td>" in page
    assert "<td>Never</td>" in page


def test_search_finds_by_username_display_name_and_email(client, make, login_as):
    teacher = make.teacher()
    found = make.student(email="ada@example.org")
    hidden = make.student()
    make.classroom(teachers=[teacher], students=[found, hidden])
    login_as(teacher)
    for term in (found.username, found.display_name, "ada@example"):
        page = client.get("/admin/user/", query_string={"search": term}).get_data(as_text=True)
        assert f"<td>{found.username}</td>" in page, term
        assert f"<td>{hidden.username}</td>" not in page, term


def test_an_admin_filters_by_classroom_role_and_active(client, db, school, login_as):
    login_as(school.admin)

    def shown(**filters: str) -> set[str]:
        page = client.get("/admin/user/", query_string=filters).get_data(as_text=True)
        users = db.session.scalars(select(User)).all()
        return {user.username for user in users if f"<td>{user.username}</td>" in page}

    assert shown(flt0_classroom=str(school.classroom.id)) == {school.student.username}
    assert shown(flt0_role="teacher") == {school.teacher.username, school.other_teacher.username}
    school.other_student.active = False
    db.session.commit()
    assert shown(flt0_active="0") == {school.other_student.username}
    assert school.other_student.username not in shown(flt0_active="1", flt1_role="student")


def test_a_teacher_edits_a_students_names_and_it_is_audited(client, db, school, login_as):
    login_as(school.teacher)
    url = f"/admin/user/edit/?id={school.student.id}"
    data = {"display_name": "Ada L.", "pseudonym": "CleverOwl77", "active": "y"}
    assert post_form(client, url, data).status_code == 302
    db.session.expire_all()
    assert (school.student.display_name, school.student.pseudonym) == ("Ada L.", "CleverOwl77")
    entry = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.table_name == "user", AuditEntry.record_id == str(school.student.id))
        .order_by(AuditEntry.id.desc())
    ).first()
    assert (entry.action, entry.actor_id) == ("update", school.teacher.id)
    assert "password" not in entry.after
    assert "fs_uniquifier" not in entry.after


def test_the_edit_form_has_no_password_and_shows_field_errors(client, school, login_as):
    login_as(school.teacher)
    url = f"/admin/user/edit/?id={school.student.id}"
    page = client.get(url).get_data(as_text=True)
    assert 'name="password"' not in page
    assert 'name="username"' not in page
    response = post_form(client, url, {"display_name": "Ada", "pseudonym": "no spaces!"})
    assert response.status_code == 200
    assert "Use 3 to 40 letters, digits, dashes or underscores." in response.get_data(as_text=True)


def test_deactivating_ends_the_students_sessions(client, client_factory, db, school, login_as):
    student_client = login_as(school.student, on=client_factory())
    login_as(school.teacher)
    response = post_form(
        client,
        "/admin/user/action/",
        {"action": "deactivate", "rowid": str(school.student.id)},
        form_page="/admin/user/",
        follow_redirects=True,
    )
    assert "1 account deactivated." in response.get_data(as_text=True)
    db.session.expire_all()
    assert school.student.active is False
    assert student_client.get("/accounts/profile").status_code == 302


def test_an_admin_cannot_deactivate_themselves(client, db, school, login_as):
    login_as(school.admin)
    response = post_form(
        client,
        "/admin/user/action/",
        {"action": "deactivate", "rowid": str(school.admin.id)},
        form_page="/admin/user/",
        follow_redirects=True,
    )
    assert "You cannot deactivate your own account." in response.get_data(as_text=True)
    db.session.expire_all()
    assert school.admin.active is True
