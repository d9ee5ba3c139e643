"""Reading peer reviews: who hands in and who may review what, a reviewer's reviews to do and
done, the reviews an author received, all reviews of an attempt for its teacher, and a
classroom's figures per stage.

A *submission* is a checkpoint attempt that holds the work: a student's own attempt, or the
attempt of the member who handed in for a team (``TeamHandIn.handed_in_by_id``). Its *authors*
are its student and, for a team hand-in, every member credited with it: none of them ever
reviews it, and all of them see its reviews.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select, true
from sqlalchemy.orm import aliased, joinedload

from quest_platform.extensions import db
from quest_platform.models import (
    Attempt,
    Classroom,
    Enrollment,
    PeerReview,
    PeerReviewAssignment,
    Quest,
    QuestAssignment,
    Stage,
    TeamHandIn,
    TeamMembership,
    User,
)
from quest_platform.queries.attempts import may_see_attempt
from quest_platform.queries.classrooms import classrooms_visible_to

# The levels a criterion is scored on when the stage names none, lowest first.
DEFAULT_LEVELS = (_l("Not yet"), _l("Getting there"), _l("Meets it"), _l("Goes beyond"))


def levels_of(stage: Stage) -> list[str]:
    """The labels of the levels ``stage``'s criteria are scored on, lowest first."""
    return stage.rubric_levels or [str(label) for label in DEFAULT_LEVELS]


def is_submission() -> ColumnElement[bool]:
    """SQL: an attempt that holds the work (its own, or the one that handed in for a team)."""
    return or_(
        Attempt.team_hand_in_id.is_(None),
        exists().where(
            TeamHandIn.id == Attempt.team_hand_in_id,
            TeamHandIn.handed_in_by_id == Attempt.student_id,
        ),
    )


def submission_of(attempt: Attempt) -> Attempt:
    """The submission ``attempt`` belongs to: itself, or its team hand-in's lead attempt."""
    if attempt.team_hand_in_id is None:
        return attempt
    lead = db.session.scalar(
        select(Attempt)
        .join(TeamHandIn, TeamHandIn.id == Attempt.team_hand_in_id)
        .where(
            Attempt.team_hand_in_id == attempt.team_hand_in_id,
            Attempt.student_id == TeamHandIn.handed_in_by_id,
        )
    )
    return lead or attempt


def authors_of(submission: Attempt) -> set[int]:
    """The ids of the students credited with ``submission`` (its team's members, if any)."""
    if submission.team_hand_in_id is None:
        return {submission.student_id}
    members = select(Attempt.student_id).where(
        Attempt.team_hand_in_id == submission.team_hand_in_id
    )
    return {submission.student_id, *db.session.scalars(members)}


def review_classroom_ids(attempt: Attempt) -> list[int]:
    """The classrooms of ``attempt``'s student that were given its quest: its reviewers' pool."""
    query = (
        select(Enrollment.classroom_id)
        .join(QuestAssignment, QuestAssignment.classroom_id == Enrollment.classroom_id)
        .where(Enrollment.student_id == attempt.student_id)
        .where(QuestAssignment.quest_id == attempt.quest_id)
        .order_by(Enrollment.classroom_id)
    )
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class Submission:
    """A submission in the pool: its attempt, when handed in, and its authors."""

    attempt_id: int
    student_id: int
    submitted_at: datetime
    authors: frozenset[int]


@dataclass
class ReviewPool:
    """Who handed in at a stage in some classrooms, and who reviews what there now.

    ``submissions``: each student's latest submission; ``handed_in``: when each student first
    handed in (any attempt, a team member's too), the students who may review; ``reviewers``:
    by attempt id, who was given it; ``load``: by reviewer, how many of the stage's
    submissions they were given; ``teammates``: by student, their current team's members.
    """

    submissions: list[Submission]
    handed_in: dict[int, datetime]
    reviewers: dict[int, set[int]]
    load: dict[int, int]
    teammates: dict[int, frozenset[int]]

    def may_review(self, reviewer_id: int, submission: Submission, *, own_team: bool) -> bool:
        """Whether ``reviewer_id`` may be given ``submission`` (not already given it)."""
        if reviewer_id in submission.authors:
            return False
        if not own_team and self.teammates.get(reviewer_id, frozenset()) & submission.authors:
            return False
        return reviewer_id not in self.reviewers.get(submission.attempt_id, set())


