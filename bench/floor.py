"""The floor of the quiz submit benchmark: the platform with one more route, served by gunicorn.

``POST /bench/signed-in`` does only what every answer's request does before its own work: it
loads the session and the signed-in student, checks the CSRF token and redirects, recording
nothing. No answer can be handed in faster than this on the same machine, so ``python -m bench
portal`` measures it beside the quiz submit, as a ratio to the same baseline.
"""

from __future__ import annotations

from flask import Flask, redirect, url_for
from werkzeug.wrappers import Response

from quest_platform import create_app
from quest_platform.portal.routes import student_only

FLOOR_PATH = "/bench/signed-in"


def create_floor_app() -> Flask:
    """The platform, plus the signed-in POST that records nothing."""
    app = create_app()

    @app.post(FLOOR_PATH)
    @student_only
    def signed_in_post() -> Response:
        return redirect(url_for("portal.quest_map"))

    return app
