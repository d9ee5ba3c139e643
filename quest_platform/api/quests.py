"""The caller's quests: what is assigned with their progress, a quest's stages, answering, and
running code against a code challenge's tests.

Quiz questions go out without their answers or explanations; a quiz's per-question feedback
comes with the caller's own attempts, after they answered, and holds the right answers only
once the stage shows them (passed or out of tries, if its settings reveal them).
"""

from __future__ import annotations

import uuid
from typing import Any

from flask_babel import gettext as _
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields, validate

from quest_platform.api.access import caller, refuse, signed_in
from quest_platform.models import (
    FINISHED_STATUSES,
    Attempt,
    CodePurpose,
    CodeRun,
    Stage,
    utcnow,
)
from quest_platform.opened import opened_at, opened_token
from quest_platform.queries.attempts import attempts_at
from quest_platform.queries.code_runs import own_code_run
from quest_platform.queries.progress import (
    ProgressStatus,
    QuestProgress,
    StageProgress,
    assigned_progress,
    quest_map_for,
)
from quest_platform.queries.races import races_waiting
from quest_platform.services import ServiceError
from quest_platform.services.attempts import start_timed_stage, submit_attempt
from quest_platform.services.code_runs import request_code_run
from quest_platform.services.grading import feedback_of

bp = Blueprint(
    "api_quests",
    __name__,
    url_prefix="/api/v1/quests",
    description="Your quests with your progress, their stages, and your answers to them.",
)

# What a stage's settings may show a student: never the answers.
SHOWN_SETTINGS = (
    *("max_tries", "score_policy", "late_policy", "min_length", "items", "evidence"),
    *("pass_percent", "reveal_answers"),
    # A code challenge's: its hidden tests and reference solution never.
    *("starter_code", "examples", "seconds_per_test"),
)
SHOWN_QUESTION_FIELDS = ("id", "type", "prompt", "choices")


class ProgressOut(Schema):
    """An assigned quest and where the caller stands in it."""

    slug = fields.String(required=True)
    title = fields.String(required=True)
    theme = fields.String(required=True)
    summary = fields.String(required=True)
    opens_at = fields.DateTime(required=True)
    due_at = fields.DateTime(required=True)
    status = fields.String(
        required=True,
        validate=validate.OneOf([status.value for status in ProgressStatus]),
    )
    stages_done = fields.Integer(required=True)
    stages_total = fields.Integer(required=True)
    next_stage = fields.Integer(
        required=True, allow_none=True, metadata={"description": "The position to do next."}
    )


class StageOut(Schema):
    """One stage: its content and settings (without answers) and the caller's standing."""

    position = fields.Integer(required=True)
    kind = fields.String(required=True)
    title = fields.String(required=True)
    content = fields.String(required=True, metadata={"description": "Markdown."})
    content_html = fields.String(required=True, metadata={"description": "Sanitized HTML."})
    points = fields.Integer(required=True)
    time_limit_seconds = fields.Integer(required=True, allow_none=True)
    pass_score = fields.Float(
        required=True,
        allow_none=True,
        metadata={"description": "The points a quiz needs to pass (null for other stages)."},
    )
    prompt = fields.String(required=True, allow_none=True)
    settings = fields.Dict(required=True)
    questions = fields.List(fields.Dict(), required=True)
    state = fields.String(required=True)
    tries = fields.Integer(required=True)
    tries_left = fields.Integer(required=True, allow_none=True)
    unlocked = fields.Boolean(required=True)
    answerable = fields.Boolean(required=True)
    opened = fields.String(
        required=True,
        metadata={
            "description": "Send it back with your answer (`opened`): the server then times "
            "your try from when it gave you this stage."
        },
    )


class QuestOut(ProgressOut):
    """A quest with each of its stages."""

    stages = fields.List(fields.Nested(StageOut), required=True)


