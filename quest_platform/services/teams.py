"""Teams: forming them (by hand, at random or balanced by progress), moving students between
them with their history kept, and naming each team's scrum master."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from enum import StrEnum

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from quest_platform.extensions import db
from quest_platform.models import (
    MAX_TEAM_SIZE,
    Classroom,
    Enrollment,
    Team,
    TeamMembership,
    User,
    utcnow,
)
from quest_platform.models.teams import MAX_TEAM_NAME_LENGTH
from quest_platform.queries.teams import (
    current_members,
    current_membership,
    stages_passed,
    unplaced_students,
)
from quest_platform.services.audit import record_change, snapshot
from quest_platform.services.classrooms import may_manage_classroom
from quest_platform.services.errors import Conflict, NotAllowed, ServiceError, undone_on_error

MIN_TEAM_SIZE = 2


class Forming(StrEnum):
    """How students without a team are put into new teams."""

    # Shuffled, then dealt out.
    RANDOM = "random"
    # Ranked by the stages they passed in the class's quests, then dealt out in a snake
    # (1, 2, 3, 3, 2, 1, ...), so every team has students from the top and from the bottom.
    BALANCED = "balanced"


def check_team_name(name: str) -> str:
    """Return the trimmed name, or raise when it is empty or too long."""
    name = " ".join(name.split())
    if not name:
        raise ServiceError(_("A team needs a name."), field="name")
    if len(name) > MAX_TEAM_NAME_LENGTH:
        raise ServiceError(
            ngettext(
                "A team's name has at most %(num)d character.",
                "A team's name has at most %(num)d characters.",
                MAX_TEAM_NAME_LENGTH,
            ),
            field="name",
        )
    return name


def check_may_manage(*, by: User, classroom: Classroom) -> None:
    """Refuse anyone but the classroom's teachers and administrators."""
    if not may_manage_classroom(staff=by, classroom=classroom):
        raise NotAllowed(_("You can only manage the teams of your own classrooms."))


def name_taken(*, classroom: Classroom, name: str, other_than: Team | None = None) -> bool:
    """Whether another team of ``classroom`` has ``name`` (compared without case)."""
    query = select(Team.id).where(
        Team.classroom_id == classroom.id, db.func.lower(Team.name) == name.lower()
    )
    if other_than is not None:
        query = query.where(Team.id != other_than.id)
    return db.session.scalar(query.limit(1)) is not None


def lock_teams_of(classroom: Classroom) -> None:
    """Hold the classroom's teams until the transaction ends: team changes in one classroom
    then happen one after another, each reading what the one before wrote.

    The first statement writes (a change of nothing to the classroom's row): on SQLite the
    transaction then holds the write lock, on PostgreSQL the row's lock.
    """
    db.session.execute(
        update(Classroom)
        .where(Classroom.id == classroom.id)
        .values(id=Classroom.id)
        .execution_options(synchronize_session=False)
    )


@contextmanager
def conflict_on_clash(message: str) -> Iterator[None]:
    """Turn a unique rule the database enforces (a name, one team at a time) into a Conflict."""
    try:
        yield
    except IntegrityError as error:
        db.session.rollback()
        raise Conflict(message) from error


def join(*, student: User, team: Team, by: User | None) -> TeamMembership:
    """Add ``student`` to ``team``, leaving their current team of its classroom, if any."""
    now = utcnow()
    current = current_membership(student_id=student.id, classroom_id=team.classroom_id)
    if current is not None:
        if current.team_id == team.id:
            return current
        leave(membership=current, by=by, at=now)
    if len(current_members(team)) >= MAX_TEAM_SIZE:
        raise Conflict(
            ngettext(
                "%(team)s already has %(num)d student, the most a team may have.",
                "%(team)s already has %(num)d students, the most a team may have.",
                MAX_TEAM_SIZE,
                team=team.name,
            )
        )
    membership = TeamMembership(
        team=team,
        classroom_id=team.classroom_id,
        student_id=student.id,
        joined_at=now,
        placed_by_id=by.id if by is not None else None,
    )
    db.session.add(membership)
    record_change(actor=by, action="create", record=membership)
    return membership


