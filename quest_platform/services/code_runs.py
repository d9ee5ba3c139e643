"""Code runs: a student's code sent to a code stage's tests, graded in a sandbox, off the web.

:func:`request_code_run` (a page or the API) checks the code may be sent, records the run and
queues it; :func:`grade_code_run` (the job a grader runs) runs the tests in a sandbox, keeps the
verdict and, for a submission, records the attempt through ``submit_attempt``, the only owner of
attempts and points. "Run examples" runs the visible examples and records no attempt; "Submit"
runs the examples and the hidden tests, and the hidden tests decide the score.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

import redis
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from quest_platform.code_challenges import (
    MAX_SOURCE_LENGTH,
    Challenge,
    CodeTest,
    judge,
    sandbox_tests,
)
from quest_platform.extensions import db
from quest_platform.jobs import enqueue_job
from quest_platform.models import (
    CodePurpose,
    CodeRun,
    CodeRunStatus,
    Quest,
    Stage,
    StageKind,
    User,
    utcnow,
)
from quest_platform.queries.races import race_for
from quest_platform.sandbox import RunReport, SandboxUnavailable, run_tests, sandbox_refused
from quest_platform.services.attempts import (
    check_answerable,
    checked_key,
    open_stage,
    submit_attempt,
)
from quest_platform.services.errors import (
    Conflict,
    ServiceError,
    Unavailable,
    undone_on_error,
)
from quest_platform.services.grading import CodeAnswer
from quest_platform.services.races import announce_graded, check_race_started


def run_challenge(challenge: Challenge, *, source: str, tests: list[CodeTest]) -> RunReport:
    """Run ``source`` on ``tests`` of ``challenge`` in a sandbox, within the challenge's limits."""
    calls, runs = sandbox_tests(tests)
    return run_tests(
        source=source,
        calls=calls,
        runs=runs,
        limits=challenge.limits,
        seconds=challenge.seconds_per_test,
    )


def no_sandbox_message() -> str:
    """What a student is told when this server cannot run code (the log says why)."""
    return _("Code cannot be run on this server now. Tell your teacher: the server's log says why.")


@undone_on_error
def request_code_run(
    *,
    student: User,
    quest: Quest,
    stage: Stage,
    source: str,
    purpose: CodePurpose,
    submission_key: str | None = None,
    now: datetime | None = None,
) -> CodeRun:
    """Record ``student``'s ``source`` for a run of ``stage``'s tests, and queue it.

    Refused, with the reason, when the stage is not a code stage, the student may not answer it
    now (see ``open_stage`` and ``check_answerable``; a submission only), the code is empty or
    too long, or this server cannot run code. A submission sent again with the same key gets
    the run it made the first time.
    """
    now = now or utcnow()
    key = checked_key(submission_key or "") if purpose == CodePurpose.SUBMISSION else None
    if key is not None and (earlier := run_with_key(key)) is not None:
        return same_run(earlier, student=student, stage=stage)
    _progress, standing = open_stage(student=student, quest=quest, stage=stage, now=now)
    if stage.kind != StageKind.CODE:
        raise ServiceError(_("Only a code challenge runs code."))
    check_race_started(race_for(student=student, stage=stage), now=now)
    if purpose == CodePurpose.SUBMISSION:
        check_answerable(standing)
    checked_source(source)
    if reason := sandbox_refused():
        current_app.logger.error("code runs are off: %s", reason)
        raise Unavailable(no_sandbox_message())
    run = CodeRun(
        student_id=student.id,
        quest_id=quest.id,
        stage_id=stage.id,
        purpose=purpose.value,
        source=source,
        submission_key=key,
        created_at=now,
    )
    db.session.add(run)
    try:
        db.session.flush()
        # Its id, read before the commit expires it: no query holds a connection while an
        # inline job (the tests) grades it.
        run_id = run.id
        db.session.commit()
    except IntegrityError:
        # The same submission sent at once from another tab: its key's run is the one.
        db.session.rollback()
        earlier = run_with_key(key) if key is not None else None
        if earlier is None:
            raise
        return same_run(earlier, student=student, stage=stage)
    try:
        enqueue_job("quest_platform.services.code_runs:grade_code_run", run_id=run_id)
    except redis.RedisError:
        # The queue (Redis) does not answer: a run left behind would wait for ever.
        current_app.logger.error("the grading queue does not answer: code run %s dropped", run_id)
        db.session.delete(run)
        db.session.commit()
        raise Unavailable(
            _(
                "Code cannot be run right now: the grading queue does not answer. "
                "Try again in a minute."
            )
        ) from None
    # A grader may have graded it already (in its own session): read it afresh.
    db.session.refresh(run)
    return run


