"""No admin view lets a teacher see or change another teacher's data, by any path.

Two teachers each own a classroom with one student (the ``school`` fixture). For every model
view, each way data can leave it or be changed is tried as the first teacher on the second
teacher's records: the list, search, filters, details, the edit form (GET and POST), delete,
bulk actions (and the classroom they enroll or move students into), ajax lookups and the CSV and
XLSX exports. Administrators see everything, and no admin page or export ever shows a password
hash or a session uniquifier.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
from typing import Any

import pytest
from flask_security import verify_password
from helpers import PASSWORD, crawl, csrf_token, post_form, shown_moment
from openpyxl import load_workbook
from sqlalchemy import event, select

from admin_views.base import ScopedAjaxLoader
from quest_platform.models import (
    Classroom,
    Enrollment,
    Quest,
    QuestStatus,
    StageKind,
    TimeExtension,
    User,
)
from quest_platform.services.time_extensions import grant_time_extension


@dataclass(frozen=True)
class ViewCase:
    """How to exercise one admin view: its URL, records, search term and a harmless edit."""

    name: str
    own: Callable[[Any], Any]
    other: Callable[[Any], Any]
    # Text that appears wherever the record is shown (list, details, export).
    marker: Callable[[Any], str]
    # What a record is called in the first column of the list.
    title: Callable[[Any], str]
    changed: Callable[[Any], Any]
    filters: Callable[[Any], dict[str, str]]
    # A harmless edit and a bulk action; None where the view has none (read-only views), and
    # then editing and bulk actions must change nothing at all.
    edit: Callable[[Any], dict[str, str]] | None = None
    action: str | None = None

    @property
    def url(self) -> str:
        return f"/admin/{self.name}/"

    def __str__(self) -> str:
        return self.name


VIEWS = [
    ViewCase(
        name="classroom",
        own=lambda school: school.classroom,
        other=lambda school: school.other_classroom,
        marker=lambda classroom: classroom.join_code,
        title=lambda classroom: classroom.name,
        edit=lambda classroom: {"name": "Renamed", "term": "X", "period": "3"},
        changed=lambda classroom: (classroom.name, classroom.term, classroom.join_code),
        action="new_join_code",
        filters=lambda school: {},
    ),
    ViewCase(
        name="user",
        own=lambda school: school.student,
        other=lambda school: school.other_student,
        marker=lambda user: user.username,
        title=lambda user: user.display_name,
        edit=lambda user: {"display_name": "Renamed", "pseudonym": "RenamedOne", "active": ""},
        changed=lambda user: (user.display_name, user.pseudonym, user.active),
        action="deactivate",
        filters=lambda school: {"flt0_classroom": str(school.other_classroom.id)},
    ),
    # Drafts: a published quest is every teacher's to read (see the test on it below).
    ViewCase(
        name="quest",
        own=lambda school: school.draft_quest,
        other=lambda school: school.other_draft_quest,
        marker=lambda quest: quest.slug,
        title=lambda quest: quest.title,
        edit=lambda quest: {"title": "Renamed", "slug": quest.slug, "theme": "X", "summary": ""},
        changed=lambda quest: (quest.title, quest.slug, quest.status),
        action="archive",
        filters=lambda school: {"flt1_author": "others"},
    ),
    # Assignments are edited (their dates) and deleted one at a time: no bulk action.
    ViewCase(
        name="assignment",
        own=lambda school: school.assignment,
        other=lambda school: school.other_assignment,
        marker=lambda assignment: assignment.quest.title,
        title=lambda assignment: assignment.quest.title,
        edit=lambda assignment: {"opens_at": "2030-01-01T08:00", "due_at": "2030-02-01T08:00"},
        changed=lambda assignment: (assignment.opens_at, assignment.due_at),
        filters=lambda school: {"flt0_classroom": str(school.other_classroom.id)},
    ),
    # Read-only views: attempts (reviewed on their own page), achievements, the audit log.
    ViewCase(
        name="attempt",
        own=lambda school: school.attempt,
        other=lambda school: school.other_attempt,
        marker=lambda attempt: attempt.student.display_name,
        title=lambda attempt: shown_moment(attempt.submitted_at),
        changed=lambda attempt: (attempt.result, len(attempt.reviews)),
        filters=lambda school: {"flt0_classroom": str(school.other_classroom.id)},
    ),
    # Extra time is granted, never edited or deleted: no edit form, no bulk action.
    ViewCase(
        name="time-extension",
        own=lambda school: school.extension,
        other=lambda school: school.other_extension,
        marker=lambda extension: extension.reason,
        title=lambda extension: shown_moment(extension.granted_at),
        changed=lambda extension: (extension.extra_seconds, extension.reason),
        filters=lambda school: {"flt0_classroom": str(school.other_classroom.id)},
    ),
    ViewCase(
        name="award",
        own=lambda school: school.award,
        other=lambda school: school.other_award,
        marker=lambda award: award.student.display_name,
        title=lambda award: shown_moment(award.awarded_at),
        changed=lambda award: (award.student_id, award.achievement_id, award.awarded_at),
        filters=lambda school: {"flt0_classroom": str(school.other_classroom.id)},
    ),
    ViewCase(
        name="audit",
        own=lambda school: school.audit_entry,
        other=lambda school: school.other_audit_entry,
        marker=lambda entry: entry.actor.display_name,
        title=lambda entry: shown_moment(entry.at),
        changed=lambda entry: (entry.action, entry.before, entry.after),
        filters=lambda school: {"flt0_actor": str(school.other_teacher.id)},
    ),
]


def fresh(db, record: Any) -> Any:
    """The record as stored now, not as this test's session remembers it."""
    db.session.expire_all()
    return db.session.get(type(record), record.id)


