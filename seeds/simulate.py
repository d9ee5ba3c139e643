"""Deterministic cohort simulator: plausible stage attempts for seeding and analytics demos.

Given a seed, a list of student keys and the quests a class works through, the simulator
produces student profiles (engagement, skill, persona) and the attempts those students would
have recorded. The same seed and inputs always give the same cohort. Students differ on
purpose so that analytics has real patterns to find: engaged, skilled students finish early;
strugglers fail often, go quiet for days and miss due dates; faders start strong and drop off;
late starters do nothing at first and then catch up.

Days follow a time zone (UTC unless told otherwise): students work in the school's hours,
in class, after school and in the evening, wherever the school is.

The history is also stable in ``now``: simulating up to an earlier ``now`` gives exactly the
attempts submitted up to that moment, except that checkpoints younger than two days are still
``pending_review`` instead of carrying the teacher's verdict.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from quest_platform.models.attempts import Outcome

STAGE_KINDS = ("lesson", "quiz", "checkpoint", "reflection", "self_check", "code", "timed")
PERSONAS = ("steady", "high_flyer", "fader", "late_starter", "struggler")

PERSONA_MIX: dict[str, float] = {
    "steady": 0.35,
    "high_flyer": 0.20,
    "fader": 0.15,
    "late_starter": 0.15,
    "struggler": 0.15,
}

# Share of max_score a graded (quiz, code, timed) attempt needs to pass.
PASS_RATIO = 0.6
# A checkpoint is reviewed by a teacher this long after it was submitted.
REVIEW_DELAY = timedelta(days=2)
# Chance that a student carries on past a checkpoint still awaiting review.
UNLOCK_WHILE_PENDING = 0.7

_DAY = 86_400
_HOUR = 3_600
_MINUTE = 60
_DAY_OPENS = 8 * _HOUR
_DAY_CLOSES = 21 * _HOUR
_REVIEW_SECONDS = int(REVIEW_DELAY.total_seconds())
_DEFAULT_TIME_LIMIT = 600
# Working minutes (low, high) per kind; timed stages follow their own limit instead.
_MINUTES: dict[str, tuple[float, float]] = {
    "lesson": (5, 25),
    "quiz": (3, 15),
    "checkpoint": (20, 60),
    "reflection": (5, 20),
    "self_check": (1, 5),
    "code": (10, 45),
}
# Graded kinds differ a little in how hard they are at the same position.
_KIND_DIFFICULTY = {"quiz": 0.0, "timed": 0.03, "code": 0.05}
_EXTRA_EVIDENCE = ("screenshot", "write_up", "link")


@dataclass(frozen=True, slots=True)
class StageSpec:
    """One stage of a quest as the simulator needs it."""

    position: int
    kind: str
    max_score: float
    time_limit_seconds: int | None = None

    def __post_init__(self) -> None:
        if self.position < 1:
            raise ValueError(f"stage position must be 1 or more, got {self.position}")
        if self.kind not in STAGE_KINDS:
            raise ValueError(f"unknown stage kind {self.kind!r}")
        if not (math.isfinite(self.max_score) and self.max_score >= 0):
            raise ValueError(f"max_score must be a finite number >= 0, got {self.max_score}")
        if self.time_limit_seconds is not None and self.time_limit_seconds <= 0:
            raise ValueError("time_limit_seconds must be positive when given")


@dataclass(frozen=True, slots=True)
class QuestSpec:
    """A quest: its stages and the window in which it is open and due."""

    key: str
    stages: tuple[StageSpec, ...]
    opens_at: datetime
    due_at: datetime

    def __post_init__(self) -> None:
        _require_aware(self.opens_at, "opens_at")
        _require_aware(self.due_at, "due_at")
        if self.due_at <= self.opens_at:
            raise ValueError(f"quest {self.key!r} is due before it opens")
        positions = [stage.position for stage in self.stages]
        if len(set(positions)) != len(positions):
            raise ValueError(f"quest {self.key!r} has two stages at the same position")


@dataclass(frozen=True, slots=True)
class StudentProfile:
    """The hidden traits that drive one simulated student."""

    key: str
    engagement: float
    skill: float
    persona: str
    start_delay_days: int

    def __post_init__(self) -> None:
        if self.persona not in PERSONAS:
            raise ValueError(f"unknown persona {self.persona!r}")
        if not (0.0 <= self.engagement <= 1.0 and 0.0 <= self.skill <= 1.0):
            raise ValueError("engagement and skill must lie in 0..1")
        if self.start_delay_days < 0:
            raise ValueError("start_delay_days must not be negative")


@dataclass(frozen=True, slots=True)
class SimulatedAttempt:
    """One recorded answer to one stage, shaped like the platform's Attempt row."""

    student_key: str
    quest_key: str
    stage_position: int
    started_at: datetime
    submitted_at: datetime
    score: float | None
    max_score: float
    outcome: Outcome
    # Left out of the hash (dicts are unhashable) but still compared, so attempts stay hashable.
    answer: dict[str, Any] = field(hash=False)


