"""Service errors: a service that owns its transaction undoes its own work when it fails."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest
from sqlalchemy import func, select

import quest_platform.services as services
from quest_platform.extensions import db
from quest_platform.models import AuditEntry, Classroom
from quest_platform.services.errors import Conflict, undone_on_error

SERVICES = Path(inspect.getfile(services)).parent
# Steps of a service that undoes its work itself, around them (see submit_attempt, review_attempt).
INNER_STEPS = {"record_attempt", "record_review", "submit_attempt"}


def committing_services() -> list[tuple[str, ast.FunctionDef]]:
    """Every module-level function of services/ that commits, with its module's name."""
    found = []
    for path in sorted(SERVICES.glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and "db.session.commit()" in ast.unparse(node):
                found.append((path.stem, node))
    return found


def test_every_service_that_commits_undoes_its_work_when_it_fails() -> None:
    found = committing_services()
    assert len(found) > 20
    for module, function in found:
        if function.name in INNER_STEPS:
            continue
        decorators = {ast.unparse(decorator) for decorator in function.decorator_list}
        assert "undone_on_error" in decorators, f"services/{module}.py: {function.name}"


def test_a_refused_service_leaves_nothing_half_written(make) -> None:
    classroom = make.classroom()
    entries = db.session.scalar(select(func.count(AuditEntry.id)))

    @undone_on_error
    def rename_then_refuse() -> None:
        classroom.name = "Renamed"
        db.session.flush()
        raise Conflict("Refused after writing.")

    with pytest.raises(Conflict):
        rename_then_refuse()

    # The session is clean and still usable: the name is as stored, nothing else was written.
    assert not db.session.dirty
    assert db.session.scalar(select(Classroom.name).where(Classroom.id == classroom.id)) != (
        "Renamed"
    )
    assert db.session.scalar(select(func.count(AuditEntry.id))) == entries
