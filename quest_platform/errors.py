"""Error pages in the site's design for every error a visitor can meet; JSON problems under /api."""

from __future__ import annotations

import errno
import json
import logging
import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import redis
from flask import Flask, current_app, jsonify, render_template, request, session
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sql_errors
from werkzeug.datastructures import LanguageAccept
from werkzeug.exceptions import BadHost, HTTPException, InternalServerError
from werkzeug.http import parse_accept_header
from werkzeug.wrappers import Response

from quest_platform.extensions import db
from quest_platform.request_ids import REQUEST_ID_HEADER, id_of, request_id
from quest_platform.saved_changes import SavedChanges, keep_record, saved_changes
from quest_platform.sessions import SessionStoreUnavailable, keep_no_session

logger = logging.getLogger(__name__)

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
        _l("The platform could not finish your request."),
    ),
}
# What a server error says of the service that failed (``outage``); any other is a 500.
OUTAGE_TEXTS = {
    "database": (
        _l("The platform is briefly unavailable"),
        _l("It cannot reach its database right now. Wait a minute, then try again."),
    ),
    "store": (
        _l("The platform is briefly unavailable"),
        _l(
            "It cannot reach the service that keeps you signed in right now. "
            "Wait a minute, then try again."
        ),
    ),
    "disk": (
        _l("The server is out of room"),
        _l(
            "The server could not write what it needed: its disk is full or read-only. "
            "Tell your teacher, then try again later."
        ),
    ),
}
# Seconds a client is asked to wait before trying again after an outage.
RETRY_AFTER_SECONDS = 30
# What a server error says of what the request saved before it failed (``saved_kind``).
SAVED_NOTICES = {
    "answer": _l(
        "Your answer was recorded before this error: do not send it again. "
        "Reload the page to see it."
    ),
    "change": _l(
        "Your change was saved before this error. Reload the page to check it before you "
        "send anything again."
    ),
    "nothing": _l("Nothing you sent was saved. Please try again."),
}
RECORDED = frozenset({"answer", "change"})
# Rows written on the way (an audit line, a note that something was read): not a change the
# person made.
BOOKKEEPING_TABLES = frozenset({"audit_entry", "review_seen", "thread_read"})
# Errors of the operating system that mean the disk cannot be written.
DISK_ERRORS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS})
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
    if current_app.session_interface.is_null_session(session):
        # A request served without a session (a static file, a health check): a full page's
        # forms need one.
        language = browser_language(request.environ)
        with force_locale(language):
            page = standalone_page(status, str(title), str(message), "", language)
        return Response(page, status=status, mimetype="text/html"), status
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


def outage(error: BaseException | None) -> str | None:
    """The service an unexpected error says is down ("database", "store" for Redis or the
    session store, "disk"), or None for any other error."""
    for cause in causes(error):
        if isinstance(cause, OSError) and cause.errno in DISK_ERRORS:
            return "disk"
        if isinstance(cause, sql_errors.OperationalError) and "disk" in str(cause.orig):
            # SQLite: "database or disk is full", "disk I/O error".
            return "disk"
        if isinstance(cause, sql_errors.OperationalError | sql_errors.InterfaceError):
            return "database"
        if isinstance(cause, sql_errors.TimeoutError):
            return "database"
        if isinstance(cause, redis.ConnectionError | redis.TimeoutError):
            return "store"
    for cause in causes(error):
        if isinstance(cause, SessionStoreUnavailable):
            return "store"
    return None


