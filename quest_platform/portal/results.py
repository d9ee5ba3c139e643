"""What a student is told about their latest answer to a stage: passed, not passed (with or
without tries left), late, or waiting for the teacher's review, each in its own words."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import ngettext

from quest_platform.labels import score_text
from quest_platform.models import Attempt, Outcome
from quest_platform.queries.progress import StageProgress, StageState


class ResultKind(enum.StrEnum):
    """How a result looks: each kind has its own symbol, words and style."""

    PASSED = "passed"
    # Not passed, with tries left (or no limit): the student tries again.
    RETRY = "retry"
    # Not passed, and no try left.
    OUT_OF_TRIES = "out_of_tries"
    LATE = "late"
    PENDING_REVIEW = "pending_review"


@dataclass(frozen=True)
class Result:
    """The result of a student's latest answer, as a headline and the sentences after it."""

    kind: ResultKind
    headline: str
    details: tuple[str, ...]


def counted_points(attempt: Attempt, standing: StageProgress) -> tuple[str, ...]:
    """What the stage counts toward the student's total, when that is not this try's score
    (a better try before it counts, or the best of them)."""
    if standing.tally is None or attempt.latest_review is not None:
        return ()
    points = standing.tally.points
    if points == (attempt.result[0] or 0):
        return ()
    return (
        ngettext(
            "This stage counts %(points)s point toward your total.",
            "This stage counts %(points)s points toward your total.",
            int(points),
            points=score_text(points),
        ),
    )


def result_of(attempt: Attempt, standing: StageProgress) -> Result:
    """The result of ``attempt``, the student's latest at its stage, where they stand now."""
    score, outcome = attempt.result
    stage = standing.stage
    # The plural follows the maximum: "1 of 1 point", "7.5 of 10 points".
    scored = ngettext(
        "You scored %(score)s of %(max)s point.",
        "You scored %(score)s of %(max)s points.",
        int(attempt.max_score),
        score=score_text(score or 0),
        max=score_text(attempt.max_score),
    )
    counted = counted_points(attempt, standing)
    if outcome == Outcome.PENDING_REVIEW:
        return Result(
            ResultKind.PENDING_REVIEW,
            _("Handed in: waiting for your teacher's review"),
            (_("You can go on to the next stage; your points come once it is reviewed."),),
        )
    if outcome == Outcome.LATE:
        return Result(
            ResultKind.LATE,
            _("Recorded late"),
            (_("You answered after the time limit: it counts as late."), scored),
        )
    if outcome == Outcome.PASSED:
        if not stage.is_quiz and attempt.latest_review is None:
            # A lesson, reflection or self-check: done, for all its points.
            earned = ngettext(
                "You earned %(num)s point.", "You earned %(num)s points.", int(score or 0)
            )
            return Result(ResultKind.PASSED, _("Stage complete"), (earned,))
        details = [scored, *counted]
        if standing.answers_revealed:
            details.append(_("The right answers are shown below."))
        return Result(ResultKind.PASSED, _("Passed"), tuple(details))
    # Not passed.
    details = [scored, *counted]
    if stage.is_quiz:
        details.append(
            ngettext(
                "The pass mark is %(mark)s of %(max)s point.",
                "The pass mark is %(mark)s of %(max)s points.",
                stage.points,
                mark=score_text(stage.pass_score),
                max=score_text(stage.points),
            )
        )
    if standing.state == StageState.PASSED:
        details.append(_("Your earlier pass still counts."))
        return Result(ResultKind.RETRY, _("Not passed this time"), tuple(details))
    if standing.tries_left == 0:
        if standing.answers_revealed:
            details.append(_("The right answers are shown below."))
        return Result(ResultKind.OUT_OF_TRIES, _("Not passed: no tries left"), tuple(details))
    if standing.tries_left is not None:
        details.append(
            ngettext(
                "Read the hints below and try again: you have %(num)d try left.",
                "Read the hints below and try again: you have %(num)d tries left.",
                standing.tries_left,
            )
            if stage.is_quiz
            else ngettext(
                "You have %(num)d try left.", "You have %(num)d tries left.", standing.tries_left
            )
        )
    elif stage.is_quiz:
        details.append(_("Read the hints below and try again."))
    return Result(ResultKind.RETRY, _("Not passed yet"), tuple(details))
