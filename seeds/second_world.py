"""A second simulated world of classes, unlike seeds.cohorts', for testing quest predictions only.

The quest model is fitted on the classes of seeds.cohorts; a model that only learnt that world's
habits would look good there and nowhere else. This world tells another story, on purpose hard
to predict from the first weeks, and is never used to fit or tune anything:

- a seed makes a class of 30 to 160 students in a North American time zone, with two to four
  quests that open one or two weeks apart and are due on a Friday at 23:59, local time, three
  to five weeks after they open;
- each student has an ability and a motivation (correlated), and the class a culture that
  shifts everyone's motivation; motivation also wanders from week to week;
- about 30% of students procrastinate: next to nothing until the last days before a due date,
  then bursts of several stages an evening, not always enough; about 8% drop out at a random
  moment in the first half of the first quest, and about half of those are later deactivated;
  the rest, regulars, pace themselves to the due date (more often the more is left, less when
  well ahead) as their motivation of the week allows, and all catch up in its last days;
- a new quest's first week draws every regular in alike, so it says little of who they are;
- an exam week and a flu week per class cut everyone's activity, and each student has spells
  of days with no time for the platform at all;
- students work after school and in the evening on weekdays, in the afternoon at weekends;
- graded stages pass by ability and practice; checkpoints wait for the teacher's review, which
  comes after the class's typical delay (one to seven days) and may ask for a resubmission,
  while the student may carry on to later stages meanwhile (and may then never notice that the
  checkpoint was sent back); some students get extra time on timed stages.

Each class is simulated once over the whole term (and cached); a Dataset at an earlier moment is
that history cut at it, with the reviews done by then, so the history is stable in ``now``.
"""

from __future__ import annotations

import hashlib
import heapq
import math
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from analytics.dataset import (
    ASSIGNMENTS,
    ATTEMPTS,
    EXTENSIONS,
    STAGES,
    UTC_TIME,
    Dataset,
    typed,
)
from analytics.prediction import LABELS, LabelledDataset
from quest_platform.models.attempts import Outcome
from seeds.cohorts import POINTS, QUEST_LAYOUTS, finished_by_due

# The classes the evaluation of quest predictions uses.
HELD_OUT_SEEDS = tuple(range(1, 13))
# Classroom ids start here, so they never clash with seeds.cohorts' (whose id is the seed).
CLASSROOM_BASE = 100_000
ZONES = ("America/New_York", "America/Chicago", "America/Los_Angeles")
MIN_CLASS_SIZE = 30
MAX_CLASS_SIZE = 160
CUTOFF_WEEKS = (1, 2, 3)

REGULAR = "regular"
PROCRASTINATOR = "procrastinator"
DROPOUT = "dropout"
PERSONAS = (REGULAR, PROCRASTINATOR, DROPOUT)

# Ability and motivation are standard normal with this correlation.
TRAIT_CORRELATION = 0.4
# A graded attempt (quiz, code, timed) scoring below this share of its points fails.
PASS_RATIO = 0.6
# Chance that a student goes on to later stages while a checkpoint awaits review.
CARRY_ON_WHILE_PENDING = 0.6
# ... and the chance when the quest is due within five days.
CARRY_ON_WHEN_PRESSED = 0.9
# Chance that a student who went on never notices that a checkpoint was sent back.
FORGETS_REWORK = 0.5
# For this long after a quest opens, its novelty draws every regular in alike.
NOVELTY = timedelta(days=7)
# A regular's log-odds of a session: PACE_BASE + 0.8 motivation + PACE_PULL (stages left a day).
PACE_BASE = -1.0
PACE_PULL = 2.5
# Life gets in the way: spells with no time for the platform at all (a sports season, a family
# matter, a job) start this many days apart on average and last a span of days in this range.
SPELL_GAP_DAYS = 30.0
SPELL_DAYS = (3.0, 12.0)
# No review takes longer than this, so every verdict is in a week after the last due date.
LONGEST_REVIEW = timedelta(days=7)
EXTRA_SECONDS = (60, 1800)
TIMED_LIMITS = (300, 600, 900)

