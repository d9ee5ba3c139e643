"""Observability: one JSON log line per request, JSON logs, and Prometheus metrics at /metrics.

See docs/observability.md for the log line's fields, the metrics and who may read them.
"""

from __future__ import annotations

from flask import Flask

from quest_platform.observability.logs import configure_logging
from quest_platform.observability.metrics import check_metrics_settings
from quest_platform.observability.requests import ObservedRequests, note_request


def register_observability(app: Flask) -> None:
    """Configure logging, and log and count every request of ``app``. The /metrics page is
    the blueprint ``observability``, registered with the others."""
    configure_logging(app)
    check_metrics_settings(app)
    app.teardown_request(note_request)
    app.wsgi_app = ObservedRequests(app.wsgi_app)  # type: ignore[method-assign]
