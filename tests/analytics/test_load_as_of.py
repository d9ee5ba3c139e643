"""A dataset as of a moment holds only what existed then: whatever is recorded afterwards,
attempts, reviews, enrollments, deactivations, time extensions or quests given, the dataset,
the predictions and the engagement report of that moment stay the same."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from analytics.dataset import EXTENSIONS, Dataset
from analytics.engagement import EngagementReport, engagement_report
from analytics.load import load_dataset
from analytics.model import shipped_model
from analytics.prediction import predict_quests
from quest_platform.extensions import db
from quest_platform.models import (
    Attempt,
    Classroom,
    Enrollment,
    Outcome,
    Quest,
    QuestAssignment,
    Review,
    ReviewKind,
    Stage,
    TimeExtension,
    User,
)
from quest_platform.services.accounts import update_account

# The moment the datasets are taken at; everything is dated around it, never from the clock.
T = datetime(2025, 3, 12, 15, 0, tzinfo=UTC)
MINUTE, HOUR, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)
# Stage positions of the builders' quests (tests/conftest.py, Builders.stage_drafts).
LESSON, QUIZ, CHECKPOINT, REFLECTION, TIMED = 1, 2, 3, 4, 6


def enroll(student: User, classroom: Classroom, *, at: datetime) -> None:
    db.session.add(Enrollment(classroom=classroom, student=student, enrolled_at=at))
    db.session.commit()


def assign(quest: Quest, classroom: Classroom, *, at: datetime, opens: datetime) -> None:
    db.session.add(
        QuestAssignment(
            quest=quest,
            classroom=classroom,
            opens_at=opens,
            due_at=opens + 14 * DAY,
            assigned_at=at,
        )
    )
    db.session.commit()


def stage_of(quest: Quest, position: int) -> Stage:
    return next(stage for stage in quest.stages if stage.position == position)


def review(attempt: Attempt, *, outcome: str, at: datetime, by: User) -> Review:
    """A teacher's review of ``attempt`` given at ``at``: full marks if passed, else none."""
    kind = ReviewKind.MARK if attempt.outcome == Outcome.PENDING_REVIEW else ReviewKind.OVERRIDE
    made = Review(
        attempt_id=attempt.id,
        reviewer_id=by.id,
        kind=kind.value,
        score=attempt.max_score if outcome == Outcome.PASSED else 0.0,
        outcome=outcome,
        reason="Checked again.",
        created_at=at,
    )
    db.session.add(made)
    db.session.commit()
    return made


def extend(student: User, stage: Stage, *, seconds: int, at: datetime, by: User) -> None:
    db.session.add(
        TimeExtension(
            student_id=student.id,
            stage_id=stage.id,
            extra_seconds=seconds,
            granted_by_id=by.id,
            granted_at=at,
        )
    )
    db.session.commit()


def deactivate(student: User, *, at: datetime) -> None:
    """Deactivate ``student`` as update_account does, dated ``at``."""
    student.active, student.deactivated_at = False, at
    db.session.commit()


@dataclass
class Term:
    """A classroom part-way through a quest at T, and another classroom given the same quest
    and an elective.

    ``ada`` passed the lesson and the quiz and had her checkpoint marked passed; ``ben``'s
    checkpoint waits for review; ``cy`` did the lesson; ``dee`` was deactivated before T.
    ``fay`` works on the quest in ``other``, where ``ada`` takes the elective too.
    """

    teacher: User
    classroom: Classroom
    other: Classroom
    quest: Quest
    elective: Quest
    ada: User
    ben: User
    cy: User
    dee: User
    fay: User
    ada_checkpoint: Attempt
    ben_checkpoint: Attempt