@dataclass(frozen=True, slots=True)
class Cohort:
    """Simulated students and every attempt they made, ordered by (submitted_at, student)."""

    profiles: tuple[StudentProfile, ...]
    attempts: tuple[SimulatedAttempt, ...]


@dataclass(frozen=True, slots=True)
class _Traits:
    """Ranges a persona draws its profile from."""

    engagement: tuple[float, float]
    skill: tuple[float, float]
    delay_days: tuple[int, int]


_TRAITS: dict[str, _Traits] = {
    "steady": _Traits((0.60, 0.85), (0.50, 0.80), (0, 2)),
    "high_flyer": _Traits((0.82, 0.97), (0.78, 0.97), (0, 1)),
    "fader": _Traits((0.70, 0.90), (0.45, 0.75), (0, 1)),
    "late_starter": _Traits((0.60, 0.85), (0.50, 0.80), (6, 12)),
    "struggler": _Traits((0.35, 0.55), (0.15, 0.40), (0, 3)),
}


@dataclass(frozen=True, slots=True)
class _Quest:
    """A quest prepared for simulation: stages in order, times as epoch seconds."""

    key: str
    stages: tuple[StageSpec, ...]
    opens: int
    due: float


@dataclass(frozen=True, slots=True)
class _Clock:
    """The fixed time frame shared by every student in one run."""

    midnights: tuple[int, ...]  # epoch seconds of each day's local midnight, from the start date
    first_weekday: int
    earliest: int  # nothing starts before `start`
    horizon: int  # nothing is submitted after min(now, start + weeks)
    now: float

    @property
    def days(self) -> int:
        """The days the run covers."""
        return len(self.midnights)


def make_profiles(
    *, seed: int, student_keys: Sequence[str], mix: Mapping[str, float] | None = None
) -> tuple[StudentProfile, ...]:
    """Return one profile per student key, in the order given, with personas shared per `mix`.

    Persona counts follow the mix as closely as whole students allow (largest remainder), so a
    class of 60 really has about 9 strugglers; which student gets which persona is shuffled
    by the seed.
    """
    keys = list(student_keys)
    if len(set(keys)) != len(keys):
        raise ValueError("student keys must be unique")
    personas = _allocate_personas(len(keys), _normalise_mix(mix))
    random.Random(f"{seed}:personas").shuffle(personas)
    profiles = []
    for key, persona in zip(keys, personas, strict=True):
        rng = random.Random(f"{seed}:profile:{key}")
        traits = _TRAITS[persona]
        profiles.append(
            StudentProfile(
                key=key,
                engagement=round(rng.uniform(*traits.engagement), 3),
                skill=round(rng.uniform(*traits.skill), 3),
                persona=persona,
                start_delay_days=rng.randint(*traits.delay_days),
            )
        )
    return tuple(profiles)


