"""Reading classrooms and their rosters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, SQLColumnExpression, and_, exists, func, select

from quest_platform.extensions import db
from quest_platform.models import (
    Classroom,
    Enrollment,
    Quest,
    QuestAssignment,
    QuestStatus,
    Stage,
    User,
    classroom_teacher,
)


def classrooms_taught_by(user_id: int) -> Select[int]:
    """The ids of the classrooms a teacher owns, as a subquery."""
    return select(classroom_teacher.c.classroom_id).where(classroom_teacher.c.teacher_id == user_id)


def enrolled_in(classroom_ids: Any) -> Select[int]:
    """The ids of the students enrolled in any of ``classroom_ids``, as a subquery."""
    return select(Enrollment.student_id).where(Enrollment.classroom_id.in_(classroom_ids))


def classrooms_of_student(student_id: int) -> Select[int]:
    """The ids of the classrooms a student is enrolled in, as a subquery."""
    return select(Enrollment.classroom_id).where(Enrollment.student_id == student_id)


def given_stage_choices(
    staff: User, kinds: Sequence[str], *, published_only: bool = False
) -> list[tuple[str, str]]:
    """The stages of ``kinds`` of quests given to ``staff``'s classrooms (an admin's: to any
    classroom), of published quests only if ``published_only``.

    As choices of a select: id and "quest — position. title", by quest and position.
    """
    given = select(QuestAssignment.quest_id)
    if not staff.is_admin:
        given = given.where(QuestAssignment.classroom_id.in_(classrooms_taught_by(staff.id)))
    query = (
        select(Stage.id, Quest.title, Stage.position, Stage.title)
        .join(Quest, Quest.id == Stage.quest_id)
        .where(Stage.kind.in_(kinds), Stage.quest_id.in_(given))
        .order_by(Quest.title, Quest.id, Stage.position)
    )
    if published_only:
        query = query.where(Quest.status == QuestStatus.PUBLISHED.value)
    return [
        (str(stage_id), f"{quest} — {position}. {title}")
        for stage_id, quest, position, title in db.session.execute(query)
    ]


def is_given(*, quest: Quest, classroom_id: int) -> bool:
    """Whether ``quest`` is published and given to the classroom (a race or a game may use it)."""
    if quest.status != QuestStatus.PUBLISHED:
        return False
    given = select(
        exists().where(
            QuestAssignment.classroom_id == classroom_id, QuestAssignment.quest_id == quest.id
        )
    )
    return bool(db.session.scalar(given))


def work_taught_by(
    teacher_id: int, *, student_id: SQLColumnExpression[int], quest_id: SQLColumnExpression[int]
) -> ColumnElement[bool]:
    """Rows of students' work a teacher may see: by a student of one of their classrooms, on a
    quest that classroom was given (attempts, achievements earned with them).

    A student in two teachers' classes shows each teacher only the quests that teacher assigned.
    """
    return exists().where(
        Enrollment.student_id == student_id,
        classroom_teacher.c.classroom_id == Enrollment.classroom_id,
        classroom_teacher.c.teacher_id == teacher_id,
        QuestAssignment.classroom_id == Enrollment.classroom_id,
        QuestAssignment.quest_id == quest_id,
    )


def work_in_classroom(
    classroom_id: int, *, student_id: SQLColumnExpression[int], quest_id: SQLColumnExpression[int]
) -> ColumnElement[bool]:
    """Rows of students' work that count for a classroom: by one of its students, on a quest it
    was given."""
    students = select(Enrollment.student_id).where(Enrollment.classroom_id == classroom_id)
    quests = select(QuestAssignment.quest_id).where(QuestAssignment.classroom_id == classroom_id)
    return and_(student_id.in_(students), quest_id.in_(quests))


def classrooms_visible_to(user: User) -> list[Classroom]:
    """Return every classroom for an admin, and the classrooms they teach for a teacher."""
    query = select(Classroom)
    if not user.is_admin:
        query = query.join(classroom_teacher).where(classroom_teacher.c.teacher_id == user.id)
    return list(
        db.session.scalars(query.order_by(Classroom.term, Classroom.period, Classroom.name))
    )


def classroom_choices(user: User) -> list[tuple[str, str]]:
    """The classrooms ``user`` may see as choices of a select: id and "name (term)", in order."""
    query = select(Classroom.id, Classroom.name, Classroom.term)
    if not user.is_admin:
        query = query.join(classroom_teacher).where(classroom_teacher.c.teacher_id == user.id)
    rows = db.session.execute(query.order_by(Classroom.term, Classroom.period, Classroom.name))
    return [(str(classroom_id), f"{name} ({term})") for classroom_id, name, term in rows]


def roster_of(classroom: Classroom) -> list[User]:
    """Return a classroom's students ordered by display name."""
    query = (
        select(User)
        .join(Enrollment, Enrollment.student_id == User.id)
        .where(Enrollment.classroom_id == classroom.id)
        .order_by(func.lower(User.display_name), User.username)
    )
    return list(db.session.scalars(query))


def enrollment_counts(classrooms: list[Classroom]) -> dict[int, int]:
    """Return how many students each of ``classrooms`` has, by classroom id."""
    ids = [classroom.id for classroom in classrooms]
    if not ids:
        return {}
    rows = db.session.execute(
        select(Enrollment.classroom_id, func.count())
        .where(Enrollment.classroom_id.in_(ids))
        .group_by(Enrollment.classroom_id)
    )
    counts: dict[int, int] = dict(rows.all())
    return {classroom_id: counts.get(classroom_id, 0) for classroom_id in ids}
