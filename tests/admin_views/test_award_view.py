"""The achievements view: who earned which achievement when, read-only, by classroom."""

from __future__ import annotations

import pytest
from helpers import admin_moment, post_form

from quest_platform.models import AchievementAward, Enrollment
from quest_platform.services.accounts import set_language
from quest_platform.services.achievements import award_achievement
from quest_platform.services.tallies import lock_quest_tally

LIST = "/admin/award/"


def text_of(response) -> str:
    return response.get_data(as_text=True)


def test_the_list_shows_who_earned_what_and_when(client, school, login_as):
    login_as(school.teacher)
    page = text_of(client.get(LIST))
    assert f'<th scope="row">{admin_moment(school.award.awarded_at)}</th>' in page
    assert f"<td>{school.student.display_name}</td>" in page
    assert "<td>Trailblazer</td>" in page
    assert school.other_student.display_name not in page


def test_the_details_say_what_the_achievement_is_for(client, school, login_as):
    login_as(school.teacher)
    page = text_of(client.get(f"/admin/award/details/?id={school.award.id}"))
    assert "Finished a whole quest." in page
    assert school.student.username in page


def test_achievement_names_are_translated(client, school, login_as):
    set_language(user=school.teacher, language="es")
    login_as(school.teacher)
    page = text_of(client.get(LIST))
    assert 'lang="es"' in page
    assert "<td>Trailblazer</td>" not in page


def test_filters_by_classroom_and_achievement(client, db, make, school, login_as):
    classmate = make.student()
    other_class = make.classroom(teachers=[school.teacher], students=[classmate])
    make.assignment(quest=school.quest, classroom=other_class, by=school.teacher)
    make.attempt(student=classmate, quest=school.quest, position=2, outcome="passed", score=10)
    award = make.award(student=classmate, code="perfect-quiz")
    login_as(school.teacher)

    def students(**query: str) -> set[str]:
        page = text_of(client.get(LIST, query_string=query))
        names = (school.student.display_name, classmate.display_name)
        return {name for name in names if f"<td>{name}</td>" in page}

    assert students() == {school.student.display_name, classmate.display_name}
    assert students(flt0_classroom=str(other_class.id)) == {classmate.display_name}
    assert students(flt0_achievement=str(award.achievement_id)) == {classmate.display_name}


def test_awards_are_never_changed_here(client, db, school, login_as):
    login_as(school.teacher)
    page = text_of(client.get(LIST))
    assert "/admin/award/new/" not in page
    assert "/admin/award/edit/" not in page
    response = post_form(
        client, "/admin/award/delete/", {"id": str(school.award.id)}, form_page=LIST
    )
    assert response.status_code == 302
    assert db.session.get(AchievementAward, school.award.id) is not None


@pytest.fixture
def shared(school, make, db):
    """The first teacher's student also joined the second teacher's class and earned a badge
    ("Sharp Mind") there, on the second teacher's quest, through the service that awards them."""
    db.session.add(Enrollment(classroom=school.other_classroom, student=school.student))
    quiz = make.attempt(
        student=school.student, quest=school.other_quest, position=2, outcome="passed", score=10
    )
    tally = lock_quest_tally(student_id=quiz.student_id, quest_id=quiz.quest_id)
    award = award_achievement(
        code="perfect-quiz", attempt=quiz, quest_tally=tally, now=quiz.submitted_at
    )
    db.session.commit()
    return award


def test_a_badge_earned_on_another_teachers_quest_is_not_shown(client, school, shared, login_as):
    login_as(school.teacher)
    mine = {"flt0_classroom": str(school.classroom.id)}
    searched = {"search": school.student.username}
    for query in ({}, mine, searched):
        page = text_of(client.get(LIST, query_string=query))
        assert "<td>Trailblazer</td>" in page
        assert "<td>Sharp Mind</td>" not in page
    exported = text_of(client.get(f"{LIST}export/csv/"))
    assert "Trailblazer" in exported
    assert "Sharp Mind" not in exported
    assert client.get(f"{LIST}details/?id={shared.id}").status_code == 404


def test_the_teacher_of_the_quest_sees_the_badge_earned_on_it(client, school, shared, login_as):
    login_as(school.other_teacher)
    page = text_of(client.get(LIST))
    assert "<td>Sharp Mind</td>" in page
    # The student's badge from the first teacher's quest stays with that teacher.
    assert page.count("<td>Trailblazer</td>") == 1
    assert client.get(f"{LIST}details/?id={shared.id}").status_code == 200
    assert client.get(f"{LIST}details/?id={school.award.id}").status_code == 404


def test_an_administrator_sees_every_badge(client, school, shared, login_as):
    login_as(school.admin)
    page = text_of(client.get(LIST))
    assert "<td>Sharp Mind</td>" in page
    assert page.count("<td>Trailblazer</td>") == 2
