"""Routes of the student portal: the quest map, the stage player, and checkpoint screenshots."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, abort, jsonify, redirect, render_template, request, send_file, url_for
from flask_security import auth_required, current_user
from werkzeug.wrappers import Response

from quest_platform.code_challenges import Challenge
from quest_platform.feedback.panels import stage_conversation
from quest_platform.github_links import MAX_LINKS
from quest_platform.labels import (
    KIND_LABELS,
    OUTCOME_LABELS,
    PROGRESS_LABELS,
    STAGE_STATE_LABELS,
    duration,
)
from quest_platform.models import (
    FINISHED_STATUSES,
    POINTS_STEP,
    EvidenceFile,
    Stage,
    StageKind,
    stored_id,
    utcnow,
)
from quest_platform.opened import opened_at, opened_token
from quest_platform.portal.forms import (
    answer_from,
    new_submission_key,
    quiz_entries,
    screenshot_from,
)
from quest_platform.portal.results import result_of
from quest_platform.queries.attempts import attempts_at, evidence_for
from quest_platform.queries.code_runs import latest_code_run, own_code_run
from quest_platform.queries.feedback import resubmissions_asked
from quest_platform.queries.peer_review import reviews_received
from quest_platform.queries.progress import (
    QuestProgress,
    StageProgress,
    assigned_progress,
    open_quest,
    quest_map_for,
)
from quest_platform.queries.races import race_for, race_view
from quest_platform.queries.rewards import next_quest, quest_rewards, unseen_reviews
from quest_platform.queries.team_hand_ins import team_checkpoint_for
from quest_platform.queries.teams import team_board, teams_of_student
from quest_platform.queries.timing import countdown_of, start_of
from quest_platform.services import ServiceError
from quest_platform.services.attempts import start_timed_stage, submit_attempt
from quest_platform.services.code_runs import code_purpose, request_code_run
from quest_platform.services.evidence import path_of
from quest_platform.services.grading import feedback_of, right_responses
from quest_platform.services.races import current_table
from quest_platform.services.reviews import mark_reviews_seen

bp = Blueprint("portal", __name__)


def student_only(view: Callable[..., Any]) -> Callable[..., Any]:
    """Let signed-in students through; others sign in first, and staff are refused (403)."""

    @wraps(view)
    @auth_required("session")
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_student:
            abort(403)
        return view(*args, **kwargs)

    return guarded


@bp.get("/quests")
@student_only
def quest_map() -> str:
    """The quests given to the student's classrooms, each with its path of stages, the
    teachers' reviews the student has not read yet, and the work teachers asked for again."""
    return render_template(
        "portal/quest_map.html",
        quests=quest_map_for(student=current_user),
        reviews=unseen_reviews(student=current_user),
        resubmissions=resubmissions_asked(student=current_user),
        progress_labels=PROGRESS_LABELS,
        state_labels=STAGE_STATE_LABELS,
        outcome_labels=OUTCOME_LABELS,
        kind_labels=KIND_LABELS,
        now=utcnow(),
    )


@bp.get("/team")
@student_only
def team() -> str:
    """The student's team in each of their classrooms: its members and how far each is."""
    boards = [team_board(team) for team in teams_of_student(current_user.id)]
    return render_template("portal/team.html", boards=boards)


@bp.get("/quests/<slug>")
@student_only
def quest(slug: str) -> Response:
    """Open a quest at the stage to do next (the last one when every stage is handed in)."""
    progress = progress_or_404(slug)
    standing = progress.next_stage or progress.stages[-1]
    return redirect(url_for(".stage", slug=slug, position=standing.stage.position))


@bp.get("/quests/<slug>/<int:position>")
@student_only
def stage(slug: str, position: int) -> tuple[str, int]:
    """A stage of a quest: its content, the form to answer it, and the student's attempts.

    ``?answered=<attempt id>`` (where an answer's form leads) tells the student its result;
    ``?run=<code run id>`` shows a run of their code (where "Run examples" and "Submit" lead).
    """
    progress = progress_or_404(slug)
    standing = standing_or_404(progress, position)
    if standing.unlocked:
        # The page shows the stage's reviews: the quest map stops telling of them.
        mark_reviews_seen(student=current_user, stage=standing.stage)
    answered = request.args.get("answered", type=int)
    return render_stage(
        progress, standing, answered=answered, run_id=request.args.get("run", type=int)
    )


