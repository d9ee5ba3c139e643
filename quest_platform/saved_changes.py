"""What a request saved before it failed, so that its error page can say so.

An error after a commit (the reply could not be written, the session could not be kept, the
connection dropped) must not tell a student that nothing was saved: one who then answers again
spends another try. Every committed transaction of a request adds the tables it wrote to the
request's record, kept in the WSGI environ, which outlives any failure of the session or the
database; the error handler reads it with ``saved_changes``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.orm import Session, UOWTransaction

ENVIRON_KEY = "quest_platform.saved_changes"
# What a session's flushes wrote, kept until its transaction ends.
PENDING_KEY = "quest_platform.pending_changes"


@dataclass(frozen=True)
class SavedChanges:
    """The tables a request's committed transactions inserted rows into, and changed at all."""

    inserted: frozenset[str] = frozenset()
    changed: frozenset[str] = frozenset()


@event.listens_for(Session, "after_flush")
def _note_written(session: Session, flush_context: UOWTransaction) -> None:
    # After a flush its objects are still listed as they were before it.
    inserted, changed = session.info.setdefault(PENDING_KEY, (set(), set()))
    new = {obj.__table__.name for obj in session.new}
    inserted |= new
    changed |= new | {obj.__table__.name for obj in session.deleted}
    changed |= {
        obj.__table__.name
        for obj in session.dirty
        if session.is_modified(obj, include_collections=False)
    }


@event.listens_for(Session, "after_commit")
def _note_committed(session: Session) -> None:
    pending = session.info.pop(PENDING_KEY, None)
    if pending and has_request_context():
        inserted, changed = request.environ.setdefault(ENVIRON_KEY, (set(), set()))
        inserted |= pending[0]
        changed |= pending[1]


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)


def keep_record(environ: dict[str, Any]) -> None:
    """Start the record of ``environ``'s request before it reaches the app: a middleware that
    copies the environ (Socket.IO's) then shares the record instead of keeping its own."""
    environ.setdefault(ENVIRON_KEY, (set(), set()))


def saved_changes(environ: dict[str, Any]) -> SavedChanges:
    """What this request's committed transactions wrote."""
    inserted, changed = environ.get(ENVIRON_KEY, ((), ()))
    return SavedChanges(frozenset(inserted), frozenset(changed))
