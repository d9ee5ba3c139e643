"""Reading portfolios: a student's reflections, checkpoint evidence, reviews received and
achievements across all their quests, and the links that share them.

A portfolio is read in three queries, whatever its size: the student's latest answer at each
reflection and checkpoint (with its stage, quest, teacher's review and screenshot), the peer
reviews of those checkpoints, and the badges earned.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased, joinedload

from quest_platform.extensions import db
from quest_platform.models import (
    Attempt,
    EvidenceFile,
    Outcome,
    PeerReview,
    PeerReviewAssignment,
    PortfolioLink,
    Quest,
    Review,
    Stage,
    StageKind,
    TeamHandIn,
    User,
)
from quest_platform.queries.achievements import StudentAchievement, achievements_of
from quest_platform.queries.attempts import latest_review_id
from quest_platform.queries.peer_review import ReviewShown, shown

# The stage kinds whose answers a portfolio shows.
SHOWN_KINDS = (StageKind.REFLECTION.value, StageKind.CHECKPOINT.value)
# A shared link's token is about 43 characters; anything much longer is not one.
MAX_TOKEN_LENGTH = 100


@dataclass(frozen=True)
class Reflection:
    """The student's latest answer to a reflection stage."""

    stage_title: str
    prompt: str
    text: str
    submitted_at: datetime


@dataclass(frozen=True)
class Screenshot:
    """A checkpoint's screenshot: its id (to serve it), its description and its size."""

    evidence_id: int
    alt_text: str
    width: int
    height: int


@dataclass(frozen=True)
class Checkpoint:
    """The student's latest hand-in at a checkpoint, with how it was reviewed.

    ``outcome`` is the result that counts now (the teacher's review, else the hand-in's own,
    "pending_review" until reviewed); ``feedback`` is the teacher's written feedback, if any;
    ``peer_reviews`` are the classmates' reviews its authors see (hidden ones left out).
    """

    stage_title: str
    text: str
    links: list[dict[str, str]]
    screenshot: Screenshot | None
    submitted_at: datetime
    outcome: str
    feedback: str
    reviewed_at: datetime | None
    peer_reviews: list[ReviewShown] = field(default_factory=list)


@dataclass
class QuestWork:
    """One quest's part of a portfolio: its reflections and checkpoints, in stage order."""

    quest_id: int
    title: str
    reflections: list[Reflection] = field(default_factory=list)
    checkpoints: list[Checkpoint] = field(default_factory=list)


@dataclass(frozen=True)
class Portfolio:
    """What a portfolio shows: the student's display name, their work by quest and their badges.

    In a ``public`` portfolio (a shared link, the Markdown post) no reviewer is named.
    """

    student_name: str
    quests: list[QuestWork]
    achievements: list[StudentAchievement]
    public: bool

    @property
    def is_empty(self) -> bool:
        """Whether there is nothing to show yet."""
        return not self.quests and not self.achievements

    @property
    def reflection_count(self) -> int:
        return sum(len(quest.reflections) for quest in self.quests)

    @property
    def checkpoint_count(self) -> int:
        return sum(len(quest.checkpoints) for quest in self.quests)


def portfolio_of(*, student: User, public: bool = False) -> Portfolio:
    """``student``'s portfolio, in three queries; ``public`` leaves every reviewer unnamed."""
    quests, submissions = latest_work(student)
    reviews = peer_reviews_of([submission_id for _, submission_id in submissions], public=public)
    for checkpoint, submission_id in submissions:
        checkpoint.peer_reviews.extend(reviews.get(submission_id, []))
    earned = [badge for badge in achievements_of(student=student) if badge.awarded_at]
    return Portfolio(
        student_name=student.display_name,
        quests=quests,
        achievements=sorted(earned, key=lambda badge: (badge.awarded_at, badge.code)),
        public=public,
    )