def review_pool(
    *, stage: Stage, classroom_ids: Collection[int], now: datetime | None = None
) -> ReviewPool:
    """The pool of ``stage`` in ``classroom_ids`` (as handed in by ``now``, if given), read in
    four queries."""
    enrolled = select(Enrollment.student_id).where(Enrollment.classroom_id.in_(classroom_ids))
    active = select(User.id).where(User.active.is_(True))
    at_stage = and_(
        Attempt.stage_id == stage.id,
        Attempt.student_id.in_(enrolled),
        Attempt.student_id.in_(active),
        Attempt.submitted_at <= now if now is not None else true(),
    )
    latest = select(func.max(Attempt.id)).where(at_stage).group_by(Attempt.student_id)
    rows = db.session.execute(
        select(Attempt.id, Attempt.student_id, Attempt.submitted_at, Attempt.team_hand_in_id)
        .where(Attempt.id.in_(latest), is_submission())
        .order_by(Attempt.submitted_at, Attempt.id)
    ).all()
    hand_ins = [row.team_hand_in_id for row in rows if row.team_hand_in_id is not None]
    members: dict[int, set[int]] = {}
    if hand_ins:
        for hand_in_id, student_id in db.session.execute(
            select(Attempt.team_hand_in_id, Attempt.student_id).where(
                Attempt.team_hand_in_id.in_(hand_ins)
            )
        ):
            if hand_in_id is not None:
                members.setdefault(hand_in_id, set()).add(student_id)
    submissions = [
        Submission(
            attempt_id=row.id,
            student_id=row.student_id,
            submitted_at=row.submitted_at,
            authors=frozenset({row.student_id, *members.get(row.team_hand_in_id, set())}),
        )
        for row in rows
    ]
    handed_in = dict(
        db.session.execute(
            select(Attempt.student_id, func.min(Attempt.submitted_at))
            .where(at_stage)
            .group_by(Attempt.student_id)
        ).all()
    )
    reviewers: dict[int, set[int]] = {}
    load: dict[int, int] = {}
    for attempt_id, reviewer_id in db.session.execute(
        select(PeerReviewAssignment.attempt_id, PeerReviewAssignment.reviewer_id)
        .join(Attempt, Attempt.id == PeerReviewAssignment.attempt_id)
        .where(Attempt.stage_id == stage.id)
    ):
        reviewers.setdefault(attempt_id, set()).add(reviewer_id)
        load[reviewer_id] = load.get(reviewer_id, 0) + 1
    teams: dict[int, set[int]] = {}
    team_of: dict[int, list[int]] = {}
    for team_id, student_id in db.session.execute(
        select(TeamMembership.team_id, TeamMembership.student_id).where(
            TeamMembership.classroom_id.in_(classroom_ids), TeamMembership.left_at.is_(None)
        )
    ):
        teams.setdefault(team_id, set()).add(student_id)
        team_of.setdefault(student_id, []).append(team_id)
    teammates = {
        student_id: frozenset().union(*(teams[team_id] for team_id in team_ids))
        for student_id, team_ids in team_of.items()
    }
    return ReviewPool(
        submissions=submissions,
        handed_in=handed_in,
        reviewers=reviewers,
        load=load,
        teammates=teammates,
    )


# A reviewer's reviews


@dataclass(frozen=True)
class ReviewTask:
    """A submission given to a reviewer: to do (``overdue`` once its deadline passed) or done."""

    assignment: PeerReviewAssignment
    review: PeerReview | None
    overdue: bool

    @property
    def stage(self) -> Stage:
        return self.assignment.attempt.stage

    @property
    def quest(self) -> Quest:
        return self.assignment.attempt.quest


@dataclass(frozen=True)
class ReviewerTasks:
    """A reviewer's reviews: to do (soonest due first), missed (deadline passed) and done."""

    to_do: list[ReviewTask]
    missed: list[ReviewTask]
    done: list[ReviewTask]