def text_of(response) -> str:
    return response.get_data(as_text=True)


EXPORT_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def exported_text(response, export_type: str) -> str:
    """An export as text: the CSV itself, or every cell of the XLSX file, one row a line."""
    if export_type == "csv":
        return text_of(response)
    workbook = load_workbook(BytesIO(response.get_data()), read_only=True)
    try:
        rows = workbook.active.iter_rows(values_only=True)
        return "\n".join("\t".join("" if v is None else str(v) for v in row) for row in rows)
    finally:
        workbook.close()


@pytest.fixture
def school(school, make, db):
    """The shared school, with a draft quest by each teacher and a published one by the other."""

    def quest_by(teacher: User, slug: str, *, publish: bool) -> Quest:
        quest = make.quest(stages=6 if publish else 2, publish=publish, author=teacher, slug=slug)
        quest.title = slug.replace("-", " ").capitalize()
        db.session.commit()
        return quest

    school.draft_quest = quest_by(school.teacher, "first-teachers-draft", publish=False)
    school.other_draft_quest = quest_by(
        school.other_teacher, "second-teachers-draft", publish=False
    )
    school.other_published_quest = quest_by(
        school.other_teacher, "second-teachers-published", publish=True
    )

    def extension_for(student: User, quest: Quest, teacher: User) -> TimeExtension:
        stage = next(stage for stage in quest.stages if stage.kind == StageKind.TIMED)
        reason = f"Extra time for {student.username}"
        return grant_time_extension(
            student=student, stage=stage, extra_seconds=600, reason=reason, by=teacher
        )

    school.extension = extension_for(school.student, school.quest, school.teacher)
    school.other_extension = extension_for(
        school.other_student, school.other_quest, school.other_teacher
    )
    return school


@pytest.fixture
def as_teacher(client, school, login_as):
    login_as(school.teacher)
    return client


@pytest.mark.parametrize("view", VIEWS, ids=str)
def test_the_list_shows_only_own_records(view, as_teacher, school):
    page = text_of(as_teacher.get(view.url))
    assert view.marker(view.own(school)) in page
    assert view.marker(view.other(school)) not in page


@pytest.mark.parametrize("view", VIEWS, ids=str)
def test_search_never_finds_another_teachers_records(view, as_teacher, school):
    other = view.other(school)
    for term in (view.marker(other), view.title(other)):
        page = text_of(as_teacher.get(view.url, query_string={"search": term}))
        assert "<caption>0 records</caption>" in page, term
        assert f'<th scope="row">{view.title(other)}</th>' not in page


@pytest.mark.parametrize("view", VIEWS, ids=str)
def test_filters_never_reach_another_teachers_records(view, as_teacher, school):
    page = text_of(as_teacher.get(view.url, query_string=view.filters(school)))
    assert view.marker(view.other(school)) not in page
    # Nor do the filter choices name the other teacher's classroom.
    assert school.other_classroom.name not in page


@pytest.mark.parametrize("view", VIEWS, ids=str)
def test_details_of_another_teachers_record_are_not_found(view, as_teacher, school):
    own, other = view.own(school), view.other(school)
    assert as_teacher.get(f"{view.url}details/?id={own.id}").status_code == 200
    response = as_teacher.get(f"{view.url}details/?id={other.id}")
    assert response.status_code == 404
    assert view.marker(other) not in text_of(response)


