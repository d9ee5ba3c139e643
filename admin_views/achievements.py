"""Achievements in the admin: which student earned which badge, and when (read-only)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_security import current_user
from sqlalchemy import select
from sqlalchemy.orm import Query, lazyload, selectinload

from admin_views.base import ChoiceFilter, Scope, ScopedModelView
from admin_views.dates import utc_moment
from quest_platform.extensions import db
from quest_platform.models import Achievement, AchievementAward, User
from quest_platform.queries.classrooms import classrooms_taught_by, enrolled_in
from quest_platform.services.achievements import DEFINITIONS

# Achievements are stored in English; pages show them through the catalog.
NAMES = {definition.code: definition.name for definition in DEFINITIONS}


def achievement_name(achievement: Achievement) -> str:
    """An achievement's name in the reader's language (as stored, if it has no translation)."""
    return str(NAMES.get(achievement.code, achievement.name))


class AwardView(ScopedModelView):
    """The achievements earned by a teacher's students (an admin's: by everyone).

    Achievements are awarded by the platform as students work, never by hand, so this view
    creates, edits and deletes nothing.
    """

    can_create = False
    can_edit = False
    can_delete = False
    column_auto_select_related = False

    title_column = "awarded_at"
    column_list = ["awarded_at", "student", "achievement"]
    column_details_list = ["awarded_at", "student", "username", "achievement", "description"]
    column_export_list = ["awarded_at", "student", "username", "achievement"]
    column_sortable_list = [("awarded_at", ("awarded_at", "id"))]
    column_default_sort = [("awarded_at", True), ("id", True)]
    column_searchable_list = ["student.username", "student.display_name"]
    column_filters = [
        ChoiceFilter(
            AchievementAward.student_id,
            _l("Classroom"),
            key="classroom",
            valid=str.isdigit,
            condition=lambda value: AchievementAward.student_id.in_(enrolled_in([int(value)])),
        ),
        ChoiceFilter.by_id(AchievementAward.achievement_id, _l("Achievement"), key="achievement"),
    ]
    column_labels = {
        "awarded_at": _l("Earned (UTC)"),
        "student": _l("Student"),
        "username": _l("Username"),
        "achievement": _l("Achievement"),
        "description": _l("For"),
    }

    def scope(self) -> Scope:
        if current_user.is_admin:
            return None
        return AchievementAward.student_id.in_(enrolled_in(classrooms_taught_by(current_user.id)))

    def get_query(self) -> Query[Any]:
        return (
            super()
            .get_query()
            .options(
                selectinload(AchievementAward.student).options(lazyload(User.roles)),
                selectinload(AchievementAward.achievement),
            )
        )

    def record_title(self, model: AchievementAward) -> str:
        return f"{achievement_name(model.achievement)} — {model.student.display_name}"

    def filter_choices(self, name: str) -> list[tuple[str, str]]:
        if name == "classroom":
            return self.classroom_choices()
        if name == "achievement":
            achievements = db.session.scalars(select(Achievement).order_by(Achievement.id))
            return [(str(a.id), achievement_name(a)) for a in achievements]
        return []

    def _awarded(self, context: Any, model: AchievementAward, name: str) -> str:
        return utc_moment(model.awarded_at)

    def _student(self, context: Any, model: AchievementAward, name: str) -> str:
        return model.student.display_name

    def _username(self, context: Any, model: AchievementAward, name: str) -> str:
        return model.student.username

    def _achievement(self, context: Any, model: AchievementAward, name: str) -> str:
        return achievement_name(model.achievement)

    def _description(self, context: Any, model: AchievementAward, name: str) -> str:
        code = model.achievement.code
        definition = next((d for d in DEFINITIONS if d.code == code), None)
        return str(definition.description) if definition else model.achievement.description

    column_formatters = {
        "awarded_at": _awarded,
        "student": _student,
        "username": _username,
        "achievement": _achievement,
        "description": _description,
    }
    column_formatters_detail = column_formatters
    column_formatters_export = column_formatters
