"""Engagement reports: how each student, classroom and quest is doing, and where a class stalls.

Every figure is a pure function of a ``Dataset``: no Flask, no SQL. A student is reported once per
classroom they belong to, on the quests assigned to that classroom. Figures a reader sees are
never NaN: where there is nothing to measure (no attempts, no stages) they are ``pd.NA`` in a
nullable column, and the view decides how to say "no data". Reasons are codes and counts, not
sentences, so the view layer can translate them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import numpy as np
import pandas as pd

from analytics.dataset import DONE_OUTCOMES, UTC_TIME, Dataset, empty
from quest_platform.models.attempts import Outcome

# An attempt counts for at most this long: a tab left open over lunch is not work.
IDLE_CAP = pd.Timedelta(minutes=45)
# "Active lately" means an attempt within this window before ``now``.
RECENT = pd.Timedelta(days=7)
# A student who reached a stage without passing it is stuck there after this long without any
# attempt at it or a later stage (unless an attempt there awaits a teacher's review) ...
STUCK_AFTER = pd.Timedelta(days=3)
# ... or after failing it this many times without passing.
STUCK_FAILURES = 3
# A stage is a stall when this share of the students who reached it are stuck there, or when it
# loses the most students of its quest and they are at least this share of those who reached it.
STALL_SHARE = 0.2

STUDENT_COLUMNS = {
    "classroom_id": "int64",
    "student_id": "int64",
    "name": "string",
    "pseudonym": "string",
    "attempts": "int64",
    "active_days": "int64",
    "active_days_per_week": "Float64",
    "time_on_task_minutes": "Float64",
    "stages_done": "int64",
    "stages_total": "int64",
    "completion_pct": "Float64",  # 0-100; NA when the classroom has no stages assigned
    "stages_attempted": "int64",
    "first_try_rate": "Float64",  # 0-1; NA when no stage was attempted
    "longest_streak": "int64",  # in school days (Monday to Friday)
    "current_streak": "int64",
    "last_active_at": UTC_TIME,  # NaT when never started
    "days_since_last_activity": "Int64",  # since the first assignment opened if never started
    "never_started": "bool",
    # Peer reviews the student wrote, and received (those a teacher hid left out).
    "peer_reviews_given": "int64",
    "peer_reviews_received": "int64",
}
CLASSROOM_COLUMNS = {
    "classroom_id": "int64",
    "name": "string",
    "quests": "int64",
    "students": "int64",
    "active_last_7_days": "int64",
    "median_completion_pct": "Float64",
    "median_time_on_task_minutes": "Float64",
    "mean_first_try_rate": "Float64",
    "attempts": "int64",
}
QUEST_COLUMNS = {
    "quest_id": "int64",
    "title": "string",
    "classrooms": "int64",
    "students": "int64",
    "active_last_7_days": "int64",
    "median_completion_pct": "Float64",
    "median_time_on_task_minutes": "Float64",
    "mean_first_try_rate": "Float64",
    "attempts": "int64",
}
FUNNEL_COLUMNS = {
    "classroom_id": "int64",
    "quest_id": "int64",
    "stage_id": "int64",
    "position": "int64",
    "title": "string",
    "students": "int64",  # students of the classroom, all of whom have the quest assigned
    "reached": "int64",
    "passed": "int64",
    "stuck": "int64",
    # Reached, not passed, with an answer waiting for the teacher: neither passed nor lost.
    "awaiting_review": "int64",
    # Reached, not passed and not waiting, but working on a later stage (a stage skipped, or
    # out of tries): not lost here either.
    "moved_on": "int64",
    "median_tries_to_pass": "Float64",  # NA when nobody passed
}
STALL_COLUMNS = {
    "classroom_id": "int64",
    "quest_id": "int64",
    "stage_id": "int64",
    "position": "int64",
    "title": "string",
    "reason": "string",  # one of STALL_REASONS
    "reached": "int64",
    "passed": "int64",
    "stuck": "int64",
    "not_passed": "int64",
    "stuck_share": "Float64",
    "not_passed_share": "Float64",
}
# "stuck": stuck / reached >= STALL_SHARE. "largest_drop": the stage of its quest where the most
# students reached but did not pass, and not_passed / reached >= STALL_SHARE. A student whose
# answer awaits the teacher's review is not counted in not_passed: the class waits for the
# teacher there, it is not lost; nor is one who went on to a later stage.
STALL_REASONS = ("stuck", "largest_drop")

# The key of a student's figures in one classroom.
STUDENT = ["classroom_id", "student_id"]
# The key of a student's figures on one quest in one classroom.
STUDENT_QUEST = ["classroom_id", "student_id", "quest_id"]


@dataclass(frozen=True)
class EngagementReport:
    """The engagement figures, one frame per view, with the columns declared above."""

    students: pd.DataFrame  # STUDENT_COLUMNS, one row per (classroom, student)
    classrooms: pd.DataFrame  # CLASSROOM_COLUMNS, one row per classroom
    quests: pd.DataFrame  # QUEST_COLUMNS, one row per quest
    funnel: pd.DataFrame  # FUNNEL_COLUMNS, one row per stage of each assigned quest
    stalls: pd.DataFrame  # STALL_COLUMNS, the funnel rows where the class stalls


def engagement_report(
    dataset: Dataset, *, classroom_id: int | None = None, quest_id: int | None = None
) -> EngagementReport:
    """The engagement report of every classroom and quest, or only of those asked for.

    With ``quest_id``, every figure is about that quest only, in the classrooms it is assigned to.
    """
    scope = _scoped(dataset, classroom_id=classroom_id, quest_id=quest_id)
    memberships = _memberships(scope)
    attempts = _counted_attempts(scope)
    stage_rows = _stage_progress(attempts, memberships)
    quest_rows = _quest_progress(stage_rows, memberships, scope.stages)
    funnel = _stage_funnel(scope, stage_rows, memberships)
    students = _student_engagement(scope, quest_rows, _active_days(attempts, memberships))
    return EngagementReport(
        students=students,
        classrooms=_classroom_engagement(scope, students),
        quests=_quest_engagement(scope, quest_rows),
        funnel=funnel,
        stalls=stall_stages(funnel),
    )


def stall_stages(funnel: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``funnel`` (FUNNEL_COLUMNS) where the class stalls, with a reason code.

    A stage is reported once; when both reasons hold, "stuck" is given, being the more urgent.
    Students waiting for the teacher's review, or gone on to a later stage, are neither passed
    nor lost (see STALL_REASONS).
    """
    reached = funnel["reached"].astype("float64")
    not_passed = (
        funnel["reached"] - funnel["passed"] - funnel["awaiting_review"] - funnel["moved_on"]
    )
    # Dividing by NaN where nobody reached the stage yields NA shares, never a division error.
    stuck_share = funnel["stuck"] / reached.where(reached > 0)
    not_passed_share = not_passed / reached.where(reached > 0)
    most_lost = not_passed.groupby([funnel["classroom_id"], funnel["quest_id"]]).transform("max")
    many_stuck = (funnel["stuck"] > 0) & (stuck_share >= STALL_SHARE)
    largest_drop = (not_passed > 0) & (not_passed == most_lost) & (not_passed_share >= STALL_SHARE)
    stalls = funnel.assign(
        reason=np.where(many_stuck, "stuck", "largest_drop"),
        not_passed=not_passed,
        stuck_share=stuck_share,
        not_passed_share=not_passed_share,
    )[many_stuck | largest_drop]
    return _shaped(stalls.sort_values(["classroom_id", "quest_id", "position"]), STALL_COLUMNS)


