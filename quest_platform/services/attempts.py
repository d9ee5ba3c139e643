"""Attempts: a student submits an answer to a stage; it is recorded, graded and rewarded."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from quest_platform.extensions import db
from quest_platform.models import (
    Attempt,
    Quest,
    QuestStatus,
    QuestTally,
    Stage,
    StageKind,
    StageStart,
    StageTally,
    User,
    utcnow,
)
from quest_platform.observability.metrics import count_answer
from quest_platform.queries.progress import (
    QuestProgress,
    StageProgress,
    assignment_for,
    progress_from,
    stage_tallies,
)
from quest_platform.queries.timing import extra_seconds_for, start_of
from quest_platform.services.achievements import (
    STREAK_DAYS,
    award_achievement,
    current_streak,
    quest_achievements,
)
from quest_platform.services.errors import Conflict, NotAllowed, ServiceError, undone_on_error
from quest_platform.services.evidence import (
    Screenshot,
    check_screenshot,
    discard_file,
    keep_screenshot,
)
from quest_platform.services.grading import (
    CodeAnswer,
    Grade,
    answer_document,
    grade_answer,
    parse_answer,
)
from quest_platform.services.peer_review import assign_peer_reviews
from quest_platform.services.tallies import count_attempt, lock_quest_tally
from quest_platform.services.team_hand_ins import (
    credit_members,
    lock_team_hand_in,
    start_team_hand_in,
)
from quest_platform.time_zones import format_moment

MAX_SUBMISSION_KEY_LENGTH = 64


def submit_attempt(
    *,
    student: User,
    quest: Quest,
    stage: Stage,
    answer: Mapping[str, Any],
    submission_key: str,
    opened_at: datetime | None = None,
    screenshot: Screenshot | None = None,
    code: CodeAnswer | None = None,
    now: datetime | None = None,
) -> Attempt:
    """Record ``student``'s ``answer`` to ``stage``, grade it, and award its points, in one commit.

    Refused (ServiceError and its kinds, with a message to show; nothing is written) when the
    student's classroom was not given the quest, the assignment has not opened, the quest is
    closed, the stage is locked (an earlier stage is not yet handed in), the stage's tries are
    used up, a lesson, reflection, self-check or checkpoint was already handed in, or the answer
    does not fit the stage. The checks and the recording hold the student's lock on the quest
    (see services/tallies.py): answers sent at once are counted one after another, so no limit
    gives way and no points are counted twice.

    A quest closes at its due date: answers after it are refused, not recorded as late. "Late"
    is only for timed stages: their time runs from the start the server recorded (see
    :func:`start_timed_stage`; an answer without one is refused) plus any extra time a teacher
    gave, and an answer after that and the grace period is late. For other stages the try
    started at ``opened_at``, when the server showed the student the stage (now, if not known).

    ``screenshot`` is a checkpoint's uploaded image (see services/evidence.py): checked before
    anything is written, kept in the upload folder and recorded with the attempt. ``code`` is
    a code stage's answer as its grader ran it (services/code_runs.py), the only answer such a
    stage takes.

    A team checkpoint (``stage.is_team``) is handed in for the student's team: refused when
    they are in no team, or while the team's hand-in waits for review or passed; every other
    current member gets an attempt of their own with the same answer, counted like this one
    (see services/team_hand_ins.py).

    ``submission_key`` makes a resent submission harmless: the same key returns the attempt it
    recorded the first time, and never a second row; another student's key is a Conflict.

    Points go to the append-only ledger as differences: each attempt adds what moves the
    student's points for the stage to what its scores count for (see
    services/tallies.py ``counted_points``), so a better quiz try adds the gain, a worse one
    under the "latest" policy a negative entry, and the sum of a student's entries is always
    their points. Achievements that the attempt earns are awarded with their bonus points.
    """
    key = checked_key(submission_key)
    now = now or utcnow()
    try:
        return record_attempt(
            student=student,
            quest=quest,
            stage=stage,
            answer=answer,
            key=key,
            opened_at=opened_at,
            screenshot=screenshot,
            code=code,
            now=now,
        )
    except (ServiceError, IntegrityError):
        # A resent submission: refused by the checks once its first copy is counted (its try
        # used, the stage handed in), or stopped by the key's unique constraint. It gets the
        # attempt recorded the first time.
        db.session.rollback()
        existing = attempt_with_key(key)
        if existing is None:
            raise
        return same_submission(existing, student=student, stage=stage)
    except BaseException:
        db.session.rollback()
        raise


def record_attempt(
    *,
    student: User,
    quest: Quest,
    stage: Stage,
    answer: Mapping[str, Any],
    key: str,
    opened_at: datetime | None,
    screenshot: Screenshot | None,
    now: datetime,
    code: CodeAnswer | None = None,
) -> Attempt:
    """Check, grade and record an answer under the student's lock on the quest, and commit.

    A team checkpoint is handed in for the student's whole team (services/team_hand_ins.py):
    its locks come first, and every other current member is credited with an attempt.
    """
    team = lock_team_hand_in(student=student, quest=quest, stage=stage) if stage.is_team else None
    quest_tally = lock_quest_tally(student_id=student.id, quest_id=quest.id)
    progress, standing = open_stage(student=student, quest=quest, stage=stage, now=now)
    check_answerable(standing)
    started_at = try_started_at(
        student=student, stage=stage, standing=standing, opened_at=opened_at, now=now
    )
    if screenshot is not None and "screenshot" not in stage.evidence_kinds:
        raise ServiceError(_("This stage does not take a screenshot."), field="screenshot")
    checked = check_screenshot(screenshot) if screenshot is not None else None
    parsed = parse_answer(stage, answer, has_screenshot=checked is not None, code=code)
    extra_seconds = (
        extra_seconds_for(student=student, stage=stage) if stage.kind == StageKind.TIMED else 0
    )
    grade = grade_answer(
        stage,
        parsed,
        elapsed_seconds=(now - started_at).total_seconds(),
        extra_seconds=extra_seconds,
    )
    hand_in = None
    if team is not None:
        hand_in = start_team_hand_in(handing_in=team, stage=stage, by=student, now=now)
    attempt = Attempt(
        student_id=student.id,
        quest_id=quest.id,
        stage_id=stage.id,
        started_at=started_at,
        submitted_at=now,
        answer=answer_document(parsed),
        score=grade.score,
        max_score=grade.max_score,
        outcome=grade.outcome.value,
        submission_key=key,
        team_hand_in_id=hand_in.id if hand_in else None,
    )
    db.session.add(attempt)
    evidence = None
    try:
        db.session.flush()
        if checked is not None:
            evidence = keep_screenshot(attempt=attempt, screenshot=checked)
        tallies = progress_tallies(progress)
        tallies[stage.id] = count_attempt(
            quest_tally=quest_tally, stage_tally=tallies.get(stage.id), attempt=attempt, stage=stage
        )
        award_achievements(
            attempt=attempt,
            grade=grade,
            quest=quest,
            quest_tally=quest_tally,
            progress=progress_from(quest=quest, assignment=None, tallies=tallies, now=now),
            now=now,
        )
        if team is not None:
            for credit in credit_members(
                handing_in=team, lead=attempt, quest=quest, stage=stage, now=now
            ):
                award_achievements(
                    attempt=credit.attempt,
                    grade=grade,
                    quest=quest,
                    quest_tally=credit.quest_tally,
                    progress=credit.progress,
                    now=now,
                )
        db.session.commit()
    except BaseException:
        if evidence is not None:
            discard_file(evidence)
        raise
    count_answer(stage.kind)
    # Once the hand-in is committed: reviews to do for the student, and reviewers for it.
    assign_peer_reviews(attempt=attempt, now=now)
    return attempt


def try_started_at(
    *,
    student: User,
    stage: Stage,
    standing: StageProgress,
    opened_at: datetime | None,
    now: datetime,
) -> datetime:
    """When this try started, by the server's clock: the recorded start of a timed stage's try,
    else when the stage was shown to the student (``opened_at``), else now."""
    if stage.kind == StageKind.TIMED:
        start = start_of(student=student, stage=stage, try_number=standing.tries + 1)
        if start is None:
            raise Conflict(_("Start the timed quiz before you answer it."))
        return start.started_at
    if opened_at is None or opened_at.tzinfo is None or opened_at > now:
        return now
    return opened_at


def open_stage(
    *, student: User, quest: Quest, stage: Stage, now: datetime
) -> tuple[QuestProgress, StageProgress]:
    """The student's progress in ``quest`` and standing in ``stage``, if they may work on it now.

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
            _("This quest opens on %(date)s.", date=format_moment(assignment.opens_at))
        )
    if now > assignment.due_at or quest.status == QuestStatus.ARCHIVED:
        raise NotAllowed(
            _(
                "This quest is closed: it was due on %(date)s.",
                date=format_moment(assignment.due_at),
            )
        )
    tallies = stage_tallies(student_id=student.id, quest_ids=[quest.id])
    progress = progress_from(quest=quest, assignment=assignment, tallies=tallies, now=now)
    standing = progress.stage_at(stage.position)
    if standing is None or not standing.unlocked:
        raise NotAllowed(_("Finish the earlier stages of this quest first."))
    return progress, standing


