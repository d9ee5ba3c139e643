"""Tallies: each student's running totals per stage and per quest, kept with every answer.

The attempts, their reviews and the points ledger are the record; a tally sums them up so that
progress, points and leaderboards are read from a few rows instead of from every attempt. Tallies
change only in the transaction that records what they sum (services/tallies.py), so they are
never out of step with the record.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from quest_platform.extensions import Model
from quest_platform.models.attempts import Outcome
from quest_platform.models.base import UTCDateTime, check_in


class StageTally(Model):
    """A student's tally at one stage: tries used, the best outcome reached, the points counted.

    ``outcome`` is the strongest outcome among the current results of the stage's attempts
    (passed, then late, then waiting for review, then failed); ``points`` is what the stage's
    scores count for now, which is also the sum of the student's stage-score entries in the
    points ledger for the stage.
    """

    __tablename__ = "stage_tally"
    __table_args__ = (
        CheckConstraint("tries >= 1", name="tries_positive"),
        CheckConstraint(check_in("outcome", Outcome), name="outcome_known"),
        CheckConstraint("points >= 0", name="points_not_negative"),
        Index("ix_stage_tally_student_quest", "student_id", "quest_id"),
    )

    student_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="RESTRICT"), primary_key=True
    )
    stage_id: Mapped[int] = mapped_column(
        ForeignKey("stage.id", ondelete="RESTRICT"), primary_key=True
    )
    quest_id: Mapped[int] = mapped_column(ForeignKey("quest.id", ondelete="RESTRICT"))
    tries: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(20))
    points: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return f"<StageTally student={self.student_id} stage={self.stage_id} {self.outcome}>"


class QuestTally(Model):
    """A student's tally in one quest: their points in it, bonuses included, and their best quiz.

    Its row is also the student's lock on the quest: every answer, timed start and review of
    the student's work in the quest takes it first, so that they run one after another and the
    rules that count tries and points hold however many arrive at once.
    """

    __tablename__ = "quest_tally"
    __table_args__ = (
        CheckConstraint("bonus_points >= 0", name="bonus_not_negative"),
        CheckConstraint("points >= bonus_points", name="bonus_within_points"),
        CheckConstraint(
            "best_quiz IS NULL OR (best_quiz >= 0 AND best_quiz <= 1)", name="best_quiz_share"
        ),
        # Leaderboards read a quest's tallies for a classroom's students.
        Index("ix_quest_tally_quest_student", "quest_id", "student_id"),
    )

    student_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="RESTRICT"), primary_key=True
    )
    quest_id: Mapped[int] = mapped_column(
        ForeignKey("quest.id", ondelete="RESTRICT"), primary_key=True
    )
    # Every points ledger entry of the student in the quest: stage scores and bonuses.
    points: Mapped[int] = mapped_column(Integer, default=0)
    bonus_points: Mapped[int] = mapped_column(Integer, default=0)
    # The best share of a quiz's points any one quiz or timed attempt scored, from 0 to 1.
    best_quiz: Mapped[float | None] = mapped_column(Float)
    # When the latest ledger entry was made: when the student reached ``points``.
    scored_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<QuestTally student={self.student_id} quest={self.quest_id} {self.points}>"
