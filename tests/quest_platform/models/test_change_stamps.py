"""Change stamps: each commit raises the versions of exactly the scopes its writes touch."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select, update

from quest_platform.models import (
    AuditEntry,
    ChangeStamp,
    Enrollment,
    Review,
    ReviewKind,
    StudentAnalytics,
    User,
    utcnow,
)


def stamps(db) -> dict[str, int]:
    return dict(db.session.execute(select(ChangeStamp.scope, ChangeStamp.version)).all())


def raised_by(db, change: Callable[[], None]) -> set[str]:
    """The scopes whose version one committed change raised."""
    db.session.commit()
    before = stamps(db)
    change()
    db.session.commit()
    after = stamps(db)
    return {scope for scope, version in after.items() if version != before.get(scope, 0)}


def test_an_answer_raises_its_student_and_their_classrooms_boards_only(school, make, db):
    student, classroom = school.student, school.classroom
    raised = raised_by(db, lambda: make.attempt(student=student, quest=school.quest))
    assert raised == {f"student:{student.id}", f"board:{classroom.id}"}


def test_a_quest_edit_raises_everything(school, db):
    def rename() -> None:
        school.quest.title = "Renamed"

    assert raised_by(db, rename) == {"all"}


def test_enrolling_raises_the_student_the_classroom_and_its_board(school, make, db):
    newcomer = make.student()
    classroom = school.classroom

    def enroll() -> None:
        db.session.add(Enrollment(classroom=classroom, student=newcomer))

    assert raised_by(db, enroll) == {
        f"student:{newcomer.id}",
        f"classroom:{classroom.id}",
        f"board:{classroom.id}",
    }


def test_a_review_raises_the_student_of_the_attempt(school, db):
    def review() -> None:
        db.session.add(
            Review(
                attempt_id=school.attempt.id,
                reviewer_id=school.teacher.id,
                kind=ReviewKind.MARK.value,
                outcome="passed",
                score=school.attempt.max_score,
            )
        )

    assert raised_by(db, review) == {
        f"student:{school.student.id}",
        f"board:{school.classroom.id}",
    }


def test_a_teachers_rename_raises_the_classrooms_they_teach(school, db):
    def rename() -> None:
        school.teacher.display_name = "Ms. New Name"

    assert f"classroom:{school.classroom.id}" in raised_by(db, rename)
    assert f"classroom:{school.other_classroom.id}" not in raised_by(db, rename)


def test_the_audit_log_and_analytics_records_raise_nothing(school, db):
    def log() -> None:
        db.session.add(
            AuditEntry(actor_id=school.admin.id, action="update", table_name="x", record_id="1")
        )
        db.session.add(
            StudentAnalytics(
                student_id=school.student.id,
                classroom_id=school.classroom.id,
                computed_at=utcnow(),
                attempts=0,
                active_days_per_week=0,
                time_on_task_minutes=0,
                completion_pct=0,
                longest_streak=0,
                current_streak=0,
            )
        )

    assert raised_by(db, log) == set()


def test_a_statement_over_many_rows_raises_everything(school, db):
    def bulk() -> None:
        db.session.execute(update(User).values(reduced_motion=True))

    assert raised_by(db, bulk) == {"all"}


def test_a_rolled_back_change_raises_nothing(school, db):
    db.session.commit()
    before = stamps(db)
    school.quest.title = "Never saved"
    db.session.flush()
    db.session.rollback()
    db.session.commit()
    assert stamps(db) == before


@pytest.mark.parametrize("times", [1, 3])
def test_each_commit_raises_a_version_by_one(school, db, times):
    scope = f"student:{school.student.id}"
    start = stamps(db).get(scope, 0)
    for number in range(times):
        school.student.display_name = f"Name {number}"
        db.session.commit()
    assert stamps(db)[scope] == start + times
