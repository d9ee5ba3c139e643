"""Leaderboards: a classroom's points ranking and one quest's, as students and teachers see them.

The rules (ranks and ties, students who opted out, privacy, a board turned off) are described
in docs/leaderboards.md.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, and_, exists, func, select

from quest_platform.extensions import db
from quest_platform.models import (
    Classroom,
    Enrollment,
    Quest,
    QuestAssignment,
    QuestTally,
    Stage,
    User,
    classroom_teacher,
)
from quest_platform.queries.accounts import classrooms_of
from quest_platform.queries.classrooms import classrooms_visible_to

TIE_RULE = _l(
    "Equal points share a rank (1, 2, 2, 4); within a tie, whoever reached the total first is"
    " listed first, then by leaderboard name."
)


class Audience(enum.StrEnum):
    """Who is looking at a board, which decides what it shows."""

    # An enrolled student: pseudonyms only, opted-out classmates left out, nothing when off.
    STUDENT = "student"
    # A teacher of the classroom or an administrator: names too, and every student.
    STAFF = "staff"


@dataclass(frozen=True)
class BoardAccess:
    """A classroom whose boards a user may open, and as whom."""

    classroom: Classroom
    audience: Audience


@dataclass(frozen=True)
class QuestSummary:
    """A quest assigned to a classroom, with the points its stages offer."""

    id: int
    slug: str
    title: str
    available_points: int


class Standing(NamedTuple):
    """One enrolled student's points on a board, before ranking."""

    student_id: int
    pseudonym: str
    display_name: str
    opted_in: bool
    points: int


@dataclass(frozen=True)
class LeaderboardRow:
    """One line of a board as its viewer may see it."""

    # None for a student who opted out (only staff see such a line).
    rank: int | None
    # The student's pseudonym: the only name classmates ever see.
    name: str
    # The student's display name, for staff only; None on a student's board.
    real_name: str | None
    points: int
    is_viewer: bool
    # Whether classmates see this line (False: the student opted out).
    listed: bool


@dataclass(frozen=True)
class ViewerPlace:
    """The viewing student's own standing on a board."""

    points: int
    # Their rank as the board shows it; None when they opted out or the board is off.
    rank: int | None
    # When they opted out (and the board is on): the rank their points would take.
    would_rank: int | None
    opted_in: bool


@dataclass(frozen=True)
class Leaderboard:
    """A ranked board of a classroom, or of one of its quests, for one viewer."""

    classroom: Classroom
    # None for the classroom's board (all its quests).
    quest: QuestSummary | None
    audience: Audience
    enabled: bool
    rows: tuple[LeaderboardRow, ...]
    # The viewing student's standing; None for staff.
    viewer: ViewerPlace | None
    # Students on the ranking classmates see, and their points together.
    listed_count: int
    listed_points: int
    # Students left off that ranking because they opted out.
    opted_out_count: int

    @property
    def shows_ranking(self) -> bool:
        """Whether this viewer sees the ranking (staff always; students when it is on)."""
        return self.enabled or self.audience is Audience.STAFF


@dataclass(frozen=True)
class QuestBest:
    """The viewing student's results in one quest."""

    quest: QuestSummary
    # Points from stage scores, out of the quest's ``available_points``.
    stage_points: int
    # Points from the achievements the quest earned them.
    bonus_points: int
    # The best result of any one attempt at a quiz or timed stage, from 0 to 1; None if none.
    best_quiz: float | None


def leaderboard_access(*, user: User, classroom_id: int) -> BoardAccess | None:
    """Whether ``user`` may open the boards of a classroom, and as whom; None if not (or missing).

    Administrators and the classroom's teachers see it as staff, its students as students.
    """
    teaches = exists().where(
        classroom_teacher.c.classroom_id == Classroom.id, classroom_teacher.c.teacher_id == user.id
    )
    enrolled = exists().where(
        Enrollment.classroom_id == Classroom.id, Enrollment.student_id == user.id
    )
    row = db.session.execute(
        select(Classroom, teaches, enrolled).where(Classroom.id == classroom_id)
    ).one_or_none()
    if row is None:
        return None
    classroom, is_teacher, is_enrolled = row
    if user.is_admin or is_teacher:
        return BoardAccess(classroom=classroom, audience=Audience.STAFF)
    if is_enrolled:
        return BoardAccess(classroom=classroom, audience=Audience.STUDENT)
    return None


def leaderboard_classrooms(user: User) -> list[Classroom]:
    """The classrooms whose boards ``user`` may open: all for an admin, taught or enrolled in."""
    return classrooms_visible_to(user) if user.is_staff else classrooms_of(user)


