"""Code runs through the JSON API: a student's own front end sends code to a code challenge,
asks for the run, and reads the verdicts; hidden tests stay hidden, and nobody else's runs are
there."""

from __future__ import annotations

from datetime import timedelta

import pytest
from helpers import SOLUTION, code_quest, require_sandbox
from sqlalchemy import func, select

from quest_platform.extensions import db
from quest_platform.models import CodeRun, utcnow
from quest_platform.services.races import start_race

HEADERS = {"X-Origin": "client"}


@pytest.fixture(autouse=True)
def sandbox() -> None:
    require_sandbox()


def test_a_submission_through_the_api_is_graded_and_read_back(make, client, login_as) -> None:
    student = make.student()
    quest = code_quest(make, student)
    login_as(student)
    stage = f"/api/v1/quests/{quest.slug}/stages/1"

    sent = client.post(
        f"{stage}/code-runs",
        json={"code": SOLUTION, "purpose": "submission", "submission_key": "api-code-1"},
        headers=HEADERS,
    )

    assert sent.status_code == 202
    run = sent.get_json()
    assert (run["status"], run["finished"], run["purpose"]) == ("done", True, "submission")
    assert [example["text"] for example in run["examples"]] == ["add(2, 3) == 5"]
    assert [test["passed"] for test in run["tests"]] == [True] * 4
    assert {test["text"] for test in run["tests"]} == {""}  # hidden tests never show
    assert run["attempt_id"] is not None
    again = client.get(f"{stage}/code-runs/{run['id']}", headers=HEADERS).get_json()
    assert again == run
    attempts = client.get(f"{stage}/attempts", headers=HEADERS).get_json()
    assert attempts[0]["outcome"] == "passed"
    assert "add(10, 20)" not in str(attempts)


def test_another_student_cannot_read_the_run(make, client, login_as) -> None:
    student, classmate = make.student(), make.student()
    quest = code_quest(make, student)
    login_as(student)
    stage = f"/api/v1/quests/{quest.slug}/stages/1"
    run = client.post(
        f"{stage}/code-runs", json={"code": "x = 1", "purpose": "examples"}, headers=HEADERS
    ).get_json()
    client.delete("/api/v1/session", headers=HEADERS)
    login_as(classmate)
    response = client.get(f"{stage}/code-runs/{run['id']}", headers=HEADERS)
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"code": "x = 1", "purpose": "race"}, 422, "purpose"),
        ({"purpose": "examples"}, 422, "code"),
        ({"code": "   ", "purpose": "examples"}, 422, "code"),
        ({"code": "x" * 20_001, "purpose": "examples"}, 422, "code"),
    ],
)
def test_bad_code_runs_are_refused_with_the_field(make, client, login_as, body, status, field):
    student = make.student()
    quest = code_quest(make, student)
    login_as(student)
    response = client.post(
        f"/api/v1/quests/{quest.slug}/stages/1/code-runs", json=body, headers=HEADERS
    )
    assert response.status_code == status
    assert field in str(response.get_json())


def test_a_raced_stage_shows_its_problem_through_the_api_only_from_the_start(
    make, client, login_as
) -> None:
    teacher, student = make.teacher(), make.student()
    classroom = make.classroom(teachers=[teacher], students=[student])
    quest = code_quest(make, student, classroom=classroom)
    race = start_race(
        classroom=classroom,
        stage=quest.stages[0],
        minutes=10,
        first_points=30,
        min_points=5,
        by=teacher,
        starts_at=utcnow() + timedelta(minutes=2),
    )
    login_as(student)

    waiting = client.get(f"/api/v1/quests/{quest.slug}", headers=HEADERS).get_json()["stages"][0]
    assert (waiting["content"], waiting["prompt"], waiting["settings"]) == ("", None, {})
    assert waiting["answerable"] is False
    sent = client.post(
        f"/api/v1/quests/{quest.slug}/stages/1/code-runs",
        json={"code": SOLUTION, "purpose": "examples"},
        headers=HEADERS,
    )
    assert sent.status_code == 409
    assert "not started" in sent.get_json()["message"]

    race.starts_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    started = client.get(f"/api/v1/quests/{quest.slug}", headers=HEADERS).get_json()["stages"][0]
    assert started["prompt"].startswith("Write add(a, b)")
    assert started["settings"]["starter_code"] == "def add(a, b):\n    pass\n"


def test_code_sent_while_the_grading_queue_does_not_answer_is_refused_and_not_kept(
    make, client, login_as, app, monkeypatch
) -> None:
    student = make.student()
    quest = code_quest(make, student)
    login_as(student)
    # Grading through a queue whose Redis does not answer.
    monkeypatch.setitem(app.config, "JOBS_INLINE", False)
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:9/0")

    sent = client.post(
        f"/api/v1/quests/{quest.slug}/stages/1/code-runs",
        json={"code": SOLUTION, "purpose": "submission"},
        headers=HEADERS,
    )

    assert sent.status_code == 503
    assert "grading queue does not answer" in sent.get_json()["message"]
    assert db.session.scalar(select(func.count()).select_from(CodeRun)) == 0
