"""Code challenges: a student's code run against the examples and the hidden tests in a sandbox,
the verdict kept, and a submission recorded as an attempt with its points; the teacher's
reference solution checked on publishing.

Jobs run at once in the tests (JOBS_INLINE); one test sends a run through RQ for real.
"""

from __future__ import annotations

import os
import time

import pytest
from helpers import SOLUTION, code_quest, require_sandbox
from rq import SimpleWorker
from sqlalchemy import func, select

from quest_platform import jobs
from quest_platform.extensions import db
from quest_platform.models import (
    Attempt,
    CodePurpose,
    CodeRun,
    CodeRunStatus,
    PointsEntry,
)
from quest_platform.sandbox import runner
from quest_platform.services import ServiceError, code_runs
from quest_platform.services.attempts import submit_attempt
from quest_platform.services.code_runs import request_code_run
from quest_platform.services.errors import Unavailable
from quest_platform.services.quests import (
    QuestNotPublishable,
    StageDraft,
    publish_quest,
    stage_problems,
)


@pytest.fixture(autouse=True)
def sandbox() -> None:
    require_sandbox()


def send(student, quest, source: str, purpose: CodePurpose, key: str | None = None) -> CodeRun:
    return request_code_run(
        student=student,
        quest=quest,
        stage=quest.stages[0],
        source=source,
        purpose=purpose,
        submission_key=key,
    )


def test_running_the_examples_shows_them_and_records_no_attempt(make) -> None:
    student = make.student()
    quest = code_quest(make, student)

    run = send(
        student,
        quest,
        "def add(a, b):\n    print('adding')\n    return a - b\n",
        CodePurpose.EXAMPLES,
    )

    assert run.status == CodeRunStatus.DONE
    (example,) = run.results["examples"]
    assert example["passed"] is False
    assert example["text"] == "add(2, 3) == 5"
    assert example["got"] == "-1"
    assert example["printed"] == "adding\n"
    assert run.results["tests"] == []
    assert db.session.scalar(select(func.count(Attempt.id))) == 0


def test_a_submission_passing_every_hidden_test_records_a_passed_attempt_with_the_points(
    make,
) -> None:
    student = make.student()
    quest = code_quest(make, student)

    run = send(student, quest, SOLUTION, CodePurpose.SUBMISSION, key="sub-1")

    assert run.status == CodeRunStatus.DONE
    assert [test["passed"] for test in run.results["tests"]] == [True] * 4
    attempt = run.attempt
    assert (attempt.outcome, attempt.score, attempt.max_score) == ("passed", 20.0, 20.0)
    assert attempt.answer == {"code": SOLUTION, "tests_passed": 4, "tests_total": 4}
    points = db.session.scalar(
        select(func.sum(PointsEntry.points)).where(PointsEntry.student_id == student.id)
    )
    assert points == 20


def test_a_partly_right_submission_scores_its_share_and_hides_the_tests(make) -> None:
    student = make.student()
    quest = code_quest(make, student)
    # Right for numbers only: the string test fails with an error, whose traceback is not shown.
    source = "def add(a, b):\n    return float(a) + float(b)\n"

    run = send(student, quest, source, CodePurpose.SUBMISSION, key="sub-2")

    assert run.attempt.outcome == "failed"
    assert run.attempt.score == 15.0
    hidden = run.results["tests"]
    assert [test["passed"] for test in hidden] == [True, True, True, False]
    assert hidden[3] == {
        "id": "test-4",
        "passed": False,
        "text": "",
        "got": "",
        "printed": "",
        "error": "error",
    }
    assert "'a'" not in str(run.results)


def test_a_resent_submission_is_the_same_run(make) -> None:
    student = make.student()
    quest = code_quest(make, student)
    first = send(student, quest, SOLUTION, CodePurpose.SUBMISSION, key="same-key")
    again = send(student, quest, SOLUTION, CodePurpose.SUBMISSION, key="same-key")
    assert again.id == first.id
    assert db.session.scalar(select(func.count(Attempt.id))) == 1


def test_code_that_is_empty_or_too_long_is_refused_before_it_runs(make) -> None:
    student = make.student()
    quest = code_quest(make, student)
    for source, message in (
        ("   ", "Write some code first."),
        ("x" * 20_001, "Keep your code under"),
    ):
        with pytest.raises(ServiceError) as refused:
            send(student, quest, source, CodePurpose.EXAMPLES)
        assert message in refused.value.message
        assert refused.value.field == "code"
    assert db.session.scalar(select(func.count(CodeRun.id))) == 0


def test_only_a_code_stage_runs_code(make) -> None:
    student = make.student()
    quest = make.quest()
    make.assignment(quest=quest, classroom=make.classroom(students=[student]))
    with pytest.raises(ServiceError, match="Only a code challenge"):
        request_code_run(
            student=student,
            quest=quest,
            stage=quest.stages[0],
            source="x = 1",
            purpose=CodePurpose.EXAMPLES,
        )


