"""Tests for the deterministic cohort simulator in seeds.simulate."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from statistics import mean

import pytest

from quest_platform.models import Outcome
from seeds.simulate import (
    PASS_RATIO,
    PERSONA_MIX,
    PERSONAS,
    REVIEW_DELAY,
    STAGE_KINDS,
    Cohort,
    QuestSpec,
    SimulatedAttempt,
    StageSpec,
    StudentProfile,
    make_profiles,
    simulate_cohort,
)

# Pure functions: the database engine plays no part, so the PostgreSQL run leaves them out.
pytestmark = pytest.mark.engine_independent

# A Monday, started mid-morning so the first day is clipped at `start`, not at 08:00.
START = datetime(2025, 9, 1, 9, 30, tzinfo=UTC)
WEEKS = 4
KIND_ORDER = ("lesson", "quiz", "code", "checkpoint", "timed", "reflection", "self_check")
TIME_LIMIT = 600
# Plausible working minutes per kind (timed stages are checked against their limit instead).
MINUTES = {
    "lesson": (5, 25),
    "quiz": (3, 15),
    "checkpoint": (20, 60),
    "reflection": (5, 20),
    "self_check": (1, 5),
    "code": (10, 45),
}


def build_quests(*, staggered: bool = True) -> tuple[QuestSpec, ...]:
    """Four seven-stage quests; staggered ones open a week apart at 10:00 on Monday."""
    quests = []
    for index in range(4):
        opens = START + timedelta(days=7 * index, minutes=30) if staggered else START
        stages = tuple(
            StageSpec(
                position=position,
                kind=kind,
                max_score=float(5 * position),
                time_limit_seconds=TIME_LIMIT if kind == "timed" else None,
            )
            for position, kind in enumerate(KIND_ORDER, start=1)
        )
        quests.append(
            QuestSpec(
                key=f"quest-{index + 1}",
                stages=stages,
                opens_at=opens,
                due_at=opens + timedelta(days=10),
            )
        )
    return tuple(quests)


QUESTS = build_quests()
KINDS = {(quest.key, stage.position): stage.kind for quest in QUESTS for stage in quest.stages}


def student_keys(count: int) -> list[str]:
    return [f"student-{number:04d}" for number in range(count)]


def run(
    count: int = 60,
    *,
    seed: int = 7,
    quests: Sequence[QuestSpec] = QUESTS,
    now: datetime | None = None,
) -> Cohort:
    return simulate_cohort(
        seed=seed,
        student_keys=student_keys(count),
        quests=quests,
        start=START,
        weeks=WEEKS,
        now=now,
    )


@pytest.fixture(scope="module")
def cohort() -> Cohort:
    return run(60)


@pytest.fixture(scope="module")
def big_cohort() -> Cohort:
    # All quests open from the start, so activity reflects the students, not the calendar.
    return run(200, seed=11, quests=build_quests(staggered=False))


def by_track(attempts: Sequence[SimulatedAttempt]) -> dict[tuple[str, str], list[SimulatedAttempt]]:
    """Group attempts per (student, quest), each group in submission order."""
    tracks: dict[tuple[str, str], list[SimulatedAttempt]] = defaultdict(list)
    for attempt in attempts:
        tracks[attempt.student_key, attempt.quest_key].append(attempt)
    return tracks


def stages_cleared(attempts: Sequence[SimulatedAttempt]) -> Counter[str]:
    """Count, per student, the distinct stages with a passed or pending attempt."""
    cleared = {
        (attempt.student_key, attempt.quest_key, attempt.stage_position)
        for attempt in attempts
        if attempt.outcome in ("passed", "pending_review")
    }
    return Counter(student for student, _, _ in cleared)


def test_same_seed_gives_identical_cohort() -> None:
    assert run(40, seed=3) == run(40, seed=3)


def test_different_seed_gives_different_cohort() -> None:
    first, second = run(40, seed=3), run(40, seed=4)
    assert first.attempts != second.attempts
    assert first.profiles != second.profiles


def test_attempts_are_sorted_by_submission_then_student(cohort: Cohort) -> None:
    keys = [(attempt.submitted_at, attempt.student_key) for attempt in cohort.attempts]
    assert keys == sorted(keys)


def test_sixty_students_make_a_realistic_number_of_attempts(cohort: Cohort) -> None:
    assert 1_500 <= len(cohort.attempts) <= 4_000
    assert set(Counter(attempt.outcome for attempt in cohort.attempts)) >= {"passed", "failed"}


def test_attempts_fall_within_the_window_and_school_hours(cohort: Cohort) -> None:
    end = START + timedelta(weeks=WEEKS)
    for attempt in cohort.attempts:
        assert attempt.started_at.tzinfo is not None
        assert attempt.submitted_at.utcoffset() == timedelta(0)
        assert START <= attempt.started_at < attempt.submitted_at <= end
        assert attempt.started_at.date() == attempt.submitted_at.date()
        assert attempt.started_at.time() >= time(8, 0)
        assert attempt.submitted_at.time() <= time(21, 0)


def test_weekend_work_is_rare_and_only_for_engaged_students(big_cohort: Cohort) -> None:
    profiles = {profile.key: profile for profile in big_cohort.profiles}
    weekend = [attempt for attempt in big_cohort.attempts if attempt.started_at.weekday() >= 5]
    assert len(weekend) < 0.1 * len(big_cohort.attempts)
    assert all(profiles[attempt.student_key].engagement > 0.6 for attempt in weekend)


def test_durations_are_plausible_for_each_kind(big_cohort: Cohort) -> None:
    timed_in_time = 0
    timed_total = 0
    for attempt in big_cohort.attempts:
        kind = KINDS[attempt.quest_key, attempt.stage_position]
        seconds = (attempt.submitted_at - attempt.started_at).total_seconds()
        if kind == "timed":
            timed_total += 1
            assert attempt.answer["elapsed_seconds"] == seconds
            if attempt.outcome == "late":
                assert seconds > TIME_LIMIT
            else:
                assert seconds <= TIME_LIMIT
                timed_in_time += 1
        else:
            low, high = MINUTES[kind]
            assert low * 60 - 1 <= seconds <= high * 60
    assert timed_in_time > 0.8 * timed_total


def test_nothing_is_submitted_after_now() -> None:
    now = START + timedelta(days=12, hours=5)
    cohort = run(60, now=now)
    assert cohort.attempts
    assert max(attempt.submitted_at for attempt in cohort.attempts) <= now


def test_an_earlier_now_sees_a_prefix_of_the_same_history() -> None:
    now = START + timedelta(days=16, hours=2)
    early, full = run(60, now=now), run(60)
    seen = [attempt for attempt in full.attempts if attempt.submitted_at <= now]
    assert len(early.attempts) == len(seen)
    for before, after in zip(early.attempts, seen, strict=True):
        if before.outcome == "pending_review" and after.outcome != "pending_review":
            # Reviewed between the two snapshots: only the verdict may differ.
            assert replace(after, outcome="pending_review", score=None) == before
        else:
            assert before == after


def test_nothing_happens_before_a_quest_opens(cohort: Cohort) -> None:
    opens = {quest.key: quest.opens_at for quest in QUESTS}
    assert all(attempt.started_at >= opens[attempt.quest_key] for attempt in cohort.attempts)


def test_each_stage_follows_a_cleared_previous_stage(big_cohort: Cohort) -> None:
    for track in by_track(big_cohort.attempts).values():
        for attempt in track:
            if attempt.stage_position == 1:
                continue
            previous = attempt.stage_position - 1
            cleared_before = any(
                earlier.stage_position == previous
                and earlier.submitted_at <= attempt.started_at
                # A checkpoint unlocks while pending; its verdict may have come in later.
                and (
                    earlier.outcome in ("passed", "pending_review")
                    or KINDS[earlier.quest_key, previous] == "checkpoint"
                )
                for earlier in track
            )
            assert cleared_before, attempt


def test_quests_are_taken_in_the_given_order(big_cohort: Cohort) -> None:
    order = [quest.key for quest in QUESTS]
    last = len(KIND_ORDER)
    tracks = by_track(big_cohort.attempts)
    for (student, quest_key), track in tracks.items():
        index = order.index(quest_key)
        if index == 0:
            continue
        before = tracks.get((student, order[index - 1]), [])
        first_start = track[0].started_at
        assert any(
            earlier.stage_position == last and earlier.submitted_at <= first_start
            for earlier in before
        )


def test_outcomes_and_scores_agree(big_cohort: Cohort) -> None:
    for attempt in big_cohort.attempts:
        kind = KINDS[attempt.quest_key, attempt.stage_position]
        assert isinstance(attempt.outcome, Outcome)
        assert attempt.max_score == 5.0 * attempt.stage_position
        json.dumps(attempt.answer)
        if attempt.outcome == "pending_review":
            assert kind == "checkpoint"
            assert attempt.score is None
            continue
        assert attempt.score is not None
        assert 0 <= attempt.score <= attempt.max_score
        if kind in ("lesson", "reflection"):
            assert (attempt.outcome, attempt.score) == ("passed", attempt.max_score)
        if kind == "self_check":
            assert attempt.outcome == "passed"
            assert attempt.answer["ticked"] <= attempt.answer["total"]
        if attempt.outcome == "late":
            assert (kind, attempt.score) == ("timed", 0.0)
        if kind in ("quiz", "code", "timed", "checkpoint") and attempt.outcome != "late":
            ratio = attempt.score / attempt.max_score
            assert (ratio >= PASS_RATIO - 1e-9) == (attempt.outcome == "passed")


def test_answers_describe_each_kind(cohort: Cohort) -> None:
    keys = {
        "lesson": {"confirmed"},
        "quiz": {"correct", "total"},
        "code": {"tests_passed", "tests_total"},
        "checkpoint": {"evidence"},
        "timed": {"correct", "total", "elapsed_seconds"},
        "reflection": {"text_length"},
        "self_check": {"ticked", "total"},
    }
    for attempt in cohort.attempts:
        kind = KINDS[attempt.quest_key, attempt.stage_position]
        assert set(attempt.answer) == keys[kind]
    quizzes = [a for a in cohort.attempts if KINDS[a.quest_key, a.stage_position] == "quiz"]
    assert all(
        a.score == round(a.max_score * a.answer["correct"] / a.answer["total"], 2) for a in quizzes
    )


def test_checkpoints_are_pending_only_in_their_first_two_days() -> None:
    now = START + timedelta(days=16, hours=2)
    checkpoints = [
        attempt
        for attempt in run(200, now=now).attempts
        if KINDS[attempt.quest_key, attempt.stage_position] == "checkpoint"
    ]
    pending = [attempt for attempt in checkpoints if attempt.outcome == "pending_review"]
    assert pending
    assert len(pending) < len(checkpoints)
    for attempt in checkpoints:
        assert (attempt.outcome == "pending_review") == (attempt.submitted_at + REVIEW_DELAY >= now)


def test_some_students_wait_for_a_checkpoint_review(big_cohort: Cohort) -> None:
    checkpoint = KIND_ORDER.index("checkpoint") + 1
    waited = []
    for track in by_track(big_cohort.attempts).values():
        after = [a for a in track if a.stage_position == checkpoint + 1]
        if not after:
            continue
        unlocked_by = [
            a
            for a in track
            if a.stage_position == checkpoint and a.submitted_at <= after[0].started_at
        ][-1]
        waited.append(after[0].started_at - unlocked_by.submitted_at > REVIEW_DELAY)
    # About 30% stall until the review; without stalling only idle days would cause a wait.
    assert 0.15 < sum(waited) / len(waited) < 0.5


def test_a_passed_stage_is_not_attempted_again(big_cohort: Cohort) -> None:
    for track in by_track(big_cohort.attempts).values():
        passed: set[int] = set()
        for attempt in track:
            assert attempt.stage_position not in passed
            if attempt.outcome == "passed":
                passed.add(attempt.stage_position)


def test_high_flyers_clear_more_stages_than_strugglers(big_cohort: Cohort) -> None:
    cleared = stages_cleared(big_cohort.attempts)
    by_persona: dict[str, list[int]] = defaultdict(list)
    for profile in big_cohort.profiles:
        by_persona[profile.persona].append(cleared[profile.key])
    assert mean(by_persona["high_flyer"]) > 2 * mean(by_persona["struggler"])
    assert mean(by_persona["high_flyer"]) > mean(by_persona["steady"])


def test_strugglers_fail_more_often(big_cohort: Cohort) -> None:
    personas = {profile.key: profile.persona for profile in big_cohort.profiles}
    tried: Counter[str] = Counter()
    failed: Counter[str] = Counter()
    for attempt in big_cohort.attempts:
        persona = personas[attempt.student_key]
        tried[persona] += 1
        failed[persona] += attempt.outcome in ("failed", "late")
    assert failed["struggler"] / tried["struggler"] > 2 * failed["high_flyer"] / tried["high_flyer"]


def test_fader_activity_falls_from_first_to_last_week(big_cohort: Cohort) -> None:
    faders = {profile.key for profile in big_cohort.profiles if profile.persona == "fader"}
    weeks = Counter(
        (attempt.submitted_at - START).days // 7
        for attempt in big_cohort.attempts
        if attempt.student_key in faders
    )
    assert weeks[3] < 0.6 * weeks[0]


def test_late_starters_start_late_then_catch_up(big_cohort: Cohort) -> None:
    profiles = {profile.key: profile for profile in big_cohort.profiles}
    first_day = START.date()
    for attempt in big_cohort.attempts:
        profile = profiles[attempt.student_key]
        assert (attempt.started_at.date() - first_day).days >= profile.start_delay_days
    late = [p.key for p in big_cohort.profiles if p.persona == "late_starter"]
    strugglers = [p.key for p in big_cohort.profiles if p.persona == "struggler"]
    assert all(profiles[key].start_delay_days >= 5 for key in late)
    cleared = stages_cleared(big_cohort.attempts)
    assert mean(cleared[key] for key in late) > mean(cleared[key] for key in strugglers)


@pytest.mark.parametrize("count", [1, 60, 500])
def test_cohorts_of_any_size_work(count: int) -> None:
    cohort = run(count)
    assert [profile.key for profile in cohort.profiles] == student_keys(count)
    assert {attempt.student_key for attempt in cohort.attempts} <= set(student_keys(count))
    if count > 1:
        assert len(cohort.attempts) > 10 * count


def test_no_students_gives_an_empty_cohort() -> None:
    assert run(0) == Cohort(profiles=(), attempts=())


def test_no_quests_gives_no_attempts() -> None:
    cohort = run(10, quests=())
    assert cohort.attempts == ()
    assert len(cohort.profiles) == 10


def test_quests_without_stages_give_no_attempts() -> None:
    empty = tuple(replace(quest, stages=()) for quest in QUESTS)
    assert run(10, quests=empty).attempts == ()


def test_now_before_start_gives_no_attempts() -> None:
    assert run(10, now=START - timedelta(days=1)).attempts == ()


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        simulate_cohort(
            seed=1, student_keys=["a"], quests=QUESTS, start=START.replace(tzinfo=None), weeks=1
        )


def test_duplicate_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="unique"):
        simulate_cohort(seed=1, student_keys=["a", "b", "a"], quests=QUESTS, start=START, weeks=1)
    with pytest.raises(ValueError, match="unique"):
        run(3, quests=(QUESTS[0], QUESTS[0]))


def test_profiles_follow_the_default_mix_exactly() -> None:
    profiles = make_profiles(seed=5, student_keys=student_keys(100))
    counts = Counter(profile.persona for profile in profiles)
    assert counts == {persona: round(100 * share) for persona, share in PERSONA_MIX.items()}
    for profile in profiles:
        assert 0 <= profile.engagement <= 1
        assert 0 <= profile.skill <= 1
        assert profile.start_delay_days >= 0


def test_profiles_differ_by_persona() -> None:
    profiles = make_profiles(seed=5, student_keys=student_keys(300))
    skill: dict[str, list[float]] = defaultdict(list)
    engagement: dict[str, list[float]] = defaultdict(list)
    for profile in profiles:
        skill[profile.persona].append(profile.skill)
        engagement[profile.persona].append(profile.engagement)
    assert min(skill["high_flyer"]) > max(skill["struggler"])
    assert min(engagement["high_flyer"]) > max(engagement["struggler"])


def test_custom_mix_and_its_validation() -> None:
    profiles = make_profiles(seed=1, student_keys=student_keys(7), mix={"struggler": 2.0})
    assert {profile.persona for profile in profiles} == {"struggler"}
    with pytest.raises(ValueError, match="unknown personas"):
        make_profiles(seed=1, student_keys=["a"], mix={"wizard": 1.0})
    with pytest.raises(ValueError, match="zero"):
        make_profiles(seed=1, student_keys=["a"], mix={"steady": 0.0})
    with pytest.raises(ValueError):
        make_profiles(seed=1, student_keys=["a"], mix={"steady": -1.0, "fader": 2.0})


def test_specs_validate_their_fields() -> None:
    assert set(PERSONAS) == set(PERSONA_MIX)
    assert len(STAGE_KINDS) == 7
    with pytest.raises(ValueError):
        StageSpec(position=1, kind="essay", max_score=10)
    with pytest.raises(ValueError):
        StageSpec(position=0, kind="quiz", max_score=10)
    with pytest.raises(ValueError):
        QuestSpec(key="q", stages=(), opens_at=START, due_at=START)
    with pytest.raises(ValueError):
        StudentProfile(key="s", engagement=1.5, skill=0.5, persona="steady", start_delay_days=0)