def _scoped(dataset: Dataset, *, classroom_id: int | None, quest_id: int | None) -> Dataset:
    """``dataset`` narrowed to one classroom, one quest, or both; unchanged with neither."""
    if classroom_id is None and quest_id is None:
        return dataset
    assignments = dataset.assignments
    enrollments = dataset.enrollments
    classrooms = dataset.classrooms
    quests = dataset.quests
    if classroom_id is not None:
        assignments = assignments[assignments["classroom_id"] == classroom_id]
        enrollments = enrollments[enrollments["classroom_id"] == classroom_id]
        classrooms = classrooms[classrooms["classroom_id"] == classroom_id]
        quests = quests[quests["quest_id"].isin(assignments["quest_id"])]
    if quest_id is not None:
        assignments = assignments[assignments["quest_id"] == quest_id]
        # Only the classrooms that have the quest assigned have anything to say about it.
        assigned_to = assignments["classroom_id"]
        enrollments = enrollments[enrollments["classroom_id"].isin(assigned_to)]
        classrooms = classrooms[classrooms["classroom_id"].isin(assigned_to)]
        quests = quests[quests["quest_id"] == quest_id]
    students = dataset.students[dataset.students["student_id"].isin(enrollments["student_id"])]
    attempts = dataset.attempts
    attempts = attempts[
        attempts["student_id"].isin(students["student_id"])
        & attempts["quest_id"].isin(assignments["quest_id"])
    ]
    return replace(
        dataset,
        attempts=attempts,
        stages=dataset.stages[dataset.stages["quest_id"].isin(assignments["quest_id"])],
        quests=quests,
        classrooms=classrooms,
        students=students,
        enrollments=enrollments,
        assignments=assignments,
    )


