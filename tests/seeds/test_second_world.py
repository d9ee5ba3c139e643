"""The second simulated world: classes a seed makes, their history at any moment, and labels."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from analytics.dataset import (
    ASSIGNMENTS,
    ATTEMPTS,
    CLASSROOMS,
    ENROLLMENTS,
    EXTENSIONS,
    QUESTS,
    STAGES,
    STUDENTS,
    Dataset,
)
from analytics.prediction import LABELS
from seeds import second_world
from seeds.cohorts import POINTS, QUEST_LAYOUTS, finished_by_due
from seeds.second_world import (
    CLASSROOM_BASE,
    CUTOFF_WEEKS,
    DROPOUT,
    EXTRA_SECONDS,
    HELD_OUT_SEEDS,
    MAX_CLASS_SIZE,
    MIN_CLASS_SIZE,
    PASS_RATIO,
    PERSONAS,
    PROCRASTINATOR,
    REGULAR,
    ZONES,
    world_class,
    world_dataset,
    world_examples,
    world_reviews,
    world_snapshots,
    world_students,
)

# A class with dropouts deactivated mid-term, time extensions and reviews pending at its cuts.
SEED = 3
GRADED = ("quiz", "code", "timed")
FRAMES = {
    "attempts": ATTEMPTS,
    "stages": STAGES,
    "quests": QUESTS,
    "classrooms": CLASSROOMS,
    "students": STUDENTS,
    "enrollments": ENROLLMENTS,
    "assignments": ASSIGNMENTS,
    "extensions": EXTENSIONS,
}


@pytest.fixture(scope="module")
def plan():
    return world_class(SEED)


@pytest.fixture(scope="module")
def full():
    return world_dataset(SEED)


@pytest.fixture(scope="module")
def students():
    return world_students(SEED)


@pytest.fixture(scope="module")
def attempts(full):
    """The final dataset's attempts with their stage's position and kind."""
    return full.attempts.merge(full.stages[["stage_id", "position", "kind"]], on="stage_id")


@pytest.fixture(scope="module")
def truth():
    """Whether each (student, quest) pair finished, over every held-out class, with personas."""
    frames = []
    for seed in HELD_OUT_SEEDS:
        labels = pd.concat([snapshot.labels for snapshot in world_snapshots(seed, weeks=(1,))])
        frames.append(
            labels.merge(world_students(seed), on="student_id").assign(
                classroom_id=CLASSROOM_BASE + seed
            )
        )
    return pd.concat(frames, ignore_index=True)


def test_a_seed_always_makes_the_same_world():
    first = world_dataset(5)
    second_world._history.cache_clear()
    again = world_dataset(5)
    assert world_class(5) == world_class(5)
    for name in FRAMES:
        assert getattr(first, name).equals(getattr(again, name)), name
    assert world_students(5).equals(world_students(5))


def test_different_seeds_make_different_classes():
    plans = [world_class(seed) for seed in HELD_OUT_SEEDS]
    assert len({plan.size for plan in plans}) > 8
    assert len({plan.zone for plan in plans}) == len(ZONES)
    assert len({plan.culture for plan in plans}) == len(plans)
    assert not world_dataset(1).attempts.equals(world_dataset(2).attempts)
    assert world_dataset(1).zone in ZONES


def test_classes_are_shaped_as_the_story_says():
    for plan in (world_class(seed) for seed in HELD_OUT_SEEDS):
        assert MIN_CLASS_SIZE <= plan.size <= MAX_CLASS_SIZE
        assert 2 <= len(plan.quests) <= 4
        assert plan.zone in ZONES
        zone = ZoneInfo(plan.zone)
        for quest in plan.quests:
            assert quest.kinds in QUEST_LAYOUTS
            assert 6 <= len(quest.kinds) <= 8
            assert all(
                (limit is not None) == (kind == "timed")
                for kind, limit in zip(quest.kinds, quest.time_limits, strict=True)
            )
            due = quest.due_at.astimezone(zone)
            assert due.weekday() == 4, "due on a Friday"
            assert due.time() == time(23, 59), "in the evening, local time"
            assert timedelta(weeks=3) <= quest.due_at - quest.opens_at <= timedelta(weeks=5)
        for earlier, later in zip(plan.quests, plan.quests[1:], strict=False):
            # One or two weeks apart on the school's calendar, whatever the clocks did.
            first, then = earlier.opens_at.astimezone(zone), later.opens_at.astimezone(zone)
            assert (then.date() - first.date()).days in (7, 14)
            assert then.time() == first.time()
        assert plan.exam_week != plan.flu_week
        assert 1 <= plan.review_days <= 7
        assert plan.classroom_id == CLASSROOM_BASE + plan.seed


def test_the_dataset_is_one_classroom_with_every_quest_assigned(plan, full, students):
    assert isinstance(full, Dataset)
    assert full.now == pd.Timestamp(plan.end)
    assert full.zone == plan.zone
    assert full.classrooms["classroom_id"].tolist() == [CLASSROOM_BASE + SEED]
    assert set(full.enrollments["classroom_id"]) == {CLASSROOM_BASE + SEED}
    assert full.enrollments["student_id"].tolist() == full.students["student_id"].tolist()
    assert full.assignments["opens_at"].tolist() == [
        pd.Timestamp(quest.opens_at) for quest in plan.quests
    ]
    assert full.assignments["due_at"].tolist() == [
        pd.Timestamp(quest.due_at) for quest in plan.quests
    ]
    assert full.stages["kind"].tolist() == [kind for quest in plan.quests for kind in quest.kinds]
    assert full.stages["points"].tolist() == [POINTS[kind] for kind in full.stages["kind"]]
    assert full.attempts["attempt_id"].tolist() == list(range(1, len(full.attempts) + 1))
    assert full.attempts["submitted_at"].is_monotonic_increasing
    # Deactivated students are out of the class, as on the platform; everyone else is in.
    gone = students["deactivated_at"] <= full.now
    assert gone.any()
    assert set(full.students["student_id"]) == set(students.loc[~gone, "student_id"])


def test_frames_have_the_dataset_types(full):
    for snapshot in (full, world_dataset(SEED, now=world_class(SEED).start + timedelta(days=9))):
        for name, columns in FRAMES.items():
            frame = getattr(snapshot, name)
            assert list(frame.columns) == list(columns), name
            assert {column: str(dtype) for column, dtype in frame.dtypes.items()} == {
                column: str(pd.Series(dtype=dtype).dtype) for column, dtype in columns.items()
            }, name


def test_personas_shares_and_fates():
    rosters = pd.concat([world_students(seed) for seed in HELD_OUT_SEEDS], ignore_index=True)
    assert set(rosters["persona"]) == set(PERSONAS)
    shares = rosters["persona"].value_counts(normalize=True)
    assert 0.22 <= shares[PROCRASTINATOR] <= 0.38
    assert 0.04 <= shares[DROPOUT] <= 0.12
    dropouts = rosters[rosters["persona"] == DROPOUT]
    assert dropouts["dropped_at"].notna().all()
    assert rosters.loc[rosters["persona"] != DROPOUT, "dropped_at"].isna().all()
    assert 0.3 <= dropouts["deactivated_at"].notna().mean() <= 0.7
    deactivated = dropouts[dropouts["deactivated_at"].notna()]
    assert (deactivated["deactivated_at"] > deactivated["dropped_at"]).all()
    assert 0.25 <= rosters[["ability", "motivation"]].corr().iloc[0, 1] <= 0.55
    assert 0.05 <= rosters["extension"].mean() <= 0.15


def test_the_world_hits_its_completion_targets(truth):
    assert 0.45 <= truth["finished"].mean() <= 0.70
    rates = truth.groupby("persona")["finished"].mean()
    assert 0.35 <= rates[PROCRASTINATOR] <= 0.60
    assert rates[DROPOUT] <= 0.1
    assert rates[REGULAR] > rates[PROCRASTINATOR]


def test_early_progress_says_little_of_who_finishes():
    shares, finished = [], []
    for seed in HELD_OUT_SEEDS:
        # A week after the first quest opened: its share of stages done, for those not done.
        snapshot = world_snapshots(seed, weeks=(1,))[0]
        dataset = snapshot.dataset
        labels = snapshot.labels[snapshot.labels["quest_id"] == 1]
        attempts = dataset.attempts[dataset.attempts["quest_id"] == 1]
        done = attempts[attempts["outcome"].isin(["passed", "late"])]
        stages = (dataset.stages["quest_id"] == 1).sum()
        share = labels["student_id"].map(done.groupby("student_id")["stage_id"].nunique())
        share = share.fillna(0) / stages
        shares.append(share[share < 1])
        finished.append(labels.loc[share < 1, "finished"])
    auc = roc_auc_score(pd.concat(finished), pd.concat(shares))
    assert 0.5 < auc < 0.7


def test_a_cut_is_the_final_history_up_to_it(plan, full):
    reviews = world_reviews(SEED).set_index("attempt_id")
    for moment in (
        plan.start + timedelta(days=9, hours=5),
        plan.quests[0].due_at - timedelta(hours=3),
        plan.quests[0].due_at + timedelta(days=3),
    ):
        cut = world_dataset(SEED, now=moment)
        now = pd.Timestamp(moment)
        assert cut.now == now
        expected = full.attempts[full.attempts["submitted_at"] <= now].reset_index(drop=True)
        assert len(cut.attempts) == len(expected)
        columns = ["attempt_id", "student_id", "stage_id", "started_at", "submitted_at"]
        assert cut.attempts[columns].equals(expected[columns])
        # Verdicts still to come show as pending and unscored; the rest as they end up.
        reviewed_at = cut.attempts["attempt_id"].map(reviews["reviewed_at"])
        later = (reviewed_at > now).to_numpy()
        assert later.any()
        assert (cut.attempts.loc[later, "outcome"] == "pending_review").all()
        assert cut.attempts.loc[later, "score"].isna().all()
        settled = cut.attempts[~later].reset_index(drop=True)
        final = expected[~later].reset_index(drop=True)
        assert settled[["outcome", "score"]].equals(final[["outcome", "score"]])
        assert not (settled["outcome"] == "pending_review").any()
        # Grants made by then; students not yet deactivated then.
        grants = full.extensions[full.extensions["granted_at"] <= now].reset_index(drop=True)
        assert cut.extensions.equals(grants)
        roster = world_students(SEED)
        active = roster.loc[~(roster["deactivated_at"] <= now), "student_id"].tolist()
        assert cut.students["student_id"].tolist() == active
        assert cut.enrollments["student_id"].tolist() == active


def test_reviews_come_after_submission_with_their_verdict(full):
    reviews = world_reviews(SEED).merge(full.attempts, on="attempt_id", suffixes=("", "_final"))
    kinds = full.stages.set_index("stage_id")["kind"]
    assert (reviews["stage_id"].map(kinds) == "checkpoint").all()
    assert set(reviews["outcome"]) == {"passed", "failed"}
    delays = reviews["reviewed_at"] - reviews["submitted_at"]
    assert (delays > pd.Timedelta(0)).all()
    assert (delays <= second_world.LONGEST_REVIEW).all()
    assert reviews["score"].notna().all()
    passed = reviews["outcome"] == "passed"
    assert (reviews.loc[passed, "score"] >= PASS_RATIO * reviews.loc[passed, "max_score"]).all()
    assert (reviews.loc[~passed, "score"] < PASS_RATIO * reviews.loc[~passed, "max_score"]).all()
    assert passed.mean() > 0.6


def test_pending_checkpoints_are_unscored_and_graded_failures_score_low(plan, attempts):
    cut = world_dataset(SEED, now=plan.start + timedelta(days=12))
    pending = cut.attempts[cut.attempts["outcome"] == "pending_review"]
    assert len(pending) > 0
    assert pending["score"].isna().all()
    assert (pending["stage_id"].map(cut.stages.set_index("stage_id")["kind"]) == "checkpoint").all()
    graded = attempts[attempts["kind"].isin(GRADED)]
    failed = graded[graded["outcome"] == "failed"]
    assert len(failed) > 0
    assert (failed["score"] < PASS_RATIO * failed["max_score"]).all()
    passed = graded[graded["outcome"] == "passed"]
    assert (passed["score"] >= PASS_RATIO * passed["max_score"]).all()
    ungraded = attempts[attempts["kind"].isin(("lesson", "reflection", "self_check"))]
    assert (ungraded["outcome"] == "passed").all()
    assert set(attempts.loc[attempts["outcome"] == "late", "kind"]) <= {"timed"}
    assert (
        attempts["score"].dropna() <= attempts.loc[attempts["score"].notna(), "max_score"]
    ).all()


def test_every_attempt_is_submitted_after_it_started(full):
    for seed in HELD_OUT_SEEDS:
        attempts = world_dataset(seed).attempts
        assert (attempts["submitted_at"] >= attempts["started_at"]).all()
    assert (full.attempts["submitted_at"] > full.attempts["started_at"]).all()


def test_students_work_in_local_afternoons_and_evenings(plan, attempts):
    local = attempts["started_at"].dt.tz_convert(plan.zone)
    hours = local.dt.hour + local.dt.minute / 60
    weekend = local.dt.day_of_week >= 5
    weekday_hours = hours[~weekend]
    assert weekday_hours.between(15, 24).mean() > 0.75
    assert weekday_hours.between(12, 24).all()
    assert hours[weekend].between(12, 24).all()
    assert weekend.mean() > 0.03


def test_stages_are_passed_in_order(attempts):
    done = attempts["outcome"].isin(["passed", "late"])
    # A stage is cleared once passed, or once a checkpoint is handed in for review.
    cleared = attempts[done | (attempts["kind"] == "checkpoint")]
    cleared_at = cleared.groupby(["student_id", "quest_id", "position"])["submitted_at"].min()
    first_start = attempts.groupby(["student_id", "quest_id", "position"])["started_at"].min()
    for (student, quest, position), started in first_start.items():
        if position > 1:
            before = cleared_at.get((student, quest, position - 1))
            assert before is not None, (student, quest, position)
            assert started >= before, (student, quest, position)
    # No stage is tried again once passed.
    passed_at = attempts[done].groupby(["student_id", "stage_id"])["submitted_at"].min()
    after = attempts["submitted_at"] > pd.MultiIndex.from_frame(
        attempts[["student_id", "stage_id"]]
    ).map(passed_at)
    assert not after.any()


def test_dropouts_do_nothing_once_gone(students):
    for seed in HELD_OUT_SEEDS:
        roster = world_students(seed)
        attempts = world_dataset(seed).attempts
        dropped = attempts["student_id"].map(roster.set_index("student_id")["dropped_at"])
        assert not (attempts["started_at"] >= dropped).any()
        assert not (attempts["submitted_at"] >= dropped).any()
    assert (students["persona"] == DROPOUT).any()


def test_extensions_are_granted_on_timed_stages_before_they_are_tried(full, attempts, students):
    extensions = full.extensions
    assert len(extensions) > 0
    kinds = full.stages.set_index("stage_id")["kind"]
    assert (extensions["stage_id"].map(kinds) == "timed").all()
    low, high = EXTRA_SECONDS
    assert extensions["extra_seconds"].between(low, high).all()
    assert not extensions.duplicated(["student_id", "stage_id"]).any()
    given = set(extensions["student_id"])
    assert given <= set(students.loc[students["extension"], "student_id"])
    first_try = attempts.groupby(["student_id", "stage_id"])["started_at"].min()
    for row in extensions.itertuples(index=False):
        assert row.granted_at < first_try[(row.student_id, row.stage_id)]
    opens = full.assignments.set_index("quest_id")["opens_at"]
    quest_of = full.stages.set_index("stage_id")["quest_id"]
    assert (extensions["granted_at"] >= extensions["stage_id"].map(quest_of).map(opens)).all()


def test_snapshots_are_labelled_with_the_full_worlds_truth(plan, full):
    snapshots = world_snapshots(SEED)
    final = finished_by_due(full)
    enrolled = set(full.enrollments["student_id"])
    expected_cuts = sorted(
        {
            quest.opens_at + timedelta(weeks=week)
            for quest in plan.quests
            for week in CUTOFF_WEEKS
            if quest.opens_at + timedelta(weeks=week) < quest.due_at
        }
    )
    assert [snapshot.dataset.now for snapshot in snapshots] == [
        pd.Timestamp(cut) for cut in expected_cuts
    ]
    for snapshot in snapshots:
        labels = snapshot.labels
        now = snapshot.dataset.now
        assert list(labels.columns) == list(LABELS)
        assert {column: str(dtype) for column, dtype in labels.dtypes.items()} == LABELS
        for quest_id, week in (
            labels[["quest_id", "week"]].drop_duplicates().itertuples(index=False)
        ):
            assert now == full.assignments.set_index("quest_id").loc[quest_id, "opens_at"] + (
                pd.Timedelta(weeks=week)
            )
        assert set(labels["student_id"]) == set(snapshot.dataset.enrollments["student_id"])
        assert (snapshot.dataset.attempts["submitted_at"] <= now).all()
        still_there = labels[labels["student_id"].isin(enrolled)]
        merged = still_there.merge(final, on=["student_id", "quest_id"], suffixes=("", "_final"))
        assert len(merged) == len(still_there)
        assert (merged["finished"] == merged["finished_final"]).all()


def test_deactivated_dropouts_are_labelled_not_finished(plan, full, students):
    gone = students[students["deactivated_at"].notna()]
    assert len(gone) > 0
    assert not set(gone["student_id"]) & set(full.students["student_id"])
    seen = 0
    for snapshot in world_snapshots(SEED):
        now = snapshot.dataset.now
        enrolled = set(snapshot.dataset.enrollments["student_id"])
        still = gone[gone["deactivated_at"] > now]
        assert set(still["student_id"]) <= enrolled
        assert not set(gone.loc[gone["deactivated_at"] <= now, "student_id"]) & enrolled
        labels = snapshot.labels[snapshot.labels["student_id"].isin(still["student_id"])]
        seen += len(labels)
        assert not labels["finished"].any()
    assert seen > 0


def test_examples_cover_every_held_out_class():
    seeds = HELD_OUT_SEEDS[:3]
    examples = world_examples(seeds)
    assert len(examples) == sum(len(world_snapshots(seed)) for seed in seeds)
    classrooms = {int(example.dataset.classrooms["classroom_id"].iloc[0]) for example in examples}
    assert classrooms == {CLASSROOM_BASE + seed for seed in seeds}
    assert all(not example.labels.empty for example in examples)
    later = world_examples(seeds, weeks=iter((4,)))
    assert later
    assert all(set(example.labels["week"]) == {4} for example in later)


def test_now_must_be_timezone_aware():
    with pytest.raises(ValueError):
        world_dataset(SEED, now=datetime(2025, 10, 1, 12))
    early = world_dataset(SEED, now=datetime(2020, 1, 1, tzinfo=UTC))
    assert early.attempts.empty
    assert early.extensions.empty
