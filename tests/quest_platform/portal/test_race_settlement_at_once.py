"""A race's points are settled once however many pages ask for its places together.

When a race is over, the first request that reads it settles it. Twenty projector and racer pages
asking at the same moment (a barrier releases twenty threads, each with its own signed-in client)
enter each racer's points once. The suite runs against SQLite and, in CI, PostgreSQL.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

from helpers import PASSWORD, SOLUTION, code_quest, post_form, require_sandbox
from sqlalchemy import select

from quest_platform.extensions import db
from quest_platform.models import CodePurpose, CodeRace, PointsEntry, PointsReason, utcnow
from quest_platform.services.code_runs import request_code_run
from quest_platform.services.races import start_race

READERS = 20


def test_pages_reading_an_over_race_at_once_settle_it_once(app, make) -> None:
    require_sandbox()
    teacher = make.teacher()
    students = [make.student() for _ in range(3)]
    classroom = make.classroom(teachers=[teacher], students=students)
    quest = code_quest(make, students[0], classroom=classroom)
    start = utcnow() - timedelta(minutes=30)
    race = start_race(
        classroom=classroom,
        stage=quest.stages[0],
        minutes=10,
        first_points=30,
        min_points=5,
        by=teacher,
        now=start,
    )
    for number, student in enumerate(students):
        request_code_run(
            student=student,
            quest=quest,
            stage=quest.stages[0],
            source=SOLUTION,
            purpose=CodePurpose.SUBMISSION,
            submission_key=f"racer-{number}",
            now=start + timedelta(seconds=10 * (number + 1)),
        )
    readers = [teacher, *students]
    clients = []
    for number in range(READERS):
        client = app.test_client()
        person = readers[number % len(readers)]
        signed_in = post_form(client, "/login", {"email": person.username, "password": PASSWORD})
        assert signed_in.status_code == 302
        clients.append(client)
    url = f"/races/{race.id}.json"
    barrier = threading.Barrier(READERS)
    statuses: list[int] = []
    lock = threading.Lock()

    def read(client) -> None:
        barrier.wait()
        status = client.get(url).status_code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=read, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert Counter(statuses) == Counter({200: READERS})
    db.session.expire_all()
    entries = db.session.scalars(
        select(PointsEntry).where(PointsEntry.reason == PointsReason.RACE.value)
    ).all()
    assert sorted((entry.student_id, entry.points) for entry in entries) == [
        (students[0].id, 30),
        (students[1].id, 25),
        (students[2].id, 20),
    ]
    assert db.session.get(CodeRace, race.id).settled_at is not None
