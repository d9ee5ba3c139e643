"""Progress: where a student stands in a quest, stage by stage, and what they may do next."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from quest_platform.extensions import db
from quest_platform.models import (
    Enrollment,
    Outcome,
    PointsEntry,
    Quest,
    QuestAssignment,
    QuestStatus,
    Stage,
    StageTally,
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
class StageProgress:
    """A student's standing in one stage, from their tally of it (None: never tried)."""

    stage: Stage
    tally: StageTally | None
    state: StageState
    unlocked: bool

    @property
    def tries(self) -> int:
        """How many attempts the student made at the stage."""
        return self.tally.tries if self.tally is not None else 0

    @property
    def finished(self) -> bool:
        """Nothing is left to do here: passed, late, or out of tries."""
        return self.state in FINISHED_STATES

    @property
    def submitted(self) -> bool:
        """Finished, or handed in and waiting for a teacher: the next stage is open."""
        return self.state in SUBMITTED_STATES

    @property
    def tries_left(self) -> int | None:
        """How many more tries the stage allows, or None for no limit."""
        limit = self.stage.max_tries
        return None if limit is None else max(0, limit - self.tries)

    @property
    def answers_revealed(self) -> bool:
        """Whether the quiz shows the student its right answers now: it is finished (passed,
        late or out of tries) and its settings reveal them."""
        return self.finished and self.stage.reveals_answers

    @property
    def answerable(self) -> bool:
        """Whether the student may hand in an answer now.

        Quizzes take another try while tries are left, even after a pass (to better the score),
        unless the pass revealed the right answers; other stages are handed in once, and again
        only after a teacher marked them failed.
        """
        if not self.unlocked or self.tries_left == 0:
            return False
        if self.stage.is_quiz:
            return not self.answers_revealed
        return self.state in (StageState.NOT_STARTED, StageState.FAILED)


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


def stage_state(stage: Stage, tally: StageTally | None) -> StageState:
    """A stage's state from the student's tally of it (None: never tried)."""
    if tally is None:
        return StageState.NOT_STARTED
    match tally.outcome:
        case Outcome.PASSED:
            return StageState.PASSED
        case Outcome.LATE:
            return StageState.LATE
        case Outcome.PENDING_REVIEW:
            return StageState.AWAITING_REVIEW
    limit = stage.max_tries
    return StageState.OUT_OF_TRIES if limit and tally.tries >= limit else StageState.FAILED


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


def progress_from(
    *,
    quest: Quest,
    assignment: QuestAssignment | None,
    tallies: Mapping[int, StageTally],
    now: datetime,
) -> QuestProgress:
    """Work out a quest's progress from the student's stage tallies (by stage id); stages unlock
    in order, once the quest has opened to the student's classroom."""
    stages: list[StageProgress] = []
    unlocked = assignment is None or now >= assignment.opens_at
    for stage in quest.stages:
        tally = tallies.get(stage.id)
        progress = StageProgress(stage, tally, stage_state(stage, tally), unlocked)
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
        tallies=stage_tallies(student_id=student.id, quest_ids=[quest.id]),
        now=now or utcnow(),
    )


def assigned_progress(*, student: User, slug: str) -> QuestProgress | None:
    """``student``'s progress in quest ``slug``; None unless given to one of their classrooms."""
    quest = open_quest(slug)
    if quest is None or not quest.stages:
        return None
    progress = progress_for(student=student, quest=quest)
    return progress if progress.assignment is not None else None


def assignments_of(*, student: User) -> list[QuestAssignment]:
    """The assignments of published or archived quests to ``student``'s classrooms, one per quest.

    A quest given to two of the student's classrooms counts once, with the assignment due last
    (as :func:`assignment_for`). Ordered by due date, soonest first. Quests and their stages are
    loaded with them.
    """
    query = (
        select(QuestAssignment)
        .join(Enrollment, Enrollment.classroom_id == QuestAssignment.classroom_id)
        .join(Quest, Quest.id == QuestAssignment.quest_id)
        .where(Enrollment.student_id == student.id, Quest.status != QuestStatus.DRAFT.value)
        .options(
            # The map shows each stage's place, not its text.
            joinedload(QuestAssignment.quest)
            .selectinload(Quest.stages)
            .defer(Stage.content)
            .defer(Stage.content_html)
        )
        .order_by(QuestAssignment.due_at.desc(), QuestAssignment.id)
    )
    chosen: dict[int, QuestAssignment] = {}
    for assignment in db.session.scalars(query):
        chosen.setdefault(assignment.quest_id, assignment)
    return sorted(chosen.values(), key=lambda assignment: (assignment.due_at, assignment.id))


def stage_tallies(*, student_id: int, quest_ids: Sequence[int]) -> dict[int, StageTally]:
    """The student's tallies of the stages of ``quest_ids`` they tried, by stage id, as they are
    stored now (a tally already loaded is read again)."""
    if not quest_ids:
        return {}
    query = (
        select(StageTally)
        .where(StageTally.student_id == student_id, StageTally.quest_id.in_(quest_ids))
        .execution_options(populate_existing=True)
    )
    return {tally.stage_id: tally for tally in db.session.scalars(query)}


def quest_map_for(*, student: User, now: datetime | None = None) -> list[QuestProgress]:
    """``student``'s progress in every quest given to their classrooms, soonest due first.

    Three queries whatever the number of quests: assignments, their quests' stages, tallies.
    """
    now = now or utcnow()
    assignments = assignments_of(student=student)
    tallies = stage_tallies(
        student_id=student.id, quest_ids=[assignment.quest_id for assignment in assignments]
    )
    return [
        progress_from(quest=assignment.quest, assignment=assignment, tallies=tallies, now=now)
        for assignment in assignments
    ]


def open_quest(slug: str) -> Quest | None:
    """The published or archived quest ``slug``, with its stages; None for a draft or no quest."""
    query = (
        select(Quest)
        .where(Quest.slug == slug, Quest.status != QuestStatus.DRAFT.value)
        .options(selectinload(Quest.stages))
    )
    return db.session.scalar(query)


def points_of(*, student: User) -> int:
    """``student``'s points: the sum of their ledger entries."""
    total = db.session.scalar(
        select(func.coalesce(func.sum(PointsEntry.points), 0)).where(
            PointsEntry.student_id == student.id
        )
    )
    return int(total or 0)
