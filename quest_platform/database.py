"""The database connection: SQLAlchemy, Alembic migrations and SQLite tuning."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url

from quest_platform.extensions import db, migrate

MIGRATIONS_DIR = Path(__file__).parent.parent / "migrations"
CONNECT_TIMEOUT_SECONDS = 5


@event.listens_for(Engine, "connect")
def _tune_sqlite(dbapi_connection: Any, connection_record: Any) -> None:
    """Turn on foreign keys, write-ahead logging and a busy timeout for SQLite."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    # WAL lets readers work while one writer commits; the timeout waits out short locks.
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA busy_timeout = 5000")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def register_database(app: Flask) -> None:
    """Bind SQLAlchemy and Flask-Migrate to the app, creating the SQLite folder if needed."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        if url.database not in (None, "", ":memory:"):
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    else:
        # A database server may drop idle connections or restart: each is tested before use.
        # One that does not answer at all is given up after a few seconds, so that a page or
        # the readiness check says so rather than waiting without end.
        options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "pool_pre_ping": True,
            "connect_args": {"connect_timeout": CONNECT_TIMEOUT_SECONDS},
            **options,
        }
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    import quest_platform.models  # noqa: F401  (registers every table on the metadata)
