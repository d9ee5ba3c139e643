"""The teacher home's dashboard: four charts on one classroom and one of its quests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from flask_babel import gettext

from analytics.dataset import Dataset
from analytics.engagement import EngagementReport
from quest_platform.reports.document import Chart, Report
from quest_platform.reports.engagement import (
    classroom_name,
    funnel_chart,
    grid_chart,
    weekly_chart,
)
from quest_platform.reports.predictions import risk_chart

# Where each chart stands on the dashboard, top first.
WEEKLY, FUNNEL, RISK, GRID = range(4)


@dataclass(frozen=True)
class PlacedChart:
    """A chart of the dashboard, its place on it, and its quest (None: the whole classroom)."""

    chart: Chart
    position: int
    quest_id: int | None = None


def dashboard_charts(
    dataset: Dataset,
    *,
    report: EngagementReport,
    predictions: pd.DataFrame,
    classroom_id: int,
) -> list[PlacedChart]:
    """Every chart a classroom's dashboard can show, in the current language.

    The classroom's weekly engagement and, when it has predictions, its risk levels; then, for
    each quest given to it, the quest's stage funnel and progress grid. The dashboard shows the
    classroom's charts with those of one quest. ``report`` is the dataset's engagement report and
    ``predictions`` its quest predictions.
    """
    charts = [PlacedChart(weekly_chart(dataset, classroom_id=classroom_id), WEEKLY)]
    predicted = predictions[predictions["classroom_id"] == classroom_id]
    if not predicted.empty:
        name = classroom_name(dataset, classroom_id)
        charts.append(PlacedChart(risk_chart(dataset, predicted, name=name), RISK))
    assigned = dataset.assignments[dataset.assignments["classroom_id"] == classroom_id]
    for quest_id in assigned.sort_values("opens_at")["quest_id"].tolist():
        funnel = funnel_chart(dataset, report, classroom_id=classroom_id, quest_id=quest_id)
        grid = grid_chart(dataset, classroom_id=classroom_id, quest_id=quest_id)
        charts += [PlacedChart(funnel, FUNNEL, quest_id), PlacedChart(grid, GRID, quest_id)]
    return charts


def class_dashboard(
    *,
    classroom: str,
    computed_at: datetime,
    charts: Sequence[Chart],
    notes: Sequence[str] = (),
) -> Report:
    """The dashboard of the classroom named ``classroom``: its charts, as computed at a moment.

    Weekly engagement, the quest's stage funnel, the risk distribution and the progress grid.
    Without a quest (none assigned yet), only the weekly chart and the risk chart, each saying
    there is nothing yet.
    """
    return Report(
        title=gettext("Dashboard: %(classroom)s", classroom=classroom),
        scope=gettext(
            "Engagement, where the class stalls, who may not finish on time, and each "
            "student's progress."
        ),
        computed_at=computed_at,
        charts=tuple(charts),
        notes=tuple(notes),
    )