def leave(*, membership: TeamMembership, by: User | None, at: datetime | None = None) -> None:
    """Close a current membership (kept as history); a leaving scrum master is unnamed."""
    before = snapshot(membership)
    membership.left_at = at or utcnow()
    record_change(actor=by, action="update", record=membership, before=before)
    team = membership.team
    if team.scrum_master_id == membership.student_id:
        team_before = snapshot(team)
        team.scrum_master_id = None
        record_change(actor=by, action="update", record=team, before=team_before)
    # Later queries in this transaction must see the membership closed.
    db.session.flush()


def enrolled_students(classroom: Classroom, student_ids: Sequence[int]) -> list[User]:
    """The students of ``student_ids`` enrolled in ``classroom``; raise if any is not."""
    wanted = set(student_ids)
    students = list(
        db.session.scalars(
            select(User)
            .join(Enrollment, Enrollment.student_id == User.id)
            .where(Enrollment.classroom_id == classroom.id, User.id.in_(wanted))
            .order_by(User.id)
        )
    )
    if len(students) != len(wanted):
        raise ServiceError(_("Choose students of this classroom."), field="members")
    return students


@undone_on_error
def create_team(
    *,
    classroom: Classroom,
    name: str,
    by: User,
    member_ids: Sequence[int] = (),
    scrum_master_id: int | None = None,
) -> Team:
    """Create a team in ``classroom`` with the chosen students (moved from their teams, if any)."""
    check_may_manage(by=by, classroom=classroom)
    name = check_team_name(name)
    members = enrolled_students(classroom, member_ids)
    if scrum_master_id is not None and scrum_master_id not in set(member_ids):
        raise ServiceError(_("The scrum master must be one of the team."), field="scrum_master")
    with conflict_on_clash(_("This classroom already has a team of that name.")):
        lock_teams_of(classroom)
        if name_taken(classroom=classroom, name=name):
            raise Conflict(_("This classroom already has a team of that name."), field="name")
        team = Team(classroom=classroom, name=name)
        db.session.add(team)
        record_change(actor=by, action="create", record=team)
        for student in members:
            join(student=student, team=team, by=by)
        team.scrum_master_id = scrum_master_id
        db.session.commit()
    return team


@undone_on_error
def rename_team(*, team: Team, name: str, by: User) -> Team:
    """Give ``team`` a new name, unique within its classroom."""
    check_may_manage(by=by, classroom=team.classroom)
    name = check_team_name(name)
    with conflict_on_clash(_("This classroom already has a team of that name.")):
        lock_teams_of(team.classroom)
        if name_taken(classroom=team.classroom, name=name, other_than=team):
            raise Conflict(_("This classroom already has a team of that name."), field="name")
        before = snapshot(team)
        team.name = name
        record_change(actor=by, action="update", record=team, before=before)
        db.session.commit()
    return team


@undone_on_error
def set_scrum_master(*, team: Team, student_id: int | None, by: User) -> Team:
    """Name one of the team's current members its scrum master (None: no scrum master)."""
    check_may_manage(by=by, classroom=team.classroom)
    lock_teams_of(team.classroom)
    if student_id is not None and student_id not in {
        membership.student_id for membership in current_members(team)
    }:
        raise ServiceError(_("The scrum master must be one of the team."), field="scrum_master")
    before = snapshot(team)
    team.scrum_master_id = student_id
    record_change(actor=by, action="update", record=team, before=before)
    db.session.commit()
    return team


@undone_on_error
def place_student(
    *, student: User, classroom: Classroom, team: Team | None, by: User
) -> TeamMembership | None:
    """Move ``student`` into ``team`` (None: out of any team) within ``classroom``.

    Their earlier membership is closed, not deleted, so each team's history shows who was in it
    and when. Returns the new membership, or None when the student now has no team.
    """
    check_may_manage(by=by, classroom=classroom)
    if team is not None and team.classroom_id != classroom.id:
        raise ServiceError(_("Choose a team of this classroom."), field="team")
    enrolled_students(classroom, [student.id])
    with conflict_on_clash(_("Someone else moved this student at the same moment; try again.")):
        lock_teams_of(classroom)
        if team is None:
            current = current_membership(student_id=student.id, classroom_id=classroom.id)
            if current is not None:
                leave(membership=current, by=by)
            membership = None
        else:
            membership = join(student=student, team=team, by=by)
        db.session.commit()
    return membership


