"""The baselines: a bare Flask app doing one primary-key select, or just the SQL of a page."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, abort, request
from sqlalchemy import create_engine, text

from quest_platform.config import database_url

engine = create_engine(database_url(os.environ.get("DATABASE_URL"), "sqlite:///bench.db"))
app = Flask(__name__)

# The first page of the attempts list, newest first, with the names it shows: the SQL a
# hand-written page would run. ``{where}`` narrows it like the admin's filters and scope.
ATTEMPTS_PAGE = """
SELECT a.id, a.submitted_at, u.display_name, q.title AS quest, s.position, s.title AS stage,
       a.outcome, a.score, a.max_score
FROM attempt a
JOIN "user" u ON u.id = a.student_id
JOIN quest q ON q.id = a.quest_id
JOIN stage s ON s.id = a.stage_id
{where}
ORDER BY a.submitted_at DESC, a.id DESC
LIMIT 50
"""
# A teacher sees attempts by their classrooms' students on quests given to those classrooms.
TAUGHT_BY = """
WHERE EXISTS (
  SELECT 1 FROM enrollment e
  JOIN classroom_teacher ct ON ct.classroom_id = e.classroom_id
  JOIN quest_assignment qa ON qa.classroom_id = e.classroom_id
  WHERE e.student_id = a.student_id AND qa.quest_id = a.quest_id AND ct.teacher_id = :teacher
)
"""


@app.get("/user/<int:user_id>")
def user(user_id: int) -> dict[str, object]:
    """Return one user's public name, read by primary key."""
    with engine.connect() as connection:
        row = connection.execute(
            text('SELECT id, display_name FROM "user" WHERE id = :id'), {"id": user_id}
        ).first()
    if row is None:
        abort(404)
    return {"id": row.id, "display_name": row.display_name}


@app.get("/attempts")
def attempts() -> dict[str, Any]:
    """The attempts list's first page as bare SQL: all, one quest's, or one teacher's."""
    where, parameters = "", {}
    if "quest" in request.args:
        where, parameters = "WHERE a.quest_id = :quest", {"quest": int(request.args["quest"])}
    elif "teacher" in request.args:
        where, parameters = TAUGHT_BY, {"teacher": int(request.args["teacher"])}
    with engine.connect() as connection:
        rows = connection.execute(text(ATTEMPTS_PAGE.format(where=where)), parameters).all()
    return {"attempts": [[str(value) for value in row] for row in rows]}
