"""Personal API tokens: a student makes one for their own front end, sees it once, revokes it."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from quest_platform.api.access import caller, refuse, signed_in
from quest_platform.extensions import db
from quest_platform.models import ApiToken, utcnow
from quest_platform.services import ServiceError
from quest_platform.services.tokens import (
    DEFAULT_DAYS,
    MAX_DAYS,
    create_api_token,
    revoke_api_token,
)

bp = Blueprint(
    "api_tokens",
    __name__,
    url_prefix="/api/v1/tokens",
    description=(
        "Personal API tokens: send one as `Authorization: Bearer <token>` instead of a session"
        " cookie. A token is shown once, when it is made; it expires, and its owner can revoke it."
        " A new password, a password reset or a deactivation revokes all of them."
    ),
)


class TokenIn(Schema):
    """A new token: a name to recognise it by, and for how many days it works."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=60))
    days = fields.Integer(
        load_default=DEFAULT_DAYS, validate=validate.Range(min=1, max=MAX_DAYS), strict=True
    )


class TokenOut(Schema):
    """A token as its owner's list shows it: never the token itself."""

    id = fields.Integer(required=True)
    name = fields.String(required=True)
    prefix = fields.String(required=True, metadata={"description": "The token's first letters."})
    created_at = fields.DateTime(required=True)
    expires_at = fields.DateTime(required=True)
    revoked_at = fields.DateTime(required=True, allow_none=True)
    last_used_at = fields.DateTime(required=True, allow_none=True)
    works = fields.Boolean(required=True, metadata={"description": "Neither expired nor revoked."})


class NewTokenOut(TokenOut):
    """A token just made, with the token itself: shown this once, copy it now."""

    token = fields.String(required=True)


def token_out(token: ApiToken) -> dict[str, Any]:
    data = {name: getattr(token, name) for name in TokenOut().fields if name != "works"}
    data["works"] = token.works_at(utcnow())
    return data


@bp.get("")
@bp.response(200, TokenOut(many=True))
@signed_in()
def list_tokens() -> Any:
    """Your tokens, newest first."""
    query = (
        select(ApiToken)
        .where(ApiToken.user_id == caller().id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )
    return [token_out(token) for token in db.session.scalars(query)]


@bp.post("")
@bp.arguments(TokenIn)
@bp.response(201, NewTokenOut)
@signed_in(session_only=True)
def make_token(request_data: dict[str, Any]) -> Any:
    """Make a token, signed in with your password (a token cannot make tokens). The answer
    holds the token itself: it is never shown again."""
    try:
        made = create_api_token(user=caller(), name=request_data["name"], days=request_data["days"])
    except ServiceError as error:
        refuse(error)
    return {**token_out(made.token), "token": made.secret}


@bp.delete("/<int:token_id>")
@bp.response(200, TokenOut)
@signed_in()
def revoke_token(token_id: int) -> Any:
    """Revoke one of your tokens: it stops working at once."""
    try:
        token = revoke_api_token(user=caller(), token_id=token_id)
    except ServiceError as error:
        refuse(error)
    return token_out(token)