def _assigned_quests(classroom_id: int) -> Select[int, str, str, int]:
    return (
        select(Quest.id, Quest.slug, Quest.title, func.coalesce(func.sum(Stage.points), 0))
        .join(QuestAssignment, QuestAssignment.quest_id == Quest.id)
        .outerjoin(Stage, Stage.quest_id == Quest.id)
        .where(QuestAssignment.classroom_id == classroom_id)
        .group_by(Quest.id, Quest.slug, Quest.title, QuestAssignment.opens_at)
        .order_by(QuestAssignment.opens_at, Quest.title, Quest.id)
    )


def assigned_quests(classroom: Classroom) -> list[QuestSummary]:
    """The quests assigned to ``classroom``, in the order they open, then by title."""
    rows = db.session.execute(_assigned_quests(classroom.id))
    return [QuestSummary(*row) for row in rows]


def assigned_quest(classroom: Classroom, slug: str) -> QuestSummary | None:
    """The quest ``slug`` if it is assigned to ``classroom``, else None."""
    row = db.session.execute(_assigned_quests(classroom.id).where(Quest.slug == slug)).first()
    return QuestSummary(*row) if row is not None else None


def standings(classroom_id: int, counted: ColumnElement[bool]) -> list[Standing]:
    """Every active enrolled student's points in the quests ``counted`` selects, in board order,
    in one query.

    ``counted`` is a condition on ``QuestTally.quest_id``; students without a tally there have
    0 points. Board order: most points first; in a tie, whoever reached the total first (their
    latest points entered earliest), students with no points after those who have some, then
    by leaderboard name.
    """
    points = func.coalesce(func.sum(QuestTally.points), 0)
    reached_at = func.max(QuestTally.scored_at)
    rows = db.session.execute(
        select(User.id, User.pseudonym, User.display_name, User.leaderboard_opt_in, points)
        .join(Enrollment, Enrollment.student_id == User.id)
        .outerjoin(QuestTally, and_(QuestTally.student_id == User.id, counted))
        .where(Enrollment.classroom_id == classroom_id, User.active.is_(True))
        .group_by(User.id, User.pseudonym, User.display_name, User.leaderboard_opt_in)
        .order_by(
            points.desc(),
            reached_at.is_(None),
            reached_at,
            func.lower(User.pseudonym),
            User.id,
        )
    )
    return [Standing._make(row) for row in rows]


def competition_ranks(ordered: Sequence[Standing]) -> list[int]:
    """Standard competition ranks of standings already in board order: 1, 2, 2, 4."""
    ranks: list[int] = []
    for position, standing in enumerate(ordered, start=1):
        tied = ranks and ordered[position - 2].points == standing.points
        ranks.append(ranks[-1] if tied else position)
    return ranks


def rank_among(points: int, listed: Iterable[Standing]) -> int:
    """The rank ``points`` would take among ``listed``: one more than those with more points."""
    return 1 + sum(1 for standing in listed if standing.points > points)


def build_leaderboard(
    *,
    access: BoardAccess,
    quest: QuestSummary | None,
    viewer: User,
    all_standings: Sequence[Standing],
) -> Leaderboard:
    """Rank ``all_standings`` (in board order, see :func:`standings`) and keep what ``viewer``
    may see of them."""
    classroom, audience = access.classroom, access.audience
    # Read once: ``viewer`` is often the current-user proxy, costly to read on every row.
    viewer_id = viewer.id
    ordered = all_standings
    listed = [standing for standing in ordered if standing.opted_in]
    rank_of = {
        standing.student_id: rank
        for standing, rank in zip(listed, competition_ranks(listed), strict=True)
    }
    enabled = classroom.leaderboard_enabled
    staff = audience is Audience.STAFF
    shown = ordered if staff else (listed if enabled else [])
    rows = tuple(
        LeaderboardRow(
            rank=rank_of.get(standing.student_id),
            name=standing.pseudonym,
            real_name=standing.display_name if staff else None,
            points=standing.points,
            is_viewer=standing.student_id == viewer_id,
            listed=standing.opted_in,
        )
        for standing in shown
    )
    own = None if staff else next((s for s in ordered if s.student_id == viewer_id), None)
    place = None
    if own is not None:
        place = ViewerPlace(
            points=own.points,
            rank=rank_of.get(own.student_id) if enabled else None,
            would_rank=rank_among(own.points, listed) if enabled and not own.opted_in else None,
            opted_in=own.opted_in,
        )
    return Leaderboard(
        classroom=classroom,
        quest=quest,
        audience=audience,
        enabled=enabled,
        rows=rows,
        viewer=place,
        listed_count=len(listed),
        listed_points=sum(standing.points for standing in listed),
        opted_out_count=len(ordered) - len(listed),
    )


