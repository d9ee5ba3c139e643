"""Database time of the admin's attempts list: every query one page runs, against the bare SQL.

Run by ``python -m bench admin`` with the bench database in DATABASE_URL. One request per page
goes through the app in this process to record the SQL it sends; then each recorded statement
and the bare SQL of the same page are replayed on one connection (executed and fetched) and
timed, so both sides are measured the same way.
"""

from __future__ import annotations

import statistics
import sys
import time
from typing import Any

from sqlalchemy import Engine, event, select, text

from bench.baseline import ATTEMPTS_PAGE, TAUGHT_BY
from quest_platform import create_app
from quest_platform.extensions import db
from quest_platform.models import User

REPEATS = 30


def recorded_sql(engine: Engine, client: Any, path: str) -> list[tuple[str, Any]]:
    """The statements (with parameters) that one request of ``path`` sends to the database."""
    statements: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    if response.status_code != 200:
        raise SystemExit(f"{path} answered {response.status_code}")
    return statements


def replay_ms(statements: list[tuple[str, Any]]) -> float:
    """The median time, in ms, to execute and fetch every statement once, on one connection."""
    with db.engine.connect() as connection:
        raw = connection.connection.driver_connection
        timings = []
        for _ in range(REPEATS):
            started = time.perf_counter()
            for statement, parameters in statements:
                cursor = raw.cursor()
                cursor.execute(statement, parameters)
                if cursor.description is not None:
                    cursor.fetchall()
                cursor.close()
            timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def bare_ms(where: str, parameters: dict[str, Any]) -> float:
    """The median time, in ms, of the bare SQL of a page, executed and fetched."""
    query = text(ATTEMPTS_PAGE.format(where=where))
    with db.engine.connect() as connection:
        timings = []
        for _ in range(REPEATS):
            started = time.perf_counter()
            connection.execute(query, parameters).all()
            timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def signed_in(app: Any, username: str) -> Any:
    """A test client signed in as ``username``, and the user's id.

    Called outside any app context of ours: a request made while one is pushed would share
    its ``g``, where Flask-Login keeps the user it loaded, with every other request.
    """
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            raise SystemExit(f"no user {username}")
        uniquifier, user_id = user.fs_uniquifier, user.id
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = uniquifier
        session["_fresh"] = True
    return client, user_id


def main(admin: str, teacher: str, quest_filter: str, quest: int) -> None:
    """Print the database time of each page next to its bare SQL."""
    app = create_app()
    admin_client, _ = signed_in(app, admin)
    teacher_client, teacher_id = signed_in(app, teacher)
    with app.app_context():
        engine = db.engine
    pages = [
        ("first page", admin_client, "/admin/attempt/", "", {}),
        (
            "filtered by quest",
            admin_client,
            f"/admin/attempt/?{quest_filter}={quest}",
            "WHERE a.quest_id = :quest",
            {"quest": quest},
        ),
        (
            "teacher's first page",
            teacher_client,
            "/admin/attempt/",
            TAUGHT_BY,
            {"teacher": teacher_id},
        ),
    ]
    print(f"\n{'database time per page':<44}{'queries':>8}{'page ms':>9}{'bare ms':>9}{'×':>7}")
    for label, client, path, where, parameters in pages:
        client.get(path)  # warm the caches, as the HTTP runs did
        statements = recorded_sql(engine, client, path)
        with app.app_context():
            page, bare = replay_ms(statements), bare_ms(where, parameters)
        print(
            f"{'admin: attempts, ' + label:<44}{len(statements):>8}"
            f"{page:>9.2f}{bare:>9.2f}{page / bare:>7.2f}"
        )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
