"""Reading the platform's tables into typed pandas DataFrames: the only module that uses SQL."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any, TypeAlias

import pandas as pd
from sqlalchemy import Engine, Select, SQLColumnExpression, func, select
from sqlalchemy.orm import aliased

from analytics.dataset import (
    ASSIGNMENTS,
    ATTEMPTS,
    CLASSROOMS,
    ENROLLMENTS,
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
    Quest,
    QuestAssignment,
    Review,
    Stage,
    User,
)

# A query of any columns: each frame selects its own.
AnyQuery: TypeAlias = Select[*tuple[Any, ...]]


def attempts_query(classroom_ids: Collection[int] | None = None) -> AnyQuery:
    """Every attempt with its score and outcome as they count now: the latest review's, if any.

    The latest review is found by one grouped subquery (not one lookup per attempt). With
    ``classroom_ids``, only the attempts of their students at the quests assigned to them.
    """
    latest = (
        select(Review.attempt_id, func.max(Review.id).label("review_id"))
        .group_by(Review.attempt_id)
        .subquery()
    )
    review = aliased(Review)
    query = (
        select(
            Attempt.id.label("attempt_id"),
            Attempt.student_id,
            Attempt.quest_id,
            Attempt.stage_id,
            Attempt.started_at,
            Attempt.submitted_at,
            func.coalesce(review.score, Attempt.score).label("score"),
            Attempt.max_score,
            func.coalesce(review.outcome, Attempt.outcome).label("outcome"),
        )
        .outerjoin(latest, latest.c.attempt_id == Attempt.id)
        .outerjoin(review, review.id == latest.c.review_id)
    )
    if classroom_ids is not None:
        enrolled = select(Enrollment.student_id).where(Enrollment.classroom_id.in_(classroom_ids))
        assigned = select(QuestAssignment.quest_id).where(
            QuestAssignment.classroom_id.in_(classroom_ids)
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
    """Read what the analyses need, one query per frame: every classroom, or ``classroom_ids``;
    days and weeks are those of ``zone``, the school's time zone."""
    ids = None if classroom_ids is None else sorted(set(classroom_ids))

    def scoped(query: AnyQuery, column: SQLColumnExpression[int]) -> AnyQuery:
        return query if ids is None else query.where(column.in_(ids))

    assigned_quests = scoped(select(QuestAssignment.quest_id), QuestAssignment.classroom_id)
    enrolled_students = scoped(select(Enrollment.student_id), Enrollment.classroom_id)
    queries: dict[str, tuple[AnyQuery, dict[str, str]]] = {
        "attempts": (attempts_query(ids), ATTEMPTS),
        "stages": (
            select(
                Stage.id.label("stage_id"),
                Stage.quest_id,
                Stage.position,
                Stage.kind,
                Stage.title,
                Stage.points,
            ).where(Stage.quest_id.in_(assigned_quests)),
            STAGES,
        ),
        "quests": (
            select(Quest.id.label("quest_id"), Quest.slug, Quest.title).where(
                Quest.id.in_(assigned_quests)
            ),
            QUESTS,
        ),
        "classrooms": (
            scoped(select(Classroom.id.label("classroom_id"), Classroom.name), Classroom.id),
            CLASSROOMS,
        ),
        "students": (
            select(
                User.id.label("student_id"), User.display_name.label("name"), User.pseudonym
            ).where(User.id.in_(enrolled_students), User.active.is_(True)),
            STUDENTS,
        ),
        "enrollments": (
            scoped(
                select(Enrollment.classroom_id, Enrollment.student_id)
                .join(User, User.id == Enrollment.student_id)
                .where(User.active.is_(True)),
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
                ),
                QuestAssignment.classroom_id,
            ),
            ASSIGNMENTS,
        ),
    }
    frames = {}
    with engine.connect() as connection:
        for name, (query, columns) in queries.items():
            frames[name] = typed(pd.read_sql(query, connection), columns)
    return Dataset(
        **frames, now=pd.Timestamp(now or datetime.now(UTC)).tz_convert("UTC"), zone=zone
    )
