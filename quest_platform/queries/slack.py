"""Reading Slack announcements: a classroom's latest posts, and what is due to be announced."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select

from quest_platform.extensions import db
from quest_platform.models import (
    Classroom,
    Enrollment,
    QuestAssignment,
    SlackPost,
    SlackPostStatus,
)

# How many of a classroom's posts its page shows: enough to see that Slack is down.
RECENT_POSTS = 10


def recent_slack_posts(classroom_id: int, *, limit: int = RECENT_POSTS) -> list[SlackPost]:
    """The classroom's latest posts to Slack, newest first."""
    query = (
        select(SlackPost)
        .where(SlackPost.classroom_id == classroom_id)
        .order_by(SlackPost.created_at.desc(), SlackPost.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


def announced_assignments_due(start: datetime, end: datetime) -> list[QuestAssignment]:
    """The assignments due after ``start`` and by ``end``, of classrooms with a Slack webhook,
    soonest due first."""
    query = (
        select(QuestAssignment)
        .join(Classroom, Classroom.id == QuestAssignment.classroom_id)
        .where(
            Classroom.slack_webhook_url.is_not(None),
            QuestAssignment.due_at > start,
            QuestAssignment.due_at <= end,
        )
        .order_by(QuestAssignment.due_at, QuestAssignment.id)
    )
    return list(db.session.scalars(query))


def announced_classrooms_of(*, student_id: int, quest_id: int) -> list[Classroom]:
    """The classrooms with a Slack webhook where ``student_id`` is enrolled and ``quest_id`` is
    assigned: those a review of the student's work in the quest is news to."""
    query = (
        select(Classroom)
        .join(Enrollment, Enrollment.classroom_id == Classroom.id)
        .join(QuestAssignment, QuestAssignment.classroom_id == Classroom.id)
        .where(
            Enrollment.student_id == student_id,
            QuestAssignment.quest_id == quest_id,
            Classroom.slack_webhook_url.is_not(None),
        )
        .order_by(Classroom.id)
    )
    return list(db.session.scalars(query))


def slack_posts_to_resend(*, queued_before: datetime, classroom_id: int | None = None) -> list[int]:
    """The ids of the posts that failed, and of those still queued since before
    ``queued_before`` (their job was lost), oldest first; of one classroom if given."""
    query = select(SlackPost.id).where(
        or_(
            SlackPost.status == SlackPostStatus.FAILED.value,
            (SlackPost.status == SlackPostStatus.QUEUED.value)
            & (SlackPost.created_at < queued_before),
        )
    )
    if classroom_id is not None:
        query = query.where(SlackPost.classroom_id == classroom_id)
    return list(db.session.scalars(query.order_by(SlackPost.id)))