# Terms start on one of these Mondays (autumn and spring, so both clock changes happen).
_TERM_MONDAYS = (
    date(2025, 8, 25),
    date(2025, 9, 1),
    date(2025, 9, 8),
    date(2025, 9, 15),
    date(2026, 1, 12),
    date(2026, 1, 26),
    date(2026, 2, 9),
)
_DAY = 86_400.0
_HOUR = 3_600.0
_MINUTE = 60.0
# Nothing is started later than this in a local day (a burst may still end after midnight).
_LAST_START = 23.75 * _HOUR
# Working minutes (low, high) per kind; timed stages follow their limit instead.
_WORK_MINUTES = {
    "lesson": (4.0, 18.0),
    "quiz": (3.0, 14.0),
    "code": (12.0, 50.0),
    "checkpoint": (20.0, 75.0),
    "reflection": (5.0, 20.0),
    "self_check": (1.0, 5.0),
}
# How much harder each graded kind is than a quiz, on the log-odds of passing.
_DIFFICULTY = {"quiz": 0.0, "timed": 0.35, "code": 0.8}
# Everyone's chance of a session is multiplied by these in the class's exam and flu weeks.
_EXAM_FACTOR = 0.25
_FLU_FACTOR = 0.35


@dataclass(frozen=True)
class WorldQuest:
    """One quest of a class: its stage kinds in order, each stage's time limit (timed stages
    only) and the window it is open in."""

    slug: str
    kinds: tuple[str, ...]
    time_limits: tuple[int | None, ...]
    opens_at: datetime
    due_at: datetime


@dataclass(frozen=True)
class WorldClass:
    """What a seed decides about a class: its size, zone, quests, culture and teacher, and the
    shares and shocks its students live with. Students' own traits come from the same seed."""

    seed: int
    zone: str
    size: int
    quests: tuple[WorldQuest, ...]
    culture: float  # shifts every student's motivation (standard deviations)
    procrastinator_share: float
    dropout_share: float
    extension_share: float
    review_days: float  # the teacher's typical delay before reviewing a checkpoint
    strictness: float  # lowers the log-odds that a review passes
    exam_week: datetime  # local Monday midnight of each shock week, in UTC
    flu_week: datetime

    @property
    def classroom_id(self) -> int:
        """The class's id in its Datasets."""
        return CLASSROOM_BASE + self.seed

    @property
    def start(self) -> datetime:
        """When the first quest opens."""
        return min(quest.opens_at for quest in self.quests)

    @property
    def end(self) -> datetime:
        """A week after the last due date: every review has come in by then."""
        return max(quest.due_at for quest in self.quests) + timedelta(weeks=1)


def _local(day: date, hour: int, minute: int, zone: str) -> datetime:
    """The UTC moment of a local wall-clock time on ``day`` in ``zone``."""
    return datetime.combine(day, time(hour, minute), ZoneInfo(zone)).astimezone(UTC)


def world_class(seed: int) -> WorldClass:
    """The class a seed makes; the same seed always makes the same class."""
    rng = random.Random(f"second-world:{seed}")
    zone = rng.choice(ZONES)
    size = rng.randint(MIN_CLASS_SIZE, MAX_CLASS_SIZE)
    monday = rng.choice(_TERM_MONDAYS)
    # Each class has its own weekday and hour at which its quests open.
    weekday = rng.choice((0, 1, 2))
    open_hour = rng.choice((7, 8, 9))
    opens_day = monday + timedelta(days=weekday)
    quests = []
    for index in range(rng.randint(2, 4)):
        if index:
            opens_day += timedelta(weeks=rng.choice((1, 2)))
        opens_at = _local(opens_day, open_hour, 0, zone)
        fridays = [
            _local(day, 23, 59, zone)
            for day in (opens_day + timedelta(days=offset) for offset in range(14, 36))
            if day.weekday() == 4
        ]
        due_at = rng.choice(
            [
                friday
                for friday in fridays
                if timedelta(weeks=3) <= friday - opens_at <= timedelta(weeks=5)
            ]
        )
        kinds = rng.choice(QUEST_LAYOUTS)
        quests.append(
            WorldQuest(
                slug=f"world-quest-{index + 1}",
                kinds=kinds,
                time_limits=tuple(
                    rng.choice(TIMED_LIMITS) if kind == "timed" else None for kind in kinds
                ),
                opens_at=opens_at,
                due_at=due_at,
            )
        )
    last_due = max(quest.due_at for quest in quests)
    weeks = (last_due.astimezone(ZoneInfo(zone)).date() - monday).days // 7 + 1
    exam, flu = rng.sample(range(1, weeks), 2)
    return WorldClass(
        seed=seed,
        zone=zone,
        size=size,
        quests=tuple(quests),
        culture=rng.gauss(0.0, 0.5),
        procrastinator_share=rng.uniform(0.25, 0.35),
        dropout_share=rng.uniform(0.05, 0.11),
        extension_share=rng.uniform(0.06, 0.14),
        review_days=rng.uniform(1.0, 7.0),
        strictness=rng.gauss(0.0, 0.4),
        exam_week=_local(monday + timedelta(weeks=exam), 0, 0, zone),
        flu_week=_local(monday + timedelta(weeks=flu), 0, 0, zone),
    )


