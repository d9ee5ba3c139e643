"""Every route has an access rule, proven for every kind of person (flaw 5 of SEED_SYSTEM.md).

The table below names, for each route and method, what each of six people gets: a visitor, a
student, a student of another class, the teacher of that student's class, a teacher of another
class and an administrator. Routes with ids are exercised on the student and the classroom of the
first teacher, and on ids that do not exist. A route added to the app without a line in the
table fails ``test_every_route_has_an_access_rule``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from helpers import csrf_token

ROLES = ("anonymous", "student", "other_student", "teacher", "other_teacher", "admin")
# Static files are public by design; every other rule must be in the table.
STATIC_ENDPOINTS = frozenset({"static", "admin.static", "security.static"})
MISSING_ID = 999_999


@dataclass(frozen=True)
class Expect:
    """An expected answer: a status and, for a redirect, the path it leads to."""

    status: int
    location: str | None = None

    def __str__(self) -> str:
        return f"{self.status}" + (f" -> {self.location}" if self.location else "")


OK = Expect(200)
INVALID = Expect(422)
TO_LOGIN = Expect(302, "/login")
TO_HOME = Expect(302, "/")
TO_START = Expect(302, "/start")
TO_PROFILE = Expect(302, "/accounts/profile")
TO_TEACHER_HOME = Expect(302, "/admin/")
TO_CLASSROOMS = Expect(302, "/admin/classroom/")
TO_USERS = Expect(302, "/admin/user/")
FORBIDDEN = Expect(403)
NOT_FOUND = Expect(404)
NOT_ALLOWED = Expect(405)


@dataclass(frozen=True)
class Access:
    """What each person gets from one request to a route.

    ``other_student`` and ``other_teacher`` get what ``student`` and ``teacher`` get unless
    given. ``ids`` is "own" (the first teacher's student and classroom) or "missing"; they
    fill ``<int:student_id>`` and ``<int:classroom_id>`` in the rule, and ``{student_id}`` and
    ``{classroom_id}`` in ``query`` (Flask-Admin passes record ids in the query string) and
    ``data``.
    """

    method: str
    rule: str
    anonymous: Expect
    student: Expect
    teacher: Expect
    admin: Expect
    other_student: Expect | None = None
    other_teacher: Expect | None = None
    ids: str = "own"
    data: dict[str, str] = field(default_factory=dict)
    query: str = ""

    def __str__(self) -> str:
        query = f"?{self.query}" if self.query else ""
        return f"{self.method} {self.rule}{query}" + (
            " (missing id)" if self.ids == "missing" else ""
        )

    def expected(self, role: str) -> Expect:
        if role == "other_student":
            return self.other_student or self.student
        if role == "other_teacher":
            return self.other_teacher or self.teacher
        return getattr(self, role)

    def ids_of(self, school: Any) -> dict[str, str]:
        own = self.ids == "own"
        return {
            "student_id": str(school.student.id if own else MISSING_ID),
            "classroom_id": str(school.classroom.id if own else MISSING_ID),
        }

    def url(self, school: Any) -> str:
        ids = self.ids_of(school)
        path = (
            self.rule.replace("<int:student_id>", ids["student_id"])
            .replace("<int:classroom_id>", ids["classroom_id"])
            .replace("<export_type>", "csv")
        )
        return path + (f"?{self.query.format(**ids)}" if self.query else "")

    def form_data(self, school: Any) -> dict[str, str]:
        ids = self.ids_of(school)
        return {name: value.format(**ids) for name, value in self.data.items()}


def everyone(method: str, rule: str, expect: Expect, **kwargs: Any) -> Access:
    return Access(method, rule, expect, expect, expect, expect, **kwargs)


def staff_only(method: str, rule: str, teacher: Expect, **kwargs: Any) -> Access:
    return Access(
        method, rule, TO_LOGIN, FORBIDDEN, teacher, kwargs.pop("admin", teacher), **kwargs
    )


STUDENT_ID_RULE = "/admin/students/<int:student_id>/reset-password"
CLASSROOM_ID_RULE = "/admin/classrooms/<int:classroom_id>/join-code"

DETAILS = "/admin/{}/details/"
EDIT = "/admin/{}/edit/"
CLASSROOM = "id={classroom_id}"
STUDENT = "id={student_id}"
CLASS_ID = {"id": "{classroom_id}"}
STUDENT_DATA = {"id": "{student_id}"}
NEW_CODE = {"action": "new_join_code", "rowid": "{classroom_id}"}
DEACTIVATE = {"action": "deactivate", "rowid": "{student_id}"}

# Columns: method, rule, then what a visitor, a student, a teacher and an admin get; the student
# and teacher of the other classroom get the same unless named.
ACCESS = [
    # Public pages
    everyone("GET", "/", OK),
    Access("GET", "/login", OK, TO_START, TO_START, TO_START),
    Access("POST", "/login", OK, TO_START, TO_START, TO_START),
    Access("GET", "/accounts/join", OK, TO_PROFILE, TO_PROFILE, TO_PROFILE),
    Access("POST", "/accounts/join", INVALID, TO_PROFILE, TO_PROFILE, TO_PROFILE),
    everyone("POST", "/language", TO_HOME, data={"language": "es", "next": "/"}),
    everyone("POST", "/logout", TO_HOME),
    # Signed-in pages, for everyone who is signed in
    Access("GET", "/accounts/profile", TO_LOGIN, OK, OK, OK),
    Access("POST", "/accounts/profile", TO_LOGIN, TO_PROFILE, TO_PROFILE, TO_PROFILE),
    Access("GET", "/start", TO_LOGIN, TO_PROFILE, TO_TEACHER_HOME, TO_TEACHER_HOME),
    Access("GET", "/change", TO_LOGIN, OK, OK, OK),
    Access("POST", "/change", TO_LOGIN, OK, OK, OK),
    Access("GET", "/verify", TO_LOGIN, OK, OK, OK),
    Access("POST", "/verify", TO_LOGIN, OK, OK, OK),
    # Staff pages: the teacher home, and actions on the first teacher's student and classroom
    staff_only("GET", "/admin/", OK),
    staff_only("POST", STUDENT_ID_RULE, OK, other_teacher=FORBIDDEN),
    staff_only("POST", STUDENT_ID_RULE, NOT_FOUND, ids="missing"),
    staff_only("POST", CLASSROOM_ID_RULE, TO_TEACHER_HOME, other_teacher=FORBIDDEN),
    staff_only("POST", CLASSROOM_ID_RULE, NOT_FOUND, ids="missing"),
    # Admin classrooms: a teacher reaches their own; another teacher's are missing (404)
    staff_only("GET", "/admin/classroom/", OK),
    staff_only("GET", "/admin/classroom/new/", OK),
    staff_only("POST", "/admin/classroom/new/", OK),  # an empty form comes back with errors
    staff_only("GET", DETAILS.format("classroom"), OK, other_teacher=NOT_FOUND, query=CLASSROOM),
    staff_only("GET", DETAILS.format("classroom"), NOT_FOUND, query=CLASSROOM, ids="missing"),
    staff_only("GET", EDIT.format("classroom"), OK, other_teacher=NOT_FOUND, query=CLASSROOM),
    staff_only("GET", EDIT.format("classroom"), NOT_FOUND, query=CLASSROOM, ids="missing"),
    staff_only("POST", EDIT.format("classroom"), OK, other_teacher=NOT_FOUND, query=CLASSROOM),
    # The classroom has a student, so deleting it is refused with a message on the list.
    staff_only(
        "POST", "/admin/classroom/delete/", TO_CLASSROOMS, other_teacher=NOT_FOUND, data=CLASS_ID
    ),
    staff_only("POST", "/admin/classroom/delete/", NOT_FOUND, data=CLASS_ID, ids="missing"),
    staff_only("POST", "/admin/classroom/action/", TO_CLASSROOMS, data=NEW_CODE),
    staff_only("GET", "/admin/classroom/export/<export_type>/", OK),
    # No relationship field is looked up by ajax yet, and no column is edited in the list.
    staff_only("GET", "/admin/classroom/ajax/lookup/", NOT_FOUND),
    staff_only("POST", "/admin/classroom/ajax/update/", NOT_FOUND),
    # Admin users: a teacher reaches their own students; accounts are not created or deleted here
    staff_only("GET", "/admin/user/", OK),
    staff_only("GET", "/admin/user/new/", TO_USERS),
    staff_only("POST", "/admin/user/new/", TO_USERS),
    staff_only("GET", DETAILS.format("user"), OK, other_teacher=NOT_FOUND, query=STUDENT),
    staff_only("GET", DETAILS.format("user"), NOT_FOUND, query=STUDENT, ids="missing"),
    staff_only("GET", EDIT.format("user"), OK, other_teacher=NOT_FOUND, query=STUDENT),
    staff_only("GET", EDIT.format("user"), NOT_FOUND, query=STUDENT, ids="missing"),
    staff_only("POST", EDIT.format("user"), OK, other_teacher=NOT_FOUND, query=STUDENT),
    staff_only("POST", "/admin/user/delete/", TO_USERS, data=STUDENT_DATA),
    staff_only("POST", "/admin/user/action/", TO_USERS, data=DEACTIVATE),
    staff_only("GET", "/admin/user/export/<export_type>/", OK),
    staff_only("GET", "/admin/user/ajax/lookup/", NOT_FOUND),
    staff_only("POST", "/admin/user/ajax/update/", NOT_FOUND),
    # Wrong methods: state changes are never a GET, pages never accept a POST
    everyone("POST", "/", NOT_ALLOWED),
    everyone("POST", "/start", NOT_ALLOWED),
    everyone("POST", "/admin/", NOT_ALLOWED),
    everyone("GET", "/logout", NOT_ALLOWED),
    everyone("GET", "/language", NOT_ALLOWED),
    everyone("GET", STUDENT_ID_RULE, NOT_ALLOWED),
    everyone("GET", CLASSROOM_ID_RULE, NOT_ALLOWED),
    everyone("GET", "/admin/classroom/delete/", NOT_ALLOWED),
    everyone("GET", "/admin/classroom/action/", NOT_ALLOWED),
    everyone("GET", "/admin/user/delete/", NOT_ALLOWED),
    everyone("GET", "/admin/user/action/", NOT_ALLOWED),
]


def routes_of(app) -> set[tuple[str, str]]:
    """Every (rule, method) the app answers, apart from static files, HEAD and OPTIONS."""
    return {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in STATIC_ENDPOINTS
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_every_route_has_an_access_rule(app):
    in_table = {(access.rule, access.method) for access in ACCESS}
    without_rule = routes_of(app) - in_table
    assert not without_rule, f"add these routes to ACCESS: {sorted(without_rule)}"


def test_the_table_names_only_routes_that_exist(app):
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    stale = {access.rule for access in ACCESS} - rules
    assert not stale, f"ACCESS names routes the app no longer has: {sorted(stale)}"


def test_only_static_files_are_left_out(app):
    static = {rule.rule for rule in app.url_map.iter_rules() if rule.endpoint in STATIC_ENDPOINTS}
    assert static == {
        "/static/<path:filename>",
        "/admin/static/<path:filename>",
        "/fs-static/<path:filename>",
    }


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("access", ACCESS, ids=str)
def test_route_access(access, role, school, client, login_as):
    person = school.person(role)
    if person is not None:
        login_as(person)
    url = access.url(school)
    if access.method == "GET":
        response = client.get(url)
    else:
        data = {**access.form_data(school), "csrf_token": csrf_token(client, "/")}
        response = client.open(url, method=access.method, data=data)

    expected = access.expected(role)
    assert response.status_code == expected.status, f"{access} as {role}"
    if expected.location is not None:
        location = urlsplit(response.headers["Location"])
        assert location.path == expected.location, f"{access} as {role}"
        if expected is TO_LOGIN:
            # A page comes back after signing in; a refused form leads to a page, never
            # to a URL that only accepts POST.
            targets = (url,) if access.method == "GET" else (url, "/admin/")
            query = unquote(location.query)
            assert any(query.startswith(f"next={target}") for target in targets), (
                "sign-in leads back to a page"
            )
    assert "Traceback" not in response.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/static/css/site.css", "/static/favicon.svg"])
def test_static_files_are_public(client, url):
    with client.get(url) as response:
        assert response.status_code == 200
