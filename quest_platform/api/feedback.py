"""The conversation about an attempt: its messages, and writing one.

Its student, their teachers and administrators take part; to anyone else the conversation does
not exist (404). Reading it here does not mark it read (a GET changes nothing): the platform's
pages do.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields

from quest_platform.api.access import caller, refuse, signed_in
from quest_platform.feedback.budget import throttled_messages
from quest_platform.models import Attempt
from quest_platform.queries.feedback import (
    ThreadMessage,
    message_seen,
    thread_attempt,
    thread_of,
)
from quest_platform.services import ServiceError
from quest_platform.services.feedback import post_message

bp = Blueprint(
    "api_feedback",
    __name__,
    url_prefix="/api/v1/attempts",
    description="The conversation about an attempt: its student, their teachers and admins.",
)


class ThreadMessageOut(Schema):
    """One message, as the caller may see it."""

    id = fields.Integer(required=True)
    attempt_id = fields.Integer(required=True)
    author = fields.String(
        required=True, allow_none=True, metadata={"description": "Null: a deleted account."}
    )
    author_role = fields.String(
        required=True,
        metadata={"description": "`student`, `teacher` or `peer_reviewer` (of the attempt)."},
    )
    own = fields.Boolean(required=True, metadata={"description": "You wrote it."})
    created_at = fields.DateTime(required=True)
    hidden = fields.Boolean(required=True, metadata={"description": "A teacher hid it."})
    body = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "Markdown as written; null when hidden from you."},
    )
    body_html = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "Sanitized HTML; null when hidden from you."},
    )


class ThreadMessageIn(Schema):
    """A message to write: Markdown, at most 4,000 characters once trimmed."""

    body = fields.String(required=True)


def message_out(message: ThreadMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "attempt_id": message.attempt_id,
        "author": message.author_name,
        "author_role": message.author_role,
        "own": message.own,
        "created_at": message.created_at,
        "hidden": message.hidden,
        "body": message.body,
        "body_html": str(message.body_html) if message.body_html is not None else None,
    }


def attempt_or_404(attempt_id: int) -> Attempt:
    """The attempt whose conversation the caller may take part in; 404 otherwise."""
    attempt = thread_attempt(viewer=caller(), attempt_id=attempt_id)
    if attempt is None:
        abort(404, message=_("There is no conversation about this attempt among yours."))
    return attempt


@bp.get("/<int:attempt_id>/messages")
@bp.response(200, ThreadMessageOut(many=True))
@signed_in()
def messages(attempt_id: int) -> Any:
    """The messages about an attempt, oldest first; a hidden one without its text unless you
    are a teacher (or an administrator) of its student."""
    thread = thread_of(attempt_or_404(attempt_id), caller())
    return [message_out(message) for message in thread.messages]


@bp.post("/<int:attempt_id>/messages")
@bp.arguments(ThreadMessageIn)
@bp.response(201, ThreadMessageOut)
@signed_in()
@throttled_messages
def write(request_data: dict[str, Any], attempt_id: int) -> Any:
    """Write a message about an attempt (Markdown; it comes back rendered and sanitized).

    Refused with 422 for an empty message or one over 4,000 characters, 429 past the budget of
    messages (MESSAGE_RATE_LIMIT).
    """
    attempt = attempt_or_404(attempt_id)
    try:
        message = post_message(attempt=attempt, author=caller(), body=request_data["body"])
    except ServiceError as error:
        refuse(error)
    return message_out(message_seen(message, attempt=attempt, viewer=caller()))
