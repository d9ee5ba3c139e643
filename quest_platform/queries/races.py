"""Reading code races: the race a student is in, its places, and who may watch it.

The places rule (docs/code-races.md): a student's place comes from their first submission
sent during their race (from the start to the end plus their extra time) that passed every
hidden test; the time counted is when the code was sent, not when a grader checked it. Ranked
by whole seconds from the start; in the same second, fewer wrong submissions before it ranks
first; still tied, they share the place and its points.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select

from quest_platform.extensions import db
from quest_platform.models import (
    Attempt,
    CodePurpose,
    CodeRace,
    CodeRun,
    Enrollment,
    Outcome,
    Stage,
    TimeExtension,
    User,
)
from quest_platform.queries.classrooms import (
    classrooms_of_student,
    classrooms_taught_by,
    enrolled_in,
)

# A submission that counts as a solution: every hidden test passed (late counts too: the race
# is the teacher's own schedule, whatever the quest's due time).
SOLVED = (Outcome.PASSED.value, Outcome.LATE.value)


class RaceState(enum.StrEnum):
    """Where a race is for everyone: before its start, on, or over (results final)."""

    WAITING = "waiting"
    RUNNING = "running"
    # The race's own time is up, but a student with extra time is still racing.
    EXTRA_TIME = "extra_time"
    OVER = "over"


@dataclass(frozen=True)
class Place:
    """A student who solved the race's problem, where they placed and what it earns."""

    place: int
    student_id: int
    name: str
    seconds: int
    wrong: int
    points: int
    # The attempt of the solution that placed them.
    attempt_id: int


@dataclass(frozen=True)
class RaceTable:
    """A race's places now, and how many of its classroom's students race."""

    race: CodeRace
    state: RaceState
    places: list[Place]
    racers: int
    last_end: datetime


def extra_seconds_by_student(race: CodeRace) -> dict[int, int]:
    """The extra time given on the race's stage to each student of its classroom."""
    rows = db.session.execute(
        select(TimeExtension.student_id, func.sum(TimeExtension.extra_seconds))
        .where(
            TimeExtension.stage_id == race.stage_id,
            TimeExtension.student_id.in_(enrolled_in([race.classroom_id])),
        )
        .group_by(TimeExtension.student_id)
    )
    return {student_id: int(total) for student_id, total in rows}


def racers_of(race: CodeRace) -> Select[int]:
    """The ids of the students of the race's classroom, as a subquery."""
    return select(Enrollment.student_id).where(Enrollment.classroom_id == race.classroom_id)


def end_for(race: CodeRace, extra_seconds: int) -> datetime:
    """When the race ends for a student with ``extra_seconds`` of extra time."""
    return race.ends_at + timedelta(seconds=extra_seconds)


def race_state(race: CodeRace, *, now: datetime, last_end: datetime) -> RaceState:
    if now < race.starts_at:
        return RaceState.WAITING
    if now < race.ends_at:
        return RaceState.RUNNING
    if now < last_end:
        return RaceState.EXTRA_TIME
    return RaceState.OVER


def race_table(race: CodeRace, *, now: datetime) -> RaceTable:
    """The race's places as of ``now`` (final once it is over)."""
    extras = extra_seconds_by_student(race)
    last_end = end_for(race, max(extras.values(), default=0))
    runs = db.session.execute(
        select(
            CodeRun.student_id,
            CodeRun.created_at,
            Attempt.id,
            Attempt.outcome,
            User.pseudonym,
        )
        .join(Attempt, Attempt.id == CodeRun.attempt_id)
        .join(User, User.id == CodeRun.student_id)
        .where(
            CodeRun.stage_id == race.stage_id,
            CodeRun.purpose == CodePurpose.SUBMISSION.value,
            CodeRun.student_id.in_(enrolled_in([race.classroom_id])),
            CodeRun.created_at >= race.starts_at,
            CodeRun.created_at <= last_end,
        )
        .order_by(CodeRun.created_at, CodeRun.id)
    )
    wrong: dict[int, int] = {}
    solved: dict[int, tuple[int, int, str, int]] = {}
    for student_id, sent_at, attempt_id, outcome, pseudonym in runs:
        if student_id in solved or sent_at > end_for(race, extras.get(student_id, 0)):
            continue
        if outcome in SOLVED:
            seconds = int((sent_at - race.starts_at).total_seconds())
            solved[student_id] = (seconds, wrong.get(student_id, 0), pseudonym, attempt_id)
        else:
            wrong[student_id] = wrong.get(student_id, 0) + 1
    ordered = sorted(solved.items(), key=lambda item: (item[1][0], item[1][1], item[1][2]))
    places: list[Place] = []
    for index, (student_id, (seconds, mistakes, pseudonym, attempt_id)) in enumerate(ordered):
        tied = places and (places[-1].seconds, places[-1].wrong) == (seconds, mistakes)
        place = places[-1].place if tied else index + 1
        points = race.points_for(place)
        places.append(Place(place, student_id, pseudonym, seconds, mistakes, points, attempt_id))
    racers = db.session.scalar(
        select(func.count())
        .select_from(Enrollment)
        .where(Enrollment.classroom_id == race.classroom_id)
    )
    return RaceTable(
        race=race,
        state=race_state(race, now=now, last_end=last_end),
        places=places,
        racers=int(racers or 0),
        last_end=last_end,
    )


