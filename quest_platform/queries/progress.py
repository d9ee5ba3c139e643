"""Progress: where a student stands in a quest, stage by stage, and what they may do next."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from quest_platform.extensions import db
from quest_platform.models import (
    Attempt,
    Enrollment,
    Outcome,
    Quest,
    QuestAssignment,
    Review,
    Stage,
    User,
    utcnow,
)


class StageState(enum.StrEnum):
    """Where a student stands in one stage, by the results of their attempts."""

    NOT_STARTED = "not_started"
    # Tried and failed, with tries left (or no limit).
    FAILED = "failed"
    # Tried and failed every one of the stage's tries.
    OUT_OF_TRIES = "out_of_tries"
    # Submitted, waiting for a teacher (a checkpoint).
    AWAITING_REVIEW = "awaiting_review"
    PASSED = "passed"
    # Answered after a timed stage's limit: finished, scored as the stage's late policy says.
    LATE = "late"


class ProgressStatus(enum.StrEnum):
    """Where a student stands in a whole quest."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    # Past the due date and not done.
    OVERDUE = "overdue"


# Nothing left for the student to do in the stage.
FINISHED_STATES = frozenset({StageState.PASSED, StageState.LATE, StageState.OUT_OF_TRIES})
# Enough to go on to the next stage: finished, or handed in and waiting for a teacher.
SUBMITTED_STATES = FINISHED_STATES | {StageState.AWAITING_REVIEW}


@dataclass(frozen=True)
class AttemptResult:
    """One attempt's result as it counts now: the latest review's, else the attempt's own."""

    attempt_id: int
    stage_id: int
    score: float | None
    outcome: str


@dataclass(frozen=True)
class StageProgress:
    """A student's standing in one stage."""

    stage: Stage
    state: StageState
    tries: int
    unlocked: bool

    @property
    def finished(self) -> bool:
        """Nothing is left to do here: passed, late, or out of tries."""
        return self.state in FINISHED_STATES

    @property
    def submitted(self) -> bool:
        """Finished, or handed in and waiting for a teacher: the next stage is open."""
        return self.state in SUBMITTED_STATES


@dataclass(frozen=True)
class QuestProgress:
    """A student's standing in a quest: each stage, the next one to do, and the quest's status.

    ``assignment`` is the student's classroom assignment of the quest that counts (see
    :func:`assignment_for`), or None when no classroom of theirs was given the quest.
    """

    quest: Quest
    assignment: QuestAssignment | None
    stages: tuple[StageProgress, ...]
    status: ProgressStatus

    @property
    def finished_count(self) -> int:
        """How many stages are finished, for a progress bar."""
        return sum(stage.finished for stage in self.stages)

    @property
    def next_stage(self) -> StageProgress | None:
        """The first open stage not yet handed in, or None when every stage is."""
        return next((s for s in self.stages if s.unlocked and not s.submitted), None)

    def stage_at(self, position: int) -> StageProgress | None:
        """The progress of the stage at ``position`` (1-based), if the quest has one."""
        return next((s for s in self.stages if s.stage.position == position), None)


def max_tries(stage: Stage) -> int | None:
    """How many attempts a stage allows, or None for no limit."""
    tries = (stage.settings or {}).get("max_tries")
    return tries if isinstance(tries, int) and tries > 0 else None


def stage_state(stage: Stage, results: Sequence[AttemptResult]) -> StageState:
    """A stage's state from the results of its attempts (oldest first)."""
    if not results:
        return StageState.NOT_STARTED
    outcomes = {result.outcome for result in results}
    if Outcome.PASSED in outcomes:
        return StageState.PASSED
    if Outcome.LATE in outcomes:
        return StageState.LATE
    if Outcome.PENDING_REVIEW in outcomes:
        return StageState.AWAITING_REVIEW
    limit = max_tries(stage)
    return StageState.OUT_OF_TRIES if limit and len(results) >= limit else StageState.FAILED


def assignment_for(*, student: User, quest: Quest) -> QuestAssignment | None:
    """The assignment of ``quest`` to a classroom of ``student``, or None if there is none.

    A student in two classrooms given the same quest gets the one due last: the more lenient.
    """
    query = (
        select(QuestAssignment)
        .join(Enrollment, Enrollment.classroom_id == QuestAssignment.classroom_id)
        .where(Enrollment.student_id == student.id, QuestAssignment.quest_id == quest.id)
        .order_by(QuestAssignment.due_at.desc(), QuestAssignment.id)
        .limit(1)
    )
    return db.session.scalar(query)


def attempt_results(*, student: User, quest: Quest) -> list[AttemptResult]:
    """Every attempt of ``student`` at ``quest`` as it counts now, oldest first, in one query."""
    later = aliased(Review)
    latest_review = (
        select(func.max(later.id))
        .where(later.attempt_id == Attempt.id)
        .correlate(Attempt)
        .scalar_subquery()
    )
    query = (
        select(
            Attempt.id,
            Attempt.stage_id,
            func.coalesce(Review.score, Attempt.score),
            func.coalesce(Review.outcome, Attempt.outcome),
        )
        .outerjoin(Review, Review.id == latest_review)
        .where(Attempt.student_id == student.id, Attempt.quest_id == quest.id)
        .order_by(Attempt.id)
    )
    return [AttemptResult(*row) for row in db.session.execute(query)]


def progress_from(
    *,
    quest: Quest,
    assignment: QuestAssignment | None,
    results: Sequence[AttemptResult],
    now: datetime,
) -> QuestProgress:
    """Work out a quest's progress from attempt results; stages unlock in order."""
    by_stage: dict[int, list[AttemptResult]] = {}
    for result in results:
        by_stage.setdefault(result.stage_id, []).append(result)
    stages: list[StageProgress] = []
    unlocked = True
    for stage in quest.stages:
        own = by_stage.get(stage.id, [])
        progress = StageProgress(stage, stage_state(stage, own), len(own), unlocked)
        stages.append(progress)
        unlocked = unlocked and progress.submitted
    return QuestProgress(quest, assignment, tuple(stages), quest_status(stages, assignment, now))


def quest_status(
    stages: Sequence[StageProgress], assignment: QuestAssignment | None, now: datetime
) -> ProgressStatus:
    """Done when every stage is finished; overdue when not done by the due date."""
    if stages and all(stage.finished for stage in stages):
        return ProgressStatus.DONE
    if assignment is not None and now > assignment.due_at:
        return ProgressStatus.OVERDUE
    if any(stage.tries for stage in stages):
        return ProgressStatus.IN_PROGRESS
    return ProgressStatus.NOT_STARTED


def progress_for(*, student: User, quest: Quest, now: datetime | None = None) -> QuestProgress:
    """``student``'s progress in ``quest``: two queries, whatever the number of stages."""
    return progress_from(
        quest=quest,
        assignment=assignment_for(student=student, quest=quest),
        results=attempt_results(student=student, quest=quest),
        now=now or utcnow(),
    )
