"""Every API operation has an access rule, proven for the six people of the school.

Each line gives what a visitor, a student, a student of another class, the student's teacher,
a teacher of another class and an administrator get. Signed-in people call with their session
cookie and the course front end's ``X-Origin`` header. An operation added to the API without a
line fails ``test_every_api_operation_has_an_access_rule``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from quest_platform.services.tokens import create_api_token

ROLES = ("anonymous", "student", "other_student", "teacher", "other_teacher", "admin")
HEADERS = {"X-Origin": "client"}
WRONG_LOGIN = {"username": "nobody", "password": "not the password"}


@dataclass(frozen=True)
class Rule:
    """What each person gets from one call; the ``other_`` people default to their peer's."""

    method: str
    rule: str
    anonymous: int
    student: int
    teacher: int
    admin: int
    other_student: int | None = None
    other_teacher: int | None = None
    body: dict[str, Any] | None = None
    path: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.method} {self.rule}" + (f" {self.path}" if self.path else "")

    def expected(self, role: str) -> int:
        if role == "other_student":
            return self.other_student if self.other_student is not None else self.student
        if role == "other_teacher":
            return self.other_teacher if self.other_teacher is not None else self.teacher
        return getattr(self, role)


def everyone(method: str, rule: str, status: int, **kwargs: Any) -> Rule:
    return Rule(method, rule, status, status, status, status, **kwargs)


def signed_in(method: str, rule: str, status: int, **kwargs: Any) -> Rule:
    return Rule(method, rule, 401, status, status, status, **kwargs)


def taught(method: str, rule: str, teacher: int = 200, **kwargs: Any) -> Rule:
    """A call on the first teacher's classroom: its teacher and administrators only."""
    return Rule(method, rule, 401, 403, teacher, teacher, other_teacher=404, **kwargs)


def classmates(method: str, rule: str, **kwargs: Any) -> Rule:
    """A call on the first classroom's boards: its students, its teacher and administrators."""
    return Rule(method, rule, 401, 200, 200, 200, other_student=404, other_teacher=404, **kwargs)


def own_quest(method: str, rule: str, student: int, **kwargs: Any) -> Rule:
    """A call on the student's assigned quest: theirs alone; staff answer no quests."""
    return Rule(method, rule, 401, student, 403, 403, other_student=404, **kwargs)


QUEST = "/api/v1/quests/<slug>"
CLASSROOM = "/api/v1/classrooms/<int:classroom_id>"
BOARD = "/api/v1/leaderboards/classrooms/<int:classroom_id>"
NO_CLASSROOM = {"classroom_id": "999999"}
STAGE = f"{QUEST}/stages/<int:position>"
LESSON_DONE = {"answer": {"confirmed": True}, "submission_key": "matrix-lesson-1"}
CODE = {"code": "print(1)", "purpose": "examples"}
MESSAGES = "/api/v1/attempts/<int:attempt_id>/messages"
NO_ATTEMPT = {"attempt_id": "999999"}

