"""Code races: a teacher starts one, students race, and its places are settled into points.

The rules of places are in ``queries/races.py``; the points by place in ``CodeRace.points_for``.
Races change only here: started by a teacher (audited), settled once when every student's race
is over, and announced to the pages watching them (``quest_platform/live.py``) when a racer's
submission is graded.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from quest_platform.extensions import db
from quest_platform.live import announce_race
from quest_platform.models import (
    Classroom,
    CodeRace,
    PointsEntry,
    PointsReason,
    Stage,
    StageKind,
    User,
    utcnow,
)
from quest_platform.queries.classrooms import is_given
from quest_platform.queries.races import RaceState, RaceTable, race_table, races_running_on
from quest_platform.services import slack
from quest_platform.services.audit import record_change, snapshot
from quest_platform.services.classrooms import may_manage_classroom
from quest_platform.services.errors import Conflict, NotAllowed, ServiceError, undone_on_error
from quest_platform.services.tallies import enter_bonus_points, lock_quest_tally

MIN_MINUTES = 1
MAX_MINUTES = 180
# How far ahead a race may be set, and how long ago a start may be (a form sent slowly).
MAX_DAYS_AHEAD = 60
PAST_START_ALLOWED = timedelta(minutes=5)
MAX_POINTS = 500


@undone_on_error
def start_race(
    *,
    classroom: Classroom,
    stage: Stage,
    minutes: int,
    first_points: int,
    min_points: int,
    by: User,
    starts_at: datetime | None = None,
    now: datetime | None = None,
) -> CodeRace:
    """Set a race on the code ``stage`` for ``classroom``, from ``starts_at`` (now when None)
    for ``minutes``.

    Refused unless ``by`` teaches the classroom (or is an administrator), the stage is a code
    challenge of a published quest given to the classroom, the times and points are in range,
    and the classroom has no race on the stage yet. Audited.
    """
    now = now or utcnow()
    if not may_manage_classroom(staff=by, classroom=classroom):
        raise NotAllowed(_("You can start a race only for your own classes."), field="classroom")
    if stage.kind != StageKind.CODE:
        raise ServiceError(_("A race is run on a code challenge."), field="stage")
    if not is_given(quest=stage.quest, classroom_id=classroom.id):
        raise ServiceError(
            _("Give this stage's quest to the class before you race on it."), field="stage"
        )
    if not is_whole(minutes) or not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise ServiceError(_("A race lasts between 1 and 180 minutes."), field="minutes")
    if not is_whole(min_points) or not 1 <= min_points <= MAX_POINTS:
        raise ServiceError(
            _("Give between 1 and 500 points for each correct solution."), field="min_points"
        )
    if not is_whole(first_points) or not min_points <= first_points <= MAX_POINTS:
        raise ServiceError(
            _("First place earns at least what every correct solution earns, and at most 500."),
            field="first_points",
        )
    start = starts_at or now
    if start < now - PAST_START_ALLOWED:
        raise ServiceError(_("Choose a start time that has not passed."), field="starts_at")
    if start > now + timedelta(days=MAX_DAYS_AHEAD):
        raise ServiceError(_("Choose a start within the next 60 days."), field="starts_at")
    race = CodeRace(
        classroom_id=classroom.id,
        stage_id=stage.id,
        starts_at=max(start, now),
        ends_at=max(start, now) + timedelta(minutes=minutes),
        first_points=first_points,
        min_points=min_points,
        started_by_id=by.id,
        created_at=now,
    )
    db.session.add(race)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(_("This class already has a race on this stage."), field="stage") from None
    record_change(actor=by, action="create", record=race, after=snapshot(race))
    db.session.commit()
    slack.announce_race(race=race, now=now)
    return race


def is_whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_race_started(race: CodeRace | None, *, now: datetime) -> None:
    """Refuse to run code for a race's stage before the race starts (nobody sees it early)."""
    if race is not None and now < race.starts_at:
        raise Conflict(_("The race has not started yet: the problem opens when it does."))


def current_table(race: CodeRace, *, now: datetime | None = None) -> RaceTable:
    """The race's places now; once every student's race is over, settled first (once)."""
    now = now or utcnow()
    table = race_table(race, now=now)
    if table.state == RaceState.OVER and race.settled_at is None:
        settle_race(race_id=race.id, now=now)
        db.session.refresh(race)
        table = race_table(race, now=now)
    return table


@undone_on_error
def settle_race(*, race_id: int, now: datetime | None = None) -> bool:
    """Enter an over race's points by place in the ledger; whether this call settled it.

    The race row is marked settled by a conditional update first: of several calls at once only
    one changes it (the others wait for its transaction, then find it settled), and the points
    are entered in that same transaction. The ledger's unique (race, student) holds it too.
    """
    now = now or utcnow()
    race = db.session.get(CodeRace, race_id)
    if race is None or race.settled_at is not None:
        return False
    table = race_table(race, now=now)
    if table.state != RaceState.OVER:
        return False
    claimed = db.session.execute(
        update(CodeRace)
        .where(CodeRace.id == race_id, CodeRace.settled_at.is_(None))
        .values(settled_at=now)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        return False
    # Read again after the update: another settlement may have committed before it.
    table = race_table(race, now=now)
    quest_id = race.stage.quest_id
    for place in sorted(table.places, key=lambda place: place.student_id):
        tally = lock_quest_tally(student_id=place.student_id, quest_id=quest_id)
        entry = PointsEntry(
            student_id=place.student_id,
            quest_id=quest_id,
            attempt_id=place.attempt_id,
            race_id=race.id,
            points=place.points,
            reason=PointsReason.RACE.value,
            created_at=now,
        )
        enter_bonus_points(quest_tally=tally, entry=entry)
    db.session.commit()
    announce_race(race.id)
    return True


def announce_graded(*, stage_id: int, student_id: int, now: datetime | None = None) -> None:
    """Tell the pages watching a race that a racer's submission was graded."""
    for race in races_running_on(stage_id=stage_id, student_id=student_id, now=now or utcnow()):
        announce_race(race.id)
