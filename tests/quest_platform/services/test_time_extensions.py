"""Extra time: teachers give their students more time on timed stages; grants add up, audited."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from quest_platform.models import (
    AppendOnlyError,
    AuditEntry,
    Enrollment,
    StageKind,
    TimeExtension,
)
from quest_platform.queries.timing import extra_seconds_for
from quest_platform.services import ServiceError
from quest_platform.services.errors import NotAllowed
from quest_platform.services.time_extensions import MAX_REASON_LENGTH, grant_time_extension


def timed_stage(quest):
    return next(stage for stage in quest.stages if stage.kind == StageKind.TIMED)


def grant(school, *, by=None, student=None, stage=None, extra_seconds=600, reason="Reader"):
    return grant_time_extension(
        student=student or school.student,
        stage=stage or timed_stage(school.quest),
        extra_seconds=extra_seconds,
        reason=reason,
        by=by or school.teacher,
    )


def extension_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(TimeExtension))


def test_a_teacher_gives_their_student_extra_time(db, school):
    stage = timed_stage(school.quest)
    extension = grant(school, extra_seconds=600, reason="  Uses a screen reader.  ")
    assert (extension.student_id, extension.stage_id) == (school.student.id, stage.id)
    assert (extension.extra_seconds, extension.reason) == (600, "Uses a screen reader.")
    assert extension.granted_by_id == school.teacher.id
    assert extension.granted_at is not None
    assert extra_seconds_for(student=school.student, stage=stage) == 600


def test_grants_add_up(db, school):
    stage = timed_stage(school.quest)
    grant(school, extra_seconds=300)
    grant(school, extra_seconds=90)
    assert extra_seconds_for(student=school.student, stage=stage) == 390
    # Only this student on this stage.
    assert extra_seconds_for(student=school.other_student, stage=stage) == 0


def test_the_grant_is_audited(db, school):
    extension = grant(school, extra_seconds=900, reason="Fire drill")
    entry = db.session.scalars(
        select(AuditEntry).where(
            AuditEntry.table_name == "time_extension",
            AuditEntry.record_id == str(extension.id),
        )
    ).one()
    assert (entry.actor_id, entry.action, entry.before) == (school.teacher.id, "grant", None)
    assert entry.after["student_id"] == school.student.id
    assert entry.after["student"] == school.student.username
    assert entry.after["stage_id"] == timed_stage(school.quest).id
    assert entry.after["quest_id"] == school.quest.id
    assert entry.after["extra_seconds"] == 900
    assert entry.after["extra_minutes"] == 15
    assert entry.after["reason"] == "Fire drill"


@pytest.mark.parametrize("extra_seconds", [0, 59, -60, 86_401, 10**9])
def test_the_amount_is_between_a_minute_and_a_day(db, school, extra_seconds):
    with pytest.raises(ServiceError) as refused:
        grant(school, extra_seconds=extra_seconds)
    assert refused.value.field == "extra_seconds"
    assert refused.value.status_code == 422
    assert extension_count(db) == 0


@pytest.mark.parametrize("extra_seconds", [60, 86_400])
def test_a_minute_and_a_day_are_allowed(db, school, extra_seconds):
    assert grant(school, extra_seconds=extra_seconds).extra_seconds == extra_seconds


def test_the_amount_is_a_whole_number_of_seconds(db, school):
    for amount in (True, 90.5, "600"):
        with pytest.raises(ServiceError) as refused:
            grant(school, extra_seconds=amount)
        assert refused.value.field == "extra_seconds"
    assert extension_count(db) == 0


def test_a_stage_without_a_clock_is_refused(db, school):
    """A lesson has no timer: not timed, not raced, not played in a game."""
    lesson = next(stage for stage in school.quest.stages if stage.kind == StageKind.LESSON)
    with pytest.raises(ServiceError) as refused:
        grant(school, stage=lesson)
    assert refused.value.field == "stage"
    assert extension_count(db) == 0


def test_a_quiz_takes_extra_time_for_its_games(db, school):
    quiz = next(stage for stage in school.quest.stages if stage.kind == StageKind.QUIZ)
    assert grant(school, stage=quiz).extra_seconds == 600


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_reason_is_required(db, school, reason):
    with pytest.raises(ServiceError) as refused:
        grant(school, reason=reason)
    assert refused.value.field == "reason"
    assert extension_count(db) == 0


def test_a_reason_has_a_length_limit(db, school):
    with pytest.raises(ServiceError) as refused:
        grant(school, reason="x" * (MAX_REASON_LENGTH + 1))
    assert refused.value.field == "reason"


def test_another_teachers_student_is_refused(db, school):
    # The other teacher's student, on the other teacher's quest: not this teacher's to give.
    with pytest.raises(NotAllowed) as refused:
        grant(school, student=school.other_student, stage=timed_stage(school.other_quest))
    assert refused.value.field == "student"
    assert refused.value.status_code == 403
    assert extension_count(db) == 0


def test_a_quest_not_given_to_the_students_class_is_refused(db, school):
    # Their own student, but on a quest only the other classroom was given.
    with pytest.raises(NotAllowed):
        grant(school, stage=timed_stage(school.other_quest))
    assert extension_count(db) == 0


def test_a_student_in_two_classes_gets_time_only_from_the_teacher_of_the_quest(db, school):
    # The student joins the other classroom too: its teacher may give time on its own quest only.
    db.session.add(Enrollment(classroom=school.other_classroom, student=school.student))
    db.session.commit()
    other_stage = timed_stage(school.other_quest)
    assert grant(school, by=school.other_teacher, stage=other_stage).stage_id == other_stage.id
    with pytest.raises(NotAllowed):
        grant(school, by=school.other_teacher)


def test_students_may_not_give_extra_time(db, school):
    with pytest.raises(NotAllowed):
        grant(school, by=school.student)
    assert extension_count(db) == 0


def test_an_admin_gives_extra_time_to_anyone_in_a_class_given_the_quest(db, school):
    other_stage = timed_stage(school.other_quest)
    extension = grant(school, by=school.admin, student=school.other_student, stage=other_stage)
    assert extension.granted_by_id == school.admin.id
    assert extra_seconds_for(student=school.other_student, stage=other_stage) == 600


def test_an_admin_may_not_give_time_on_a_quest_the_students_class_was_not_given(db, school):
    with pytest.raises(NotAllowed):
        grant(school, by=school.admin, stage=timed_stage(school.other_quest))


def test_a_grant_is_never_changed_or_deleted(db, school):
    extension = grant(school)
    extension.extra_seconds = 1200
    with pytest.raises(AppendOnlyError):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(TimeExtension, extension.id))
    with pytest.raises(AppendOnlyError):
        db.session.commit()
    db.session.rollback()
    assert extra_seconds_for(student=school.student, stage=timed_stage(school.quest)) == 600
