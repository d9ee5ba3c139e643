"""Reviews: a teacher marks a checkpoint or overrides a score, with the reason on record."""

from __future__ import annotations

import math
from datetime import datetime

from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from quest_platform.extensions import db
from quest_platform.models import (
    Attempt,
    Outcome,
    QuestTally,
    Review,
    ReviewKind,
    ReviewSeen,
    Stage,
    User,
    utcnow,
)
from quest_platform.queries.attempts import may_see_attempt
from quest_platform.queries.team_hand_ins import conversation_attempt, reviewed_together
from quest_platform.services import slack
from quest_platform.services.achievements import award_review_achievements
from quest_platform.services.audit import record_change
from quest_platform.services.errors import NotAllowed, ServiceError, undone_on_error
from quest_platform.services.feedback import add_message
from quest_platform.services.tallies import lock_quest_tally, recount_stage

MAX_REASON_LENGTH = 2000


def pass_mark(attempt: Attempt) -> float:
    """The least score that passes ``attempt``: its stage's pass mark, out of the attempt's
    maximum (the points the stage was worth when it was answered)."""
    return attempt.stage.pass_mark_of(attempt.max_score)


def contradiction(*, attempt: Attempt, score: float, outcome: str) -> str | None:
    """Why ``score`` and ``outcome`` contradict each other for ``attempt``, or None if they agree.

    A pass scores at least the pass mark and a fail scores less; a stage worth no points passes
    or fails whatever its score.
    """
    if attempt.max_score <= 0:
        return None
    mark, most = format_decimal(pass_mark(attempt)), format_decimal(attempt.max_score)
    if outcome == Outcome.PASSED and score < pass_mark(attempt):
        return ngettext(
            "A pass needs at least %(mark)s of %(max)s point: raise the score or choose"
            " “Not passed”.",
            "A pass needs at least %(mark)s of %(max)s points: raise the score or choose"
            " “Not passed”.",
            int(attempt.max_score),
            mark=mark,
            max=most,
        )
    if outcome == Outcome.FAILED and score >= pass_mark(attempt):
        return ngettext(
            "%(score)s of %(max)s point is a pass (the pass mark is %(mark)s): lower the score"
            " or choose “Passed”.",
            "%(score)s of %(max)s points is a pass (the pass mark is %(mark)s): lower the score"
            " or choose “Passed”.",
            int(attempt.max_score),
            score=format_decimal(score),
            max=most,
            mark=mark,
        )
    return None


def review_kind(attempt: Attempt) -> ReviewKind:
    """Marking for an attempt still waiting for a teacher; otherwise an override of its result."""
    if attempt.outcome == Outcome.PENDING_REVIEW and attempt.latest_review is None:
        return ReviewKind.MARK
    return ReviewKind.OVERRIDE


@undone_on_error
def review_attempt(
    *,
    attempt: Attempt,
    score: float | None,
    outcome: str,
    reason: str,
    by: User,
    resubmit: bool = False,
) -> Review:
    """Record a teacher's score and outcome for ``attempt``; the attempt itself never changes.

    The score and the outcome must agree (see :func:`contradiction`). Marking a waiting
    checkpoint may carry feedback; changing a result needs a reason. Either way
    the review is audited, and the latest review decides the attempt's result from then on. The
    student's points follow it, with the bonus of any achievement the new result earns (a
    checkpoint passed on the first try, a quest finished, every reflection written); a later
    review never takes a badge back.

    A failed mark may ask the student to hand the work in again (``resubmit``). The feedback
    or reason, when given, is also posted in the conversation about the attempt, where the
    student can answer it (docs/feedback.md).

    A team hand-in is reviewed once: the review of any of its attempts is recorded on every
    member's attempt, with each member's points, and its feedback goes to the conversation about
    the attempt of the member who handed in (docs/teams.md).
    """
    return record_review(
        attempt=attempt, score=score, outcome=outcome, reason=reason, by=by, resubmit=resubmit
    )


