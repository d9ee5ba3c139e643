"""Reading code runs: a student's own, the latest at a stage or one by its id."""

from __future__ import annotations

from sqlalchemy import select

from quest_platform.extensions import db
from quest_platform.models import CodeRun, Stage, User


def latest_code_run(*, student: User, stage: Stage) -> CodeRun | None:
    """The student's latest run of their code at ``stage``, if any."""
    query = (
        select(CodeRun)
        .where(CodeRun.student_id == student.id, CodeRun.stage_id == stage.id)
        .order_by(CodeRun.id.desc())
        .limit(1)
    )
    return db.session.scalar(query)


def own_code_run(*, student: User, run_id: int) -> CodeRun | None:
    """The run ``run_id`` if it is the student's own (anyone else's is as good as missing)."""
    run = db.session.get(CodeRun, run_id)
    return run if run is not None and run.student_id == student.id else None
