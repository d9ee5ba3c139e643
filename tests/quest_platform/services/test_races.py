"""Code races: starting one, the places rule (with its tie rule and extra time), the points
settled once into the ledger, and the problem kept from students until the race starts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from helpers import SOLUTION, code_quest, require_sandbox
from sqlalchemy import select

from quest_platform.extensions import db
from quest_platform.models import (
    AuditEntry,
    CodePurpose,
    CodeRace,
    Enrollment,
    PointsEntry,
    PointsReason,
    QuestTally,
    utcnow,
)
from quest_platform.queries.races import RaceState, race_for, race_table
from quest_platform.services.code_runs import request_code_run
from quest_platform.services.errors import Conflict, NotAllowed, ServiceError
from quest_platform.services.races import current_table, settle_race, start_race
from quest_platform.services.time_extensions import grant_time_extension

WRONG = "def add(a, b):\n    return a - b\n"


@pytest.fixture
def race_class(make):
    """A teacher's class of three students, with a published code quest given to it."""
    teacher = make.teacher()
    students = [make.student() for _ in range(3)]
    classroom = make.classroom(teachers=[teacher], students=students)
    quest = code_quest(make, students[0], classroom=classroom)
    return teacher, students, classroom, quest


def race_on(race_class, *, start, minutes=10, first=30, minimum=5) -> CodeRace:
    teacher, _students, classroom, quest = race_class
    return start_race(
        classroom=classroom,
        stage=quest.stages[0],
        minutes=minutes,
        first_points=first,
        min_points=minimum,
        by=teacher,
        now=start,
    )


def submit(student, quest, source, at):
    return request_code_run(
        student=student,
        quest=quest,
        stage=quest.stages[0],
        source=source,
        purpose=CodePurpose.SUBMISSION,
        submission_key=f"k-{student.id}-{at.timestamp()}",
        now=at,
    )


def test_a_teacher_starts_a_race_for_their_class_and_it_is_audited(race_class) -> None:
    teacher, _students, _classroom, _quest = race_class
    now = utcnow()
    race = race_on(race_class, start=now, minutes=15)
    assert (race.starts_at, race.ends_at) == (now, now + timedelta(minutes=15))
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.table_name == "code_race"))
    assert entry.actor_id == teacher.id
    assert entry.action == "create"
    with pytest.raises(Conflict, match="already has a race"):
        race_on(race_class, start=now)


def test_only_the_class_teacher_starts_a_race_on_a_code_stage_in_range(race_class, make) -> None:
    teacher, _students, classroom, quest = race_class
    stage = quest.stages[0]
    now = utcnow()
    base = {
        "classroom": classroom,
        "stage": stage,
        "minutes": 10,
        "first_points": 30,
        "min_points": 5,
    }
    with pytest.raises(NotAllowed):
        start_race(**base, by=make.teacher(), now=now)
    with pytest.raises(ServiceError, match="code challenge"):
        start_race(**{**base, "stage": quest.stages[1]}, by=teacher, now=now)
    with pytest.raises(ServiceError, match="between 1 and 180"):
        start_race(**{**base, "minutes": 0}, by=teacher, now=now)
    with pytest.raises(ServiceError, match="First place"):
        start_race(**{**base, "first_points": 4}, by=teacher, now=now)
    with pytest.raises(ServiceError, match="has not passed"):
        start_race(**base, by=teacher, now=now, starts_at=now - timedelta(hours=1))
    other_class = make.classroom(teachers=[teacher])
    with pytest.raises(ServiceError, match="Give this stage's quest"):
        start_race(**{**base, "classroom": other_class}, by=teacher, now=now)
    assert db.session.scalar(select(CodeRace)) is None


def test_no_code_runs_before_the_race_starts(race_class) -> None:
    require_sandbox()
    _teacher, students, _classroom, quest = race_class
    now = utcnow()
    race_on(race_class, start=now + timedelta(minutes=5))
    with pytest.raises(Conflict, match="not started"):
        submit(students[0], quest, SOLUTION, now)


