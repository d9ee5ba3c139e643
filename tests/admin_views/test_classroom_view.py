"""The classrooms view: counts, rosters, creating, editing, deleting and new join codes."""

from __future__ import annotations

import re

from flask_security import verify_password
from helpers import post_form
from sqlalchemy import select

from quest_platform.models import AuditEntry, Classroom, utcnow


def audit_entries(db, classroom_id: int) -> list[AuditEntry]:
    query = select(AuditEntry).where(
        AuditEntry.table_name == "classroom", AuditEntry.record_id == str(classroom_id)
    )
    return list(db.session.scalars(query.order_by(AuditEntry.id)))


def test_the_list_shows_join_codes_and_enrollment_counts(client, make, login_as):
    teacher = make.teacher()
    make.classroom(teachers=[teacher], students=[make.student(), make.student()])
    login_as(teacher)
    page = client.get("/admin/classroom/").get_data(as_text=True)
    assert "<td>2</td>" in page


def test_a_teacher_creates_a_classroom_they_own(client, db, make, login_as):
    teacher = make.teacher()
    login_as(teacher)
    data = {"name": "CS Period 4", "term": "2026 T3", "period": "4", "leaderboard_enabled": ""}
    response = post_form(client, "/admin/classroom/new/", data)
    assert response.status_code == 302
    classroom = db.session.scalar(select(Classroom).where(Classroom.name == "CS Period 4"))
    assert classroom.teachers == [teacher]
    assert len(classroom.join_code) == 8
    assert classroom.leaderboard_enabled is False
    assert [entry.action for entry in audit_entries(db, classroom.id)] == ["create"]
    assert audit_entries(db, classroom.id)[0].actor_id == teacher.id


def test_a_classroom_outside_the_school_day_is_refused(client, db, make, login_as):
    login_as(make.teacher())
    data = {"name": "Late", "term": "2026 T3", "period": "13"}
    response = post_form(client, "/admin/classroom/new/", data)
    assert response.status_code == 200
    assert "The period must be between 0 and 12." in response.get_data(as_text=True)
    assert db.session.scalar(select(Classroom).where(Classroom.name == "Late")) is None


def test_editing_a_classroom_is_audited(client, db, school, login_as):
    login_as(school.teacher)
    url = f"/admin/classroom/edit/?id={school.classroom.id}"
    data = {"name": "Renamed", "term": "2027 T1", "period": "5", "leaderboard_enabled": "y"}
    assert post_form(client, url, data).status_code == 302
    db.session.expire_all()
    assert school.classroom.name == "Renamed"
    entry = audit_entries(db, school.classroom.id)[-1]
    assert entry.action == "update"
    assert entry.actor_id == school.teacher.id
    assert entry.before["name"] != "Renamed"
    assert entry.after["name"] == "Renamed"


def test_a_classroom_with_students_cannot_be_deleted(client, db, school, login_as):
    login_as(school.teacher)
    response = post_form(
        client,
        "/admin/classroom/delete/",
        {"id": str(school.classroom.id)},
        form_page=f"/admin/classroom/details/?id={school.classroom.id}",
        follow_redirects=True,
    )
    assert "Only a classroom without students can be deleted." in response.get_data(as_text=True)
    assert db.session.get(Classroom, school.classroom.id) is not None


def test_an_empty_classroom_is_deleted_and_audited(client, db, make, login_as):
    teacher = make.teacher()
    classroom = make.classroom(teachers=[teacher])
    classroom_id = classroom.id
    login_as(teacher)
    response = post_form(
        client,
        "/admin/classroom/delete/",
        {"id": str(classroom_id)},
        form_page=f"/admin/classroom/details/?id={classroom_id}",
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Classroom, classroom_id) is None
    assert audit_entries(db, classroom_id)[-1].action == "delete"


