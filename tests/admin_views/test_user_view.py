"""The users view: columns, search, filters, light edits and bulk actions, all audited."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from flask_security import verify_password
from helpers import PASSWORD, post_form
from sqlalchemy import select

from admin_views.users import LAST_SEEN_LABELS, last_seen_in
from quest_platform.models import AuditEntry, Enrollment, User, utcnow


def test_the_list_shows_roles_classrooms_and_when_last_seen(client, school, login_as):
    login_as(school.teacher)
    page = client.get("/admin/user/").get_data(as_text=True)
    assert f"<td>{school.student.username}</td>" in page
    assert f"<td>{school.classroom.name}</td>" in page
    assert "<td>Student</td>" in page
    # The student never used the sign-in page, but handed in an attempt: seen, not "Never".
    assert "Last seen" in page
    assert "<td>Never</td>" not in page


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
        {"action": "deactivate", "confirmed": "yes", "rowid": str(school.student.id)},
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
        {"action": "deactivate", "confirmed": "yes", "rowid": str(school.admin.id)},
        form_page="/admin/user/",
        follow_redirects=True,
    )
    assert "You cannot deactivate your own account." in response.get_data(as_text=True)
    db.session.expire_all()
    assert school.admin.active is True


# Bulk actions: one-time password sheets, enrolling and moving into a classroom


def bulk(client, action: str, users, **fields: str):
    """Apply a bulk action of the users list to ``users``, as the list's form sends it."""
    data = {
        "action": action,
        "confirmed": "yes",
        "rowid": [str(user.id) for user in users],
        "url": "/admin/user/",
    }
    return post_form(client, "/admin/user/action/", {**data, **fields}, form_page="/admin/user/")


def cards(response) -> dict[str, tuple[str, str, str]]:
    """The password sheet's cards: name -> (sign-in URL, username, one-time password)."""
    pattern = re.compile(
        r'<h2 id="credential-\d+">([^<]+)</h2>\s*<dl class="facts credential">\s*'
        r"<dt>Sign in at</dt><dd>([^<]+)</dd>\s*"
        r"<dt>Username</dt><dd><code>([^<]+)</code></dd>\s*"
        r"<dt>One-time password</dt><dd><code>([^<]+)</code></dd>"
    )
    found = pattern.findall(response.get_data(as_text=True))
    return {name: (url, username, password) for name, url, username, password in found}


def stylesheet(client, name: str) -> str:
    with client.get(f"/static/css/{name}") as response:
        return response.get_data(as_text=True)


def classroom_ids(db, student: User) -> set[int]:
    db.session.expire_all()
    return {enrollment.classroom_id for enrollment in student.enrollments}


def test_the_password_sheet_has_a_card_per_student_shown_once(client, db, make, login_as):
    teacher = make.teacher()
    students = [make.student(), make.student()]
    make.classroom(teachers=[teacher], students=students)
    login_as(teacher)

    response = bulk(client, "reset_passwords", students)

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    sheet = cards(response)
    assert set(sheet) == {student.display_name for student in students}
    db.session.expire_all()
    for student in students:
        url, username, password = sheet[student.display_name]
        assert (url, username) == ("http://localhost/login", student.username)
        assert verify_password(password, student.password)
        assert student.must_change_password
    # Shown once: not kept in the audit log, and not on the page that comes next.
    passwords = [password for _url, _username, password in sheet.values()]
    audit = json.dumps([[e.before, e.after] for e in db.session.scalars(select(AuditEntry))])
    following = client.get("/admin/user/").get_data(as_text=True)
    for password in passwords:
        assert password not in audit
        assert password not in following


def test_the_password_sheet_prints_cards_whole_without_navigation(client, school, login_as):
    login_as(school.teacher)
    page = bulk(client, "reset_passwords", [school.student]).get_data(as_text=True)
    assert 'class="card credential-card"' in page
    assert "css/admin.css" in page
    card_rules = stylesheet(client, "admin.css").split(".credential-card {")[1]
    assert "break-inside: avoid" in card_rules.split("}")[0]
    site = stylesheet(client, "site.css")
    assert ".site-header" in site[site.index("@media print") :]


def test_a_sheet_for_nobody_in_scope_is_not_shown(client, db, school, login_as):
    login_as(school.teacher)
    response = bulk(client, "reset_passwords", [school.other_student])
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/user/"
    page = client.get("/admin/user/").get_data(as_text=True)
    assert "No password was reset: select students of your classrooms." in page
    db.session.refresh(school.other_student)
    assert verify_password(PASSWORD, school.other_student.password)


def test_an_admin_s_sheet_skips_staff_and_says_so(client, db, school, login_as):
    login_as(school.admin)
    response = bulk(client, "reset_passwords", [school.teacher, school.student])
    assert set(cards(response)) == {school.student.display_name}
    assert "You can only reset passwords of students in your classrooms." in response.get_data(
        as_text=True
    )
    db.session.refresh(school.teacher)
    assert verify_password(PASSWORD, school.teacher.password)