@pytest.fixture
def term(make) -> Term:
    teacher = make.teacher()
    classroom, other = make.classroom(teachers=[teacher]), make.classroom(teachers=[teacher])
    quest, elective = make.quest(), make.quest()
    ada, ben, cy, dee, fay = (make.student() for _ in range(5))
    for student in (ada, ben, cy, dee):
        enroll(student, classroom, at=T - 20 * DAY)
    for student in (ada, fay):
        enroll(student, other, at=T - 20 * DAY)
    for room in (classroom, other):
        assign(quest, room, at=T - 10 * DAY, opens=T - 7 * DAY)
    assign(elective, other, at=T - 10 * DAY, opens=T - 7 * DAY)

    def attempt(
        student: User, position: int, outcome: Outcome, at: datetime, *, of: Quest = quest
    ) -> Attempt:
        scores = {Outcome.PENDING_REVIEW: None, Outcome.FAILED: 0.0}
        return make.attempt(
            student=student,
            quest=of,
            position=position,
            outcome=outcome.value,
            score=scores.get(outcome, float(stage_of(quest, position).points)),
            submitted_at=at,
        )

    attempt(ada, LESSON, Outcome.PASSED, T - 5 * DAY)
    attempt(ada, QUIZ, Outcome.FAILED, T - 5 * DAY + HOUR)
    attempt(ada, QUIZ, Outcome.PASSED, T - 4 * DAY)
    ada_checkpoint = attempt(ada, CHECKPOINT, Outcome.PENDING_REVIEW, T - 3 * DAY)
    review(ada_checkpoint, outcome=Outcome.PASSED, at=T - 2 * DAY, by=teacher)
    attempt(ben, LESSON, Outcome.PASSED, T - 4 * DAY)
    attempt(ben, QUIZ, Outcome.PASSED, T - 3 * DAY)
    ben_checkpoint = attempt(ben, CHECKPOINT, Outcome.PENDING_REVIEW, T - DAY)
    attempt(cy, LESSON, Outcome.PASSED, T - 4 * DAY)
    attempt(dee, LESSON, Outcome.PASSED, T - 6 * DAY)
    deactivate(dee, at=T - 2 * DAY)
    attempt(fay, LESSON, Outcome.PASSED, T - 6 * DAY)
    attempt(fay, QUIZ, Outcome.PASSED, T - 5 * DAY)
    attempt(ada, LESSON, Outcome.PASSED, T - 3 * DAY, of=elective)
    extend(ada, stage_of(quest, TIMED), seconds=60, at=T - DAY, by=teacher)
    return Term(
        teacher,
        classroom,
        other,
        quest,
        elective,
        ada,
        ben,
        cy,
        dee,
        fay,
        ada_checkpoint,
        ben_checkpoint,
    )


def record_everything_after_t(term: Term, make) -> None:
    """Rows of every kind dated after T, some about what happened before it."""
    quest = term.quest
    passed = {"outcome": Outcome.PASSED.value, "score": 10.0}
    make.attempt(
        student=term.ada, quest=quest, position=REFLECTION, submitted_at=T + HOUR, **passed
    )
    # Started before T (twelve minutes before it was handed in), handed in after it.
    make.attempt(student=term.cy, quest=quest, position=QUIZ, submitted_at=T + MINUTE, **passed)
    # Verdicts given after T on work handed in before it.
    review(term.ben_checkpoint, outcome=Outcome.PASSED, at=T + DAY, by=term.teacher)
    review(term.ada_checkpoint, outcome=Outcome.FAILED, at=T + HOUR, by=term.teacher)
    # A new student, and a student of the other classroom who moves into this one.
    newcomer = make.student()
    enroll(newcomer, term.classroom, at=T + DAY)
    make.attempt(student=newcomer, quest=quest, position=LESSON, submitted_at=T + DAY, **passed)
    enroll(term.fay, term.classroom, at=T + DAY)
    # Deactivated now, long after T, through the service.
    update_account(
        user=term.cy,
        display_name=term.cy.display_name,
        pseudonym=term.cy.pseudonym,
        active=False,
        by=term.teacher,
    )
    extend(term.ben, stage_of(quest, TIMED), seconds=120, at=T + HOUR, by=term.teacher)
    # The elective given to the classroom after T, backdated to open before it (ada's attempt
    # at it was in the other classroom then), and a new quest given to the other classroom.
    assign(term.elective, term.classroom, at=T + HOUR, opens=T - DAY)
    later = make.quest()
    assign(later, term.other, at=T + 2 * DAY, opens=T + 3 * DAY)
    extend(term.ada, stage_of(later, TIMED), seconds=30, at=T + 2 * HOUR, by=term.teacher)


