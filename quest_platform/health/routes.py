"""Routes of the health checks: open to anyone, cheap, and telling nothing but pass or fail.

``/health/live`` answers while the process runs (a restart is what helps otherwise);
``/health/ready`` answers 200 while the platform can serve, and 503 (with which checks failed)
while it cannot, so that a load balancer sends requests elsewhere.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from werkzeug.wrappers import Response

from quest_platform.health.checks import readiness

bp = Blueprint("health", __name__, url_prefix="/health")


@bp.get("/live")
def live() -> Response:
    """The process is up and answering."""
    return not_cached(jsonify(status="ok"))


@bp.get("/ready")
def ready() -> tuple[Response, int]:
    """Whether the platform can serve: each check by name, "ok" or "failing"."""
    checks = readiness(current_app)
    ok = all(check.ok for check in checks)
    body = {
        "status": "ready" if ok else "not ready",
        "checks": {check.name: "ok" if check.ok else "failing" for check in checks},
    }
    return not_cached(jsonify(body)), 200 if ok else 503


def not_cached(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response
