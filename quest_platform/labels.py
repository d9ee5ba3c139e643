"""The words pages show for the platform's states: stage kinds, outcomes, progress, durations."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from quest_platform.models import Outcome, StageKind
from quest_platform.queries.progress import ProgressStatus, StageState

KIND_LABELS = {
    StageKind.LESSON: _l("Lesson"),
    StageKind.QUIZ: _l("Quiz"),
    StageKind.CHECKPOINT: _l("Checkpoint"),
    StageKind.REFLECTION: _l("Reflection"),
    StageKind.SELF_CHECK: _l("Self-check"),
    StageKind.CODE: _l("Code challenge"),
    StageKind.TIMED: _l("Timed quiz"),
}

STAGE_STATE_LABELS = {
    StageState.NOT_STARTED: _l("Not started"),
    StageState.FAILED: _l("Try again"),
    StageState.OUT_OF_TRIES: _l("No tries left"),
    StageState.AWAITING_REVIEW: _l("Awaiting review"),
    StageState.PASSED: _l("Done"),
    StageState.LATE: _l("Done late"),
}

PROGRESS_LABELS = {
    ProgressStatus.NOT_STARTED: _l("Not started"),
    ProgressStatus.IN_PROGRESS: _l("In progress"),
    ProgressStatus.DONE: _l("Done"),
    ProgressStatus.OVERDUE: _l("Overdue"),
}

OUTCOME_LABELS = {
    Outcome.PASSED: _l("Passed"),
    Outcome.FAILED: _l("Not passed"),
    Outcome.PENDING_REVIEW: _l("Awaiting review"),
    Outcome.LATE: _l("Late"),
}


def duration(seconds: int) -> str:
    """A length of time in words: "2 minutes", "1 minute 30 seconds"."""
    minutes, rest = divmod(int(seconds), 60)
    parts = []
    if minutes:
        parts.append(ngettext("%(num)d minute", "%(num)d minutes", minutes))
    if rest or not minutes:
        parts.append(ngettext("%(num)d second", "%(num)d seconds", rest))
    return " ".join(parts)