def reviewer_tasks(*, reviewer: User, now: datetime) -> ReviewerTasks:
    """``reviewer``'s reviews to do, missed and done, with their attempts' quests and stages."""
    query = (
        select(PeerReviewAssignment)
        .where(PeerReviewAssignment.reviewer_id == reviewer.id)
        .options(
            joinedload(PeerReviewAssignment.review),
            joinedload(PeerReviewAssignment.attempt).joinedload(Attempt.stage),
            joinedload(PeerReviewAssignment.attempt).joinedload(Attempt.quest),
        )
        .order_by(PeerReviewAssignment.due_at, PeerReviewAssignment.id)
    )
    to_do, missed, done = [], [], []
    for assignment in db.session.scalars(query).unique():
        overdue = assignment.review is None and assignment.due_at <= now
        task = ReviewTask(assignment=assignment, review=assignment.review, overdue=overdue)
        if assignment.review is not None:
            done.append(task)
        elif overdue and not assignment.by_teacher:
            missed.append(task)
        else:
            to_do.append(task)
    done.sort(key=lambda task: task.review.submitted_at if task.review else now, reverse=True)
    return ReviewerTasks(to_do=to_do, missed=missed, done=done)


def reviews_to_do_count(*, reviewer: User, now: datetime) -> int:
    """How many reviews ``reviewer`` still has to write before their deadlines (one query)."""
    query = (
        select(func.count())
        .select_from(PeerReviewAssignment)
        .where(
            PeerReviewAssignment.reviewer_id == reviewer.id,
            PeerReviewAssignment.due_at > now,
            ~exists().where(PeerReview.assignment_id == PeerReviewAssignment.id),
        )
    )
    return db.session.scalar(query) or 0


def assignment_of_reviewer(*, reviewer: User, assignment_id: int) -> PeerReviewAssignment | None:
    """The assignment ``assignment_id`` if it was given to ``reviewer``, else None (whether it
    exists or not), with its attempt, stage, quest and review."""
    return db.session.scalar(
        select(PeerReviewAssignment)
        .where(
            PeerReviewAssignment.id == assignment_id,
            PeerReviewAssignment.reviewer_id == reviewer.id,
        )
        .options(
            joinedload(PeerReviewAssignment.review),
            joinedload(PeerReviewAssignment.attempt).joinedload(Attempt.stage),
            joinedload(PeerReviewAssignment.attempt).joinedload(Attempt.quest),
        )
    )


# Reviews as authors and teachers read them


@dataclass(frozen=True)
class RubricRow:
    """One criterion of a review: the level given (its index and label) out of how many."""

    criterion: str
    level: int
    label: str
    levels: int


@dataclass(frozen=True)
class ReviewShown:
    """A review as a reader sees it. ``reviewer_name`` is None when hidden from the reader
    (an anonymous stage, to its author)."""

    review: PeerReview
    reviewer_name: str | None
    by_teacher: bool
    rows: tuple[RubricRow, ...]
    comment_html: Markup


def rubric_rows(stage: Stage, levels: Sequence[object]) -> tuple[RubricRow, ...]:
    """A review's levels against ``stage``'s rubric, with the labels of the levels."""
    labels = levels_of(stage)
    rows = []
    for criterion, level in zip(stage.rubric, levels, strict=False):
        index = level if isinstance(level, int) and 0 <= level < len(labels) else 0
        rows.append(
            RubricRow(criterion=criterion, level=index, label=labels[index], levels=len(labels))
        )
    return tuple(rows)


def shown(review: PeerReview, *, names: bool) -> ReviewShown:
    """``review`` as shown, with its reviewer's name when ``names``."""
    assignment = review.assignment
    reviewer = assignment.reviewer
    return ReviewShown(
        review=review,
        reviewer_name=(reviewer.display_name if reviewer else None) if names else None,
        by_teacher=assignment.by_teacher,
        rows=rubric_rows(assignment.attempt.stage, review.levels),
        # Rendered and sanitized when the review was written (services/peer_review.py).
        comment_html=Markup(review.comment_html),  # noqa: S704
    )


def reviews_received(attempt: Attempt) -> list[ReviewShown]:
    """The reviews of ``attempt``'s submission its authors see: not hidden, oldest first;
    reviewers named only when the stage is not anonymous (a teacher is always named)."""
    submission = submission_of(attempt)
    query = (
        select(PeerReview)
        .join(PeerReviewAssignment, PeerReviewAssignment.id == PeerReview.assignment_id)
        .where(PeerReviewAssignment.attempt_id == submission.id, PeerReview.hidden_at.is_(None))
        .options(
            joinedload(PeerReview.assignment).joinedload(PeerReviewAssignment.reviewer),
            joinedload(PeerReview.assignment).joinedload(PeerReviewAssignment.attempt),
        )
        .order_by(PeerReview.submitted_at, PeerReview.id)
    )
    anonymous = submission.stage.peer_review_anonymous
    return [
        shown(review, names=not anonymous or review.assignment.by_teacher)
        for review in db.session.scalars(query)
    ]


