"""The JSON API: /api/v1 for students' own front ends, and the course front end's /api calls.

Its OpenAPI document is generated from the schemas of each resource (flask-smorest) and served
at /api/v1/openapi.json. Calls from other origins are allowed, with credentials, for the
origins in API_ALLOWED_ORIGINS only; see access.py for signing in and CSRF.
"""

from __future__ import annotations

from flask import Flask
from flask_cors import CORS
from flask_smorest import Api
from flask_smorest.spec.plugins import integerconverter2paramschema

from quest_platform.api.access import CSRF_HEADERS, CUSTOM_HEADER, authenticate_api_call
from quest_platform.api.problems import ProblemOut
from quest_platform.extensions import csrf
from quest_platform.urls import RecordId


class QuestApi(Api):
    """flask-smorest's Api, documenting every error with the platform's problem shape."""

    # Any schema may document the errors: flask-smorest's own attribute is typed by its default.
    ERROR_SCHEMA = ProblemOut  # type: ignore[assignment]


def register_api(app: Flask) -> None:
    """Serve /api: its resources, their OpenAPI document, CORS and token sign-in."""
    from quest_platform.api import (
        classrooms,
        course,
        feedback,
        leaderboards,
        me,
        quests,
        reference,
        reviews,
        session,
        teaching,
        tokens,
    )

    app.config.setdefault("API_TITLE", "Quest Platform API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    api = QuestApi(app, spec_kwargs={"components": {"securitySchemes": SECURITY_SCHEMES}})
    api.register_converter(RecordId, integerconverter2paramschema)
    resources = (
        session,
        tokens,
        me,
        classrooms,
        teaching,
        quests,
        leaderboards,
        feedback,
        reviews,
        course,
    )
    for module in resources:
        # The API checks its own CSRF rule (access.py): a token, or a header forms cannot send.
        csrf.exempt(module.bp)
        api.register_blueprint(module.bp)
    app.extensions["quest_api"] = api
    app.register_blueprint(reference.bp)
    app.before_request(authenticate_api_call)
    CORS(
        app,
        resources={r"/api/*": {"origins": app.config["API_ALLOWED_ORIGINS"]}},
        supports_credentials=True,
        allow_headers=["Content-Type", "Authorization", CUSTOM_HEADER, *CSRF_HEADERS],
        methods=["GET", "POST", "PATCH", "DELETE"],
        max_age=600,
    )


SECURITY_SCHEMES = {
    "token": {"type": "http", "scheme": "bearer", "description": "A personal API token."},
    "session": {"type": "apiKey", "in": "cookie", "name": "quest_session"},
}
