"""How many messages one person may send: one budget for the pages and the API together.

The budget comes from MESSAGE_RATE_LIMIT (a Flask-Limiter rate such as "10 per minute; 100
per hour"); past it the answer is 429 (the site's page, or a JSON problem under /api).
"""

from __future__ import annotations

from flask import current_app
from flask_limiter.util import get_remote_address
from flask_security import current_user

from quest_platform.extensions import limiter

DEFAULT_MESSAGE_RATE_LIMIT = "10 per minute; 100 per hour"


def message_budget() -> str:
    return str(current_app.config.get("MESSAGE_RATE_LIMIT", DEFAULT_MESSAGE_RATE_LIMIT))


def sender() -> str:
    """Who spends the budget: the signed-in person, wherever they write from."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    # Refused before it writes anything (sign-in comes first), but counted all the same.
    return f"address:{get_remote_address()}"


throttled_messages = limiter.shared_limit(
    message_budget, scope="messages", key_func=sender, methods=["POST"]
)
