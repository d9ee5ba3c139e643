"""The engagement report in words: its charts, takeaways and tables, in the reader's language."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
from babel.dates import format_skeleton
from flask_babel import format_decimal, format_percent, get_locale, gettext, ngettext

from analytics.charts import Series, bar_chart, progress_grid
from analytics.dataset import Dataset
from analytics.engagement import (
    EngagementReport,
    engagement_report,
    stage_states,
    weekly_engagement,
)
from quest_platform.reports.document import Cell, Chart, Report, Table

# How a state reads on the progress grid: a symbol in the cell, so colour is never the only sign.
STATE_SYMBOLS = {
    "done": "✓",
    "awaiting_review": "…",
    "failed": "✗",
    "not_started": "○",
}


def state_words() -> dict[str, str]:
    """The progress grid's states in words."""
    return {
        "done": gettext("done"),
        "awaiting_review": gettext("awaiting review"),
        "failed": gettext("tried, not passed yet"),
        "not_started": gettext("not started"),
    }


def engagement(
    dataset: Dataset,
    *,
    classroom_id: int | None = None,
    quest_id: int | None = None,
    advance: Callable[[int], None] | None = None,
) -> Report:
    """The engagement report of one classroom or of every classroom in ``dataset``.

    Per classroom: weekly activity, then each assigned quest's funnel and progress grid (only
    ``quest_id``'s, if given); then a table of every student. ``advance(n)`` is told of each
    chart drawn, for a progress bar.
    """
    report = engagement_report(dataset, classroom_id=classroom_id, quest_id=quest_id)
    classrooms = report.classrooms.sort_values("name", key=lambda names: names.str.casefold())
    charts = []
    for classroom in classrooms["classroom_id"].tolist():
        charts.append(weekly_chart(dataset, classroom_id=classroom, quest_id=quest_id))
        assigned = dataset.assignments[dataset.assignments["classroom_id"] == classroom]
        if quest_id is not None:
            assigned = assigned[assigned["quest_id"] == quest_id]
        for quest in assigned.sort_values("opens_at")["quest_id"].tolist():
            charts.append(funnel_chart(dataset, report, classroom_id=classroom, quest_id=quest))
            charts.append(grid_chart(dataset, classroom_id=classroom, quest_id=quest))
        if advance is not None:
            advance(1)
    if classroom_id is not None:
        title = gettext(
            "Engagement report: %(classroom)s", classroom=classroom_name(dataset, classroom_id)
        )
    else:
        title = gettext("Engagement report: every classroom")
    if quest_id is not None:
        quest = _quest_title(dataset, quest_id)
        title = gettext("%(report)s, %(quest)s", report=title, quest=quest)
    tables = [student_table(report, with_classroom=classroom_id is None)]
    if classroom_id is None:
        tables.append(classroom_table(report))
    return Report(
        title=title,
        scope=_students_scope(report),
        computed_at=dataset.now.to_pydatetime(),
        charts=tuple(charts),
        tables=tuple(tables),
    )


def classrooms_in(dataset: Dataset, *, classroom_id: int | None, quest_id: int | None) -> int:
    """How many classrooms the report covers: the length of its progress bar."""
    report_scope = dataset.assignments
    if classroom_id is not None:
        report_scope = report_scope[report_scope["classroom_id"] == classroom_id]
    if quest_id is not None:
        report_scope = report_scope[report_scope["quest_id"] == quest_id]
    return int(report_scope["classroom_id"].nunique())