def latest_work(student: User) -> tuple[list[QuestWork], list[tuple[Checkpoint, int]]]:
    """``student``'s latest answer at each reflection and checkpoint, grouped by quest (by
    title), and each checkpoint with the id of the submission its peer reviews hang on, in one
    query.

    A team checkpoint's work is the hand-in of the member who handed it in for the team: its
    screenshot and peer reviews are theirs (see queries/peer_review.py).
    """
    shown_stages = select(Stage.id).where(Stage.kind.in_(SHOWN_KINDS))
    latest = (
        select(func.max(Attempt.id))
        .where(Attempt.student_id == student.id, Attempt.stage_id.in_(shown_stages))
        .group_by(Attempt.stage_id)
    )
    lead = aliased(Attempt)
    submission_id = func.coalesce(lead.id, Attempt.id)
    query = (
        select(
            Attempt.id,
            Attempt.answer,
            Attempt.submitted_at,
            Attempt.outcome,
            Stage.kind,
            Stage.title,
            Stage.settings,
            Quest.id.label("quest_id"),
            Quest.title.label("quest_title"),
            Review.outcome.label("review_outcome"),
            Review.reason,
            Review.created_at.label("reviewed_at"),
            EvidenceFile.id.label("evidence_id"),
            EvidenceFile.alt_text,
            EvidenceFile.width,
            EvidenceFile.height,
            submission_id.label("submission_id"),
        )
        .join(Stage, Stage.id == Attempt.stage_id)
        .join(Quest, Quest.id == Attempt.quest_id)
        .outerjoin(Review, Review.id == latest_review_id())
        .outerjoin(TeamHandIn, TeamHandIn.id == Attempt.team_hand_in_id)
        .outerjoin(
            lead,
            and_(
                lead.team_hand_in_id == TeamHandIn.id, lead.student_id == TeamHandIn.handed_in_by_id
            ),
        )
        .outerjoin(EvidenceFile, EvidenceFile.attempt_id == submission_id)
        .where(Attempt.id.in_(latest))
        .order_by(Quest.title, Quest.id, Stage.position)
    )
    quests: dict[int, QuestWork] = {}
    submissions: list[tuple[Checkpoint, int]] = []
    for row in db.session.execute(query):
        work = quests.setdefault(row.quest_id, QuestWork(row.quest_id, row.quest_title))
        answer: dict[str, Any] = row.answer if isinstance(row.answer, dict) else {}
        settings: dict[str, Any] = row.settings if isinstance(row.settings, dict) else {}
        if row.kind == StageKind.REFLECTION:
            if not str(answer.get("text") or "").strip():
                # An answer without its text (as the demo's simulated ones are) shows nothing.
                continue
            work.reflections.append(
                Reflection(
                    stage_title=row.title,
                    prompt=str(settings.get("prompt") or ""),
                    text=str(answer.get("text") or ""),
                    submitted_at=row.submitted_at,
                )
            )
            continue
        screenshot = (
            Screenshot(row.evidence_id, row.alt_text, row.width, row.height)
            if row.evidence_id is not None
            else None
        )
        links = answer.get("links")
        checkpoint = Checkpoint(
            stage_title=row.title,
            text=str(answer.get("evidence") or ""),
            links=[link for link in links if is_github_link(link)]
            if isinstance(links, list)
            else [],
            screenshot=screenshot,
            submitted_at=row.submitted_at,
            outcome=row.review_outcome or row.outcome or Outcome.PENDING_REVIEW.value,
            feedback=row.reason or "",
            reviewed_at=row.reviewed_at,
        )
        work.checkpoints.append(checkpoint)
        submissions.append((checkpoint, row.submission_id))
    return list(quests.values()), submissions


def is_github_link(link: object) -> bool:
    """Whether ``link`` is an evidence link as an answer keeps it: an address on github.com (the
    platform stores no other, and a portfolio never links to what it did not check)."""
    if not isinstance(link, dict):
        return False
    url = link.get("url")
    return isinstance(url, str) and url.startswith("https://github.com/")


def peer_reviews_of(submission_ids: list[int], *, public: bool) -> dict[int, list[ReviewShown]]:
    """The peer reviews of the submissions ``submission_ids`` their authors see, by submission,
    oldest first, in one query: hidden ones left out; a reviewer named only when the stage is not
    anonymous (a teacher is always named), and never when ``public``."""
    if not submission_ids:
        return {}
    query = (
        select(PeerReview)
        .join(PeerReviewAssignment, PeerReviewAssignment.id == PeerReview.assignment_id)
        .where(PeerReviewAssignment.attempt_id.in_(submission_ids), PeerReview.hidden_at.is_(None))
        .options(
            joinedload(PeerReview.assignment).joinedload(PeerReviewAssignment.reviewer),
            joinedload(PeerReview.assignment)
            .joinedload(PeerReviewAssignment.attempt)
            .joinedload(Attempt.stage),
        )
        .order_by(PeerReview.submitted_at, PeerReview.id)
    )
    found: dict[int, list[ReviewShown]] = {}
    for review in db.session.scalars(query).unique():
        assignment = review.assignment
        named = assignment.by_teacher or not assignment.attempt.stage.peer_review_anonymous
        found.setdefault(assignment.attempt_id, []).append(
            shown(review, names=named and not public)
        )
    return found


# Shared links


def digest_of(token: str) -> str:
    """The stored form of a link's token: its SHA-256, so a copy of the database opens nothing."""
    return hashlib.sha256(token.encode()).hexdigest()


def working_link(*, student: User) -> PortfolioLink | None:
    """``student``'s link that still opens their portfolio, if they have one."""
    return db.session.scalar(
        select(PortfolioLink).where(
            PortfolioLink.student_id == student.id, PortfolioLink.revoked_at.is_(None)
        )
    )


def student_for_link(token: str) -> User | None:
    """The active student whose working link ``token`` is; None for any other token."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return db.session.scalar(
        select(User)
        .join(PortfolioLink, PortfolioLink.student_id == User.id)
        .where(
            PortfolioLink.digest == digest_of(token),
            PortfolioLink.revoked_at.is_(None),
            User.active.is_(True),
        )
    )


def portfolio_screenshot(*, student: User, evidence_id: int) -> EvidenceFile | None:
    """The screenshot ``evidence_id`` if it is part of ``student``'s work: their own, or the
    one handed in for a team hand-in they were credited with; else None."""
    credited = select(Attempt.team_hand_in_id).where(
        Attempt.student_id == student.id, Attempt.team_hand_in_id.is_not(None)
    )
    return db.session.scalar(
        select(EvidenceFile)
        .join(Attempt, Attempt.id == EvidenceFile.attempt_id)
        .where(
            EvidenceFile.id == evidence_id,
            or_(EvidenceFile.student_id == student.id, Attempt.team_hand_in_id.in_(credited)),
        )
    )