def simulate_cohort(
    *,
    seed: int,
    student_keys: Sequence[str],
    quests: Sequence[QuestSpec],
    start: datetime,
    weeks: int,
    now: datetime | None = None,
    mix: Mapping[str, float] | None = None,
    time_zone: tzinfo = UTC,
) -> Cohort:
    """Return the profiles of `student_keys` and their attempts from `start` for `weeks` weeks.

    Attempts fall between `start` and `now` (default: the end of the last week), at the hours
    students keep in `time_zone`. Checkpoints submitted more than two days before `now` carry
    the teacher's verdict; younger ones are pending review. With no quests the students still
    get profiles but no attempts.
    """
    _require_aware(start, "start")
    if now is not None:
        _require_aware(now, "now")
    if weeks < 0:
        raise ValueError("weeks must not be negative")
    quest_keys = [quest.key for quest in quests]
    if len(set(quest_keys)) != len(quest_keys):
        raise ValueError("quest keys must be unique")

    profiles = make_profiles(seed=seed, student_keys=student_keys, mix=mix)
    end = start + timedelta(weeks=weeks)
    clock = _make_clock(
        start=start, end=end, now=end if now is None else now, weeks=weeks, time_zone=time_zone
    )
    prepared = [
        _Quest(
            key=quest.key,
            stages=tuple(sorted(quest.stages, key=lambda stage: stage.position)),
            opens=math.ceil(quest.opens_at.timestamp()),
            due=quest.due_at.timestamp(),
        )
        for quest in quests
    ]
    attempts: list[SimulatedAttempt] = []
    if clock.horizon >= clock.earliest and any(quest.stages for quest in prepared):
        for profile in profiles:
            rng = random.Random(f"{seed}:attempts:{profile.key}")
            _simulate_student(profile, rng, prepared, clock, attempts)
    attempts.sort(key=lambda attempt: (attempt.submitted_at, attempt.student_key))
    return Cohort(profiles=profiles, attempts=tuple(attempts))