def test_the_action_form_offers_only_the_teachers_classrooms(client, make, school, login_as):
    second = make.classroom(teachers=[school.teacher])
    login_as(school.teacher)
    page = client.get("/admin/user/").get_data(as_text=True)
    form = page[page.index('<select id="admin-action-classroom"') :]
    form = form[: form.index("</select>")]
    assert f'value="{school.classroom.id}"' in form
    assert f'value="{second.id}"' in form
    assert f'value="{school.other_classroom.id}"' not in form
    assert '<label for="admin-action-classroom">' in page


def test_enrolling_adds_a_classroom_and_keeps_the_others(client, db, make, school, login_as):
    second = make.classroom(teachers=[school.teacher])
    login_as(school.teacher)
    response = bulk(client, "enroll_in_classroom", [school.student], classroom=str(second.id))
    assert response.status_code == 302
    page = client.get("/admin/user/").get_data(as_text=True)
    assert f"1 student enrolled in {second.name}." in page
    assert classroom_ids(db, school.student) == {school.classroom.id, second.id}


def test_enrolling_a_student_already_there_says_so(client, db, school, login_as):
    login_as(school.teacher)
    bulk(client, "enroll_in_classroom", [school.student], classroom=str(school.classroom.id))
    page = client.get("/admin/user/").get_data(as_text=True)
    assert f"0 students enrolled in {school.classroom.name}." in page
    assert f"1 selected student was already in {school.classroom.name}." in page
    assert classroom_ids(db, school.student) == {school.classroom.id}


def test_moving_leaves_only_the_teachers_own_other_classrooms(client, db, make, school, login_as):
    second = make.classroom(teachers=[school.teacher])
    # The student also takes the other teacher's class: a move must not take them out of it.
    db.session.add(Enrollment(classroom=school.other_classroom, student=school.student))
    db.session.commit()
    login_as(school.teacher)
    bulk(client, "move_to_classroom", [school.student], classroom=str(second.id))
    page = client.get("/admin/user/").get_data(as_text=True)
    assert f"1 student moved to {second.name}." in page
    assert classroom_ids(db, school.student) == {second.id, school.other_classroom.id}
    removed = db.session.scalars(
        select(AuditEntry).where(
            AuditEntry.table_name == "enrollment", AuditEntry.action == "delete"
        )
    ).one()
    assert (removed.actor_id, removed.before["classroom_id"]) == (
        school.teacher.id,
        school.classroom.id,
    )


@pytest.mark.parametrize("action", ["enroll_in_classroom", "move_to_classroom"])
@pytest.mark.parametrize("chosen", ["none", "foreign", "missing", "not a number"])
def test_without_one_of_the_teachers_classrooms_nothing_changes(
    action, chosen, client, db, school, login_as
):
    classroom = {
        "none": "",
        "foreign": str(school.other_classroom.id),
        "missing": "999999",
        "not a number": "x",
    }[chosen]
    login_as(school.teacher)
    response = bulk(client, action, [school.student], classroom=classroom)
    assert response.status_code == 302
    page = client.get("/admin/user/").get_data(as_text=True)
    assert "Choose one of your classrooms to enroll or move students; nothing changed." in page
    assert classroom_ids(db, school.student) == {school.classroom.id}
    assert (
        db.session.scalars(select(AuditEntry).where(AuditEntry.table_name == "enrollment")).all()
        == []
    )


# The "last seen" filter


def test_the_last_seen_filter_sorts_students_by_their_latest_sign_in(client, db, make, login_as):
    teacher = make.teacher()
    now = utcnow()
    seen = {
        "never": None,
        "week": now - timedelta(days=2),
        "month": now - timedelta(days=12),
        "older": now - timedelta(days=45),
    }
    students = {period: make.student() for period in seen}
    for period, moment in seen.items():
        students[period].current_login_at = moment
    make.classroom(teachers=[teacher], students=list(students.values()))
    login_as(teacher)

    def shown(period: str) -> set[str]:
        page = client.get("/admin/user/", query_string={"flt0_last_seen": period})
        text = page.get_data(as_text=True)
        return {p for p, student in students.items() if f"<td>{student.username}</td>" in text}

    for period in seen:
        assert shown(period) == {period}, period
    assert shown("") == set(seen)


def test_the_last_seen_filter_s_periods_meet_at_7_and_30_days(db, make, app):
    student = make.student()
    now = utcnow()

    def periods(moment) -> set[str]:
        student.current_login_at = moment
        db.session.commit()
        return {
            period
            for period in LAST_SEEN_LABELS
            if db.session.scalar(select(User.id).where(User.id == student.id, last_seen_in(period)))
        }

    assert periods(now - timedelta(days=6, hours=23)) == {"week"}
    assert periods(now - timedelta(days=7, minutes=1)) == {"month"}
    assert periods(now - timedelta(days=29, hours=23)) == {"month"}
    assert periods(now - timedelta(days=30, minutes=1)) == {"older"}
    # A naive time (as Flask-Security writes them) is UTC.
    assert periods((now - timedelta(days=1)).replace(tzinfo=None)) == {"week"}


def test_the_list_offers_csv_and_xlsx_downloads(client, school, login_as):
    login_as(school.teacher)
    page = client.get("/admin/user/", query_string={"search": "student"}).get_data(as_text=True)
    assert "/admin/user/export/csv/?search=student" in page
    assert "/admin/user/export/xlsx/?search=student" in page
    assert "Download as Excel (XLSX)" in page