def test_the_selected_empty_classrooms_are_deleted_and_the_others_kept(
    client, db, school, login_as, make
):
    empty = make.classroom(teachers=[school.teacher])
    empty_id = empty.id
    login_as(school.teacher)
    response = post_form(
        client,
        "/admin/classroom/action/",
        {
            "action": "delete",
            "confirmed": "yes",
            "rowid": [str(empty_id), str(school.classroom.id)],
        },
        form_page="/admin/classroom/",
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "Record was successfully deleted." in page
    assert "Only a classroom without students can be deleted." in page
    db.session.expire_all()
    assert db.session.get(Classroom, empty_id) is None
    assert db.session.get(Classroom, school.classroom.id) is not None
    assert audit_entries(db, empty_id)[-1].action == "delete"


def test_new_join_codes_for_the_selected_classrooms(client, db, school, login_as):
    login_as(school.teacher)
    old = school.classroom.join_code
    response = post_form(
        client,
        "/admin/classroom/action/",
        {"action": "new_join_code", "confirmed": "yes", "rowid": str(school.classroom.id)},
        form_page="/admin/classroom/",
        follow_redirects=True,
    )
    assert "1 classroom has a new join code." in response.get_data(as_text=True)
    db.session.expire_all()
    assert school.classroom.join_code != old
    assert audit_entries(db, school.classroom.id)[-1].actor_id == school.teacher.id


def test_the_pages_are_in_the_site_design_and_in_spanish(client, school, login_as, db):
    from quest_platform.services.accounts import set_language

    set_language(user=school.teacher, language="es")
    login_as(school.teacher)
    page = client.get("/admin/classroom/").get_data(as_text=True)
    assert 'lang="es"' in page
    assert 'class="site-header"' in page
    assert "Código de ingreso" in page


def test_flask_admin_messages_read_in_spanish_too(client, school, login_as):
    """Flask-Admin's own catalog lacks a few messages; the platform's "admin" catalog adds them."""
    from quest_platform.services.accounts import set_language

    set_language(user=school.teacher, language="es")
    login_as(school.teacher)
    response = post_form(client, "/admin/classroom/new/", {"name": ""})
    page = response.get_data(as_text=True)
    assert "No se pudo crear el registro." in page
    assert "Este campo es obligatorio." in page


# The roster on the details page


def test_the_details_page_lists_the_roster_with_links_and_password_resets(
    client, db, make, login_as
):
    teacher = make.teacher()
    signed_in, never = make.student(), make.student()
    signed_in.current_login_at = utcnow()
    signed_in.active = False
    classroom = make.classroom(teachers=[teacher], students=[signed_in, never])
    login_as(teacher)
    page = client.get(f"/admin/classroom/details/?id={classroom.id}").get_data(as_text=True)
    roster = page[page.index('id="roster-title"') :]

    assert f"<caption>2 students in {classroom.name}</caption>" in roster
    for student in (signed_in, never):
        assert (
            f'<a href="/admin/user/details/?id={student.id}">{student.display_name}</a>' in roster
        )
        assert f"<td>{student.username}</td>" in roster
        reset = f"/admin/students/{student.id}/reset-password?classroom={classroom.id}"
        assert f'href="{reset}"' in roster
    assert "<td>Never</td>" in roster
    assert "<td>No</td>" in roster
    assert "<td>Yes</td>" in roster
    # The enrollment count stays among the details.
    assert re.search(r"<dt>Students</dt>\s*<dd>2</dd>", page)


def test_the_teacher_home_shows_the_same_roster_table(client, school, login_as):
    login_as(school.teacher)
    home = client.get("/admin/").get_data(as_text=True)
    details = client.get(f"/admin/classroom/details/?id={school.classroom.id}")
    link = (
        f'<a href="/admin/user/details/?id={school.student.id}">{school.student.display_name}</a>'
    )
    assert link in home
    assert link in details.get_data(as_text=True)


def test_an_empty_classroom_s_roster_says_how_students_join(client, make, login_as):
    teacher = make.teacher()
    classroom = make.classroom(teachers=[teacher])
    login_as(teacher)
    page = client.get(f"/admin/classroom/details/?id={classroom.id}").get_data(as_text=True)
    assert "No students yet. Share the join code so they can sign up." in page
    assert re.search(r"<dt>Students</dt>\s*<dd>0</dd>", page)


def test_a_password_reset_from_the_roster_shows_a_card(client, db, school, login_as):
    login_as(school.teacher)
    details = f"/admin/classroom/details/?id={school.classroom.id}"
    response = post_form(
        client,
        f"/admin/students/{school.student.id}/reset-password",
        {"confirmed": "yes"},
        form_page=details,
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'class="card credential-card"' in page
    assert "<dt>Sign in at</dt><dd>http://localhost/login</dd>" in page
    password = re.findall(r"<code>([^<]+)</code>", page)[-1]
    db.session.refresh(school.student)
    assert verify_password(password, school.student.password)


def test_the_list_offers_csv_and_xlsx_downloads(client, school, login_as):
    login_as(school.teacher)
    page = client.get("/admin/classroom/").get_data(as_text=True)
    assert 'href="/admin/classroom/export/csv/"' in page
    assert 'href="/admin/classroom/export/xlsx/"' in page


# Guided set-up: a new classroom's next steps


def test_a_new_classroom_leads_to_its_next_steps(client, db, make, login_as):
    login_as(make.teacher())
    data = {"name": "CS Period 5", "term": "2026 T3", "period": "5", "leaderboard_enabled": ""}
    response = post_form(client, "/admin/classroom/new/", data)
    classroom = db.session.scalar(select(Classroom).where(Classroom.name == "CS Period 5"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/classroom/next-steps/?id={classroom.id}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Next steps for CS Period 5" in page
    assert "Share the join code" in page
    assert f'class="join-code-large" value="{classroom.join_code}" readonly' in page
    assert "http://localhost/accounts/join" in page
    assert f'href="/admin/roster-import/?classroom={classroom.id}"' in page
    assert f'href="/admin/assignment/new/?classroom={classroom.id}"' in page
    assert "This classroom has 0 students." in page


def test_the_next_steps_of_someone_elses_classroom_are_not_found(client, school, login_as):
    login_as(school.teacher)
    url = f"/admin/classroom/next-steps/?id={school.other_classroom.id}"
    assert client.get(url).status_code == 404


def test_saving_an_edited_classroom_returns_to_the_list(client, school, login_as):
    login_as(school.teacher)
    url = f"/admin/classroom/edit/?id={school.classroom.id}"
    data = {"name": "Renamed", "term": "2027 T1", "period": "5"}
    response = post_form(client, url, data)
    assert "next-steps" not in response.headers["Location"]
