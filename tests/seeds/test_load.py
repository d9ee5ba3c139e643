"""Seed loading helpers: the quest files, the sprint calendar and batching."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from quest_platform.models import MAX_STAGES, MIN_STAGES
from quest_platform.services.quests import StageDraft, stage_problems
from seeds.load import DEMO_WEEKS, batched, load_quest_files, sprint_start
from seeds.roster import make_students

# Pure functions: the database engine plays no part, so the PostgreSQL run leaves them out.
pytestmark = pytest.mark.engine_independent

THEMES = {"West Coast Travel", "Digital Famine"}


@pytest.fixture(scope="module")
def quest_files():
    return load_quest_files()


def test_quest_files_cover_both_themes(quest_files):
    assert {document["theme"] for document in quest_files} == THEMES
    assert len({document["slug"] for document in quest_files}) == len(quest_files)


def test_every_quest_file_has_six_to_eight_complete_stages(quest_files):
    for document in quest_files:
        stages = document["stages"]
        assert MIN_STAGES <= len(stages) <= MAX_STAGES, document["slug"]
        for stage in stages:
            draft = StageDraft(
                kind=stage["kind"],
                title=stage["title"],
                content=stage.get("content", ""),
                settings=stage.get("settings") or {},
                time_limit_seconds=stage.get("time_limit_seconds"),
            )
            assert stage_problems(draft) == [], f"{document['slug']}: {stage['title']}"


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 11, 25, 14, 30, tzinfo=UTC),
        datetime(2026, 11, 23, 0, 0, tzinfo=UTC),
        datetime(2026, 11, 29, 23, 59, tzinfo=UTC),
    ],
    ids=["wednesday", "monday-midnight", "sunday-night"],
)
def test_the_sprint_starts_on_a_monday_at_least_four_weeks_back(now):
    start = sprint_start(now)
    assert start.weekday() == 0
    assert (start.hour, start.minute) == (0, 0)
    assert timedelta(weeks=DEMO_WEEKS) <= now - start < timedelta(weeks=DEMO_WEEKS, days=7)


def test_batched_keeps_order_and_the_last_short_batch():
    assert list(batched(range(7), 3)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(batched([], 3)) == []


def test_fictional_students_are_the_same_for_the_same_seed():
    first, again = make_students(seed=7, count=60), make_students(seed=7, count=60)
    assert first == again
    assert len({student.username for student in first}) == 60
    assert make_students(seed=8, count=60) != first
