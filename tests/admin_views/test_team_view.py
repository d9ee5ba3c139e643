"""The teams pages of the admin: forming a classroom's teams, adding, moving and renaming, the
team's page with progress and history, and a student's own team on /team."""

from __future__ import annotations

import pytest
from helpers import csrf_token, post_form
from sqlalchemy import func, select

from quest_platform.extensions import db
from quest_platform.models import Team, TeamMembership
from quest_platform.queries.teams import current_members
from quest_platform.services.teams import create_team


@pytest.fixture
def classroom_of_seven(make):
    teacher = make.teacher()
    students = [make.student() for _ in range(7)]
    classroom = make.classroom(teachers=[teacher], students=students)
    return teacher, classroom, students


def test_a_teacher_forms_balanced_teams_and_sees_them_listed(
    client, login_as, classroom_of_seven
) -> None:
    teacher, classroom, _students = classroom_of_seven
    login_as(teacher)
    page = client.get(f"/admin/teams/form/?classroom={classroom.id}").get_data(as_text=True)
    assert "7 students without a team" in page
    response = post_form(
        client,
        "/admin/teams/form/",
        {"classroom": str(classroom.id), "method": "balanced", "size": "4"},
    )
    assert response.status_code == 302
    listing = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 teams formed" in listing
    assert "Team 1" in listing
    assert "Team 2" in listing
    sizes = sorted(len(current_members(team)) for team in db.session.scalars(select(Team)))
    assert sizes == [3, 4]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"method": "random", "size": "6"}, "This field is required"),
        ({"method": "sideways", "size": "6"}, "Not a valid choice"),
        ({"method": "random", "size": "13"}, "between 2 and 12"),
        ({"method": "random", "size": "two"}, "Not a valid integer"),
    ],
)
def test_forming_refuses_bad_input_with_a_message(
    client, login_as, classroom_of_seven, data, message
) -> None:
    teacher, classroom, _ = classroom_of_seven
    login_as(teacher)
    if data["method"] != "random" or data["size"] != "6":
        data = {"classroom": str(classroom.id), **data}
    response = post_form(client, "/admin/teams/form/", data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Team)) == 0


def test_another_teachers_classroom_cannot_be_formed(client, login_as, make, classroom_of_seven):
    _teacher, classroom, _ = classroom_of_seven
    login_as(make.teacher())
    response = post_form(
        client,
        "/admin/teams/form/",
        {"classroom": str(classroom.id), "method": "random", "size": "4"},
    )
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Team)) == 0


def test_adding_moving_and_naming_a_scrum_master(client, login_as, classroom_of_seven) -> None:
    teacher, classroom, students = classroom_of_seven
    red = create_team(classroom=classroom, name="Red", by=teacher)
    blue = create_team(classroom=classroom, name="Blue", by=teacher)
    login_as(teacher)
    details = f"/admin/teams/details/?id={red.id}"
    token = csrf_token(client, details)
    added = client.post(
        "/admin/teams/add/",
        data={"csrf_token": token, "team": red.id, "student": [students[0].id, students[1].id]},
    )
    assert added.status_code == 302
    page = client.get(details).get_data(as_text=True)
    assert "2 students added to Red." in page
    assert students[0].display_name in page
    assert "Still in the team" in page

    edited = post_form(
        client,
        f"/admin/teams/edit/?id={red.id}",
        {"name": "Red Rockets", "scrum_master": str(students[0].id)},
    )
    assert edited.status_code == 302
    db.session.refresh(red)
    assert (red.name, red.scrum_master_id) == ("Red Rockets", students[0].id)

    moved = client.post(
        "/admin/teams/move/",
        data={"csrf_token": token, "team": red.id, "student": students[0].id, "to": blue.id},
    )
    assert moved.status_code == 302
    page = client.get(details).get_data(as_text=True)
    assert f"{students[0].display_name} moved to Blue." in page
    db.session.refresh(red)
    assert red.scrum_master_id is None
    assert {m.student_id for m in current_members(blue)} == {students[0].id}
    # The history keeps the move.
    assert db.session.scalar(select(func.count()).select_from(TeamMembership)) == 3


