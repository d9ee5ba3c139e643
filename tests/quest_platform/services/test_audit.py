"""The audit log: snapshots of records never carry secrets."""

from __future__ import annotations

import json

from sqlalchemy import select

from quest_platform.models import AuditEntry
from quest_platform.services.audit import SECRET_COLUMNS, record_change, snapshot


def test_a_user_snapshot_has_no_password_or_uniquifier(db, make):
    user = make.teacher(email="t@example.org")
    values = snapshot(user)
    assert values["username"] == user.username
    assert values["email"] == "t@example.org"
    assert {"password", "fs_uniquifier"}.isdisjoint(values)
    text = json.dumps(values)
    assert user.password not in text
    assert user.fs_uniquifier not in text


def test_secret_columns_are_named_once(db):
    assert {"password", "fs_uniquifier", "fs_token_uniquifier"} <= SECRET_COLUMNS


def test_every_audit_entry_of_a_user_is_free_of_secrets(db, make):
    user = make.student()
    record_change(actor=None, action="update", record=user)
    db.session.commit()
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.table_name == "user")).all()
    assert len(entries) == 2
    for entry in entries:
        text = json.dumps([entry.before, entry.after])
        assert user.password not in text
        assert user.fs_uniquifier not in text


def test_snapshots_are_json_ready(db, make):
    classroom = make.classroom()
    values = snapshot(classroom)
    assert json.loads(json.dumps(values))["join_code"] == classroom.join_code
    assert isinstance(values["created_at"], str)