def classroom_leaderboard(*, access: BoardAccess, viewer: User) -> Leaderboard:
    """The classroom's board: its students' points across every quest assigned to it."""
    assigned = select(QuestAssignment.quest_id).where(
        QuestAssignment.classroom_id == access.classroom.id
    )
    return build_leaderboard(
        access=access,
        quest=None,
        viewer=viewer,
        all_standings=standings(access.classroom.id, QuestTally.quest_id.in_(assigned)),
    )


def quest_leaderboard(*, access: BoardAccess, quest: QuestSummary, viewer: User) -> Leaderboard:
    """One quest's board: the classroom's students' points in that quest only."""
    return build_leaderboard(
        access=access,
        quest=quest,
        viewer=viewer,
        all_standings=standings(access.classroom.id, QuestTally.quest_id == quest.id),
    )


def personal_bests(*, student: User, quests: Sequence[QuestSummary]) -> list[QuestBest]:
    """``student``'s points and best quiz result in each of ``quests``, in their order, from
    their tallies (one query)."""
    quest_ids = [quest.id for quest in quests]
    if not quest_ids:
        return []
    tallies = {
        tally.quest_id: tally
        for tally in db.session.scalars(
            select(QuestTally).where(
                QuestTally.student_id == student.id, QuestTally.quest_id.in_(quest_ids)
            )
        )
    }
    bests = []
    for quest in quests:
        tally = tallies.get(quest.id)
        bests.append(
            QuestBest(
                quest=quest,
                stage_points=tally.points - tally.bonus_points if tally else 0,
                bonus_points=tally.bonus_points if tally else 0,
                best_quiz=tally.best_quiz if tally else None,
            )
        )
    return bests


@dataclass(frozen=True)
class BoardView:
    """A board as its viewer opens it, with the classroom's quests (on a classroom's board, for
    links to their boards) and the viewing student's personal bests (none for staff)."""

    board: Leaderboard
    quests: list[QuestSummary]
    bests: list[QuestBest]


def viewer_bests(access: BoardAccess, viewer: User, quests: list[QuestSummary]) -> list[QuestBest]:
    """The viewing student's personal bests in ``quests``; staff have none."""
    if access.audience is not Audience.STUDENT:
        return []
    return personal_bests(student=viewer, quests=quests)


def classroom_board_for(*, viewer: User, classroom_id: int) -> BoardView | None:
    """A classroom's board as ``viewer`` opens it; None unless they may (or no such classroom)."""
    access = leaderboard_access(user=viewer, classroom_id=classroom_id)
    if access is None:
        return None
    quests = assigned_quests(access.classroom)
    board = classroom_leaderboard(access=access, viewer=viewer)
    return BoardView(board, quests, viewer_bests(access, viewer, quests))


def quest_board_for(*, viewer: User, classroom_id: int, slug: str) -> BoardView | None:
    """A quest's board in a classroom as ``viewer`` opens it; None unless they may open the
    classroom's boards and the quest was given to it."""
    access = leaderboard_access(user=viewer, classroom_id=classroom_id)
    if access is None:
        return None
    quest = assigned_quest(access.classroom, slug)
    if quest is None:
        return None
    board = quest_leaderboard(access=access, quest=quest, viewer=viewer)
    return BoardView(board, [], viewer_bests(access, viewer, [quest]))


def board_document(view: BoardView) -> dict[str, Any]:
    """A board as plain data (the JSON of the pages and the API); staff also get display names
    and whether each line is listed."""
    board, bests = view.board, view.bests
    classroom = board.classroom
    staff = board.audience is Audience.STAFF
    rows = []
    for row in board.rows:
        item: dict[str, Any] = {
            "rank": row.rank,
            "name": row.name,
            "points": row.points,
            "you": row.is_viewer,
        }
        if staff:
            item |= {"display_name": row.real_name, "listed": row.listed}
        rows.append(item)
    you = board.viewer
    quest = board.quest
    return {
        "classroom": {
            "id": classroom.id,
            "name": classroom.name,
            "term": classroom.term,
            "period": classroom.period,
        },
        "quest": None
        if quest is None
        else {"slug": quest.slug, "title": quest.title, "available_points": quest.available_points},
        "enabled": board.enabled,
        "tie_rule": str(TIE_RULE),
        "rows": rows,
        "totals": {"students": board.listed_count, "points": board.listed_points}
        | ({"opted_out": board.opted_out_count} if staff else {}),
        "you": None
        if you is None
        else {
            "points": you.points,
            "rank": you.rank,
            "would_rank": you.would_rank,
            "opted_in": you.opted_in,
        },
        "personal_bests": [
            {
                "quest": best.quest.slug,
                "title": best.quest.title,
                "stage_points": best.stage_points,
                "available_points": best.quest.available_points,
                "bonus_points": best.bonus_points,
                "best_quiz": None if best.best_quiz is None else round(best.best_quiz, 4),
            }
            for best in bests
        ],
    }
