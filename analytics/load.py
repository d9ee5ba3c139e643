"""Reading the platform's tables into typed pandas DataFrames: the only module that uses SQL.

A dataset is as of a moment: it holds only the records that existed then, so a dataset of a past
moment reads the same whatever was recorded since.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any, TypeAlias

import pandas as pd
from sqlalchemy import ColumnElement, Engine, Select, SQLColumnExpression, and_, func, or_, select
from sqlalchemy.orm import aliased

from analytics.dataset import (
    ASSIGNMENTS,
    ATTEMPTS,
    CLASSROOMS,
    ENROLLMENTS,
    EXTENSIONS,
    PEER_REVIEWS,
    QUESTS,
    STAGES,
    STUDENTS,
    Dataset,
    typed,
)
from quest_platform.models import (
    Attempt,
    Classroom,
    Enrollment,
    PeerReview,
    PeerReviewAssignment,
    Quest,
    QuestAssignment,
    Review,
    Stage,
    TimeExtension,
    User,
)

# A query of any columns: each frame selects its own.
AnyQuery: TypeAlias = Select[*tuple[Any, ...]]


def counted_at(moment: datetime) -> ColumnElement[bool]:
    """Whether a user's account was active at ``moment``: active now, or deactivated after it.

    An account deactivated before its deactivation was dated (``deactivated_at`` empty) counts
    as gone at every moment.
    """
    return or_(User.active.is_(True), User.deactivated_at > moment)


def attempts_query(
    classroom_ids: Collection[int] | None = None, *, now: datetime | None = None
) -> AnyQuery:
    """Every attempt submitted by ``now`` (by default the present), with its score and outcome as
    they counted then: the latest review given by ``now``, if any, else the attempt's own.

    The latest review is found by one ranking subquery (not one lookup per attempt). With
    ``classroom_ids``, only the attempts of their students at the quests assigned to them, both
    as of ``now``.
    """
    moment = now or datetime.now(UTC)
    ranked = (
        select(
            Review.attempt_id,
            Review.score,
            Review.outcome,
            func.row_number()
            .over(
                partition_by=Review.attempt_id,
                order_by=(Review.created_at.desc(), Review.id.desc()),
            )
            .label("recency"),
        )
        .where(Review.created_at <= moment)
        .subquery()
    )
    query = (
        select(
            Attempt.id.label("attempt_id"),
            Attempt.student_id,
            Attempt.quest_id,
            Attempt.stage_id,
            Attempt.started_at,
            Attempt.submitted_at,
            func.coalesce(ranked.c.score, Attempt.score).label("score"),
            Attempt.max_score,
            func.coalesce(ranked.c.outcome, Attempt.outcome).label("outcome"),
        )
        .outerjoin(ranked, (ranked.c.attempt_id == Attempt.id) & (ranked.c.recency == 1))
        # An attempt starts before it is submitted (a check constraint): this bounds both.
        .where(Attempt.submitted_at <= moment)
        .order_by(Attempt.id)
    )
    if classroom_ids is not None:
        enrolled = select(Enrollment.student_id).where(
            Enrollment.classroom_id.in_(classroom_ids), Enrollment.enrolled_at <= moment
        )
        assigned = select(QuestAssignment.quest_id).where(
            QuestAssignment.classroom_id.in_(classroom_ids), QuestAssignment.assigned_at <= moment
        )
        query = query.where(Attempt.student_id.in_(enrolled), Attempt.quest_id.in_(assigned))
    return query


def load_dataset(
    engine: Engine,
    *,
    classroom_ids: Collection[int] | None = None,
    now: datetime | None = None,
    zone: str = "UTC",
) -> Dataset:
    """Read what the analyses need as of ``now`` (by default the present), one query per frame:
    every classroom, or ``classroom_ids``; days and weeks are those of ``zone``, the school's
    time zone.

    As of ``now``: attempts submitted by then, scored by the reviews given by then; students
    enrolled by then whose accounts were still active; quests given by then; time extensions
    granted by then. Rows come in a fixed order, so the same records give the same frames.
    """
    moment = _utc(now or datetime.now(UTC))
    ids = None if classroom_ids is None else sorted(set(classroom_ids))

    def scoped(query: AnyQuery, column: SQLColumnExpression[int]) -> AnyQuery:
        return query if ids is None else query.where(column.in_(ids))

    quests_given = scoped(
        select(QuestAssignment.quest_id).where(QuestAssignment.assigned_at <= moment),
        QuestAssignment.classroom_id,
    )
    enrolled = scoped(
        select(Enrollment.student_id).where(Enrollment.enrolled_at <= moment),
        Enrollment.classroom_id,
    )
    students_then = select(User.id).where(User.id.in_(enrolled), counted_at(moment))
    stages_given = select(Stage.id).where(Stage.quest_id.in_(quests_given))
    queries: dict[str, tuple[AnyQuery, dict[str, str]]] = {
        "attempts": (attempts_query(ids, now=moment), ATTEMPTS),
        "stages": (
            select(
                Stage.id.label("stage_id"),
                Stage.quest_id,
                Stage.position,
                Stage.kind,
                Stage.title,
                Stage.points,
            )
            .where(Stage.quest_id.in_(quests_given))
            .order_by(Stage.id),
            STAGES,
        ),
        "quests": (
            select(Quest.id.label("quest_id"), Quest.slug, Quest.title)
            .where(Quest.id.in_(quests_given))
            .order_by(Quest.id),
            QUESTS,
        ),
        "classrooms": (
            scoped(
                select(Classroom.id.label("classroom_id"), Classroom.name).order_by(Classroom.id),
                Classroom.id,
            ),
            CLASSROOMS,
        ),
        "students": (
            select(User.id.label("student_id"), User.display_name.label("name"), User.pseudonym)
            .where(User.id.in_(enrolled), counted_at(moment))
            .order_by(User.id),
            STUDENTS,
        ),
        "enrollments": (
            scoped(
                select(Enrollment.classroom_id, Enrollment.student_id)
                .join(User, User.id == Enrollment.student_id)
                .where(Enrollment.enrolled_at <= moment, counted_at(moment))
                .order_by(Enrollment.classroom_id, Enrollment.student_id),
                Enrollment.classroom_id,
            ),
            ENROLLMENTS,
        ),
        "assignments": (
            scoped(
                select(
                    QuestAssignment.classroom_id,
                    QuestAssignment.quest_id,
                    QuestAssignment.opens_at,
                    QuestAssignment.due_at,
                )
                .where(QuestAssignment.assigned_at <= moment)
                .order_by(QuestAssignment.classroom_id, QuestAssignment.quest_id),
                QuestAssignment.classroom_id,
            ),
            ASSIGNMENTS,
        ),
        "extensions": (
            select(
                TimeExtension.student_id,
                TimeExtension.stage_id,
                TimeExtension.extra_seconds,
                TimeExtension.granted_at,
            )
            .where(
                TimeExtension.granted_at <= moment,
                TimeExtension.student_id.in_(students_then),
                TimeExtension.stage_id.in_(stages_given),
            )
            .order_by(TimeExtension.id),
            EXTENSIONS,
        ),
        "peer_reviews": (peer_reviews_query(moment, students_then, stages_given), PEER_REVIEWS),
    }
    frames = {}
    with engine.connect() as connection:
        for name, (query, columns) in queries.items():
            frames[name] = typed(pd.read_sql(query, connection), columns)
    return Dataset(**frames, now=pd.Timestamp(moment).tz_convert("UTC"), zone=zone)


def peer_reviews_query(moment: datetime, students: AnyQuery, stages: AnyQuery) -> AnyQuery:
    """The peer reviews written by ``moment`` at ``stages``, by or about ``students``: who
    wrote each, whose work it is (every member a team's hand-in credits), and whether a teacher
    had hidden it by then."""
    hidden = and_(PeerReview.hidden_at.is_not(None), PeerReview.hidden_at <= moment)
    reviewed, credited = aliased(Attempt), aliased(Attempt)
    same_work = or_(
        credited.id == reviewed.id,
        and_(
            reviewed.team_hand_in_id.is_not(None),
            credited.team_hand_in_id == reviewed.team_hand_in_id,
        ),
    )
    return (
        select(
            PeerReview.id.label("review_id"),
            PeerReviewAssignment.reviewer_id,
            credited.student_id.label("author_id"),
            reviewed.stage_id,
            PeerReview.submitted_at,
            hidden.label("hidden"),
        )
        .join(PeerReviewAssignment, PeerReviewAssignment.id == PeerReview.assignment_id)
        .join(reviewed, reviewed.id == PeerReviewAssignment.attempt_id)
        .join(credited, same_work)
        .where(
            PeerReview.submitted_at <= moment,
            reviewed.stage_id.in_(stages),
            or_(
                PeerReviewAssignment.reviewer_id.in_(students),
                credited.student_id.in_(students),
            ),
        )
        .order_by(PeerReview.id, credited.student_id)
    )


def _utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive one is taken to be UTC already (as the database does)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