class FeedbackOut(Schema):
    """One quiz question as the caller answered it, and whether that was right.

    ``right_answers`` is empty and ``explanation`` is given only for a right answer while the
    stage does not show its answers: while tries are left, a hint helps instead.
    """

    question_id = fields.String(required=True)
    prompt = fields.String(required=True)
    correct = fields.Boolean(required=True)
    given = fields.List(fields.String(), required=True)
    hint = fields.String(required=True)
    right_answers = fields.List(fields.String(), required=True)
    explanation = fields.String(required=True)


class AttemptOut(Schema):
    """One of the caller's attempts, with its result as it counts now."""

    id = fields.Integer(required=True)
    position = fields.Integer(required=True)
    submitted_at = fields.DateTime(required=True)
    answer = fields.Dict(required=True)
    score = fields.Float(required=True, allow_none=True)
    max_score = fields.Float(required=True, allow_none=True)
    outcome = fields.String(required=True)
    reviewed = fields.Boolean(required=True)
    feedback = fields.List(fields.Nested(FeedbackOut), required=True)


class AnswerIn(Schema):
    """An answer to a stage.

    ``answer`` by kind: lesson ``{"confirmed": true}``; quiz and timed ``{"responses": {"q1":
    [1], "q4": "text"}}`` (choice numbers from 0, or the text of a short answer); reflection
    ``{"text": "..."}``; self-check ``{"ticked": [0, 1, 2]}``; checkpoint ``{"evidence":
    "...", "links": ["https://github.com/owner/repo/pull/12"]}`` (``links``, where the stage
    asks for them: up to 5 addresses of GitHub pull requests, commits or issues; screenshots are
    handed in on the platform). ``submission_key``: the same key sent twice records one attempt.
    """

    answer = fields.Dict(required=True)
    submission_key = fields.String(validate=validate.Length(min=8, max=64))
    opened = fields.String(
        validate=validate.Length(max=200),
        metadata={
            "description": "The stage's `opened` value from when you fetched the quest: your "
            "try is timed from then. Without it (or when it is too old) it is timed from now."
        },
    )


class CodeRunIn(Schema):
    """Code for a code challenge: ``examples`` runs the visible examples and records nothing;
    ``submission`` runs the hidden tests too and records an attempt (the same
    ``submission_key`` sent twice makes one run)."""

    code = fields.String(required=True, validate=validate.Length(max=1_000_000))
    purpose = fields.String(
        required=True, validate=validate.OneOf([purpose.value for purpose in CodePurpose])
    )
    submission_key = fields.String(validate=validate.Length(min=8, max=64))


class VerdictOut(Schema):
    """One test of a run. An example shows its call (or input and output), what the code gave
    and printed, and its error; a hidden test shows only whether it passed and the kind of
    failure (``timeout``, ``missing``, ``not-loaded``, ``crashed``, ``error``)."""

    id = fields.String(required=True)
    passed = fields.Boolean(required=True)
    text = fields.String(required=True)
    got = fields.String(required=True)
    printed = fields.String(required=True)
    error = fields.String(required=True)


class CodeRunOut(Schema):
    """A run of the caller's code: queued, running, then ``done`` with its verdicts (or
    ``failed`` with the ``problem``, or ``lost`` when no grader took it within five minutes:
    send the code again); a submission names the attempt it recorded."""

    id = fields.Integer(required=True)
    purpose = fields.String(required=True)
    status = fields.String(required=True)
    finished = fields.Boolean(required=True)
    examples = fields.List(fields.Nested(VerdictOut), required=True)
    tests = fields.List(fields.Nested(VerdictOut), required=True)
    load_error = fields.String(required=True, allow_none=True)
    problem = fields.String(required=True, allow_none=True)
    attempt_id = fields.Integer(required=True, allow_none=True)
    created_at = fields.DateTime(required=True)
    finished_at = fields.DateTime(required=True, allow_none=True)


