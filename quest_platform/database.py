"""The database connection: SQLAlchemy, Alembic migrations and SQLite tuning."""

from __future__ import annotations

import logging
import sqlite3
from contextlib import suppress
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError

from quest_platform.extensions import db, migrate

MIGRATIONS_DIR = Path(__file__).parent.parent / "migrations"
logger = logging.getLogger(__name__)
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


def end_session(error: BaseException | None = None) -> None:
    """End the request's database session, even over a connection the server has closed.

    A database that restarted after a request committed makes the closing rollback fail; the
    request's answer stands (its reply is already made), so the session is dropped and the
    failure logged, not raised.
    """
    try:
        db.session.remove()
    except (OperationalError, InterfaceError) as failure:
        # Its connections are discarded without the rollback that failed, never left open.
        with suppress(SQLAlchemyError):
            db.session().invalidate()
        db.session.registry.clear()
        logger.warning("The database session ended on a lost connection: %s", failure.orig)


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
    # Registered after Flask-SQLAlchemy's own, so it runs first (teardowns run in reverse).
    app.teardown_appcontext(end_session)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    import quest_platform.models
    import quest_platform.saved_changes  # noqa: F401  (notes what each request commits)
