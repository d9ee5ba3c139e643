"""Feedback conversations: writing a message about an attempt, a teacher hiding or showing one,
and noting how far each person has read.

Who may take part is decided in one place, ``queries.feedback.participant_rule``. A message is
kept as written (Markdown) and rendered once, when written, by the same sanitizing renderer as
the lessons: no script, frame, event handler or ``javascript:`` link survives it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import format_number, ngettext
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from quest_platform.content import render_markdown
from quest_platform.extensions import db
from quest_platform.models import (
    MAX_MESSAGE_LENGTH,
    Attempt,
    AttemptMessage,
    ThreadRead,
    User,
    utcnow,
)
from quest_platform.queries.feedback import kept_text, may_take_part
from quest_platform.services.audit import record_change
from quest_platform.services.errors import NotAllowed, NotFound, ServiceError, undone_on_error


def not_yours() -> NotFound:
    """The refusal for a conversation the person may not take part in: the same as for one that
    does not exist, so that attempt and message numbers cannot be probed."""
    return NotFound(_("There is no conversation about this attempt among yours."))


def written(body: str) -> str:
    """A message's text as kept (see :func:`kept_text`).

    Refused when nothing is left, or when it is longer than MAX_MESSAGE_LENGTH characters.
    """
    text = kept_text(body)
    if not text:
        raise ServiceError(_("Write something first: the message is empty."), field="body")
    if len(text) > MAX_MESSAGE_LENGTH:
        raise ServiceError(
            ngettext(
                "Keep the message to %(limit)s character: it has %(length)s.",
                "Keep the message to %(limit)s characters: it has %(length)s.",
                MAX_MESSAGE_LENGTH,
                limit=format_number(MAX_MESSAGE_LENGTH),
                length=format_number(len(text)),
            ),
            field="body",
        )
    return text


def move_read_mark(*, user_id: int, attempt_id: int, message_id: int, at: datetime) -> None:
    """Note that the user has read the conversation up to ``message_id``; never backwards.

    One statement, whoever else does the same at once: an insert that, when the user already has
    a mark there, moves it forward only (PostgreSQL and SQLite each have INSERT ... ON CONFLICT).
    """
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(ThreadRead).values(
        user_id=user_id, attempt_id=attempt_id, last_read_message_id=message_id, read_at=at
    )
    statement = statement.on_conflict_do_update(
        index_elements=[ThreadRead.user_id, ThreadRead.attempt_id],
        set_={
            "last_read_message_id": statement.excluded.last_read_message_id,
            "read_at": statement.excluded.read_at,
        },
        where=ThreadRead.last_read_message_id < statement.excluded.last_read_message_id,
    )
    db.session.execute(statement)


def add_message(
    *, attempt: Attempt, author: User, body: str, at: datetime | None = None
) -> AttemptMessage:
    """Add a message by ``author`` to the conversation about ``attempt``; the caller's
    transaction commits it. The caller has checked that the author may take part.

    The text is checked (see :func:`written`) and rendered; the author has read their own
    message, so their read mark moves to it.
    """
    text = written(body)
    message = AttemptMessage(
        attempt_id=attempt.id,
        author_id=author.id,
        body=text,
        body_html=str(render_markdown(text)),
        created_at=at or utcnow(),
    )
    db.session.add(message)
    db.session.flush()
    move_read_mark(
        user_id=author.id, attempt_id=attempt.id, message_id=message.id, at=message.created_at
    )
    return message


@undone_on_error
def post_message(*, attempt: Attempt, author: User, body: str) -> AttemptMessage:
    """Write ``body`` (Markdown) in the conversation about ``attempt``, as ``author``; commit.

    Only its student, their teachers and administrators may (anyone else is told there is no
    such conversation: 404). An empty message, or one longer than MAX_MESSAGE_LENGTH, is refused
    (422) with nothing written.
    """
    if not may_take_part(author, attempt):
        raise not_yours()
    message = add_message(attempt=attempt, author=author, body=body)
    db.session.commit()
    return message


def moderation_of(message: AttemptMessage) -> dict[str, Any]:
    """What the audit log keeps of a hidden or shown message: which it is and who wrote it, not
    its text (a message hidden for being unkind does not live on in the log)."""
    return {
        "attempt_id": message.attempt_id,
        "author_id": message.author_id,
        "hidden_at": message.hidden_at.isoformat() if message.hidden_at else None,
        "hidden_by_id": message.hidden_by_id,
    }


def check_moderator(*, message: AttemptMessage, by: User) -> None:
    """Let only a teacher (or an administrator) of the attempt's student hide or show messages.

    Anyone who may not take part is told there is no such conversation (404); a student taking
    part is refused (403).
    """
    if not may_take_part(by, message.attempt):
        raise not_yours()
    if not by.is_staff:
        raise NotAllowed(_("Only a teacher can hide or show a message."))


@undone_on_error
def hide_message(*, message: AttemptMessage, by: User) -> AttemptMessage:
    """Hide ``message`` from the student and the other participants; commit, audited.

    They then read "A teacher hid this message." in its place; teachers still see it, marked
    hidden. Hiding a hidden message changes nothing.
    """
    check_moderator(message=message, by=by)
    if message.hidden_at is not None:
        return message
    before = moderation_of(message)
    message.hidden_at = utcnow()
    message.hidden_by_id = by.id
    record_change(
        actor=by, action="hide", record=message, before=before, after=moderation_of(message)
    )
    db.session.commit()
    return message


@undone_on_error
def show_message(*, message: AttemptMessage, by: User) -> AttemptMessage:
    """Show a hidden ``message`` to everyone taking part again; commit, audited. Showing a
    message that is not hidden changes nothing."""
    check_moderator(message=message, by=by)
    if message.hidden_at is None:
        return message
    before = moderation_of(message)
    message.hidden_at = None
    message.hidden_by_id = None
    record_change(
        actor=by, action="show", record=message, before=before, after=moderation_of(message)
    )
    db.session.commit()
    return message


@undone_on_error
def mark_thread_read(*, attempt: Attempt, reader: User, up_to: int | None = None) -> None:
    """Note that ``reader`` has read the conversation about ``attempt``; commit.

    Up to the message ``up_to`` (the newest the page showed), or the newest there is. The mark
    never moves backwards: a page shown earlier but answered later leaves a further mark alone,
    and any number of such notes at once end with the furthest.
    """
    if not may_take_part(reader, attempt):
        raise not_yours()
    newest = db.session.scalar(
        select(func.max(AttemptMessage.id)).where(AttemptMessage.attempt_id == attempt.id)
    )
    if newest is None or (up_to is not None and up_to < 1):
        return
    target = newest if up_to is None else min(up_to, newest)
    move_read_mark(user_id=reader.id, attempt_id=attempt.id, message_id=target, at=utcnow())
    db.session.commit()