def assert_same_dataset(before: Dataset, after: Dataset) -> None:
    for field in fields(Dataset):
        old, new = getattr(before, field.name), getattr(after, field.name)
        if isinstance(old, pd.DataFrame):
            assert_frame_equal(new, old, obj=f"dataset.{field.name}")
        else:
            assert new == old, field.name


def assert_same_report(before: EngagementReport, after: EngagementReport) -> None:
    for field in fields(EngagementReport):
        assert_frame_equal(
            getattr(after, field.name), getattr(before, field.name), obj=f"report.{field.name}"
        )


@pytest.mark.parametrize("scope", ["every classroom", "one classroom"])
def test_nothing_recorded_after_a_moment_changes_the_dataset_or_the_analyses_of_it(
    db, make, term, scope
):
    classroom_ids = None if scope == "every classroom" else [term.classroom.id]
    model = shipped_model()

    def as_of_t() -> Dataset:
        return load_dataset(db.engine, classroom_ids=classroom_ids, now=T)

    dataset = as_of_t()
    predictions, report = predict_quests(dataset, model=model), engagement_report(dataset)
    assert len(predictions) > 0
    assert len(report.students) > 0

    record_everything_after_t(term, make)

    again = as_of_t()
    assert_same_dataset(dataset, again)
    assert_frame_equal(predict_quests(again, model=model), predictions)
    assert_same_report(report, engagement_report(again))
    # What came after T is in the database: a dataset of the present holds it.
    present = load_dataset(db.engine, classroom_ids=classroom_ids)
    assert len(present.attempts) > len(dataset.attempts)
    assert len(present.assignments) > len(dataset.assignments)


def test_a_dataset_holds_the_records_of_its_moment(db, term):
    dataset = load_dataset(db.engine, now=T)
    assert set(dataset.students["student_id"]) == {
        term.ada.id,
        term.ben.id,
        term.cy.id,
        term.fay.id,
    }
    assert set(map(tuple, dataset.enrollments.to_numpy().tolist())) == {
        (term.classroom.id, term.ada.id),
        (term.classroom.id, term.ben.id),
        (term.classroom.id, term.cy.id),
        (term.other.id, term.ada.id),
        (term.other.id, term.fay.id),
    }
    assert set(map(tuple, dataset.assignments[["classroom_id", "quest_id"]].to_numpy())) == {
        (term.classroom.id, term.quest.id),
        (term.other.id, term.quest.id),
        (term.other.id, term.elective.id),
    }
    assert dataset.quests["quest_id"].tolist() == [term.quest.id, term.elective.id]
    assert len(dataset.stages) == len(term.quest.stages) + len(term.elective.stages)
    assert dataset.attempts["attempt_id"].is_monotonic_increasing
    assert dataset.now == pd.Timestamp(T)
    expected = pd.DataFrame(
        {
            "student_id": [term.ada.id],
            "stage_id": [stage_of(term.quest, TIMED).id],
            "extra_seconds": [60],
            "granted_at": [T - DAY],
        }
    ).astype(EXTENSIONS)
    assert_frame_equal(dataset.extensions, expected)


def outcome_at(moment: datetime, attempt: Attempt) -> tuple[float, str]:
    attempts = load_dataset(db.engine, now=moment).attempts.set_index("attempt_id")
    row = attempts.loc[attempt.id]
    return row["score"], row["outcome"]


def test_a_review_counts_from_the_moment_it_was_given(db, term):
    checkpoint = term.ben_checkpoint
    review(checkpoint, outcome=Outcome.PASSED, at=T + DAY, by=term.teacher)
    score, outcome = outcome_at(T, checkpoint)
    assert pd.isna(score)
    assert outcome == Outcome.PENDING_REVIEW
    assert outcome_at(T + DAY, checkpoint) == (checkpoint.max_score, Outcome.PASSED)