def _require_aware(moment: datetime, name: str) -> None:
    """Refuse naive datetimes: every time in the platform is UTC-aware."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


def _normalise_mix(mix: Mapping[str, float] | None) -> dict[str, float]:
    """Return persona shares that sum to 1, in PERSONAS order, after checking them."""
    shares = PERSONA_MIX if mix is None else mix
    unknown = set(shares) - set(PERSONAS)
    if unknown:
        raise ValueError(f"unknown personas in mix: {sorted(unknown)}")
    if any(not math.isfinite(share) or share < 0 for share in shares.values()):
        raise ValueError("persona shares must be finite and not negative")
    total = sum(shares.values())
    if total <= 0:
        raise ValueError("persona shares must not all be zero")
    return {persona: shares.get(persona, 0.0) / total for persona in PERSONAS}


def _allocate_personas(count: int, shares: Mapping[str, float]) -> list[str]:
    """Split `count` students by `shares` using largest remainders (ties: PERSONAS order)."""
    exact = {persona: share * count for persona, share in shares.items()}
    counts = {persona: math.floor(value) for persona, value in exact.items()}
    leftover = count - sum(counts.values())
    by_remainder = sorted(
        PERSONAS, key=lambda persona: (-(exact[persona] - counts[persona]), PERSONAS.index(persona))
    )
    for persona in by_remainder[:leftover]:
        counts[persona] += 1
    return [persona for persona in PERSONAS for _ in range(counts[persona])]


def _make_clock(
    *, start: datetime, end: datetime, now: datetime, weeks: int, time_zone: tzinfo
) -> _Clock:
    """Fix the day grid (local midnights in `time_zone`) and the bounds every attempt must
    fall within."""
    first = start.astimezone(time_zone).date()
    # Local midnights, not UTC ones plus whole days: a day with a clock change is 23 or 25 hours.
    midnights = tuple(
        int(
            datetime.combine(
                first + timedelta(days=day), datetime.min.time(), time_zone
            ).timestamp()
        )
        for day in range(7 * weeks)
    )
    horizon = min(end, now)
    return _Clock(
        midnights=midnights,
        first_weekday=first.weekday(),
        earliest=math.ceil(start.timestamp()),
        horizon=math.floor(horizon.timestamp()),
        now=now.timestamp(),
    )


def _score(max_score: float, ratio: float, *, passed: bool) -> float:
    """Return `ratio` of `max_score` to the cent, never rounded below the pass line if passed."""
    score = round(max_score * ratio, 2)
    floor = PASS_RATIO * max_score
    if passed and score < floor:
        score = min(max_score, math.ceil(floor * 100) / 100)
    return score


def _as_datetime(epoch_seconds: int) -> datetime:
    """Return the UTC-aware datetime for whole epoch seconds."""
    return datetime.fromtimestamp(epoch_seconds, UTC)


class _StopStudent(Exception):
    """Raised inside a session when the next submission would fall after the horizon."""


def _simulate_student(
    profile: StudentProfile,
    rng: random.Random,
    quests: Sequence[_Quest],
    clock: _Clock,
    out: list[SimulatedAttempt],
) -> None:
    """Append every attempt `profile` makes, walking day by day through the clock.

    Random draws never depend on `clock.now`, only on the seed and the day grid; that is what
    keeps an earlier `now` a true prefix of a later one.
    """
    state = _StudentState(profile=profile, rng=rng, quests=quests, clock=clock, out=out)
    engagement = profile.engagement
    persona = profile.persona
    # Disengaged students, strugglers above all, drop out of sight for days at a time.
    quiet_chance = 0.015 + 0.06 * (1.0 - engagement)
    quiet_days = (2, 5)
    if persona == "struggler":
        quiet_chance *= 1.5
        quiet_days = (3, 6)
    quiet_until = -1
    session_chance = 0.5 + 0.45 * engagement

    for day in range(profile.start_delay_days, clock.days):
        if state.finished:
            break
        if day <= quiet_until:
            continue
        if rng.random() < quiet_chance:
            quiet_until = day + rng.randint(*quiet_days) - 1
            continue
        midnight = clock.midnights[day]
        weekend = (clock.first_weekday + day) % 7 >= 5
        size_chance = session_chance
        if weekend:
            # Only the keenest students open the platform at the weekend.
            chance = max(0.0, engagement - 0.6) * 0.5
        else:
            chance = engagement
            if persona == "late_starter":
                # Having started late, they work harder than their engagement alone suggests.
                chance = min(0.97, chance + 0.12)
                size_chance += 0.15
            due = state.current_due()
            if due is not None and 0 <= due - midnight <= 2 * _DAY:
                # A due date in the next two days pulls engaged students in.
                chance = min(0.98, chance + 0.25 * engagement)
        if persona == "fader":
            fade = 0.7 ** (day // 7)
            chance *= fade
            size_chance *= fade
        if rng.random() >= chance:
            continue

        if weekend:
            hour = rng.uniform(10.0, 20.0)
        else:
            slot = rng.random()
            if slot < 0.5:
                hour = rng.uniform(9.0, 15.0)  # in class
            elif slot < 0.7:
                hour = rng.uniform(15.0, 18.0)  # straight after school
            else:
                hour = rng.uniform(18.0, 20.5)  # evening homework
        begin = max(midnight + int(hour * _HOUR), clock.earliest)
        closes = midnight + _DAY_CLOSES
        if begin > closes - 15 * _MINUTE:
            continue
        size = 1 + sum(rng.random() < size_chance for _ in range(3))
        try:
            state.run_session(begin=begin, closes=closes, size=size)
        except _StopStudent:
            break


class _StudentState:
    """Where one student is in the quest sequence, and how to play one session from there."""

    def __init__(
        self,
        *,
        profile: StudentProfile,
        rng: random.Random,
        quests: Sequence[_Quest],
        clock: _Clock,
        out: list[SimulatedAttempt],
    ) -> None:
        self.profile = profile
        self.rng = rng
        self.quests = quests
        self.clock = clock
        self.out = out
        self.quest_index = 0
        self.stage_index = 0
        self.blocked_until = -1  # stalled on a checkpoint until its review
        self.reworks: list[tuple[int, int, int]] = []  # (review time, quest, stage) heap
        self.tries: dict[tuple[int, int], int] = {}
        engagement = profile.engagement
        self.procrastinate = 0.7 * (1.0 - engagement) ** 1.5
        self.give_up = 0.1 + 0.4 * (1.0 - engagement)
        self.late_chance = 0.03 + 0.35 * (1.0 - engagement) ** 2
        self._skip_empty_quests()

    @property
    def finished(self) -> bool:
        """Whether every stage is done and no checkpoint is waiting to be reworked."""
        return self.quest_index >= len(self.quests) and not self.reworks

    def current_due(self) -> float | None:
        """The due time (epoch seconds) of the quest being worked on, if any."""
        if self.quest_index >= len(self.quests):
            return None
        return self.quests[self.quest_index].due

    def _skip_empty_quests(self) -> None:
        """Step past quests that have no stages (or no stages left)."""
        while self.quest_index < len(self.quests) and self.stage_index >= len(
            self.quests[self.quest_index].stages
        ):
            self.quest_index += 1
            self.stage_index = 0

    def _advance(self) -> None:
        """Unlock the next stage, moving to the next quest after the last one."""
        self.stage_index += 1
        self._skip_empty_quests()

    def run_session(self, *, begin: int, closes: int, size: int) -> None:
        """Make up to `size` attempts from `begin`, stopping before the day `closes`."""
        rng = self.rng
        moment = begin
        for _ in range(size):
            if self.reworks and self.reworks[0][0] < moment:
                # A checkpoint sent back by the teacher comes before new work.
                item = heapq.heappop(self.reworks)
                ended = self._attempt(item[1], item[2], moment, closes, rework=True)
                if ended is None:
                    heapq.heappush(self.reworks, item)
                    return
                moment = ended + rng.randint(30, 360)
                continue
            if self.quest_index >= len(self.quests) or moment <= self.blocked_until:
                return
            quest = self.quests[self.quest_index]
            if moment < quest.opens:
                if quest.opens > closes - 30 * _MINUTE:
                    return
                # The quest opens later today: start on it shortly after it does.
                moment = quest.opens + rng.randint(60, 1_800)
            stage = quest.stages[self.stage_index]
            if stage.kind == "reflection" and rng.random() < self.procrastinate:
                return
            ended = self._attempt(self.quest_index, self.stage_index, moment, closes, rework=False)
            if ended is None:
                return
            if ended < 0:
                # Failed: sometimes try again after a pause, sometimes call it a day.
                if rng.random() < self.give_up:
                    return
                moment = -ended + rng.randint(60, 600)
            else:
                moment = ended + rng.randint(20, 360)

    def _attempt(
        self, quest_index: int, stage_index: int, begin: int, closes: int, *, rework: bool
    ) -> int | None:
        """Record one attempt and update progress.

        Returns the submission time, negated when the attempt failed, or None when the attempt
        would not finish before the day closes (nothing is recorded then).
        """
        rng = self.rng
        profile = self.profile
        quest = self.quests[quest_index]
        stage = quest.stages[stage_index]
        kind = stage.kind
        max_score = stage.max_score
        tried = self.tries.get((quest_index, stage_index), 0)
        self.tries[(quest_index, stage_index)] = tried + 1
        failed = False
        score: float | None
        verdict: _Verdict | None = None

        if kind == "timed":
            limit = stage.time_limit_seconds or _DEFAULT_TIME_LIMIT
            late = rng.random() < self.late_chance
            if late:
                elapsed = max(1, int(limit * rng.uniform(1.02, 1.5)))
            else:
                elapsed = max(
                    1, int(limit * rng.triangular(0.35, 0.99, 0.95 - 0.5 * profile.skill))
                )
            correct, total = self._grade(stage, tried, total=4 + stage.position % 3)
            answer: dict[str, Any] = {
                "correct": correct,
                "total": total,
                "elapsed_seconds": elapsed,
            }
            if late:
                outcome, score, failed = Outcome.LATE, 0.0, True
            else:
                outcome, score, failed = self._graded_outcome(max_score, correct, total)
        else:
            low, high = _MINUTES[kind]
            # Skilled students tend to be quicker; the mode slides toward `low` with skill.
            minutes = rng.triangular(low, high, high - (high - low) * profile.skill)
            elapsed = max(1, int(minutes * _MINUTE))
            if kind == "quiz":
                correct, total = self._grade(stage, tried, total=4 + stage.position % 3)
                answer = {"correct": correct, "total": total}
                outcome, score, failed = self._graded_outcome(max_score, correct, total)
            elif kind == "code":
                correct, total = self._grade(stage, tried, total=4 + stage.position % 4)
                answer = {"tests_passed": correct, "tests_total": total}
                outcome, score, failed = self._graded_outcome(max_score, correct, total)
            elif kind == "lesson":
                answer = {"confirmed": True}
                outcome, score = Outcome.PASSED, max_score
            elif kind == "reflection":
                length = max(40, int(rng.gauss(120 + 350 * profile.engagement, 60)))
                answer = {"text_length": length}
                outcome, score = Outcome.PASSED, max_score
            elif kind == "self_check":
                total = 3 + stage.position % 3
                ticked = total - int(rng.random() < 0.3 * (1.0 - profile.engagement))
                answer = {"ticked": ticked, "total": total}
                outcome, score = Outcome.PASSED, _score(max_score, ticked / total, passed=True)
            else:  # checkpoint
                answer = {"evidence": self._evidence()}
                verdict = self._review(max_score, tried)
                outcome, score = verdict.label(begin + elapsed, self.clock.now)

        submitted = begin + elapsed
        if submitted > closes:
            # Undo the bookkeeping: the student ran out of day before submitting.
            self.tries[(quest_index, stage_index)] = tried
            return None
        if submitted > self.clock.horizon:
            raise _StopStudent
        self.out.append(
            SimulatedAttempt(
                student_key=profile.key,
                quest_key=quest.key,
                stage_position=stage.position,
                started_at=_as_datetime(begin),
                submitted_at=_as_datetime(submitted),
                score=score,
                max_score=max_score,
                outcome=outcome,
                answer=answer,
            )
        )
        if verdict is not None:
            self._after_checkpoint(quest_index, stage_index, submitted, verdict, rework=rework)
        elif not failed:
            self._advance()
        return -submitted if failed else submitted

    def _grade(self, stage: StageSpec, tried: int, *, total: int) -> tuple[int, int]:
        """Return (right answers, questions) for a graded stage; practice helps on retries."""
        chance = (
            0.25
            + 0.65 * self.profile.skill
            - 0.03 * (stage.position - 1)
            - _KIND_DIFFICULTY[stage.kind]
            + 0.08 * min(tried, 4)
        )
        chance = min(0.97, max(0.05, chance))
        rng = self.rng
        return sum(rng.random() < chance for _ in range(total)), total

    @staticmethod
    def _graded_outcome(max_score: float, correct: int, total: int) -> tuple[Outcome, float, bool]:
        # Decide on whole answers, not the rounded score, so the pass line is exact.
        passed = correct * 5 >= total * 3
        score = _score(max_score, correct / total, passed=passed)
        return (Outcome.PASSED if passed else Outcome.FAILED), score, not passed

    def _evidence(self) -> list[str]:
        """Pick what a checkpoint submission shows; keener students attach more."""
        keen = 0.2 + 0.5 * self.profile.engagement
        rng = self.rng
        return ["code", *(item for item in _EXTRA_EVIDENCE if rng.random() < keen)]

    def _review(self, max_score: float, tried: int) -> _Verdict:
        """Decide the teacher's verdict at submission, so random draws never depend on `now`."""
        rng = self.rng
        skill = self.profile.skill
        approve = tried >= 3 or rng.random() < min(0.97, 0.45 + 0.45 * skill + 0.15 * tried)
        if approve:
            ratio = 0.6 + 0.4 * (0.6 * skill + 0.4 * rng.random())
        else:
            ratio = rng.uniform(0.2, 0.55)
        carry_on = rng.random() < UNLOCK_WHILE_PENDING
        score = _score(max_score, ratio, passed=approve)
        return _Verdict(approve=approve, score=score, carry_on=carry_on)

    def _after_checkpoint(
        self, quest_index: int, stage_index: int, submitted: int, verdict: _Verdict, *, rework: bool
    ) -> None:
        """Move on, stall until the review, or queue a rework, as the verdict dictates."""
        reviewed_at = submitted + _REVIEW_SECONDS
        if rework:
            # Already past this stage; a rejected rework just comes back once more.
            if not verdict.approve:
                heapq.heappush(self.reworks, (reviewed_at, quest_index, stage_index))
            return
        if verdict.carry_on:
            self._advance()
            if not verdict.approve:
                heapq.heappush(self.reworks, (reviewed_at, quest_index, stage_index))
            return
        # Waiting for the teacher: nothing more until the review, then on or back to it.
        self.blocked_until = reviewed_at
        if verdict.approve:
            self._advance()


@dataclass(frozen=True, slots=True)
class _Verdict:
    """A teacher's review of one checkpoint submission, decided when it is submitted."""

    approve: bool
    score: float
    carry_on: bool  # the student moves on while the review is pending

    def label(self, submitted: int, now: float) -> tuple[Outcome, float | None]:
        """Return (outcome, score) as seen at `now`: reviewed only once two days have passed."""
        if submitted + _REVIEW_SECONDS < now:
            return (Outcome.PASSED if self.approve else Outcome.FAILED), self.score
        return Outcome.PENDING_REVIEW, None
