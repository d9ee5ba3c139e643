"""What needs a teacher's attention: reviews waiting per classroom, students without attempts."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event

from quest_platform.models import Enrollment, utcnow
from quest_platform.queries.activity import awaiting_review_counts, inactive_student_counts
from quest_platform.services.reviews import review_attempt


def test_waiting_checkpoints_are_counted_per_classroom(school):
    ids = [school.classroom.id, school.other_classroom.id]
    assert awaiting_review_counts(ids) == {school.classroom.id: 1, school.other_classroom.id: 1}


def test_a_reviewed_checkpoint_no_longer_waits(db, school):
    review_attempt(attempt=school.attempt, score=7, outcome="passed", reason="", by=school.teacher)
    assert awaiting_review_counts([school.classroom.id]) == {school.classroom.id: 0}


def test_only_waiting_attempts_on_the_classrooms_quests_count(db, make, school):
    make.attempt(student=school.student, quest=school.quest, position=2, outcome="passed", score=8)
    # A quest the classroom was never given, although its student tried it.
    make.attempt(student=school.student, quest=school.other_quest)
    assert awaiting_review_counts([school.classroom.id]) == {school.classroom.id: 1}


def test_a_student_of_two_classrooms_counts_where_the_quest_was_given(db, school):
    db.session.add(Enrollment(classroom=school.other_classroom, student=school.student))
    db.session.commit()
    ids = [school.classroom.id, school.other_classroom.id]
    assert awaiting_review_counts(ids) == {school.classroom.id: 1, school.other_classroom.id: 1}


def test_students_without_an_attempt_in_a_week_are_inactive(db, make, school):
    quiet, gone = make.student(), make.student()
    for student in (quiet, gone):
        db.session.add(Enrollment(classroom=school.classroom, student=student))
    db.session.commit()
    make.attempt(student=gone, quest=school.quest, submitted_at=utcnow() - timedelta(days=8))
    since = utcnow() - timedelta(days=7)
    ids = [school.classroom.id, school.other_classroom.id]
    # school.student attempted today; ``quiet`` never did; ``gone`` last did eight days ago.
    assert inactive_student_counts(ids, since=since) == {
        school.classroom.id: 2,
        school.other_classroom.id: 0,
    }


def test_classrooms_without_students_count_zero(make):
    empty = make.classroom()
    assert awaiting_review_counts([empty.id]) == {empty.id: 0}
    assert inactive_student_counts([empty.id], since=utcnow()) == {empty.id: 0}
    assert awaiting_review_counts([]) == {}


def test_each_count_is_one_query_whatever_the_number_of_classrooms(db, make, school):
    classrooms = [make.classroom(students=[make.student()]) for _ in range(4)]
    ids = [classroom.id for classroom in classrooms]
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        awaiting_review_counts(ids)
        inactive_student_counts(ids, since=utcnow())
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == 2
