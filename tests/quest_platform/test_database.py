"""The database connection: SQLite is tuned for a school server; constraints are enforced."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from quest_platform.models import Enrollment


@pytest.fixture
def sqlite_only(db):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite tuning; PostgreSQL needs none")


@pytest.mark.usefixtures("sqlite_only")
def test_sqlite_uses_write_ahead_logging_and_waits_for_locks(db):
    with db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 5000
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_foreign_keys_are_enforced(db):
    db.session.add(Enrollment(classroom_id=424242, student_id=424242))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
