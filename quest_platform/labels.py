"""The words pages show for the platform's states: stage kinds, outcomes, progress, durations."""

from __future__ import annotations

from babel.lists import format_list
from flask_babel import LazyString, format_decimal, get_locale, lazy_pgettext, ngettext
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

# Each family of states describes a different noun (a stage, a quest, an attempt), and other
# languages make the word agree with it (Spanish: etapa and misión are feminine, intento is
# masculine), so each family has its own message context.
STAGE_STATE_LABELS: dict[str, LazyString] = {
    StageState.NOT_STARTED: lazy_pgettext("stage state", "Not started"),
    StageState.FAILED: lazy_pgettext("stage state", "Try again"),
    StageState.OUT_OF_TRIES: lazy_pgettext("stage state", "No tries left"),
    StageState.AWAITING_REVIEW: lazy_pgettext("stage state", "Awaiting review"),
    StageState.PASSED: lazy_pgettext("stage state", "Done"),
    StageState.LATE: lazy_pgettext("stage state", "Done late"),
}

PROGRESS_LABELS: dict[str, LazyString] = {
    ProgressStatus.NOT_STARTED: lazy_pgettext("quest progress", "Not started"),
    ProgressStatus.IN_PROGRESS: lazy_pgettext("quest progress", "In progress"),
    ProgressStatus.DONE: lazy_pgettext("quest progress", "Done"),
    ProgressStatus.OVERDUE: lazy_pgettext("quest progress", "Overdue"),
}

OUTCOME_LABELS: dict[str, LazyString] = {
    Outcome.PASSED: lazy_pgettext("attempt outcome", "Passed"),
    Outcome.FAILED: lazy_pgettext("attempt outcome", "Not passed"),
    Outcome.PENDING_REVIEW: lazy_pgettext("attempt outcome", "Awaiting review"),
    Outcome.LATE: lazy_pgettext("attempt outcome", "Late"),
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
    """A length of time in words, for sentences: "2 minutes", "1 minute and 30 seconds"."""
    minutes, rest = divmod(int(seconds), 60)
    parts = []
    if minutes:
        parts.append(ngettext("%(num)d minute", "%(num)d minutes", minutes))
    if rest or not minutes:
        parts.append(ngettext("%(num)d second", "%(num)d seconds", rest))
    # The page language joins the parts ("y" in Spanish, "and" in English).
    return format_list(parts, locale=get_locale() or "en")


def score_text(score: float | None) -> str:
    """A score as the page's language writes numbers: "7.5" in English, "7,5" in Spain; a dash
    for none."""
    return "—" if score is None else format_decimal(score)
