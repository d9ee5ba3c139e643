"""Reading extra time: who may give it to whom, on which timed stages, and who sees it."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, exists, func, select
from sqlalchemy.orm import aliased

from quest_platform.extensions import db
from quest_platform.models import (
    Enrollment,
    Quest,
    QuestAssignment,
    Stage,
    StageKind,
    TimeExtension,
    User,
    classroom_teacher,
)
from quest_platform.queries.classrooms import classrooms_taught_by, given_stage_choices

# The stages extra time applies to: a timed stage's limit, a code stage's races, and the timer
# of a quiz's questions in a live game.
EXTENDED_KINDS = (StageKind.TIMED.value, StageKind.CODE.value, StageKind.QUIZ.value)


def given_to_students_of(teacher_id: int) -> ColumnElement[bool]:
    """Extensions a teacher may see: for a student of their classroom, on a quest it was given.

    Like attempts (see ``queries.attempts.taught_by``), a student in two teachers' classes shows
    each teacher only the extra time on the quests that teacher's classroom was given.
    """
    # An alias, so that a list joined to its stages never correlates with this stage.
    stage = aliased(Stage)
    return exists().where(
        stage.id == TimeExtension.stage_id,
        Enrollment.student_id == TimeExtension.student_id,
        classroom_teacher.c.classroom_id == Enrollment.classroom_id,
        classroom_teacher.c.teacher_id == teacher_id,
        QuestAssignment.classroom_id == Enrollment.classroom_id,
        QuestAssignment.quest_id == stage.quest_id,
    )


def may_give_extra_time(*, staff: User, student: User, stage: Stage) -> bool:
    """Whether ``staff`` may give ``student`` extra time on ``stage``.

    A teacher may for a student of one of their classrooms that was given the stage's quest; an
    administrator for anyone enrolled in a classroom given it.
    """
    if not staff.is_staff:
        return False
    query = select(Enrollment.classroom_id).where(
        Enrollment.student_id == student.id,
        exists().where(
            QuestAssignment.classroom_id == Enrollment.classroom_id,
            QuestAssignment.quest_id == stage.quest_id,
        ),
    )
    if not staff.is_admin:
        query = query.where(Enrollment.classroom_id.in_(classrooms_taught_by(staff.id)))
    return db.session.scalar(query.limit(1)) is not None


def _classrooms_of(staff: User) -> Select[int] | None:
    """The classrooms whose students ``staff`` may give extra time to (None: every classroom)."""
    return None if staff.is_admin else classrooms_taught_by(staff.id)


def student_choices(staff: User) -> list[tuple[str, str]]:
    """The students ``staff`` may give extra time to, as choices: id and "name (username)"."""
    enrolled = select(Enrollment.student_id)
    classrooms = _classrooms_of(staff)
    if classrooms is not None:
        enrolled = enrolled.where(Enrollment.classroom_id.in_(classrooms))
    rows = db.session.execute(
        select(User.id, User.display_name, User.username)
        .where(User.id.in_(enrolled))
        .order_by(func.lower(User.display_name), User.username)
    )
    return [(str(user_id), f"{name} ({username})") for user_id, name, username in rows]


def timed_stage_choices(staff: User) -> list[tuple[str, str]]:
    """The stages with a clock (EXTENDED_KINDS) of quests given to ``staff``'s classrooms (an
    admin's: to any classroom), as choices."""
    return given_stage_choices(staff, EXTENDED_KINDS)


def quest_choices(staff: User) -> list[tuple[str, str]]:
    """The quests with a timed or code stage given to ``staff``'s classrooms, as filter choices."""
    given = select(QuestAssignment.quest_id)
    classrooms = _classrooms_of(staff)
    if classrooms is not None:
        given = given.where(QuestAssignment.classroom_id.in_(classrooms))
    timed = select(Stage.quest_id).where(Stage.kind.in_(EXTENDED_KINDS))
    rows = db.session.execute(
        select(Quest.id, Quest.title)
        .where(Quest.id.in_(given), Quest.id.in_(timed))
        .order_by(Quest.title, Quest.id)
    )
    return [(str(quest_id), title) for quest_id, title in rows]
