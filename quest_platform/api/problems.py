"""The shape of every error under /api, for the API's document (answered by errors.py)."""

from __future__ import annotations

from marshmallow import Schema, fields


class ProblemOut(Schema):
    """What every error under /api answers: the status, a title, a message, and field errors."""

    status = fields.Integer(required=True, metadata={"description": "The HTTP status."})
    title = fields.String(required=True, metadata={"description": "What went wrong, briefly."})
    message = fields.String(required=True, metadata={"description": "What to do about it."})
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(),
        metadata={"description": "For bad input: each field's problems, by field name."},
    )
