"""The webhook GitHub sends a classroom's deliveries to: ``POST /hooks/github/<classroom id>``.

GitHub signs each delivery with the classroom's secret (X-Hub-Signature-256: "sha256=" and the
HMAC-SHA256 of the body). The body is read raw, within MAX_DELIVERY_BYTES (413 beyond), and its
signature checked before anything in it is read. A classroom that does not exist, one without
a webhook secret, and a missing or wrong signature all get the same answer, 401, so that
classroom ids cannot be probed. Then the body is read as JSON by the rules of every JSON body
(request_input.py), and services/github.py records the delivery: 200 for a ping, 201 for a pull
request handed in as evidence, 202 for a delivery recorded as ignored (the answer says why),
400 for a malformed one and 409 for a delivery id already recorded, with nothing written.

Every answer is JSON, errors as the API's problems; the route is exempt from CSRF (GitHub
signs instead) and rate-limited per sender and classroom (GITHUB_WEBHOOK_RATE_LIMIT).
"""

from __future__ import annotations

import json

from flask import Blueprint, current_app, jsonify, request
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from quest_platform.errors import problem, problem_from
from quest_platform.extensions import db, limiter
from quest_platform.queries.github import classroom_for_delivery
from quest_platform.request_input import read_json
from quest_platform.services import ServiceError
from quest_platform.services.github import (
    DeliveryStatus,
    receive_github_delivery,
    signature_matches,
)

bp = Blueprint("github", __name__, url_prefix="/hooks/github")
# GitHub sends at most 25 MB; a pull request's delivery is some tens of kilobytes.
MAX_DELIVERY_BYTES = 1024 * 1024
DEFAULT_RATE_LIMIT = "120 per minute"
SIGNATURE_HEADER = "X-Hub-Signature-256"
STATUSES = {DeliveryStatus.PING: 200, DeliveryStatus.RECORDED: 201, DeliveryStatus.IGNORED: 202}


def delivery_budget() -> str:
    return str(current_app.config.get("GITHUB_WEBHOOK_RATE_LIMIT", DEFAULT_RATE_LIMIT))


def delivery_sender() -> str:
    """Who spends the budget: one sender's deliveries to one classroom."""
    classroom_id = (request.view_args or {}).get("classroom_id")
    return f"{get_remote_address()}/{classroom_id}"


@bp.post("/<int:classroom_id>")
@limiter.limit(delivery_budget, key_func=delivery_sender)
def delivery(classroom_id: int) -> tuple[Response, int]:
    """Receive one of GitHub's deliveries to a classroom's webhook (see the module)."""
    request.max_content_length = MAX_DELIVERY_BYTES
    body = request.get_data(cache=False)
    classroom = classroom_for_delivery(classroom_id)
    signed = signature_matches(
        secret=classroom.github_webhook_secret if classroom is not None else None,
        body=body,
        signature=request.headers.get(SIGNATURE_HEADER),
    )
    if classroom is None or not signed:
        return problem(
            401, _("The delivery's signature is missing or does not match this webhook's secret.")
        )
    if not request.is_json:
        return problem(
            415, _("Set the webhook's content type to application/json in GitHub's settings.")
        )
    try:
        payload = read_json(body)
    except json.JSONDecodeError as error:
        message = _(
            "The body is not valid JSON (line %(line)d, column %(column)d).",
            line=error.lineno,
            column=error.colno,
        )
        return problem(400, message)
    except ValueError as error:
        return problem(400, str(error))
    try:
        result = receive_github_delivery(
            classroom=classroom,
            delivery_id=request.headers.get("X-GitHub-Delivery", ""),
            event=request.headers.get("X-GitHub-Event", ""),
            payload=payload,
        )
    except ServiceError as error:
        return problem(error.status_code, error.message)
    answer: dict[str, object] = {"status": result.status.value, "message": result.message}
    if result.attempt_id is not None:
        answer["attempt_id"] = result.attempt_id
    return jsonify(answer), STATUSES[result.status]


@bp.errorhandler(HTTPException)
def http_problem(error: HTTPException) -> tuple[Response, int]:
    """Errors before the view answers (too large, too many) as JSON problems, like the API's."""
    return problem_from(error)


@bp.errorhandler(500)
def server_problem(error: HTTPException) -> tuple[Response, int]:
    """An unexpected error: nothing half-written, and a JSON problem rather than a page."""
    db.session.rollback()
    return problem(500)
