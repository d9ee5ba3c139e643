"""GitHub: the classroom a delivery is for, the student a pull request's author is, and the
checkpoint it names."""

from __future__ import annotations

from sqlalchemy import func, select

from quest_platform.extensions import db
from quest_platform.models import (
    Classroom,
    Enrollment,
    GithubDelivery,
    QuestAssignment,
    Role,
    RoleName,
    Stage,
    StageKind,
    User,
)


def classroom_for_delivery(classroom_id: int) -> Classroom | None:
    """The classroom a webhook delivery is addressed to, if there is one."""
    return db.session.get(Classroom, classroom_id)


def delivery_recorded(delivery_id: str) -> bool:
    """Whether a delivery with this id (GitHub's X-GitHub-Delivery) was already recorded."""
    query = select(GithubDelivery.id).where(GithubDelivery.delivery_id == delivery_id)
    return db.session.scalar(query) is not None


def linked_student(*, classroom_id: int, login: str) -> User | None:
    """The active student of the classroom who linked the GitHub ``login`` (in any capitals)."""
    query = (
        select(User)
        .join(Enrollment, Enrollment.student_id == User.id)
        .where(
            Enrollment.classroom_id == classroom_id,
            func.lower(User.github_username) == login.lower(),
            User.active.is_(True),
            User.roles.any(Role.name == RoleName.STUDENT.value),
        )
    )
    return db.session.scalars(query).first()


def checkpoint_given_to(*, classroom_id: int, stage_id: int) -> Stage | None:
    """The checkpoint ``stage_id`` if it is a stage of a quest given to the classroom."""
    query = (
        select(Stage)
        .join(QuestAssignment, QuestAssignment.quest_id == Stage.quest_id)
        .where(
            QuestAssignment.classroom_id == classroom_id,
            Stage.id == stage_id,
            Stage.kind == StageKind.CHECKPOINT.value,
        )
    )
    return db.session.scalars(query).first()


def github_username_taken(login: str, *, except_user: User) -> bool:
    """Whether another account linked the GitHub ``login`` (in any capitals)."""
    query = select(User.id).where(
        func.lower(User.github_username) == login.lower(), User.id != except_user.id
    )
    return db.session.scalar(query) is not None


def recent_github_deliveries(classroom_id: int, *, limit: int = 10) -> list[GithubDelivery]:
    """The classroom's latest deliveries from GitHub, newest first."""
    query = (
        select(GithubDelivery)
        .where(GithubDelivery.classroom_id == classroom_id)
        .order_by(GithubDelivery.received_at.desc(), GithubDelivery.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))
