"""Importing an uploaded notebook happens once: an import form sent twenty times at once makes one
quest, and simultaneous imports of notebooks of one title each get their own address."""

from __future__ import annotations

from pathlib import Path
from queue import Queue
from typing import Any

import pytest
from helpers import at_once
from sqlalchemy import func, select

from quest_platform.extensions import db
from quest_platform.models import Quest, User
from quest_platform.services.notebooks import (
    import_pending_notebook,
    keep_pending_notebook,
    pending_folder,
)

DATA = Path(__file__).parent / "data"


@pytest.fixture
def uploads(app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An upload folder of this test's own."""
    monkeypatch.setitem(app.config, "UPLOAD_DIR", tmp_path)
    return tmp_path


def test_an_import_sent_twenty_times_at_once_makes_one_quest(
    app: Any, make: Any, uploads: Path
) -> None:
    teacher_id = make.teacher().id
    data = (DATA / "sprint_checkpoints.ipynb").read_bytes()
    token = keep_pending_notebook(data=data, by=db.session.get(User, teacher_id))

    def send() -> None:
        teacher = db.session.get(User, teacher_id)
        import_pending_notebook(token=token, file_name="sprint.ipynb", by=teacher)

    outcomes = at_once(app, send, senders=20)
    assert outcomes == {"ok": 1, "Conflict": 19}
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Quest)) == 1
    # Nothing waits any more, and nothing half-taken is left behind.
    assert list(pending_folder().iterdir()) == []


def test_notebooks_of_one_title_imported_at_once_each_get_an_address(
    app: Any, make: Any, uploads: Path
) -> None:
    data = (DATA / "sprint_checkpoints.ipynb").read_bytes()
    teachers = [make.teacher() for _ in range(6)]
    tokens = {teacher.id: keep_pending_notebook(data=data, by=teacher) for teacher in teachers}
    senders: Queue[int] = Queue()
    for teacher_id in tokens:
        senders.put(teacher_id)

    def send() -> None:
        # Each sender imports its own teacher's upload.
        teacher_id = senders.get_nowait()
        teacher = db.session.get(User, teacher_id)
        import_pending_notebook(token=tokens[teacher_id], file_name="sprint.ipynb", by=teacher)

    outcomes = at_once(app, send, senders=len(teachers))
    db.session.rollback()
    slugs = db.session.scalars(select(Quest.slug)).all()
    # Each import made a quest of its own address, or was refused whole, to be sent again.
    assert set(outcomes) <= {"ok", "Conflict"}
    assert len(slugs) == outcomes["ok"] == len(set(slugs))
    assert outcomes["ok"] >= 1