RULES = [
    everyone("GET", "/api/v1/openapi.json", 200),
    everyone("GET", "/api/v1/docs", 200),
    everyone("POST", "/api/v1/session", 401, body=WRONG_LOGIN),
    signed_in("GET", "/api/v1/session", 200),
    signed_in("DELETE", "/api/v1/session", 204),
    everyone("GET", "/api/v1/session/csrf", 200),
    signed_in("GET", "/api/v1/tokens", 200),
    signed_in("POST", "/api/v1/tokens", 201, body={"name": "My site"}),
    Rule("DELETE", "/api/v1/tokens/<int:token_id>", 401, 200, 404, 404, other_student=404),
    signed_in("GET", "/api/v1/classrooms", 200),
    signed_in("GET", "/api/v1/me/points", 200),
    signed_in("GET", "/api/v1/me/achievements", 200),
    signed_in("GET", "/api/v1/me/analytics", 200),
    signed_in("GET", "/api/v1/me/profile", 200),
    signed_in("PATCH", "/api/v1/me/profile", 200, body={"theme": "dark"}),
    taught("GET", f"{CLASSROOM}/roster"),
    taught("GET", f"{CLASSROOM}/roster", 404, path=NO_CLASSROOM),
    taught("GET", f"{CLASSROOM}/progress"),
    taught("GET", f"{CLASSROOM}/predictions"),
    classmates("GET", BOARD),
    Rule("GET", BOARD, 401, 404, 404, 404, path=NO_CLASSROOM),
    classmates("GET", f"{BOARD}/quests/<slug>"),
    Rule("GET", f"{BOARD}/quests/<slug>", 401, 404, 404, 404, path={"slug": "no-such-quest"}),
    Rule("GET", "/api/v1/quests", 401, 200, 403, 403),
    own_quest("GET", QUEST, 200),
    own_quest("GET", QUEST, 404, path={"slug": "no-such-quest"}),
    own_quest("GET", f"{STAGE}/attempts", 200),
    own_quest("GET", f"{STAGE}/attempts", 404, path={"position": "9"}),
    own_quest("POST", f"{STAGE}/attempts", 201, body=LESSON_DONE),
    own_quest("POST", f"{STAGE}/start", 409),
    # Stage 1 is a lesson: it runs no code; there is no run 999999.
    own_quest("POST", f"{STAGE}/code-runs", 422, body=CODE),
    own_quest("GET", f"{STAGE}/code-runs/<int:run_id>", 404, path={"run_id": "999999"}),
    # Feedback conversations: the student's checkpoint attempt's, for them, their teacher and
    # admins; to anyone else (and for an attempt that does not exist) it is missing.
    Rule("GET", MESSAGES, 401, 200, 200, 200, other_student=404, other_teacher=404),
    Rule("GET", MESSAGES, 401, 404, 404, 404, path=NO_ATTEMPT),
    Rule(
        "POST",
        MESSAGES,
        401,
        201,
        201,
        201,
        other_student=404,
        other_teacher=404,
        body={"body": "A question about my answer"},
    ),
    # A message without its body is malformed whoever sends it (checked before anything else).
    everyone("POST", MESSAGES, 422, body={}),
    Rule(
        "POST",
        MESSAGES,
        401,
        422,
        422,
        422,
        other_student=404,
        other_teacher=404,
        body={"body": " "},
    ),
    Rule("POST", MESSAGES, 401, 404, 404, 404, path=NO_ATTEMPT, body={"body": "Hello"}),
    # Peer reviews (docs/peer-review.md): everyone signed in has their list; a submission not
    # given to the caller (here: none is) is missing. tests/quest_platform/peer_review writes one.
    signed_in("GET", "/api/v1/reviews", 200),
    signed_in(
        "POST",
        "/api/v1/reviews/<int:peer_assignment_id>",
        404,
        path={"peer_assignment_id": "999999"},
        body={"levels": [1], "comment": "Clear"},
    ),
    everyone("POST", "/api/authenticate", 401, body={"uid": "nobody", "password": "wrong"}),
    signed_in("GET", "/api/id", 200),
    signed_in("DELETE", "/api/authenticate", 200),
]


def api_operations(app) -> set[tuple[str, str]]:
    """Every (rule, method) under /api, apart from HEAD and OPTIONS."""
    return {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_every_api_operation_has_an_access_rule(app):
    in_table = {(rule.rule, rule.method) for rule in RULES}
    assert api_operations(app) - in_table == set()
    assert in_table - api_operations(app) == set()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("rule", RULES, ids=str)
def test_api_access(rule, role, school, client, login_as):
    person = school.person(role)
    if person is not None:
        login_as(person)
    token = create_api_token(user=school.student, name="Their site")
    values = {
        "slug": school.quest.slug,
        "position": "1",
        "token_id": str(token.token.id),
        "classroom_id": str(school.classroom.id),
        "attempt_id": str(school.attempt.id),
        **rule.path,
    }
    url = rule.rule
    for name, value in values.items():
        url = url.replace(f"<{name}>", value).replace(f"<int:{name}>", value)
    response = client.open(url, method=rule.method, json=rule.body, headers=HEADERS)
    assert response.status_code == rule.expected(role), f"{rule} as {role}"
    if response.status_code >= 400:
        problem = response.get_json()
        assert problem["status"] == response.status_code
        assert problem["message"]
    assert b"Traceback" not in response.get_data()
