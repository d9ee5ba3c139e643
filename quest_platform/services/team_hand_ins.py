"""Team hand-ins: one member hands in a team checkpoint for the team, and every current member
is credited with an attempt of their own (docs/teams.md, "Team checkpoints").

``submit_attempt`` (services/attempts.py) records the hand-in; these are its team steps. The
order of locks is fixed, so two members handing in at once wait for each other instead of
deadlocking: first the classroom's teams (``lock_teams_of``), then each member's lock on the
quest in ascending student id. A teacher's review of a hand-in takes the members' locks in the
same order (services/reviews.py).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _

from quest_platform.extensions import db
from quest_platform.models import (
    Attempt,
    Outcome,
    Quest,
    QuestTally,
    Stage,
    Team,
    TeamHandIn,
    User,
)
from quest_platform.queries.progress import QuestProgress, progress_from, stage_tallies
from quest_platform.queries.team_hand_ins import lead_attempt, standing_hand_in, team_for_quest
from quest_platform.queries.teams import current_members
from quest_platform.services.errors import Conflict, ServiceError
from quest_platform.services.tallies import count_attempt, lock_quest_tally
from quest_platform.services.teams import lock_teams_of
from quest_platform.time_zones import format_moment


@dataclass(frozen=True)
class HandingIn:
    """A team about to hand in, its classroom's teams and its members' tallies locked."""

    team: Team
    # The current members, by ascending id (the member handing in among them).
    members: tuple[User, ...]
    quest_tallies: dict[int, QuestTally]


@dataclass(frozen=True)
class Credit:
    """A member's attempt credited by a hand-in, with what it did to their standing."""

    attempt: Attempt
    quest_tally: QuestTally
    progress: QuestProgress


def not_in_a_team() -> ServiceError:
    """The refusal for a student with no team for the quest."""
    return ServiceError(_("This is a team checkpoint: ask your teacher to put you in a team."))


def lock_team_hand_in(*, student: User, quest: Quest, stage: Stage) -> HandingIn:
    """Take the locks a team hand-in needs and check the team may hand ``stage`` in now.

    Refused when ``student`` is in no team of a classroom given ``quest``, and while the team
    has a hand-in of the stage waiting for review or passed (the refusal says who handed it in
    and when). After a failed review any member may hand in again.
    """
    team = team_for_quest(student_id=student.id, quest_id=quest.id)
    if team is None:
        raise not_in_a_team()
    classroom_id = team.classroom_id
    lock_teams_of(team.classroom)
    # Read again under the lock: a teacher may have moved the student a moment ago.
    team = team_for_quest(student_id=student.id, quest_id=quest.id)
    if team is None:
        raise not_in_a_team()
    if team.classroom_id != classroom_id:
        raise Conflict(_("Your team changed a moment ago; hand in again."))
    members = tuple(
        sorted((membership.student for membership in current_members(team)), key=lambda s: s.id)
    )
    quest_tallies = {
        member.id: lock_quest_tally(student_id=member.id, quest_id=quest.id) for member in members
    }
    check_team_may_hand_in(team=team, stage=stage)
    return HandingIn(team=team, members=members, quest_tallies=quest_tallies)


def check_team_may_hand_in(*, team: Team, stage: Stage) -> None:
    """Refuse a second hand-in while the team's last one waits for review or passed."""
    standing = standing_hand_in(team_id=team.id, stage_id=stage.id)
    if standing is None:
        return
    lead = lead_attempt(standing)
    passed = lead is not None and lead.result[1] == Outcome.PASSED
    details = {
        "name": standing.handed_in_by.display_name,
        "team": standing.team_name,
        "date": format_moment(standing.created_at),
    }
    if passed:
        raise Conflict(
            _(
                "%(team)s already passed this checkpoint: %(name)s handed it in on %(date)s.",
                **details,
            )
        )
    raise Conflict(
        _(
            "%(name)s already handed this in for %(team)s on %(date)s; it waits for your"
            " teacher's review.",
            **details,
        )
    )


def start_team_hand_in(
    *, handing_in: HandingIn, stage: Stage, by: User, now: datetime
) -> TeamHandIn:
    """Add the hand-in's record (its id goes on every attempt it credits)."""
    hand_in = TeamHandIn(
        team_id=handing_in.team.id,
        stage_id=stage.id,
        handed_in_by_id=by.id,
        team_name=handing_in.team.name,
        created_at=now,
    )
    db.session.add(hand_in)
    db.session.flush()
    return hand_in


def member_key(lead_key: str, student_id: int) -> str:
    """A member's submission key, derived from the lead's: unique, and the same on a resend."""
    return hashlib.sha256(f"{lead_key}\n{student_id}".encode()).hexdigest()


def credit_members(
    *, handing_in: HandingIn, lead: Attempt, quest: Quest, stage: Stage, now: datetime
) -> list[Credit]:
    """Give every other current member an attempt like ``lead`` (the same answer and outcome),
    counted in their tallies and ledger as if they had handed it in themselves.

    A member who already passed the stage on their own keeps their pass and gets nothing new.
    """
    credits = []
    for member in handing_in.members:
        if member.id == lead.student_id:
            continue
        tallies = stage_tallies(student_id=member.id, quest_ids=[quest.id])
        own = tallies.get(stage.id)
        if own is not None and own.outcome == Outcome.PASSED:
            continue
        attempt = Attempt(
            student_id=member.id,
            quest_id=quest.id,
            stage_id=stage.id,
            started_at=lead.started_at,
            submitted_at=lead.submitted_at,
            answer=dict(lead.answer),
            score=lead.score,
            max_score=lead.max_score,
            outcome=lead.outcome,
            submission_key=member_key(lead.submission_key or "", member.id),
            team_hand_in_id=lead.team_hand_in_id,
        )
        db.session.add(attempt)
        db.session.flush()
        quest_tally = handing_in.quest_tallies[member.id]
        tallies[stage.id] = count_attempt(
            quest_tally=quest_tally, stage_tally=own, attempt=attempt, stage=stage
        )
        progress = progress_from(quest=quest, assignment=None, tallies=tallies, now=now)
        credits.append(Credit(attempt=attempt, quest_tally=quest_tally, progress=progress))
    return credits
