"""Teams, read: who is in a team now and was before, and how far each member is in the quests
the team's classroom was given."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from quest_platform.extensions import db
from quest_platform.models import (
    Classroom,
    Enrollment,
    Outcome,
    Quest,
    QuestAssignment,
    QuestStatus,
    Stage,
    StageTally,
    Team,
    TeamMembership,
    User,
)
from quest_platform.queries.classrooms import classrooms_taught_by
from quest_platform.queries.team_hand_ins import TeamCheckpointRow, team_checkpoints

# Stages that count as done for a team's progress: passed, or passed after the due date.
DONE_OUTCOMES = (Outcome.PASSED.value, Outcome.LATE.value)


def current_membership(*, student_id: int, classroom_id: int) -> TeamMembership | None:
    """The student's open membership of a team of ``classroom_id``, if they are in one."""
    return db.session.scalar(
        select(TeamMembership).where(
            TeamMembership.student_id == student_id,
            TeamMembership.classroom_id == classroom_id,
            TeamMembership.left_at.is_(None),
        )
    )


def current_members(team: Team) -> list[TeamMembership]:
    """The open memberships of ``team``, read from the database (not the loaded collection)."""
    return list(
        db.session.scalars(
            select(TeamMembership)
            .where(TeamMembership.team_id == team.id, TeamMembership.left_at.is_(None))
            .options(selectinload(TeamMembership.student))
        )
    )


def teams_of(classroom_id: int) -> list[Team]:
    """The teams of a classroom, by name."""
    return list(
        db.session.scalars(
            select(Team).where(Team.classroom_id == classroom_id).order_by(func.lower(Team.name))
        )
    )


def teams_managed_by(user: User) -> Select[int]:
    """The ids of the teams in the classrooms ``user`` teaches (an administrator: all)."""
    query = select(Team.id)
    if not user.is_admin:
        query = query.where(Team.classroom_id.in_(classrooms_taught_by(user.id)))
    return query


def team_choices(classroom_id: int) -> list[tuple[str, str]]:
    """The teams of a classroom as (id, name) choices."""
    return [(str(team.id), team.name) for team in teams_of(classroom_id)]


def given_quests(classroom: Classroom) -> list[Quest]:
    """The published or archived quests given to ``classroom``, soonest due first."""
    return list(
        db.session.scalars(
            select(Quest)
            .join(QuestAssignment, QuestAssignment.quest_id == Quest.id)
            .where(
                QuestAssignment.classroom_id == classroom.id,
                Quest.status != QuestStatus.DRAFT.value,
            )
            .options(selectinload(Quest.stages).load_only(Stage.id, Stage.position))
            .order_by(QuestAssignment.due_at, Quest.id)
        )
    )


def stages_done(student_ids: Sequence[int], quest_ids: Sequence[int]) -> dict[tuple[int, int], int]:
    """How many stages each student finished in each quest, by (student id, quest id)."""
    if not student_ids or not quest_ids:
        return {}
    rows = db.session.execute(
        select(StageTally.student_id, StageTally.quest_id, func.count())
        .where(
            StageTally.student_id.in_(student_ids),
            StageTally.quest_id.in_(quest_ids),
            StageTally.outcome.in_(DONE_OUTCOMES),
        )
        .group_by(StageTally.student_id, StageTally.quest_id)
    )
    return {(student_id, quest_id): count for student_id, quest_id, count in rows}


def stages_passed(*, classroom: Classroom, student_ids: Sequence[int]) -> dict[int, int]:
    """How many stages of the classroom's quests each student finished, by student id."""
    done = stages_done(student_ids, [quest.id for quest in given_quests(classroom)])
    totals: dict[int, int] = {}
    for (student_id, _quest_id), count in done.items():
        totals[student_id] = totals.get(student_id, 0) + count
    return totals


@dataclass(frozen=True)
class MemberProgress:
    """One member of a team and the stages they finished in each of the team's quests."""

    student: User
    is_scrum_master: bool
    done: tuple[int, ...]


@dataclass(frozen=True)
class TeamBoard:
    """What a team page shows: its members' progress in the classroom's quests, its history,
    and the team checkpoints it handed in (newest first)."""

    team: Team
    quests: tuple[Quest, ...]
    members: tuple[MemberProgress, ...]
    history: tuple[TeamMembership, ...]
    checkpoints: tuple[TeamCheckpointRow, ...] = ()

    @property
    def quest_totals(self) -> tuple[int, ...]:
        """Each quest's number of stages, in the order of ``quests``."""
        return tuple(len(quest.stages) for quest in self.quests)


def team_board(team: Team) -> TeamBoard:
    """The members, progress, history and team checkpoints of ``team``: a few queries, whatever
    its size."""
    memberships = list(
        db.session.scalars(
            select(TeamMembership)
            .where(TeamMembership.team_id == team.id)
            .options(selectinload(TeamMembership.student), selectinload(TeamMembership.placed_by))
            .order_by(TeamMembership.joined_at.desc(), TeamMembership.id.desc())
        )
    )
    current = sorted(
        (membership.student for membership in memberships if membership.is_current),
        key=lambda student: (student.id != team.scrum_master_id, student.display_name.lower()),
    )
    quests = given_quests(team.classroom)
    done = stages_done([student.id for student in current], [quest.id for quest in quests])
    members = tuple(
        MemberProgress(
            student=student,
            is_scrum_master=student.id == team.scrum_master_id,
            done=tuple(done.get((student.id, quest.id), 0) for quest in quests),
        )
        for student in current
    )
    return TeamBoard(
        team=team,
        quests=tuple(quests),
        members=members,
        history=tuple(memberships),
        checkpoints=tuple(team_checkpoints(team)),
    )


def teams_of_student(student_id: int) -> list[Team]:
    """The teams ``student_id`` is in now (one per classroom at most), by classroom name."""
    return list(
        db.session.scalars(
            select(Team)
            .join(TeamMembership, TeamMembership.team_id == Team.id)
            .join(Classroom, Classroom.id == Team.classroom_id)
            .where(TeamMembership.student_id == student_id, TeamMembership.left_at.is_(None))
            .options(selectinload(Team.classroom))
            .order_by(Classroom.name, Team.id)
        )
    )


def unplaced() -> Select[User]:
    """Active enrolled students in no team of the classroom they are enrolled in (one row per
    enrollment: filter or group on ``Enrollment.classroom_id``)."""
    placed = select(TeamMembership.student_id).where(
        TeamMembership.classroom_id == Enrollment.classroom_id, TeamMembership.left_at.is_(None)
    )
    return (
        select(User)
        .join(Enrollment, Enrollment.student_id == User.id)
        .where(User.active.is_(True), User.id.not_in(placed))
    )


def unplaced_students(classroom: Classroom) -> list[User]:
    """The active students of ``classroom`` in no team of it now, by name."""
    query = unplaced().where(Enrollment.classroom_id == classroom.id)
    return list(db.session.scalars(query.order_by(func.lower(User.display_name), User.id)))


def unplaced_counts(classroom_ids: Sequence[int]) -> dict[int, int]:
    """How many active students of each classroom are in no team of it, in one query."""
    query = (
        unplaced()
        .with_only_columns(Enrollment.classroom_id, func.count())
        .where(Enrollment.classroom_id.in_(classroom_ids))
        .group_by(Enrollment.classroom_id)
    )
    counts: dict[int, int] = dict(db.session.execute(query).all())
    return {classroom_id: counts.get(classroom_id, 0) for classroom_id in classroom_ids}