def _roster(dataset: Dataset) -> pd.DataFrame:
    """One row per (classroom, student) enrolled, with the student's names.

    Enrollments of students missing from ``students`` (inactive ones) are left out.
    """
    return dataset.enrollments[STUDENT].drop_duplicates().merge(dataset.students, on="student_id")


def _memberships(dataset: Dataset) -> pd.DataFrame:
    """One row per (classroom, student, quest) the student is expected to do."""
    return _roster(dataset)[STUDENT].merge(
        dataset.assignments[["classroom_id", "quest_id"]].drop_duplicates(), on="classroom_id"
    )


def _counted_attempts(dataset: Dataset) -> pd.DataFrame:
    """The attempts submitted by ``now`` at known stages, with what the figures need of each.

    Columns: attempt_id, student_id, quest_id, stage_id, position, submitted_at, day (its date on
    the school's clock, see ``days_of``), minutes (capped at IDLE_CAP), done, failed, pending.
    """
    attempts = dataset.attempts
    # The report is as of ``now``: later attempts (and unsubmitted ones, NaT) do not count yet.
    attempts = attempts[attempts["submitted_at"] <= dataset.now]
    stages = dataset.stages[["stage_id", "quest_id", "position"]].drop_duplicates("stage_id")
    attempts = attempts.merge(stages, on=["stage_id", "quest_id"])
    # A missing start counts as no time at all; a start after the submission likewise.
    spent = (attempts["submitted_at"] - attempts["started_at"]).clip(pd.Timedelta(0), IDLE_CAP)
    outcome = attempts["outcome"]
    return pd.DataFrame(
        {
            "attempt_id": attempts["attempt_id"],
            "student_id": attempts["student_id"],
            "quest_id": attempts["quest_id"],
            "stage_id": attempts["stage_id"],
            "position": attempts["position"],
            "submitted_at": attempts["submitted_at"],
            "day": days_of(attempts["submitted_at"], dataset.zone),
            "minutes": spent.dt.total_seconds().fillna(0.0) / 60,
            "done": outcome.isin(sorted(DONE_OUTCOMES)).to_numpy(dtype=bool),
            "failed": outcome.eq(Outcome.FAILED).fillna(False).to_numpy(dtype=bool),
            "pending": outcome.eq(Outcome.PENDING_REVIEW).fillna(False).to_numpy(dtype=bool),
        }
    )