def causes(error: BaseException | None) -> Iterator[BaseException]:
    """``error`` and the errors it was raised from or during, innermost last."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = error.__cause__ or error.__context__


def saved_kind(method: str, saved: SavedChanges) -> str:
    """What a server error says the request saved before it failed: "answer", "change",
    "nothing", or "" for a request that changes nothing (a GET)."""
    if method in ("GET", "HEAD", "OPTIONS"):
        return ""
    if "attempt" in saved.inserted:
        return "answer"
    if saved.changed - BOOKKEEPING_TABLES:
        return "change"
    return "nothing"


def handle_unexpected_error(error: InternalServerError) -> tuple[Response, int]:
    """Undo any half-written change and answer without the database or the session.

    The answer is a page (a JSON problem under /api) that names the request's id, says which
    service is down (503) or that something went wrong (500), and what was saved before the
    error; the language is the browser's, read from the request alone.
    """
    original = error.original_exception if error.original_exception is not None else error
    try:
        db.session.rollback()
    except Exception:
        # The database may be what failed: the answer comes first.
        logger.warning("The failed request's transaction could not be rolled back.")
    keep_no_session()
    cause = outage(original)
    status = 503 if cause else 500
    title, message = OUTAGE_TEXTS[cause] if cause else ERROR_TEXTS[500]
    language = browser_language(request.environ)
    saved = saved_kind(request.method, saved_changes(request.environ))
    with force_locale(language):
        title, message = str(title), str(message)
        notice = str(SAVED_NOTICES[saved]) if saved else ""
        if is_api_request():
            response = jsonify(
                status=status,
                title=title,
                message=" ".join(filter(None, (message, notice))),
                request_id=request_id(),
                recorded=saved in RECORDED,
            )
        else:
            page = standalone_page(status, title, message, notice, language)
            response = current_app.response_class(page, mimetype="text/html")
    response.status_code = status
    if cause:
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    response.headers[REQUEST_ID_HEADER] = request_id()
    return response, status


def browser_language(environ: dict[str, Any], languages: Sequence[str] | None = None) -> str:
    """The language the browser asks for among ``languages`` (the platform's by default), read
    from the request's headers alone."""
    languages = languages or current_app.config["LANGUAGES"]
    accepted = parse_accept_header(environ.get("HTTP_ACCEPT_LANGUAGE"), LanguageAccept)
    return str(accepted.best_match(languages) or languages[0])


def standalone_page(status: int, title: str, message: str, notice: str, language: str) -> str:
    """The error page that needs neither the database nor the session: no menu, no form.

    Rendered from the Jinja environment itself, since the context processors of a full page
    read the signed-in person (the database) and the session.
    """
    template = current_app.jinja_env.get_template("errors/standalone.html")
    return template.render(
        status=status,
        title=title,
        message=message,
        saved=notice,
        reference=request_id(),
        language=language,
    )


class LastResortErrors:
    """WSGI middleware: an error that escaped the error handlers (one of them failed too, or
    the request's end failed after its reply was made) is answered with a page or problem
    made at start-up, saying what was saved, never the server's bare 500."""

    def __init__(self, app: Flask) -> None:
        self.wsgi_app = app.wsgi_app
        self.languages: tuple[str, ...] = tuple(app.config["LANGUAGES"])
        # For each language and each thing saved ("" to "nothing"): the page and the problem.
        self.pages: dict[tuple[str, str], str] = {}
        self.problems: dict[tuple[str, str], dict[str, Any]] = {}
        with app.test_request_context():
            for language in self.languages:
                with force_locale(language):
                    title, message = (str(text) for text in ERROR_TEXTS[500])
                    for saved in ("", *SAVED_NOTICES):
                        notice = str(SAVED_NOTICES[saved]) if saved else ""
                        page = standalone_page(500, title, message, notice, language)
                        self.pages[language, saved] = page.replace(request_id(), "{reference}")
                        self.problems[language, saved] = {
                            "status": 500,
                            "title": title,
                            "message": " ".join(filter(None, (message, notice))),
                            "recorded": saved in RECORDED,
                        }

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        started = False

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            nonlocal started
            started = True
            return start_response(status, headers, exc_info)

        # Made here, so that the app's copy of the environ (Socket.IO's) shares them.
        id_of(environ)
        keep_record(environ)
        try:
            return self.wsgi_app(environ, start)
        except StopIteration:
            # How Socket.IO's server ends a WebSocket connection: not an error.
            raise
        except Exception:
            logger.exception("An error page could not be made.")
            return self.last_resort(environ, start_response, replacing=started)

    def last_resort(
        self, environ: dict[str, Any], start_response: Any, *, replacing: bool
    ) -> list[bytes]:
        """A 500 written without templates, translations, the database or the session."""
        reference = id_of(environ)
        language = browser_language(environ, self.languages)
        method = environ.get("REQUEST_METHOD", "GET")
        saved = saved_kind(method, saved_changes(environ))
        if environ.get("PATH_INFO", "").startswith(API_PREFIX):
            problem = {**self.problems[language, saved], "request_id": reference}
            body, mimetype = json.dumps(problem), "application/json"
        else:
            body = self.pages[language, saved].replace("{reference}", reference)
            mimetype = "text/html; charset=utf-8"
        headers = [
            ("Content-Type", mimetype),
            ("Cache-Control", "no-store"),
            (REQUEST_ID_HEADER, reference),
        ]
        # A reply already started (its end failed) is replaced, as WSGI allows until it is sent.
        start_response("500 INTERNAL SERVER ERROR", headers, sys.exc_info() if replacing else None)
        return [body.encode()]


def register_error_pages(app: Flask) -> None:
    """Route every HTTP error to the site's error page, or to a JSON problem under /api."""
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(InternalServerError, handle_unexpected_error)
    app.wsgi_app = LastResortErrors(app)  # type: ignore[method-assign]
