"""Answers sent at once: tries, "hand in once" and points hold however many arrive together.

Twenty answers to one stage leave the API at the same moment (a barrier releases twenty
threads, each with its own client and submission key), as a student with several tabs or a
script would send them. The suite runs against SQLite and, in CI, against PostgreSQL.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest
from flask import Flask
from helpers import SOLUTION, code_quest, require_sandbox
from sqlalchemy import func, select

from quest_platform.extensions import db
from quest_platform.models import (
    Attempt,
    CodeRun,
    PointsEntry,
    QuestTally,
    Stage,
    StageKind,
    StageTally,
    User,
)
from quest_platform.services.attempts import start_timed_stage, submit_attempt
from quest_platform.services.tokens import create_api_token

SENDERS = 20
# Answers that pass each stage of the builders' quest (see Builders.stage_drafts).
PASSING = {
    1: {"confirmed": True},
    2: {"responses": {"q1": [1]}},
    3: {"evidence": "def login(): check_password_hash(...)"},
    4: {"text": "Sessions live on the server; the cookie only names them. " * 2},
    5: {"ticked": [0]},
    6: {"responses": {"t1": " post "}},
    7: {"confirmed": True},
}


def send_at_once(app: Flask, url: str, headers: dict[str, str], bodies: list[Any]) -> Counter:
    """POST every body to ``url`` from its own thread, all released together; count statuses."""
    barrier = threading.Barrier(len(bodies))
    statuses: list[int] = []
    lock = threading.Lock()

    def send(body: Any) -> None:
        client = app.test_client()
        barrier.wait()
        status = client.post(url, json=body, headers=headers).status_code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=send, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return Counter(statuses)


def attempts_at(student: User, stage: Stage) -> int:
    query = select(func.count()).where(
        Attempt.student_id == student.id, Attempt.stage_id == stage.id
    )
    return db.session.scalar(query)


def ledger_total(student: User, **where: Any) -> int:
    query = select(func.coalesce(func.sum(PointsEntry.points), 0)).where(
        PointsEntry.student_id == student.id,
        *(getattr(PointsEntry, column) == value for column, value in where.items()),
    )
    return db.session.scalar(query)


@pytest.mark.parametrize(
    ("position", "kind", "max_tries", "recorded"),
    [
        (1, StageKind.LESSON, None, 1),
        (2, StageKind.QUIZ, 3, 3),
        (3, StageKind.CHECKPOINT, None, 1),
        (4, StageKind.REFLECTION, None, 1),
        (5, StageKind.SELF_CHECK, None, 1),
        (6, StageKind.TIMED, 1, 1),
    ],
)
def test_simultaneous_answers_record_no_more_than_the_stage_allows(
    app, make, position: int, kind: StageKind, max_tries: int | None, recorded: int
) -> None:
    student = make.student()
    quest = make.quest()
    make.assignment(quest=quest, classroom=make.classroom(students=[student]))
    stage = quest.stages[position - 1]
    assert stage.kind == kind
    if max_tries is not None:
        stage.settings = {**stage.settings, "max_tries": max_tries}
        db.session.commit()
    for earlier in quest.stages[: position - 1]:
        if earlier.kind == StageKind.TIMED:
            start_timed_stage(student=student, quest=quest, stage=earlier)
        submit_attempt(
            student=student,
            quest=quest,
            stage=earlier,
            answer=PASSING[earlier.position],
            submission_key=f"before-{earlier.position}",
        )
    if kind == StageKind.TIMED:
        start_timed_stage(student=student, quest=quest, stage=stage)
    headers = {"Authorization": f"Bearer {create_api_token(user=student, name='tabs').secret}"}
    url = f"/api/v1/quests/{quest.slug}/stages/{position}/attempts"
    bodies = [
        {"answer": PASSING[position], "submission_key": f"tab-{number:04d}"}
        for number in range(SENDERS)
    ]

    statuses = send_at_once(app, url, headers, bodies)

    db.session.expire_all()
    assert statuses == Counter({201: recorded, 409: SENDERS - recorded})
    assert attempts_at(student, stage) == recorded
    tally = db.session.get(StageTally, (student.id, stage.id))
    assert tally is not None
    assert tally.tries == recorded
    # Points counted once: the ledger holds what the stage's score counts for, no more.
    assert ledger_total(student, stage_id=stage.id, reason="stage_score") == tally.points
    assert tally.points == (stage.points if kind != StageKind.CHECKPOINT else 0)
    quest_tally = db.session.get(QuestTally, (student.id, quest.id))
    assert ledger_total(student, quest_id=quest.id) == quest_tally.points


def test_the_same_answer_sent_at_once_under_one_key_records_it_once(app, make) -> None:
    student = make.student()
    quest = make.quest()
    make.assignment(quest=quest, classroom=make.classroom(students=[student]))
    submit_attempt(
        student=student,
        quest=quest,
        stage=quest.stages[0],
        answer=PASSING[1],
        submission_key="lesson",
    )
    headers = {"Authorization": f"Bearer {create_api_token(user=student, name='tabs').secret}"}
    url = f"/api/v1/quests/{quest.slug}/stages/2/attempts"
    body = {"answer": PASSING[2], "submission_key": "one-form-sent-twenty-times"}

    statuses = send_at_once(app, url, headers, [body] * SENDERS)

    db.session.expire_all()
    # Every copy gets the attempt the first one recorded.
    assert statuses == Counter({201: SENDERS})
    assert attempts_at(student, quest.stages[1]) == 1
    stage_points = ledger_total(student, stage_id=quest.stages[1].id, reason="stage_score")
    assert stage_points == quest.stages[1].points


@pytest.mark.parametrize("same_key", [False, True], ids=["own-keys", "one-key"])
def test_code_submitted_at_once_is_recorded_once(app, make, same_key: bool) -> None:
    """Twenty submissions of a right solution at once (from twenty tabs, or one form sent twenty
    times): one attempt, its points once; every other is refused or is the same run."""
    require_sandbox()
    student = make.student()
    quest = code_quest(make, student)
    stage = quest.stages[0]
    headers = {"Authorization": f"Bearer {create_api_token(user=student, name='tabs').secret}"}
    url = f"/api/v1/quests/{quest.slug}/stages/1/code-runs"
    bodies = [
        {
            "code": SOLUTION,
            "purpose": "submission",
            "submission_key": "one-tab-0000" if same_key else f"tab-{number:04d}",
        }
        for number in range(SENDERS)
    ]

    statuses = send_at_once(app, url, headers, bodies)

    db.session.expire_all()
    assert set(statuses) <= {202, 409}, statuses
    assert attempts_at(student, stage) == 1
    runs = db.session.scalars(select(CodeRun).where(CodeRun.student_id == student.id)).all()
    if same_key:
        assert statuses == Counter({202: SENDERS})
        assert len(runs) == 1
    recorded = [run for run in runs if run.attempt_id is not None]
    assert len(recorded) == 1
    assert ledger_total(student, stage_id=stage.id, reason="stage_score") == stage.points