def race_for(*, student: User, stage: Stage) -> CodeRace | None:
    """The race on ``stage`` in a classroom ``student`` is in (the latest, if several)."""
    return db.session.scalar(
        select(CodeRace)
        .where(
            CodeRace.stage_id == stage.id,
            CodeRace.classroom_id.in_(classrooms_of_student(student.id)),
        )
        .order_by(CodeRace.starts_at.desc())
        .limit(1)
    )


def races_waiting(*, student_id: int, now: datetime) -> set[int]:
    """The ids of the stages whose problem the student may not see yet: raced in one of their
    classrooms, by a race that has not started."""
    return set(
        db.session.scalars(
            select(CodeRace.stage_id).where(
                CodeRace.starts_at > now,
                CodeRace.classroom_id.in_(classrooms_of_student(student_id)),
            )
        )
    )


def may_watch(user: User, race: CodeRace) -> bool:
    """Whether ``user`` may see the race's places: its classroom's students and teachers, and
    administrators."""
    if user.is_admin or user in race.classroom.teachers:
        return True
    enrolled = enrolled_in([race.classroom_id]).where(Enrollment.student_id == user.id)
    return db.session.scalar(enrolled) is not None


def races_running_on(*, stage_id: int, student_id: int, now: datetime) -> list[CodeRace]:
    """The races on a stage, in the student's classrooms, that have started and are not settled."""
    return list(
        db.session.scalars(
            select(CodeRace).where(
                CodeRace.stage_id == stage_id,
                CodeRace.starts_at <= now,
                CodeRace.settled_at.is_(None),
                CodeRace.classroom_id.in_(classrooms_of_student(student_id)),
            )
        )
    )


def races_visible_to(user: User) -> ColumnElement[bool] | None:
    """The races ``user`` sees in the admin: their classrooms' (None: an admin's, all)."""
    if user.is_admin:
        return None
    return CodeRace.classroom_id.in_(classrooms_taught_by(user.id))


@dataclass(frozen=True)
class RaceView:
    """A race as one person sees it: the places, and the clock of their own race.

    For a student ``ends_at`` is the end of their own race (their extra time included); for
    staff, the race's end, or the last student's end once only students with extra time race.
    """

    table: RaceTable
    viewer_id: int
    ends_at: datetime
    extra_seconds: int
    seconds_to_start: int
    seconds_left: int

    @property
    def race(self) -> CodeRace:
        return self.table.race

    @property
    def own_place(self) -> Place | None:
        return next((p for p in self.table.places if p.student_id == self.viewer_id), None)


def race_view(table: RaceTable, *, viewer: User, now: datetime) -> RaceView:
    """``table`` as ``viewer`` sees it at ``now``."""
    race = table.race
    extra = 0
    if viewer.is_staff:
        ends_at = race.ends_at if now < race.ends_at else table.last_end
    else:
        extra = extra_seconds_by_student(race).get(viewer.id, 0)
        ends_at = end_for(race, extra)
    return RaceView(
        table=table,
        viewer_id=viewer.id,
        ends_at=ends_at,
        extra_seconds=extra,
        seconds_to_start=max(0, whole_seconds(race.starts_at - now)),
        seconds_left=max(0, whole_seconds(ends_at - max(now, race.starts_at))),
    )


def whole_seconds(span: timedelta) -> int:
    """A span in whole seconds, rounded up (a clock never shows 0:00 early)."""
    seconds = span.total_seconds()
    return int(seconds) + (1 if seconds % 1 else 0)


def race_clock(seconds: int) -> str:
    """Seconds as a race clock: "4:07", "1:02:30"."""
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def places_document(view: RaceView) -> dict[str, Any]:
    """The race as the live pages read it: state, clock, places (by leaderboard names)."""
    race = view.race
    return {
        "race": race.id,
        "state": view.table.state.value,
        "starts_at": race.starts_at.isoformat(),
        "ends_at": view.ends_at.isoformat(),
        "seconds_to_start": view.seconds_to_start,
        "seconds_left": view.seconds_left,
        "settled": race.settled_at is not None,
        "racers": view.table.racers,
        "solved": len(view.table.places),
        "places": [
            {
                "place": place.place,
                "name": place.name,
                "time": race_clock(place.seconds),
                "seconds": place.seconds,
                "wrong": place.wrong,
                "points": place.points,
                "you": place.student_id == view.viewer_id,
            }
            for place in view.table.places
        ],
    }
