"""Every route has an access rule, proven for every kind of person (flaw 5 of SEED_SYSTEM.md).

The table below names, for each route and method, what each of seven people gets: a visitor, a
student, their classmate in another team, a student of another class, the teacher of that student's
class, a teacher of another class and an administrator. Routes with ids are exercised on the
student, the classroom and a published quest (and its second stage) of the first teacher, and on
ids that do not exist. A route added to the app without a line in the table fails
``test_every_route_has_an_access_rule``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from helpers import csrf_token
from PIL import Image

from quest_platform.extensions import db
from quest_platform.models import (
    CodeRace,
    Enrollment,
    PeerReview,
    PeerReviewAssignment,
    StageKind,
    utcnow,
)
from quest_platform.services.evidence import Screenshot, check_screenshot, keep_screenshot
from quest_platform.services.feedback import post_message
from quest_platform.services.games import join_game, open_game
from quest_platform.services.office_hours import book_slot, offer_slots
from quest_platform.services.portfolios import share_portfolio
from quest_platform.services.teams import create_team
from quest_platform.services.time_extensions import grant_time_extension

ROLES = (
    "anonymous",
    "student",
    "other_team_student",
    "other_student",
    "teacher",
    "other_teacher",
    "admin",
)
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
TO_QUEST_MAP = Expect(302, "/quests")
TO_FIRST_STAGE = Expect(302, "/quests/{slug}/1")
TO_PORTAL_QUEST = Expect(302, "/quests/{slug}")
TO_PROFILE = Expect(302, "/accounts/profile")
TO_TEACHER_HOME = Expect(302, "/admin/")
TO_CLASSROOMS = Expect(302, "/admin/classroom/")
TO_USERS = Expect(302, "/admin/user/")
TO_QUESTS = Expect(302, "/admin/quest/")
TO_ASSIGNMENTS = Expect(302, "/admin/assignment/")
TO_ATTEMPTS = Expect(302, "/admin/attempt/")
TO_ATTEMPT = Expect(302, "/admin/attempt/details/")
TO_AWARDS = Expect(302, "/admin/award/")
TO_AUDIT = Expect(302, "/admin/audit/")
TO_EXTENSIONS = Expect(302, "/admin/time-extension/")
TO_QUEST = Expect(302, "/admin/quest/details/")
FORBIDDEN = Expect(403)
NOT_FOUND = Expect(404)
NOT_ALLOWED = Expect(405)
# A record of the student's own (their attempt, its evidence and conversation), for them, their
# teacher and admins: missing for a classmate in another team, a student or teacher of another
# class.
ONLY_THE_STUDENTS_CLASS = {
    "other_student": NOT_FOUND,
    "other_team_student": NOT_FOUND,
    "other_teacher": NOT_FOUND,
}


@dataclass(frozen=True)
class Access:
    """What each person gets from one request to a route.

    ``other_student``, ``other_team_student`` and ``other_teacher`` get what ``student`` and
    ``teacher`` get unless given. ``ids`` is "own" (the first teacher's student, classroom and
    published quest, with its second stage; the first classroom's assignment, an attempt of its
    student, their achievement, the extra time the teacher gave them, the teacher's audit entry,
    and the classroom's code race and live game) or "missing"; they fill ``<int:student_id>``,
    ``<int:classroom_id>``, ``<int:quest_id>`` and ``<int:position>`` in the rule, and the same
    names in braces in ``query`` (Flask-Admin passes record ids in the query string) and ``data``.
    ``<slug>`` is the slug of the quest assigned to the first classroom (or one that does not
    exist), and a redirect's location may name the ids in braces too.
    """

    method: str
    rule: str
    anonymous: Expect
    student: Expect
    teacher: Expect
    admin: Expect
    other_student: Expect | None = None
    other_teacher: Expect | None = None
    other_team_student: Expect | None = None
    ids: str = "own"
    data: dict[str, str] = field(default_factory=dict)
    query: str = ""

    def __str__(self) -> str:
        query = f"?{self.query}" if self.query else ""
        action = f" [{self.data['action']}]" if "action" in self.data else ""
        return f"{self.method} {self.rule}{query}{action}" + (
            " (missing id)" if self.ids == "missing" else ""
        )

    def expected(self, role: str) -> Expect:
        if role == "other_student":
            return self.other_student or self.student
        if role == "other_team_student":
            return self.other_team_student or self.student
        if role == "other_teacher":
            return self.other_teacher or self.teacher
        return getattr(self, role)

    def ids_of(self, school: Any) -> dict[str, str]:
        own = self.ids == "own"
        return {
            "student_id": str(school.student.id if own else MISSING_ID),
            "classroom_id": str(school.classroom.id if own else MISSING_ID),
            "quest_id": str(school.teacher_quest.id if own else MISSING_ID),
            "assignment_id": str(school.assignment.id if own else MISSING_ID),
            "attempt_id": str(school.attempt.id if own else MISSING_ID),
            "award_id": str(school.award.id if own else MISSING_ID),
            "audit_id": str(school.audit_entry.id if own else MISSING_ID),
            "extension_id": str(school.extension.id if own else MISSING_ID),
            "evidence_id": str(school.evidence.id if own else MISSING_ID),
            "race_id": str(school.race.id if own else MISSING_ID),
            "game_id": str(school.game.id if own else MISSING_ID),
            "game_code": school.game.code if own else "000000",
            "position": "2",
            "slug": school.quest.slug if own else "no-such-quest",
            "assigned_quest_id": str(school.quest.id if own else MISSING_ID),
            "other_classroom_id": str(school.other_classroom.id),
            "team_id": str(school.team.id if own else MISSING_ID),
            "message_id": str(school.message.id if own else MISSING_ID),
            **peer_review_ids(school, own=own),
            "slot_id": str(school.slot.id if own else MISSING_ID),
            "booking_id": str(school.booking.id if own else MISSING_ID),
            "portfolio_token": school.portfolio_token if own else "no-such-link",
        }

    def url(self, school: Any) -> str:
        ids = self.ids_of(school)
        path = (
            self.rule.replace("<int:student_id>", ids["student_id"])
            .replace("<int:classroom_id>", ids["classroom_id"])
            .replace("<int:quest_id>", ids["quest_id"])
            .replace("<int:position>", ids["position"])
            .replace("<slug>", ids["slug"])
            .replace("<int:evidence_id>", ids["evidence_id"])
            .replace("<int:race_id>", ids["race_id"])
            .replace("<int:game_id>", ids["game_id"])
            .replace("<int:attempt_id>", ids["attempt_id"])
            .replace("<int:message_id>", ids["message_id"])
            .replace("<int:peer_assignment_id>", ids["peer_assignment_id"])
            .replace("<int:review_id>", ids["peer_review_id"])
            .replace("<int:slot_id>", ids["slot_id"])
            .replace("<int:booking_id>", ids["booking_id"])
            .replace("<code>", ids["game_code"])
            .replace("<token>", ids["portfolio_token"])
            .replace("<stored_name>", "no-such-image.png")
            .replace("<fmt>", "csv")
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
STUDENT_INSIGHTS = "/admin/students/<int:student_id>/insights"
CLASSROOM_ID_RULE = "/admin/classrooms/<int:classroom_id>/join-code"
CLASSROOM_ANALYTICS = "/admin/classrooms/<int:classroom_id>/analytics"

DETAILS = "/admin/{}/details/"
EDIT = "/admin/{}/edit/"
CLASSROOM = "id={classroom_id}"
STUDENT = "id={student_id}"
CLASS_ID = {"id": "{classroom_id}"}
STUDENT_DATA = {"id": "{student_id}"}
NEW_CODE = {"action": "new_join_code", "confirmed": "yes", "rowid": "{classroom_id}"}
DEACTIVATE = {"action": "deactivate", "confirmed": "yes", "rowid": "{student_id}"}
RESET_PASSWORDS = {"action": "reset_passwords", "confirmed": "yes", "rowid": "{student_id}"}
ENROLL = {
    "action": "enroll_in_classroom",
    "confirmed": "yes",
    "rowid": "{student_id}",
    "classroom": "{classroom_id}",
}
MOVE = {
    "action": "move_to_classroom",
    "confirmed": "yes",
    "rowid": "{student_id}",
    "classroom": "{classroom_id}",
}
ROSTER_IMPORT = "/admin/roster-import/"
NOTEBOOKS = "/admin/notebooks/"
PICK_CLASS = {"classroom": "{classroom_id}"}
NO_STUDENTS = {"classroom": "{classroom_id}", "roster": "first name,last name,username"}
ONE_SIGN_IN = {
    "credentials-0-display_name": "Ana Lee",
    "credentials-0-username": "ana.lee",
    "credentials-0-password": "abcd-efgh-jkmn",
}
QUEST = "id={quest_id}"
QUEST_DATA = {"id": "{quest_id}"}
ARCHIVE = {"action": "archive", "confirmed": "yes", "rowid": "{quest_id}"}
UP = {"direction": "up"}
QUEST_RULE = "/admin/quest/<int:quest_id>"
STAGE_NEW = f"{QUEST_RULE}/stages/new"
STAGE_RULE = f"{QUEST_RULE}/stages/<int:position>"
ASSIGNMENT = "id={assignment_id}"
ATTEMPT = "id={attempt_id}"
REVIEW = "/admin/attempt/review/"
GOOD_REVIEW = {"score": "8", "outcome": "passed", "reason": "Clear evidence."}
EXTENSIONS = "time-extension"
EXTRA_TIME = f"/admin/{EXTENSIONS}/"
EXTENSION = "id={extension_id}"
EXTENSION_DATA = {"id": "{extension_id}"}
TEAMS = "/admin/teams/"
TEAM = "id={team_id}"
TEAM_ID = {"id": "{team_id}"}
TO_TEAMS = Expect(302, TEAMS)
TO_TEAM = Expect(302, "/admin/teams/details/")
NEW_TEAM = {"classroom": "{classroom_id}", "name": "Second team"}
RENAME = {"name": "Renamed team", "scrum_master": "{student_id}"}
ADD_TO_TEAM = {"team": "{team_id}", "student": "{student_id}"}
OUT_OF_TEAM = {"team": "{team_id}", "student": "{student_id}", "to": ""}
FORM_TEAMS = {"classroom": "{classroom_id}", "method": "random", "size": "6"}
GITHUB_LINK = "/accounts/profile/github"
USER_GITHUB = "/admin/user/github/"
CLASSROOM_GITHUB = "/admin/classroom/github/"
GITHUB_HOOK = "/hooks/github/<int:classroom_id>"
GITHUB_LOGIN = {"github_username": "octocat"}
BAD_LOGIN = {"github_username": "-not-a-login-"}
HOOK_ON = {"change": "on"}
HOOK_OFF = {"change": "off"}
TO_USER = Expect(302, "/admin/user/details/")
TO_CLASSROOM = Expect(302, "/admin/classroom/details/")
UNSIGNED = Expect(401)
GRADEBOOK = "/admin/classroom/<int:classroom_id>/gradebook.csv"
SLACK_SETTINGS = "/admin/classroom/slack/"
SLACK_TEST = "/admin/classroom/slack/test/"
SLACK_LANGUAGE = {"language": "es"}
TO_SLACK_SECTION = Expect(302, "/admin/classroom/details/")
PORTAL_QUEST = "/quests/<slug>"
PORTAL_STAGE = f"{PORTAL_QUEST}/<int:position>"
PORTAL_COMPLETE = f"{PORTAL_QUEST}/complete"
PORTAL_STAGE_ROUTES = [
    ("GET", PORTAL_STAGE),
    ("POST", PORTAL_STAGE),
    ("POST", f"{PORTAL_STAGE}/start"),
    ("POST", f"{PORTAL_STAGE}/code"),
    ("GET", f"{PORTAL_STAGE}/code-run"),
]
ANSWER = {"submission_key": "matrix-answer", "q-q1": "1"}
EVIDENCE = "/evidence/<int:evidence_id>"
LEADERBOARD = "/leaderboards/classrooms/<int:classroom_id>"
QUEST_BOARD = f"{LEADERBOARD}/quests/<slug>"
BOARDS = (LEADERBOARD, f"{LEADERBOARD}.json", QUEST_BOARD, f"{QUEST_BOARD}.json")
RACE_PAGES = ("/races/<int:race_id>", "/races/<int:race_id>.json")
RACES = "/admin/races/"
GAME_JOIN = "/games/join/<code>"
GAME_PLAY = "/games/<int:game_id>/play"
GAME_HOST_PAGES = ("/games/<int:game_id>/host", "/games/<int:game_id>/report.<fmt>")
RACE = "id={race_id}"
TO_RACES = Expect(302, RACES)
GAMES = "/admin/games/"
GAME = "id={game_id}"
TO_GAMES = Expect(302, GAMES)
SHARED_PORTFOLIO = "/portfolio/shared/<token>"
SHARED_EVIDENCE = f"{SHARED_PORTFOLIO}/evidence/<int:evidence_id>"
TO_PORTFOLIO = Expect(302, "/portfolio")
# Feedback conversations: an attempt's conversation, and a message's hide and show buttons.
THREAD = "/attempts/<int:attempt_id>/messages"
TO_THREAD = Expect(302, "/attempts/{attempt_id}/messages")
MESSAGE_MODERATION = ("/messages/<int:message_id>/hide", "/messages/<int:message_id>/show")
A_MESSAGE = {"body": "A question about my answer"}
# Peer review: a submission given to review, the admin's pages and a review's changes.
PEER_ASSIGNMENT = "/reviews/<int:peer_assignment_id>"
A_REVIEW = {"criterion-0": "2", "comment": "Clear and kind."}
PEER_REVIEWS = "/admin/peer-reviews/"
CLASSROOM_ARG = "classroom={classroom_id}"
PEER_STAGE = "classroom={classroom_id}&stage={peer_stage_id}"
PEER_ATTEMPT = {"attempt": "{peer_attempt_id}"}
PEER_REVIEW_CHANGES = tuple(
    f"{PEER_REVIEWS}<int:review_id>/{change}" for change in ("hide", "show", "grade")
)
PEER_REVIEW_DATA = ({"reason": "Unkind"}, {}, {"grade": "2"})
# A student in one classroom goes straight to its board (locations are filled with the ids).
TO_OWN_BOARD = Expect(302, "/leaderboards/classrooms/{classroom_id}")
TO_OTHER_BOARD = Expect(302, "/leaderboards/classrooms/{other_classroom_id}")


def read_only(name: str, key: str, back: Expect) -> list[Access]:
    """The rows of a read-only model view: its list, details and export; no changes.

    ``key`` names the id of the view's record (``attempt_id``, ...), ``back`` its list.
    """
    record, data = f"id={{{key}}}", {"id": f"{{{key}}}"}
    return [
        staff_only("GET", f"/admin/{name}/", OK),
        staff_only("GET", DETAILS.format(name), OK, other_teacher=NOT_FOUND, query=record),
        staff_only("GET", DETAILS.format(name), NOT_FOUND, query=record, ids="missing"),
        # Creating, editing, deleting and bulk actions are off: back to the list, unchanged.
        staff_only("GET", f"/admin/{name}/new/", back),
        staff_only("POST", f"/admin/{name}/new/", back),
        staff_only("GET", EDIT.format(name), back, query=record),
        staff_only("POST", EDIT.format(name), back, query=record),
        staff_only("POST", f"/admin/{name}/delete/", back, data=data),
        staff_only("POST", f"/admin/{name}/action/", back, data={"action": "delete"}),
        staff_only("GET", f"/admin/{name}/export/<export_type>/", OK),
        staff_only("GET", f"/admin/{name}/ajax/lookup/", NOT_FOUND),
        staff_only("POST", f"/admin/{name}/ajax/update/", NOT_FOUND),
        everyone("GET", f"/admin/{name}/delete/", NOT_ALLOWED),
        everyone("GET", f"/admin/{name}/action/", NOT_ALLOWED),
    ]


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
    Access("GET", "/start", TO_LOGIN, TO_QUEST_MAP, TO_TEACHER_HOME, TO_TEACHER_HOME),
    Access("GET", "/change", TO_LOGIN, OK, OK, OK),
    Access("POST", "/change", TO_LOGIN, OK, OK, OK),
    Access("GET", "/verify", TO_LOGIN, OK, OK, OK),
    Access("POST", "/verify", TO_LOGIN, OK, OK, OK),
    # Staff pages: the teacher home, and actions on the first teacher's student and classroom
    staff_only("GET", "/admin/", OK),
    # The dashboard of one classroom and one quest: another teacher's are missing
    staff_only("GET", "/admin/", OK, other_teacher=NOT_FOUND, query="classroom={classroom_id}"),
    staff_only("GET", "/admin/", NOT_FOUND, query="classroom={classroom_id}", ids="missing"),
    staff_only(
        "GET",
        "/admin/",
        OK,
        other_teacher=NOT_FOUND,
        query="classroom={classroom_id}&quest={assigned_quest_id}",
    ),
    # A quest not given to the classroom is as missing as one that does not exist
    staff_only(
        "GET",
        "/admin/",
        NOT_FOUND,
        query="classroom={classroom_id}&quest={quest_id}",
        ids="missing",
    ),
    staff_only("GET", STUDENT_INSIGHTS, OK, other_teacher=NOT_FOUND),
    staff_only("GET", STUDENT_INSIGHTS, NOT_FOUND, ids="missing"),
    everyone("POST", STUDENT_INSIGHTS, NOT_ALLOWED),
    # Without "confirmed", a reset only asks: the same page whether asked for or sent.
    staff_only("GET", STUDENT_ID_RULE, OK, other_teacher=FORBIDDEN),
    staff_only("POST", STUDENT_ID_RULE, OK, other_teacher=FORBIDDEN),
    staff_only("POST", STUDENT_ID_RULE, NOT_FOUND, ids="missing"),
    staff_only("POST", CLASSROOM_ID_RULE, TO_TEACHER_HOME, other_teacher=FORBIDDEN),
    staff_only("POST", CLASSROOM_ID_RULE, NOT_FOUND, ids="missing"),
    staff_only("POST", CLASSROOM_ANALYTICS, TO_TEACHER_HOME, other_teacher=NOT_FOUND),
    staff_only("POST", CLASSROOM_ANALYTICS, NOT_FOUND, ids="missing"),
    # Admin classrooms: a teacher reaches their own; another teacher's are missing (404)
    staff_only("GET", "/admin/classroom/", OK),
    staff_only("GET", "/admin/classroom/new/", OK),
    staff_only("POST", "/admin/classroom/new/", OK),  # an empty form comes back with errors
    staff_only("GET", DETAILS.format("classroom"), OK, other_teacher=NOT_FOUND, query=CLASSROOM),
    staff_only("GET", DETAILS.format("classroom"), NOT_FOUND, query=CLASSROOM, ids="missing"),
    # A new classroom's next steps: its own teacher's; another teacher's classroom is missing.
    staff_only("GET", "/admin/classroom/next-steps/", OK, other_teacher=NOT_FOUND, query=CLASSROOM),
    staff_only("GET", "/admin/classroom/next-steps/", NOT_FOUND, query=CLASSROOM, ids="missing"),
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
    # Slack announcements (docs/slack.md): a classroom's teacher sets them and sends a test
    # message; another teacher's classroom is missing. Saved settings, and a test message
    # refused for want of a webhook URL, lead back to the classroom page; a form without a
    # language comes back (422).
    staff_only("GET", SLACK_SETTINGS, OK, other_teacher=NOT_FOUND, query=CLASSROOM),
    staff_only("GET", SLACK_SETTINGS, NOT_FOUND, query=CLASSROOM, ids="missing"),
    staff_only(
        "POST",
        SLACK_SETTINGS,
        TO_SLACK_SECTION,
        other_teacher=NOT_FOUND,
        query=CLASSROOM,
        data=SLACK_LANGUAGE,
    ),
    staff_only("POST", SLACK_SETTINGS, INVALID, other_teacher=NOT_FOUND, query=CLASSROOM),
    staff_only(
        "POST", SLACK_SETTINGS, NOT_FOUND, query=CLASSROOM, data=SLACK_LANGUAGE, ids="missing"
    ),
    staff_only("POST", SLACK_TEST, TO_SLACK_SECTION, other_teacher=NOT_FOUND, query=CLASSROOM),
    staff_only("POST", SLACK_TEST, NOT_FOUND, query=CLASSROOM, ids="missing"),
    everyone("GET", SLACK_TEST, NOT_ALLOWED),
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
    # The password sheet is the answer itself; with nobody in scope it is a message on the list.
    staff_only("POST", "/admin/user/action/", OK, other_teacher=TO_USERS, data=RESET_PASSWORDS),
    staff_only("POST", "/admin/user/action/", TO_USERS, data=RESET_PASSWORDS, ids="missing"),
    # Enrolling and moving end on the list, done or refused (another teacher's classroom).
    staff_only("POST", "/admin/user/action/", TO_USERS, data=ENROLL),
    staff_only("POST", "/admin/user/action/", TO_USERS, data=ENROLL, ids="missing"),
    staff_only("POST", "/admin/user/action/", TO_USERS, data=MOVE),
    staff_only("POST", "/admin/user/action/", TO_USERS, data=MOVE, ids="missing"),
    staff_only("GET", "/admin/user/export/<export_type>/", OK),
    staff_only("GET", "/admin/user/ajax/lookup/", NOT_FOUND),
    staff_only("POST", "/admin/user/ajax/update/", NOT_FOUND),
    # Roster import: a preview without a file is the form again (422), an import of a roster
    # without students the preview again (422); another teacher's classroom is refused
    staff_only("GET", ROSTER_IMPORT, OK),
    staff_only(
        "POST", f"{ROSTER_IMPORT}preview", INVALID, other_teacher=FORBIDDEN, data=PICK_CLASS
    ),
    staff_only("POST", f"{ROSTER_IMPORT}preview", NOT_FOUND, data=PICK_CLASS, ids="missing"),
    staff_only(
        "POST", f"{ROSTER_IMPORT}import", INVALID, other_teacher=FORBIDDEN, data=NO_STUDENTS
    ),
    staff_only("POST", f"{ROSTER_IMPORT}import", NOT_FOUND, data=NO_STUDENTS, ids="missing"),
    staff_only("POST", f"{ROSTER_IMPORT}credentials.csv", OK, data=ONE_SIGN_IN),
    # Admin quests, on a published quest of the first teacher: every teacher reads, previews and
    # copies it; only its author (and an admin) changes it, others are refused (403). Another
    # teacher's draft is missing (404): tests/admin_views/test_quest_view.py tries every route.
    staff_only("GET", "/admin/quest/", OK),
    staff_only("GET", "/admin/quest/new/", OK),
    staff_only("POST", "/admin/quest/new/", INVALID),  # an empty form comes back with errors
    staff_only("GET", DETAILS.format("quest"), OK, query=QUEST),
    staff_only("GET", DETAILS.format("quest"), NOT_FOUND, query=QUEST, ids="missing"),
    staff_only("GET", EDIT.format("quest"), OK, other_teacher=FORBIDDEN, query=QUEST),
    staff_only("GET", EDIT.format("quest"), NOT_FOUND, query=QUEST, ids="missing"),
    staff_only("POST", EDIT.format("quest"), INVALID, other_teacher=FORBIDDEN, query=QUEST),
    staff_only("POST", "/admin/quest/delete/", TO_QUESTS, other_teacher=FORBIDDEN, data=QUEST_DATA),
    staff_only("POST", "/admin/quest/delete/", NOT_FOUND, data=QUEST_DATA, ids="missing"),
    # Archiving another teacher's quest is refused with a message on the list.
    staff_only("POST", "/admin/quest/action/", TO_QUESTS, data=ARCHIVE),
    staff_only("GET", "/admin/quest/export/<export_type>/", OK),
    staff_only("GET", "/admin/quest/ajax/lookup/", NOT_FOUND),
    staff_only("POST", "/admin/quest/ajax/update/", NOT_FOUND),
    staff_only("GET", STAGE_NEW, TO_QUEST, other_teacher=FORBIDDEN),  # no kind chosen
    staff_only("GET", STAGE_NEW, OK, other_teacher=FORBIDDEN, query="kind=quiz"),
    staff_only("GET", STAGE_NEW, NOT_FOUND, query="kind=quiz", ids="missing"),
    staff_only("POST", STAGE_NEW, INVALID, other_teacher=FORBIDDEN, query="kind=lesson"),
    staff_only("GET", f"{STAGE_RULE}/edit", OK, other_teacher=FORBIDDEN),
    staff_only("GET", f"{STAGE_RULE}/edit", NOT_FOUND, ids="missing"),
    staff_only("POST", f"{STAGE_RULE}/edit", INVALID, other_teacher=FORBIDDEN),
    staff_only("POST", f"{STAGE_RULE}/move", TO_QUEST, other_teacher=FORBIDDEN, data=UP),
    staff_only("POST", f"{STAGE_RULE}/move", NOT_FOUND, data=UP, ids="missing"),
    staff_only("POST", f"{STAGE_RULE}/delete", TO_QUEST, other_teacher=FORBIDDEN),
    staff_only("POST", f"{STAGE_RULE}/delete", NOT_FOUND, ids="missing"),
    staff_only("POST", f"{QUEST_RULE}/publish", TO_QUEST, other_teacher=FORBIDDEN),
    staff_only("POST", f"{QUEST_RULE}/publish", NOT_FOUND, ids="missing"),
    staff_only("POST", f"{QUEST_RULE}/archive", TO_QUEST, other_teacher=FORBIDDEN),
    staff_only("POST", f"{QUEST_RULE}/archive", NOT_FOUND, ids="missing"),
    staff_only("POST", f"{QUEST_RULE}/copy", TO_QUEST),  # to the copy's page
    staff_only("POST", f"{QUEST_RULE}/copy", NOT_FOUND, ids="missing"),
    staff_only("GET", f"{QUEST_RULE}/preview/", OK),
    staff_only("GET", f"{QUEST_RULE}/preview/", NOT_FOUND, ids="missing"),
    staff_only("GET", f"{QUEST_RULE}/preview/<int:position>", OK),
    staff_only("GET", f"{QUEST_RULE}/preview/<int:position>", NOT_FOUND, ids="missing"),
    # Notebooks (docs/notebooks.md): any quest a teacher may read downloads as a notebook; an
    # upload without a file is the form again (422), an import of nothing waiting a conflict.
    staff_only("GET", f"{QUEST_RULE}/notebook.ipynb", OK),
    staff_only("GET", f"{QUEST_RULE}/notebook.ipynb", NOT_FOUND, ids="missing"),
    staff_only("GET", NOTEBOOKS, OK),
    staff_only("POST", f"{NOTEBOOKS}preview", INVALID),
    staff_only("POST", f"{NOTEBOOKS}import", Expect(409)),
    # Health checks are for load balancers and monitors: open to all, telling only pass or fail.
    everyone("GET", "/health/live", OK),
    everyone("GET", "/health/ready", OK),
    # Metrics are for Prometheus: the test client comes from 127.0.0.1, on the default
    # allow-list; any other address without the token gets 404 (test_observability.py).
    everyone("GET", "/metrics", OK),
    # A lesson image is open to anyone with its random address; none has this one.
    everyone("GET", "/lesson-images/<stored_name>", NOT_FOUND),
    # Quest assignments: a teacher reaches their classrooms'; removing one that students have
    # attempted is refused with a message on the list; no bulk action (delete one at a time)
    staff_only("GET", "/admin/assignment/", OK),
    staff_only("GET", "/admin/assignment/new/", OK),
    staff_only("POST", "/admin/assignment/new/", OK),  # an empty form comes back with errors
    staff_only("GET", DETAILS.format("assignment"), OK, other_teacher=NOT_FOUND, query=ASSIGNMENT),
    staff_only("GET", DETAILS.format("assignment"), NOT_FOUND, query=ASSIGNMENT, ids="missing"),
    staff_only("GET", EDIT.format("assignment"), OK, other_teacher=NOT_FOUND, query=ASSIGNMENT),
    staff_only("GET", EDIT.format("assignment"), NOT_FOUND, query=ASSIGNMENT, ids="missing"),
    staff_only("POST", EDIT.format("assignment"), OK, other_teacher=NOT_FOUND, query=ASSIGNMENT),
    staff_only(
        "POST",
        "/admin/assignment/delete/",
        TO_ASSIGNMENTS,
        other_teacher=NOT_FOUND,
        data={"id": "{assignment_id}"},
    ),
    staff_only(
        "POST",
        "/admin/assignment/delete/",
        NOT_FOUND,
        data={"id": "{assignment_id}"},
        ids="missing",
    ),
    staff_only("POST", "/admin/assignment/action/", TO_ASSIGNMENTS, data={"action": "delete"}),
    staff_only("GET", "/admin/assignment/export/<export_type>/", OK),
    staff_only("GET", "/admin/assignment/ajax/lookup/", NOT_FOUND),
    staff_only("POST", "/admin/assignment/ajax/update/", NOT_FOUND),
    # Attempts: read-only, reviewed from their details page (a review without a score: 422)
    *read_only("attempt", "attempt_id", TO_ATTEMPTS),
    staff_only(
        "POST", REVIEW, TO_ATTEMPT, other_teacher=NOT_FOUND, query=ATTEMPT, data=GOOD_REVIEW
    ),
    staff_only("POST", REVIEW, INVALID, other_teacher=NOT_FOUND, query=ATTEMPT),
    staff_only("POST", REVIEW, NOT_FOUND, query=ATTEMPT, data=GOOD_REVIEW, ids="missing"),
    # Extra time: given to a teacher's students (an empty form comes back with errors, 422);
    # a grant is never edited or deleted, so those go back to the list, unchanged
    staff_only("GET", EXTRA_TIME, OK),
    staff_only("GET", f"{EXTRA_TIME}new/", OK),
    staff_only("POST", f"{EXTRA_TIME}new/", INVALID),
    staff_only("GET", DETAILS.format(EXTENSIONS), OK, other_teacher=NOT_FOUND, query=EXTENSION),
    staff_only("GET", DETAILS.format(EXTENSIONS), NOT_FOUND, query=EXTENSION, ids="missing"),
    staff_only("GET", EDIT.format(EXTENSIONS), TO_EXTENSIONS, query=EXTENSION),
    staff_only("POST", EDIT.format(EXTENSIONS), TO_EXTENSIONS, query=EXTENSION),
    staff_only("POST", f"{EXTRA_TIME}delete/", TO_EXTENSIONS, data=EXTENSION_DATA),
    staff_only("POST", f"{EXTRA_TIME}action/", TO_EXTENSIONS, data={"action": "delete"}),
    staff_only("GET", f"{EXTRA_TIME}export/<export_type>/", OK),
    staff_only("GET", f"{EXTRA_TIME}ajax/lookup/", NOT_FOUND),
    staff_only("POST", f"{EXTRA_TIME}ajax/update/", NOT_FOUND),
    # Teams: formed and changed by the classroom's teachers (an empty form comes back with
    # errors, 422); a student sees their own team on /team
    staff_only("GET", TEAMS, OK),
    staff_only("GET", f"{TEAMS}new/", OK),
    staff_only("POST", f"{TEAMS}new/", INVALID),
    staff_only("POST", f"{TEAMS}new/", TO_TEAM, other_teacher=INVALID, data=NEW_TEAM),
    staff_only("GET", DETAILS.format("teams"), OK, other_teacher=NOT_FOUND, query=TEAM),
    staff_only("GET", DETAILS.format("teams"), NOT_FOUND, query=TEAM, ids="missing"),
    staff_only("GET", EDIT.format("teams"), OK, other_teacher=NOT_FOUND, query=TEAM),
    staff_only("GET", EDIT.format("teams"), NOT_FOUND, query=TEAM, ids="missing"),
    staff_only(
        "POST", EDIT.format("teams"), TO_TEAM, other_teacher=NOT_FOUND, query=TEAM, data=RENAME
    ),
    staff_only("POST", f"{TEAMS}delete/", TO_TEAMS, other_teacher=NOT_FOUND, data=TEAM_ID),
    staff_only("POST", f"{TEAMS}delete/", NOT_FOUND, data=TEAM_ID, ids="missing"),
    staff_only("POST", f"{TEAMS}action/", TO_TEAMS, data={"action": "delete"}),
    staff_only("GET", f"{TEAMS}export/<export_type>/", OK),
    staff_only("GET", f"{TEAMS}ajax/lookup/", NOT_FOUND),
    staff_only("POST", f"{TEAMS}ajax/update/", NOT_FOUND),
    staff_only("POST", f"{TEAMS}add/", TO_TEAM, other_teacher=NOT_FOUND, data=ADD_TO_TEAM),
    staff_only("POST", f"{TEAMS}add/", NOT_FOUND, data=ADD_TO_TEAM, ids="missing"),
    staff_only("POST", f"{TEAMS}move/", TO_TEAM, other_teacher=NOT_FOUND, data=OUT_OF_TEAM),
    staff_only("POST", f"{TEAMS}move/", NOT_FOUND, data=OUT_OF_TEAM, ids="missing"),
    staff_only("GET", f"{TEAMS}form/", OK),
    staff_only("POST", f"{TEAMS}form/", INVALID),
    staff_only("POST", f"{TEAMS}form/", TO_TEAMS, other_teacher=INVALID, data=FORM_TEAMS),
    Access("GET", "/team", TO_LOGIN, OK, FORBIDDEN, FORBIDDEN),
    # Portfolios (docs/portfolio.md): a student's own page, link and download (staff have none);
    # the shared page and its screenshots open for anyone with the student's working link.
    Access("GET", "/portfolio", TO_LOGIN, OK, FORBIDDEN, FORBIDDEN),
    Access("GET", "/portfolio/export.md", TO_LOGIN, OK, FORBIDDEN, FORBIDDEN),
    Access("POST", "/portfolio/link", TO_LOGIN, OK, FORBIDDEN, FORBIDDEN),
    Access("POST", "/portfolio/link/revoke", TO_LOGIN, TO_PORTFOLIO, FORBIDDEN, FORBIDDEN),
    everyone("GET", SHARED_PORTFOLIO, OK),
    everyone("GET", SHARED_PORTFOLIO, NOT_FOUND, ids="missing"),
    everyone("GET", SHARED_EVIDENCE, OK),
    everyone("GET", SHARED_EVIDENCE, NOT_FOUND, ids="missing"),
    everyone("GET", "/portfolio/link", NOT_ALLOWED),
    everyone("POST", SHARED_PORTFOLIO, NOT_ALLOWED),
    # Code races: a teacher's own, started (never edited or deleted) in the admin
    staff_only("GET", RACES, OK),
    staff_only("GET", f"{RACES}new/", OK),
    staff_only("POST", f"{RACES}new/", INVALID),
    staff_only("GET", f"{RACES}details/", OK, other_teacher=NOT_FOUND, query=RACE),
    staff_only("GET", f"{RACES}details/", NOT_FOUND, query=RACE, ids="missing"),
    staff_only("GET", f"{RACES}edit/", TO_RACES, query=RACE),
    staff_only("POST", f"{RACES}edit/", TO_RACES, query=RACE),
    staff_only("POST", f"{RACES}delete/", TO_RACES, data={"id": "{race_id}"}),
    staff_only("POST", f"{RACES}action/", TO_RACES, data={"action": "delete"}),
    staff_only("GET", f"{RACES}export/<export_type>/", OK),
    staff_only("GET", f"{RACES}ajax/lookup/", NOT_FOUND),
    staff_only("POST", f"{RACES}ajax/update/", NOT_FOUND),
    everyone("GET", f"{RACES}delete/", NOT_ALLOWED),
    everyone("GET", f"{RACES}action/", NOT_ALLOWED),
    # Live games: a teacher's classes' games, opened (never edited or deleted) in the admin
    staff_only("GET", GAMES, OK),
    staff_only("GET", f"{GAMES}new/", OK),
    staff_only("POST", f"{GAMES}new/", INVALID),
    staff_only("GET", f"{GAMES}details/", OK, other_teacher=NOT_FOUND, query=GAME),
    staff_only("GET", f"{GAMES}details/", NOT_FOUND, query=GAME, ids="missing"),
    staff_only("GET", f"{GAMES}edit/", TO_GAMES, query=GAME),
    staff_only("POST", f"{GAMES}edit/", TO_GAMES, query=GAME),
    staff_only("POST", f"{GAMES}delete/", TO_GAMES, data={"id": "{game_id}"}),
    staff_only("POST", f"{GAMES}action/", TO_GAMES, data={"action": "delete"}),
    staff_only("GET", f"{GAMES}export/<export_type>/", OK),
    staff_only("GET", f"{GAMES}ajax/lookup/", NOT_FOUND),
    staff_only("POST", f"{GAMES}ajax/update/", NOT_FOUND),
    everyone("GET", f"{GAMES}delete/", NOT_ALLOWED),
    everyone("GET", f"{GAMES}action/", NOT_ALLOWED),
    # Live games' pages: students join their classes' games and play the ones they joined; the
    # host (or an admin) runs a game and downloads its report; to others a game does not exist
    Access("GET", "/games/", TO_LOGIN, OK, OK, OK),
    Access("GET", GAME_JOIN, TO_LOGIN, OK, FORBIDDEN, FORBIDDEN),
    Access(
        "POST",
        "/games/join",
        TO_LOGIN,
        Expect(302, "/games/{game_id}/play"),
        FORBIDDEN,
        FORBIDDEN,
        other_student=FORBIDDEN,
        data={"code": "{game_code}"},
    ),
    Access(
        "POST",
        "/games/join",
        TO_LOGIN,
        NOT_FOUND,
        FORBIDDEN,
        FORBIDDEN,
        ids="missing",
        data={"code": "{game_code}"},
    ),
    Access(
        "GET",
        GAME_PLAY,
        TO_LOGIN,
        OK,
        FORBIDDEN,
        FORBIDDEN,
        other_student=NOT_FOUND,
        other_team_student=NOT_FOUND,
    ),
    Access("GET", GAME_PLAY, TO_LOGIN, NOT_FOUND, FORBIDDEN, FORBIDDEN, ids="missing"),
    *(
        Access("GET", rule, TO_LOGIN, NOT_FOUND, OK, OK, other_teacher=NOT_FOUND)
        for rule in GAME_HOST_PAGES
    ),
    *(
        Access("GET", rule, TO_LOGIN, NOT_FOUND, NOT_FOUND, NOT_FOUND, ids="missing")
        for rule in GAME_HOST_PAGES
    ),
    *(
        everyone("POST", rule, NOT_ALLOWED)
        for rule in ("/games/", GAME_JOIN, GAME_PLAY, *GAME_HOST_PAGES)
    ),
    # A race's projector view and places: its classroom's students and teachers (and admins)
    *(
        Access("GET", rule, TO_LOGIN, OK, OK, OK, other_student=NOT_FOUND, other_teacher=NOT_FOUND)
        for rule in RACE_PAGES
    ),
    *(
        Access("GET", rule, TO_LOGIN, NOT_FOUND, NOT_FOUND, NOT_FOUND, ids="missing")
        for rule in RACE_PAGES
    ),
    *(everyone("POST", rule, NOT_ALLOWED) for rule in RACE_PAGES),
    # Achievements and the audit log: read-only
    *read_only("award", "award_id", TO_AWARDS),
    *read_only("audit", "audit_id", TO_AUDIT),
    # A classroom's gradebook: its teachers and admins; another teacher's is missing
    staff_only("GET", GRADEBOOK, OK, other_teacher=NOT_FOUND),
    staff_only("GET", GRADEBOOK, NOT_FOUND, ids="missing"),
    # Leaderboards: the classroom's students and teachers (and admins) see its boards and those
    # of the quests assigned to it; for anyone else, or an unknown quest, they are missing
    Access("GET", "/leaderboards/", TO_LOGIN, TO_OWN_BOARD, OK, OK, other_student=TO_OTHER_BOARD),
    *(
        Access("GET", rule, TO_LOGIN, OK, OK, OK, other_student=NOT_FOUND, other_teacher=NOT_FOUND)
        for rule in BOARDS
    ),
    *(
        Access("GET", rule, TO_LOGIN, NOT_FOUND, NOT_FOUND, NOT_FOUND, ids="missing")
        for rule in BOARDS
    ),
    # The student portal: students of the classroom the quest was given to; for another class
    # the quest is missing; staff preview quests in the admin instead (403). Stage 2 is locked
    # until stage 1 is done (403, answers and starts refused alike).
    Access("GET", "/quests", TO_LOGIN, OK, FORBIDDEN, FORBIDDEN),
    Access(
        "GET", PORTAL_QUEST, TO_LOGIN, TO_FIRST_STAGE, FORBIDDEN, FORBIDDEN, other_student=NOT_FOUND
    ),
    Access("GET", PORTAL_QUEST, TO_LOGIN, NOT_FOUND, FORBIDDEN, FORBIDDEN, ids="missing"),
    # The end of a quest: not finished yet, the student is sent on to the stage to do next.
    Access(
        "GET",
        PORTAL_COMPLETE,
        TO_LOGIN,
        TO_PORTAL_QUEST,
        FORBIDDEN,
        FORBIDDEN,
        other_student=NOT_FOUND,
    ),
    Access("GET", PORTAL_COMPLETE, TO_LOGIN, NOT_FOUND, FORBIDDEN, FORBIDDEN, ids="missing"),
    *(
        Access(
            method,
            rule,
            TO_LOGIN,
            FORBIDDEN,
            FORBIDDEN,
            FORBIDDEN,
            other_student=NOT_FOUND,
            data=ANSWER,
        )
        for method, rule in PORTAL_STAGE_ROUTES
    ),
    *(
        Access(method, rule, TO_LOGIN, NOT_FOUND, FORBIDDEN, FORBIDDEN, ids="missing", data=ANSWER)
        for method, rule in PORTAL_STAGE_ROUTES
    ),
    # A checkpoint screenshot: its student, their teacher and admins; missing for anyone else
    Access("GET", EVIDENCE, TO_LOGIN, OK, OK, OK, **ONLY_THE_STUDENTS_CLASS),
    Access("GET", EVIDENCE, TO_LOGIN, NOT_FOUND, NOT_FOUND, NOT_FOUND, ids="missing"),
    # GitHub evidence (docs/github.md): a student links their GitHub username on their profile
    # (staff have none to link); a teacher links their students' on the user's page (422 for a
    # login of the wrong shape) and turns their classroom's webhook on (the new secret, shown
    # once: 200) or off. GitHub's deliveries carry no session: without a valid signature every
    # classroom, known or not, answers 401.
    Access("POST", GITHUB_LINK, TO_LOGIN, TO_PROFILE, FORBIDDEN, FORBIDDEN),
    staff_only(
        "POST", USER_GITHUB, TO_USER, other_teacher=NOT_FOUND, query=STUDENT, data=GITHUB_LOGIN
    ),
    staff_only(
        "POST", USER_GITHUB, INVALID, other_teacher=NOT_FOUND, query=STUDENT, data=BAD_LOGIN
    ),
    staff_only("POST", USER_GITHUB, NOT_FOUND, query=STUDENT, data=GITHUB_LOGIN, ids="missing"),
    staff_only(
        "POST", CLASSROOM_GITHUB, OK, other_teacher=NOT_FOUND, query=CLASSROOM, data=HOOK_ON
    ),
    staff_only(
        "POST",
        CLASSROOM_GITHUB,
        TO_CLASSROOM,
        other_teacher=NOT_FOUND,
        query=CLASSROOM,
        data=HOOK_OFF,
    ),
    staff_only("POST", CLASSROOM_GITHUB, NOT_FOUND, query=CLASSROOM, data=HOOK_ON, ids="missing"),
    everyone("POST", GITHUB_HOOK, UNSIGNED),
    everyone("POST", GITHUB_HOOK, UNSIGNED, ids="missing"),
    *(everyone("GET", rule, NOT_ALLOWED) for rule in (GITHUB_LINK, USER_GITHUB, CLASSROOM_GITHUB)),
    everyone("GET", GITHUB_HOOK, NOT_ALLOWED),
    # Feedback conversations (docs/feedback.md): the Messages page for everyone signed in; an
    # attempt's conversation for its student, their teacher and admins, missing for anyone
    # else. A message written leads back to the conversation (an empty one comes back, 422);
    # only teachers and admins hide and show messages (a student taking part: 403).
    Access("GET", "/messages", TO_LOGIN, OK, OK, OK),
    Access("GET", THREAD, TO_LOGIN, OK, OK, OK, **ONLY_THE_STUDENTS_CLASS),
    Access("GET", THREAD, TO_LOGIN, NOT_FOUND, NOT_FOUND, NOT_FOUND, ids="missing"),
    Access(
        "POST",
        THREAD,
        TO_LOGIN,
        TO_THREAD,
        TO_THREAD,
        TO_THREAD,
        **ONLY_THE_STUDENTS_CLASS,
        data=A_MESSAGE,
    ),
    Access(
        "POST",
        THREAD,
        TO_LOGIN,
        INVALID,
        INVALID,
        INVALID,
        **ONLY_THE_STUDENTS_CLASS,
    ),
    Access(
        "POST", THREAD, TO_LOGIN, NOT_FOUND, NOT_FOUND, NOT_FOUND, ids="missing", data=A_MESSAGE
    ),
    *(
        Access(
            "POST",
            rule,
            TO_LOGIN,
            FORBIDDEN,
            TO_THREAD,
            TO_THREAD,
            **ONLY_THE_STUDENTS_CLASS,
        )
        for rule in MESSAGE_MODERATION
    ),
    *(
        Access("POST", rule, TO_LOGIN, NOT_FOUND, NOT_FOUND, NOT_FOUND, ids="missing")
        for rule in MESSAGE_MODERATION
    ),
    *(everyone("GET", rule, NOT_ALLOWED) for rule in MESSAGE_MODERATION),
    everyone("POST", "/messages", NOT_ALLOWED),
    # Office hours (docs/office-hours.md): students book their classes' slots on /office-hours
    # (staff: 403). The student has a check-in to come already (409); a classmate in another
    # team may not book for the student's team (403); another class's slot is missing (404).
    # Only the student comes to the booking: they cancel it, for others it is missing. Teachers
    # offer and cancel their classrooms' slots in the admin (another teacher's are missing).
    Access("GET", "/office-hours", TO_LOGIN, OK, FORBIDDEN, FORBIDDEN),
    Access(
        "POST",
        "/office-hours/<int:slot_id>/book",
        TO_LOGIN,
        Expect(409),
        FORBIDDEN,
        FORBIDDEN,
        other_team_student=FORBIDDEN,
        other_student=NOT_FOUND,
        data={"team": "{team_id}"},
    ),
    Access(
        "POST",
        "/office-hours/<int:slot_id>/book",
        TO_LOGIN,
        NOT_FOUND,
        FORBIDDEN,
        FORBIDDEN,
        ids="missing",
        data={"team": "{team_id}"},
    ),
    Access(
        "POST",
        "/office-hours/bookings/<int:booking_id>/cancel",
        TO_LOGIN,
        Expect(302, "/office-hours"),
        FORBIDDEN,
        FORBIDDEN,
        other_team_student=NOT_FOUND,
        other_student=NOT_FOUND,
    ),
    Access(
        "POST",
        "/office-hours/bookings/<int:booking_id>/cancel",
        TO_LOGIN,
        NOT_FOUND,
        FORBIDDEN,
        FORBIDDEN,
        ids="missing",
    ),
    staff_only("GET", "/admin/office-hours/", OK),
    staff_only(
        "GET", "/admin/office-hours/", OK, other_teacher=NOT_FOUND, query="classroom={classroom_id}"
    ),
    staff_only(
        "GET", "/admin/office-hours/", NOT_FOUND, query="classroom={classroom_id}", ids="missing"
    ),
    staff_only("GET", "/admin/office-hours/offer", OK),
    staff_only("POST", "/admin/office-hours/offer", INVALID),  # an empty form comes back
    staff_only(
        "POST",
        "/admin/office-hours/offer",
        Expect(302, "/admin/office-hours/"),
        other_teacher=INVALID,
        data={
            "classroom": "{classroom_id}",
            "date": "2099-01-15",
            "start": "14:00",
            "minutes": "15",
            "count": "4",
            "location": "Room 12",
        },
    ),
    # Cancelling a slot asks first (200), then cancels it.
    staff_only(
        "POST",
        "/admin/office-hours/cancel",
        OK,
        other_teacher=NOT_FOUND,
        data={"slot": "{slot_id}"},
    ),
    staff_only(
        "POST",
        "/admin/office-hours/cancel",
        Expect(302, "/admin/office-hours/"),
        other_teacher=NOT_FOUND,
        data={"slot": "{slot_id}", "confirmed": "yes"},
    ),
    staff_only(
        "POST",
        "/admin/office-hours/cancel",
        NOT_FOUND,
        data={"slot": "{slot_id}", "confirmed": "yes"},
        ids="missing",
    ),
    everyone("POST", "/office-hours", NOT_ALLOWED),
    everyone("GET", "/office-hours/<int:slot_id>/book", NOT_ALLOWED),
    everyone("GET", "/office-hours/bookings/<int:booking_id>/cancel", NOT_ALLOWED),
    everyone("POST", "/admin/office-hours/", NOT_ALLOWED),
    everyone("GET", "/admin/office-hours/cancel", NOT_ALLOWED),
    # Peer review (docs/peer-review.md): the Reviews page for everyone signed in; a submission
    # given to review (the classmate's, given to the student) for its reviewer alone, missing for
    # anyone else, its author too. A review sent leads back to the Reviews page (an empty form
    # comes back, 422). The admin's pages: a teacher's classrooms (another's are missing); a
    # teacher takes a submission to review (on to their review form), and hides, shows and
    # grades its reviews (back to the attempt's page); another teacher finds none of them.
    Access("GET", "/reviews", TO_LOGIN, OK, OK, OK),
    everyone("POST", "/reviews", NOT_ALLOWED),
    *(
        Access(
            method,
            rule,
            TO_LOGIN,
            expect,
            NOT_FOUND,
            NOT_FOUND,
            other_team_student=NOT_FOUND,
            other_student=NOT_FOUND,
            data=data,
        )
        for method, rule, expect, data in (
            ("GET", PEER_ASSIGNMENT, OK, {}),
            ("POST", PEER_ASSIGNMENT, INVALID, {}),
            ("POST", PEER_ASSIGNMENT, Expect(302, "/reviews"), A_REVIEW),
        )
    ),
    *(
        Access(method, rule, TO_LOGIN, NOT_FOUND, NOT_FOUND, NOT_FOUND, ids="missing")
        for method, rule in (
            ("GET", PEER_ASSIGNMENT),
            ("POST", PEER_ASSIGNMENT),
        )
    ),
    staff_only("GET", PEER_REVIEWS, OK),
    staff_only("GET", PEER_REVIEWS, OK, other_teacher=NOT_FOUND, query=CLASSROOM_ARG),
    staff_only("GET", PEER_REVIEWS, NOT_FOUND, query=CLASSROOM_ARG, ids="missing"),
    staff_only("GET", f"{PEER_REVIEWS}stage", OK, other_teacher=NOT_FOUND, query=PEER_STAGE),
    staff_only("GET", f"{PEER_REVIEWS}stage", NOT_FOUND, query=PEER_STAGE, ids="missing"),
    Access(
        "POST",
        f"{PEER_REVIEWS}take",
        TO_LOGIN,
        FORBIDDEN,
        Expect(302, "/reviews/{teacher_peer_assignment_id}"),
        Expect(302, "/reviews/{admin_peer_assignment_id}"),
        other_teacher=NOT_FOUND,
        data=PEER_ATTEMPT,
    ),
    staff_only("POST", f"{PEER_REVIEWS}take", NOT_FOUND, data=PEER_ATTEMPT, ids="missing"),
    *(
        staff_only("POST", rule, TO_ATTEMPT, other_teacher=NOT_FOUND, data=data)
        for rule, data in zip(PEER_REVIEW_CHANGES, PEER_REVIEW_DATA, strict=True)
    ),
    *(staff_only("POST", rule, NOT_FOUND, ids="missing") for rule in PEER_REVIEW_CHANGES),
    *(everyone("GET", rule, NOT_ALLOWED) for rule in (f"{PEER_REVIEWS}take", *PEER_REVIEW_CHANGES)),
    # Wrong methods: state changes are never a GET, pages never accept a POST
    everyone("POST", "/", NOT_ALLOWED),
    everyone("POST", "/start", NOT_ALLOWED),
    everyone("POST", "/admin/", NOT_ALLOWED),
    everyone("GET", "/logout", NOT_ALLOWED),
    everyone("GET", "/language", NOT_ALLOWED),
    everyone("GET", CLASSROOM_ID_RULE, NOT_ALLOWED),
    everyone("GET", CLASSROOM_ANALYTICS, NOT_ALLOWED),
    everyone("GET", "/admin/classroom/delete/", NOT_ALLOWED),
    everyone("GET", "/admin/classroom/action/", NOT_ALLOWED),
    everyone("GET", "/admin/user/delete/", NOT_ALLOWED),
    everyone("GET", "/admin/user/action/", NOT_ALLOWED),
    everyone("GET", "/admin/assignment/delete/", NOT_ALLOWED),
    everyone("GET", "/admin/assignment/action/", NOT_ALLOWED),
    everyone("GET", REVIEW, NOT_ALLOWED),
    everyone("GET", f"{EXTRA_TIME}delete/", NOT_ALLOWED),
    everyone("GET", f"{EXTRA_TIME}action/", NOT_ALLOWED),
    everyone("POST", GRADEBOOK, NOT_ALLOWED),
    everyone("POST", ROSTER_IMPORT, NOT_ALLOWED),
    everyone("GET", f"{ROSTER_IMPORT}preview", NOT_ALLOWED),
    everyone("GET", f"{ROSTER_IMPORT}import", NOT_ALLOWED),
    everyone("GET", f"{ROSTER_IMPORT}credentials.csv", NOT_ALLOWED),
    everyone("GET", "/admin/quest/delete/", NOT_ALLOWED),
    everyone("GET", "/admin/quest/action/", NOT_ALLOWED),
    everyone("GET", f"{STAGE_RULE}/move", NOT_ALLOWED),
    everyone("GET", f"{STAGE_RULE}/delete", NOT_ALLOWED),
    everyone("GET", f"{QUEST_RULE}/publish", NOT_ALLOWED),
    everyone("GET", f"{QUEST_RULE}/archive", NOT_ALLOWED),
    everyone("GET", f"{QUEST_RULE}/copy", NOT_ALLOWED),
    everyone("POST", f"{QUEST_RULE}/preview/", NOT_ALLOWED),
    everyone("POST", f"{QUEST_RULE}/notebook.ipynb", NOT_ALLOWED),
    everyone("POST", NOTEBOOKS, NOT_ALLOWED),
    everyone("GET", f"{NOTEBOOKS}preview", NOT_ALLOWED),
    everyone("GET", f"{NOTEBOOKS}import", NOT_ALLOWED),
    everyone("POST", "/lesson-images/<stored_name>", NOT_ALLOWED),
    everyone("POST", "/health/live", NOT_ALLOWED),
    everyone("POST", "/health/ready", NOT_ALLOWED),
    everyone("POST", "/metrics", NOT_ALLOWED),
    *(everyone("POST", rule, NOT_ALLOWED) for rule in ("/leaderboards/", *BOARDS)),
    *(everyone("POST", rule, NOT_ALLOWED) for rule in ("/quests", PORTAL_QUEST, EVIDENCE)),
    everyone("GET", f"{PORTAL_STAGE}/start", NOT_ALLOWED),
    everyone("GET", f"{PORTAL_STAGE}/code", NOT_ALLOWED),
    everyone("POST", f"{PORTAL_STAGE}/code-run", NOT_ALLOWED),
    everyone("POST", "/team", NOT_ALLOWED),
    everyone("GET", f"{TEAMS}add/", NOT_ALLOWED),
    everyone("GET", f"{TEAMS}move/", NOT_ALLOWED),
    everyone("GET", f"{TEAMS}delete/", NOT_ALLOWED),
    everyone("GET", f"{TEAMS}action/", NOT_ALLOWED),
]


def routes_of(app) -> set[tuple[str, str]]:
    """Every (rule, method) the app answers, apart from static files, HEAD and OPTIONS.

    The JSON API has a table of its own, with JSON calls: tests/quest_platform/api.
    """
    return {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in STATIC_ENDPOINTS and not rule.rule.startswith("/api/")
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


@pytest.fixture
def school(school, make):
    """The shared school, with a published quest the first teacher wrote (``teacher_quest``),
    extra time that teacher gave their student on the assigned quest (``extension``), and a
    screenshot with their student's checkpoint attempt (``evidence``)."""
    school.teacher_quest = make.quest(author=school.teacher)
    timed = next(stage for stage in school.quest.stages if stage.kind == StageKind.TIMED)
    school.extension = grant_time_extension(
        student=school.student, stage=timed, extra_seconds=600, reason="Rest", by=school.teacher
    )
    # A race on the assigned quest's second stage (the rules of access hold for any stage).
    school.race = CodeRace(
        classroom_id=school.classroom.id,
        stage_id=school.quest.stages[1].id,
        starts_at=utcnow(),
        ends_at=utcnow() + timedelta(minutes=10),
        first_points=30,
        min_points=5,
        started_by_id=school.teacher.id,
    )
    db.session.add(school.race)
    # A game of the assigned quest's quiz, hosted by the first teacher.
    school.game = open_game(
        classroom=school.classroom, stages=[school.quest.stages[1]], by=school.teacher
    )
    join_game(code=school.game.code, student=school.student)
    school.team = create_team(
        classroom=school.classroom,
        name="Matrix team",
        member_ids=[school.student.id],
        by=school.teacher,
    )
    # A classmate of the student in another team of the same classroom.
    school.other_team_student = make.student()
    db.session.add(Enrollment(classroom=school.classroom, student=school.other_team_student))
    db.session.commit()
    school.other_team = create_team(
        classroom=school.classroom,
        name="Other matrix team",
        member_ids=[school.other_team_student.id],
        by=school.teacher,
    )
    # Office hours: two slots of the first teacher, the first booked by the student's team.
    booked, school.slot = offer_slots(
        classroom=school.classroom,
        starts_at=utcnow() + timedelta(days=2),
        minutes=15,
        count=2,
        location="Room 12",
        by=school.teacher,
    )
    school.booking = book_slot(slot=booked, by=school.student, team=school.team)
    # A message in the conversation about the student's checkpoint attempt.
    school.message = post_message(
        attempt=school.attempt, author=school.student, body="Is my evidence enough?"
    )
    school.evidence = keep_screenshot(
        attempt=school.attempt,
        screenshot=check_screenshot(Screenshot(data=tiny_png(), alt_text="A login form")),
    )
    add_peer_reviews(school, make)
    db.session.commit()
    # The student shares their portfolio (docs/portfolio.md).
    school.portfolio_token = share_portfolio(student=school.student)
    return school


def add_peer_reviews(school: Any, make: Any) -> None:
    """Peer reviews (docs/peer-review.md) of the classmate's checkpoint, with a screenshot: the
    student was given it to review (``peer_assignment``); another classmate reviewed it
    (``peer_review``); the teacher and the admin each took it to review in place of a peer."""
    stage = school.quest.stages[2]
    stage.settings = {**stage.settings, "peer_reviews": 2}
    attempt = make.attempt(student=school.other_team_student, quest=school.quest)
    keep_screenshot(
        attempt=attempt,
        screenshot=check_screenshot(Screenshot(data=tiny_png(), alt_text="Their login form")),
    )
    peer = make.student()
    db.session.add(Enrollment(classroom=school.classroom, student=peer))
    due = utcnow() + timedelta(days=3)
    given = {
        name: PeerReviewAssignment(
            attempt_id=attempt.id, reviewer_id=reviewer.id, due_at=due, by_teacher=by_teacher
        )
        for name, reviewer, by_teacher in (
            ("student", school.student, False),
            ("peer", peer, False),
            ("teacher", school.teacher, True),
            ("admin", school.admin, True),
        )
    }
    db.session.add_all(given.values())
    db.session.flush()
    review = PeerReview(assignment_id=given["peer"].id, levels=[2], comment="Clear.")
    db.session.add(review)
    db.session.flush()
    school.peer = {
        "peer_assignment_id": given["student"].id,
        "peer_attempt_id": attempt.id,
        "peer_review_id": review.id,
        "peer_stage_id": stage.id,
        "teacher_peer_assignment_id": given["teacher"].id,
        "admin_peer_assignment_id": given["admin"].id,
    }


def peer_review_ids(school: Any, *, own: bool) -> dict[str, str]:
    """The ids of the school's peer-review records (see :func:`add_peer_reviews`)."""
    return {name: str(value if own else MISSING_ID) for name, value in school.peer.items()}


def tiny_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3)).save(buffer, format="PNG")
    return buffer.getvalue()


