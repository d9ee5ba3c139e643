"""The audit log view: a teacher's own changes, each shown field by field before and after."""

from __future__ import annotations

from datetime import timedelta

from helpers import shown_moment
from sqlalchemy import select

from quest_platform.models import AuditEntry, User, utcnow
from quest_platform.services.accounts import update_account
from quest_platform.services.quests import update_assignment

LIST = "/admin/audit/"


def text_of(response) -> str:
    return response.get_data(as_text=True)


def details(entry: AuditEntry) -> str:
    return f"/admin/audit/details/?id={entry.id}"


def newest_entry(db, table: str) -> AuditEntry:
    query = select(AuditEntry).where(AuditEntry.table_name == table)
    return db.session.scalars(query.order_by(AuditEntry.id.desc())).first()


def test_a_teacher_sees_only_the_changes_they_made(client, db, school, login_as):
    update_account(
        user=school.student,
        display_name="Renamed By Admin",
        pseudonym=school.student.pseudonym,
        active=True,
        by=school.admin,
    )
    login_as(school.teacher)
    page = text_of(client.get(LIST))
    assert "<caption>1 record</caption>" in page
    assert f"<td>{school.teacher.display_name}</td>" in page
    assert "<td>Quest assignment</td>" in page
    assert school.admin.display_name not in page
    admin_entry = newest_entry(db, "user")
    assert client.get(details(admin_entry)).status_code == 404


def test_an_admin_sees_everyones_changes(client, db, school, login_as):
    login_as(school.admin)
    page = text_of(client.get(LIST))
    for teacher in (school.teacher, school.other_teacher):
        assert f"<td>{teacher.display_name}</td>" in page
    # Changes made by the platform itself (seeding, sign-up) name no person.
    assert "<td>The platform</td>" in page


def test_the_details_show_each_field_before_and_after_marking_changes_in_words(
    client, db, school, login_as
):
    due = school.assignment.due_at
    update_assignment(
        assignment=school.assignment,
        opens_at=school.assignment.opens_at,
        due_at=due + timedelta(days=3),
        by=school.teacher,
    )
    entry = newest_entry(db, "quest_assignment")
    login_as(school.teacher)
    page = text_of(client.get(details(entry)))
    assert "Quest assignment #" in page
    assert "<caption>1 field changed</caption>" in page
    changed = page[page.index('<th scope="row">due_at</th>') :].split("</tr>")[0]
    # Moments read as the rest of the admin shows them, to the minute.
    assert shown_moment(due) in changed
    assert shown_moment(due + timedelta(days=3)) in changed
    assert "<strong>Changed</strong>" in changed
    same = page[page.index('<th scope="row">quest_id</th>') :].split("</tr>")[0]
    assert "Same" in same
    assert "<strong>" not in same


def test_a_created_record_shows_its_fields_as_added(client, db, school, login_as):
    login_as(school.teacher)
    page = text_of(client.get(details(school.audit_entry)))
    assert "<strong>Added</strong>" in page
    assert "<strong>Changed</strong>" not in page


def test_the_filters_by_action_table_who_and_date(client, db, school, login_as):
    update_assignment(
        assignment=school.assignment,
        opens_at=school.assignment.opens_at,
        due_at=school.assignment.due_at + timedelta(days=1),
        by=school.teacher,
    )
    old = newest_entry(db, "quest_assignment")
    old.at = utcnow() - timedelta(days=40)
    db.session.commit()
    login_as(school.teacher)

    def count(**query: str) -> str:
        page = text_of(client.get(LIST, query_string=query))
        return page.split("<caption>")[1].split("</caption>")[0]

    assert count(flt0_action="update") == "1 record"
    assert count(flt0_action="create") == "1 record"
    assert count(flt0_table="quest_assignment") == "2 records"
    assert count(flt0_table="user") == "0 records"
    assert count(flt0_actor=str(school.teacher.id)) == "2 records"
    assert count(flt0_date="30") == "1 record"
    assert count(flt0_date="today") == "1 record"
    page = text_of(client.get(LIST))
    # The choices are the teacher's own actions and tables, and only the teacher as "who".
    assert '<option value="update">Updated</option>' in page
    assert '<option value="publish">' not in page
    assert f">{school.other_teacher.display_name}</option>" not in page


def test_no_secret_ever_shows_in_the_audit_log(client, db, school, login_as):
    update_account(
        user=school.student,
        display_name="New Name",
        pseudonym=school.student.pseudonym,
        active=False,
        by=school.admin,
    )
    # An entry written before secrets were stripped (or by a careless caller) still hides them.
    student = db.session.get(User, school.student.id)
    db.session.add(
        AuditEntry(
            actor_id=school.admin.id,
            action="update",
            table_name="user",
            record_id=str(student.id),
            before={"password": student.password, "fs_uniquifier": student.fs_uniquifier},
            after={"password": "$argon2id$v=19$not-shown", "display_name": "New Name"},
        )
    )
    db.session.commit()
    login_as(school.admin)
    pages = [text_of(client.get(LIST)), text_of(client.get(f"{LIST}export/csv/"))]
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.table_name == "user"))
    pages += [text_of(client.get(details(entry))) for entry in entries]
    secrets = [user.fs_uniquifier for user in db.session.scalars(select(User))]
    for page in pages:
        assert "$argon2" not in page
        assert '<th scope="row">password</th>' not in page
        for secret in secrets:
            assert secret not in page


def test_the_log_is_never_changed_from_here(client, school, login_as):
    login_as(school.admin)
    page = text_of(client.get(details(school.audit_entry)))
    assert "/admin/audit/edit/" not in page
    assert "/admin/audit/delete/" not in page
