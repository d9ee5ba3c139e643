"""Refreshing a classroom's analytics: one record per student, predictions and the dashboard's
charts in every language, replaced as a whole, one refresh at a time."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from quest_platform.extensions import db as _db
from quest_platform.models import (
    Classroom,
    DashboardChart,
    QuestPrediction,
    StudentAnalytics,
)
from quest_platform.queries.analytics import analytics_computed_at
from quest_platform.services import analytics as service
from quest_platform.services.analytics import refresh_analytics

NOW = datetime(2030, 1, 7, 12, 0, tzinfo=UTC)


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_refreshing_records_each_students_engagement_and_quest_predictions(db, school):
    computed = refresh_analytics(classroom=school.classroom, now=NOW)
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


def test_refreshing_draws_the_dashboard_in_every_language(app, db, school):
    refresh_analytics(classroom=school.classroom, now=NOW)
    charts = db.session.scalars(
        select(DashboardChart).order_by(DashboardChart.language, DashboardChart.position)
    ).all()
    classroom, quest = school.classroom.id, school.quest.id
    expected = [f"weekly-{classroom}", f"funnel-{classroom}-{quest}"]
    expected += [f"risk-{classroom}", f"grid-{classroom}-{quest}"]
    for language in app.config["LANGUAGES"]:
        drawn = [chart for chart in charts if chart.language == language]
        assert [chart.slug for chart in drawn] == expected
        assert [chart.quest_id for chart in drawn] == [None, quest, None, quest]
        assert {chart.computed_at for chart in drawn} == {NOW}
    titles = {chart.language: chart.chart["title"] for chart in charts if chart.position == 0}
    assert titles["en"].startswith("Weekly engagement")
    assert titles["es"].startswith("Participación semanal")


def test_refreshing_again_replaces_the_classrooms_records_and_leaves_others(db, school):
    refresh_analytics(classroom=school.classroom, now=NOW)
    refresh_analytics(classroom=school.other_classroom, now=NOW)
    later = NOW.replace(day=8)
    refresh_analytics(classroom=school.classroom, now=later)
    assert count(db, StudentAnalytics) == 2
    assert count(db, QuestPrediction) == 2
    by_classroom = {
        record.classroom_id: record.computed_at
        for record in db.session.scalars(select(StudentAnalytics))
    }
    assert by_classroom == {school.classroom.id: later, school.other_classroom.id: NOW}
    assert analytics_computed_at(school.classroom.id) == later
    assert analytics_computed_at(school.other_classroom.id) == NOW


def test_a_refresh_never_replaces_fresher_figures(db, school):
    later = NOW.replace(day=8)
    refresh_analytics(classroom=school.classroom, now=later)
    assert refresh_analytics(classroom=school.classroom, now=NOW) == later
    computed = set(db.session.scalars(select(StudentAnalytics.computed_at)))
    assert computed | set(db.session.scalars(select(DashboardChart.computed_at))) == {later}


def test_a_classroom_without_students_has_no_records_but_says_when_it_was_computed(db, make):
    classroom = make.classroom()
    assert analytics_computed_at(classroom.id) is None
    refresh_analytics(classroom=classroom, now=NOW)
    assert count(db, StudentAnalytics) == 0
    assert count(db, QuestPrediction) == 0
    assert analytics_computed_at(classroom.id) == NOW


def test_the_database_refuses_a_probability_out_of_range(db, school):
    refresh_analytics(classroom=school.classroom, now=NOW)
    prediction = db.session.scalars(select(QuestPrediction)).one()
    prediction.probability = 1.5
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_two_refreshes_of_a_classroom_at_once_both_succeed(app, db, school, monkeypatch):
    """Both compute, then write at the same moment: the second waits for the first, and the
    classroom keeps one complete set of records."""
    classroom_id = school.classroom.id
    computed_both = threading.Barrier(2, timeout=30)
    compute = service._compute

    def compute_then_wait(**kwargs):
        computed = compute(**kwargs)
        computed_both.wait()
        return computed

    monkeypatch.setattr(service, "_compute", compute_then_wait)
    errors: list[BaseException] = []

    def refresh() -> None:
        with app.app_context():
            try:
                refresh_analytics(classroom=_db.session.get(Classroom, classroom_id))
            except BaseException as error:  # reported below, with the other thread's
                errors.append(error)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=refresh) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert count(db, StudentAnalytics) == 1
    assert count(db, QuestPrediction) == 1
    assert len(set(db.session.scalars(select(DashboardChart.computed_at)))) == 1
