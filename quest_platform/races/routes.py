"""Routes of code races: the projector view of a race and its places as JSON.

Both are open to the race's classroom (its students and teachers) and to administrators; to
anyone else a race does not exist (404). Pages watching a race hear over Socket.IO when its
places change (quest_platform/live.py) and fetch the JSON again.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, render_template, request
from flask_security import auth_required, current_user
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from quest_platform.errors import ERROR_TEXTS, render_error
from quest_platform.extensions import db
from quest_platform.labels import duration
from quest_platform.models import POINTS_STEP, CodeRace, utcnow
from quest_platform.queries.races import may_watch, places_document, race_clock, race_view
from quest_platform.services.races import current_table

bp = Blueprint("races", __name__, url_prefix="/races")
bp.add_app_template_filter(race_clock, "race_clock")


@bp.errorhandler(NotFound)
def not_found(error: NotFound) -> tuple[Any, int]:
    """A missing race is a JSON error at the JSON address, the error page otherwise."""
    if request.path.endswith(".json"):
        return jsonify(error=str(ERROR_TEXTS[404][0])), 404
    return render_error(404)


def race_or_404(race_id: int) -> CodeRace:
    """The race, if the current user may watch it; 404 otherwise."""
    race = db.session.get(CodeRace, race_id)
    if race is None or not may_watch(current_user, race):
        abort(404)
    return race


@bp.get("/<int:race_id>")
@auth_required("session")
def projector(race_id: int) -> str:
    """The race for a projector: the problem's name, the clock and the places, live."""
    race = race_or_404(race_id)
    now = utcnow()
    view = race_view(current_table(race, now=now), viewer=current_user, now=now)
    return render_template(
        "races/projector.html", view=view, now=now, duration=duration, points_step=POINTS_STEP
    )


@bp.get("/<int:race_id>.json")
@auth_required("session")
def places(race_id: int) -> Response:
    """The race's state, clock and places as JSON (what the live pages show)."""
    race = race_or_404(race_id)
    now = utcnow()
    view = race_view(current_table(race, now=now), viewer=current_user, now=now)
    return jsonify(places_document(view))
