"""The teacher home one classroom at a time, when students were last seen, asking before a
password reset or a bulk action, moments without seconds, and the audit log in words."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from flask_security import verify_password
from helpers import PASSWORD, post_form

from quest_platform.models import ApiToken, Classroom, utcnow
from quest_platform.services.accounts import set_language


def text_of(response) -> str:
    """The page's text, its narrow no-break spaces (English "2:05\u202fPM") as plain ones."""
    return response.get_data(as_text=True).replace("\u202f", " ")


# One classroom at a time


def test_the_home_shows_the_newest_classroom_and_lists_the_others(client, db, make, login_as):
    teacher = make.teacher()
    old_student, new_student = make.student(), make.student()
    older = make.classroom(teachers=[teacher], students=[old_student])
    newer = make.classroom(teachers=[teacher], students=[new_student])
    older.created_at = utcnow() - timedelta(days=30)
    db.session.commit()
    login_as(teacher)

    page = text_of(client.get("/admin/"))
    # Only the newest classroom's roster and join code; both classrooms in the list, newest first.
    assert new_student.display_name in page
    assert newer.join_code in page
    assert old_student.display_name not in page
    assert older.join_code not in page
    links = re.findall(r'<a class="classroom-tab" href="/admin/\?classroom=(\d+)"', page)
    assert links == [str(newer.id), str(older.id)]
    assert f'href="/admin/?classroom={newer.id}" aria-current="page"' in page


def test_a_classroom_of_the_home_has_its_own_address(client, make, login_as):
    teacher = make.teacher()
    old_student, new_student = make.student(), make.student()
    older = make.classroom(teachers=[teacher], students=[old_student])
    make.classroom(teachers=[teacher], students=[new_student])
    make.assignment(quest=make.quest(), classroom=older, by=teacher)
    login_as(teacher)

    page = text_of(client.get(f"/admin/?classroom={older.id}"))
    assert old_student.display_name in page
    assert new_student.display_name not in page
    assert f'href="/admin/?classroom={older.id}" aria-current="page"' in page
    # The dashboard's quest picker keeps the classroom.
    assert f'<input type="hidden" name="classroom" value="{older.id}">' in page


def test_the_home_of_many_classrooms_reads_one_roster(client, make, login_as):
    teacher = make.teacher()
    for _ in range(4):
        make.classroom(teachers=[teacher], students=[make.student(), make.student()])
    login_as(teacher)
    page = text_of(client.get("/admin/"))
    assert page.count("<caption>2 students in") == 1


# When a student was last seen


def test_a_student_who_works_without_signing_in_here_was_seen_at_their_last_attempt(
    client, make, login_as
):
    # Imported students signed in elsewhere (the API) and never through the sign-in page.
    teacher, student = make.teacher(), make.student()
    classroom = make.classroom(teachers=[teacher], students=[student])
    quest = make.quest()
    make.assignment(quest=quest, classroom=classroom, by=teacher)
    for day in (2, 4):
        moment = datetime(2026, 3, day, 15, 7, 9, 123456, tzinfo=UTC)
        make.attempt(student=student, quest=quest, position=2, submitted_at=moment)
    assert student.current_login_at is None
    login_as(teacher)
    page = text_of(client.get("/admin/"))
    row = page[page.index(student.display_name) :]
    row = row[: row.index("</tr>")]
    assert "Mar 4, 2026, 3:07 PM" in row
    assert "Never" not in row


def test_a_student_seen_only_through_an_api_token_was_seen(client, db, make, login_as):
    teacher, student = make.teacher(), make.student()
    make.classroom(teachers=[teacher], students=[student])
    db.session.add(
        ApiToken(
            user_id=student.id,
            name="laptop",
            prefix="qp_abc",
            digest="0" * 64,
            expires_at=utcnow() + timedelta(days=30),
            last_used_at=datetime(2026, 5, 6, 7, 8, tzinfo=UTC),
        )
    )
    db.session.commit()
    login_as(teacher)
    assert "May 6, 2026, 7:08 AM" in text_of(client.get("/admin/"))
    users = text_of(client.get("/admin/user/"))
    assert "May 6, 2026, 7:08 AM" in users
    assert "Last seen" in users
    seen_long_ago = client.get("/admin/user/", query_string={"flt0_last_seen": "older"})
    assert f"<td>{student.username}</td>" in text_of(seen_long_ago)


def test_a_student_never_seen_reads_never(client, make, login_as):
    teacher, student = make.teacher(), make.student()
    make.classroom(teachers=[teacher], students=[student])
    login_as(teacher)
    page = text_of(client.get("/admin/"))
    row = page[page.index(student.display_name) :]
    assert "Never" in row[: row.index("</tr>")]


# Asking before a password reset


def test_a_password_reset_asks_first_and_changes_nothing_until_confirmed(
    client, db, school, login_as
):
    login_as(school.teacher)
    url = f"/admin/students/{school.student.id}/reset-password"
    question = client.get(url)
    assert question.status_code == 200
    assert f"Reset the password of {school.student.display_name}?" in text_of(question)
    assert "signed out everywhere" in text_of(question)

    unconfirmed = post_form(client, url, {}, form_page=url)
    assert unconfirmed.status_code == 200
    assert "Reset the password of" in text_of(unconfirmed)
    db.session.refresh(school.student)
    assert verify_password(PASSWORD, school.student.password)
    assert not school.student.must_change_password

    confirmed = post_form(client, url, {"confirmed": "yes"}, form_page=url)
    assert "It is shown only once" in text_of(confirmed)
    db.session.refresh(school.student)
    assert not verify_password(PASSWORD, school.student.password)


