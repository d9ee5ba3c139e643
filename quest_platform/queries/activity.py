"""Reading what needs a teacher's attention in each classroom: reviews to do, quiet students,
and when each student was last seen."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, func, or_, select

from quest_platform.extensions import db
from quest_platform.models import (
    ApiToken,
    Attempt,
    Enrollment,
    Outcome,
    QuestAssignment,
    Review,
    TeamHandIn,
    User,
)


def awaiting_review() -> ColumnElement[bool]:
    """Attempts that wait for a teacher: submitted for review and not reviewed yet.

    A team checkpoint's hand-in waits once, as the attempt of the member who handed it in: one
    review marks every member (services/reviews.py), so their copies are not counted again.
    """
    lead = exists().where(
        TeamHandIn.id == Attempt.team_hand_in_id, TeamHandIn.handed_in_by_id == Attempt.student_id
    )
    return and_(
        Attempt.outcome == Outcome.PENDING_REVIEW.value,
        ~exists().where(Review.attempt_id == Attempt.id),
        or_(Attempt.team_hand_in_id.is_(None), lead),
    )


def awaiting_review_counts(classroom_ids: Sequence[int]) -> dict[int, int]:
    """How many attempts wait for review in each classroom, by classroom id (one query)."""
    if not classroom_ids:
        return {}
    rows = db.session.execute(
        select(Enrollment.classroom_id, func.count(Attempt.id))
        .join(Attempt, Attempt.student_id == Enrollment.student_id)
        .join(
            QuestAssignment,
            and_(
                QuestAssignment.classroom_id == Enrollment.classroom_id,
                QuestAssignment.quest_id == Attempt.quest_id,
            ),
        )
        .where(Enrollment.classroom_id.in_(classroom_ids), awaiting_review())
        .group_by(Enrollment.classroom_id)
    )
    counts: dict[int, int] = dict(rows.all())
    return {classroom_id: counts.get(classroom_id, 0) for classroom_id in classroom_ids}


def inactive_student_counts(classroom_ids: Sequence[int], *, since: datetime) -> dict[int, int]:
    """How many students of each classroom submitted no attempt since ``since`` (one query)."""
    if not classroom_ids:
        return {}
    active = exists().where(
        Attempt.student_id == Enrollment.student_id, Attempt.submitted_at >= since
    )
    rows = db.session.execute(
        select(Enrollment.classroom_id, func.count(Enrollment.id))
        .where(Enrollment.classroom_id.in_(classroom_ids), ~active)
        .group_by(Enrollment.classroom_id)
    )
    counts: dict[int, int] = dict(rows.all())
    return {classroom_id: counts.get(classroom_id, 0) for classroom_id in classroom_ids}


def last_seen(student_ids: Sequence[int]) -> dict[int, datetime | None]:
    """When each student was last seen, by id: the latest of their sign-in, their use of an API
    token and their attempts; None for someone never seen (three queries).

    A sign-in alone is not enough: a session signed in once lasts for weeks, and students the
    platform enrolled (imported, demo) may work through the API without ever signing in here.
    """
    if not student_ids:
        return {}
    signed_in = db.session.execute(
        select(User.id, User.current_login_at).where(User.id.in_(student_ids))
    )
    tokens = db.session.execute(
        select(ApiToken.user_id, func.max(ApiToken.last_used_at))
        .where(ApiToken.user_id.in_(student_ids))
        .group_by(ApiToken.user_id)
    )
    attempts = db.session.execute(
        select(Attempt.student_id, func.max(Attempt.submitted_at))
        .where(Attempt.student_id.in_(student_ids))
        .group_by(Attempt.student_id)
    )
    seen: dict[int, datetime | None] = dict.fromkeys(student_ids)
    for student_id, moment in [*signed_in, *tokens, *attempts]:
        latest = seen.get(student_id)
        if moment is not None and (latest is None or moment > latest):
            seen[student_id] = moment
    return seen


def seen_since(moment: datetime | None) -> ColumnElement[bool]:
    """Accounts seen (signed in, used an API token, made an attempt) since ``moment``; with
    None, ever. The condition :func:`last_seen` reads, for filtering a list of users."""
    attempted = select(Attempt.id).where(Attempt.student_id == User.id)
    used = select(ApiToken.id).where(ApiToken.user_id == User.id)
    if moment is None:
        return or_(
            User.current_login_at.is_not(None),
            used.where(ApiToken.last_used_at.is_not(None)).exists(),
            attempted.exists(),
        )
    return or_(
        # Never NULL, so that "not seen since" holds for someone who never signed in.
        and_(User.current_login_at.is_not(None), User.current_login_at >= moment),
        used.where(ApiToken.last_used_at >= moment).exists(),
        attempted.where(Attempt.submitted_at >= moment).exists(),
    )
