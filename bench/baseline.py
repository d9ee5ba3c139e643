"""The baseline: a bare Flask app that does one primary-key select per request."""

from __future__ import annotations

import os

from flask import Flask, abort
from sqlalchemy import create_engine, text

from quest_platform.config import database_url

engine = create_engine(database_url(os.environ.get("DATABASE_URL"), "sqlite:///bench.db"))
app = Flask(__name__)


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
