"""Quest predictions in words: who is likely to finish, when, who is at risk and why."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
from babel.lists import format_list
from flask_babel import (
    format_date,
    format_decimal,
    format_percent,
    get_locale,
    gettext,
    ngettext,
    pgettext,
)

from analytics.charts import Series, bar_chart
from analytics.dataset import Dataset
from analytics.prediction import QuestModel, Reason, describe_reason
from analytics.prediction import predict_quests as predict
from quest_platform.models.analytics import Confidence, PredictionModel, RiskLevel
from quest_platform.reports.document import Chart, Report, Table

# A risk level reads as a symbol and words, never as a colour alone.
RISK_SYMBOLS: dict[str, str] = {
    RiskLevel.ON_TRACK: "✓",
    RiskLevel.WATCH: "!",
    RiskLevel.AT_RISK: "⚠",
}


def risk_words() -> dict[str, str]:
    """The risk levels in words."""
    return {
        RiskLevel.ON_TRACK: gettext("On track"),
        RiskLevel.WATCH: gettext("Watch"),
        RiskLevel.AT_RISK: gettext("At risk"),
    }


def risk_label(risk: str) -> str:
    """A risk level as its symbol and words: "⚠ At risk"."""
    return f"{RISK_SYMBOLS[risk]} {risk_words()[risk]}"


def chance_text(probability: float, confidence: str) -> str:
    """A chance of finishing with how much data stands behind it: "72% — good confidence".

    On little data the chance reads as a first guess, to the nearest ten:
    "about 60% — little data yet".
    """
    if confidence == Confidence.LITTLE_DATA:
        # Never "about 0%" or "about 100%": with little data nothing is that sure.
        rough = min(max(round(probability, 1), 0.1), 0.9)
        return gettext("about %(chance)s — little data yet", chance=format_percent(rough))
    chance = format_percent(probability)
    if confidence == Confidence.GOOD:
        return gettext("%(chance)s — good confidence", chance=chance)
    return gettext("%(chance)s — fair confidence", chance=chance)


def confidence_summary(counts: Mapping[str, int]) -> str:
    """How many predictions have each confidence, in a sentence: "How sure these predictions
    are: 12 with good confidence, 5 with fair confidence and 3 with little data yet."."""
    good, fair, little = (
        counts.get(level, 0) for level in (Confidence.GOOD, Confidence.FAIR, Confidence.LITTLE_DATA)
    )
    phrases = (
        (
            good,
            ngettext(
                "%(count)s with good confidence",
                "%(count)s with good confidence",
                good,
                count=format_decimal(good),
            ),
        ),
        (
            fair,
            ngettext(
                "%(count)s with fair confidence",
                "%(count)s with fair confidence",
                fair,
                count=format_decimal(fair),
            ),
        ),
        (
            little,
            ngettext(
                "%(count)s with little data yet",
                "%(count)s with little data yet",
                little,
                count=format_decimal(little),
            ),
        ),
    )
    parts = [phrase for count, phrase in phrases if count]
    return gettext(
        "How sure these predictions are: %(counts)s.",
        counts=format_list(parts, locale=get_locale() or "en"),
    )


def model_sentence(fitted: PredictionModel | None) -> str:
    """Which model made the predictions, in a sentence: one fitted on this school's records
    (its version, when, and on what), or the starting one shipped with the platform (None)."""
    if fitted is None:
        return gettext(
            "Predictions by the starting model, learned from simulated classes and not yet "
            "from this school's records: take them as a first guess."
        )
    return gettext(
        "Predictions by model %(version)d, learned from this school's records on %(date)s: "
        "%(examples)s from %(classrooms)s, on quests from %(start)s to %(end)s.",
        version=fitted.version,
        date=format_date(fitted.fitted_at, "medium"),
        examples=ngettext(
            "%(count)s example",
            "%(count)s examples",
            fitted.examples,
            count=format_decimal(fitted.examples),
        ),
        classrooms=ngettext(
            "%(count)s classroom",
            "%(count)s classrooms",
            fitted.classrooms,
            count=format_decimal(fitted.classrooms),
        ),
        start=format_date(fitted.data_from, "medium"),
        end=format_date(fitted.data_to, "medium"),
    )


def newer_model_sentence(latest: PredictionModel) -> str:
    """That a model newer than the one behind the predictions shown has been learned since."""
    return gettext(
        "Model %(version)d has been learned since: refresh the figures to predict with it.",
        version=latest.version,
    )


def reasons_text(reasons: tuple[Reason, ...]) -> str:
    """A prediction's reasons as one line of plain words, most important first."""
    return "; ".join(
        describe_reason(reason, gettext=gettext, ngettext=ngettext) for reason in reasons
    )


def quest_predictions(
    dataset: Dataset,
    *,
    model: QuestModel,
    classroom_id: int | None = None,
    quest_id: int | None = None,
) -> pd.DataFrame:
    """The predictions of the classroom and quest asked for (all by default), worst risk first."""
    frame = predict(dataset, model=model)
    if classroom_id is not None:
        frame = frame[frame["classroom_id"] == classroom_id]
    if quest_id is not None:
        frame = frame[frame["quest_id"] == quest_id]
    order = frame["risk"].map({risk: rank for rank, risk in enumerate(reversed(RiskLevel))})
    return frame.assign(order=order).sort_values(["order", "probability"]).drop(columns="order")