def test_a_scrum_master_must_be_a_member(client, login_as, classroom_of_seven) -> None:
    teacher, classroom, students = classroom_of_seven
    team = create_team(classroom=classroom, name="Red", member_ids=[students[0].id], by=teacher)
    login_as(teacher)
    response = post_form(
        client,
        f"/admin/teams/edit/?id={team.id}",
        {"name": "Red", "scrum_master": str(students[3].id)},
    )
    assert response.status_code == 422
    db.session.refresh(team)
    assert team.scrum_master_id is None


def test_moves_name_only_members_and_teams_of_the_classroom(
    client, login_as, make, classroom_of_seven
) -> None:
    teacher, classroom, students = classroom_of_seven
    team = create_team(classroom=classroom, name="Red", member_ids=[students[0].id], by=teacher)
    elsewhere = make.classroom(teachers=[teacher], students=[students[0]])
    foreign = create_team(classroom=elsewhere, name="Far", by=teacher)
    login_as(teacher)
    token = csrf_token(client, f"/admin/teams/details/?id={team.id}")
    for data in (
        {"team": team.id, "student": students[1].id, "to": ""},
        {"team": team.id, "student": students[0].id, "to": foreign.id},
        {"team": team.id, "student": "x", "to": ""},
    ):
        response = client.post("/admin/teams/move/", data={"csrf_token": token, **data})
        assert response.status_code == 302
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "Choose a member of this team and a team of its classroom." in page
    assert {m.student_id for m in current_members(team)} == {students[0].id}
    assert current_members(foreign) == []


def test_the_teams_list_and_export_show_only_the_teachers_own(
    client, login_as, make, classroom_of_seven
) -> None:
    teacher, classroom, students = classroom_of_seven
    create_team(classroom=classroom, name="Mine", member_ids=[students[0].id], by=teacher)
    other_teacher = make.teacher()
    other = make.classroom(teachers=[other_teacher], students=[make.student()])
    create_team(classroom=other, name="Theirs", by=other_teacher)
    login_as(teacher)
    listing = client.get("/admin/teams/").get_data(as_text=True)
    assert "Mine" in listing
    assert "Theirs" not in listing
    export = client.get("/admin/teams/export/csv/").get_data(as_text=True)
    assert "Mine" in export
    assert students[0].display_name in export
    assert "Theirs" not in export


def test_a_student_sees_their_own_team_and_its_progress(
    client, login_as, make, classroom_of_seven
) -> None:
    teacher, classroom, students = classroom_of_seven
    quest = make.quest()
    make.assignment(quest=quest, classroom=classroom, by=teacher)
    create_team(
        classroom=classroom,
        name="Red",
        member_ids=[students[0].id, students[1].id],
        scrum_master_id=students[1].id,
        by=teacher,
    )
    create_team(classroom=classroom, name="Blue", member_ids=[students[2].id], by=teacher)
    login_as(students[0])
    page = client.get("/team").get_data(as_text=True)
    assert "Red" in page
    assert "Blue" not in page
    assert students[1].display_name in page
    assert students[2].display_name not in page
    assert f"Scrum master: {students[1].display_name}" in page
    assert quest.title in page
    assert "0 of 7 stages" in page
    # A student without a team is told who forms them.
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login_as(students[5])
    assert "You are not in a team yet" in client.get("/team").get_data(as_text=True)


@pytest.mark.parametrize("value", ["99999999999999999999", "١٢", "-3"])
def test_a_student_id_that_names_nobody_adds_no_one(
    client, login_as, classroom_of_seven, value
) -> None:
    teacher, classroom, _students = classroom_of_seven
    red = create_team(classroom=classroom, name="Red", by=teacher)
    login_as(teacher)
    details = f"/admin/teams/details/?id={red.id}"
    added = client.post(
        "/admin/teams/add/",
        data={"csrf_token": csrf_token(client, details), "team": red.id, "student": value},
    )
    assert added.status_code == 302
    assert "Choose at least one student to add." in client.get(details).get_data(as_text=True)
    assert current_members(red) == []