def test_the_roster_leads_to_the_question_not_straight_to_a_reset(client, school, login_as):
    login_as(school.teacher)
    page = text_of(client.get("/admin/"))
    reset = f"/admin/students/{school.student.id}/reset-password?classroom={school.classroom.id}"
    assert f'href="{reset}"' in page
    assert f'action="/admin/students/{school.student.id}/reset-password"' not in page


# Bulk actions


def test_the_bulk_menu_starts_on_a_neutral_choice(client, school, login_as):
    login_as(school.teacher)
    page = text_of(client.get("/admin/classroom/"))
    menu = page[page.index('<select id="admin-action" name="action">') :]
    first = re.search(r"<option value=\"([^\"]*)\">([^<]*)</option>", menu)
    assert first.groups() == ("", "Choose an action…")


def test_a_bulk_action_without_a_choice_does_nothing_and_says_so(client, db, make, login_as):
    teacher = make.teacher()
    empty = make.classroom(teachers=[teacher])
    login_as(teacher)
    response = post_form(
        client,
        "/admin/classroom/action/",
        {"action": "", "rowid": str(empty.id), "url": "/admin/classroom/"},
        form_page="/admin/classroom/",
        follow_redirects=True,
    )
    assert "Choose an action for the selected rows." in text_of(response)
    assert db.session.get(Classroom, empty.id) is not None


def test_a_bulk_delete_asks_first_and_deletes_only_once_confirmed(client, db, make, login_as):
    teacher = make.teacher()
    empty = make.classroom(teachers=[teacher]).id
    login_as(teacher)
    data = {"action": "delete", "rowid": str(empty), "url": "/admin/classroom/"}
    question = post_form(client, "/admin/classroom/action/", data, form_page="/admin/classroom/")
    assert question.status_code == 200
    page = text_of(question)
    assert "Are you sure you want to delete selected records?" in page
    assert "1 row selected." in page
    assert f'<input type="hidden" name="rowid" value="{empty}">' in page
    assert '<input type="hidden" name="confirmed" value="yes">' in page
    db.session.expire_all()
    assert db.session.get(Classroom, empty) is not None

    post_form(
        client,
        "/admin/classroom/action/",
        {**data, "confirmed": "yes"},
        form_page="/admin/classroom/",
    )
    db.session.expire_all()
    assert db.session.get(Classroom, empty) is None


# Moments


def test_admin_lists_and_details_show_moments_to_the_minute(client, db, school, make, login_as):
    school.student.created_at = datetime(2026, 12, 6, 14, 5, 7, 123456, tzinfo=UTC)
    db.session.commit()
    moment = datetime(2026, 12, 6, 14, 9, 7, 654321, tzinfo=UTC)
    make.attempt(student=school.student, quest=school.quest, position=2, submitted_at=moment)
    login_as(school.teacher)
    details = text_of(client.get(f"/admin/user/details/?id={school.student.id}"))
    assert "Dec 6, 2026, 2:05 PM" in details
    attempts = text_of(client.get("/admin/attempt/"))
    assert "Dec 6, 2026, 2:09 PM" in attempts
    for page in (details, attempts):
        assert not re.search(r":\d\d:\d\d|\.\d{6}", page)


def test_moments_read_as_the_language_writes_them(client, db, school, login_as):
    school.student.created_at = datetime(2026, 12, 6, 14, 5, 7, 123456, tzinfo=UTC)
    db.session.commit()
    set_language(user=school.teacher, language="es")
    login_as(school.teacher)
    details = text_of(client.get(f"/admin/user/details/?id={school.student.id}"))
    # Spanish for the Americas: "6 dic 2026, 2:05 p.m." (on the teacher's clock, here UTC).
    assert "6 dic 2026, 2:05" in details
    assert "p.m." in details
    assert "14:05:07" not in details


# The audit log in words


def test_the_audit_log_reads_actions_and_tables_in_spanish(client, db, school, login_as):
    set_language(user=school.teacher, language="es")
    login_as(school.teacher)
    page = text_of(client.get("/admin/audit/"))
    assert "<td>Creado</td>" in page
    assert "<td>Asignación de misión</td>" in page
    assert "<td>create</td>" not in page
    assert "quest_assignment</td>" not in page
    # The filters offer the same words, keeping the recorded value in the address.
    assert '<option value="create">Creado</option>' in page
    assert '<option value="quest_assignment">Asignación de misión</option>' in page
    details = text_of(client.get(f"/admin/audit/details/?id={school.audit_entry.id}"))
    assert f"Asignación de misión #{school.assignment.id}: Creado" in details


def test_the_audit_log_reads_actions_and_tables_as_the_admin_names_them(client, school, login_as):
    login_as(school.teacher)
    page = text_of(client.get("/admin/audit/"))
    assert "<td>Created</td>" in page
    assert "<td>Quest assignment</td>" in page