def test_places_go_by_first_passing_submission_with_the_tie_rule(race_class) -> None:
    require_sandbox()
    _teacher, (ana, ben, cai), _classroom, quest = race_class
    start = utcnow() - timedelta(minutes=30)
    race = race_on(race_class, start=start)
    # Ana solves it at 40 s after a wrong try; Ben and Cai both in second 20, Ben after a
    # wrong try: Cai first.
    submit(ana, quest, WRONG, start + timedelta(seconds=5))
    submit(ana, quest, SOLUTION, start + timedelta(seconds=40))
    submit(ben, quest, WRONG, start + timedelta(seconds=10))
    submit(ben, quest, SOLUTION, start + timedelta(seconds=20, milliseconds=100))
    submit(cai, quest, SOLUTION, start + timedelta(seconds=20, milliseconds=900))

    table = race_table(race, now=start + timedelta(minutes=1))
    assert table.state == RaceState.RUNNING
    assert [(p.student_id, p.place, p.seconds, p.wrong, p.points) for p in table.places] == [
        (cai.id, 1, 20, 0, 30),
        (ben.id, 2, 20, 1, 25),
        (ana.id, 3, 40, 1, 20),
    ]


def test_students_tied_in_the_same_second_with_as_many_wrong_share_the_place(race_class):
    require_sandbox()
    _teacher, (ana, ben, cai), _classroom, quest = race_class
    start = utcnow() - timedelta(minutes=30)
    race = race_on(race_class, start=start)
    submit(ana, quest, SOLUTION, start + timedelta(seconds=7, milliseconds=10))
    submit(ben, quest, SOLUTION, start + timedelta(seconds=7, milliseconds=990))
    submit(cai, quest, SOLUTION, start + timedelta(minutes=9))
    places = race_table(race, now=start + timedelta(minutes=9, seconds=1)).places
    assert [(p.place, p.points) for p in places] == [(1, 30), (1, 30), (3, 20)]


def test_extra_time_extends_a_students_race_and_the_settlement_waits_for_it(race_class):
    require_sandbox()
    teacher, (ana, ben, _cai), _classroom, quest = race_class
    start = utcnow() - timedelta(minutes=30)
    race = race_on(race_class, start=start, minutes=10)
    grant_time_extension(
        student=ana, stage=quest.stages[0], extra_seconds=300, reason="Plan", by=teacher
    )
    after_end = start + timedelta(minutes=12)
    submit(ana, quest, SOLUTION, after_end)
    submit(ben, quest, SOLUTION, after_end)

    table = race_table(race, now=after_end)
    assert table.state == RaceState.EXTRA_TIME
    assert [p.student_id for p in table.places] == [ana.id]
    assert not settle_race(race_id=race.id, now=after_end), "Ana is still racing"
    assert race_table(race, now=start + timedelta(minutes=15)).state == RaceState.OVER


def test_an_over_race_is_settled_once_into_the_ledger(race_class) -> None:
    require_sandbox()
    _teacher, (ana, ben, cai), _classroom, quest = race_class
    start = utcnow() - timedelta(minutes=30)
    race = race_on(race_class, start=start, first=12, minimum=4)
    submit(ana, quest, SOLUTION, start + timedelta(seconds=30))
    submit(ben, quest, SOLUTION, start + timedelta(seconds=60))
    submit(cai, quest, WRONG, start + timedelta(seconds=90))
    before = {s.id: db.session.get(QuestTally, (s.id, quest.id)).points for s in (ana, ben)}

    table = current_table(race)
    assert table.state == RaceState.OVER
    assert race.settled_at is not None
    assert not settle_race(race_id=race.id), "settled once"
    current_table(race)
    entries = db.session.scalars(
        select(PointsEntry).where(PointsEntry.reason == PointsReason.RACE.value)
    ).all()
    assert sorted((e.student_id, e.points, e.race_id) for e in entries) == [
        (ana.id, 12, race.id),
        (ben.id, 7, race.id),
    ]
    assert all(e.attempt.outcome == "passed" for e in entries)
    db.session.expire_all()
    after = {s.id: db.session.get(QuestTally, (s.id, quest.id)).points for s in (ana, ben)}
    assert after == {ana.id: before[ana.id] + 12, ben.id: before[ben.id] + 7}


def test_a_student_who_joins_the_class_during_the_race_races_too(race_class, make) -> None:
    require_sandbox()
    _teacher, _students, classroom, quest = race_class
    start = utcnow() - timedelta(minutes=2)
    race = race_on(race_class, start=start)
    latecomer = make.student()
    db.session.add(Enrollment(classroom=classroom, student=latecomer))
    db.session.commit()

    assert race_for(student=latecomer, stage=quest.stages[0]) == race
    submit(latecomer, quest, SOLUTION, start + timedelta(minutes=1))
    table = race_table(race, now=utcnow())
    assert table.racers == 4
    assert [(p.student_id, p.seconds) for p in table.places] == [(latecomer.id, 60)]