def _stage_progress(attempts: pd.DataFrame, memberships: pd.DataFrame) -> pd.DataFrame:
    """One row per (classroom, student, stage) attempted at a quest assigned to the classroom.

    Columns: classroom_id, student_id, quest_id, stage_id, position, attempts, minutes, done,
    first_try_done, failures, pending, last_at, tries_to_pass (NaN unless done).
    """
    # Time order (ties by id) makes "first" the first try and numbers the tries in order.
    ordered = attempts.sort_values(["submitted_at", "attempt_id"])
    by_stage = ordered.groupby(["student_id", "stage_id"], sort=False)
    try_number = by_stage.cumcount() + 1
    per_stage = (
        ordered.assign(tries_to_pass=try_number.where(ordered["done"]))
        .groupby(["student_id", "stage_id"], sort=False)
        .agg(
            quest_id=("quest_id", "first"),
            position=("position", "first"),
            attempts=("attempt_id", "size"),
            minutes=("minutes", "sum"),
            done=("done", "max"),
            first_try_done=("done", "first"),
            failures=("failed", "sum"),
            pending=("pending", "max"),
            last_at=("submitted_at", "max"),
            tries_to_pass=("tries_to_pass", "min"),
        )
        .reset_index()
    )
    # A student in two classrooms with the same quest counts in both; other quests in neither.
    return memberships.merge(per_stage, on=["student_id", "quest_id"])


def _quest_progress(
    stage_rows: pd.DataFrame, memberships: pd.DataFrame, stages: pd.DataFrame
) -> pd.DataFrame:
    """One row per (classroom, student, quest) assigned, attempted or not.

    Columns: classroom_id, student_id, quest_id, attempts, minutes, stages_done, stages_attempted,
    first_try_done, last_at, stages_total, completion_pct, first_try_rate.
    """
    totals = stages.drop_duplicates("stage_id").groupby("quest_id").size().rename("stages_total")
    sums = stage_rows.groupby(STUDENT_QUEST).agg(
        attempts=("attempts", "sum"),
        minutes=("minutes", "sum"),
        stages_done=("done", "sum"),
        stages_attempted=("stage_id", "size"),
        first_try_done=("first_try_done", "sum"),
        last_at=("last_at", "max"),
    )
    rows = memberships.merge(sums, on=STUDENT_QUEST, how="left").merge(
        totals, on="quest_id", how="left"
    )
    counts = ["attempts", "stages_done", "stages_attempted", "first_try_done", "stages_total"]
    rows[counts] = rows[counts].fillna(0).astype("int64")
    rows["minutes"] = rows["minutes"].fillna(0.0)
    return _with_rates(rows)


