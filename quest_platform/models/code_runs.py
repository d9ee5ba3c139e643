"""Code runs: a student's code sent to a code challenge's tests, from the queue to the verdict."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quest_platform.extensions import Model
from quest_platform.models.base import JSONDocument, UTCDateTime, check_in, utcnow

# A run still not graded this long after it was sent is lost (its grader stopped, say): the
# student is told to send the code again, and the page stops waiting for it.
LOST_AFTER = timedelta(minutes=5)

if TYPE_CHECKING:
    from quest_platform.models.accounts import User
    from quest_platform.models.attempts import Attempt
    from quest_platform.models.quests import Quest, Stage


class CodePurpose(enum.StrEnum):
    """Why the code is run."""

    # "Run examples": the visible examples only; nothing is recorded but the run.
    EXAMPLES = "examples"
    # "Submit": the hidden tests, and an attempt recorded with the verdict.
    SUBMISSION = "submission"


class CodeRunStatus(enum.StrEnum):
    """Where a run is: waiting for a grader, being graded, graded, or not graded."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    # Not graded: the sandbox is unavailable, or the submission was refused (``problem`` says).
    FAILED = "failed"


# What pages and the API call a run that is lost (see CodeRun.lost); with "done" and "failed",
# a status after which nothing more happens to the run.
LOST = "lost"
FINISHED_STATUSES = frozenset({CodeRunStatus.DONE.value, CodeRunStatus.FAILED.value, LOST})


class CodeRun(Model):
    """One run of a student's code against a code challenge's tests.

    ``results`` holds, per test, whether it passed and, for visible examples only, what the
    code gave and printed; hidden tests' inputs and expected results are never stored here.
    A submission's run names the attempt it recorded.
    """

    __tablename__ = "code_run"
    __table_args__ = (
        CheckConstraint(check_in("purpose", CodePurpose), name="purpose_known"),
        CheckConstraint(check_in("status", CodeRunStatus), name="status_known"),
        CheckConstraint(
            "attempt_id IS NULL OR purpose = 'submission'", name="only_submissions_record"
        ),
        Index("ix_code_run_student_stage", "student_id", "stage_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    quest_id: Mapped[int] = mapped_column(ForeignKey("quest.id", ondelete="RESTRICT"))
    stage_id: Mapped[int] = mapped_column(ForeignKey("stage.id", ondelete="RESTRICT"))
    purpose: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=CodeRunStatus.QUEUED.value)
    source: Mapped[str] = mapped_column(Text)
    # The submission key of the attempt a submission records (the client's, for resends).
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    results: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    problem: Mapped[str | None] = mapped_column(String(200))
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("attempt.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    student: Mapped[User] = relationship()
    quest: Mapped[Quest] = relationship()
    stage: Mapped[Stage] = relationship()
    attempt: Mapped[Attempt | None] = relationship()

    def __repr__(self) -> str:
        return f"<CodeRun {self.id} {self.purpose} {self.status}>"

    @property
    def finished(self) -> bool:
        """Whether the run has its verdict (or its reason for having none)."""
        return self.status in (CodeRunStatus.DONE, CodeRunStatus.FAILED)

    def lost(self, now: datetime) -> bool:
        """Whether the run, never graded, is too old for a grader still to take it."""
        return not self.finished and now - self.created_at > LOST_AFTER

    def status_at(self, now: datetime) -> str:
        """The run's status as pages and the API tell it: its own, or "lost"."""
        return LOST if self.lost(now) else self.status
