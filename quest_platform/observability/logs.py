"""Logs as JSON lines: every record one JSON object on stderr, with its request's id.

``LOG_FORMAT=json`` (production's default) sends every record of the process to stderr as one
line of JSON, for a log shipper to read; ``LOG_FORMAT=text`` (development and the tests)
leaves Python's logging as it is, so a developer reads plain lines and pytest captures
records. See docs/observability.md.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TextIO

from flask import Flask, has_request_context
from flask.logging import default_handler

from quest_platform.config import ConfigurationError
from quest_platform.request_ids import request_id

LOG_FORMATS = ("json", "text")
# What a value is replaced with when its key names a secret.
REDACTED = "[redacted]"
# Keys whose values never reach a log line, whatever a caller passes in ``extra``.
SECRET_KEY = re.compile(
    r"password|passwd|token|secret|authori[sz]ation|cookie|api[_-]?key|credential|uniquifier"
    r"|session_?id|^sid$",
    re.IGNORECASE,
)
# The attributes every LogRecord has: any other attribute came in ``extra``.
RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", logging.INFO, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}


def redacted(key: str, value: Any) -> Any:
    """``value``, with every value under a secret-naming key (at any depth) replaced."""
    if SECRET_KEY.search(key):
        return REDACTED
    if isinstance(value, Mapping):
        return {str(name): redacted(str(name), inner) for name, inner in value.items()}
    if isinstance(value, list | tuple):
        return [redacted(key, inner) for inner in value]
    return value


def utc_time(created: float) -> str:
    """A record's time as ISO 8601 in UTC, to the millisecond: 2026-12-07T10:55:42.123Z."""
    moment = datetime.fromtimestamp(created, UTC)
    return moment.isoformat(timespec="milliseconds").removesuffix("+00:00") + "Z"


class JsonFormatter(logging.Formatter):
    """Writes a record as one line of JSON: time, level, logger, message, the request's id
    (inside a request), the record's ``extra`` fields with secrets redacted, and a traceback
    as the string ``exc_info``."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": utc_time(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if has_request_context():
            entry["request_id"] = request_id()
        for key, value in vars(record).items():
            if key not in RECORD_ATTRIBUTES and not key.startswith("_"):
                entry[key] = redacted(key, value)
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc_info"] = record.exc_text
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        # A value json cannot write (a date, an enum member) is written as its str().
        return json.dumps(entry, default=str, ensure_ascii=False)


class JsonLinesHandler(logging.StreamHandler[TextIO]):
    """The process's one handler in JSON mode: JSON lines on stderr."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)
        self.setFormatter(JsonFormatter())


def log_format(app: Flask) -> str:
    """The format ``app`` logs in: LOG_FORMAT from its settings or the environment, else
    json in production and text elsewhere."""
    chosen = app.config.get("LOG_FORMAT") or os.environ.get("LOG_FORMAT")
    if not chosen:
        chosen = "json" if app.config.get("ENV_NAME") == "production" else "text"
    chosen = chosen.strip().lower()
    if chosen not in LOG_FORMATS:
        raise ConfigurationError(f"LOG_FORMAT={chosen!r} is unknown; choose json or text.")
    return chosen


def configure_logging(app: Flask) -> None:
    """In JSON mode, send every record of the process at INFO and above to stderr as JSON.

    Logging is the process's, not the app's: the handler is added once, however many apps
    the process makes. Flask's own handler on the app's logger is removed, or its records
    would be written twice (once as text).
    """
    if log_format(app) != "json":
        return
    root = logging.getLogger()
    if not any(isinstance(handler, JsonLinesHandler) for handler in root.handlers):
        root.addHandler(JsonLinesHandler())
    root.setLevel(logging.INFO)
    app.logger.removeHandler(default_handler)
