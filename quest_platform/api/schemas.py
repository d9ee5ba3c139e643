"""Output schemas the API's resources share: the caller, and their classrooms."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields


class MeOut(Schema):
    """The signed-in user: who they are and their preferences. Never a password or token."""

    id = fields.Integer(required=True)
    username = fields.String(required=True)
    display_name = fields.String(required=True)
    pseudonym = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)
    language = fields.String(
        required=True, allow_none=True, metadata={"description": "Null: the browser's."}
    )
    theme = fields.String(required=True)
    reduced_motion = fields.Boolean(required=True)
    leaderboard_opt_in = fields.Boolean(required=True)
    must_change_password = fields.Boolean(
        required=True,
        metadata={"description": "A one-time password: choose a new one on the platform first."},
    )


def me_of(user: object) -> dict[str, object]:
    """The fields of :class:`MeOut` for ``user``."""
    data = {name: getattr(user, name) for name in MeOut().fields if name != "roles"}
    data["roles"] = role_names(user)
    return data


def role_names(user: Any) -> list[str]:
    """The names of ``user``'s roles, in order."""
    return sorted(role.name for role in user.roles)


class ClassroomOut(Schema):
    """A classroom the caller studies in or teaches."""

    id = fields.Integer(required=True)
    name = fields.String(required=True)
    term = fields.String(required=True)
    period = fields.Integer(required=True)
    leaderboard_enabled = fields.Boolean(required=True)