def test_the_latest_review_given_by_a_moment_decides_then(db, term):
    checkpoint = term.ada_checkpoint
    review(checkpoint, outcome=Outcome.FAILED, at=T + HOUR, by=term.teacher)
    assert outcome_at(T, checkpoint) == (checkpoint.max_score, Outcome.PASSED)
    assert outcome_at(T + HOUR, checkpoint) == (0.0, Outcome.FAILED)


def test_the_latest_review_is_the_latest_given_not_the_latest_recorded(db, term):
    checkpoint = term.ben_checkpoint
    review(checkpoint, outcome=Outcome.PASSED, at=T - HOUR, by=term.teacher)
    review(checkpoint, outcome=Outcome.FAILED, at=T - 2 * HOUR, by=term.teacher)
    assert outcome_at(T, checkpoint) == (checkpoint.max_score, Outcome.PASSED)


def test_of_two_reviews_given_at_the_same_moment_the_later_recorded_decides(db, term):
    checkpoint = term.ben_checkpoint
    review(checkpoint, outcome=Outcome.FAILED, at=T - HOUR, by=term.teacher)
    review(checkpoint, outcome=Outcome.PASSED, at=T - HOUR, by=term.teacher)
    assert outcome_at(T, checkpoint) == (checkpoint.max_score, Outcome.PASSED)


def test_a_student_counts_until_deactivated(db, make, term):
    deactivate(term.cy, at=T + DAY)
    before_t = load_dataset(db.engine, now=T)
    assert term.cy.id in set(before_t.students["student_id"])
    assert term.cy.id in set(before_t.enrollments["student_id"])
    assert term.dee.id not in set(before_t.students["student_id"])
    assert term.dee.id not in set(before_t.enrollments["student_id"])
    # Gone from the moment of their deactivation.
    assert term.cy.id not in set(load_dataset(db.engine, now=T + DAY).students["student_id"])
    # Their attempts stay: they were made.
    assert term.dee.id in set(before_t.attempts["student_id"])


def test_an_account_deactivated_before_its_deactivation_was_dated_is_gone_at_every_moment(db, term):
    term.cy.active, term.cy.deactivated_at = False, None
    db.session.commit()
    for moment in (T - 15 * DAY, T):
        assert term.cy.id not in set(load_dataset(db.engine, now=moment).students["student_id"])


def test_a_reactivated_account_counts_again(db, term):
    update_account(
        user=term.dee,
        display_name=term.dee.display_name,
        pseudonym=term.dee.pseudonym,
        active=True,
        by=term.teacher,
    )
    assert term.dee.deactivated_at is None
    assert term.dee.id in set(load_dataset(db.engine, now=T).students["student_id"])


def test_before_anything_was_given_or_enrolled_a_dataset_is_empty(db, term):
    dataset = load_dataset(db.engine, now=T - 30 * DAY)
    for name in ("attempts", "stages", "quests", "students", "enrollments", "assignments"):
        assert getattr(dataset, name).empty, name
    assert len(dataset.classrooms) == 2


def test_extensions_are_those_of_the_students_and_stages_in_scope(db, make, term):
    other_quest = make.quest()
    extend(term.fay, stage_of(term.quest, TIMED), seconds=90, at=T - DAY, by=term.teacher)
    extend(term.dee, stage_of(term.quest, TIMED), seconds=90, at=T - DAY, by=term.teacher)
    extend(term.ben, stage_of(other_quest, TIMED), seconds=90, at=T - DAY, by=term.teacher)
    scoped = load_dataset(db.engine, classroom_ids=[term.classroom.id], now=T)
    assert scoped.extensions["student_id"].tolist() == [term.ada.id]
    every = load_dataset(db.engine, now=T)
    assert every.extensions["student_id"].tolist() == [term.ada.id, term.fay.id]


def test_a_moment_without_a_time_zone_is_taken_as_utc(db, term):
    naive = load_dataset(db.engine, now=T.replace(tzinfo=None))
    assert_same_dataset(load_dataset(db.engine, now=T), naive)
