"""Error pages in the site's design, for every error a visitor can meet."""

from __future__ import annotations

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

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
    422: (_l("Please check your input"), _l("Some of what you sent could not be used.")),
    429: (_l("Too many attempts"), _l("Please wait a minute before trying again.")),
    500: (
        _l("Something went wrong"),
        _l("The platform could not finish your request. Nothing was saved. Please try again."),
    ),
}
CSRF_TEXT = (
    _l("Your form expired"),
    _l("For your safety, forms stop working after a while. Reload the page and send it again."),
)


def render_error(status: int, texts: tuple[str, str] | None = None) -> tuple[str, int]:
    """Render the error page for ``status`` with its title and explanation."""
    title, message = texts or ERROR_TEXTS.get(status, ERROR_TEXTS[500])
    return render_template("errors/error.html", status=status, title=title, message=message), status


def handle_http_error(error: HTTPException) -> tuple[str, int]:
    """Show an HTTP error in the site's design."""
    return render_error(error.code or 500)


def handle_csrf_error(error: CSRFError) -> tuple[str, int]:
    """Explain a missing or expired CSRF token in plain words."""
    return render_error(400, CSRF_TEXT)


def handle_unexpected_error(error: InternalServerError) -> tuple[str, int]:
    """Undo any half-written change and show the generic error page, never a traceback."""
    db.session.rollback()
    return render_error(500)


def register_error_pages(app: Flask) -> None:
    """Route every HTTP error to the site's error page."""
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(InternalServerError, handle_unexpected_error)
