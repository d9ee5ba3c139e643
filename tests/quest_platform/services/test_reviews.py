"""Reviews: a teacher marks a waiting checkpoint or overrides a score; attempts never change."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from quest_platform.models import (
    Attempt,
    AuditEntry,
    Outcome,
    PointsEntry,
    PointsReason,
    Review,
    ReviewKind,
)
from quest_platform.services import ServiceError
from quest_platform.services.errors import NotAllowed
from quest_platform.services.reviews import MAX_REASON_LENGTH, review_attempt


def review_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Review))


def as_stored(db, attempt: Attempt) -> tuple:
    db.session.expire_all()
    stored = db.session.get(Attempt, attempt.id)
    return (stored.score, stored.outcome, stored.answer, stored.submitted_at)


def test_a_waiting_checkpoint_is_marked(db, school):
    attempt = school.attempt
    submitted = as_stored(db, attempt)
    review = review_attempt(
        attempt=attempt, score=8, outcome="passed", reason="Nice work.", by=school.teacher
    )
    assert review.kind == ReviewKind.MARK
    assert (review.reviewer_id, review.score, review.reason) == (school.teacher.id, 8, "Nice work.")
    db.session.expire_all()
    assert attempt.result == (8, Outcome.PASSED)
    # The attempt itself is as the student submitted it.
    assert as_stored(db, attempt) == submitted


def test_marking_needs_no_reason(db, school):
    review = review_attempt(
        attempt=school.attempt, score=3, outcome="failed", reason="  ", by=school.teacher
    )
    assert (review.kind, review.reason) == (ReviewKind.MARK, "")


def test_a_second_review_overrides_the_first_and_needs_a_reason(db, school):
    attempt = school.attempt
    review_attempt(attempt=attempt, score=8, outcome="passed", reason="", by=school.teacher)
    with pytest.raises(ServiceError) as refused:
        review_attempt(attempt=attempt, score=10, outcome="passed", reason=" ", by=school.teacher)
    assert refused.value.field == "reason"
    db.session.rollback()
    assert review_count(db) == 1

    review = review_attempt(
        attempt=attempt, score=10, outcome="passed", reason="Regraded.", by=school.teacher
    )
    assert review.kind == ReviewKind.OVERRIDE
    db.session.expire_all()
    assert attempt.result == (10, Outcome.PASSED)
    assert [r.kind for r in attempt.reviews] == [ReviewKind.MARK, ReviewKind.OVERRIDE]


def test_overriding_a_scored_attempt_needs_a_reason(db, make, school):
    attempt = make.attempt(
        student=school.student, quest=school.quest, position=2, outcome="failed", score=4
    )
    with pytest.raises(ServiceError) as refused:
        review_attempt(attempt=attempt, score=9, outcome="passed", reason="", by=school.teacher)
    assert refused.value.field == "reason"
    db.session.rollback()
    review = review_attempt(
        attempt=attempt, score=9, outcome="passed", reason="Typo in the key.", by=school.teacher
    )
    assert review.kind == ReviewKind.OVERRIDE


@pytest.mark.parametrize("score", [-1, 10.5, None, float("nan"), float("inf")])
def test_the_score_stays_between_zero_and_the_maximum(db, school, score):
    with pytest.raises(ServiceError) as refused:
        review_attempt(
            attempt=school.attempt, score=score, outcome="passed", reason="", by=school.teacher
        )
    assert refused.value.field == "score"
    db.session.rollback()
    assert review_count(db) == 0


@pytest.mark.parametrize(("score", "outcome"), [(0, "failed"), (10, "passed")])
def test_the_bounds_themselves_are_scores(db, school, score, outcome):
    review_attempt(
        attempt=school.attempt, score=score, outcome=outcome, reason="", by=school.teacher
    )
    assert review_count(db) == 1


@pytest.mark.parametrize(
    ("score", "outcome"), [(0, "passed"), (6.99, "passed"), (7, "failed"), (10, "failed")]
)
def test_a_score_and_outcome_that_contradict_each_other_are_refused(db, school, score, outcome):
    with pytest.raises(ServiceError) as refused:
        review_attempt(
            attempt=school.attempt, score=score, outcome=outcome, reason="", by=school.teacher
        )
    assert refused.value.field == "outcome"
    db.session.rollback()
    assert review_count(db) == 0


@pytest.mark.parametrize(("score", "outcome"), [(7, "passed"), (6.99, "failed")])
def test_the_pass_mark_divides_passes_from_fails(db, school, score, outcome):
    review = review_attempt(
        attempt=school.attempt, score=score, outcome=outcome, reason="", by=school.teacher
    )
    assert (review.score, review.outcome) == (score, outcome)


@pytest.mark.parametrize("outcome", ["passed", "failed"])
def test_a_stage_worth_no_points_passes_or_fails_with_no_score(db, make, school, outcome):
    checkpoint = school.attempt.stage
    checkpoint.points = 0
    db.session.commit()
    attempt = make.attempt(student=school.student, quest=school.quest)
    review_attempt(attempt=attempt, score=0, outcome=outcome, reason="", by=school.teacher)
    assert review_count(db) == 1


@pytest.mark.parametrize("outcome", ["pending_review", "late", ""])
def test_the_outcome_is_passed_or_failed(db, school, outcome):
    with pytest.raises(ServiceError) as refused:
        review_attempt(
            attempt=school.attempt, score=5, outcome=outcome, reason="", by=school.teacher
        )
    assert refused.value.field == "outcome"


def test_a_reason_has_a_length_limit(db, school):
    with pytest.raises(ServiceError) as refused:
        review_attempt(
            attempt=school.attempt,
            score=5,
            outcome="failed",
            reason="x" * (MAX_REASON_LENGTH + 1),
            by=school.teacher,
        )
    assert refused.value.field == "reason"


@pytest.mark.parametrize("reviewer", ["other_teacher", "student", "other_student"])
def test_only_the_students_teacher_reviews(db, school, reviewer):
    submitted = as_stored(db, school.attempt)
    with pytest.raises(NotAllowed):
        review_attempt(
            attempt=school.attempt,
            score=5,
            outcome="passed",
            reason="",
            by=school.person(reviewer),
        )
    db.session.rollback()
    assert review_count(db) == 0
    assert as_stored(db, school.attempt) == submitted


def test_an_admin_reviews_any_attempt(db, school):
    review = review_attempt(
        attempt=school.other_attempt, score=5, outcome="failed", reason="", by=school.admin
    )
    assert review.reviewer_id == school.admin.id


def test_every_review_is_audited_with_the_result_it_replaces(db, school):
    attempt = school.attempt
    first = review_attempt(attempt=attempt, score=8, outcome="passed", reason="", by=school.teacher)
    second = review_attempt(
        attempt=attempt, score=6, outcome="failed", reason="Missed a rule.", by=school.teacher
    )
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.table_name == "review").order_by(AuditEntry.id)
    ).all()
    assert [(e.action, e.record_id, e.actor_id) for e in entries] == [
        ("mark", str(first.id), school.teacher.id),
        ("override", str(second.id), school.teacher.id),
    ]
    assert entries[0].before == {"attempt": attempt.id, "score": None, "outcome": "pending_review"}
    assert entries[1].before == {"attempt": attempt.id, "score": 8, "outcome": "passed"}
    assert entries[1].after["reason"] == "Missed a rule."


def points_of(db, student) -> int:
    """The student's points for stage scores (an achievement's bonus aside)."""
    db.session.expire_all()
    query = select(func.coalesce(func.sum(PointsEntry.points), 0)).where(
        PointsEntry.student_id == student.id, PointsEntry.reason == PointsReason.STAGE_SCORE
    )
    return db.session.scalar(query)


def test_the_students_points_follow_each_review(db, school):
    attempt, student = school.attempt, school.student
    before = points_of(db, student)

    review_attempt(attempt=attempt, score=8, outcome="passed", reason="", by=school.teacher)
    assert points_of(db, student) == before + 8

    review_attempt(
        attempt=attempt,
        score=5,
        outcome="failed",
        reason="Rubric item 2 missing.",
        by=school.teacher,
    )
    assert points_of(db, student) == before + 5
