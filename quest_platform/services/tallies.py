"""Tallies: the student's lock on a quest, and the running totals each answer and review moves.

Every change to a student's work in a quest (an answer, a timed start, a teacher's review)
first takes :func:`lock_quest_tally`, then reads the student's standing and changes it in the
same transaction. The points ledger and the tallies only ever change here, together.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from quest_platform.extensions import db
from quest_platform.models import (
    QUIZ_KINDS,
    Attempt,
    Outcome,
    PointsEntry,
    PointsReason,
    QuestTally,
    Stage,
    StageTally,
)
from quest_platform.queries.attempts import current_results

# The outcome a stage's tally keeps is the strongest of its attempts': passed, then late, then
# waiting for a teacher, then failed.
OUTCOME_STRENGTH = {
    Outcome.FAILED: 0,
    Outcome.PENDING_REVIEW: 1,
    Outcome.LATE: 2,
    Outcome.PASSED: 3,
}


def lock_quest_tally(*, student_id: int, quest_id: int) -> QuestTally:
    """The student's tally in the quest, created if missing and locked until the transaction ends.

    Its first statement writes: on SQLite the transaction then holds the database's write lock
    (waiting out another writer), on PostgreSQL the row is then locked FOR UPDATE. Either way what
    the caller reads next is current, and no other change to the student's work in the quest can
    slip in before the commit.
    """
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(
        insert(QuestTally)
        .values(student_id=student_id, quest_id=quest_id, points=0, bonus_points=0)
        .on_conflict_do_nothing(index_elements=[QuestTally.student_id, QuestTally.quest_id])
    )
    query = (
        select(QuestTally)
        .where(QuestTally.student_id == student_id, QuestTally.quest_id == quest_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return db.session.scalars(query).one()


def stronger(first: str | None, second: str) -> str:
    """The stronger of two outcomes (see OUTCOME_STRENGTH); ``first`` may be None (no attempt)."""
    if first is None:
        return second
    return max(first, second, key=lambda outcome: OUTCOME_STRENGTH[Outcome(outcome)])


def counted_points(stage: Stage, scores: Iterable[float | None]) -> int:
    """The whole points a stage's attempts are worth, from their scores (oldest first) as they
    count now: each attempt in turn moves them as :func:`points_after` says."""
    points = 0
    for score in scores:
        points = points_after(stage, points, score)
    return points


def whole_points(score: float) -> int:
    """A score as whole points: half a point rounds up, not to the nearest even number."""
    return math.floor(score + 0.5)


def points_after(stage: Stage, points: int, score: float | None) -> int:
    """What a stage's counted ``points`` become once an attempt scoring ``score`` is added.

    Quizzes and timed quizzes count the best or the latest scored try, as the stage's
    ``score_policy`` says (best by default). Other stages count their latest scored result:
    all their points once passed, or the score a teacher gave a checkpoint. An attempt still
    waiting for a teacher (no score) changes nothing.
    """
    if score is None:
        return points
    if stage.counts_best_score:
        return max(points, whole_points(score))
    return whole_points(score)


def count_attempt(
    *, quest_tally: QuestTally, stage_tally: StageTally | None, attempt: Attempt, stage: Stage
) -> StageTally:
    """Count a new attempt in the student's tallies and ledger; return the stage's tally.

    One more try; the stage's outcome becomes the stronger of the two; its points move to what
    the new score makes them count (the best score, or the latest, see :func:`counted_points`),
    the difference entered in the ledger.
    """
    if stage_tally is None:
        stage_tally = StageTally(
            student_id=attempt.student_id,
            stage_id=stage.id,
            quest_id=attempt.quest_id,
            tries=0,
            points=0,
        )
        db.session.add(stage_tally)
    stage_tally.tries += 1
    stage_tally.outcome = stronger(stage_tally.outcome, attempt.outcome)
    enter_stage_points(
        quest_tally=quest_tally,
        stage_tally=stage_tally,
        attempt=attempt,
        points=points_after(stage, stage_tally.points, attempt.score),
        at=attempt.submitted_at,
    )
    if stage.is_quiz and attempt.score is not None and attempt.max_score > 0:
        share = attempt.score / attempt.max_score
        quest_tally.best_quiz = max(share, quest_tally.best_quiz or 0.0)
    return stage_tally


def enter_stage_points(
    *,
    quest_tally: QuestTally,
    stage_tally: StageTally,
    attempt: Attempt,
    points: int,
    at: datetime,
) -> None:
    """Bring the stage's counted points to ``points``: the difference goes to the ledger."""
    difference = points - stage_tally.points
    if not difference:
        return
    db.session.add(
        PointsEntry(
            student_id=attempt.student_id,
            quest_id=attempt.quest_id,
            stage_id=stage_tally.stage_id,
            attempt_id=attempt.id,
            points=difference,
            reason=PointsReason.STAGE_SCORE.value,
            created_at=at,
        )
    )
    stage_tally.points = points
    quest_tally.points += difference
    quest_tally.scored_at = at


def enter_bonus_points(*, quest_tally: QuestTally, entry: PointsEntry) -> None:
    """Enter an achievement's bonus in the ledger and in the student's tally of its quest."""
    db.session.add(entry)
    quest_tally.points += entry.points
    quest_tally.bonus_points += entry.points
    quest_tally.scored_at = entry.created_at


def recount_stage(
    *, quest_tally: QuestTally, stage: Stage, attempt: Attempt, at: datetime
) -> StageTally:
    """Count the stage again from its attempts' current results, after a teacher's review of
    ``attempt``: its tries, outcome and points follow the results as the latest reviews give
    them, a change of points is entered in the ledger against ``attempt``, and the quest's best
    quiz is worked out again."""
    results = current_results(student_id=attempt.student_id, stage_ids=[stage.id])
    stage_tally = db.session.get(StageTally, (attempt.student_id, stage.id), populate_existing=True)
    if stage_tally is None:
        stage_tally = StageTally(
            student_id=attempt.student_id, stage_id=stage.id, quest_id=stage.quest_id, points=0
        )
        db.session.add(stage_tally)
    stage_tally.tries = len(results)
    stage_tally.outcome = strongest(result.outcome for result in results)
    points = counted_points(stage, [result.score for result in results])
    enter_stage_points(
        quest_tally=quest_tally, stage_tally=stage_tally, attempt=attempt, points=points, at=at
    )
    if stage.is_quiz:
        quest_tally.best_quiz = best_quiz_share(quest_tally)
    return stage_tally


def strongest(outcomes: Iterable[str]) -> str:
    """The strongest of some outcomes (there is at least one)."""
    found: str | None = None
    for outcome in outcomes:
        found = stronger(found, outcome)
    if found is None:
        raise ValueError("a stage tally counts at least one attempt")
    return found


def best_quiz_share(quest_tally: QuestTally) -> float | None:
    """The best share of its points any one of the student's quiz attempts in the quest scored,
    as their results count now."""
    quizzes = db.session.scalars(
        select(Stage.id).where(Stage.quest_id == quest_tally.quest_id, Stage.kind.in_(QUIZ_KINDS))
    ).all()
    results = current_results(student_id=quest_tally.student_id, stage_ids=quizzes)
    shares = [
        result.score / result.max_score
        for result in results
        if result.score is not None and result.max_score > 0
    ]
    return max(shares, default=None)
