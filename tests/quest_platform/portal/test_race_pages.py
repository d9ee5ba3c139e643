"""A code race over HTTP and Socket.IO: the racer's stage page before and during the race, the
projector view, the places as JSON by leaderboard names, and the live room's access rule."""

from __future__ import annotations

from datetime import timedelta

import pytest
from helpers import SOLUTION, code_quest, received, require_sandbox

from quest_platform.live import NAMESPACE, socketio
from quest_platform.models import CodePurpose, utcnow
from quest_platform.services.code_runs import request_code_run
from quest_platform.services.races import start_race


@pytest.fixture
def race_class(make):
    teacher = make.teacher()
    students = [make.student() for _ in range(2)]
    classroom = make.classroom(teachers=[teacher], students=students)
    quest = code_quest(make, students[0], classroom=classroom)
    return teacher, students, classroom, quest


def race_in(race_class, *, starts_in: timedelta):
    teacher, _students, classroom, quest = race_class
    return start_race(
        classroom=classroom,
        stage=quest.stages[0],
        minutes=10,
        first_points=30,
        min_points=5,
        by=teacher,
        starts_at=utcnow() + starts_in,
    )


def test_before_the_start_the_stage_shows_the_countdown_and_not_the_problem(
    race_class, login_as
) -> None:
    _teacher, (ana, _ben), _classroom, quest = race_class
    race_in(race_class, starts_in=timedelta(minutes=3))
    page = login_as(ana).get(f"/quests/{quest.slug}/1").get_data(as_text=True)
    assert 'data-state="waiting"' in page
    assert "The problem appears here when the race starts." in page
    assert "Starts in 3:00" in page or "Starts in 2:59" in page
    assert 'name="code"' not in page
    assert "Write a function" not in page


def test_during_the_race_a_racer_sees_the_problem_and_places_by_leaderboard_name(
    race_class, login_as
) -> None:
    require_sandbox()
    _teacher, (ana, ben), _classroom, quest = race_class
    race = race_in(race_class, starts_in=timedelta(0))
    request_code_run(
        student=ben,
        quest=quest,
        stage=quest.stages[0],
        source=SOLUTION,
        purpose=CodePurpose.SUBMISSION,
        submission_key="ben-1",
    )
    client = login_as(ana)
    page = client.get(f"/quests/{quest.slug}/1").get_data(as_text=True)
    assert 'data-state="running"' in page
    assert 'name="code"' in page
    assert ben.pseudonym in page
    assert ben.display_name not in page
    document = client.get(f"/races/{race.id}.json").get_json()
    assert document["state"] == "running"
    assert document["solved"] == 1
    assert document["racers"] == 2
    assert document["places"] == [
        {
            "place": 1,
            "name": ben.pseudonym,
            "time": "0:00",
            "seconds": 0,
            "wrong": 0,
            "points": 30,
            "you": False,
        }
    ]


def test_the_projector_view_is_the_class_teachers_and_a_race_is_hidden_from_others(
    app, race_class, make, login_as
) -> None:
    teacher, _students, _classroom, _quest = race_class
    race = race_in(race_class, starts_in=timedelta(minutes=1))
    response = login_as(teacher).get(f"/races/{race.id}")
    assert response.status_code == 200
    assert "Clock and places" in response.get_data(as_text=True)
    for outsider in (make.teacher(), make.student()):
        client = login_as(outsider, on=app.test_client())
        assert client.get(f"/races/{race.id}").status_code == 404
        response = client.get(f"/races/{race.id}.json")
        assert response.status_code == 404
        assert response.is_json


def socket_of(app, client=None):
    """A Socket.IO test client on the races namespace, signed in as ``client`` is.

    Its handlers run in an application context of their own, as in a served app: the test's
    own context would share Flask-Login's cached user between them.
    """
    with app.app_context():
        return socketio.test_client(app, namespace=NAMESPACE, flask_test_client=client)


def watch(app, socket, data):
    with app.app_context():
        return socket.emit("watch", data, namespace=NAMESPACE, callback=True)


def test_the_race_room_hears_when_a_racers_submission_is_graded(app, race_class, login_as) -> None:
    require_sandbox()
    teacher, (ana, _ben), _classroom, quest = race_class
    race = race_in(race_class, starts_in=timedelta(0))
    watcher = socket_of(app, login_as(teacher))
    assert watcher.is_connected(NAMESPACE)
    assert watch(app, watcher, {"race": race.id}) == {"ok": True}
    request_code_run(
        student=ana,
        quest=quest,
        stage=quest.stages[0],
        source=SOLUTION,
        purpose=CodePurpose.SUBMISSION,
        submission_key="ana-1",
    )
    events = received(watcher, "changed", NAMESPACE)
    assert events
    assert events[0]["args"] == [{"race": race.id}]
    watcher.disconnect(namespace=NAMESPACE)


def test_only_the_races_class_may_join_its_room(app, race_class, make, login_as) -> None:
    race = race_in(race_class, starts_in=timedelta(minutes=1))
    assert not socket_of(app).is_connected(NAMESPACE)
    outsider = socket_of(app, login_as(make.student()))
    assert outsider.is_connected(NAMESPACE)
    for data in ({"race": race.id}, {"race": "1"}, {"race": True}, None, {"race": 999_999}):
        assert watch(app, outsider, data) == {"ok": False}
    racer = socket_of(app, login_as(race_class[1][1], on=app.test_client()))
    assert watch(app, racer, {"race": race.id}) == {"ok": True}
    racer.disconnect(namespace=NAMESPACE)
    outsider.disconnect(namespace=NAMESPACE)


def test_a_page_of_another_site_cannot_open_a_live_connection(client, make, login_as) -> None:
    login_as(make.teacher())
    handshake = "/socket.io/?EIO=4&transport=polling"
    assert client.get(handshake, headers={"Origin": "http://localhost"}).status_code == 200
    refused = client.get(handshake, headers={"Origin": "https://evil.example"})
    assert refused.status_code == 400
