"""Errors that services raise with a message fit to show the person who asked."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from quest_platform.extensions import db

P = ParamSpec("P")
R = TypeVar("R")


class ServiceError(Exception):
    """A refused change: ``message`` is translated and safe to show; ``field`` names the input.

    ``status_code`` is the HTTP status every page and the API answer it with: 422 for input the
    service understood but cannot use, and the kinds below for the other reasons.
    """

    status_code = 422

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotAllowed(ServiceError):
    """The person asking may not make this change."""

    status_code = 403


class Conflict(ServiceError):
    """The change clashes with what is already stored (a taken name, a second copy)."""

    status_code = 409


class Unavailable(ServiceError):
    """What the change needs is missing on this server now (say, its sandbox for code)."""

    status_code = 503


class NotFound(ServiceError):
    """What the change names does not exist, or is not the asker's to see."""

    status_code = 404


def undone_on_error(service: Callable[P, R]) -> Callable[P, R]:
    """Have a service that owns its transaction undo its own work when it fails.

    The session is rolled back before the error (a refusal or anything unexpected) goes on: a
    refused change leaves nothing half-written, and the caller may go on using the session to
    show why.
    """

    @wraps(service)
    def undoing(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return service(*args, **kwargs)
        except BaseException:
            db.session.rollback()
            raise

    return undoing