@dataclass(frozen=True, slots=True)
class _Student:
    """One student's hidden traits and fate."""

    student_id: int
    persona: str
    ability: float
    motivation: float  # with the class's culture
    extension: bool
    dropped_at: float | None  # epoch seconds: no activity from then on
    deactivated_at: float | None


@dataclass(frozen=True, slots=True)
class _Quest:
    """A quest as the simulation reads it: times in epoch seconds."""

    kinds: tuple[str, ...]
    limits: tuple[int | None, ...]
    points: tuple[float, ...]
    opens: float
    due: float


@dataclass(frozen=True, slots=True)
class _Term:
    """The day grid every student of a class shares."""

    quests: tuple[_Quest, ...]
    midnights: tuple[float, ...]  # local midnight of each day, from the term's Monday
    weekend: tuple[bool, ...]
    shock: tuple[float, ...]  # factor on the chance of a session, per day
    stage_ids: tuple[tuple[int, ...], ...]  # per quest, per position
    review_days: float
    strictness: float


# One attempt as the simulation records it: student, quest index, stage index, started,
# submitted, score (the final one), outcome (the final one), reviewed (NaN but for checkpoints).
_Row = tuple[int, int, int, float, float, float, str, float]
# One extension: student, quest index, stage index, extra seconds, granted.
_Grant = tuple[int, int, int, int, float]


def _sigmoid(value: float) -> float:
    """The probability whose log-odds are ``value``."""
    return 1.0 / (1.0 + math.exp(-value))