def weekly_chart(dataset: Dataset, *, classroom_id: int, quest_id: int | None = None) -> Chart:
    """Students active per week in a classroom, with attempts and time on task in its table."""
    weeks = weekly_engagement(dataset, classroom_id=classroom_id, quest_id=quest_id)
    title = gettext(
        "Weekly engagement: %(classroom)s", classroom=classroom_name(dataset, classroom_id)
    )
    rows = tuple(
        (
            _week_label(week.week),
            int(week.active_students),
            int(week.attempts),
            round(float(week.time_on_task_minutes) / 60, 1),
        )
        for week in weeks.itertuples()
    )
    table = Table(
        caption=gettext("Students active, attempts and hours on task per week"),
        header=(
            gettext("Week of"),
            gettext("Students active"),
            gettext("Attempts"),
            gettext("Hours on task"),
        ),
        rows=rows,
        empty_text=gettext("No quest has opened for this classroom yet."),
    )
    slug = f"weekly-{classroom_id}"
    if weeks.empty or not weeks["attempts"].any():
        takeaway = gettext("Nobody has handed anything in yet.")
        return Chart(title=title, takeaway=takeaway, svg=None, table=table, slug=slug)
    busiest = weeks.loc[weeks["active_students"].idxmax()]
    latest = weeks.iloc[-1]
    takeaway = ngettext(
        "Busiest week: %(week)s, with %(busy)s student active; this week so far: %(now)s.",
        "Busiest week: %(week)s, with %(busy)s students active; this week so far: %(now)s.",
        int(busiest.active_students),
        week=_week_label(busiest.week),
        busy=format_decimal(int(busiest.active_students)),
        now=format_decimal(int(latest.active_students)),
    )
    svg = bar_chart(
        categories=[row[0] for row in rows],
        series=[Series(gettext("Students active"), [row[1] for row in rows])],
        title=title,
        description=takeaway,
        value_label=gettext("Students active"),
        number=format_decimal,
    )
    return Chart(title=title, takeaway=takeaway, svg=svg, table=table, slug=slug)


def funnel_chart(
    dataset: Dataset, report: EngagementReport, *, classroom_id: int, quest_id: int
) -> Chart:
    """How many students reached, passed, are stuck at, and wait for a review at each stage of a
    quest."""
    quest = _quest_title(dataset, quest_id)
    funnel = report.funnel[
        (report.funnel["classroom_id"] == classroom_id) & (report.funnel["quest_id"] == quest_id)
    ]
    stalls = report.stalls[
        (report.stalls["classroom_id"] == classroom_id) & (report.stalls["quest_id"] == quest_id)
    ]
    title = gettext(
        "Stage funnel: %(quest)s, %(classroom)s",
        quest=quest,
        classroom=classroom_name(dataset, classroom_id),
    )
    labels = [f"{row.position}. {row.title}" for row in funnel.itertuples()]
    rows: tuple[tuple[Cell, ...], ...] = tuple(
        (
            label,
            int(row.reached),
            int(row.passed),
            int(row.stuck),
            int(row.awaiting_review),
            int(row.moved_on),
            None if pd.isna(row.median_tries_to_pass) else float(row.median_tries_to_pass),
        )
        for label, row in zip(labels, funnel.itertuples(), strict=True)
    )
    table = Table(
        caption=gettext("Students at each stage of %(quest)s", quest=quest),
        header=(
            gettext("Stage"),
            gettext("Reached"),
            gettext("Passed"),
            gettext("Stuck"),
            gettext("Awaiting your review"),
            gettext("Went on without passing"),
            gettext("Median tries to pass"),
        ),
        rows=rows,
        empty_text=gettext("This quest has no stages."),
    )
    slug = f"funnel-{classroom_id}-{quest_id}"
    if funnel.empty or not funnel["reached"].any():
        takeaway = gettext("Nobody has started this quest yet.")
        return Chart(title=title, takeaway=takeaway, svg=None, table=table, slug=slug)
    takeaway = funnel_takeaway(stalls, awaiting_review=int(funnel["awaiting_review"].sum()))
    svg = bar_chart(
        categories=labels,
        series=[
            Series(gettext("Reached"), funnel["reached"].tolist()),
            Series(gettext("Passed"), funnel["passed"].tolist()),
            Series(gettext("Stuck"), funnel["stuck"].tolist()),
        ],
        title=title,
        description=takeaway,
        value_label=gettext("Students"),
        horizontal=True,
        number=format_decimal,
    )
    return Chart(title=title, takeaway=takeaway, svg=svg, table=table, slug=slug)