def record_review(
    *,
    attempt: Attempt,
    score: float | None,
    outcome: str,
    reason: str,
    by: User,
    resubmit: bool = False,
) -> Review:
    """Check and record a review under the student's lock on the quest, and commit.

    An attempt of a team hand-in is reviewed with every attempt of the hand-in: the same review
    is recorded on each, under each member's lock (taken by ascending student id).
    """
    if not may_see_attempt(staff=by, attempt=attempt):
        raise NotAllowed(_("You can only review attempts of your own students."))
    reviewed = reviewed_together(attempt)
    quest_tallies = {
        each.id: lock_quest_tally(student_id=each.student_id, quest_id=each.quest_id)
        for each in reviewed
    }
    # Read after the lock: a review committed meanwhile makes this one an override.
    for each in reviewed:
        db.session.expire(each, ["reviews"])
    kind = review_kind(attempt)
    reason = reason.strip()
    if score is None or not math.isfinite(score) or not 0 <= score <= attempt.max_score:
        raise ServiceError(
            _("Give a score between 0 and %(max)s.", max=format_decimal(attempt.max_score)),
            field="score",
        )
    if outcome not in {Outcome.PASSED, Outcome.FAILED}:
        raise ServiceError(_("Choose passed or failed."), field="outcome")
    problem = contradiction(attempt=attempt, score=score, outcome=outcome)
    if problem:
        raise ServiceError(problem, field="outcome")
    if resubmit and outcome != Outcome.FAILED:
        raise ServiceError(
            _("Ask for a resubmission only with “Not passed”: passed work is done."),
            field="resubmit",
        )
    if kind == ReviewKind.OVERRIDE and not reason:
        raise ServiceError(_("Say why the score changes: the reason is kept."), field="reason")
    if len(reason) > MAX_REASON_LENGTH:
        raise ServiceError(
            ngettext(
                "Keep it under %(num)d character.",
                "Keep it under %(num)d characters.",
                MAX_REASON_LENGTH,
            ),
            field="reason",
        )
    now = utcnow()
    reviews = {
        each.id: write_review(
            attempt=each,
            quest_tally=quest_tallies[each.id],
            kind=kind,
            score=score,
            outcome=outcome,
            reason=reason,
            resubmit=resubmit,
            by=by,
            now=now,
        )
        for each in reviewed
    }
    if reason:
        # The feedback opens (or goes on with) the conversation about the attempt (a team
        # hand-in's: the one about the attempt of the member who handed in).
        add_message(attempt=conversation_attempt(attempt), author=by, body=reason, at=now)
    db.session.commit()
    if kind == ReviewKind.MARK:
        # Marking is news to the class; an override corrects one student's result.
        slack.announce_reviews_posted(attempt=attempt, by=by, now=now)
    return reviews[attempt.id]


def write_review(
    *,
    attempt: Attempt,
    quest_tally: QuestTally,
    kind: ReviewKind,
    score: float,
    outcome: str,
    reason: str,
    resubmit: bool,
    by: User,
    now: datetime,
) -> Review:
    """Add a checked review of ``attempt``, audited, and recount the student's stage and points
    (``quest_tally`` is the student's, locked)."""
    # Read before the review is added: it would be flushed into the attempt's reviews.
    previous_score, previous_outcome = attempt.result
    review = Review(
        attempt_id=attempt.id,
        reviewer_id=by.id,
        kind=kind.value,
        score=score,
        outcome=outcome,
        reason=reason,
        created_at=now,
        resubmit_requested=resubmit,
    )
    db.session.add(review)
    record_change(
        actor=by,
        action=kind.value,
        record=review,
        before={"attempt": attempt.id, "score": previous_score, "outcome": previous_outcome},
    )
    db.session.flush()
    # The student's standing and points follow the result that counts now.
    recount_stage(quest_tally=quest_tally, stage=attempt.stage, attempt=attempt, at=now)
    award_review_achievements(review=review, attempt=attempt, quest_tally=quest_tally)
    return review


@undone_on_error
def mark_reviews_seen(*, student: User, stage: Stage) -> int:
    """Note that ``student`` has seen every review of their answers to ``stage``; commit.

    Returns how many reviews were new to them. Opening the stage shows its reviews, so the
    portal stops telling the student about them from then on.
    """
    unseen = select(Review.id).join(Attempt, Attempt.id == Review.attempt_id)
    unseen = unseen.outerjoin(ReviewSeen, ReviewSeen.review_id == Review.id).where(
        Attempt.student_id == student.id,
        Attempt.stage_id == stage.id,
        ReviewSeen.review_id.is_(None),
    )
    review_ids = list(db.session.scalars(unseen))
    if not review_ids:
        return 0
    now = utcnow()
    try:
        # The same page opened twice at once may note the same reviews: the first one counts.
        with db.session.begin_nested():
            db.session.add_all(
                ReviewSeen(review_id=review_id, student_id=student.id, seen_at=now)
                for review_id in review_ids
            )
    except IntegrityError:
        return 0
    db.session.commit()
    return len(review_ids)
