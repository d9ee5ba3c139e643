"""The caller's own record: points, achievements, analytics, and profile and preferences."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext, ngettext
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from analytics.prediction import describe_reason
from quest_platform.api.access import caller, refuse, signed_in
from quest_platform.models import Language, PredictionModel, QuestPrediction, Theme
from quest_platform.models.analytics import Confidence, RiskLevel
from quest_platform.queries.accounts import classrooms_of
from quest_platform.queries.achievements import achievements_of
from quest_platform.queries.analytics import (
    prediction_models_by_id,
    quest_titles,
    student_analytics,
    student_predictions,
)
from quest_platform.queries.progress import points_of
from quest_platform.services import ServiceError
from quest_platform.services.accounts import update_preferences

bp = Blueprint(
    "api_me",
    __name__,
    url_prefix="/api/v1/me",
    description="Your points, achievements, analytics record, and profile and preferences.",
)
PROFILE_FIELDS = (
    "display_name",
    "pseudonym",
    "language",
    "time_zone",
    "theme",
    "reduced_motion",
    "leaderboard_opt_in",
)


class PointsOut(Schema):
    """Your points: the sum of your points ledger."""

    points = fields.Integer(required=True)


class AchievementOut(Schema):
    """A badge, and when you earned it (null: not yet)."""

    code = fields.String(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)
    icon = fields.String(required=True)
    points = fields.Integer(required=True)
    earned = fields.Boolean(required=True)
    awarded_at = fields.DateTime(required=True, allow_none=True)


class EngagementOut(Schema):
    """Your engagement in one classroom, as last computed."""

    classroom_id = fields.Integer(required=True)
    computed_at = fields.DateTime(required=True)
    attempts = fields.Integer(required=True)
    active_days_per_week = fields.Float(required=True)
    time_on_task_minutes = fields.Float(required=True)
    completion_pct = fields.Float(required=True)
    first_try_rate = fields.Float(required=True, allow_none=True)
    longest_streak = fields.Integer(required=True)
    current_streak = fields.Integer(required=True)


class PredictionOut(Schema):
    """The latest prediction for one of your quests, with its reasons in plain words."""

    classroom_id = fields.Integer(required=True)
    quest_id = fields.Integer(required=True)
    quest_title = fields.String(required=True)
    computed_at = fields.DateTime(required=True)
    probability = fields.Float(required=True, metadata={"description": "Of finishing on time."})
    predicted_finish = fields.DateTime(required=True, allow_none=True)
    finish_low = fields.DateTime(required=True, allow_none=True)
    finish_high = fields.DateTime(required=True, allow_none=True)
    risk = fields.String(
        required=True, validate=validate.OneOf([level.value for level in RiskLevel])
    )
    reasons = fields.List(fields.String(), required=True)
    stages_done = fields.Integer(required=True)
    stages_total = fields.Integer(required=True)
    confidence = fields.String(
        required=True,
        validate=validate.OneOf([level.value for level in Confidence]),
        metadata={
            "description": "How much data stands behind it: little_data (a first guess), fair "
            "or good."
        },
    )
    model_version = fields.Integer(
        required=True,
        allow_none=True,
        metadata={
            "description": "The model that made it, learned from this school's records. Null: "
            "the starting model, learned from simulated classes."
        },
    )


class AnalyticsOut(Schema):
    """Your analytics record: engagement per classroom and the predictions for your quests."""

    engagement = fields.List(fields.Nested(EngagementOut), required=True)
    predictions = fields.List(fields.Nested(PredictionOut), required=True)


class ProfileOut(Schema):
    """Your profile and preferences."""

    display_name = fields.String(required=True)
    pseudonym = fields.String(required=True)
    language = fields.String(
        required=True, allow_none=True, metadata={"description": "Null: the browser's."}
    )
    time_zone = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "An IANA name (America/Chicago). Null: the browser's."},
    )
    theme = fields.String(required=True)
    reduced_motion = fields.Boolean(required=True)
    leaderboard_opt_in = fields.Boolean(required=True)


class ProfileIn(Schema):
    """The preferences to change; those left out stay as they are."""

    display_name = fields.String(validate=validate.Length(min=1, max=80))
    pseudonym = fields.String(validate=validate.Length(min=1, max=40))
    language = fields.String(
        allow_none=True, validate=validate.OneOf([member.value for member in Language])
    )
    time_zone = fields.String(allow_none=True, validate=validate.Length(max=64))
    theme = fields.String(validate=validate.OneOf([member.value for member in Theme]))
    reduced_motion = fields.Boolean(truthy={True}, falsy={False})
    leaderboard_opt_in = fields.Boolean(truthy={True}, falsy={False})


def profile_of(user: Any) -> dict[str, Any]:
    return {name: getattr(user, name) for name in PROFILE_FIELDS}


def prediction_out(
    prediction: QuestPrediction, titles: dict[int, str], models: dict[int, PredictionModel]
) -> dict[str, Any]:
    """A prediction as PredictionOut gives it, with ``titles`` of quests and fitted ``models``
    by id (``prediction_models_by_id``)."""
    data = {
        name: getattr(prediction, name)
        for name in PredictionOut().fields
        if name not in ("quest_title", "reasons", "model_version")
    }
    data["quest_title"] = titles.get(prediction.quest_id, "")
    fitted = models.get(prediction.model_id) if prediction.model_id is not None else None
    data["model_version"] = fitted.version if fitted is not None else None
    data["reasons"] = [
        describe_reason(tuple(reason), gettext=gettext, ngettext=ngettext)
        for reason in prediction.reasons
    ]
    return data


@bp.get("/points")
@bp.response(200, PointsOut)
@signed_in()
def my_points() -> Any:
    """Your points."""
    return {"points": points_of(student=caller())}


@bp.get("/achievements")
@bp.response(200, AchievementOut(many=True))
@signed_in()
def my_achievements() -> Any:
    """Every badge, with the ones you earned and when."""
    # The badge itself carries everything but ``earned``, a property; names are lazy strings.
    return [
        {
            **vars(badge),
            "name": str(badge.name),
            "description": str(badge.description),
            "earned": badge.earned,
        }
        for badge in achievements_of(student=caller())
    ]


@bp.get("/analytics")
@bp.response(200, AnalyticsOut)
@signed_in()
def my_analytics() -> Any:
    """Your engagement figures and quest predictions as last computed (each says when), with
    their reasons: a teacher refreshes them, and so may a scheduled task."""
    user = caller()
    classroom_ids = [classroom.id for classroom in classrooms_of(user)] if user.is_student else []
    predictions = student_predictions(user.id, classroom_ids)
    titles = quest_titles([prediction.quest_id for prediction in predictions])
    models = prediction_models_by_id(
        {prediction.model_id for prediction in predictions if prediction.model_id is not None}
    )
    return {
        "engagement": student_analytics(user.id, classroom_ids),
        "predictions": [prediction_out(prediction, titles, models) for prediction in predictions],
    }


@bp.get("/profile")
@bp.response(200, ProfileOut)
@signed_in()
def my_profile() -> Any:
    """Your profile and preferences."""
    return profile_of(caller())


@bp.patch("/profile")
@bp.arguments(ProfileIn)
@bp.response(200, ProfileOut)
@signed_in()
def change_profile(changes: dict[str, Any]) -> Any:
    """Change your profile and preferences."""
    user = caller()
    try:
        update_preferences(user=user, **{**profile_of(user), **changes})
    except ServiceError as error:
        refuse(error)
    return profile_of(user)
