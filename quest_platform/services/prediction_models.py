"""Fitting the quest model on this deployment's own records, and choosing the model in use.

The platform ships a model fitted on simulated classes (``analytics/model.py``). Once quests
have passed their due dates here, ``fit_prediction_model`` learns from every classroom's
settled quests, starting from the shipped model and trusting the school's records more as they
grow (``analytics.prediction.fit_local``), backtests the same recipe on classrooms left out
(``analytics.evaluate.backtest``) and stores the result as the next version. The newest stored
version is the model in use; before the first, the shipped one is. ``manage.py analytics fit``
runs it, from cron once a week, say (docs/analytics.md).
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from analytics.evaluate import backtest, quality_summary
from analytics.history import database_examples
from analytics.model import shipped_model
from analytics.prediction import QuestModel, fit_local
from quest_platform.extensions import db
from quest_platform.models import PredictionModel
from quest_platform.models.base import utcnow
from quest_platform.queries.analytics import latest_prediction_model
from quest_platform.services.errors import Conflict, ServiceError, undone_on_error

# Fewer examples than this, or fewer of either outcome, teach a model nothing it can trust.
MIN_EXAMPLES = 100
MIN_EACH_OUTCOME = 20
# Bootstrap resamples behind the stored evaluation's intervals.
EVALUATION_REPLICATES = 500


def model_in_use(*, as_of: datetime | None = None) -> tuple[QuestModel, PredictionModel | None]:
    """The quest model predictions use: the newest fitted here (by ``as_of``, for predictions
    as of a past moment), else the shipped one (None)."""
    stored = latest_prediction_model(as_of=as_of)
    if stored is None:
        return shipped_model(), None
    return QuestModel.from_parameters(stored.parameters), stored


@undone_on_error
def fit_prediction_model(*, now: datetime | None = None) -> PredictionModel:
    """Fit the quest model on every classroom's settled quests and store it as the next version.

    Refused, with how much history there is, when there is too little to learn from.
    """
    moment = now or utcnow()
    frame = database_examples(db.engine, now=moment, zone=current_app.config["SCHOOL_TIME_ZONE"])
    finished = int(frame["finished"].sum())
    if len(frame) < MIN_EXAMPLES or min(finished, len(frame) - finished) < MIN_EACH_OUTCOME:
        raise ServiceError(
            ngettext(
                "Too little history to learn from yet: %(num)d example from quests past their "
                "due dates, with %(finished)d finished. It takes %(needed)d, with at least "
                "%(each)d finished and %(each)d not.",
                "Too little history to learn from yet: %(num)d examples from quests past their "
                "due dates, with %(finished)d finished. It takes %(needed)d, with at least "
                "%(each)d finished and %(each)d not.",
                len(frame),
                finished=finished,
                needed=MIN_EXAMPLES,
                each=MIN_EACH_OUTCOME,
            )
        )
    prior = shipped_model()
    model = fit_local(frame, prior=prior, groups=frame["classroom_id"])
    quality = backtest(frame, prior=prior, replicates=EVALUATION_REPLICATES)
    # One fit at a time takes the next version: the unique version refuses a second.
    version = (db.session.scalar(select(func.max(PredictionModel.version))) or 0) + 1
    stored = PredictionModel(
        version=version,
        fitted_at=moment,
        data_from=frame["opens_at"].min().to_pydatetime(),
        data_to=frame["due_at"].max().to_pydatetime(),
        examples=len(frame),
        classrooms=int(frame["classroom_id"].nunique()),
        quests=int(frame[["classroom_id", "quest_id"]].drop_duplicates().shape[0]),
        parameters=model.parameters(),
        evaluation=quality_summary(quality),
    )
    db.session.add(stored)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(
            _("Another fit stored version %(version)d first: run it again.", version=version)
        ) from None
    return stored
