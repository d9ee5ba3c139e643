"""When a student opened a stage, by the server's clock: a signed note the stage's form carries
(and the API hands out with each stage), read back with the answer to time the try."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="quest-stage-opened")


def opened_token(*, student_id: int, stage_id: int) -> str:
    """A signed note that the student ``student_id`` opened the stage ``stage_id`` now."""
    return _serializer().dumps([student_id, stage_id])


def opened_at(token: str | None, *, student_id: int, stage_id: int) -> datetime | None:
    """When the student opened the stage, from a note made by :func:`opened_token`.

    None when the note is missing, tampered with, older than a form lives, or made for another
    student or stage: the try is then timed from the answer.
    """
    if not token or not isinstance(token, str):
        return None
    max_age = current_app.config["WTF_CSRF_TIME_LIMIT"]
    signed_at: datetime
    try:
        noted, signed_at = _serializer().loads(token, max_age=max_age, return_timestamp=True)
    except BadSignature:
        return None
    if noted != [student_id, stage_id]:
        return None
    return signed_at.astimezone(UTC)
