"""Team hand-ins, read: a student's team for a quest, a hand-in's attempts, and what the stage,
attempt and team pages show of team checkpoints."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from quest_platform.extensions import db
from quest_platform.models import (
    Attempt,
    Outcome,
    QuestAssignment,
    Stage,
    Team,
    TeamHandIn,
    TeamMembership,
    User,
)

# A hand-in in either state stands for the whole team: it may not hand the stage in again.
STANDING_OUTCOMES = (Outcome.PENDING_REVIEW.value, Outcome.PASSED.value)


def team_for_quest(*, student_id: int, quest_id: int) -> Team | None:
    """The team ``student_id`` is in now, in a classroom given quest ``quest_id`` (the one due
    last, as the student's assignment, when two of their classrooms were given it)."""
    query = (
        select(Team)
        .join(TeamMembership, TeamMembership.team_id == Team.id)
        .join(QuestAssignment, QuestAssignment.classroom_id == Team.classroom_id)
        .where(
            TeamMembership.student_id == student_id,
            TeamMembership.left_at.is_(None),
            QuestAssignment.quest_id == quest_id,
        )
        .order_by(QuestAssignment.due_at.desc(), Team.id)
        .limit(1)
    )
    return db.session.scalar(query)


def hand_in_attempts(hand_in_id: int) -> list[Attempt]:
    """Every attempt a hand-in recorded (the lead's and the members'), by student id, with
    their reviews."""
    return list(
        db.session.scalars(
            select(Attempt)
            .where(Attempt.team_hand_in_id == hand_in_id)
            .options(selectinload(Attempt.reviews), selectinload(Attempt.student))
            .order_by(Attempt.student_id, Attempt.id)
        )
    )


def lead_attempt(hand_in: TeamHandIn) -> Attempt | None:
    """The attempt of the member who handed in: it holds the evidence (and the screenshot)."""
    return db.session.scalar(
        select(Attempt)
        .where(
            Attempt.team_hand_in_id == hand_in.id,
            Attempt.student_id == hand_in.handed_in_by_id,
        )
        .options(selectinload(Attempt.reviews), selectinload(Attempt.screenshot))
        .order_by(Attempt.id)
        .limit(1)
    )


def standing_hand_in(*, team_id: int, stage_id: int) -> TeamHandIn | None:
    """The team's latest hand-in of the stage that still stands: waiting for review or passed
    (a failed one does not: the team may hand in again)."""
    hand_ins = db.session.scalars(
        select(TeamHandIn)
        .where(TeamHandIn.team_id == team_id, TeamHandIn.stage_id == stage_id)
        .options(selectinload(TeamHandIn.handed_in_by))
        .order_by(TeamHandIn.id.desc())
    )
    for hand_in in hand_ins:
        lead = lead_attempt(hand_in)
        if lead is not None and lead.result[1] in STANDING_OUTCOMES:
            return hand_in
    return None


@dataclass(frozen=True)
class HandInView:
    """A team hand-in as the stage and attempt pages show it: who handed in for which team, the
    lead attempt with its evidence and result, and the students it credits."""

    hand_in: TeamHandIn
    lead: Attempt
    credited: tuple[User, ...]

    @property
    def result(self) -> tuple[float | None, str]:
        """The score and outcome that count for the whole team (the lead's, as reviewed)."""
        return self.lead.result


def hand_in_view(hand_in_id: int) -> HandInView | None:
    """What the pages show of hand-in ``hand_in_id`` (None when it has no lead attempt)."""
    hand_in = db.session.get(TeamHandIn, hand_in_id)
    if hand_in is None:
        return None
    lead = lead_attempt(hand_in)
    if lead is None:
        return None
    credited = tuple(attempt.student for attempt in hand_in_attempts(hand_in_id))
    return HandInView(hand_in=hand_in, lead=lead, credited=credited)


@dataclass(frozen=True)
class TeamCheckpoint:
    """A team checkpoint on a student's stage page: their team (None: they have none, and may
    not hand it in), and the hand-in that credits their latest answer (None until then)."""

    team: Team | None
    handed_in: HandInView | None


def team_checkpoint_for(
    *, student: User, stage: Stage, latest: Attempt | None
) -> TeamCheckpoint | None:
    """The team checkpoint ``stage`` as ``student`` sees it, given their ``latest`` attempt at
    it; None when the stage is not a team checkpoint."""
    if not stage.is_team:
        return None
    team = team_for_quest(student_id=student.id, quest_id=stage.quest_id)
    handed_in = None
    if latest is not None and latest.team_hand_in_id is not None:
        handed_in = hand_in_view(latest.team_hand_in_id)
    return TeamCheckpoint(team=team, handed_in=handed_in)


@dataclass(frozen=True)
class TeamCheckpointRow:
    """One hand-in of a team, for its page: the stage, who handed it in and when, the result."""

    hand_in: TeamHandIn
    stage: Stage
    handed_in_by: User
    score: float | None
    max_score: float
    outcome: str


def team_checkpoints(team: Team) -> list[TeamCheckpointRow]:
    """Every hand-in of ``team``, newest first, each with its result as it counts now (the
    lead attempt's): a few queries, whatever the number of hand-ins."""
    rows = db.session.execute(
        select(Attempt, TeamHandIn)
        .join(
            TeamHandIn,
            (TeamHandIn.id == Attempt.team_hand_in_id)
            & (TeamHandIn.handed_in_by_id == Attempt.student_id),
        )
        .where(TeamHandIn.team_id == team.id)
        .options(
            selectinload(Attempt.reviews),
            selectinload(Attempt.stage).selectinload(Stage.quest),
            selectinload(Attempt.student),
        )
        .order_by(TeamHandIn.created_at.desc(), TeamHandIn.id.desc())
    )
    checkpoints = []
    for lead, hand_in in rows:
        score, outcome = lead.result
        checkpoints.append(
            TeamCheckpointRow(
                hand_in=hand_in,
                stage=lead.stage,
                handed_in_by=lead.student,
                score=score,
                max_score=lead.max_score,
                outcome=outcome,
            )
        )
    return checkpoints


def reviewed_together(attempt: Attempt) -> list[Attempt]:
    """The attempts a teacher's review of ``attempt`` marks: every attempt of its team hand-in
    (by ascending student id, the order their locks are taken in), else ``attempt`` alone."""
    if attempt.team_hand_in_id is None:
        return [attempt]
    return hand_in_attempts(attempt.team_hand_in_id)


def conversation_attempt(attempt: Attempt) -> Attempt:
    """The attempt whose conversation a review's feedback goes to: the lead attempt of a team
    hand-in (the member who handed in), else ``attempt`` itself."""
    if attempt.team_hand_in_id is None:
        return attempt
    hand_in = db.session.get(TeamHandIn, attempt.team_hand_in_id)
    lead = lead_attempt(hand_in) if hand_in is not None else None
    return lead or attempt