def code_run_out(run: CodeRun) -> dict[str, Any]:
    results = run.results or {}
    status = run.status_at(utcnow())
    return {
        "id": run.id,
        "purpose": run.purpose,
        "status": status,
        "finished": status in FINISHED_STATUSES,
        "examples": results.get("examples", []),
        "tests": results.get("tests", []),
        "load_error": results.get("load_error"),
        "problem": run.problem or results.get("problem"),
        "attempt_id": run.attempt_id,
        "created_at": run.created_at,
        "finished_at": run.finished_at,
    }


def progress_out(progress: QuestProgress) -> dict[str, Any]:
    quest, assignment = progress.quest, progress.assignment
    next_stage = progress.next_stage
    return {
        "slug": quest.slug,
        "title": quest.title,
        "theme": quest.theme,
        "summary": quest.summary,
        "opens_at": assignment.opens_at if assignment else None,
        "due_at": assignment.due_at if assignment else None,
        "status": progress.status.value,
        "stages_done": progress.finished_count,
        "stages_total": len(progress.stages),
        "next_stage": next_stage.stage.position if next_stage else None,
    }


def questions_out(stage: Stage) -> list[dict[str, Any]]:
    return [
        {name: question[name] for name in SHOWN_QUESTION_FIELDS if name in question}
        for question in stage.questions
    ]


def stage_out(standing: StageProgress, student_id: int, *, hidden: bool = False) -> dict[str, Any]:
    """A stage as the caller sees it; ``hidden``: raced, before the race's start, so its problem
    is not shown yet (content, prompt and settings are empty, and it takes no answer)."""
    stage = standing.stage
    settings = {} if hidden else stage.settings or {}
    return {
        "position": stage.position,
        "kind": stage.kind,
        "title": stage.title,
        "content": "" if hidden else stage.content or "",
        "content_html": "" if hidden else stage.content_html,
        "points": stage.points,
        "time_limit_seconds": stage.time_limit_seconds,
        "pass_score": stage.pass_score if stage.is_quiz else None,
        "prompt": settings.get("prompt"),
        "settings": {name: settings[name] for name in SHOWN_SETTINGS if name in settings},
        "questions": questions_out(stage),
        "state": standing.state.value,
        "tries": standing.tries,
        "tries_left": standing.tries_left,
        "unlocked": standing.unlocked,
        "answerable": standing.answerable and not hidden,
        "opened": opened_token(student_id=student_id, stage_id=stage.id),
    }


def attempt_out(attempt: Attempt, standing: StageProgress) -> dict[str, Any]:
    """An attempt, with feedback as the caller's standing in its stage allows."""
    score, outcome = attempt.result
    reveal = standing.answers_revealed
    return {
        "id": attempt.id,
        "position": attempt.stage.position,
        "submitted_at": attempt.submitted_at,
        "answer": attempt.answer,
        "score": score,
        "max_score": attempt.max_score,
        "outcome": outcome,
        "reviewed": attempt.latest_review is not None,
        "feedback": [
            vars(item) for item in feedback_of(attempt.stage, attempt.answer, reveal=reveal)
        ],
    }


def students_progress(slug: str) -> QuestProgress:
    """The caller's progress in quest ``slug``; 404 unless given to one of their classrooms."""
    progress = assigned_progress(student=caller(), slug=slug)
    if progress is None:
        abort(404, message=_("There is no quest with this name among yours."))
    return progress


def standing_at(progress: QuestProgress, position: int) -> StageProgress:
    standing = progress.stage_at(position)
    if standing is None:
        abort(404, message=_("This quest has no stage at this position."))
    return standing


def students_only() -> None:
    if not caller().is_student:
        abort(403, message=_("Quests are answered by students."))


@bp.get("")
@bp.response(200, ProgressOut(many=True))
@signed_in()
def my_quests() -> Any:
    """The quests given to your classrooms, soonest due first, with your progress."""
    students_only()
    return [progress_out(progress) for progress in quest_map_for(student=caller())]


