"""The teacher admin at /admin (Flask-Admin), protected by role and themed like the platform."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext as _l

from admin_views.achievements import AwardView
from admin_views.assignments import AssignmentView
from admin_views.attempts import AttemptView
from admin_views.audit import AuditView
from admin_views.classrooms import ClassroomView
from admin_views.dashboard import TeacherHomeView
from admin_views.games import GameView
from admin_views.notebooks import NotebookImportView
from admin_views.office_hours import OfficeHoursView
from admin_views.peer_reviews import PeerReviewView
from admin_views.quests import QuestView
from admin_views.races import RaceView
from admin_views.roster_import import RosterImportView
from admin_views.teams import TeamView
from admin_views.time_extensions import TimeExtensionView
from admin_views.users import UserView
from quest_platform.http_headers import csp_nonce
from quest_platform.models import (
    AchievementAward,
    Attempt,
    AuditEntry,
    Classroom,
    CodeRace,
    Game,
    Quest,
    QuestAssignment,
    Team,
    TimeExtension,
    User,
)

# Spanish for the Flask-Admin messages its own catalog lacks (domain "admin").
TRANSLATIONS = Path(__file__).parent.parent / "quest_platform" / "translations"


def register_admin(app: Flask) -> Admin:
    """Create the admin for this app: the teacher home, then one view per model group."""
    admin = Admin(
        app,
        name=_l("Quest Platform"),
        index_view=TeacherHomeView(name=_l("Teacher home"), url="/admin"),
        # Our master template puts every admin page in the site's layout and themes.
        theme=Bootstrap4Theme(base_template="admin_views/master.html"),
        csp_nonce_generator=csp_nonce,
        translations_path=str(TRANSLATIONS),
    )
    # In the order of the admin's navigation: the class, its quests, then what students did.
    admin.add_view(ClassroomView(Classroom, name=_l("Classrooms"), endpoint="classroom"))
    admin.add_view(UserView(User, name=_l("Users"), endpoint="user"))
    admin.add_view(
        RosterImportView(name=_l("Import roster"), endpoint="roster_import", url="roster-import")
    )
    admin.add_view(TeamView(Team, name=_l("Teams"), endpoint="team", url="teams"))
    admin.add_view(
        OfficeHoursView(name=_l("Office hours"), endpoint="office_hour_slots", url="office-hours")
    )
    admin.add_view(QuestView(Quest, name=_l("Quests"), endpoint="quest"))
    admin.add_view(
        NotebookImportView(name=_l("Import a notebook"), endpoint="notebooks", url="notebooks")
    )
    admin.add_view(
        AssignmentView(QuestAssignment, name=_l("Quest assignments"), endpoint="assignment")
    )
    admin.add_view(AttemptView(Attempt, name=_l("Attempts"), endpoint="attempt"))
    admin.add_view(
        PeerReviewView(name=_l("Peer reviews"), endpoint="peer_reviews", url="peer-reviews")
    )
    admin.add_view(
        TimeExtensionView(
            TimeExtension, name=_l("Extra time"), endpoint="time_extension", url="time-extension"
        )
    )
    admin.add_view(RaceView(CodeRace, name=_l("Code races"), endpoint="race", url="races"))
    admin.add_view(GameView(Game, name=_l("Live games"), endpoint="game", url="games"))
    admin.add_view(AwardView(AchievementAward, name=_l("Achievements"), endpoint="award"))
    admin.add_view(AuditView(AuditEntry, name=_l("Audit log"), endpoint="audit"))
    return admin
