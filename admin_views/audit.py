"""The audit log in the admin: who changed which record, when, and from what to what (read-only)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_security import current_user
from sqlalchemy import select
from sqlalchemy.orm import Query, lazyload, selectinload

from admin_views.base import Scope, ScopedModelView
from admin_views.lists import (
    Choices,
    id_filter,
    labelled,
    moment,
    period_filter,
    person,
    word_filter,
)
from quest_platform.extensions import db
from quest_platform.models import AuditEntry, User
from quest_platform.services.audit import SECRET_COLUMNS
from quest_platform.time_zones import format_moment, in_zone

# What an entry's action and table read as: the words of the admin, not the database's.
ACTION_LABELS = {
    # "Created" is also a column of dates ("Creación"): the action reads "Creado".
    "create": lazy_pgettext("audit action", "Created"),
    "update": _l("Updated"),
    "delete": _l("Deleted"),
    "publish": _l("Published"),
    "archive": _l("Archived"),
    "copy": _l("Copied"),
    "move": _l("Moved"),
    "grant": _l("Granted"),
    "revoke": _l("Revoked"),
    "reset_password": _l("Password reset"),
    "change_password": _l("Password changed"),
    "mark": _l("Marked"),
    "override": _l("Score overridden"),
}
TABLE_LABELS = {
    "user": _l("User"),
    "classroom": _l("Classroom"),
    "enrollment": _l("Enrollment"),
    "quest": _l("Quest"),
    "stage": _l("Stage"),
    "quest_assignment": _l("Quest assignment"),
    "attempt": _l("Attempt"),
    "review": _l("Teacher review"),
    "time_extension": _l("Extra time"),
    "achievement": _l("Achievement"),
    "achievement_award": _l("Achievement awarded"),
    "api_token": _l("API token"),
}

# A moment as the log records it: "2026-12-06T14:05:07.123456+00:00".
RECORDED_MOMENT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?([+-]\d\d:\d\d)?")

CHANGE_LABELS = {
    "added": _l("Added"),
    "removed": _l("Removed"),
    "changed": _l("Changed"),
    "same": _l("Same"),
}


@dataclass(frozen=True)
class FieldChange:
    """One field of a recorded change: its value before and after, and what happened to it."""

    field: str
    before: str
    after: str
    # "added", "removed", "changed" or "same" (see CHANGE_LABELS).
    change: str

    @property
    def changed(self) -> bool:
        return self.change != "same"

    @property
    def label(self) -> str:
        return str(CHANGE_LABELS[self.change])


def shown(values: dict[str, Any] | None, field: str) -> str:
    """A recorded value as text; a dash where the record had no such field (created, deleted)."""
    if values is None or field not in values:
        return "—"
    value = values[field]
    if value is None:
        return _("(empty)")
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, str) and (moment := recorded_moment(value)) is not None:
        return format_moment(moment)
    return str(value)


def recorded_moment(value: str) -> datetime | None:
    """The moment a recorded value holds, if it is one (the log keeps them as ISO 8601 text)."""
    if not RECORDED_MOMENT.fullmatch(value):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def change_of(before: dict[str, Any], after: dict[str, Any], field: str) -> str:
    if field not in before:
        return "added"
    if field not in after:
        return "removed"
    return "same" if before[field] == after[field] else "changed"


def changes_of(entry: AuditEntry) -> list[FieldChange]:
    """Every field of an entry's before and after, in a stable order; secrets never shown."""
    before, after = entry.before or {}, entry.after or {}
    fields = sorted((before.keys() | after.keys()) - SECRET_COLUMNS)
    return [
        FieldChange(
            field=field,
            before=shown(entry.before, field),
            after=shown(entry.after, field),
            change=change_of(before, after, field),
        )
        for field in fields
    ]


def label_of(labels: dict[str, Any], value: str) -> str:
    """``value`` by its label in ``labels``; a value recorded without one reads as it is."""
    return str(labels[value]) if value in labels else value


def distinct(column: Any, labels: dict[str, Any]) -> Choices:
    """The values ``column`` takes in the entries the current user may see, as choices shown
    by their label in ``labels``."""
    return lambda view: view.distinct_values(column, labels)


def actor_choices(view: Any) -> list[tuple[str, str]]:
    """Who made entries the current user may see: themselves, or for an admin anyone."""
    if not current_user.is_admin:
        return [(str(current_user.id), current_user.display_name)]
    actors = db.session.scalars(
        select(User)
        .where(User.id.in_(select(AuditEntry.actor_id)))
        .order_by(User.display_name, User.id)
    )
    return [(str(user.id), f"{user.display_name} ({user.username})") for user in actors]


class AuditView(ScopedModelView):
    """Recorded changes: a teacher's own (an admin's: everyone's).

    A teacher sees only the entries they made themselves. Entries by others may describe other
    teachers' classes (an administrator moving a student, another teacher's roster), and the
    log keeps whole records, so filtering them by classroom could still leak what a teacher may
    not see. The log is never changed from here.
    """

    can_create = False
    can_edit = False
    can_delete = False
    column_auto_select_related = False
    details_template = "admin_views/audit/details.html"

    title_column = "at"
    column_list = ["at", "actor", "action", "table_name", "record_id"]
    column_labels = {
        "at": in_zone(_l("When")),
        "actor": _l("Who"),
        "action": _l("Action"),
        "table_name": _l("Table"),
        "record_id": _l("Record"),
    }
    column_sortable_list = [("at", ("at", "id")), "action", "table_name"]
    column_default_sort = [("at", True), ("id", True)]
    column_searchable_list = ["action", "table_name", "record_id"]
    column_filters = [
        word_filter(
            AuditEntry.action, _l("Action"), "action", distinct(AuditEntry.action, ACTION_LABELS)
        ),
        word_filter(
            AuditEntry.table_name,
            _l("Table"),
            "table",
            distinct(AuditEntry.table_name, TABLE_LABELS),
        ),
        id_filter(AuditEntry.actor_id, _l("Who"), "actor", actor_choices),
        period_filter(AuditEntry.at, _l("When")),
    ]
    column_formatters = {
        "at": moment(),
        "actor": person(_l("The platform")),
        "action": labelled(ACTION_LABELS),
        "table_name": labelled(TABLE_LABELS),
    }

    def scope(self) -> Scope:
        if current_user.is_admin:
            return None
        return AuditEntry.actor_id == current_user.id

    def get_query(self) -> Query[Any]:
        actor = selectinload(AuditEntry.actor).options(lazyload(User.roles))
        return super().get_query().options(actor)

    def record_title(self, model: AuditEntry) -> str:
        return _(
            "%(table)s #%(record)s: %(action)s",
            action=label_of(ACTION_LABELS, model.action),
            table=label_of(TABLE_LABELS, model.table_name),
            record=model.record_id,
        )

    def distinct_values(self, column: Any, labels: dict[str, Any]) -> list[tuple[str, str]]:
        """The values ``column`` takes in the entries in scope, as choices of a filter, each
        shown by its label in ``labels``."""
        query = select(column).distinct().order_by(column)
        condition = self.scope()
        if condition is not None:
            query = query.where(condition)
        return [(value, label_of(labels, value)) for value in db.session.scalars(query)]

    def changes(self, entry: AuditEntry) -> list[FieldChange]:
        return changes_of(entry)