@undone_on_error
def add_students(*, team: Team, student_ids: Sequence[int], by: User) -> list[TeamMembership]:
    """Add the chosen students of ``team``'s classroom to it, all or none, in one transaction.

    Each leaves the team they were in. Refused, with nothing changed, when any of them is not
    enrolled in the classroom or the team would pass its largest size.
    """
    classroom = team.classroom
    check_may_manage(by=by, classroom=classroom)
    if not student_ids:
        raise ServiceError(_("Choose at least one student to add."), field="student")
    students = enrolled_students(classroom, student_ids)
    with conflict_on_clash(_("Someone else moved these students at the same moment; try again.")):
        lock_teams_of(classroom)
        memberships = [join(student=student, team=team, by=by) for student in students]
        db.session.commit()
    return memberships


def next_team_names(classroom: Classroom, count: int) -> list[str]:
    """``count`` names "Team N" not yet used in ``classroom``, numbered on from the last."""
    taken = {
        name.lower()
        for name in db.session.scalars(select(Team.name).where(Team.classroom_id == classroom.id))
    }
    names: list[str] = []
    number = 1
    while len(names) < count:
        name = _("Team %(number)s", number=number)
        if name.lower() not in taken:
            names.append(name)
        number += 1
    return names


def dealt(students: Sequence[User], teams: int, *, snake: bool) -> list[list[User]]:
    """Deal ``students`` out to ``teams`` hands in turn (back and forth when ``snake``)."""
    hands: list[list[User]] = [[] for _ in range(teams)]
    for index, student in enumerate(students):
        round_number, seat = divmod(index, teams)
        if snake and round_number % 2 == 1:
            seat = teams - 1 - seat
        hands[seat].append(student)
    return hands


@undone_on_error
def form_teams(
    *,
    classroom: Classroom,
    method: Forming,
    size: int,
    by: User,
    rng: random.Random | None = None,
) -> list[Team]:
    """Put the classroom's students who have no team into new teams of about ``size``.

    Teams already formed keep their members; the new teams' sizes differ by one at most.
    Returns the new teams (none when every student already has a team).
    """
    check_may_manage(by=by, classroom=classroom)
    if not MIN_TEAM_SIZE <= size <= MAX_TEAM_SIZE:
        raise ServiceError(
            ngettext(
                "Teams have between %(least)d and %(num)d student.",
                "Teams have between %(least)d and %(num)d students.",
                MAX_TEAM_SIZE,
                least=MIN_TEAM_SIZE,
            ),
            field="size",
        )
    lock_teams_of(classroom)
    students = unplaced_students(classroom)
    if not students:
        db.session.rollback()
        return []
    if method == Forming.BALANCED:
        passed = stages_passed(classroom=classroom, student_ids=[s.id for s in students])
        # Ties keep a random order, so equal students are not always dealt the same way.
        (rng or random.SystemRandom()).shuffle(students)
        students.sort(key=lambda student: passed.get(student.id, 0), reverse=True)
    else:
        (rng or random.SystemRandom()).shuffle(students)
    count = math.ceil(len(students) / size)
    hands = dealt(students, count, snake=method == Forming.BALANCED)
    teams = []
    for name, hand in zip(next_team_names(classroom, count), hands, strict=True):
        team = Team(classroom=classroom, name=name)
        db.session.add(team)
        record_change(actor=by, action="create", record=team)
        for student in sorted(hand, key=lambda student: student.display_name.lower()):
            join(student=student, team=team, by=by)
        teams.append(team)
    db.session.commit()
    return teams


@undone_on_error
def delete_team(*, team: Team, by: User) -> None:
    """Delete ``team`` and its history; its current members are left without a team."""
    check_may_manage(by=by, classroom=team.classroom)
    lock_teams_of(team.classroom)
    record_change(actor=by, action="delete", record=team, before=snapshot(team), after={})
    db.session.delete(team)
    db.session.commit()