def progress_tallies(progress: QuestProgress) -> dict[int, StageTally]:
    """The stage tallies ``progress`` was worked out from, by stage id."""
    return {
        standing.stage.id: standing.tally
        for standing in progress.stages
        if standing.tally is not None
    }


def check_answerable(standing: StageProgress) -> None:
    """Refuse another try when the stage's tries are used up or it was already handed in."""
    limit = standing.stage.max_tries
    if limit is not None and standing.tries_left == 0:
        raise Conflict(
            ngettext(
                "You have used your %(num)d try at this stage.",
                "You have used all %(num)d tries at this stage.",
                limit,
            )
        )
    if standing.answers_revealed:
        raise Conflict(_("You passed this quiz and its answers are shown: it takes no more tries."))
    if not standing.answerable:
        raise Conflict(_("You have already handed in this stage."))


@undone_on_error
def start_timed_stage(
    *, student: User, quest: Quest, stage: Stage, now: datetime | None = None
) -> StageStart:
    """Record when ``student`` starts their next try at the timed ``stage``, and return it.

    The clock runs on the server from this moment. Starting again before answering returns the
    same start (a reload or a second tab does not reset the time). Refused like an answer
    (see :func:`open_stage`), and when the stage is not timed or its tries are used up; the
    checks hold the student's lock on the quest, like an answer's.
    """
    now = now or utcnow()
    lock_quest_tally(student_id=student.id, quest_id=quest.id)
    _progress, standing = open_stage(student=student, quest=quest, stage=stage, now=now)
    if stage.kind != StageKind.TIMED:
        raise Conflict(_("Only timed stages are started on a clock."))
    check_answerable(standing)
    try_number = standing.tries + 1
    start = start_of(student=student, stage=stage, try_number=try_number)
    if start is None:
        start = StageStart(
            student_id=student.id, stage_id=stage.id, try_number=try_number, started_at=now
        )
        db.session.add(start)
    db.session.commit()
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


def award_achievements(
    *,
    attempt: Attempt,
    grade: Grade,
    quest: Quest,
    quest_tally: QuestTally,
    progress: QuestProgress,
    now: datetime,
) -> None:
    """Award what this attempt earns: a perfect quiz, a finished quest, every reflection of the
    quest written, and five school days in a row of work (see services/achievements.py)."""
    codes = ["perfect-quiz"] if grade.perfect else []
    codes += quest_achievements(progress=progress, stage=attempt.stage)
    if current_streak(student=attempt.student, now=now) >= STREAK_DAYS:
        codes.append("five-day-streak")
    for code in codes:
        award_achievement(code=code, attempt=attempt, quest_tally=quest_tally, now=now)
