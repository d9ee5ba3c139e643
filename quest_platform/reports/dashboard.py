"""The teacher home's dashboard: four charts on one classroom and one of its quests."""

from __future__ import annotations

from flask_babel import gettext

from analytics.dataset import Dataset
from analytics.engagement import engagement_report
from analytics.prediction import QuestModel
from quest_platform.reports.document import Report
from quest_platform.reports.engagement import (
    classroom_name,
    funnel_chart,
    grid_chart,
    weekly_chart,
)
from quest_platform.reports.predictions import quest_predictions, risk_chart


def class_dashboard(
    dataset: Dataset, *, model: QuestModel, classroom_id: int, quest_id: int | None
) -> Report:
    """Weekly engagement, the quest's stage funnel, the risk distribution and the progress grid.

    Without a quest (none assigned yet), only the weekly chart and the risk chart, each saying
    there is nothing yet.
    """
    name = classroom_name(dataset, classroom_id)
    charts = [weekly_chart(dataset, classroom_id=classroom_id)]
    predictions = quest_predictions(dataset, model=model, classroom_id=classroom_id)
    if quest_id is not None:
        report = engagement_report(dataset, classroom_id=classroom_id, quest_id=quest_id)
        charts.append(funnel_chart(dataset, report, classroom_id=classroom_id, quest_id=quest_id))
    if not predictions.empty:
        charts.append(risk_chart(dataset, predictions, name=name))
    if quest_id is not None:
        charts.append(grid_chart(dataset, classroom_id=classroom_id, quest_id=quest_id))
    return Report(
        title=gettext("Dashboard: %(classroom)s", classroom=name),
        scope=gettext(
            "Engagement, where the class stalls, who may not finish on time, and each "
            "student's progress."
        ),
        computed_at=dataset.now.to_pydatetime(),
        charts=tuple(charts),
    )
