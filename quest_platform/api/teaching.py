"""For teachers: their classrooms' rosters, progress matrices and quest predictions."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields

from quest_platform.api.access import caller, signed_in
from quest_platform.api.me import PredictionOut, prediction_out
from quest_platform.models import Classroom
from quest_platform.queries.analytics import (
    classroom_predictions,
    prediction_models_by_id,
    quest_titles,
)
from quest_platform.queries.classrooms import classrooms_visible_to, roster_of
from quest_platform.queries.progress import quest_map_for

bp = Blueprint(
    "api_teaching",
    __name__,
    url_prefix="/api/v1/classrooms/<int:classroom_id>",
    description="A classroom's roster, progress and predictions: for its teachers and admins.",
)


class StudentOut(Schema):
    """A student on a roster."""

    id = fields.Integer(required=True)
    username = fields.String(required=True)
    display_name = fields.String(required=True)
    pseudonym = fields.String(required=True)
    active = fields.Boolean(required=True)


class CellOut(Schema):
    """One student's progress in one quest."""

    quest = fields.String(required=True)
    status = fields.String(required=True)
    stages_done = fields.Integer(required=True)
    stages_total = fields.Integer(required=True)


class ProgressRowOut(Schema):
    """One student's row of the progress matrix."""

    student_id = fields.Integer(required=True)
    display_name = fields.String(required=True)
    quests = fields.List(fields.Nested(CellOut), required=True)


class StudentPredictionOut(PredictionOut):
    """A prediction, with whose it is."""

    student_id = fields.Integer(required=True)
    display_name = fields.String(required=True)


def taught_classroom(classroom_id: int) -> Classroom:
    """A classroom the caller teaches (any, for an administrator); 404 otherwise."""
    if not caller().is_staff:
        abort(403, message=_("Only teachers and administrators may call this."))
    classroom = next(
        (room for room in classrooms_visible_to(caller()) if room.id == classroom_id), None
    )
    if classroom is None:
        abort(404, message=_("You teach no classroom with this number."))
    return classroom


@bp.get("/roster")
@bp.response(200, StudentOut(many=True))
@signed_in()
def roster(classroom_id: int) -> Any:
    """The classroom's students, by name."""
    return roster_of(taught_classroom(classroom_id))


@bp.get("/progress")
@bp.response(200, ProgressRowOut(many=True))
@signed_in()
def progress(classroom_id: int) -> Any:
    """Each student's progress in each quest given to them."""
    classroom = taught_classroom(classroom_id)
    rows = []
    for student in roster_of(classroom):
        cells = [
            {
                "quest": item.quest.slug,
                "status": item.status.value,
                "stages_done": item.finished_count,
                "stages_total": len(item.stages),
            }
            for item in quest_map_for(student=student)
            if item.assignment is not None and item.assignment.classroom_id == classroom.id
        ]
        rows.append(
            {"student_id": student.id, "display_name": student.display_name, "quests": cells}
        )
    return rows


@bp.get("/predictions")
@bp.response(200, StudentPredictionOut(many=True))
@signed_in()
def predictions(classroom_id: int) -> Any:
    """Every student's quest predictions as last computed (each says when), least likely to
    finish first."""
    classroom = taught_classroom(classroom_id)
    students = {student.id: student for student in roster_of(classroom)}
    found = classroom_predictions(classroom.id)
    titles = quest_titles(sorted({prediction.quest_id for prediction in found}))
    models = prediction_models_by_id(
        {prediction.model_id for prediction in found if prediction.model_id is not None}
    )
    return [
        {
            **prediction_out(prediction, titles, models),
            "student_id": prediction.student_id,
            "display_name": students[prediction.student_id].display_name
            if prediction.student_id in students
            else "",
        }
        for prediction in found
    ]
