"""The caller's classrooms: where a student studies, or what a teacher teaches."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from quest_platform.api.access import caller, signed_in
from quest_platform.api.schemas import ClassroomOut
from quest_platform.queries.accounts import classrooms_of

bp = Blueprint(
    "api_classrooms",
    __name__,
    url_prefix="/api/v1/classrooms",
    description="Your classrooms: those you study in, or those you teach.",
)


@bp.get("")
@bp.response(200, ClassroomOut(many=True))
@signed_in()
def my_classrooms() -> Any:
    """Your classrooms, by term, period and name."""
    return classrooms_of(caller())