@dataclass(frozen=True)
class AssignmentShown:
    """An assignment of a submission, as its teacher sees it: the reviewer, the deadline and
    the review (None until written)."""

    assignment: PeerReviewAssignment
    review: ReviewShown | None
    overdue: bool


def reviews_of_attempt(attempt: Attempt, *, now: datetime) -> list[AssignmentShown]:
    """Every assignment of ``attempt``'s submission with its review, hidden ones too, named;
    for its teachers (the caller checks)."""
    submission = submission_of(attempt)
    query = (
        select(PeerReviewAssignment)
        .where(PeerReviewAssignment.attempt_id == submission.id)
        .options(
            joinedload(PeerReviewAssignment.reviewer),
            joinedload(PeerReviewAssignment.review),
            joinedload(PeerReviewAssignment.attempt).joinedload(Attempt.stage),
        )
        .order_by(PeerReviewAssignment.assigned_at, PeerReviewAssignment.id)
    )
    return [
        AssignmentShown(
            assignment=assignment,
            review=shown(assignment.review, names=True) if assignment.review else None,
            overdue=assignment.review is None and assignment.due_at <= now,
        )
        for assignment in db.session.scalars(query).unique()
    ]


def review_in_reach(*, staff: User, review_id: int) -> PeerReview | None:
    """The review ``review_id`` if ``staff`` teaches its submission's student (or administers
    the platform), else None."""
    review = db.session.get(PeerReview, review_id)
    if review is None or not staff.is_staff:
        return None
    return review if may_see_attempt(staff=staff, attempt=review.assignment.attempt) else None


# A classroom's figures, and the submissions short of reviews


@dataclass(frozen=True)
class ShortSubmission:
    """A submission short of reviews: how many more it wants, and why it is short
    (``overdue``: a reviewer's deadline passed; else too few peers to review it so far)."""

    attempt: Attempt
    classroom: Classroom
    wanted: int
    done: int
    open: int
    overdue: int
    taken_by_viewer: PeerReviewAssignment | None

    @property
    def missing(self) -> int:
        return self.wanted - self.done - self.open


@dataclass(frozen=True)
class StageFigures:
    """A peer-reviewed stage in a classroom: submissions, reviews done of those given, the
    submissions short of reviews, and the reviews overdue."""

    stage: Stage
    quest: Quest
    submissions: int
    assigned: int
    done: int
    short: int
    overdue: int


def peer_reviewed_stages(classroom: Classroom) -> list[Stage]:
    """The checkpoints of the quests given to ``classroom`` that ask for peer reviews."""
    given = select(QuestAssignment.quest_id).where(QuestAssignment.classroom_id == classroom.id)
    query = (
        select(Stage)
        .join(Quest, Quest.id == Stage.quest_id)
        .where(Stage.quest_id.in_(given))
        .options(joinedload(Stage.quest))
        .order_by(Quest.title, Quest.id, Stage.position)
    )
    return [stage for stage in db.session.scalars(query) if stage.peer_reviews_wanted]


def submissions_in(stage: Stage, classroom: Classroom) -> Select[Attempt]:
    """The latest submission of each student of ``classroom`` at ``stage``."""
    enrolled = select(Enrollment.student_id).where(Enrollment.classroom_id == classroom.id)
    latest = (
        select(func.max(Attempt.id))
        .where(Attempt.stage_id == stage.id, Attempt.student_id.in_(enrolled))
        .group_by(Attempt.student_id)
    )
    return (
        select(Attempt)
        .where(Attempt.id.in_(latest), is_submission())
        .options(joinedload(Attempt.student), joinedload(Attempt.stage), joinedload(Attempt.quest))
        .order_by(Attempt.submitted_at, Attempt.id)
    )