@bp.get("/quests/<slug>/complete")
@student_only
def complete(slug: str) -> Response | str:
    """The end of a quest: the points and badges it earned, and what to do next.

    Until every stage is handed in, the student is sent on to the stage to do next.
    """
    progress = progress_or_404(slug)
    if progress.next_stage is not None:
        return redirect(url_for(".quest", slug=slug))
    return render_template(
        "portal/complete.html",
        progress=progress,
        rewards=quest_rewards(student=current_user, quest=progress.quest),
        following=next_quest(quest_map_for(student=current_user), after=progress.quest),
        state_labels=STAGE_STATE_LABELS,
    )


@bp.post("/quests/<slug>/<int:position>")
@student_only
def submit(slug: str, position: int) -> Response | tuple[str, int]:
    """Hand in an answer to a stage; the page then shows its result.

    ``submit_attempt`` checks that the stage is assigned and open: the student's progress is
    worked out here only to show a refused answer on its page.
    """
    quest = open_quest(slug)
    stage = quest.stage_at(position) if quest is not None else None
    if quest is None or stage is None:
        abort(404)
    try:
        attempt = submit_attempt(
            student=current_user,
            quest=quest,
            stage=stage,
            answer=answer_from(stage, request.form),
            submission_key=request.form.get("submission_key", ""),
            opened_at=opened_at(
                request.form.get("opened"), student_id=current_user.id, stage_id=stage.id
            ),
            screenshot=screenshot_from(
                request.files.get("screenshot"), request.form.get("alt_text", "")
            ),
        )
    except ServiceError as error:
        progress = progress_or_404(slug)
        # Browsers never refill a file input: a chosen screenshot must be chosen again.
        upload = request.files.get("screenshot")
        return render_stage(
            progress,
            standing_or_404(progress, position),
            error=error,
            screenshot_dropped=bool(upload and upload.filename),
        )
    # The result is told by the stage page, from the attempt: nothing is written to the session.
    answered = stored_id(attempt)
    return redirect(
        url_for(".stage", slug=slug, position=position, answered=answered, _anchor="result-banner")
    )


@bp.post("/quests/<slug>/<int:position>/code")
@student_only
def run_code(slug: str, position: int) -> Response | tuple[str, int]:
    """Send code to a code challenge: "Run examples" or "Submit". The stage page then shows the
    run, which a grader works on in the background."""
    quest = open_quest(slug)
    stage = quest.stage_at(position) if quest is not None else None
    if quest is None or stage is None:
        abort(404)
    try:
        run = request_code_run(
            student=current_user,
            quest=quest,
            stage=stage,
            source=request.form.get("code", ""),
            purpose=code_purpose(request.form.get("purpose", "")),
            submission_key=request.form.get("submission_key", ""),
        )
    except ServiceError as error:
        progress = progress_or_404(slug)
        return render_stage(progress, standing_or_404(progress, position), error=error)
    return redirect(
        url_for(".stage", slug=slug, position=position, run=stored_id(run), _anchor="code-run")
    )


@bp.get("/quests/<slug>/<int:position>/code-run")
@student_only
def code_run(slug: str, position: int) -> Response | tuple[str, int]:
    """Where the student's latest run of their code at a stage is (the stage page asks until
    it is graded)."""
    progress = progress_or_404(slug)
    standing = standing_or_404(progress, position)
    if not standing.unlocked:
        abort(403)
    run = latest_code_run(student=current_user, stage=standing.stage)
    if run is None:
        abort(404)
    status = run.status_at(utcnow())
    return jsonify(id=run.id, status=status, finished=status in FINISHED_STATUSES)


@bp.post("/quests/<slug>/<int:position>/start")
@student_only
def start(slug: str, position: int) -> Response | tuple[str, int]:
    """Start the clock of a timed stage: the time limit runs on the server from now."""
    progress = progress_or_404(slug)
    standing = standing_or_404(progress, position)
    try:
        start_timed_stage(student=current_user, quest=progress.quest, stage=standing.stage)
    except ServiceError as error:
        progress = progress_or_404(slug)
        return render_stage(progress, standing_or_404(progress, position), error=error)
    return redirect(url_for(".stage", slug=slug, position=position, _anchor="questions"))


@bp.get("/evidence/<int:evidence_id>")
@auth_required("session")
def evidence(evidence_id: int) -> Response:
    """A checkpoint screenshot, for its student, their teachers and administrators only."""
    screenshot = evidence_for(viewer=current_user, evidence_id=evidence_id)
    if screenshot is None:
        abort(404)
    return screenshot_response(screenshot)