def _with_rates(rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` with completion_pct and first_try_rate, NA where the denominator is zero."""
    return rows.assign(
        completion_pct=100 * rows["stages_done"] / _positive(rows["stages_total"]),
        first_try_rate=rows["first_try_done"] / _positive(rows["stages_attempted"]),
    )


def _active_days(attempts: pd.DataFrame, memberships: pd.DataFrame) -> pd.DataFrame:
    """One row per (classroom, student, day) with a submitted attempt at an assigned quest."""
    days = attempts[["student_id", "quest_id", "day"]].drop_duplicates()
    per_classroom = days.merge(memberships, on=["student_id", "quest_id"])
    return per_classroom[[*STUDENT, "day"]].drop_duplicates()


def _student_engagement(
    dataset: Dataset, quest_rows: pd.DataFrame, activity: pd.DataFrame
) -> pd.DataFrame:
    """One row per (classroom, student) enrolled, in STUDENT_COLUMNS."""
    sums = quest_rows.groupby(STUDENT).agg(
        attempts=("attempts", "sum"),
        time_on_task_minutes=("minutes", "sum"),
        stages_done=("stages_done", "sum"),
        stages_total=("stages_total", "sum"),
        stages_attempted=("stages_attempted", "sum"),
        first_try_done=("first_try_done", "sum"),
        last_active_at=("last_at", "max"),
    )
    first_opened = dataset.assignments.groupby("classroom_id")["opens_at"].min().rename("opened")
    students = (
        _roster(dataset)
        .merge(sums, on=STUDENT, how="left")
        .merge(activity.groupby(STUDENT).size().rename("active_days"), on=STUDENT, how="left")
        .merge(_streaks(activity, today_in(dataset)), on=STUDENT, how="left")
        .merge(first_opened, on="classroom_id", how="left")
        .merge(_peer_review_counts(dataset), on=STUDENT, how="left")
    )
    counts = [
        "peer_reviews_given",
        "peer_reviews_received",
        "attempts",
        "active_days",
        "stages_done",
        "stages_total",
        "stages_attempted",
        "first_try_done",
        "longest_streak",
        "current_streak",
    ]
    students[counts] = students[counts].fillna(0).astype("int64")
    students["time_on_task_minutes"] = students["time_on_task_minutes"].fillna(0.0)
    # Weeks since the first assignment opened, at least one, so a new class is not inflated.
    weeks = ((dataset.now - students["opened"]) / pd.Timedelta(weeks=1)).fillna(1.0).clip(lower=1)
    never_started = students["last_active_at"].isna()
    today = days_of(pd.Series([dataset.now]), dataset.zone)[0]
    # Calendar days, so an attempt yesterday evening is "1 day ago" this morning.
    since = (today - days_of(students["last_active_at"], dataset.zone)).dt.days
    since_opened = (today - days_of(students["opened"], dataset.zone)).dt.days.clip(lower=0)
    students = _with_rates(students).assign(
        active_days_per_week=students["active_days"] / weeks,
        never_started=never_started,
        days_since_last_activity=since.where(~never_started, since_opened),
    )
    return _shaped(students.sort_values(STUDENT), STUDENT_COLUMNS)


def _peer_review_counts(dataset: Dataset) -> pd.DataFrame:
    """Per (classroom, student): the peer reviews they wrote, and those of their work (their
    team's, for a team checkpoint) they received (not hidden), at the stages of the quests
    given to the classroom."""
    reviews = dataset.peer_reviews.merge(dataset.stages[["stage_id", "quest_id"]], on="stage_id")
    given_to = dataset.assignments[["classroom_id", "quest_id"]].drop_duplicates()
    reviews = reviews.merge(given_to, on="quest_id")
    # A review of a team's work has a row per member: its reviewer wrote it once.
    written = reviews.drop_duplicates(["review_id", "classroom_id"])
    written = written.rename(columns={"reviewer_id": "student_id"}).groupby(STUDENT).size()
    received = reviews[~reviews["hidden"]].rename(columns={"author_id": "student_id"})
    return pd.concat(
        [
            written.rename("peer_reviews_given"),
            received.groupby(STUDENT).size().rename("peer_reviews_received"),
        ],
        axis=1,
    ).reset_index()


def today_in(dataset: Dataset) -> date:
    """The date of ``now`` on the school's clock."""
    today: date = dataset.now.tz_convert(dataset.zone).date()
    return today


def days_of(moments: pd.Series, zone: str) -> pd.Series:
    """Each moment's date on the clock of ``zone``, as that date at 00:00 (typed as UTC, like
    every moment here): 8 p.m. on Friday in California is Friday, not Saturday."""
    local = moments.dt.tz_convert(zone).dt.tz_localize(None).dt.normalize()
    return local.dt.tz_localize("UTC")


def _streaks(activity: pd.DataFrame, today: date) -> pd.DataFrame:
    """Longest and current run of consecutive active school days per (classroom, student).

    School days are Monday to Friday: weekend activity neither extends nor breaks a run. The
    current run is alive if it reaches the latest school day before today, or today itself.
    """
    school = activity[activity["day"].dt.day_of_week < 5].sort_values([*STUDENT, "day"])
    # Numbering school days consecutively makes Friday and the next Monday neighbours.
    epoch = np.datetime64("1970-01-01", "D")
    numbers = np.busday_count(epoch, school["day"].dt.tz_convert(None).to_numpy("datetime64[D]"))
    school = school.assign(school_day=numbers)
    new_run = (
        school["classroom_id"].ne(school["classroom_id"].shift())
        | school["student_id"].ne(school["student_id"].shift())
        | school["school_day"].diff().ne(1)
    )
    runs = school.groupby(new_run.cumsum()).agg(
        classroom_id=("classroom_id", "first"),
        student_id=("student_id", "first"),
        length=("school_day", "size"),
        last_day=("school_day", "max"),
    )
    by_student = runs.groupby(STUDENT)
    latest = by_student.last()
    # busday_count up to today counts the school days before it, so the latest school day
    # before today has that number minus one (on a weekend: the Friday just gone).
    today_number = np.busday_count(epoch, np.datetime64(today, "D"))
    alive = latest["last_day"] >= today_number - 1
    return pd.DataFrame(
        {
            "longest_streak": by_student["length"].max(),
            "current_streak": latest["length"].where(alive, 0),
        }
    ).reset_index()


def _stage_funnel(
    dataset: Dataset, stage_rows: pd.DataFrame, memberships: pd.DataFrame
) -> pd.DataFrame:
    """One row per stage of each assigned quest per classroom, in position order: FUNNEL_COLUMNS."""
    stages = dataset.stages.drop_duplicates("stage_id")
    assigned = dataset.assignments[["classroom_id", "quest_id"]].drop_duplicates()
    skeleton = assigned.merge(
        stages[["quest_id", "stage_id", "position", "title"]], on="quest_id"
    ).merge(
        memberships.groupby(["classroom_id", "quest_id"]).size().rename("students"),
        on=["classroom_id", "quest_id"],
        how="left",
    )
    # A student reached every stage up to the furthest one they attempted.
    furthest = stage_rows.groupby(STUDENT_QUEST)["position"].max().rename("furthest")
    reached = furthest.reset_index().merge(
        stages[["quest_id", "stage_id", "position"]], on="quest_id"
    )
    reached = reached[reached["position"] <= reached["furthest"]].merge(
        stage_rows[
            [*STUDENT, "stage_id", "done", "failures", "pending", "last_at", "tries_to_pass"]
        ],
        on=[*STUDENT, "stage_id"],
        how="left",
    )
    # The latest attempt at this stage or any later one: a running maximum from the furthest
    # stage back (which always has an attempt), carried over the stages never attempted.
    reached = reached.sort_values([*STUDENT_QUEST, "position"], ascending=False)
    by_student = reached.groupby(STUDENT_QUEST, sort=False)["last_at"]
    later_at = by_student.ffill().groupby([reached[key] for key in STUDENT_QUEST]).cummax()
    # After the left merge, stages never attempted hold NaN, not False.
    done = reached["done"].eq(True)
    idle = (dataset.now - later_at) >= STUCK_AFTER
    failing = reached["failures"].fillna(0) >= STUCK_FAILURES
    # Waiting for a teacher's review is not being stuck, however long it takes or however many
    # tries came before.
    waiting = ~done & reached["pending"].eq(True)
    moved_on = ~done & ~waiting & (reached["position"] < reached["furthest"])
    counts = (
        reached.assign(
            passed=done,
            stuck=~done & ~waiting & (idle | failing),
            awaiting_review=waiting,
            moved_on=moved_on,
        )
        .groupby(["classroom_id", "stage_id"])
        .agg(
            reached=("stage_id", "size"),
            passed=("passed", "sum"),
            stuck=("stuck", "sum"),
            awaiting_review=("awaiting_review", "sum"),
            moved_on=("moved_on", "sum"),
            median_tries_to_pass=("tries_to_pass", "median"),
        )
    )
    funnel = skeleton.merge(counts, on=["classroom_id", "stage_id"], how="left")
    tallies = ["students", "reached", "passed", "stuck", "awaiting_review", "moved_on"]
    funnel[tallies] = funnel[tallies].fillna(0).astype("int64")
    return _shaped(funnel.sort_values(["classroom_id", "quest_id", "position"]), FUNNEL_COLUMNS)


# How a group of students' figures are summarised (see _summary for the input columns).
_SUMMARY = {
    "students": pd.NamedAgg("student_id", "size"),
    "active_last_7_days": pd.NamedAgg("recent", "sum"),
    "median_completion_pct": pd.NamedAgg("completion_pct", "median"),
    "median_time_on_task_minutes": pd.NamedAgg("minutes", "median"),
    "mean_first_try_rate": pd.NamedAgg("first_try_rate", "mean"),
    "attempts": pd.NamedAgg("attempts", "sum"),
}


def _classroom_engagement(dataset: Dataset, students: pd.DataFrame) -> pd.DataFrame:
    """One row per classroom, its students' figures summarised: CLASSROOM_COLUMNS."""
    quests = dataset.assignments.groupby("classroom_id")["quest_id"].nunique().rename("quests")
    renamed = {"time_on_task_minutes": "minutes", "last_active_at": "last_at"}
    summary = _summary(students.rename(columns=renamed), dataset.now)
    classrooms = (
        dataset.classrooms.merge(quests, on="classroom_id", how="left")
        .merge(summary.groupby("classroom_id").agg(**_SUMMARY), on="classroom_id", how="left")
        .fillna({"quests": 0, "students": 0, "active_last_7_days": 0, "attempts": 0})
    )
    return _shaped(classrooms.sort_values("classroom_id"), CLASSROOM_COLUMNS)


def _quest_engagement(dataset: Dataset, quest_rows: pd.DataFrame) -> pd.DataFrame:
    """One row per quest, its students' figures on it summarised: QUEST_COLUMNS.

    A student in two classrooms with the same quest did one set of attempts: counted once.
    """
    per_student = quest_rows.drop_duplicates(["student_id", "quest_id"])
    classrooms = (
        dataset.assignments.groupby("quest_id")["classroom_id"].nunique().rename("classrooms")
    )
    quests = (
        dataset.quests.merge(classrooms, on="quest_id", how="left")
        .merge(
            _summary(per_student, dataset.now).groupby("quest_id").agg(**_SUMMARY),
            on="quest_id",
            how="left",
        )
        .fillna({"classrooms": 0, "students": 0, "active_last_7_days": 0, "attempts": 0})
    )
    return _shaped(quests.sort_values("quest_id"), QUEST_COLUMNS)


def _summary(rows: pd.DataFrame, now: pd.Timestamp) -> pd.DataFrame:
    """``rows`` ready for _SUMMARY: figures nullable, ``recent`` true if active lately.

    Medians and means skip NA (students with nothing to measure), so a group where nobody has
    data gets NA rather than a misleading zero.
    """
    return rows.assign(
        recent=rows["last_at"] >= now - RECENT,
        completion_pct=rows["completion_pct"].astype("Float64"),
        first_try_rate=rows["first_try_rate"].astype("Float64"),
        minutes=rows["minutes"].astype("Float64"),
    )


def _positive(counts: pd.Series) -> pd.Series:
    """``counts`` as floats with zeros made NaN, so a ratio over nothing comes out missing."""
    return counts.astype("float64").where(counts > 0)


def _shaped(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """``frame`` with exactly ``columns``, each of its type, on a fresh index.

    Float columns become nullable Float64 here, turning every NaN into NA.
    """
    if frame.empty:
        return empty(columns)
    return frame[list(columns)].astype(columns).reset_index(drop=True)


WEEK_COLUMNS = {
    "classroom_id": "int64",
    "week": "datetime64[us, UTC]",  # its Monday on the school's clock (that date, 00:00)
    "active_students": "int64",
    "attempts": "int64",
    "time_on_task_minutes": "Float64",
}
STAGE_STATE_COLUMNS = {
    "classroom_id": "int64",
    "student_id": "int64",
    "name": "string",
    "quest_id": "int64",
    "stage_id": "int64",
    "position": "int64",
    "state": "string",
}
# A student's state at a stage, from best to worst news, as the progress grid shows it.
STAGE_STATES = ("done", "awaiting_review", "failed", "not_started")


def weekly_engagement(
    dataset: Dataset, *, classroom_id: int | None = None, quest_id: int | None = None
) -> pd.DataFrame:
    """Per classroom and week (Monday to Sunday on the school's clock), from the week the first
    quest opened to
    the week of ``now``: students active, attempts and capped time on task. Quiet weeks give 0.
    """
    scope = _scoped(dataset, classroom_id=classroom_id, quest_id=quest_id)
    memberships = _memberships(scope)
    attempts = _counted_attempts(scope).merge(memberships, on=["student_id", "quest_id"])
    if memberships.empty or scope.assignments.empty:
        return empty(WEEK_COLUMNS)
    week = _week_start(attempts["submitted_at"], scope.zone)
    counted = (
        attempts.assign(week=week)
        .groupby(["classroom_id", "week"])
        .agg(
            active_students=("student_id", "nunique"),
            attempts=("attempt_id", "size"),
            time_on_task_minutes=("minutes", "sum"),
        )
    )
    # Every week of each classroom's sprint, quiet ones included, so a chart shows the gaps.
    opened = scope.assignments.groupby("classroom_id")["opens_at"].min()
    last_week = _week_start(pd.Series([scope.now]), scope.zone)[0]
    calendar = pd.DataFrame(
        [
            (classroom, week)
            for classroom, first in opened.items()
            for week in pd.date_range(
                _week_start(pd.Series([first]), scope.zone)[0], last_week, freq="7D"
            )
        ],
        columns=["classroom_id", "week"],
    )
    weeks = calendar.merge(counted.reset_index(), on=["classroom_id", "week"], how="left")
    weeks[["active_students", "attempts"]] = (
        weeks[["active_students", "attempts"]].fillna(0).astype("int64")
    )
    weeks["time_on_task_minutes"] = weeks["time_on_task_minutes"].fillna(0.0)
    return _shaped(weeks.sort_values(["classroom_id", "week"]), WEEK_COLUMNS)


def stage_states(dataset: Dataset, *, classroom_id: int, quest_id: int) -> pd.DataFrame:
    """Each enrolled student's state at each stage of a quest in a classroom (STAGE_STATES).

    Done beats awaiting review, which beats failed; a stage never tried is "not_started".
    Rows are in roster order (by name) and stage position.
    """
    scope = _scoped(dataset, classroom_id=classroom_id, quest_id=quest_id)
    memberships = _memberships(scope)
    if memberships.empty:
        return empty(STAGE_STATE_COLUMNS)
    stages = scope.stages[["stage_id", "quest_id", "position"]].drop_duplicates("stage_id")
    grid = memberships.merge(stages, on="quest_id").merge(
        scope.students[["student_id", "name"]], on="student_id"
    )
    progress = _stage_progress(_counted_attempts(scope), memberships)
    grid = grid.merge(
        progress[[*STUDENT, "stage_id", "done", "pending", "failures"]],
        on=[*STUDENT, "stage_id"],
        how="left",
    )
    done = grid["done"].fillna(False).astype(bool)
    pending = grid["pending"].fillna(False).astype(bool)
    tried = grid["failures"].notna()
    grid["state"] = np.select(
        [done, pending, tried], ["done", "awaiting_review", "failed"], default="not_started"
    )
    ordered = grid.sort_values(["name", "student_id", "position"], key=_casefolded)
    return _shaped(ordered, STAGE_STATE_COLUMNS)


def _week_start(moments: pd.Series, zone: str) -> pd.Series:
    """The Monday of the week of each moment on the clock of ``zone`` (see ``days_of``)."""
    days = days_of(moments, zone)
    return days - pd.to_timedelta(days.dt.day_of_week, unit="D")


def _casefolded(column: pd.Series) -> pd.Series:
    return column.str.casefold() if column.dtype == "string" else column