def short_of(
    stage: Stage, classroom: Classroom, *, now: datetime, viewer: User | None = None
) -> tuple[list[Attempt], list[ShortSubmission], dict[int, list[PeerReviewAssignment]]]:
    """``stage``'s submissions in ``classroom``, those short of reviews, and each one's
    assignments (by attempt id)."""
    attempts = list(db.session.scalars(submissions_in(stage, classroom)).unique())
    given: dict[int, list[PeerReviewAssignment]] = {attempt.id: [] for attempt in attempts}
    if attempts:
        for assignment in db.session.scalars(
            select(PeerReviewAssignment)
            .where(PeerReviewAssignment.attempt_id.in_(given))
            .options(joinedload(PeerReviewAssignment.review))
        ).unique():
            given[assignment.attempt_id].append(assignment)
    wanted = stage.peer_reviews_wanted
    short = []
    for attempt in attempts:
        assignments = given[attempt.id]
        done = sum(a.review is not None for a in assignments)
        open_ = sum(a.review is None and a.due_at > now for a in assignments)
        if done + open_ >= wanted:
            continue
        taken = next(
            (a for a in assignments if viewer is not None and a.reviewer_id == viewer.id), None
        )
        short.append(
            ShortSubmission(
                attempt=attempt,
                classroom=classroom,
                wanted=wanted,
                done=done,
                open=open_,
                overdue=len(assignments) - done - open_,
                taken_by_viewer=taken,
            )
        )
    return attempts, short, given


def classroom_figures(classroom: Classroom, *, now: datetime) -> list[StageFigures]:
    """The peer-review figures of each peer-reviewed stage of ``classroom``."""
    figures = []
    for stage in peer_reviewed_stages(classroom):
        attempts, short, given = short_of(stage, classroom, now=now)
        assignments = [a for group in given.values() for a in group]
        figures.append(
            StageFigures(
                stage=stage,
                quest=stage.quest,
                submissions=len(attempts),
                assigned=len(assignments),
                done=sum(a.review is not None for a in assignments),
                short=len(short),
                overdue=sum(a.review is None and a.due_at <= now for a in assignments),
            )
        )
    return figures


def needing_a_reviewer(
    *, viewer: User, now: datetime, classroom: Classroom | None = None
) -> list[ShortSubmission]:
    """The submissions short of reviews in ``viewer``'s classrooms (or ``classroom``), oldest
    first: peers' deadlines passed, or too few peers handed in to review them."""
    classrooms = [classroom] if classroom is not None else classrooms_visible_to(viewer)
    found = []
    for room in classrooms:
        for stage in peer_reviewed_stages(room):
            found += short_of(stage, room, now=now, viewer=viewer)[1]
    return sorted(found, key=lambda item: (item.attempt.submitted_at, item.attempt.id))


# Counts for the analytics


def review_counts(
    student_ids: Collection[int], *, classroom_id: int | None = None
) -> dict[int, tuple[int, int]]:
    """Peer reviews each student wrote and received (not hidden ones; a team hand-in's count for
    each member), by student id; with
    ``classroom_id``, only at the quests given to that classroom."""
    if not student_ids:
        return {}
    given_query = (
        select(PeerReviewAssignment.reviewer_id, func.count())
        .join(PeerReview, PeerReview.assignment_id == PeerReviewAssignment.id)
        .join(Attempt, Attempt.id == PeerReviewAssignment.attempt_id)
        .where(PeerReviewAssignment.reviewer_id.in_(student_ids))
        .group_by(PeerReviewAssignment.reviewer_id)
    )
    # A review of a team's hand-in is received by every member it credits.
    credited = aliased(Attempt)
    same_work = or_(
        credited.id == Attempt.id,
        and_(
            Attempt.team_hand_in_id.is_not(None),
            credited.team_hand_in_id == Attempt.team_hand_in_id,
        ),
    )
    received_query = (
        select(credited.student_id, func.count())
        .select_from(Attempt)
        .join(PeerReviewAssignment, PeerReviewAssignment.attempt_id == Attempt.id)
        .join(PeerReview, PeerReview.assignment_id == PeerReviewAssignment.id)
        .join(credited, same_work)
        .where(credited.student_id.in_(student_ids), PeerReview.hidden_at.is_(None))
        .group_by(credited.student_id)
    )
    if classroom_id is not None:
        quests = select(QuestAssignment.quest_id).where(
            QuestAssignment.classroom_id == classroom_id
        )
        given_query = given_query.where(Attempt.quest_id.in_(quests))
        received_query = received_query.where(Attempt.quest_id.in_(quests))
    given = dict(db.session.execute(given_query).all())
    received = dict(db.session.execute(received_query).all())
    return {sid: (given.get(sid, 0), received.get(sid, 0)) for sid in student_ids}