def test_the_attempts_api_cannot_claim_tests_passed(make) -> None:
    student = make.student()
    quest = code_quest(make, student)
    with pytest.raises(ServiceError, match="Submit"):
        submit_attempt(
            student=student,
            quest=quest,
            stage=quest.stages[0],
            answer={"code": SOLUTION, "tests_passed": 4, "tests_total": 4},
            submission_key="forged",
        )


def test_publishing_refuses_a_reference_solution_that_fails_its_tests(make) -> None:
    quest = code_quest(make, None, solution="def add(a, b):\n    return a * b\n", publish=False)
    with pytest.raises(QuestNotPublishable) as refused:
        publish_quest(quest=quest, by=None)
    assert refused.value.reasons == [
        "stage 1: its reference solution fails the test add(2, 3) == 5",
        "stage 1: its reference solution fails the test add(-1, 1) == 0",
        "stage 1: its reference solution fails the test add(10, 20) == 30",
        "stage 1: its reference solution fails the test add(0.5, 0.25) == 0.75",
        "stage 1: its reference solution fails the test add('a', 'b') == 'ab'",
    ]


def test_a_code_stage_needs_hidden_tests_and_a_solution() -> None:
    draft = StageDraft(
        "code", "Empty", settings={"prompt": "Write it.", "tests": "", "solution": ""}
    )
    assert stage_problems(draft) == [
        "the code challenge has no hidden tests",
        "the code challenge has no reference solution",
    ]


def test_a_code_stage_with_tests_that_do_not_read_says_which_line() -> None:
    settings = {"prompt": "Write it.", "tests": "add(1, 2) == 3\nadd(x) == 1", "solution": "x"}
    assert stage_problems(StageDraft("code", "Bad", settings=settings)) == [
        "Line 2: the arguments and the expected value must be plain values (numbers, strings, "
        "lists, dicts, True, False, None)."
    ]


@pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="needs Redis (TEST_REDIS_URL)")
def test_a_run_goes_through_the_queue_to_a_grader(app, make, monkeypatch) -> None:
    """Without JOBS_INLINE, a run waits in RQ's queue until a grader (an RQ worker) takes it."""
    student = make.student()
    quest = code_quest(make, student)
    monkeypatch.setitem(app.config, "JOBS_INLINE", False)
    monkeypatch.setattr(jobs, "grader_app", lambda: app)
    queue = jobs.job_queue(app.config["REDIS_URL"])
    queue.empty()

    run = send(student, quest, SOLUTION, CodePurpose.SUBMISSION, key="queued")
    assert run.status == CodeRunStatus.QUEUED
    assert queue.count == 1

    SimpleWorker([queue], connection=queue.connection).work(burst=True)

    db.session.expire_all()
    run = db.session.get(CodeRun, run.id)
    assert run.status == CodeRunStatus.DONE
    assert run.attempt.outcome == "passed"
    assert queue.count == 0


def test_without_redis_the_web_process_grades_in_its_own_pool(app, make, monkeypatch) -> None:
    """No queue: a pool of threads in the web process takes the run, and the caller does not
    wait for it."""
    student = make.student()
    quest = code_quest(make, student)
    monkeypatch.setitem(app.config, "JOBS_INLINE", False)
    monkeypatch.setitem(app.config, "REDIS_URL", None)

    run = send(student, quest, SOLUTION, CodePurpose.SUBMISSION, key="pooled")

    for _ in range(100):
        db.session.expire_all()
        if db.session.get(CodeRun, run.id).finished:
            break
        time.sleep(0.1)
    graded = db.session.get(CodeRun, run.id)
    assert graded.status == CodeRunStatus.DONE
    assert graded.attempt.outcome == "passed"


def test_a_machine_that_cannot_sandbox_runs_no_code_and_says_so(app, make, monkeypatch) -> None:
    """Where bubblewrap or user namespaces are missing, code is refused (503), never run
    outside a sandbox, and a quest with a code stage cannot be published."""
    student = make.student()
    quest = code_quest(make, student)
    draft = code_quest(make, None, publish=False)
    refused = "this machine refuses the sandbox's namespaces (no user namespaces)"
    monkeypatch.setattr(runner, "sandbox_refused", lambda: refused)
    monkeypatch.setattr(code_runs, "sandbox_refused", lambda: refused)

    with pytest.raises(Unavailable) as unavailable:
        send(student, quest, SOLUTION, CodePurpose.SUBMISSION, key="no-sandbox")
    assert unavailable.value.status_code == 503
    assert "Code cannot be run on this server now" in unavailable.value.message
    assert db.session.scalar(select(func.count(CodeRun.id))) == 0
    with pytest.raises(QuestNotPublishable) as not_published:
        publish_quest(quest=draft, by=None)
    assert not_published.value.reasons == [
        "stage 1: this server cannot run code, so the reference solution cannot be checked"
    ]