def funnel_takeaway(stalls: pd.DataFrame, *, awaiting_review: int) -> str:
    """What the funnel says: where the class stalls, then how many answers wait for the teacher
    (a stage where students wait for a review is where the teacher is needed, not where they
    are lost)."""
    stall = stall_takeaway(stalls)
    if not awaiting_review:
        return stall
    reviews = ngettext(
        "%(num)d checkpoint waits for your review.",
        "%(num)d checkpoints wait for your review.",
        awaiting_review,
    )
    return gettext("%(stall)s %(reviews)s", stall=stall, reviews=reviews)


def stall_takeaway(stalls: pd.DataFrame) -> str:
    """One line on where a class stalls in a quest, or that it does not."""
    if stalls.empty:
        return gettext("No stage holds the class back: most who reach a stage pass it.")
    worst = stalls.sort_values(["stuck", "not_passed"], ascending=False).iloc[0]
    stage = f"{worst.position}. {worst.title}"
    if worst.reason == "stuck":
        return ngettext(
            "The class stalls at stage %(stage)s: %(num)d of %(reached)d students who reached "
            "it is stuck there.",
            "The class stalls at stage %(stage)s: %(num)d of %(reached)d students who reached "
            "it are stuck there.",
            int(worst.stuck),
            stage=stage,
            reached=int(worst.reached),
        )
    return ngettext(
        "Most students are lost at stage %(stage)s: %(num)d of %(reached)d who reached it "
        "stopped there without passing it.",
        "Most students are lost at stage %(stage)s: %(num)d of %(reached)d who reached it "
        "stopped there without passing it.",
        int(worst.not_passed),
        stage=stage,
        reached=int(worst.reached),
    )


def grid_chart(dataset: Dataset, *, classroom_id: int, quest_id: int) -> Chart:
    """Each student's state at each stage of a quest, as a grid with a symbol in every cell."""
    quest = _quest_title(dataset, quest_id)
    states = stage_states(dataset, classroom_id=classroom_id, quest_id=quest_id)
    words = state_words()
    positions = sorted(states["position"].unique().tolist())
    by_student = states.groupby(["name", "student_id"], sort=False)
    names = [name for name, _student in by_student.groups]
    keys = tuple(int(student) for _name, student in by_student.groups)
    cells = [group.sort_values("position")["state"].tolist() for _key, group in by_student]
    title = gettext(
        "Progress by student and stage: %(quest)s, %(classroom)s",
        quest=quest,
        classroom=classroom_name(dataset, classroom_id),
    )
    header = (gettext("Student"), *(gettext("Stage %(number)d", number=p) for p in positions))
    rows = tuple(
        (name, *(f"{STATE_SYMBOLS[state]} {words[state]}" for state in line))
        for name, line in zip(names, cells, strict=True)
    )
    table = Table(
        caption=gettext("Each student's state at each stage of %(quest)s", quest=quest),
        header=header,
        rows=rows,
        empty_text=gettext("No students are enrolled in this classroom yet."),
        row_keys=keys,
    )
    slug = f"grid-{classroom_id}-{quest_id}"
    if states.empty:
        takeaway = gettext("No students are enrolled in this classroom yet.")
        return Chart(title=title, takeaway=takeaway, svg=None, table=table, slug=slug)
    finished = sum(all(state == "done" for state in line) for line in cells)
    waiting = sum(line.count("awaiting_review") for line in cells)
    # Two sentences, each with the plural of its own count.
    takeaway = " ".join(
        (
            ngettext(
                "Every stage done: %(finished)s of %(students)s student.",
                "Every stage done: %(finished)s of %(students)s students.",
                len(cells),
                finished=format_decimal(finished),
                students=format_decimal(len(cells)),
            ),
            ngettext(
                "%(waiting)s answer awaits your review.",
                "%(waiting)s answers await your review.",
                waiting,
                waiting=format_decimal(waiting),
            ),
        )
    )
    svg = progress_grid(
        rows=names,
        columns=[str(p) for p in positions],
        states=cells,
        legend={state: (STATE_SYMBOLS[state], words[state]) for state in STATE_SYMBOLS},
        title=title,
        description=takeaway,
    )
    return Chart(title=title, takeaway=takeaway, svg=svg, table=table, slug=slug)


