"""The leaderboard pages and their JSON: who sees which names, the switch, and 404s."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from quest_platform.models import Enrollment


@pytest.fixture
def klass(db, make):
    """A classroom with Ana (20 points) and Ben (10 points) in its quest, and their teacher."""
    teacher = make.teacher()
    ana, ben = make.student(username="ana.lee"), make.student(username="ben.ito")
    ana.display_name, ben.display_name = "Ana Leesworth", "Ben Itoyama"
    db.session.commit()
    classroom = make.classroom(teachers=[teacher], students=[ana, ben])
    quest = make.quest()
    make.assignment(quest=quest, classroom=classroom, by=teacher)
    for student, points in ((ana, 20), (ben, 10)):
        make.points(student=student, quest=quest, points=points)
    return classroom, teacher, ana, ben, quest


def board_urls(classroom, quest) -> list[str]:
    base = f"/leaderboards/classrooms/{classroom.id}"
    return [base, f"{base}/quests/{quest.slug}"]


def test_a_classmate_sees_a_pseudonym_never_a_name_or_username(klass, login_as):
    classroom, _teacher, ana, ben, quest = klass
    client = login_as(ben)
    for url in board_urls(classroom, quest):
        page = client.get(url).get_data(as_text=True)
        assert ana.pseudonym in page
        for secret in (ana.display_name, ana.username, ben.display_name, ben.username):
            assert secret not in page, url
        data = client.get(f"{url}.json").get_json()
        text = str(data)
        assert ana.pseudonym in text
        for secret in (ana.display_name, ana.username, ben.display_name, ben.username):
            assert secret not in text, url


def test_the_viewers_own_row_is_marked(klass, login_as):
    classroom, _teacher, _ana, ben, _quest = klass
    client = login_as(ben)
    page = client.get(f"/leaderboards/classrooms/{classroom.id}").get_data(as_text=True)
    assert f"<strong>{ben.pseudonym} (you)</strong>" in page
    assert page.count('aria-current="true"') == 1
    assert "Equal points share a rank" in page
    data = client.get(f"/leaderboards/classrooms/{classroom.id}.json").get_json()
    assert data["rows"] == [
        {"rank": 1, "name": klass[2].pseudonym, "points": 20, "you": False},
        {"rank": 2, "name": ben.pseudonym, "points": 10, "you": True},
    ]
    assert data["you"] == {"points": 10, "rank": 2, "would_rank": None, "opted_in": True}
    assert data["enabled"] is True
    assert data["tie_rule"].startswith("Equal points share a rank")
    assert data["classroom"]["id"] == classroom.id
    assert data["quest"] is None
    assert data["totals"] == {"students": 2, "points": 30}
    assert [best["quest"] for best in data["personal_bests"]] == [klass[4].slug]


def test_the_teacher_sees_names_and_pseudonyms(klass, login_as):
    classroom, teacher, ana, ben, quest = klass
    client = login_as(teacher)
    page = client.get(f"/leaderboards/classrooms/{classroom.id}").get_data(as_text=True)
    for shown in (ana.display_name, ana.pseudonym, ben.display_name, ben.pseudonym):
        assert shown in page
    data = client.get(f"/leaderboards/classrooms/{classroom.id}/quests/{quest.slug}.json")
    rows = data.get_json()["rows"]
    assert [(row["display_name"], row["listed"]) for row in rows] == [
        (ana.display_name, True),
        (ben.display_name, True),
    ]
    assert data.get_json()["you"] is None


def test_a_turned_off_board_shows_a_message_and_the_students_own_points(
    db, klass, login_as, client_factory
):
    classroom, teacher, ana, ben, _quest = klass
    classroom.leaderboard_enabled = False
    db.session.commit()
    client = login_as(ben)
    page = client.get(f"/leaderboards/classrooms/{classroom.id}").get_data(as_text=True)
    assert "turned the leaderboard off" in page
    assert "You have 10 points." in page
    assert ana.pseudonym not in page
    assert "<table" in page  # the personal bests
    data = client.get(f"/leaderboards/classrooms/{classroom.id}.json").get_json()
    assert (data["enabled"], data["rows"], data["you"]["points"]) == (False, [], 10)

    teacher_client = login_as(teacher, on=client_factory())
    teacher_page = teacher_client.get(f"/leaderboards/classrooms/{classroom.id}")
    text = teacher_page.get_data(as_text=True)
    assert "Students do not see this leaderboard" in text
    assert ana.display_name in text


def test_an_opted_out_student_sees_where_they_would_be(db, klass, login_as):
    classroom, _teacher, ana, ben, _quest = klass
    ana.leaderboard_opt_in = False
    db.session.commit()
    page = login_as(ana).get(f"/leaderboards/classrooms/{classroom.id}").get_data(as_text=True)
    assert "your points would place you at rank 1" in page
    assert ana.pseudonym not in page
    assert ben.pseudonym in page


def test_other_classrooms_and_unknown_quests_are_missing(make, klass, login_as, client):
    classroom, _teacher, _ana, ben, _quest = klass
    other = make.classroom(students=[make.student()])
    other_quest = make.quest()
    make.assignment(quest=other_quest, classroom=other)
    login_as(ben)
    assert client.get(f"/leaderboards/classrooms/{other.id}").status_code == 404
    assert client.get(f"/leaderboards/classrooms/{other.id}.json").status_code == 404
    base = f"/leaderboards/classrooms/{classroom.id}/quests"
    assert client.get(f"{base}/{other_quest.slug}").status_code == 404
    missing = client.get(f"{base}/no-such-quest.json")
    assert missing.status_code == 404
    assert missing.is_json


def test_anonymous_json_asks_for_sign_in_as_the_app_does(klass, client):
    classroom, *_rest = klass
    url = f"/leaderboards/classrooms/{classroom.id}.json"
    assert client.get(url).status_code == 302
    # A client that asks for JSON gets Flask-Security's JSON 401 instead of a redirect.
    response = client.get(url, headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert response.is_json


def test_the_index_leads_a_student_of_one_classroom_to_its_board(make, klass, login_as):
    classroom, _teacher, _ana, ben, _quest = klass
    response = login_as(ben).get("/leaderboards/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/leaderboards/classrooms/{classroom.id}")


def test_the_index_lists_several_classrooms(db, make, klass, login_as, client_factory):
    classroom, teacher, _ana, ben, _quest = klass
    second = make.classroom(students=[ben])
    page = login_as(ben).get("/leaderboards/").get_data(as_text=True)
    assert f"/leaderboards/classrooms/{classroom.id}" in page
    assert f"/leaderboards/classrooms/{second.id}" in page
    teacher_page = login_as(teacher, on=client_factory()).get("/leaderboards/")
    text = teacher_page.get_data(as_text=True)
    assert f"/leaderboards/classrooms/{classroom.id}" in text
    assert f"/leaderboards/classrooms/{second.id}" not in text


def test_the_index_explains_when_there_is_no_classroom(make, login_as):
    page = login_as(make.student()).get("/leaderboards/").get_data(as_text=True)
    assert "You are not in a classroom yet" in page


def test_a_board_page_takes_a_few_queries_whatever_the_class_size(db, make, klass, login_as):
    classroom, teacher, *_rest = klass
    client = login_as(teacher)
    url = f"/leaderboards/classrooms/{classroom.id}"
    client.get(url)

    def queries() -> int:
        statements = []

        def count(*args):
            statements.append(args[2])

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get(url).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    before = queries()
    newcomers = [make.student() for _ in range(6)]
    db.session.add_all(Enrollment(classroom=classroom, student=student) for student in newcomers)
    db.session.commit()
    assert queries() == before
    assert before <= 8