def checked_source(source: str) -> None:
    """Refuse code that is not text, is empty, or is longer than a stage takes."""
    if not isinstance(source, str) or not source.strip():
        raise ServiceError(_("Write some code first."), field="code")
    if len(source) > MAX_SOURCE_LENGTH:
        raise ServiceError(
            ngettext(
                "Keep your code under %(num)d character.",
                "Keep your code under %(num)d characters.",
                MAX_SOURCE_LENGTH,
            ),
            field="code",
        )


def code_purpose(value: str) -> CodePurpose:
    """The purpose a form sent ("examples" or "submission"), refused when it is neither."""
    try:
        return CodePurpose(value)
    except ValueError:
        raise ServiceError(_("Choose Run examples or Submit."), field="code") from None


def same_run(earlier: CodeRun, *, student: User, stage: Stage) -> CodeRun:
    """The run a resent submission made; a key used for anything else is a Conflict."""
    if earlier.student_id != student.id or earlier.stage_id != stage.id:
        raise Conflict(_("This submission could not be matched; reload the page."))
    return earlier


def run_with_key(key: str) -> CodeRun | None:
    """The submission's run recorded with ``key``, if any."""
    return db.session.scalar(select(CodeRun).where(CodeRun.submission_key == key))


@undone_on_error
def grade_code_run(*, run_id: int) -> CodeRun | None:
    """Run a queued run's tests in a sandbox and keep the verdict; for a submission, record the
    attempt. A run already graded (a job delivered twice) is left as it is."""
    run = db.session.get(CodeRun, run_id)
    if run is None or run.finished:
        return run
    challenge = Challenge.of(run.stage.settings or {})
    hidden = challenge.tests if run.purpose == CodePurpose.SUBMISSION else []
    source = run.source
    run.status = CodeRunStatus.RUNNING.value
    # Committed before the code runs, and nothing read from the database until it has: no
    # connection is held while a sandbox works.
    db.session.commit()
    try:
        outcome = run_challenge(challenge, source=source, tests=[*challenge.examples, *hidden])
    except SandboxUnavailable as error:
        current_app.logger.error("code run %d not graded: %s", run.id, error)
        finish(run, status=CodeRunStatus.FAILED, problem=no_sandbox_message())
        db.session.commit()
        return run
    tests = judge(hidden, outcome, visible=False)
    results = {
        "examples": [
            asdict(verdict) for verdict in judge(challenge.examples, outcome, visible=True)
        ],
        "tests": [asdict(verdict) for verdict in tests],
        "load_error": outcome.load_error,
        "load_stdout": outcome.load_stdout,
        "problem": outcome.problem,
    }
    run.results = results
    if run.purpose == CodePurpose.EXAMPLES:
        finish(run, status=CodeRunStatus.DONE)
        db.session.commit()
        return run
    # The verdict is kept even if the attempt is refused (the quest closed meanwhile, say).
    db.session.commit()
    code = CodeAnswer(source=run.source, passed=sum(v.passed for v in tests), total=len(tests))
    try:
        attempt = submit_attempt(
            student=run.student,
            quest=run.quest,
            stage=run.stage,
            answer={},
            submission_key=run.submission_key or f"code-run-{run.id}",
            opened_at=run.created_at,
            code=code,
        )
    except ServiceError as error:
        run = db.session.get(CodeRun, run_id) or run
        finish(run, status=CodeRunStatus.FAILED, problem=error.message)
    else:
        run = db.session.get(CodeRun, run_id) or run
        run.attempt_id = attempt.id
        finish(run, status=CodeRunStatus.DONE)
    db.session.commit()
    announce_graded(stage_id=run.stage_id, student_id=run.student_id)
    return run


def finish(run: CodeRun, *, status: CodeRunStatus, problem: str | None = None) -> None:
    """Note how ``run`` ended (the caller commits)."""
    run.status = status.value
    run.problem = problem[:200] if problem else None
    run.finished_at = utcnow()
