"""Who calls the API: a personal token or the session cookie, with CSRF rules for the cookie.

A call is signed in by ``Authorization: Bearer <token>`` (a personal API token), or by the
session cookie of a signed-in browser. A cookie-authenticated call that changes anything must
prove it comes from a page allowed to make it: an ``X-CSRFToken`` header with the token from
``GET /api/v1/session/csrf``, or a custom header such as the course front end's ``X-Origin``.
A browser sends a custom header to another origin only after a preflight, which CORS answers
for the allowed origins only; and when the browser names the calling page's origin, that origin
must be this site or an allowed one. Token-authenticated calls carry no cookie to abuse.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, NoReturn

from flask import current_app, g, request, session
from flask_babel import gettext as _
from flask_security import current_user
from flask_smorest import abort
from flask_wtf.csrf import ValidationError, validate_csrf
from werkzeug.wrappers import Response

from quest_platform.errors import is_api_request, problem
from quest_platform.models import User
from quest_platform.services import ServiceError
from quest_platform.services.tokens import user_for_token
from quest_platform.sessions import sign_in_for_this_request

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADERS = ("X-CSRFToken", "X-CSRF-Token")
# A header that no HTML form can send: a browser adds it cross-origin only after a preflight.
CUSTOM_HEADER = "X-Origin"


def allowed_origins() -> list[str]:
    """The origins whose pages may call the API with credentials (API_ALLOWED_ORIGINS)."""
    return list(current_app.config["API_ALLOWED_ORIGINS"])


def own_origin() -> str:
    """This site's origin, as a browser names it."""
    return request.host_url.rstrip("/")


def authenticate_api_call() -> tuple[Response, int] | None:
    """Sign in a call's token, and refuse a cookie write that could come from another site."""
    if not is_api_request():
        return None
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _space, secret = header.partition(" ")
        user = user_for_token(secret.strip()) if scheme.lower() == "bearer" else None
        if user is None:
            return problem(
                401, _("This token does not work: it may be mistyped, expired or revoked.")
            )
        sign_in_for_this_request(user)
        g.api_signed_in_by = "token"
        return None
    if request.method in SAFE_METHODS or "_user_id" not in session:
        return None
    g.api_signed_in_by = "session"
    origin = request.headers.get("Origin")
    if origin is not None and origin not in (own_origin(), *allowed_origins()):
        return problem(403, _("Calls from this website are not allowed."))
    token = next((request.headers[name] for name in CSRF_HEADERS if name in request.headers), None)
    if token is not None:
        try:
            validate_csrf(token)
        except ValidationError:
            return problem(400, _("The CSRF token is missing, expired or wrong: fetch a new one."))
        return None
    if not request.headers.get(CUSTOM_HEADER):
        return problem(
            400,
            _(
                "Send the X-CSRFToken header (from GET /api/v1/session/csrf) or the X-Origin"
                " header with this call."
            ),
        )
    return None


def signed_in(
    *, staff: bool = False, before_new_password: bool = False, session_only: bool = False
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Let signed-in callers through (only teachers and administrators with ``staff``).

    Anyone else gets 401 (not signed in) or 403 (signed in without the role). A user holding a
    one-time password may call only what ``before_new_password`` opens (who am I, sign out).
    With ``session_only``, a call signed in by a personal token gets 403: it needs the session
    of someone who signed in with their password.
    """

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return problem(401, _("Sign in, or send a personal API token."))
            if session_only and g.get("api_signed_in_by") == "token":
                return problem(
                    403, _("Sign in with your password to do this: a token cannot do it.")
                )
            if current_user.must_change_password and not before_new_password:
                return problem(403, _("Choose a new password on the platform first."))
            if staff and not current_user.is_staff:
                return problem(403, _("Only teachers and administrators may call this."))
            return view(*args, **kwargs)

        return guarded

    return decorate


def caller() -> User:
    """The signed-in caller (inside a view guarded by :func:`signed_in`)."""
    user: User = current_user._get_current_object()
    return user


def refuse(error: ServiceError) -> NoReturn:
    """Answer a service's refusal with its status and message (the service undid its work)."""
    messages = {"json": {error.field: [error.message]}} if error.field else None
    abort(error.status_code, message=error.message, messages=messages)