def predictions(
    dataset: Dataset,
    *,
    model: QuestModel,
    fitted: PredictionModel | None = None,
    classroom_id: int | None = None,
    quest_id: int | None = None,
) -> Report:
    """The prediction report: the risk distribution per classroom, then every student's quests.

    ``fitted`` is the stored model ``model`` was read from, which the report names (None: the
    one shipped with the platform); ``services.prediction_models.model_in_use`` gives both.
    """
    frame = quest_predictions(dataset, model=model, classroom_id=classroom_id, quest_id=quest_id)
    names = dict(zip(dataset.classrooms["classroom_id"], dataset.classrooms["name"], strict=True))
    charts = tuple(
        risk_chart(dataset, frame[frame["classroom_id"] == classroom], name=str(names[classroom]))
        for classroom in sorted(frame["classroom_id"].unique().tolist(), key=names.__getitem__)
    )
    if classroom_id is not None:
        title = gettext("Quest predictions: %(classroom)s", classroom=names.get(classroom_id, ""))
    else:
        title = gettext("Quest predictions: every classroom")
    students = frame["student_id"].nunique()
    return Report(
        title=title,
        scope=ngettext("%(num)d student", "%(num)d students", students),
        computed_at=dataset.now.to_pydatetime(),
        charts=charts,
        tables=(prediction_table(dataset, frame, with_classroom=classroom_id is None),),
        notes=(
            model_sentence(fitted),
            gettext(
                "The chance of finishing comes from a model that weighs progress, recent "
                "activity, failed tries and the time left; the finish date follows the class's "
                "pace. Treat both as a prompt to talk with the student, never as a grade."
            ),
        ),
    )


def risk_chart(dataset: Dataset, frame: pd.DataFrame, *, name: str) -> Chart:
    """How many of a classroom's quests in progress are on track, to watch or at risk."""
    titles = dict(zip(dataset.quests["quest_id"], dataset.quests["title"], strict=True))
    counts = frame.groupby(["quest_id", "risk"]).size()
    predicted = set(frame["quest_id"].tolist())
    quests = [quest for quest in dataset.quests["quest_id"].tolist() if quest in predicted]
    rows: tuple[tuple[str | int, ...], ...] = tuple(
        (
            str(titles[quest]),
            *(int(counts.get((quest, risk), 0)) for risk in RiskLevel),
        )
        for quest in quests
    )
    title = gettext("Risk of not finishing on time: %(classroom)s", classroom=name)
    table = Table(
        caption=gettext("Students per risk level, by quest, in %(classroom)s", classroom=name),
        header=(gettext("Quest"), *(risk_label(risk) for risk in RiskLevel)),
        rows=rows,
        empty_text=gettext("No quest is assigned to this classroom yet."),
    )
    totals = {risk: int((frame["risk"] == risk).sum()) for risk in RiskLevel}
    takeaway = ngettext(
        "%(at_risk)s at risk and %(watch)s to watch, of %(total)s student's quest.",
        "%(at_risk)s at risk and %(watch)s to watch, of %(total)s students' quests.",
        len(frame),
        at_risk=format_decimal(totals[RiskLevel.AT_RISK]),
        watch=format_decimal(totals[RiskLevel.WATCH]),
        total=format_decimal(len(frame)),
    )
    slug = f"risk-{int(frame['classroom_id'].iloc[0])}"
    svg = bar_chart(
        categories=[risk_label(risk) for risk in RiskLevel],
        series=[Series(str(row[0]), [float(count) for count in row[1:]]) for row in rows],
        title=title,
        description=takeaway,
        value_label=gettext("Students"),
        number=format_decimal,
    )
    return Chart(title=title, takeaway=takeaway, svg=svg, table=table, slug=slug)


def prediction_table(dataset: Dataset, frame: pd.DataFrame, *, with_classroom: bool) -> Table:
    """Every student's quests: progress, chance of finishing, when, risk and why."""
    students = dict(zip(dataset.students["student_id"], dataset.students["name"], strict=True))
    quests = dict(zip(dataset.quests["quest_id"], dataset.quests["title"], strict=True))
    classrooms = dict(
        zip(dataset.classrooms["classroom_id"], dataset.classrooms["name"], strict=True)
    )
    rows = tuple(
        (
            str(students.get(row.student_id, "")),
            *((str(classrooms.get(row.classroom_id, "")),) if with_classroom else ()),
            str(quests.get(row.quest_id, "")),
            gettext("%(done)d of %(total)d", done=row.stages_done, total=row.stages_total),
            chance_text(row.probability, row.confidence),
            finish_text(row),
            risk_label(row.risk),
            reasons_text(row.reasons) or "—",
        )
        for row in frame.itertuples()
    )
    return Table(
        caption=gettext("Each student's quests, most at risk first"),
        header=(
            gettext("Student"),
            *((gettext("Classroom"),) if with_classroom else ()),
            gettext("Quest"),
            gettext("Stages done"),
            gettext("Chance of finishing by the due date"),
            gettext("Likely finish"),
            gettext("Risk"),
            gettext("Why"),
        ),
        rows=rows,
        empty_text=gettext("No student has a quest to predict yet."),
        row_keys=tuple(int(student) for student in frame["student_id"]),
    )


def finish_text(row: Any) -> str:
    """When a quest is likely to be finished: done, a date with its range, or no estimate.

    ``row`` is a row of the predictions' frame (``itertuples``).
    """
    done, total = row.stages_done, row.stages_total
    if total and done >= total:
        return pgettext("quest progress", "Done")
    finish = row.predicted_finish
    if pd.isna(finish):
        return gettext("No estimate yet")
    low, high = row.finish_low, row.finish_high
    day: str = format_date(finish.date(), "medium")
    if pd.isna(low) or pd.isna(high):
        return day
    return gettext(
        "%(date)s (between %(low)s and %(high)s)",
        date=day,
        low=format_date(low.date(), "medium"),
        high=format_date(high.date(), "medium"),
    )