@bp.get("/<slug>")
@bp.response(200, QuestOut)
@signed_in()
def quest(slug: str) -> Any:
    """One of your quests with its stages (their questions without the answers)."""
    students_only()
    progress = students_progress(slug)
    student_id = caller().id
    waiting = races_waiting(student_id=student_id, now=utcnow())
    stages = [
        stage_out(standing, student_id, hidden=standing.stage.id in waiting)
        for standing in progress.stages
    ]
    return {**progress_out(progress), "stages": stages}


@bp.get("/<slug>/stages/<int:position>/attempts")
@bp.response(200, AttemptOut(many=True))
@signed_in()
def my_attempts(slug: str, position: int) -> Any:
    """Your attempts at a stage, newest first, with their results and feedback."""
    students_only()
    standing = standing_at(students_progress(slug), position)
    attempts = attempts_at(student=caller(), stage=standing.stage)
    return [attempt_out(attempt, standing) for attempt in attempts]


@bp.post("/<slug>/stages/<int:position>/attempts")
@bp.arguments(AnswerIn)
@bp.response(201, AttemptOut)
@signed_in()
def answer(request_data: dict[str, Any], slug: str, position: int) -> Any:
    """Answer a stage: graded on the server; the attempt comes back with its result.

    Refused with 403 for a locked stage or a closed quest, 409 when no tries are left or the
    stage was already handed in, 422 for an answer that does not fit the stage.
    """
    students_only()
    progress = students_progress(slug)
    stage = standing_at(progress, position).stage
    student = caller()
    try:
        attempt = submit_attempt(
            student=student,
            quest=progress.quest,
            stage=stage,
            answer=request_data["answer"],
            submission_key=request_data.get("submission_key") or uuid.uuid4().hex,
            opened_at=opened_at(
                request_data.get("opened"), student_id=student.id, stage_id=stage.id
            ),
        )
    except ServiceError as error:
        refuse(error)
    # Where the caller stands after this answer decides what its feedback may show.
    return attempt_out(attempt, standing_at(students_progress(slug), position))


@bp.post("/<slug>/stages/<int:position>/start")
@bp.response(204)
@signed_in()
def start(slug: str, position: int) -> None:
    """Start a timed stage's clock: its time limit runs on the server from now."""
    students_only()
    progress = students_progress(slug)
    standing = standing_at(progress, position)
    try:
        start_timed_stage(student=caller(), quest=progress.quest, stage=standing.stage)
    except ServiceError as error:
        refuse(error)


@bp.post("/<slug>/stages/<int:position>/code-runs")
@bp.arguments(CodeRunIn)
@bp.response(202, CodeRunOut)
@signed_in()
def run_code(request_data: dict[str, Any], slug: str, position: int) -> Any:
    """Send code to a code challenge; a grader runs it in a sandbox. Ask for the run (below)
    until it is ``finished``.

    Refused with 403 for a locked stage or a closed quest, 409 when no tries are left or the
    stage is passed (a submission), 422 for a stage that is not a code challenge or code that
    is empty or too long, 503 when this server cannot run code.
    """
    students_only()
    progress = students_progress(slug)
    stage = standing_at(progress, position).stage
    try:
        run = request_code_run(
            student=caller(),
            quest=progress.quest,
            stage=stage,
            source=request_data["code"],
            purpose=CodePurpose(request_data["purpose"]),
            submission_key=request_data.get("submission_key") or uuid.uuid4().hex,
        )
    except ServiceError as error:
        refuse(error)
    return code_run_out(run)


@bp.get("/<slug>/stages/<int:position>/code-runs/<int:run_id>")
@bp.response(200, CodeRunOut)
@signed_in()
def code_run(slug: str, position: int, run_id: int) -> Any:
    """One of your runs of code at a stage, as far as a grader has got with it."""
    students_only()
    stage = standing_at(students_progress(slug), position).stage
    run = own_code_run(student=caller(), run_id=run_id)
    if run is None or run.stage_id != stage.id:
        abort(404, message=_("You have no run of code with this number at this stage."))
    return code_run_out(run)
