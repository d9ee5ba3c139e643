"""Throttles: one sign-in budget per address and one per account, shared by every path that
checks a password, and a budget for joining a class.

An account's budget counts every try, right or wrong, before its password is checked: tries
sent all at once cannot slip past it. An address's budget counts the tries that fail: a whole
class signs in at once from its school's one address, while guesses across many accounts from
one address run out of tries. Past a budget the answer is 429 (the site's page, or a JSON
problem under /api) with Retry-After. The budgets come from LOGIN_RATE_LIMIT (per address),
LOGIN_ACCOUNT_RATE_LIMIT (per account, whichever address tries it) and JOIN_RATE_LIMIT.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any, ParamSpec, TypeVar, cast

from flask import Blueprint, Flask, current_app, g, request
from flask_security import current_user, user_authenticated
from werkzeug.wrappers import Response

from quest_platform.extensions import limiter
from quest_platform.services.accounts import login_name

P = ParamSpec("P")
R = TypeVar("R")

# Every endpoint that checks a password, and where its request names the account: a field of
# its form or JSON body, or None for the signed-in user's own account (confirming or changing
# their password). A new path that checks a password belongs here.
SIGN_IN_PATHS: dict[str, str | None] = {
    "security.login": "email",
    "security.verify": None,
    "security.change_password": None,
    "api_session.log_in": "username",
    "api_course.authenticate": "uid",
}


def address_budget() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


def account_budget() -> str:
    return str(current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"])


def join_budget() -> str:
    return str(current_app.config["JOIN_RATE_LIMIT"])


def is_not_sign_in() -> bool:
    return request.endpoint not in SIGN_IN_PATHS


def account_tried() -> str:
    """The account a sign-in names, as a digest of its name as looked up ("" for none)."""
    if request.endpoint not in SIGN_IN_PATHS:
        return ""
    field = SIGN_IN_PATHS[request.endpoint]
    if field is None:
        name = current_user.username if current_user.is_authenticated else ""
    else:
        try:
            sent: Any = request.get_json(silent=True) if request.is_json else request.form
        except RecursionError:
            # Nested too deep to read: the request names no account, and is refused later.
            sent = None
        value = sent.get(field) if isinstance(sent, Mapping) else None
        name = login_name(value) if isinstance(value, str) else ""
    # A digest keeps names out of the limiter's storage and its keys short.
    return hashlib.sha256(name.encode()).hexdigest() if name else ""


def tried_in_vain(response: Response) -> bool:
    """Whether a sign-in try failed (no one was signed in by it)."""
    return not g.get("signed_in_by_request", False)


def note_sign_in(app: Flask, user: object, **extra: Any) -> None:
    g.signed_in_by_request = True


def names_no_account() -> bool:
    # A try naming no account spends from its address's budget only.
    return not account_tried()


by_address = limiter.shared_limit(
    address_budget,
    scope="sign-in",
    methods=["POST"],
    exempt_when=is_not_sign_in,
    deduct_when=tried_in_vain,
)
by_account = limiter.shared_limit(
    account_budget,
    scope="sign-in-account",
    key_func=account_tried,
    methods=["POST"],
    exempt_when=names_no_account,
)
throttled_join = limiter.limit(join_budget, methods=["POST"])


def throttled_sign_in(view: Callable[P, R]) -> Callable[P, R]:
    """Spend a try from its address's and its account's sign-in budgets before ``view`` runs."""
    return by_address(by_account(view))


def throttle_security_views(app: Flask) -> None:
    """Put Flask-Security's own sign-in paths (in SIGN_IN_PATHS) on the same budgets.

    Its views are its own: the budgets attach to its blueprint, and leave its other views (such
    as signing out) alone through ``is_not_sign_in``.
    """
    # Flask types its blueprints by their base class; the one of Flask-Security is a Blueprint.
    blueprint = cast(Blueprint, app.blueprints["security"])
    by_address(blueprint)
    by_account(blueprint)
    user_authenticated.connect(note_sign_in, app)
