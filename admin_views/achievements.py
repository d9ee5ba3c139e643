"""Achievements in the admin: which student earned which badge, on which quest, and when.

Read-only. An award is seen like the attempt that earned it: by the teachers of its student's
classrooms that were given its quest (an administrator sees them all).
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_security import current_user
from sqlalchemy import select
from sqlalchemy.orm import Query, lazyload, selectinload

from admin_views.base import Scope, ScopedModelView
from admin_views.lists import (
    STUDENT_SEARCH,
    id_filter,
    moment,
    newest_first,
    quest_title,
    shown,
    stage_name,
    student_name,
    student_username,
    work_filters,
)
from quest_platform.extensions import db
from quest_platform.models import Achievement, AchievementAward, User
from quest_platform.models.achievements import DEFINITIONS
from quest_platform.queries.classrooms import work_taught_by
from quest_platform.time_zones import in_zone

# Achievements are stored in English; pages show them through the catalog.
DEFINED = {definition.code: definition for definition in DEFINITIONS}


def achievement_name(achievement: Achievement) -> str:
    """An achievement's name in the reader's language (as stored, if it has no translation)."""
    definition = DEFINED.get(achievement.code)
    return str(definition.name) if definition else achievement.name


def achievement_description(achievement: Achievement) -> str:
    """What an achievement is for, in the reader's language (as stored, if not translated)."""
    definition = DEFINED.get(achievement.code)
    return str(definition.description) if definition else achievement.description


def achievements(view: Any) -> list[tuple[str, str]]:
    """Every achievement, as choices of a filter."""
    achievements = db.session.scalars(select(Achievement).order_by(Achievement.id))
    return [(str(achievement.id), achievement_name(achievement)) for achievement in achievements]


class AwardView(ScopedModelView):
    """The achievements a teacher's students earned on the quests they assigned (an admin's: all).

    Achievements are awarded by the platform as students work, never by hand, so this view
    creates, edits and deletes nothing.
    """

    can_create = False
    can_edit = False
    can_delete = False
    column_auto_select_related = False

    title_column = "awarded_at"
    column_list = ["awarded_at", "student", "achievement", "quest"]
    column_details_list = [
        "awarded_at",
        "student",
        "username",
        "achievement",
        "description",
        "quest",
        "stage",
    ]
    column_export_list = ["awarded_at", "student", "username", "achievement", "quest"]
    column_labels = {
        "awarded_at": in_zone(_l("Earned")),
        "student": _l("Student"),
        "username": _l("Username"),
        "achievement": _l("Achievement"),
        "description": _l("For"),
        "quest": _l("Quest"),
        "stage": _l("Earned at stage"),
    }
    column_sortable_list, column_default_sort = newest_first("awarded_at")
    column_searchable_list = STUDENT_SEARCH
    column_filters = [
        *work_filters(student=AchievementAward.student_id, quest=AchievementAward.quest_id),
        id_filter(AchievementAward.achievement_id, _l("Achievement"), "achievement", achievements),
    ]
    column_formatters = {
        "awarded_at": moment(),
        "student": student_name,
        "username": student_username,
        "achievement": shown(lambda award: achievement_name(award.achievement)),
        "description": shown(lambda award: achievement_description(award.achievement)),
        "quest": quest_title,
        "stage": shown(lambda award: stage_name(award.attempt.stage)),
    }

    def scope(self) -> Scope:
        if current_user.is_admin:
            return None
        return work_taught_by(
            current_user.id,
            student_id=AchievementAward.student_id,
            quest_id=AchievementAward.quest_id,
        )

    def get_query(self) -> Query[Any]:
        return (
            super()
            .get_query()
            .options(
                selectinload(AchievementAward.student).options(lazyload(User.roles)),
                selectinload(AchievementAward.achievement),
                selectinload(AchievementAward.quest),
            )
        )

    def record_title(self, model: AchievementAward) -> str:
        return f"{achievement_name(model.achievement)} — {model.student.display_name}"
