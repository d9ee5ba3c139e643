"""Signing in and out through the API, who is signed in, and the CSRF token for cookie calls."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_security import login_user, logout_user
from flask_smorest import Blueprint
from flask_wtf.csrf import generate_csrf
from marshmallow import Schema, fields, validate

from quest_platform.api.access import caller, signed_in
from quest_platform.api.schemas import MeOut, me_of
from quest_platform.errors import problem
from quest_platform.extensions import db
from quest_platform.models import User
from quest_platform.services.accounts import authenticate_user
from quest_platform.throttles import throttled_sign_in

bp = Blueprint(
    "api_session",
    __name__,
    url_prefix="/api/v1/session",
    description="Sign in with a username and password (a session cookie), sign out, who am I.",
)


class LoginIn(Schema):
    """A username (or email address) and password."""

    username = fields.String(required=True, validate=validate.Length(min=1, max=255))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))


class CsrfOut(Schema):
    """The token that cookie-authenticated calls send in the X-CSRFToken header."""

    csrf_token = fields.String(required=True)


def sign_in(identity: str, password: str) -> User | None:
    """Sign the user in with a new session (cookie), or None for a wrong username or password."""
    user = authenticate_user(login=identity, password=password)
    if user is None:
        return None
    login_user(user, remember=False, authn_via=["password"])
    db.session.commit()
    return user


def wrong_login() -> Any:
    return problem(401, _("The username or password is not right."))


@bp.post("")
@throttled_sign_in
@bp.arguments(LoginIn)
@bp.response(200, MeOut)
def log_in(credentials: dict[str, str]) -> Any:
    """Sign in: sets the session cookie. A few tries a minute per address and per account, shared
    with every other way of signing in."""
    user = sign_in(credentials["username"], credentials["password"])
    if user is None:
        return wrong_login()
    return me_of(user)


@bp.get("")
@bp.response(200, MeOut)
@signed_in(before_new_password=True)
def who_am_i() -> Any:
    """The signed-in user."""
    return me_of(caller())


@bp.delete("")
@bp.response(204)
@signed_in(before_new_password=True)
def log_out() -> None:
    """Sign out: the session ends on the server."""
    logout_user()


@bp.get("/csrf")
@bp.response(200, CsrfOut)
def csrf() -> Any:
    """A CSRF token for this session, to send as X-CSRFToken with cookie-authenticated writes."""
    return {"csrf_token": generate_csrf()}
