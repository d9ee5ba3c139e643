"""The engagement report: each figure checked against hand-computed values on small datasets."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import pytest

from analytics.dataset import Dataset, empty
from analytics.engagement import (
    CLASSROOM_COLUMNS,
    FUNNEL_COLUMNS,
    IDLE_CAP,
    QUEST_COLUMNS,
    STALL_COLUMNS,
    STUCK_AFTER,
    STUDENT_COLUMNS,
    EngagementReport,
    engagement_report,
    stall_stages,
    weekly_engagement,
)

NOW = pd.Timestamp("2025-09-17 12:00", tz="UTC")  # a Wednesday
OPENED = pd.Timestamp("2025-09-01 08:00", tz="UTC")  # a Monday, 16 calendar days before NOW
# Quest 10 has four stages, quest 20 two; quest 30 is assigned nowhere.
QUEST_OF_STAGE = {101: 10, 102: 10, 103: 10, 104: 10, 201: 20, 202: 20, 301: 30}
# Classroom 1 has quests 10 (already past due) and 20; classroom 2 has quest 10, opened Monday.
ASSIGNMENTS = (
    (1, 10, OPENED, "2025-09-12 17:00"),
    (1, 20, OPENED, "2025-09-30 17:00"),
    (2, 10, "2025-09-15 08:00", "2025-09-26 17:00"),
)
NAMES = {1: "Ada", 2: "Ben", 3: "Cy", 4: "Dee", 5: "Eve"}


def attempt(
    student: int, stage: int, submitted: str, *, minutes: float = 10, outcome: str = "passed"
) -> dict[str, object]:
    """One attempt of ``student`` at ``stage``, submitted at ``submitted`` after ``minutes``."""
    submitted_at = pd.Timestamp(submitted, tz="UTC")
    return {
        "student_id": student,
        "quest_id": QUEST_OF_STAGE[stage],
        "stage_id": stage,
        "started_at": submitted_at - pd.Timedelta(minutes=minutes),
        "submitted_at": submitted_at,
        "score": 1.0 if outcome in {"passed", "late"} else 0.0,
        "max_score": 1.0,
        "outcome": outcome,
    }


def dataset(
    attempts: Iterable[dict[str, object]] = (),
    *,
    enrollments: Sequence[tuple[int, int]] = ((1, 1), (1, 2), (1, 3)),
    assignments: Sequence[tuple[object, ...]] = ASSIGNMENTS,
    now: pd.Timestamp = NOW,
    zone: str = "UTC",
) -> Dataset:
    """Two classrooms, three quests, this roster and these attempts (numbered in order), at a
    school in ``zone``."""
    rows = [{"attempt_id": number, **row} for number, row in enumerate(attempts, start=1)]
    return Dataset.of(
        now=now,
        attempts=pd.DataFrame(rows, columns=list(Dataset.of(now=now).attempts.columns)),
        stages=pd.DataFrame(
            {
                "stage_id": list(QUEST_OF_STAGE),
                "quest_id": list(QUEST_OF_STAGE.values()),
                "position": [stage % 100 for stage in QUEST_OF_STAGE],
                "kind": "quiz",
                "title": [f"Stage {stage}" for stage in QUEST_OF_STAGE],
                "points": 10,
            }
        ),
        quests=pd.DataFrame(
            {"quest_id": [10, 20, 30], "slug": ["loops", "functions", "lists"]}
        ).assign(title=lambda quests: quests["slug"].str.title()),
        classrooms=pd.DataFrame({"classroom_id": [1, 2], "name": ["Period 1", "Period 2"]}),
        students=pd.DataFrame(
            {
                "student_id": list(NAMES),
                "name": list(NAMES.values()),
                "pseudonym": [f"Fox {number}" for number in NAMES],
            }
        ),
        enrollments=pd.DataFrame(enrollments, columns=["classroom_id", "student_id"]),
        assignments=pd.DataFrame(
            assignments, columns=["classroom_id", "quest_id", "opens_at", "due_at"]
        ),
        zone=zone,
    )


def row(frame: pd.DataFrame, **keys: int) -> pd.Series:
    """The one row of ``frame`` matching ``keys``."""
    matches = frame
    for column, value in keys.items():
        matches = matches[matches[column] == value]
    assert len(matches) == 1, keys
    return matches.iloc[0]


def student(report: EngagementReport, student_id: int, classroom_id: int = 1) -> pd.Series:
    return row(report.students, classroom_id=classroom_id, student_id=student_id)


def frames(report: EngagementReport) -> dict[str, pd.DataFrame]:
    return {
        "students": report.students,
        "classrooms": report.classrooms,
        "quests": report.quests,
        "funnel": report.funnel,
        "stalls": report.stalls,
    }


COLUMNS = {
    "students": STUDENT_COLUMNS,
    "classrooms": CLASSROOM_COLUMNS,
    "quests": QUEST_COLUMNS,
    "funnel": FUNNEL_COLUMNS,
    "stalls": STALL_COLUMNS,
}


# Ada works on both quests of classroom 1; Ben tried once, this morning; Cy never started.
ADA = (
    attempt(1, 101, "2025-09-15 10:00"),
    attempt(1, 102, "2025-09-15 10:20", outcome="failed"),
    attempt(1, 102, "2025-09-15 10:40", outcome="late"),
    attempt(1, 103, "2025-09-16 09:00", outcome="pending_review"),
    attempt(1, 201, "2025-09-16 09:30", outcome="failed"),
)
BEN = (attempt(2, 101, "2025-09-17 08:00"),)


@pytest.fixture
def class_report() -> EngagementReport:
    return engagement_report(dataset([*ADA, *BEN]))


# Time on task


def test_time_on_task_caps_each_attempt_at_the_idle_cap():
    report = engagement_report(
        dataset(
            [
                attempt(1, 101, "2025-09-15 10:30", minutes=90, outcome="failed"),
                attempt(1, 101, "2025-09-15 10:50", minutes=20),
            ]
        )
    )
    assert pd.Timedelta(minutes=45) == IDLE_CAP
    assert student(report, 1)["time_on_task_minutes"] == 45 + 20


def test_time_on_task_ignores_a_start_after_the_submission():
    report = engagement_report(
        dataset([attempt(1, 101, "2025-09-15 10:00", minutes=-5), attempt(1, 102, "2025-09-15")])
    )
    assert student(report, 1)["time_on_task_minutes"] == 10


# Completion, first try, attempts


def test_completion_counts_done_stages_over_every_assigned_stage(class_report):
    ada = student(class_report, 1)
    # 101 passed and 102 late are done; 103 awaits review; 201 failed. Six stages are assigned.
    assert (ada["stages_done"], ada["stages_total"]) == (2, 6)
    assert ada["completion_pct"] == pytest.approx(100 * 2 / 6)
    assert ada["attempts"] == 5


def test_first_try_rate_is_the_share_of_attempted_stages_done_at_once(class_report):
    ada = student(class_report, 1)
    # Four stages attempted; only 101 was done at the first try (102 failed first, then late).
    assert ada["stages_attempted"] == 4
    assert ada["first_try_rate"] == pytest.approx(0.25)


def test_first_try_follows_submission_time_not_row_order():
    report = engagement_report(
        dataset(
            [
                attempt(1, 101, "2025-09-15 11:00"),
                attempt(1, 101, "2025-09-15 10:00", outcome="failed"),
            ]
        )
    )
    assert student(report, 1)["first_try_rate"] == 0.0


def test_a_single_attempt_gives_complete_figures(class_report):
    ben = student(class_report, 2)
    assert ben["attempts"] == 1
    assert ben["active_days"] == 1
    assert ben["time_on_task_minutes"] == 10
    assert ben["completion_pct"] == pytest.approx(100 / 6)
    assert ben["first_try_rate"] == 1.0
    assert (ben["longest_streak"], ben["current_streak"]) == (1, 1)
    assert ben["days_since_last_activity"] == 0
    assert ben["last_active_at"] == pd.Timestamp("2025-09-17 08:00", tz="UTC")
    assert not ben["never_started"]


def test_a_student_who_never_started_is_flagged_with_no_data_rates(class_report):
    cy = student(class_report, 3)
    assert cy["never_started"]
    assert (cy["attempts"], cy["active_days"], cy["time_on_task_minutes"]) == (0, 0, 0)
    assert cy["completion_pct"] == 0
    assert cy["first_try_rate"] is pd.NA
    assert pd.isna(cy["last_active_at"])
    # Counted from the day the first assignment opened: September 1 to September 17.
    assert cy["days_since_last_activity"] == 16
    assert (cy["longest_streak"], cy["current_streak"]) == (0, 0)


def test_a_late_attempt_after_a_past_due_date_still_completes_its_stage():
    report = engagement_report(dataset([attempt(1, 104, "2025-09-16 10:00", outcome="late")]))
    assert student(report, 1)["stages_done"] == 1
    assert row(report.funnel, classroom_id=1, stage_id=104)["passed"] == 1


def test_attempts_after_now_and_at_unknown_stages_do_not_count():
    later = attempt(1, 101, "2025-09-18 09:00")
    unknown = {**attempt(1, 101, "2025-09-15 09:00"), "stage_id": 999}
    report = engagement_report(dataset([later, unknown]))
    assert student(report, 1)["attempts"] == 0
    assert student(report, 1)["never_started"]


# Activity over time


def test_active_days_per_week_divides_by_the_weeks_since_the_first_assignment_opened(
    class_report,
):
    # Ada was active on September 15 and 16; 16 days and 4 hours have passed since opening.
    weeks = (16 + 4 / 24) / 7
    assert student(class_report, 1)["active_days"] == 2
    assert student(class_report, 1)["active_days_per_week"] == pytest.approx(2 / weeks)


def test_active_days_per_week_counts_a_new_class_as_one_week():
    report = engagement_report(
        dataset(
            [attempt(4, 101, "2025-09-15 10:00"), attempt(4, 101, "2025-09-16 10:00")],
            enrollments=[(2, 4)],
        )
    )
    assert student(report, 4, classroom_id=2)["active_days_per_week"] == 2.0


def test_days_since_last_activity_counts_calendar_days():
    report = engagement_report(dataset([attempt(1, 101, "2025-09-15 23:50")]))
    assert student(report, 1)["days_since_last_activity"] == 2


@pytest.mark.parametrize(
    ("days", "now", "longest", "current"),
    [
        # Thursday, Friday, Monday, Tuesday: the weekend does not break the run.
        (["09-11", "09-12", "09-15", "09-16"], NOW, 4, 4),
        # Saturday work neither breaks nor lengthens it.
        (["09-11", "09-12", "09-13", "09-15"], NOW, 3, 0),
        # Wednesday is missing: two runs of two; the latest ended last Thursday.
        (["09-08", "09-09", "09-11", "09-12"], NOW, 2, 0),
        # Active today and yesterday.
        (["09-16", "09-17"], NOW, 2, 2),
        # On a Saturday, a run that ended on Friday is still current.
        (["09-18", "09-19"], pd.Timestamp("2025-09-20 10:00", tz="UTC"), 2, 2),
        # Weekend work alone makes no school-day streak.
        (["09-13", "09-14"], NOW, 0, 0),
    ],
    ids=["over-weekend", "saturday", "broken", "today", "on-saturday", "weekend-only"],
)
def test_streaks_count_consecutive_school_days(days, now, longest, current):
    attempts = [attempt(1, 101, f"2025-{day} 07:30", outcome="failed") for day in days]
    figures = student(engagement_report(dataset(attempts, now=now)), 1)
    assert figures["active_days"] == len(days)
    assert (figures["longest_streak"], figures["current_streak"]) == (longest, current)


@pytest.mark.parametrize(
    ("zone", "longest", "current"),
    [
        # Thursday and Friday evenings in California: two school days in a row.
        ("America/Los_Angeles", 2, 2),
        # The same moments by UTC's calendar fall on Friday and Saturday.
        ("UTC", 1, 1),
    ],
)
def test_days_are_the_schools_calendar_days(zone, longest, current):
    evenings = [attempt(1, 101, moment) for moment in ("2025-09-12 03:00", "2025-09-13 03:00")]
    monday_morning = pd.Timestamp("2025-09-15 17:00", tz="UTC")  # 10 a.m. in California
    figures = student(engagement_report(dataset(evenings, now=monday_morning, zone=zone)), 1)
    assert (figures["longest_streak"], figures["current_streak"]) == (longest, current)


def test_days_since_an_evening_attempt_count_on_the_schools_calendar():
    tuesday_evening = attempt(1, 101, "2025-09-17 03:00")  # 8 p.m. Tuesday in California
    wednesday_morning = pd.Timestamp("2025-09-17 15:00", tz="UTC")
    report = engagement_report(
        dataset([tuesday_evening], now=wednesday_morning, zone="America/Los_Angeles")
    )
    assert student(report, 1)["days_since_last_activity"] == 1


def test_weeks_are_the_schools_weeks():
    sunday_evening = attempt(1, 101, "2025-09-15 03:00")  # 8 p.m. Sunday in California
    weeks = weekly_engagement(dataset([sunday_evening], zone="America/Los_Angeles"))
    active = weeks[weeks["attempts"] > 0]
    assert list(active["week"].dt.date.astype(str)) == ["2025-09-08"]
    utc_weeks = weekly_engagement(dataset([sunday_evening]))
    assert list(utc_weeks[utc_weeks["attempts"] > 0]["week"].dt.date.astype(str)) == ["2025-09-15"]


# Classrooms and quests


def test_classroom_figures_summarise_its_students(class_report):
    period = row(class_report.classrooms, classroom_id=1)
    assert period["name"] == "Period 1"
    assert (period["quests"], period["students"], period["attempts"]) == (2, 3, 6)
    assert period["active_last_7_days"] == 2
    # Completion 33.3 (Ada), 16.7 (Ben), 0 (Cy); time 50, 10, 0 minutes.
    assert period["median_completion_pct"] == pytest.approx(100 / 6)
    assert period["median_time_on_task_minutes"] == 10
    # Cy has no first-try rate, so the mean is over Ada (0.25) and Ben (1.0).
    assert period["mean_first_try_rate"] == pytest.approx(0.625)


def test_a_classroom_with_no_students_reports_counts_of_zero_and_no_data(class_report):
    empty_class = row(class_report.classrooms, classroom_id=2)
    assert (empty_class["quests"], empty_class["students"], empty_class["attempts"]) == (1, 0, 0)
    assert empty_class["median_completion_pct"] is pd.NA
    assert empty_class["mean_first_try_rate"] is pd.NA


def test_quest_figures_summarise_each_students_work_on_that_quest(class_report):
    loops = row(class_report.quests, quest_id=10)
    assert loops["title"] == "Loops"
    assert (loops["classrooms"], loops["students"], loops["attempts"]) == (2, 3, 5)
    assert loops["active_last_7_days"] == 2
    # On quest 10: Ada 2 of 4 stages and 40 minutes, Ben 1 of 4 and 10, Cy nothing.
    assert loops["median_completion_pct"] == 25
    assert loops["median_time_on_task_minutes"] == 10
    assert loops["mean_first_try_rate"] == pytest.approx((1 / 3 + 1) / 2)
    functions = row(class_report.quests, quest_id=20)
    assert (functions["students"], functions["attempts"]) == (3, 1)
    assert functions["mean_first_try_rate"] == 0.0


def test_a_quest_assigned_nowhere_has_no_students_and_no_funnel(class_report):
    lists = row(class_report.quests, quest_id=30)
    assert (lists["classrooms"], lists["students"], lists["attempts"]) == (0, 0, 0)
    assert lists["median_completion_pct"] is pd.NA
    assert 30 not in set(class_report.funnel["quest_id"])


def test_a_student_in_two_classrooms_is_reported_in_each_and_counted_once_per_quest():
    report = engagement_report(
        dataset(
            [attempt(4, 101, "2025-09-16 10:00"), attempt(4, 201, "2025-09-16 11:00")],
            enrollments=[(1, 4), (2, 4)],
        )
    )
    in_first, in_second = student(report, 4, 1), student(report, 4, 2)
    assert (in_first["attempts"], in_first["stages_done"], in_first["stages_total"]) == (2, 2, 6)
    # Classroom 2 has only quest 10, so the attempt at quest 20 is not part of its figures.
    assert (in_second["attempts"], in_second["stages_done"], in_second["stages_total"]) == (1, 1, 4)
    assert row(report.quests, quest_id=10)["students"] == 1
    assert row(report.quests, quest_id=10)["attempts"] == 1
    assert row(report.funnel, classroom_id=2, stage_id=101)["passed"] == 1


# The stage funnel and stalls

# Five students on quest 10 in a classroom that has only that quest.
FUNNEL_ATTEMPTS = (
    # Ada passed 101 and 102 and failed 103 yesterday: still working.
    attempt(1, 101, "2025-09-15 10:00"),
    attempt(1, 102, "2025-09-15 10:30"),
    attempt(1, 103, "2025-09-16 12:00", outcome="failed"),
    # Ben passed 101 at the second try, then failed 102 three times: stuck by failures.
    attempt(2, 101, "2025-09-10 10:00", outcome="failed"),
    attempt(2, 101, "2025-09-10 10:30"),
    *[attempt(2, 102, f"2025-09-16 1{hour}:00", outcome="failed") for hour in range(3)],
    # Cy failed 101 five days ago and stopped: stuck by idleness.
    attempt(3, 101, "2025-09-12 12:00", outcome="failed"),
    # Eve went straight to 102 and passed it this morning: 101 is reached, not stuck.
    attempt(5, 102, "2025-09-17 10:00"),
)
ONLY_LOOPS = ((1, 10, OPENED, "2025-09-26 17:00"),)
FIVE_STUDENTS = [(1, number) for number in range(1, 6)]


@pytest.fixture
def funnel_report() -> EngagementReport:
    return engagement_report(
        dataset(FUNNEL_ATTEMPTS, enrollments=FIVE_STUDENTS, assignments=ONLY_LOOPS)
    )


def test_funnel_counts_reached_passed_and_stuck_per_stage(funnel_report):
    funnel = funnel_report.funnel
    assert list(funnel["stage_id"]) == [101, 102, 103, 104]
    assert list(funnel["students"]) == [5, 5, 5, 5]
    assert list(funnel["reached"]) == [4, 3, 1, 0]
    assert list(funnel["passed"]) == [2, 2, 0, 0]
    assert list(funnel["stuck"]) == [1, 1, 0, 0]
    # Eve went on to 102 without 101.
    assert list(funnel["moved_on"]) == [1, 0, 0, 0]
    assert list(funnel["title"]) == ["Stage 101", "Stage 102", "Stage 103", "Stage 104"]


def test_students_who_went_on_to_a_later_stage_are_not_lost_where_they_skipped():
    # Four of five skipped the first stage and passed the second; one is at the first.
    skipped = [attempt(student, 102, "2025-09-17 10:00") for student in (1, 2, 3, 4)]
    report = engagement_report(
        dataset(
            [*skipped, attempt(5, 101, "2025-09-17 10:00", outcome="failed")],
            enrollments=FIVE_STUDENTS,
            assignments=ONLY_LOOPS,
        )
    )
    first = row(report.funnel, stage_id=101)
    assert (first["reached"], first["passed"], first["moved_on"]) == (5, 0, 4)
    # One of five stopped at 101 without passing it: 20%, the largest loss, so still a stall,
    # counted as one student, not five.
    stall = row(report.stalls, stage_id=101)
    assert (stall["reason"], stall["not_passed"]) == ("largest_drop", 1)


def test_funnel_median_tries_to_pass(funnel_report):
    # Stage 101: Ada at the first try, Ben at the second; 102: Ada and Eve at the first.
    tries = funnel_report.funnel["median_tries_to_pass"]
    assert tries.iloc[:2].tolist() == [1.5, 1.0]
    assert tries.iloc[2:].isna().all()


@pytest.mark.parametrize(
    ("idle", "stuck"),
    [(STUCK_AFTER, 1), (STUCK_AFTER - pd.Timedelta(minutes=1), 0)],
    ids=["idle-long-enough", "not-yet"],
)
def test_a_student_is_stuck_after_enough_idle_time(idle, stuck):
    failed_at = (NOW - idle).strftime("%Y-%m-%d %H:%M")
    report = engagement_report(
        dataset([attempt(3, 101, failed_at, outcome="failed")], assignments=ONLY_LOOPS)
    )
    assert row(report.funnel, stage_id=101)["stuck"] == stuck


def test_waiting_for_a_review_is_not_being_stuck():
    report = engagement_report(
        dataset(
            [
                attempt(3, 101, "2025-09-10 12:00", outcome="pending_review"),
                attempt(2, 101, "2025-09-10 12:00", outcome="failed"),
            ],
            assignments=ONLY_LOOPS,
        )
    )
    stage = row(report.funnel, stage_id=101)
    assert (stage["reached"], stage["passed"], stage["stuck"]) == (2, 0, 1)
    assert stage["awaiting_review"] == 1


def test_answers_waiting_for_a_review_are_neither_lost_nor_a_stall():
    # Three failures, then a checkpoint handed in long ago and still unmarked: the teacher's turn.
    waiting = [attempt(3, 101, f"2025-09-10 1{hour}:00", outcome="failed") for hour in range(3)]
    report = engagement_report(
        dataset(
            [*waiting, attempt(3, 101, "2025-09-10 14:00", outcome="pending_review")],
            assignments=ONLY_LOOPS,
        )
    )
    stage = row(report.funnel, stage_id=101)
    assert (stage["reached"], stage["stuck"], stage["awaiting_review"]) == (1, 0, 1)
    assert report.stalls.empty


def test_stalls_are_the_stages_where_many_students_are_stuck(funnel_report):
    stalls = funnel_report.stalls
    # Each stage has lost one student (Eve went on from 101): 103's loss, Ada, is a stall too.
    assert list(stalls["stage_id"]) == [101, 102, 103]
    assert list(stalls["reason"]) == ["stuck", "stuck", "largest_drop"]
    first = stalls.iloc[0]
    assert (first["reached"], first["passed"], first["stuck"], first["not_passed"]) == (4, 2, 1, 1)
    assert (first["stuck_share"], first["not_passed_share"]) == (0.25, 0.25)
    assert stalls.iloc[1]["stuck_share"] == pytest.approx(1 / 3)


def funnel_of(rows: Sequence[tuple[int, int, int, int, int]]) -> pd.DataFrame:
    """A funnel in classroom 1 from (quest, position, reached, passed, stuck) rows."""
    frame = pd.DataFrame(rows, columns=["quest_id", "position", "reached", "passed", "stuck"])
    return frame.assign(
        classroom_id=1,
        stage_id=frame["quest_id"] * 10 + frame["position"],
        title="Stage",
        students=10,
        awaiting_review=0,
        moved_on=0,
        median_tries_to_pass=pd.NA,
    ).astype(FUNNEL_COLUMNS)[list(FUNNEL_COLUMNS)]


def test_the_stage_losing_most_students_is_a_stall_when_the_loss_is_large():
    funnel = funnel_of(
        [
            (1, 1, 10, 10, 0),
            (1, 2, 10, 6, 1),  # 4 of 10 did not pass: the largest loss, 40%
            (1, 3, 6, 5, 0),
            (2, 1, 10, 9, 0),  # the largest loss of quest 2, but only 10%
            (3, 1, 0, 0, 0),  # nobody reached it: no stall, no division by zero
        ]
    )
    stalls = stall_stages(funnel)
    assert list(stalls["stage_id"]) == [12]
    stall = stalls.iloc[0]
    assert stall["reason"] == "largest_drop"
    assert (stall["not_passed"], stall["not_passed_share"], stall["stuck_share"]) == (4, 0.4, 0.1)


# Filters


def test_filtering_by_classroom_keeps_only_its_rows():
    report = engagement_report(
        dataset([attempt(4, 101, "2025-09-16 10:00")], enrollments=[(1, 1), (2, 4)]),
        classroom_id=2,
    )
    assert list(report.students["student_id"]) == [4]
    assert list(report.classrooms["classroom_id"]) == [2]
    assert list(report.quests["quest_id"]) == [10]
    assert set(report.funnel["classroom_id"]) == {2}


def test_filtering_by_quest_reports_that_quest_only():
    report = engagement_report(dataset([*ADA, *BEN]), quest_id=20)
    # Quest 20 is assigned to classroom 1 only; Ada made one attempt at it.
    assert list(report.students["classroom_id"].unique()) == [1]
    ada = student(report, 1)
    assert (ada["attempts"], ada["stages_total"], ada["first_try_rate"]) == (1, 2, 0.0)
    assert list(report.classrooms["quests"]) == [1]
    assert list(report.quests["quest_id"]) == [20]
    assert list(report.funnel["stage_id"]) == [201, 202]


def test_filtering_by_a_quest_assigned_nowhere_gives_empty_figures():
    report = engagement_report(dataset([*ADA]), quest_id=30)
    assert report.students.empty
    assert report.classrooms.empty
    assert report.funnel.empty
    assert row(report.quests, quest_id=30)["students"] == 0


def test_filtering_by_an_unknown_classroom_gives_empty_frames():
    report = engagement_report(dataset([*ADA]), classroom_id=99)
    assert all(frame.empty for frame in frames(report).values())


# Empty and missing data


def test_an_empty_dataset_gives_empty_frames_with_typed_columns():
    report = engagement_report(Dataset.of(now=NOW))
    for name, frame in frames(report).items():
        assert frame.empty, name
        assert frame.dtypes.to_dict() == empty(COLUMNS[name]).dtypes.to_dict(), name


def test_stall_stages_of_an_empty_funnel_is_empty():
    stalls = stall_stages(empty(FUNNEL_COLUMNS))
    assert stalls.empty
    assert list(stalls.columns) == list(STALL_COLUMNS)


def test_a_classroom_without_attempts_has_zeros_and_no_data_never_nan():
    report = engagement_report(dataset())
    period = row(report.classrooms, classroom_id=1)
    assert (period["students"], period["active_last_7_days"], period["attempts"]) == (3, 0, 0)
    assert (period["median_completion_pct"], period["median_time_on_task_minutes"]) == (0, 0)
    assert period["mean_first_try_rate"] is pd.NA
    assert report.students["never_started"].all()
    assert report.students["first_try_rate"].isna().all()
    assert (report.funnel["reached"] == 0).all()
    assert report.funnel["median_tries_to_pass"].isna().all()
    assert report.stalls.empty


@pytest.mark.parametrize(
    "report",
    [
        pytest.param(lambda: engagement_report(dataset()), id="no-attempts"),
        pytest.param(lambda: engagement_report(dataset([*ADA, *BEN])), id="class"),
        pytest.param(
            lambda: engagement_report(
                dataset(FUNNEL_ATTEMPTS, enrollments=FIVE_STUDENTS, assignments=ONLY_LOOPS)
            ),
            id="funnel",
        ),
    ],
)
def test_every_frame_has_its_declared_columns_and_no_numpy_floats(report):
    for name, frame in frames(report()).items():
        assert frame.dtypes.to_dict() == empty(COLUMNS[name]).dtypes.to_dict(), name
        # numpy floats could carry NaN to a reader; nullable Float64 carries NA instead.
        assert not any(dtype == np.float64 for dtype in frame.dtypes), name


def test_a_classroom_with_no_assignments_reports_no_completion():
    report = engagement_report(
        dataset([attempt(1, 101, "2025-09-16 10:00")], assignments=ONLY_LOOPS[:0])
    )
    ada = student(report, 1)
    assert (ada["attempts"], ada["stages_total"]) == (0, 0)
    assert ada["completion_pct"] is pd.NA
    assert ada["days_since_last_activity"] is pd.NA
    assert ada["active_days_per_week"] == 0
