"""Errors that services raise with a message fit to show the person who asked."""

from __future__ import annotations


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


class NotFound(ServiceError):
    """What the change names does not exist, or is not the asker's to see."""

    status_code = 404
