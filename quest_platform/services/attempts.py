"""Attempts: a student submits an answer to a stage; it is recorded, graded and rewarded."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import format_datetime, ngettext
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from quest_platform.extensions import db
from quest_platform.models import (
    Attempt,
    PointsEntry,
    PointsReason,
    Quest,
    QuestStatus,
    Stage,
    StageKind,
    StageStart,
    User,
    utcnow,
)
from quest_platform.queries.progress import (
    AttemptResult,
    StageProgress,
    StageState,
    assignment_for,
    attempt_results,
    max_tries,
    progress_from,
)
from quest_platform.queries.timing import extra_seconds_for, start_of
from quest_platform.services.achievements import (
    STREAK_DAYS,
    award_achievement,
    current_streak,
    quest_achievements,
)
from quest_platform.services.errors import Conflict, NotAllowed, ServiceError
from quest_platform.services.evidence import (
    Screenshot,
    check_screenshot,
    discard_file,
    keep_screenshot,
)
from quest_platform.services.grading import (
    Grade,
    StageAnswer,
    answer_document,
    grade_answer,
    parse_answer,
)

MAX_SUBMISSION_KEY_LENGTH = 64
QUIZ_KINDS = frozenset({StageKind.QUIZ, StageKind.TIMED})
# Stages other than quizzes are handed in once; these states mean it has been.
HANDED_IN = frozenset({StageState.PASSED, StageState.LATE, StageState.AWAITING_REVIEW})


def submit_attempt(
    *,
    student: User,
    quest: Quest,
    stage: Stage,
    answer: Mapping[str, Any],
    submission_key: str,
    started_at: datetime | None = None,
    screenshot: Screenshot | None = None,
    now: datetime | None = None,
) -> Attempt:
    """Record ``student``'s ``answer`` to ``stage``, grade it, and award its points, in one commit.

    Refused (ServiceError and its kinds, with a message to show) when the student's classroom was
    not given the quest, the assignment has not opened, the quest is closed, the stage is locked
    (an earlier stage is not yet handed in), the stage's tries are used up, a lesson, reflection,
    self-check or checkpoint was already handed in, or the answer does not fit the stage.

    A quest closes at its due date: answers after it are refused, not recorded as late. "Late"
    is only for timed stages: their time runs from the start the server recorded (see
    :func:`start_timed_stage`; an answer without one is refused) plus any extra time a teacher
    gave, and an answer after that and the grace period is late. For other stages
    ``started_at`` is when the student opened the stage (now, if not known).

    ``screenshot`` is a checkpoint's uploaded image (see services/evidence.py): checked before
    anything is written, kept in the upload folder and recorded with the attempt.

    ``submission_key`` makes a resent submission harmless: the same key returns the attempt it
    recorded the first time, and never a second row; another student's key is a Conflict.

    Points go to the append-only ledger once per stage, as differences: each attempt adds what
    moves the student's total for the stage to its counted score (see :func:`counted_points`).
    So a better quiz try adds the gain, a worse one under the "latest" policy a negative entry,
    and the sum of a student's entries is always their points. Achievements that the attempt
    earns are awarded with their bonus points.
    """
    key = checked_key(submission_key)
    now = now or utcnow()
    try:
        checked = checked_answer(
            student=student,
            quest=quest,
            stage=stage,
            answer=answer,
            started_at=started_at,
            screenshot=screenshot,
            now=now,
        )
    except ServiceError:
        # A resent submission whose first copy was recorded is refused by the checks now (its
        # try is used, the stage handed in): it gets the attempt recorded the first time.
        existing = attempt_with_key(key)
        if existing is None:
            raise
        return same_submission(existing, student=student, stage=stage)
    grade = checked.grade
    attempt = Attempt(
        student_id=student.id,
        quest_id=quest.id,
        stage_id=stage.id,
        started_at=checked.started_at,
        submitted_at=now,
        answer=answer_document(checked.answer),
        score=grade.score,
        max_score=grade.max_score,
        outcome=grade.outcome.value,
        submission_key=key,
    )
    db.session.add(attempt)
    evidence = None
    try:
        db.session.flush()
        if checked.screenshot is not None:
            evidence = keep_screenshot(attempt=attempt, screenshot=checked.screenshot)
        result = AttemptResult(attempt.id, stage.id, grade.score, grade.outcome)
        results = [*checked.results, result]
        settle_stage_points(attempt=attempt, stage=stage, results=results)
        award_achievements(attempt=attempt, grade=grade, quest=quest, results=results, now=now)
        db.session.commit()
    except IntegrityError:
        # The key was recorded already: a resent submission, or the same one sent twice at once.
        db.session.rollback()
        if evidence is not None:
            discard_file(evidence)
        existing = attempt_with_key(key)
        if existing is None:
            raise
        return same_submission(existing, student=student, stage=stage)
    except BaseException:
        db.session.rollback()
        if evidence is not None:
            discard_file(evidence)
        raise
    return attempt


@dataclass(frozen=True)
class CheckedAnswer:
    """An answer that may be recorded, graded, with what recording it needs."""

    answer: StageAnswer
    grade: Grade
    # When the try started: the server's start of a timed stage, else when the stage was opened.
    started_at: datetime
    # The student's results in the quest before this answer, oldest first.
    results: list[AttemptResult]
    screenshot: Screenshot | None


def checked_answer(
    *,
    student: User,
    quest: Quest,
    stage: Stage,
    answer: Mapping[str, Any],
    started_at: datetime | None,
    screenshot: Screenshot | None,
    now: datetime,
) -> CheckedAnswer:
    """Check that ``student`` may answer ``stage`` now and grade the answer, writing nothing.

    Refused (ServiceError and its kinds) as :func:`submit_attempt` says.
    """
    results, standing = open_stage(student=student, quest=quest, stage=stage, now=now)
    check_tries_left(stage, state=standing.state, tries=standing.tries)
    extra_seconds = 0
    if stage.kind == StageKind.TIMED:
        start = start_of(student=student, stage=stage, try_number=standing.tries + 1)
        if start is None:
            raise Conflict(_("Start the timed quiz before you answer it."))
        started_at = start.started_at
        extra_seconds = extra_seconds_for(student=student, stage=stage)
    started_at = started_at or now
    if started_at.tzinfo is None or started_at > now:
        raise ServiceError(_("The stage's start time could not be read."))
    if screenshot is not None and "screenshot" not in evidence_kinds(stage):
        raise ServiceError(_("This stage does not take a screenshot."), field="screenshot")
    checked = check_screenshot(screenshot) if screenshot is not None else None
    parsed = parse_answer(stage, answer, has_screenshot=checked is not None)
    grade = grade_answer(
        stage,
        parsed,
        elapsed_seconds=(now - started_at).total_seconds(),
        extra_seconds=extra_seconds,
    )
    return CheckedAnswer(parsed, grade, started_at, results, checked)


def evidence_kinds(stage: Stage) -> list[str]:
    """What a checkpoint asks students to hand in: "code" (text), "screenshot", or both."""
    if stage.kind != StageKind.CHECKPOINT:
        return []
    return list((stage.settings or {}).get("evidence", ["code"]))


def open_stage(
    *, student: User, quest: Quest, stage: Stage, now: datetime
) -> tuple[list[AttemptResult], StageProgress]:
    """The student's results in ``quest`` and standing in ``stage``, if they may work on it now.

    Refused (NotAllowed, with the reason) when the stage is not the quest's, the quest was not
    given to the student's classroom, has not opened, is closed, or the stage is still locked.
    """
    if stage.quest_id != quest.id:
        raise ServiceError(_("This stage is not part of this quest."))
    assignment = assignment_for(student=student, quest=quest)
    if assignment is None or quest.status == QuestStatus.DRAFT:
        raise NotAllowed(_("This quest was not given to your class."))
    if now < assignment.opens_at:
        raise NotAllowed(
            _("This quest opens on %(date)s.", date=format_datetime(assignment.opens_at))
        )
    if now > assignment.due_at or quest.status == QuestStatus.ARCHIVED:
        raise NotAllowed(
            _(
                "This quest is closed: it was due on %(date)s.",
                date=format_datetime(assignment.due_at),
            )
        )
    results = attempt_results(student=student, quest=quest)
    progress = progress_from(quest=quest, assignment=assignment, results=results, now=now)
    standing = progress.stage_at(stage.position)
    if standing is None or not standing.unlocked:
        raise NotAllowed(_("Finish the earlier stages of this quest first."))
    return results, standing


def start_timed_stage(
    *, student: User, quest: Quest, stage: Stage, now: datetime | None = None
) -> StageStart:
    """Record when ``student`` starts their next try at the timed ``stage``, and return it.

    The clock runs on the server from this moment. Starting again before answering returns the
    same start (a reload or a second tab does not reset the time). Refused like an answer
    (see :func:`open_stage`), and when the stage is not timed or its tries are used up.
    """
    now = now or utcnow()
    _results, standing = open_stage(student=student, quest=quest, stage=stage, now=now)
    if stage.kind != StageKind.TIMED:
        raise Conflict(_("Only timed stages are started on a clock."))
    check_tries_left(stage, state=standing.state, tries=standing.tries)
    try_number = standing.tries + 1
    start = start_of(student=student, stage=stage, try_number=try_number)
    if start is not None:
        return start
    start = StageStart(
        student_id=student.id, stage_id=stage.id, try_number=try_number, started_at=now
    )
    db.session.add(start)
    try:
        db.session.commit()
    except IntegrityError:
        # Started twice at once (two tabs): the first start counts.
        db.session.rollback()
        start = start_of(student=student, stage=stage, try_number=try_number)
        if start is None:
            raise
    return start


def checked_key(submission_key: str) -> str:
    """The submission key, refused when empty or too long."""
    key = submission_key.strip() if isinstance(submission_key, str) else ""
    if not key or len(key) > MAX_SUBMISSION_KEY_LENGTH:
        raise ServiceError(_("This submission could not be matched; reload the page."))
    return key


def attempt_with_key(key: str) -> Attempt | None:
    """The attempt recorded with ``key``, if any."""
    return db.session.scalar(select(Attempt).where(Attempt.submission_key == key))


def same_submission(existing: Attempt, *, student: User, stage: Stage) -> Attempt:
    """The attempt a resent submission recorded; a key used for anything else is a Conflict."""
    if existing.student_id != student.id or existing.stage_id != stage.id:
        raise Conflict(_("This submission could not be matched; reload the page."))
    return existing


def check_tries_left(stage: Stage, *, state: StageState, tries: int) -> None:
    """Refuse another try when the stage's tries are used up or it was already handed in."""
    limit = max_tries(stage)
    if limit is not None and tries >= limit:
        raise Conflict(
            ngettext(
                "You have used your %(num)d try at this stage.",
                "You have used all %(num)d tries at this stage.",
                limit,
            )
        )
    if stage.kind not in QUIZ_KINDS and state in HANDED_IN:
        raise Conflict(_("You have already handed in this stage."))


