"""Refreshing the analytics records: one per student and classroom, replaced as a whole."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from quest_platform.models import QuestPrediction, StudentAnalytics
from quest_platform.services.analytics import refresh_analytics

NOW = datetime(2030, 1, 7, 12, 0, tzinfo=UTC)


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_refreshing_records_each_students_engagement_and_quest_predictions(db, school):
    computed = refresh_analytics(classroom_ids=[school.classroom.id], now=NOW)
    assert computed == NOW
    record = db.session.scalars(select(StudentAnalytics)).one()
    assert (record.student_id, record.classroom_id) == (school.student.id, school.classroom.id)
    assert record.computed_at == NOW
    assert record.attempts == 1  # the checkpoint waiting for review
    assert 0 <= record.completion_pct <= 100
    prediction = db.session.scalars(select(QuestPrediction)).one()
    assert (prediction.student_id, prediction.quest_id) == (school.student.id, school.quest.id)
    assert 0 <= prediction.probability <= 1
    assert prediction.risk in {"on_track", "watch", "at_risk"}
    assert prediction.stages_total == len(school.quest.stages)
    assert all(isinstance(reason, list) for reason in prediction.reasons)


def test_refreshing_again_replaces_the_classrooms_records_and_leaves_others(db, school):
    refresh_analytics(classroom_ids=[school.classroom.id, school.other_classroom.id], now=NOW)
    later = NOW.replace(day=8)
    refresh_analytics(classroom_ids=[school.classroom.id], now=later)
    assert count(db, StudentAnalytics) == 2
    assert count(db, QuestPrediction) == 2
    by_classroom = {
        record.classroom_id: record.computed_at
        for record in db.session.scalars(select(StudentAnalytics))
    }
    assert by_classroom == {school.classroom.id: later, school.other_classroom.id: NOW}


def test_a_classroom_without_students_has_no_records(db, make):
    classroom = make.classroom()
    refresh_analytics(classroom_ids=[classroom.id], now=NOW)
    assert count(db, StudentAnalytics) == 0
    assert count(db, QuestPrediction) == 0


def test_the_database_refuses_a_probability_out_of_range(db, school):
    refresh_analytics(classroom_ids=[school.classroom.id], now=NOW)
    prediction = db.session.scalars(select(QuestPrediction)).one()
    prediction.probability = 1.5
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
