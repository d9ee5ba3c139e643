"""No admin view lets a teacher see or change another teacher's data, by any path.

Two teachers each own a classroom with one student (the ``school`` fixture). For every model
view, each way data can leave it or be changed is tried as the first teacher on the second
teacher's records: the list, search, filters, details, the edit form (GET and POST), delete,
bulk actions, ajax lookups and the CSV export. Administrators see everything, and no admin page
ever shows a password hash or a session uniquifier.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from helpers import crawl, csrf_token, post_form
from sqlalchemy import event, select

from admin_views.base import ScopedAjaxLoader
from quest_platform.models import Classroom, Enrollment, User


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
    edit: Callable[[Any], dict[str, str]]
    changed: Callable[[Any], Any]
    action: str
    filters: Callable[[Any], dict[str, str]]

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
]


def fresh(db, record: Any) -> Any:
    """The record as stored now, not as this test's session remembers it."""
    db.session.expire_all()
    return db.session.get(type(record), record.id)


def text_of(response) -> str:
    return response.get_data(as_text=True)


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
    assert as_teacher.get(url).status_code == 404
    token = csrf_token(as_teacher, view.url)
    response = as_teacher.post(url, data={**view.edit(other), "csrf_token": token})
    assert response.status_code == 404
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
    response = post_form(
        as_teacher,
        f"{view.url}action/",
        {"action": view.action, "rowid": [str(own.id), str(other.id)], "url": view.url},
        form_page=view.url,
    )
    assert response.status_code == 302
    assert view.changed(fresh(db, other)) == before_other
    assert view.changed(fresh(db, own)) != before_own


@pytest.mark.parametrize("view", VIEWS, ids=str)
def test_ajax_lookups_offer_nothing(view, as_teacher, school):
    response = as_teacher.get(f"{view.url}ajax/lookup/", query_string={"name": "x", "query": ""})
    assert response.status_code == 404
    assert view.marker(view.other(school)) not in text_of(response)


@pytest.mark.parametrize("view", VIEWS, ids=str)
def test_the_export_holds_only_own_records_and_no_secrets(view, as_teacher, school):
    response = as_teacher.get(f"{view.url}export/csv/")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    exported = text_of(response)
    assert view.marker(view.own(school)) in exported
    assert view.marker(view.other(school)) not in exported
    assert "$argon2" not in exported
    assert school.student.fs_uniquifier not in exported


@pytest.mark.parametrize("view", VIEWS, ids=str)
def test_an_admin_sees_every_record(view, client, school, login_as):
    login_as(school.admin)
    for url in (view.url, f"{view.url}export/csv/"):
        page = text_of(client.get(url))
        assert view.marker(view.own(school)) in page
        assert view.marker(view.other(school)) in page
    other = view.other(school)
    assert client.get(f"{view.url}details/?id={other.id}").status_code == 200


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
