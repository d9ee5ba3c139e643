"""The words pages show for the platform's states: stage kinds, outcomes, progress, durations."""

from __future__ import annotations

from flask_babel import LazyString, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from quest_platform.models import Outcome, StageKind
from quest_platform.queries.progress import ProgressStatus, StageState

KIND_LABELS: dict[str, LazyString] = {
    StageKind.LESSON: _l("Lesson"),
    StageKind.QUIZ: _l("Quiz"),
    StageKind.CHECKPOINT: _l("Checkpoint"),
    StageKind.REFLECTION: _l("Reflection"),
    StageKind.SELF_CHECK: _l("Self-check"),
    StageKind.CODE: _l("Code challenge"),
    StageKind.TIMED: _l("Timed quiz"),
}

STAGE_STATE_LABELS: dict[str, LazyString] = {
    StageState.NOT_STARTED: _l("Not started"),
    StageState.FAILED: _l("Try again"),
    StageState.OUT_OF_TRIES: _l("No tries left"),
    StageState.AWAITING_REVIEW: _l("Awaiting review"),
    StageState.PASSED: _l("Done"),
    StageState.LATE: _l("Done late"),
}

PROGRESS_LABELS: dict[str, LazyString] = {
    ProgressStatus.NOT_STARTED: _l("Not started"),
    ProgressStatus.IN_PROGRESS: _l("In progress"),
    ProgressStatus.DONE: _l("Done"),
    ProgressStatus.OVERDUE: _l("Overdue"),
}

OUTCOME_LABELS: dict[str, LazyString] = {
    Outcome.PASSED: _l("Passed"),
    Outcome.FAILED: _l("Not passed"),
    Outcome.PENDING_REVIEW: _l("Awaiting review"),
    Outcome.LATE: _l("Late"),
}


def short_duration(seconds: float) -> str:
    """A short span of time for tables: "45 s", "4 min 5 s", "2 h 3 min"."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return _("%(hours)d h %(minutes)d min", hours=hours, minutes=minutes)
    if minutes:
        return _("%(minutes)d min %(seconds)d s", minutes=minutes, seconds=secs)
    return _("%(seconds)d s", seconds=secs)


def duration(seconds: int) -> str:
    """A length of time in words, for sentences: "2 minutes", "1 minute 30 seconds"."""
    minutes, rest = divmod(int(seconds), 60)
    parts = []
    if minutes:
        parts.append(ngettext("%(num)d minute", "%(num)d minutes", minutes))
    if rest or not minutes:
        parts.append(ngettext("%(num)d second", "%(num)d seconds", rest))
    return " ".join(parts)