@pytest.mark.parametrize("view", VIEWS, ids=str)
def test_editing_another_teachers_record_is_not_found_and_changes_nothing(
    view, as_teacher, school, db
):
    other = view.other(school)
    before = view.changed(other)
    url = f"{view.url}edit/?id={other.id}"
    # A read-only view has no edit page at all: back to its list, whoever the record's.
    refused = 404 if view.edit else 302
    assert as_teacher.get(url).status_code == refused
    token = csrf_token(as_teacher, view.url)
    edit = view.edit(other) if view.edit else {}
    response = as_teacher.post(url, data={**edit, "csrf_token": token})
    assert response.status_code == refused
    assert view.changed(fresh(db, other)) == before


@pytest.mark.parametrize("view", VIEWS, ids=str)
def test_deleting_another_teachers_record_changes_nothing(view, as_teacher, school, db):
    other = view.other(school)
    response = post_form(
        as_teacher, f"{view.url}delete/", {"id": str(other.id)}, form_page=view.url
    )
    # 404 where deleting is possible at all; the users view deletes nothing (back to the list).
    assert response.status_code in {302, 404}
    assert fresh(db, other) is not None


@pytest.mark.parametrize("view", VIEWS, ids=str)
def test_bulk_actions_skip_another_teachers_records(view, as_teacher, school, db):
    own, other = view.own(school), view.other(school)
    before_own, before_other = view.changed(own), view.changed(other)
    # Without a bulk action, not even Flask-Admin's own "delete" may run.
    response = post_form(
        as_teacher,
        f"{view.url}action/",
        {
            "action": view.action or "delete",
            "confirmed": "yes",
            "rowid": [str(own.id), str(other.id)],
            "url": view.url,
        },
        form_page=view.url,
    )
    assert response.status_code == 302
    assert view.changed(fresh(db, other)) == before_other
    if view.action:
        assert view.changed(fresh(db, own)) != before_own
    else:
        assert view.changed(fresh(db, own)) == before_own


@pytest.mark.parametrize("view", VIEWS, ids=str)
def test_ajax_lookups_offer_nothing(view, as_teacher, school):
    response = as_teacher.get(f"{view.url}ajax/lookup/", query_string={"name": "x", "query": ""})
    assert response.status_code == 404
    assert view.marker(view.other(school)) not in text_of(response)


@pytest.mark.parametrize("export_type", EXPORT_TYPES)
@pytest.mark.parametrize("view", VIEWS, ids=str)
def test_the_export_holds_only_own_records_and_no_secrets(view, export_type, as_teacher, school):
    response = as_teacher.get(f"{view.url}export/{export_type}/")
    assert response.status_code == 200
    assert response.mimetype == EXPORT_TYPES[export_type]
    exported = exported_text(response, export_type)
    assert view.marker(view.own(school)) in exported
    assert view.marker(view.other(school)) not in exported
    assert "$argon2" not in exported
    assert school.student.fs_uniquifier not in exported


@pytest.mark.parametrize("view", VIEWS, ids=str)
def test_an_admin_sees_every_record(view, client, school, login_as):
    login_as(school.admin)
    pages = [text_of(client.get(view.url))]
    pages += [exported_text(client.get(f"{view.url}export/{kind}/"), kind) for kind in EXPORT_TYPES]
    for page in pages:
        assert view.marker(view.own(school)) in page
        assert view.marker(view.other(school)) in page
    other = view.other(school)
    assert client.get(f"{view.url}details/?id={other.id}").status_code == 200


def test_another_teachers_published_quest_is_read_but_never_changed(as_teacher, school, db):
    quest = school.other_published_quest
    before = (quest.title, quest.slug, quest.status, len(quest.stages))
    assert quest.slug in text_of(as_teacher.get("/admin/quest/"))
    assert quest.slug in text_of(as_teacher.get("/admin/quest/export/csv/"))
    assert as_teacher.get(f"/admin/quest/details/?id={quest.id}").status_code == 200
    edit = f"/admin/quest/edit/?id={quest.id}"
    assert as_teacher.get(edit).status_code == 403
    token = csrf_token(as_teacher, "/admin/quest/")
    data = {
        "title": "Renamed",
        "slug": quest.slug,
        "theme": "X",
        "summary": "",
        "csrf_token": token,
    }
    assert as_teacher.post(edit, data=data).status_code == 403
    deleted = {"id": str(quest.id), "csrf_token": token}
    assert as_teacher.post("/admin/quest/delete/", data=deleted).status_code == 403
    for change in ("publish", "archive", "stages/1/delete", "stages/2/move"):
        data = {"csrf_token": token, "direction": "up"}
        assert as_teacher.post(f"/admin/quest/{quest.id}/{change}", data=data).status_code == 403
    archive = {"action": "archive", "confirmed": "yes", "rowid": str(quest.id), "csrf_token": token}
    assert as_teacher.post("/admin/quest/action/", data=archive).status_code == 302
    quest = fresh(db, quest)
    assert (quest.title, quest.slug, quest.status, len(quest.stages)) == before
    assert quest.status == QuestStatus.PUBLISHED


