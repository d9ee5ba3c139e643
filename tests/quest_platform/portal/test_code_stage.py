"""A code challenge over HTTP: the editor with the starter code, "Run examples" and "Submit", the
run shown on the stage page, and the polling the page does until a run is graded."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from helpers import SOLUTION, code_quest, require_sandbox

from quest_platform.extensions import db
from quest_platform.models import CodeRun, CodeRunStatus

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
KEY = re.compile(r'name="submission_key" value="([^"]+)"')


@pytest.fixture(autouse=True)
def sandbox() -> None:
    require_sandbox()


@pytest.fixture
def coder(make, login_as):
    """A signed-in student, their code quest, and a way to send code from its stage page."""
    student = make.student()
    quest = code_quest(make, student)
    client = login_as(student)
    url = f"/quests/{quest.slug}/1"

    def send(code: str, purpose: str):
        page = client.get(url).get_data(as_text=True)
        fields = {
            "csrf_token": CSRF.search(page).group(1),
            "submission_key": KEY.search(page).group(1),
            "code": code,
            "purpose": purpose,
        }
        return client.post(f"{url}/code", data=fields)

    return client, url, send


def text_of(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_the_stage_shows_the_editor_with_the_starter_code_and_the_examples(coder) -> None:
    client, url, _send = coder
    page = client.get(url).get_data(as_text=True)
    assert '<textarea id="code" name="code"' in page
    assert "def add(a, b):\n    pass\n</textarea>" in page
    assert "add(2, 3) == 5" in page
    assert "4 hidden tests decide your score when you submit." in text_of(page)
    # The hidden tests and the reference solution never reach the page.
    assert "add(10, 20)" not in page
    assert "return a + b" not in page


def test_running_the_examples_shows_each_one_and_keeps_the_code(coder) -> None:
    client, url, send = coder
    response = send("def add(a, b):\n    return a - b\n", "examples")
    assert response.status_code == 302
    assert re.search(rf"{url}\?run=\d+#code-run$", response.headers["Location"])

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    words = text_of(page)
    assert "Your examples run" in words
    assert "✗ Not passed add(2, 3) == 5 Your code gave: -1" in words
    assert "return a - b\n</textarea>" in page
    # Graded: the page needs no polling script.
    assert "code-run.js" not in page


def test_a_submission_shows_its_result_and_the_hidden_tests_passed(coder) -> None:
    client, _url, send = coder
    response = send(SOLUTION, "submission")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    words = text_of(page)
    assert "4 of 4 hidden tests passed." in words
    assert "Stage complete" in words
    assert "You earned 20 points." in words


def test_an_empty_submission_is_refused_on_the_page_with_its_reason(coder) -> None:
    _client, _url, send = coder
    response = send("   ", "submission")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Write some code first." in page
    assert 'aria-invalid="true" aria-describedby="code-error"' in page


def test_the_page_asks_about_a_run_until_it_is_graded(coder, app) -> None:
    client, url, send = coder
    assert client.get(f"{url}/code-run").status_code == 404  # no run yet
    send("def add(a, b):\n    return a + b\n", "examples")
    run = db.session.scalars(db.select(CodeRun)).one()
    # A run a grader has not taken yet: the page follows it.
    run.status = CodeRunStatus.QUEUED.value
    db.session.commit()
    page = client.get(f"{url}?run={run.id}").get_data(as_text=True)
    assert "Checking your code…" in page
    assert "js/code-run.js" in page
    assert client.get(f"{url}/code-run").get_json() == {
        "id": run.id,
        "status": "queued",
        "finished": False,
    }


def test_a_run_no_grader_took_in_time_is_called_lost(coder) -> None:
    client, url, send = coder
    send("def add(a, b):\n    return a + b\n", "examples")
    run = db.session.scalars(db.select(CodeRun)).one()
    run.status = CodeRunStatus.QUEUED.value
    run.created_at = run.created_at - timedelta(minutes=6)
    db.session.commit()
    page = client.get(f"{url}?run={run.id}").get_data(as_text=True)
    assert "This run was never checked. Send your code again." in page
    assert "code-run.js" not in page
    assert client.get(f"{url}/code-run").get_json()["finished"] is True


def test_a_form_with_another_purpose_is_refused_with_its_reason(coder) -> None:
    _client, _url, send = coder
    response = send("def add(a, b):\n    return a + b\n", "race")
    assert response.status_code == 422
    assert "Choose Run examples or Submit." in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(CodeRun.id))) == 0
