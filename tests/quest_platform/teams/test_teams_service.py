"""Teams: formed by hand, at random or balanced by progress; students moved with their history
kept; a scrum master among the members; only the classroom's teachers may change them."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from flask import Flask
from helpers import at_once
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from quest_platform.extensions import db
from quest_platform.models import (
    MAX_TEAM_SIZE,
    AuditEntry,
    Classroom,
    Enrollment,
    StageTally,
    Team,
    TeamMembership,
    User,
)
from quest_platform.queries.teams import (
    current_members,
    team_board,
    teams_of_student,
    unplaced_counts,
)
from quest_platform.services.errors import Conflict, NotAllowed, ServiceError
from quest_platform.services.teams import (
    Forming,
    add_students,
    create_team,
    delete_team,
    form_teams,
    place_student,
    rename_team,
    set_scrum_master,
)


def a_class(make, students: int) -> tuple[User, Classroom, list[User]]:
    teacher = make.teacher()
    roster = [make.student() for _ in range(students)]
    return teacher, make.classroom(teachers=[teacher], students=roster), roster


def member_ids(team: Team) -> set[int]:
    return {membership.student_id for membership in current_members(team)}


def test_a_team_formed_by_hand_has_its_members_and_scrum_master(make) -> None:
    teacher, classroom, roster = a_class(make, 4)
    team = create_team(
        classroom=classroom,
        name="  Full   Stackers ",
        member_ids=[roster[0].id, roster[1].id],
        scrum_master_id=roster[1].id,
        by=teacher,
    )
    assert team.name == "Full Stackers"
    assert member_ids(team) == {roster[0].id, roster[1].id}
    assert team.scrum_master_id == roster[1].id
    actions = db.session.scalars(
        select(AuditEntry.table_name).where(AuditEntry.actor_id == teacher.id)
    ).all()
    assert Counter(actions)["team"] >= 1
    assert Counter(actions)["team_membership"] == 2


@pytest.mark.parametrize(
    ("name", "message"),
    [("   ", "needs a name"), ("x" * 61, "at most 60")],
)
def test_a_team_needs_a_short_name(make, name: str, message: str) -> None:
    teacher, classroom, _roster = a_class(make, 1)
    with pytest.raises(ServiceError, match=message):
        create_team(classroom=classroom, name=name, by=teacher)
    assert db.session.scalar(select(func.count()).select_from(Team)) == 0


def test_names_are_unique_within_a_classroom_whatever_the_case(make) -> None:
    teacher, classroom, _roster = a_class(make, 1)
    create_team(classroom=classroom, name="Debuggers", by=teacher)
    with pytest.raises(Conflict):
        create_team(classroom=classroom, name="debuggers", by=teacher)
    other = create_team(classroom=classroom, name="Testers", by=teacher)
    with pytest.raises(Conflict):
        rename_team(team=other, name="DEBUGGERS", by=teacher)
    # Another classroom may use the name.
    other_teacher, other_classroom, _ = a_class(make, 1)
    create_team(classroom=other_classroom, name="Debuggers", by=other_teacher)


def test_only_the_classrooms_teachers_and_admins_manage_its_teams(make) -> None:
    teacher, classroom, roster = a_class(make, 2)
    stranger = make.teacher()
    with pytest.raises(NotAllowed):
        create_team(classroom=classroom, name="Mine", by=stranger)
    team = create_team(classroom=classroom, name="Ours", by=teacher)
    for change in (
        lambda: rename_team(team=team, name="Theirs", by=stranger),
        lambda: set_scrum_master(team=team, student_id=None, by=stranger),
        lambda: place_student(student=roster[0], classroom=classroom, team=team, by=stranger),
        lambda: delete_team(team=team, by=stranger),
        lambda: form_teams(classroom=classroom, method=Forming.RANDOM, size=2, by=stranger),
        lambda: place_student(student=roster[0], classroom=classroom, team=team, by=roster[1]),
    ):
        with pytest.raises(NotAllowed):
            change()
    create_team(classroom=classroom, name="By the admin", by=make.admin())


def test_only_enrolled_students_join_and_a_scrum_master_is_a_member(make) -> None:
    teacher, classroom, roster = a_class(make, 2)
    outsider = make.student()
    with pytest.raises(ServiceError, match="students of this classroom"):
        create_team(classroom=classroom, name="A", member_ids=[outsider.id], by=teacher)
    with pytest.raises(ServiceError, match="scrum master"):
        create_team(
            classroom=classroom,
            name="A",
            member_ids=[roster[0].id],
            scrum_master_id=roster[1].id,
            by=teacher,
        )
    team = create_team(classroom=classroom, name="A", member_ids=[roster[0].id], by=teacher)
    with pytest.raises(ServiceError, match="scrum master"):
        set_scrum_master(team=team, student_id=roster[1].id, by=teacher)
    with pytest.raises(ServiceError, match="students of this classroom"):
        place_student(student=outsider, classroom=classroom, team=team, by=teacher)
    assert db.session.scalar(select(func.count()).select_from(Team)) == 1


def test_a_move_keeps_the_history_and_unnames_a_leaving_scrum_master(make) -> None:
    teacher, classroom, roster = a_class(make, 3)
    red = create_team(
        classroom=classroom,
        name="Red",
        member_ids=[roster[0].id, roster[1].id],
        scrum_master_id=roster[0].id,
        by=teacher,
    )
    blue = create_team(classroom=classroom, name="Blue", by=teacher)
    place_student(student=roster[0], classroom=classroom, team=blue, by=teacher)
    assert member_ids(red) == {roster[1].id}
    assert member_ids(blue) == {roster[0].id}
    assert red.scrum_master_id is None
    history = team_board(red).history
    assert [(m.student_id, m.is_current) for m in history] == [
        (roster[1].id, True),
        (roster[0].id, False),
    ] or {(m.student_id, m.is_current) for m in history} == {
        (roster[0].id, False),
        (roster[1].id, True),
    }
    # Out of any team: the membership is closed, not deleted.
    place_student(student=roster[1], classroom=classroom, team=None, by=teacher)
    assert member_ids(red) == set()
    assert len(team_board(red).history) == 2
    assert teams_of_student(roster[1].id) == []
    assert [team.name for team in teams_of_student(roster[0].id)] == ["Blue"]


def test_a_team_of_another_classroom_is_refused(make) -> None:
    teacher, classroom, roster = a_class(make, 1)
    other = make.classroom(teachers=[teacher], students=[roster[0]])
    theirs = create_team(classroom=other, name="Elsewhere", by=teacher)
    with pytest.raises(ServiceError, match="team of this classroom"):
        place_student(student=roster[0], classroom=classroom, team=theirs, by=teacher)
    # The same student may be in one team in each of their classrooms.
    mine = create_team(classroom=classroom, name="Here", member_ids=[roster[0].id], by=teacher)
    place_student(student=roster[0], classroom=other, team=theirs, by=teacher)
    assert {team.id for team in teams_of_student(roster[0].id)} == {mine.id, theirs.id}


def test_a_team_holds_twelve_at_most(make) -> None:
    teacher, classroom, roster = a_class(make, MAX_TEAM_SIZE + 1)
    team = create_team(
        classroom=classroom,
        name="Big",
        member_ids=[student.id for student in roster[:MAX_TEAM_SIZE]],
        by=teacher,
    )
    with pytest.raises(Conflict, match="12"):
        place_student(student=roster[-1], classroom=classroom, team=team, by=teacher)
    assert len(member_ids(team)) == MAX_TEAM_SIZE


def test_the_database_keeps_one_current_team_per_student_and_classroom(make) -> None:
    teacher, classroom, roster = a_class(make, 1)
    red = create_team(classroom=classroom, name="Red", member_ids=[roster[0].id], by=teacher)
    blue = create_team(classroom=classroom, name="Blue", by=teacher)
    db.session.add(
        TeamMembership(team_id=blue.id, classroom_id=classroom.id, student_id=roster[0].id)
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    # Nor may a membership name a classroom other than its team's, or a student not enrolled.
    other = make.classroom(teachers=[teacher], students=[roster[0]])
    db.session.add(TeamMembership(team_id=red.id, classroom_id=other.id, student_id=roster[0].id))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    db.session.add(
        TeamMembership(team_id=red.id, classroom_id=classroom.id, student_id=make.student().id)
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_leaving_the_classroom_ends_the_membership(make) -> None:
    teacher, classroom, roster = a_class(make, 1)
    team = create_team(classroom=classroom, name="Red", member_ids=[roster[0].id], by=teacher)
    enrollment = db.session.scalars(select(Enrollment)).one()
    db.session.delete(enrollment)
    db.session.commit()
    assert member_ids(team) == set()


@pytest.mark.parametrize(
    ("students", "size", "sizes"), [(26, 6, [6, 5, 5, 5, 5]), (7, 6, [4, 3]), (12, 4, [4, 4, 4])]
)
def test_forming_at_random_makes_even_teams(
    make, students: int, size: int, sizes: list[int]
) -> None:
    teacher, classroom, roster = a_class(make, students)
    teams = form_teams(
        classroom=classroom, method=Forming.RANDOM, size=size, by=teacher, rng=random.Random(1)
    )
    assert sorted((len(member_ids(team)) for team in teams), reverse=True) == sizes
    assert [team.name for team in teams] == [f"Team {n}" for n in range(1, len(sizes) + 1)]
    placed = set().union(*(member_ids(team) for team in teams))
    assert placed == {student.id for student in roster}


def test_forming_again_places_only_the_students_without_a_team(make) -> None:
    teacher, classroom, roster = a_class(make, 5)
    create_team(classroom=classroom, name="Team 1", member_ids=[roster[0].id], by=teacher)
    teams = form_teams(classroom=classroom, method=Forming.RANDOM, size=2, by=teacher)
    assert [team.name for team in teams] == ["Team 2", "Team 3"]
    assert set().union(*(member_ids(team) for team in teams)) == {s.id for s in roster[1:]}
    assert form_teams(classroom=classroom, method=Forming.RANDOM, size=2, by=teacher) == []


def test_balanced_teams_mix_the_top_and_the_bottom(make) -> None:
    teacher, classroom, roster = a_class(make, 8)
    quest = make.quest(stages=8)
    make.assignment(quest=quest, classroom=classroom, by=teacher)
    # Student i finished i stages (0..7).
    for done, student in enumerate(roster):
        for stage in quest.stages[:done]:
            db.session.add(
                StageTally(
                    student_id=student.id,
                    stage_id=stage.id,
                    quest_id=quest.id,
                    tries=1,
                    outcome="passed",
                )
            )
    db.session.commit()
    teams = form_teams(
        classroom=classroom, method=Forming.BALANCED, size=4, by=teacher, rng=random.Random(3)
    )
    progress = {student.id: done for done, student in enumerate(roster)}
    totals = sorted(sum(progress[i] for i in member_ids(team)) for team in teams)
    # A snake deal of 7..0 into two teams: 7+4+3+0 and 6+5+2+1, both 14.
    assert totals == [14, 14]
    board = team_board(teams[0])
    assert board.quest_totals == (8,)
    assert sorted(member.done[0] for member in board.members) in ([0, 3, 4, 7], [1, 2, 5, 6])


@pytest.mark.parametrize("size", [1, 13])
def test_team_size_is_between_two_and_twelve(make, size: int) -> None:
    teacher, classroom, _roster = a_class(make, 3)
    with pytest.raises(ServiceError, match="between 2 and 12"):
        form_teams(classroom=classroom, method=Forming.RANDOM, size=size, by=teacher)


def test_deleting_a_team_leaves_its_students_free(make) -> None:
    teacher, classroom, roster = a_class(make, 2)
    team = create_team(classroom=classroom, name="Gone", member_ids=[roster[0].id], by=teacher)
    delete_team(team=team, by=teacher)
    assert db.session.scalar(select(func.count()).select_from(TeamMembership)) == 0
    assert len(form_teams(classroom=classroom, method=Forming.RANDOM, size=2, by=teacher)) == 1


def test_twenty_moves_at_once_leave_one_current_team(app: Flask, make) -> None:
    teacher, classroom, roster = a_class(make, 1)
    teams = [create_team(classroom=classroom, name=f"T{n}", by=teacher) for n in range(4)]
    ids = {"teacher": teacher.id, "classroom": classroom.id, "student": roster[0].id}
    team_ids = [team.id for team in teams]
    counter = iter(range(1000))

    def move() -> None:
        team = db.session.get(Team, team_ids[next(counter) % len(team_ids)])
        place_student(
            student=db.session.get(User, ids["student"]),
            classroom=db.session.get(Classroom, ids["classroom"]),
            team=team,
            by=db.session.get(User, ids["teacher"]),
        )

    outcomes = at_once(app, move)
    assert outcomes["ok"] >= 1
    assert set(outcomes) <= {"ok", "Conflict"}
    db.session.rollback()
    current = db.session.scalar(
        select(func.count())
        .select_from(TeamMembership)
        .where(TeamMembership.student_id == ids["student"], TeamMembership.left_at.is_(None))
    )
    assert current == 1


def test_twenty_joins_at_once_never_pass_twelve(app: Flask, make) -> None:
    teacher, classroom, roster = a_class(make, 20)
    team = create_team(classroom=classroom, name="Crowded", by=teacher)
    ids = iter([student.id for student in roster])
    team_id, classroom_id, teacher_id = team.id, classroom.id, teacher.id

    def join() -> None:
        place_student(
            student=db.session.get(User, next(ids)),
            classroom=db.session.get(Classroom, classroom_id),
            team=db.session.get(Team, team_id),
            by=db.session.get(User, teacher_id),
        )

    outcomes = at_once(app, join)
    db.session.rollback()
    members = db.session.scalar(
        select(func.count())
        .select_from(TeamMembership)
        .where(TeamMembership.team_id == team_id, TeamMembership.left_at.is_(None))
    )
    assert members <= MAX_TEAM_SIZE
    assert outcomes["ok"] == members


def test_adding_several_students_is_all_or_nothing(make) -> None:
    teacher, classroom, roster = a_class(make, MAX_TEAM_SIZE + 1)
    stranger = make.student()
    team = create_team(classroom=classroom, name="Builders", by=teacher)

    with pytest.raises(ServiceError):
        add_students(team=team, student_ids=[roster[0].id, stranger.id], by=teacher)
    assert member_ids(team) == set()

    with pytest.raises(Conflict):
        add_students(team=team, student_ids=[student.id for student in roster], by=teacher)
    db.session.rollback()
    assert member_ids(team) == set()

    added = add_students(team=team, student_ids=[roster[0].id, roster[1].id], by=teacher)
    assert {membership.student_id for membership in added} == member_ids(team)
    assert member_ids(team) == {roster[0].id, roster[1].id}


def test_students_without_a_team_are_counted_per_classroom_in_one_query(make) -> None:
    teacher, classroom, roster = a_class(make, 5)
    _, empty, _ = a_class(make, 0)
    create_team(classroom=classroom, name="Two", member_ids=[s.id for s in roster[:2]], by=teacher)
    # A student placed in another classroom's team still counts as unplaced here.
    other_teacher, other, _ = a_class(make, 0)
    db.session.add(Enrollment(classroom=other, student=roster[2]))
    db.session.commit()
    create_team(classroom=other, name="Elsewhere", member_ids=[roster[2].id], by=other_teacher)

    assert unplaced_counts([classroom.id, empty.id, other.id]) == {
        classroom.id: 3,
        empty.id: 0,
        other.id: 0,
    }
