"""Migrations: one head, and upgrading an empty database gives exactly the models' schema.

The database under test is a new SQLite file, or a new PostgreSQL schema when
TEST_DATABASE_URL names PostgreSQL (see ``helpers.fresh_database``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from helpers import fresh_database, logging_preserved
from sqlalchemy import Engine, inspect, select, text

from quest_platform import create_app
from quest_platform.database import MIGRATIONS_DIR
from quest_platform.extensions import db
from quest_platform.models import AchievementAward, Attempt, QuestTally, utcnow
from quest_platform.services.achievements import award_achievement, ensure_achievements
from quest_platform.services.reviews import review_attempt
from quest_platform.services.tallies import lock_quest_tally


def script_directory() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config)


@pytest.fixture
def empty_app(tmp_path) -> Iterator[Flask]:
    """An app on an empty database of the kind under test."""
    with fresh_database(tmp_path) as settings:
        application = create_app("testing", SESSION_DIR=tmp_path / "sessions", **settings)
        with application.app_context():
            yield application
            db.session.remove()
            db.engine.dispose()


def upgrade(revision: str = "head") -> None:
    # Alembic's env.py configures logging from alembic.ini; keep the suite's logging intact.
    with logging_preserved():
        flask_migrate.upgrade(directory=str(MIGRATIONS_DIR), revision=revision)


def downgrade(revision: str) -> None:
    with logging_preserved():
        flask_migrate.downgrade(directory=str(MIGRATIONS_DIR), revision=revision)


def schema_of(engine: Engine) -> dict[str, Any]:
    """Everything the database says about its tables, comparable between two databases."""
    inspector = inspect(engine)
    schema: dict[str, Any] = {}
    for table in sorted(inspector.get_table_names()):
        if table == "alembic_version":
            continue
        schema[table] = {
            "columns": [
                (column["name"], str(column["type"]), column["nullable"])
                for column in inspector.get_columns(table)
            ],
            "primary_key": inspector.get_pk_constraint(table)["constrained_columns"],
            "foreign_keys": sorted(
                (
                    key["name"],
                    tuple(key["constrained_columns"]),
                    key["referred_table"],
                    tuple(key["referred_columns"]),
                    key.get("options", {}).get("ondelete"),
                )
                for key in inspector.get_foreign_keys(table)
            ),
            "unique": sorted(
                (constraint["name"], tuple(constraint["column_names"]))
                for constraint in inspector.get_unique_constraints(table)
            ),
            "indexes": sorted(
                (index["name"], tuple(index["column_names"]), bool(index["unique"]))
                for index in inspector.get_indexes(table)
            ),
            "checks": sorted(
                (check["name"], " ".join(check["sqltext"].split()))
                for check in inspector.get_check_constraints(table)
            ),
        }
    return schema


def test_migrations_have_one_head():
    heads = script_directory().get_heads()
    assert len(heads) == 1, f"merge the migration heads {heads}"


def test_upgrading_an_empty_database_gives_the_models_schema(empty_app):
    upgrade()
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == [], "run `manage.py db migrate` to capture the model changes"


def test_the_migrated_schema_matches_a_schema_made_from_the_models(empty_app, app):
    """Alembic does not compare CHECK constraints; comparing reflected schemas does."""
    upgrade()
    migrated = schema_of(db.engine)
    with app.app_context():
        from_models = schema_of(db.engine)
    assert migrated.keys() == from_models.keys()
    for table in from_models:
        assert migrated[table] == from_models[table], table


def test_upgrading_records_the_head_revision(empty_app):
    upgrade()
    with db.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    assert current == script_directory().get_current_head()


def test_downgrading_to_the_base_removes_every_table(empty_app):
    upgrade()
    downgrade("base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}


def test_awards_made_before_they_named_their_attempt_are_matched_to_it(empty_app, make):
    """0010: an award gets the attempt that earned it (submitted or reviewed at its moment)."""
    upgrade()
    teacher, student, idle = make.teacher(), make.student(), make.student()
    classroom = make.classroom(teachers=[teacher], students=[student, idle])
    quest, second = make.quest(), make.quest()
    for given in (quest, second):
        make.assignment(quest=given, classroom=classroom, by=teacher)
    start = utcnow() - timedelta(days=3)
    quiz = make.attempt(
        student=student, quest=quest, position=2, outcome="passed", score=10, submitted_at=start
    )
    award_achievement(
        code="perfect-quiz", attempt=quiz, quest_tally=tally_of(quiz), now=quiz.submitted_at
    )
    # A badge without a bonus leaves nothing in the ledger: its moment alone tells its attempt.
    streak = next(a for a in ensure_achievements() if a.code == "five-day-streak")
    streak.points = 0
    later = make.attempt(
        student=student,
        quest=second,
        position=1,
        outcome="passed",
        score=10,
        submitted_at=start + timedelta(days=1),
    )
    award_achievement(
        code="five-day-streak", attempt=later, quest_tally=tally_of(later), now=later.submitted_at
    )
    db.session.commit()
    # Marked after the student answered another stage: the review's moment tells its attempt.
    checkpoint = make.attempt(student=student, quest=quest, submitted_at=start + timedelta(hours=1))
    make.attempt(student=student, quest=quest, position=4, submitted_at=start + timedelta(hours=2))
    review_attempt(attempt=checkpoint, score=10, outcome="passed", reason="", by=teacher)
    earned = awards_by_id()
    assert sorted(earned.values()) == sorted(
        [(quest.id, quiz.id), (second.id, later.id), (quest.id, checkpoint.id)]
    )
    unearned = {"achievement": streak.id, "student": idle.id, "at": start}
    db.session.remove()

    downgrade("0009")
    with db.engine.begin() as connection:
        # A badge with no answer of its student behind it, which nothing on the platform gives.
        connection.execute(
            text(
                "INSERT INTO achievement_award (achievement_id, student_id, awarded_at)"
                " VALUES (:achievement, :student, :at)"
            ),
            unearned,
        )
    upgrade()

    assert awards_by_id() == earned


def tally_of(attempt: Attempt) -> QuestTally:
    """The attempt's student's tally of its quest, locked as the services hold it."""
    return lock_quest_tally(student_id=attempt.student_id, quest_id=attempt.quest_id)


def awards_by_id() -> dict[int, tuple[int, int]]:
    """Each award's quest and attempt, by the award's id."""
    query = select(AchievementAward.id, AchievementAward.quest_id, AchievementAward.attempt_id)
    return {award: (quest, attempt) for award, quest, attempt in db.session.execute(query)}