def counted_points(stage: Stage, results: Sequence[AttemptResult]) -> int:
    """The whole points a stage's attempts are worth now, as their results stand.

    Quizzes and timed quizzes count the best or the latest scored try, as the stage's
    ``score_policy`` says (best by default). Other stages count their latest scored result:
    all their points once passed, or the score a teacher gave a checkpoint.
    """
    scores = [result.score for result in results if result.score is not None]
    if not scores:
        return 0
    policy = (stage.settings or {}).get("score_policy", "best")
    score = max(scores) if stage.kind in QUIZ_KINDS and policy == "best" else scores[-1]
    # Half a point rounds up, not to the nearest even number.
    return math.floor(score + 0.5)


def settle_stage_points(
    *, attempt: Attempt, stage: Stage, results: Sequence[AttemptResult]
) -> None:
    """Add the ledger entry that brings the student's points for ``stage`` to its counted score."""
    entered = db.session.scalar(
        select(func.coalesce(func.sum(PointsEntry.points), 0)).where(
            PointsEntry.student_id == attempt.student_id,
            PointsEntry.stage_id == stage.id,
            PointsEntry.reason == PointsReason.STAGE_SCORE,
        )
    )
    own = [result for result in results if result.stage_id == stage.id]
    difference = counted_points(stage, own) - int(entered or 0)
    if difference:
        db.session.add(
            PointsEntry(
                student_id=attempt.student_id,
                quest_id=attempt.quest_id,
                stage_id=stage.id,
                attempt_id=attempt.id,
                points=difference,
                reason=PointsReason.STAGE_SCORE.value,
                created_at=attempt.submitted_at,
            )
        )


def settle_reviewed_points(*, attempt: Attempt) -> None:
    """Bring the ledger for ``attempt``'s stage in line with its results after a teacher's review.

    For the reviews service: call it once the review is added, before the commit, so that a
    marked checkpoint or an overridden score moves the student's points with it.
    """
    db.session.flush()
    results = attempt_results(student=attempt.student, quest=attempt.quest)
    settle_stage_points(attempt=attempt, stage=attempt.stage, results=results)


def award_achievements(
    *,
    attempt: Attempt,
    grade: Grade,
    quest: Quest,
    results: Sequence[AttemptResult],
    now: datetime,
) -> None:
    """Award what this attempt earns: a perfect quiz, a finished quest, every reflection of the
    quest written, and five school days in a row of work (see services/achievements.py)."""
    codes = ["perfect-quiz"] if grade.perfect else []
    codes += quest_achievements(quest=quest, stage=attempt.stage, results=results, now=now)
    if current_streak(student_id=attempt.student_id, now=now) >= STREAK_DAYS:
        codes.append("five-day-streak")
    for code in codes:
        award_achievement(code=code, attempt=attempt, now=now)
