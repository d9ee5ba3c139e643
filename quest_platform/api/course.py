"""The course front end's sign-in contract: /api/authenticate and /api/id.

The course's own pages log in with ``{uid, password}``, read the current user from
``/api/id`` and log out with ``DELETE /api/authenticate``, with ``credentials: 'include'`` and
an ``X-Origin`` header: they work against this platform unchanged.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_security import logout_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from quest_platform.api.access import caller, signed_in
from quest_platform.api.schemas import role_names
from quest_platform.api.session import sign_in, wrong_login
from quest_platform.throttles import throttled_sign_in

bp = Blueprint(
    "api_course",
    __name__,
    url_prefix="/api",
    description="The course front end's sign-in calls, kept as its pages expect them.",
)


class AuthenticateIn(Schema):
    """The course pages' sign-in: ``uid`` is the username (or email address)."""

    uid = fields.String(required=True, validate=validate.Length(min=1, max=255))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))


class IdOut(Schema):
    """The signed-in user as the course pages read it."""

    id = fields.Integer(required=True)
    uid = fields.String(required=True, metadata={"description": "The username."})
    name = fields.String(required=True, metadata={"description": "The display name."})
    roles = fields.List(fields.String(), required=True)


class MessageOut(Schema):
    """A short confirmation."""

    message = fields.String(required=True)


def id_of(user: Any) -> dict[str, Any]:
    return {
        "id": user.id,
        "uid": user.username,
        "name": user.display_name,
        "roles": role_names(user),
    }


@bp.post("/authenticate")
@throttled_sign_in
@bp.arguments(AuthenticateIn)
@bp.response(200, IdOut)
def authenticate(credentials: dict[str, str]) -> Any:
    """Sign in with ``{uid, password}``: sets the session cookie."""
    user = sign_in(credentials["uid"], credentials["password"])
    if user is None:
        return wrong_login()
    return id_of(user)


@bp.get("/id")
@bp.response(200, IdOut)
@signed_in(before_new_password=True)
def current() -> Any:
    """The signed-in user."""
    return id_of(caller())


@bp.delete("/authenticate")
@bp.response(200, MessageOut)
@signed_in(before_new_password=True)
def sign_out() -> Any:
    """Sign out: the session ends on the server."""
    logout_user()
    return {"message": _("Signed out.")}