# Who asks together on one school. A GET changes nothing another person's answer depends on,
# so all seven ask on one school. A POST may change the school: the people it refuses ask first on
# one (the other teacher last: their own changes touch only their own class), then the teacher
# and the administrator each on a school of their own.
GET_ROLES = (ROLES,)
POST_ROLES = (
    ("anonymous", "student", "other_team_student", "other_student", "other_teacher"),
    ("teacher",),
    ("admin",),
)


def requests_of(access: Access) -> list[tuple[Access, tuple[str, ...]]]:
    """The (row, roles) pairs to test for ``access``: one per school it needs."""
    groups = GET_ROLES if access.method == "GET" else POST_ROLES
    return [(access, roles) for roles in groups]


def mismatch(access: Access, role: str, school: Any, client: Any, login_as: Any) -> str | None:
    """What ``role`` got from ``access`` that the table does not say, or None if all is as said."""
    person = school.person(role)
    if person is not None:
        login_as(person, on=client)
    url = access.url(school)
    if access.method == "GET":
        response = client.get(url)
    else:
        data = {**access.form_data(school), "csrf_token": csrf_token(client, "/")}
        response = client.open(url, method=access.method, data=data)
    body = response.get_data()
    # A file (a screenshot) is streamed from disk: close it as a browser would.
    response.close()
    expected = access.expected(role)
    if b"Traceback" in body:
        return f"{role}: a traceback"
    if response.status_code != expected.status:
        return f"{role}: {response.status_code}, not {expected}"
    if expected.location is None:
        return None
    location = urlsplit(response.headers["Location"])
    if location.path != expected.location.format(**access.ids_of(school)):
        return f"{role}: to {location.path}, not {expected}"
    if expected is TO_LOGIN:
        # A page comes back after signing in; a refused form leads to a page, never to a URL
        # that only accepts POST.
        targets = (url,) if access.method == "GET" else (url, "/admin/")
        if not any(unquote(location.query).startswith(f"next={t}") for t in targets):
            return f"{role}: sign-in does not lead back to a page"
    return None


@pytest.mark.parametrize(
    ("access", "roles"),
    [pair for access in ACCESS for pair in requests_of(access)],
    ids=lambda value: str(value) if isinstance(value, Access) else "+".join(value),
)
def test_route_access(access, roles, school, client_factory, login_as):
    found = [
        problem
        for role in roles
        if (problem := mismatch(access, role, school, client_factory(), login_as)) is not None
    ]
    assert not found, f"{access}: " + "; ".join(found)


@pytest.mark.parametrize("url", ["/static/css/site.css", "/static/favicon.svg"])
def test_static_files_are_public(client, url):
    with client.get(url) as response:
        assert response.status_code == 200