def user_action(client, action: str, users: list[Any], **fields: str) -> Any:
    data = {
        "action": action,
        "confirmed": "yes",
        "rowid": [str(user.id) for user in users],
        "url": "/admin/user/",
    }
    return post_form(client, "/admin/user/action/", {**data, **fields}, form_page="/admin/user/")


def enrolled_in(db, student: Any) -> set[int]:
    db.session.expire_all()
    query = select(Enrollment.classroom_id).where(Enrollment.student_id == student.id)
    return set(db.session.scalars(query))


def test_a_password_sheet_skips_another_teachers_students(as_teacher, school, db):
    response = user_action(as_teacher, "reset_passwords", [school.student, school.other_student])
    assert response.status_code == 200
    sheet = text_of(response)
    assert school.student.username in sheet
    assert school.other_student.username not in sheet
    assert school.other_student.display_name not in sheet
    assert verify_password(PASSWORD, fresh(db, school.other_student).password)
    assert not verify_password(PASSWORD, fresh(db, school.student).password)


@pytest.mark.parametrize("action", ["enroll_in_classroom", "move_to_classroom"])
def test_enrolling_or_moving_skips_another_teachers_students(action, as_teacher, make, school, db):
    target = make.classroom(teachers=[school.teacher])
    response = user_action(
        as_teacher, action, [school.student, school.other_student], classroom=str(target.id)
    )
    assert response.status_code == 302
    assert target.id in enrolled_in(db, school.student)
    assert enrolled_in(db, school.other_student) == {school.other_classroom.id}


@pytest.mark.parametrize("action", ["enroll_in_classroom", "move_to_classroom"])
def test_nobody_is_enrolled_or_moved_into_another_teachers_classroom(
    action, as_teacher, school, db
):
    response = user_action(
        as_teacher, action, [school.student], classroom=str(school.other_classroom.id)
    )
    assert response.status_code == 302
    assert enrolled_in(db, school.student) == {school.classroom.id}


def test_a_teacher_sees_students_but_no_staff(as_teacher, school):
    page = text_of(as_teacher.get("/admin/user/"))
    for person in (school.teacher, school.other_teacher, school.admin):
        assert f">{person.username}<" not in page
    assert as_teacher.get(f"/admin/user/details/?id={school.teacher.id}").status_code == 404


def test_a_student_of_two_classes_shows_only_the_teachers_class(as_teacher, school, db):
    db.session.add(Enrollment(classroom=school.other_classroom, student=school.student))
    db.session.commit()
    page = text_of(as_teacher.get(f"/admin/user/details/?id={school.student.id}"))
    assert school.classroom.name in page
    assert school.other_classroom.name not in page


@pytest.mark.parametrize("role", ["teacher", "admin"])
def test_no_admin_page_shows_a_password_hash_or_uniquifier(role, client, school, login_as, db):
    login_as(school.person(role))
    pages = crawl(client, "/admin/").pages
    pages |= {url: text_of(client.get(url)) for url in ("/admin/user/export/csv/", "/admin/user/")}
    xlsx = "/admin/user/export/xlsx/"
    pages[xlsx] = exported_text(client.get(xlsx), "xlsx")
    secrets = [user.fs_uniquifier for user in db.session.scalars(select(User))]
    assert any(url.startswith("/admin/user/details/") for url in pages)
    for url, page in pages.items():
        assert "$argon2" not in page, url
        for secret in secrets:
            assert secret not in page, url


def test_scoped_ajax_lookups_offer_only_rows_in_scope(school, db):
    own = school.classroom
    loader = ScopedAjaxLoader(
        "classroom", Classroom, lambda: Classroom.id == own.id, fields=["name"]
    )
    assert loader.get_list("Class") == [own]
    assert loader.get_one(school.other_classroom.id) is None
    assert loader.get_one(own.id) == own


@pytest.mark.parametrize("view", VIEWS, ids=str)
def test_a_longer_list_costs_no_more_queries(view, client, make, login_as, db):
    """Enrollment counts, roles and classrooms come with the page, not one query per row."""
    teacher = make.teacher()
    login_as(teacher)

    def queries_for_list() -> int:
        statements: list[str] = []

        def count(*args: Any) -> None:
            statements.append(args[2])

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get(view.url).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    make.classroom(teachers=[teacher], students=[make.student()])
    few = queries_for_list()
    for _ in range(3):
        make.classroom(teachers=[teacher], students=[make.student(), make.student()])
    assert queries_for_list() == few
