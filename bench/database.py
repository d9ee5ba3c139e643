"""The bench's database: an empty one per run, and the rows a run records.

SQLite: a file in the run's temporary folder. PostgreSQL (``BENCH_DATABASE_URL``): a schema of
the run's own in that database, made every connection's search path through the URL, and
dropped with everything in it at the end, so a shared database (the tests' ``test``) is safe to
name. Every connection of the run carries the application name ``quest-bench-<hex>``, so the
lock sampler (bench/locks.py) watches the run's own connections and nobody else's.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from quest_platform.config import database_url

# The rows of the tables an answer writes, counted before and after every run that writes.
ROW_COUNTS = text(
    "SELECT (SELECT count(*) FROM attempt) AS attempt,"
    " (SELECT count(*) FROM points_entry) AS points_entry"
)


@contextmanager
def bench_database(folder: Path) -> Iterator[str]:
    """The URL of an empty database for this run, removed at the end."""
    given = os.environ.get("BENCH_DATABASE_URL")
    if not given:
        yield f"sqlite:///{folder}/bench.db"
        return
    server = make_url(database_url(given, given))
    if server.get_backend_name() != "postgresql":
        raise SystemExit("BENCH_DATABASE_URL must name a PostgreSQL database (or be unset)")
    run = secrets.token_hex(5)
    schema = f"bench_{run}"
    admin = create_engine(server)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = server.update_query_dict(
        {"options": f"-csearch_path={schema}", "application_name": f"quest-bench-{run}"}
    )
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def is_postgres(database: str) -> bool:
    """Whether the bench database is PostgreSQL."""
    return make_url(database).get_backend_name() == "postgresql"


def engine_for(database: str) -> Engine:
    """An engine on the bench database (its schema and application name included)."""
    return create_engine(database_url(database, database))


def scalar(database: str, query: str, **parameters: object) -> int:
    """One number from the bench database (an id, a count)."""
    engine = engine_for(database)
    with engine.connect() as connection:
        value = connection.execute(text(query), parameters).scalar_one()
    engine.dispose()
    return int(value)


def row_counts(engine: Engine) -> dict[str, int]:
    """The rows of each table an answer writes."""
    with engine.connect() as connection:
        return dict(connection.execute(ROW_COUNTS).mappings().one())


def analyze(database: str) -> None:
    """Gather the planner's statistics, as a database in use has them (autovacuum, ANALYZE)."""
    engine = engine_for(database)
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    engine.dispose()