def _numpy_rng(key: str) -> np.random.Generator:
    """A numpy generator seeded from a text key (Python's hash of str is salted per process)."""
    return np.random.default_rng(int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big"))


def _students(plan: WorldClass, rng: random.Random) -> list[_Student]:
    """Draw every student's traits and fate."""
    rho = TRAIT_CORRELATION
    traits = _numpy_rng(f"second-world:{plan.seed}").multivariate_normal(
        [0.0, 0.0], [[1.0, rho], [rho, 1.0]], size=plan.size
    )
    first = plan.quests[0]
    # Dropouts leave in the first half or so of the first quest.
    opens, due = first.opens_at.timestamp(), first.due_at.timestamp()
    drop_window = (opens + 2 * _DAY, opens + 0.5 * (due - opens))
    end = plan.end.timestamp()
    students = []
    for number, (ability, motivation) in enumerate(traits.tolist(), start=1):
        draw = rng.random()
        if draw < plan.dropout_share:
            persona = DROPOUT
        elif draw < plan.dropout_share + plan.procrastinator_share:
            persona = PROCRASTINATOR
        else:
            persona = REGULAR
        dropped_at = deactivated_at = None
        if persona == DROPOUT:
            dropped_at = rng.uniform(*drop_window)
            if rng.random() < 0.5:
                deactivated_at = min(end - _HOUR, dropped_at + rng.uniform(3.0, 20.0) * _DAY)
        students.append(
            _Student(
                student_id=number,
                persona=persona,
                ability=float(ability),
                motivation=float(motivation) + plan.culture,
                extension=rng.random() < plan.extension_share,
                dropped_at=dropped_at,
                deactivated_at=deactivated_at,
            )
        )
    return students


def _term(plan: WorldClass) -> _Term:
    """The class's day grid, quests in epoch seconds and stage ids."""
    zone = ZoneInfo(plan.zone)
    first = plan.start.astimezone(zone).date()
    first -= timedelta(days=first.weekday())
    days = (plan.end.astimezone(zone).date() - first).days + 1
    midnights = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        # Midnight as the day's noon offset says: right for every hour after a clock change.
        noon = datetime.combine(day, time(12), zone)
        midnights.append(noon.timestamp() - 12 * _HOUR)
    exam = plan.exam_week.timestamp()
    flu = plan.flu_week.timestamp()
    shock = tuple(
        _EXAM_FACTOR
        if exam <= midnight < exam + 6.9 * _DAY
        else _FLU_FACTOR
        if flu <= midnight < flu + 6.9 * _DAY
        else 1.0
        for midnight in midnights
    )
    stage_ids = []
    next_id = 1
    for quest in plan.quests:
        stage_ids.append(tuple(range(next_id, next_id + len(quest.kinds))))
        next_id += len(quest.kinds)
    return _Term(
        quests=tuple(
            _Quest(
                kinds=quest.kinds,
                limits=quest.time_limits,
                points=tuple(float(POINTS[kind]) for kind in quest.kinds),
                opens=quest.opens_at.timestamp(),
                due=quest.due_at.timestamp(),
            )
            for quest in plan.quests
        ),
        midnights=tuple(midnights),
        weekend=tuple((first + timedelta(days=offset)).weekday() >= 5 for offset in range(days)),
        shock=shock,
        stage_ids=tuple(stage_ids),
        review_days=plan.review_days,
        strictness=plan.strictness,
    )


class _Life:
    """One student's way through the term: where they are in each quest, and their sessions."""

    def __init__(
        self,
        student: _Student,
        term: _Term,
        rng: random.Random,
        rows: list[_Row],
        grants: list[_Grant],
    ) -> None:
        self.student = student
        self.term = term
        self.rng = rng
        self.rows = rows
        self.grants = grants
        count = len(term.quests)
        self.next_stage = [0] * count  # the first stage not yet passed nor carried past
        self.waiting = [0.0] * count  # no new work on the quest before this (a review)
        self.tries: dict[tuple[int, int], int] = {}
        self.extra: dict[tuple[int, int], int] = {}
        # Checkpoints sent back while the student went on: (verdict known, quest, stage).
        self.reworks: list[tuple[float, int, int]] = []
        self.stop = math.inf if student.dropped_at is None else student.dropped_at
        # How likely the student, with nothing due soon left to do, goes back to an overdue quest.
        self.late_worker = rng.uniform(0.1, 0.6)

    def live(self) -> None:
        """Walk the term day by day, playing a session on the days the student works."""
        rng = self.rng
        term = self.term
        student = self.student
        quests = term.quests
        procrastinator = student.persona == PROCRASTINATOR
        # A procrastinator wakes up to a quest this long before it is due; some far too late.
        wake = [quest.due - _DAY * rng.uniform(1.0, 8.0) for quest in quests]
        drift = 0.0
        novelty = NOVELTY.total_seconds()
        spells = self._spells()
        for day, midnight in enumerate(term.midnights):
            if midnight >= self.stop:
                return
            if day % 7 == 0:
                # Motivation wanders from week to week, so early keenness says less later.
                drift = 0.5 * drift + rng.gauss(0.0, 0.8)
            if any(begin <= midnight < end for begin, end in spells):
                continue
            tomorrow = midnight + _DAY
            sent_back = {rework[1] for rework in self.reworks}
            todo = [
                index
                for index, quest in enumerate(quests)
                if quest.opens < tomorrow
                and (self.next_stage[index] < len(quest.kinds) or index in sent_back)
            ]
            if not todo:
                if all(quest.opens < tomorrow for quest in quests):
                    return
                continue
            dues = [quests[index].due for index in todo if quests[index].due > midnight]
            weekend = term.weekend[day]
            # Near a due date a failure no longer ends the evening so readily.
            quits = 0.45
            if procrastinator:
                awake = any(
                    wake[index] < tomorrow for index in todo if quests[index].due > midnight
                )
                if awake:
                    quits = 0.15
                    chance, size = 0.9, rng.randint(4, 10)
                    hour = rng.uniform(13.0, 20.0) if weekend else rng.uniform(17.0, 22.0)
                else:
                    chance, size = 0.05, 1
                    hour = rng.uniform(12.5, 18.0) if weekend else rng.uniform(15.0, 22.5)
            else:
                mood = student.motivation + drift
                soonest = min(
                    todo, key=lambda index: (quests[index].due < midnight, quests[index].due)
                )
                quest = quests[soonest]
                # Regulars pace themselves to the due date: the more stages left a day, the
                # likelier a session; a student well ahead eases off.
                left = len(quest.kinds) - self.next_stage[soonest]
                need = left / max(0.5, (quest.due - midnight) / _DAY)
                chance = _sigmoid(PACE_BASE + 0.8 * mood + PACE_PULL * need)
                keen = min(0.75, max(0.15, 0.4 + 0.15 * mood))
                if midnight - quest.opens < novelty:
                    # A new quest draws everyone in alike: its first week says little of them.
                    chance, keen = 0.45, 0.35
                if weekend:
                    chance *= 0.5
                if dues and min(dues) - midnight < 5 * _DAY:
                    # The due date's last days pull every regular in to catch up.
                    chance, keen, quits = max(chance, 0.85), max(keen, 0.65), 0.15
                size = 1 + sum(rng.random() < keen for _ in range(4))
                if weekend:
                    hour = rng.uniform(12.5, 18.0)
                elif rng.random() < 0.85:
                    hour = rng.uniform(15.0, 22.5)
                else:
                    hour = rng.uniform(12.0, 14.5)  # a free period at school
            if rng.random() >= chance * term.shock[day]:
                continue
            if not self._session(midnight + hour * _HOUR, midnight + _LAST_START, size, quits):
                return

    def _spells(self) -> list[tuple[float, float]]:
        """The spans (epoch seconds) in which life leaves the student no time at all."""
        rng = self.rng
        first, last = self.term.midnights[0], self.term.midnights[-1]
        spells = []
        moment = first + rng.expovariate(1.0 / SPELL_GAP_DAYS) * _DAY
        while moment < last:
            length = rng.uniform(*SPELL_DAYS) * _DAY
            spells.append((moment, moment + length))
            moment += length + rng.expovariate(1.0 / SPELL_GAP_DAYS) * _DAY
        return spells

    def _pick(self, moment: float) -> tuple[int, int, bool] | None:
        """What to work on at ``moment``: a checkpoint sent back, else the next stage of the
        quest due soonest; an overdue quest only now and then. None when nothing is open."""
        quests = self.term.quests
        if self.reworks and self.reworks[0][0] <= moment:
            _, sent_back, stage = heapq.heappop(self.reworks)
            return sent_back, stage, True
        best: tuple[bool, float, int] | None = None
        for index, quest in enumerate(quests):
            if (
                quest.opens > moment
                or self.next_stage[index] >= len(quest.kinds)
                or self.waiting[index] > moment
            ):
                continue
            key = (quest.due < moment, quest.due, index)
            if best is None or key < best:
                best = key
        if best is None:
            return None
        overdue, _, index = best
        if overdue and self.rng.random() >= self.late_worker:
            return None
        return index, self.next_stage[index], False

    def _session(self, begin: float, last_start: float, size: int, quits: float) -> bool:
        """Up to ``size`` attempts from ``begin``, ending early after a failure with chance
        ``quits``; False once the student has dropped out."""
        rng = self.rng
        moment = begin
        for _ in range(size):
            if moment > last_start:
                return True
            picked = self._pick(moment)
            if picked is None:
                return True
            quest, stage, rework = picked
            passed = self._attempt(quest, stage, moment, rework=rework)
            if passed is None:
                return False
            moment = self.rows[-1][4] + rng.uniform(1.0, 12.0) * _MINUTE
            if not passed and rng.random() < quits:
                return True
        return True

    def _attempt(self, quest_index: int, stage: int, begin: float, *, rework: bool) -> bool | None:
        """Record one attempt; whether it passed (or went on to review), or None if the
        student dropped out before submitting it (nothing recorded then)."""
        rng = self.rng
        student = self.student
        quest = self.term.quests[quest_index]
        kind = quest.kinds[stage]
        points = quest.points[stage]
        tried = self.tries.get((quest_index, stage), 0)
        delay = math.nan  # from submission to review, for checkpoints
        grant: _Grant | None = None
        if kind == "timed":
            limit = quest.limits[stage] or TIMED_LIMITS[0]
            extra = self.extra.get((quest_index, stage), 0)
            if student.extension and not extra:
                extra = rng.randint(*EXTRA_SECONDS)
                # The teacher grants it before the student opens the stage.
                granted = max(quest.opens, begin - rng.uniform(0.5, 72.0) * _HOUR)
                granted = float(round(min(granted, begin - _MINUTE)))
                grant = (student.student_id, quest_index, stage, extra, granted)
            slow = 1.3 if student.extension else 1.0
            mode = min(1.0, max(0.5, 0.85 - 0.1 * student.ability))
            elapsed = limit * slow * rng.triangular(0.4, 1.1, mode)
            if elapsed > limit + extra:
                outcome, score = Outcome.LATE, 0.0
            else:
                outcome, score = self._graded(kind, stage, tried, points)
        else:
            low, high = _WORK_MINUTES[kind]
            elapsed = rng.uniform(low, high) * _MINUTE
            if kind in _DIFFICULTY:
                outcome, score = self._graded(kind, stage, tried, points)
            elif kind == "checkpoint":
                approve = rng.random() < _sigmoid(
                    0.8 + 0.8 * student.ability + 0.9 * tried - self.term.strictness
                )
                delay = self.term.review_days * math.exp(rng.gauss(0.0, 0.35)) * _DAY
                delay = float(round(min(max(delay, 2 * _HOUR), LONGEST_REVIEW.total_seconds())))
                if approve:
                    outcome = Outcome.PASSED
                    score = round(points * rng.uniform(0.6, 1.0), 2)
                else:
                    outcome = Outcome.FAILED
                    score = round(points * rng.uniform(0.1, 0.55), 2)
            else:
                outcome, score = Outcome.PASSED, points
        elapsed = round(elapsed)
        submitted = round(begin) + elapsed
        reviewed = submitted + delay
        if submitted >= self.stop:
            return None
        self.tries[(quest_index, stage)] = tried + 1
        if grant is not None:
            self.grants.append(grant)
            self.extra[(quest_index, stage)] = grant[3]
        self.rows.append(
            (
                student.student_id,
                quest_index,
                stage,
                float(round(begin)),
                float(submitted),
                score,
                outcome,
                reviewed,
            )
        )
        if kind != "checkpoint":
            if outcome != Outcome.FAILED:
                self.next_stage[quest_index] = stage + 1
            return outcome != Outcome.FAILED
        approved = outcome == Outcome.PASSED
        if rework:
            # Already past this stage: a rejected resubmission just comes back again.
            if not approved and rng.random() >= FORGETS_REWORK:
                heapq.heappush(self.reworks, (reviewed, quest_index, stage))
        elif rng.random() < (
            CARRY_ON_WHEN_PRESSED if quest.due - begin < 5 * _DAY else CARRY_ON_WHILE_PENDING
        ):
            self.next_stage[quest_index] = stage + 1
            if not approved and rng.random() >= FORGETS_REWORK:
                heapq.heappush(self.reworks, (reviewed, quest_index, stage))
        else:
            # Waiting for the verdict: then on to the next stage, or this one again.
            self.waiting[quest_index] = reviewed
            if approved:
                self.next_stage[quest_index] = stage + 1
        return True

    def _graded(self, kind: str, stage: int, tried: int, points: float) -> tuple[Outcome, float]:
        """Pass or fail a graded attempt by ability, practice and how far into the quest."""
        rng = self.rng
        chance = _sigmoid(
            0.5 + 1.3 * self.student.ability - _DIFFICULTY[kind] - 0.12 * stage + 0.7 * tried
        )
        if rng.random() < chance:
            return Outcome.PASSED, round(points * rng.uniform(PASS_RATIO, 1.0), 2)
        # Below the pass line, to the cent.
        return Outcome.FAILED, math.floor(points * rng.uniform(0.05, PASS_RATIO) * 100 - 1) / 100


@dataclass(frozen=True)
class _History:
    """A class's whole term: who its students were, every attempt and every extension."""

    plan: WorldClass
    roster: pd.DataFrame  # world_students' columns
    attempts: pd.DataFrame  # ATTEMPTS (final verdicts) plus reviewed_at
    extensions: pd.DataFrame  # EXTENSIONS
    stages: pd.DataFrame
    quests: pd.DataFrame
    assignments: pd.DataFrame


def _moments(seconds: Iterable[float | None]) -> pd.Series:
    """Epoch seconds (None or NaN for none) as UTC datetimes, to the second."""
    values = np.array([math.nan if value is None else value for value in seconds], dtype=float)
    return pd.Series(pd.to_datetime(values, unit="s", utc=True)).astype(UTC_TIME)


@lru_cache(maxsize=32)
def _history(seed: int) -> _History:
    """Simulate the class ``seed`` makes over its whole term (once per seed)."""
    plan = world_class(seed)
    term = _term(plan)
    students = _students(plan, random.Random(f"second-world:{seed}:students"))
    rows: list[_Row] = []
    grants: list[_Grant] = []
    for student in students:
        rng = random.Random(f"second-world:{seed}:student:{student.student_id}")
        _Life(student, term, rng, rows, grants).live()

    # Attempts numbered in the order they were submitted, so a cut keeps the same ids.
    rows.sort(key=lambda row: (row[4], row[0], row[3]))
    columns = list(zip(*rows, strict=True)) if rows else [()] * 8
    student_ids, quest_index, stage_index, started, submitted, score, outcome, reviewed = columns
    quest_ids = np.asarray(quest_index, dtype="int64") + 1
    stage_ids = [term.stage_ids[q][s] for q, s in zip(quest_index, stage_index, strict=True)]
    points = [term.quests[q].points[s] for q, s in zip(quest_index, stage_index, strict=True)]
    attempts = typed(
        pd.DataFrame(
            {
                "attempt_id": np.arange(1, len(rows) + 1),
                "student_id": np.asarray(student_ids, dtype="int64"),
                "quest_id": quest_ids,
                "stage_id": np.asarray(stage_ids, dtype="int64"),
                "started_at": _moments(started),
                "submitted_at": _moments(submitted),
                "score": np.asarray(score, dtype=float),
                "max_score": np.asarray(points, dtype=float),
                "outcome": [str(value) for value in outcome],
            }
        ),
        ATTEMPTS,
    )
    attempts["reviewed_at"] = _moments(reviewed)

    grants.sort(key=lambda grant: (grant[4], grant[0]))
    extensions = typed(
        pd.DataFrame(
            {
                "student_id": [grant[0] for grant in grants],
                "stage_id": [term.stage_ids[grant[1]][grant[2]] for grant in grants],
                "extra_seconds": [grant[3] for grant in grants],
                "granted_at": _moments(grant[4] for grant in grants),
            }
        ),
        EXTENSIONS,
    )
    roster = pd.DataFrame(
        {
            "student_id": [student.student_id for student in students],
            "name": [f"learner-{student.student_id:03d}" for student in students],
            "persona": [student.persona for student in students],
            "ability": [student.ability for student in students],
            "motivation": [student.motivation for student in students],
            "extension": [student.extension for student in students],
            "dropped_at": _moments(student.dropped_at for student in students),
            "deactivated_at": _moments(student.deactivated_at for student in students),
        }
    )
    stages = typed(
        pd.DataFrame(
            [
                {
                    "stage_id": term.stage_ids[index][position - 1],
                    "quest_id": index + 1,
                    "position": position,
                    "kind": kind,
                    "title": f"{kind.replace('_', ' ').capitalize()} {position}",
                    "points": POINTS[kind],
                }
                for index, quest in enumerate(plan.quests)
                for position, kind in enumerate(quest.kinds, start=1)
            ]
        ),
        STAGES,
    )
    quests = pd.DataFrame(
        {
            "quest_id": range(1, len(plan.quests) + 1),
            "slug": [quest.slug for quest in plan.quests],
            "title": [quest.slug.replace("-", " ").capitalize() for quest in plan.quests],
        }
    )
    assignments = typed(
        pd.DataFrame(
            {
                "classroom_id": plan.classroom_id,
                "quest_id": range(1, len(plan.quests) + 1),
                "opens_at": [quest.opens_at for quest in plan.quests],
                "due_at": [quest.due_at for quest in plan.quests],
            }
        ),
        ASSIGNMENTS,
    )
    return _History(
        plan=plan,
        roster=roster,
        attempts=attempts,
        extensions=extensions,
        stages=stages,
        quests=quests,
        assignments=assignments,
    )


def world_students(seed: int) -> pd.DataFrame:
    """Every student the class ``seed`` ever had, with what drives them: student_id, name,
    persona (PERSONAS), ability, motivation (culture included), extension (gets extra time on
    timed stages), dropped_at (no activity from then on) and deactivated_at (gone from the
    class's Datasets from then on), both NaT for students who stay."""
    return _history(seed).roster.copy()


def world_reviews(seed: int) -> pd.DataFrame:
    """Every checkpoint review the teacher of the class ``seed`` makes: attempt_id, reviewed_at,
    and the verdict (outcome passed or failed, score) the attempt shows from then on."""
    attempts = _history(seed).attempts
    reviewed = attempts[attempts["reviewed_at"].notna()]
    return reviewed[["attempt_id", "reviewed_at", "outcome", "score"]].reset_index(drop=True)


def _cut(history: _History, now: pd.Timestamp, *, everyone: bool) -> Dataset:
    """The class as of ``now``: attempts submitted by then, reviews done by then, extensions
    granted by then; students deactivated by then left out unless ``everyone``."""
    plan = history.plan
    attempts = history.attempts[history.attempts["submitted_at"] <= now]
    # A review still to come leaves its checkpoint pending, unscored.
    unreviewed = (attempts["reviewed_at"] > now).to_numpy()
    attempts = attempts.drop(columns="reviewed_at").assign(
        outcome=attempts["outcome"].where(~unreviewed, str(Outcome.PENDING_REVIEW)),
        score=attempts["score"].where(~unreviewed),
    )
    roster = history.roster
    if not everyone:
        # The platform leaves deactivated students out of the class (their attempts stay).
        roster = roster[~(roster["deactivated_at"] <= now)]
    students = roster[["student_id", "name"]].assign(pseudonym=roster["name"].str.title())
    extensions = history.extensions[history.extensions["granted_at"] <= now]
    return Dataset.of(
        now=now,
        attempts=attempts,
        stages=history.stages,
        quests=history.quests,
        classrooms=pd.DataFrame(
            {"classroom_id": [plan.classroom_id], "name": [f"Second world class {plan.seed}"]}
        ),
        students=students,
        enrollments=students[["student_id"]].assign(classroom_id=plan.classroom_id),
        assignments=history.assignments,
        extensions=extensions,
        zone=plan.zone,
    )


def _moment(history: _History, now: datetime | None) -> pd.Timestamp:
    """``now`` in UTC (the class's end when None); a naive time is refused."""
    if now is None:
        return pd.Timestamp(history.plan.end)
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    return pd.Timestamp(now).tz_convert("UTC")


def world_dataset(seed: int, *, now: datetime | None = None) -> Dataset:
    """The class ``seed`` makes as a Dataset as of ``now`` (default: a week after the last due
    date): one classroom (id CLASSROOM_BASE + seed) with its students still active then, every
    quest assigned, the attempts submitted by then with the reviews done by then, and the time
    extensions granted by then. Days are the class's time zone's."""
    history = _history(seed)
    return _cut(history, _moment(history, now), everyone=False)


def _truth(seed: int) -> pd.DataFrame:
    """Whether each student the class ever had finished each quest by its due date."""
    history = _history(seed)
    return finished_by_due(_cut(history, pd.Timestamp(history.plan.end), everyone=True))


def world_snapshots(seed: int, *, weeks: Iterable[int] = CUTOFF_WEEKS) -> list[LabelledDataset]:
    """The class cut ``weeks`` after each quest opened (only before its due date), labelled with
    what became of each student still in the class at the cut: columns LABELS, covering the
    quests open exactly that many weeks then (several quests can share a cut)."""
    weeks = tuple(weeks)
    history = _history(seed)
    plan = history.plan
    # From the whole class, since students deactivated later are still labelled before then.
    truth = _truth(seed)
    cuts: dict[datetime, list[tuple[int, int]]] = {}
    for quest_id, quest in enumerate(plan.quests, start=1):
        for week in weeks:
            cut = quest.opens_at + timedelta(weeks=week)
            if cut < quest.due_at:
                cuts.setdefault(cut, []).append((quest_id, week))
    snapshots = []
    for cut in sorted(cuts):
        dataset = _cut(history, pd.Timestamp(cut), everyone=False)
        at_cut = pd.DataFrame(cuts[cut], columns=["quest_id", "week"])
        labels = truth.merge(at_cut, on="quest_id")
        labels = labels[labels["student_id"].isin(dataset.enrollments["student_id"])]
        snapshots.append(
            LabelledDataset(dataset=dataset, labels=typed(labels[list(LABELS)], LABELS))
        )
    return snapshots


def world_examples(
    seeds: Iterable[int], *, weeks: Iterable[int] = CUTOFF_WEEKS
) -> list[LabelledDataset]:
    """The labelled snapshots of the classes made by ``seeds``, cut ``weeks`` after each quest
    opened, in order."""
    weeks = tuple(weeks)
    return [snapshot for seed in seeds for snapshot in world_snapshots(seed, weeks=weeks)]