def student_table(report: EngagementReport, *, with_classroom: bool = False) -> Table:
    """Every student's engagement figures, one row each, by name (and classroom, if asked)."""
    students = report.students.merge(
        report.classrooms[["classroom_id", "name"]].rename(columns={"name": "classroom"}),
        on="classroom_id",
    ).sort_values(["name", "classroom"], key=lambda names: names.str.casefold())
    rows = tuple(
        (
            row.name,
            *((row.classroom,) if with_classroom else ()),
            int(row.attempts),
            _maybe(row.active_days_per_week, 1),
            _maybe(row.time_on_task_minutes / 60, 1),
            _maybe(row.completion_pct, 0),
            None if pd.isna(row.first_try_rate) else format_percent(row.first_try_rate),
            int(row.longest_streak),
            int(row.current_streak),
            int(row.peer_reviews_given),
            int(row.peer_reviews_received),
            gettext("never started") if row.never_started else int(row.days_since_last_activity),
        )
        for row in students.itertuples()
    )
    return Table(
        caption=gettext("Engagement of each student"),
        header=(
            gettext("Student"),
            *((gettext("Classroom"),) if with_classroom else ()),
            gettext("Attempts"),
            gettext("Active days per week"),
            gettext("Hours on task"),
            gettext("Stages done (%)"),
            gettext("Passed at the first try"),
            gettext("Longest streak (school days)"),
            gettext("Current streak (school days)"),
            gettext("Peer reviews given"),
            gettext("Peer reviews received"),
            gettext("Days since last activity"),
        ),
        rows=rows,
        empty_text=gettext("No students are enrolled in this classroom yet."),
        row_keys=tuple(int(student) for student in students["student_id"]),
    )


def classroom_table(report: EngagementReport) -> Table:
    """Each classroom's figures side by side."""
    classrooms = report.classrooms.sort_values("name", key=lambda names: names.str.casefold())
    rows = tuple(
        (
            row.name,
            int(row.students),
            int(row.active_last_7_days),
            int(row.attempts),
            _maybe(row.median_completion_pct, 0),
            _maybe(row.median_time_on_task_minutes / 60, 1),
            None if pd.isna(row.mean_first_try_rate) else format_percent(row.mean_first_try_rate),
        )
        for row in classrooms.itertuples()
    )
    return Table(
        caption=gettext("Engagement of each classroom"),
        header=(
            gettext("Classroom"),
            gettext("Students"),
            gettext("Active in the last 7 days"),
            gettext("Attempts"),
            gettext("Median stages done (%)"),
            gettext("Median hours on task"),
            gettext("Passed at the first try"),
        ),
        rows=rows,
        empty_text=gettext("There are no classrooms to report on."),
    )


def _students_scope(report: EngagementReport) -> str:
    students = len(report.students)
    quests = int(report.quests["quest_id"].nunique()) if not report.quests.empty else 0
    return gettext(
        "%(students)s, %(quests)s.",
        students=ngettext("%(num)d student", "%(num)d students", students),
        quests=ngettext("%(num)d quest assigned", "%(num)d quests assigned", quests),
    )


def _maybe(value: float, digits: int) -> float | None:
    return None if pd.isna(value) else round(float(value), digits)


def _week_label(week: pd.Timestamp) -> str:
    """A week by its Monday, short: "Nov 2" (the year is on the report)."""
    return format_skeleton("MMMd", week.to_pydatetime().date(), locale=get_locale() or "en")


def classroom_name(dataset: Dataset, classroom_id: int) -> str:
    """A classroom's name in ``dataset`` (its id if the dataset does not hold it)."""
    found = dataset.classrooms.loc[dataset.classrooms["classroom_id"] == classroom_id, "name"]
    return str(found.iloc[0]) if not found.empty else str(classroom_id)


def _quest_title(dataset: Dataset, quest_id: int) -> str:
    found = dataset.quests.loc[dataset.quests["quest_id"] == quest_id, "title"]
    return str(found.iloc[0]) if not found.empty else str(quest_id)