def screenshot_response(screenshot: EvidenceFile) -> Response:
    """The file of ``screenshot`` (the caller checked who may see it); 404 if it is gone."""
    path = path_of(screenshot)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=screenshot.content_type, conditional=True, max_age=0)
    # Students' work: never kept by shared caches or the browser's disk cache.
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Disposition"] = "inline"
    return response


def progress_or_404(slug: str) -> QuestProgress:
    """The student's progress in quest ``slug``; 404 unless it was given to their classroom."""
    progress = assigned_progress(student=current_user, slug=slug)
    if progress is None:
        abort(404)
    return progress


def standing_or_404(progress: QuestProgress, position: int) -> StageProgress:
    """The student's standing in the stage at ``position``; 404 when the quest has none there."""
    standing = progress.stage_at(position)
    if standing is None:
        abort(404)
    return standing


def render_stage(
    progress: QuestProgress,
    standing: StageProgress,
    *,
    error: ServiceError | None = None,
    answered: int | None = None,
    screenshot_dropped: bool = False,
    run_id: int | None = None,
) -> tuple[str, int]:
    """The stage page; a locked stage is a 403 page, a refused answer shows why with its status.

    When ``answered`` is the student's latest attempt at the stage, the page tells its result;
    ``screenshot_dropped``: the refused answer came with a screenshot, to be chosen again.
    A code challenge shows the run ``run_id`` (the student's own), else their latest.
    """
    stage = standing.stage
    attempts = attempts_at(student=current_user, stage=stage) if standing.unlocked else []
    countdown = None
    if stage.kind == StageKind.TIMED and standing.unlocked:
        started = start_of(student=current_user, stage=stage, try_number=standing.tries + 1)
        if started is not None:
            countdown = countdown_of(start=started, stage=stage, student=current_user)
    latest = attempts[0] if attempts else None
    entered = request.form if error else {}
    if latest is not None and not error and standing.answerable:
        # A new try starts from the answers that were right.
        entered = quiz_entries(right_responses(stage, latest.answer))
    code = code_stage(stage, standing, run_id=run_id, error=error)
    now = utcnow()
    race = race_for(student=current_user, stage=stage) if code else None
    status = 200
    if not standing.unlocked:
        status = 403
    elif error is not None:
        status = error.status_code
    return render_template(
        "portal/stage.html",
        progress=progress,
        standing=standing,
        stage=stage,
        attempts=attempts,
        result=result_of(latest, standing) if latest else None,
        just_answered=latest is not None and answered == latest.id,
        feedback=(
            feedback_of(stage, latest.answer, reveal=standing.answers_revealed) if latest else ()
        ),
        countdown=countdown,
        # A team checkpoint: the student's team and who handed it in for them (docs/teams.md).
        team_checkpoint=team_checkpoint_for(student=current_user, stage=stage, latest=latest)
        if standing.unlocked
        else None,
        error=error,
        screenshot_dropped=screenshot_dropped,
        entered=entered,
        submission_key=new_submission_key(),
        opened=opened_token(student_id=current_user.id, stage_id=stage.id),
        body=stage.body,
        now=now,
        race=race_view(current_table(race, now=now), viewer=current_user, now=now)
        if race is not None
        else None,
        duration=duration,
        points_step=POINTS_STEP,
        max_links=MAX_LINKS,
        kind_labels=KIND_LABELS,
        state_labels=STAGE_STATE_LABELS,
        outcome_labels=OUTCOME_LABELS,
        # The peer reviews of the latest answer (docs/peer-review.md), hidden ones left out.
        peer_reviews=reviews_received(latest) if latest and stage.peer_reviews_wanted else [],
        # The conversation about the latest answer (docs/feedback.md), read as it is shown.
        **stage_conversation(attempts, viewer=current_user),
        **code,
    ), status


def code_stage(
    stage: Stage, standing: StageProgress, *, run_id: int | None, error: ServiceError | None
) -> dict[str, Any]:
    """What a code challenge's page shows: the challenge, the run, and the code in the editor
    (the code just refused, else the run's, else the starter code)."""
    if stage.kind != StageKind.CODE or not standing.unlocked:
        return {}
    run = own_code_run(student=current_user, run_id=run_id) if run_id else None
    if run is None or run.stage_id != stage.id:
        run = latest_code_run(student=current_user, stage=stage)
    challenge = Challenge.of(stage.settings or {})
    if error is not None:
        text = request.form.get("code", "")
    else:
        text = run.source if run is not None else challenge.starter_code
    return {
        "challenge": challenge,
        "code_run": run,
        "code_text": text,
        "run_shown": run is not None and run.id == run_id,
    }
