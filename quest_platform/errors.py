"""Error pages in the site's design for every error a visitor can meet; JSON problems under /api."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadHost, HTTPException, InternalServerError
from werkzeug.wrappers import Response

from quest_platform.extensions import db

ERROR_TEXTS = {
    400: (
        _l("That request did not make sense"),
        _l("Something in the form or link was malformed. Go back and try again."),
    ),
    401: (_l("Please sign in"), _l("You need to sign in to see this page.")),
    403: (
        _l("You do not have access"),
        _l("Your account cannot open this page. If you think it should, ask your teacher."),
    ),
    404: (
        _l("Page not found"),
        _l("There is no page at this address. Check the link or start again from the home page."),
    ),
    405: (
        _l("That action is not allowed here"),
        _l("This page does not accept that kind of request."),
    ),
    413: (
        _l("That was too large"),
        _l("The form or file you sent is larger than the platform accepts."),
    ),
    415: (
        _l("This page takes a form"),
        _l("Send the page's own form. Programs can use the JSON API under /api/v1."),
    ),
    422: (_l("Please check your input"), _l("Some of what you sent could not be used.")),
    429: (_l("Too many attempts"), _l("Please wait a minute before trying again.")),
    500: (
        _l("Something went wrong"),
        _l("The platform could not finish your request. Nothing was saved. Please try again."),
    ),
}
# Under this prefix errors are JSON problems (see quest_platform/api), elsewhere pages.
API_PREFIX = "/api/"
CSRF_TEXT = (
    _l("Your form expired"),
    _l("For your safety, forms stop working after a while. Reload the page and send it again."),
)


def is_api_request() -> bool:
    """Whether this request is under /api, where errors are JSON."""
    return request.path.startswith(API_PREFIX)


def problem(
    status: int, message: str | None = None, *, errors: dict[str, Any] | None = None
) -> tuple[Response, int]:
    """The JSON answer for an error with ``status``; ``message`` replaces the usual advice."""
    title, advice = ERROR_TEXTS.get(status, ERROR_TEXTS[500])
    body: dict[str, Any] = {
        "status": status,
        "title": str(title),
        "message": message or str(advice),
    }
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    return response, status


def problem_from(error: HTTPException) -> tuple[Response, int]:
    """An HTTP error raised under /api as a problem, with the field errors the parser found."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    messages = data.get("messages")
    errors = None
    if isinstance(messages, dict):
        # webargs keys field errors by location ("json", "query"): the fields are what matter.
        errors = {}
        for located in messages.values():
            if isinstance(located, dict):
                errors.update(located)
            else:
                errors["_body"] = located
    message = data.get("message") if isinstance(data.get("message"), str) else None
    response, status = problem(status, message, errors=errors)
    for name, value in getattr(error, "get_headers", lambda: [])():
        if name.lower() in {"allow", "retry-after"}:
            response.headers[name] = value
    return response, status


def render_error(status: int, texts: tuple[str, str] | None = None) -> tuple[str | Response, int]:
    """Render the error page for ``status`` with its title and explanation."""
    title, message = texts or ERROR_TEXTS.get(status, ERROR_TEXTS[500])
    if isinstance(request.routing_exception, BadHost):
        # No address of the site can be written for a Host header that names no host, and a
        # page links to others: the error is told in plain text.
        return Response(f"{title}\n\n{message}\n", status=status, mimetype="text/plain"), status
    return render_template("errors/error.html", status=status, title=title, message=message), status


def handle_http_error(error: HTTPException) -> tuple[str | Response, int]:
    """Show an HTTP error in the site's design, or as a JSON problem under /api."""
    if is_api_request():
        return problem_from(error)
    if error.code == 413:
        return render_error(413, too_large_texts())
    return render_error(error.code or 500)


def too_large_texts() -> tuple[str, str]:
    """What a page says of a request over the size limit: the limit, and what to do."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    return str(ERROR_TEXTS[413][0]), _(
        "The form or file you sent is larger than the platform accepts: at most %(size)d MB. "
        "Go back and send a smaller file.",
        size=max(1, limit // (1024 * 1024)),
    )


def handle_csrf_error(error: CSRFError) -> tuple[str | Response, int]:
    """Explain a missing or expired CSRF token in plain words."""
    if is_api_request():
        return problem(400, str(CSRF_TEXT[1]))
    return render_error(400, CSRF_TEXT)


def handle_unexpected_error(error: InternalServerError) -> tuple[str | Response, int]:
    """Undo any half-written change and show the generic error page, never a traceback."""
    db.session.rollback()
    if is_api_request():
        return problem(500)
    return render_error(500)


def register_error_pages(app: Flask) -> None:
    """Route every HTTP error to the site's error page, or to a JSON problem under /api."""
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(InternalServerError, handle_unexpected_error)
