"""The floors of the portal benchmark: the platform with one more route, served by gunicorn.

``POST /bench/signed-in`` does only what every answer's request does before its own work: it
loads the session and the signed-in student, checks the CSRF token and redirects, recording
nothing. No answer can be handed in faster than this on the same machine, so ``python -m bench
portal`` measures it in every round of the quiz answers, and each answer's ratio is to the
floor of its round. ``GET /bench/signed-in`` is the floor of a student's page: the session and
the student loaded, a few bytes of text sent back, no query and no template of its own.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, redirect, url_for
from werkzeug.wrappers import Response

from quest_platform import create_app
from quest_platform.portal.routes import student_only

FLOOR_PATH = "/bench/signed-in"


def create_floor_app(**overrides: Any) -> Flask:
    """The platform (with the settings in ``overrides``), plus the signed-in GET and POST that
    do nothing of their own."""
    app = create_app(**overrides)

    @app.get(FLOOR_PATH)
    @student_only
    def signed_in_get() -> str:
        return "signed in"

    @app.post(FLOOR_PATH)
    @student_only
    def signed_in_post() -> Response:
        return redirect(url_for("portal.quest_map"))

    return app
