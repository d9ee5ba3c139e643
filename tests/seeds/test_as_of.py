"""Seeded data is dated: students are enrolled before their classroom's first quest opens and
quests are given before they open, so a dataset as of any past moment of the seeded term holds
the students and quests of the attempts made by then."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from sqlalchemy import select

from analytics.load import load_dataset
from quest_platform.models import Attempt, Enrollment, QuestAssignment
from seeds.load import DEMO_CLASSROOMS, DEMO_STUDENTS, DemoCalendar, seed_demo, seed_students

DAY = date(2026, 11, 18)
CALENDAR = DemoCalendar(day=DAY)


def quiet(line: str) -> None:
    pass


def frame(db, query) -> pd.DataFrame:
    with db.engine.connect() as connection:
        return pd.read_sql(query, connection)


def assert_every_attempt_follows_its_enrollment_and_assignment(db) -> None:
    """Each attempt is by a student enrolled, at a quest given to their classroom, when it began."""
    attempts = frame(db, select(Attempt.student_id, Attempt.quest_id, Attempt.started_at))
    enrollments = frame(
        db, select(Enrollment.classroom_id, Enrollment.student_id, Enrollment.enrolled_at)
    )
    assignments = frame(
        db,
        select(
            QuestAssignment.classroom_id,
            QuestAssignment.quest_id,
            QuestAssignment.opens_at,
            QuestAssignment.assigned_at,
        ),
    )
    assert (assignments["assigned_at"] < assignments["opens_at"]).all()
    first_opening = assignments.groupby("classroom_id")["opens_at"].min()
    enrolled = enrollments.join(first_opening, on="classroom_id")
    assert (enrolled["enrolled_at"] <= enrolled["opens_at"]).all()
    placed = attempts.merge(enrollments, on="student_id").merge(
        assignments, on=["classroom_id", "quest_id"]
    )
    assert len(placed) == len(attempts), "each attempt is at a quest of the student's classroom"
    assert (placed["enrolled_at"] <= placed["started_at"]).all()
    assert (placed["assigned_at"] <= placed["started_at"]).all()


def test_the_demo_as_of_a_past_moment_holds_its_students_and_the_quests_given_by_then(db):
    seed_demo(seed=2026, calendar=CALENDAR, echo=quiet)
    assert_every_attempt_follows_its_enrollment_and_assignment(db)
    classrooms = len(DEMO_CLASSROOMS)
    assignments = frame(db, select(QuestAssignment.assigned_at))["assigned_at"]
    assert (assignments <= CALENDAR.now).all(), "no quest is given after the demo's present"

    present = load_dataset(db.engine, now=CALENDAR.now)
    assert len(present.students) == DEMO_STUDENTS
    assert len(present.assignments) == len(assignments)
    assert len(present.attempts) == len(frame(db, select(Attempt.id)))

    # Ten days back, each classroom had its first quest only, and its whole roster.
    past = load_dataset(db.engine, now=CALENDAR.now - timedelta(days=10))
    assert len(past.students) == DEMO_STUDENTS
    assert len(past.enrollments) == DEMO_STUDENTS
    assert len(past.assignments) == classrooms
    assert len(past.attempts) > 0
    given = past.assignments.merge(past.enrollments, on="classroom_id")
    worked = past.attempts.merge(given, on=["student_id", "quest_id"])
    assert len(worked) == len(past.attempts)


def test_scale_students_are_enrolled_and_given_quests_before_they_work(db):
    seed_demo(seed=2026, calendar=CALENDAR, echo=quiet)
    seed_students(count=30, seed=7, echo=quiet, quest_count=3, now=CALENDAR.now)
    assert_every_attempt_follows_its_enrollment_and_assignment(db)
    assigned = frame(db, select(QuestAssignment.assigned_at))["assigned_at"]
    assert (assigned <= CALENDAR.now).all()
    four_weeks_back = load_dataset(db.engine, now=CALENDAR.now - timedelta(weeks=4))
    assert len(four_weeks_back.students) == 30
