"""The readiness checks: the database answers and its schema is current, Redis answers (when
configured), and the folders the platform writes to can be written.

Each check catches its own failure: a check never raises, so a probe always gets an answer.
``problem`` is one line for the person at the command line (it may name a folder, never a
password); the HTTP endpoint shows only each check's name and whether it passed.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import redis
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from quest_platform.config import REDIS_TIMEOUT_SECONDS
from quest_platform.database import MIGRATIONS_DIR
from quest_platform.extensions import db

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Check:
    """One check's outcome: its name, whether it passed, and if not, why (one line)."""

    name: str
    ok: bool
    problem: str = ""


def readiness(app: Flask) -> list[Check]:
    """Every readiness check of ``app``, in a fixed order."""
    config = app.config
    checks = [database_check(), schema_check(), folder_check("uploads", Path(config["UPLOAD_DIR"]))]
    if config.get("REDIS_URL"):
        checks.append(redis_check(config["REDIS_URL"]))
    else:
        # Without Redis, sessions are files in this folder.
        checks.append(folder_check("sessions", Path(config["SESSION_DIR"])))
    return checks


def checked(name: str, check: Callable[[], str]) -> Check:
    """Run ``check`` (which returns a problem, or "" when all is well) as the check ``name``."""
    try:
        problem = check()
    except Exception as error:  # any failure is the check's answer
        problem = f"{type(error).__name__}: {one_line(error)}"
    return Check(name, not problem, problem)


def one_line(error: BaseException) -> str:
    return " ".join(str(error).split())[:300] or "no detail"


def database_check() -> Check:
    def ping() -> str:
        try:
            with db.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except DBAPIError as error:
            # The driver's own message names what failed (refused, timed out, no such file).
            return f"the database does not answer: {one_line(error.orig or error)}"
        return ""

    return checked("database", ping)


@cache
def migration_scripts() -> ScriptDirectory:
    """The migrations of this code (read once per process)."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config)


def migration_head() -> str | None:
    """The migration the code expects the database to be at."""
    return migration_scripts().get_current_head()


def schema_check() -> Check:
    def current() -> str:
        try:
            with db.engine.connect() as connection:
                at = MigrationContext.configure(connection).get_current_revision()
        except SQLAlchemyError:
            return "the schema cannot be read while the database does not answer"
        head = migration_head()
        if at != head:
            return (
                f"the database is at migration {at or 'none'}, the code expects {head}: "
                "run `python manage.py db upgrade`"
            )
        return ""

    return checked("schema", current)


def redis_check(url: str) -> Check:
    def ping() -> str:
        client = redis.Redis.from_url(
            url,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
        )
        try:
            client.ping()
        except redis.RedisError as error:
            return f"Redis does not answer: {one_line(error)}"
        finally:
            client.close()
        return ""

    return checked("redis", ping)


def folder_check(name: str, folder: Path) -> Check:
    """The folder exists (or can be made) and a file can be written in it and removed."""

    def write() -> str:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=folder, prefix=".health-") as probe:
                probe.write(b"ok")
                probe.flush()
        except OSError as error:
            return f"the {name} folder {folder} cannot be written: {error.strerror or error}"
        return ""

    return checked(name, write)


def announce_unreachable_redis(app: Flask) -> None:
    """Say at start-up, in the server's log, that Redis does not answer and what that means.

    The server starts anyway (Redis may come back in a moment), and readiness fails meanwhile.
    """
    url = app.config.get("REDIS_URL")
    if not url or app.testing:
        return
    check = redis_check(url)
    if not check.ok:
        logger.error(
            "%s. Until it answers, pages that need a session (signing in, every signed-in "
            "page) answer 503 'briefly unavailable'; static files, the health checks and API "
            "calls with a personal token still work, rate limits are counted in each process, "
            "and code is not graded (docs/health.md).",
            check.problem,
        )
