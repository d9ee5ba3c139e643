"""The shared admin base: Flask-Admin's default changes still reach the audit log."""

from __future__ import annotations

from typing import Any

from flask_login import login_user
from sqlalchemy import select

from admin_views.base import Scope, ScopedModelView
from quest_platform.models import AuditEntry, Classroom


class PlainClassroomView(ScopedModelView):
    """A view that keeps Flask-Admin's default update and delete (ours use services)."""

    def scope(self) -> Scope:
        return None


class RenameForm:
    """Stands in for a submitted form: it sets a new name on the record."""

    def populate_obj(self, record: Any) -> None:
        record.name = "Renamed by default"


def entries(db, classroom_id: int) -> list[AuditEntry]:
    query = select(AuditEntry).where(
        AuditEntry.table_name == "classroom", AuditEntry.record_id == str(classroom_id)
    )
    return list(db.session.scalars(query.order_by(AuditEntry.id)))


def test_default_updates_and_deletes_are_audited(app, db, make):
    teacher = make.teacher()
    classroom = make.classroom(teachers=[teacher])
    classroom_id, old_name = classroom.id, classroom.name
    view = PlainClassroomView(Classroom, endpoint="plain_classroom")
    with app.test_request_context():
        login_user(teacher)
        assert view.update_model(RenameForm(), classroom)
        assert view.delete_model(classroom)
    update, delete = entries(db, classroom_id)[-2:]
    assert (update.action, update.actor_id) == ("update", teacher.id)
    assert (update.before["name"], update.after["name"]) == (old_name, "Renamed by default")
    assert (delete.action, delete.before["name"], delete.after) == (
        "delete",
        "Renamed by default",
        {},
    )
    assert db.session.get(Classroom, classroom_id) is None
