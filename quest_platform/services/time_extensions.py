"""Extra time: a teacher gives a student more time on a timed stage, in a code race (on its
code stage) or in a live game (on a quiz it asks), with the reason on record."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import ngettext

from quest_platform.extensions import db
from quest_platform.models import Stage, StageKind, TimeExtension, User
from quest_platform.queries.time_extensions import may_give_extra_time
from quest_platform.services.audit import record_change, snapshot
from quest_platform.services.errors import NotAllowed, ServiceError, undone_on_error

# One grant gives at least a minute and at most a day (the table's check allows up to a day).
MIN_EXTRA_SECONDS = 60
MAX_EXTRA_SECONDS = 24 * 60 * 60
MAX_REASON_LENGTH = 2000


def minutes_of(seconds: int) -> int | float:
    """Seconds as minutes: whole when they divide evenly, else to two decimals."""
    whole, rest = divmod(seconds, 60)
    return whole if rest == 0 else round(seconds / 60, 2)


@undone_on_error
def grant_time_extension(
    *, student: User, stage: Stage, extra_seconds: int, reason: str, by: User
) -> TimeExtension:
    """Give ``student`` ``extra_seconds`` more on the timed ``stage``; grants add up.

    Only a teacher of the student, in a classroom given the stage's quest, may (an administrator
    for anyone enrolled in such a classroom). A grant is never changed or removed: more time is
    a later grant. Each grant is audited with who gave it, to whom, on which stage, how many
    minutes and why.
    """
    if not may_give_extra_time(staff=by, student=student, stage=stage):
        raise NotAllowed(
            _("You can give extra time only to your students, on quests given to their class."),
            field="student",
        )
    timed = stage.kind == StageKind.TIMED and stage.time_limit_seconds
    if not timed and stage.kind not in (StageKind.CODE, StageKind.QUIZ):
        raise ServiceError(
            _(
                "Extra time is given on timed stages, code challenges (for races) and quizzes "
                "(for games) only."
            ),
            field="stage",
        )
    valid_number = isinstance(extra_seconds, int) and not isinstance(extra_seconds, bool)
    if not valid_number or not MIN_EXTRA_SECONDS <= extra_seconds <= MAX_EXTRA_SECONDS:
        raise ServiceError(
            _("Give between 1 minute and 24 hours of extra time."), field="extra_seconds"
        )
    reason = reason.strip()
    if not reason:
        raise ServiceError(_("Say why the student gets extra time."), field="reason")
    if len(reason) > MAX_REASON_LENGTH:
        raise ServiceError(
            ngettext(
                "Keep it under %(num)d character.",
                "Keep it under %(num)d characters.",
                MAX_REASON_LENGTH,
            ),
            field="reason",
        )
    extension = TimeExtension(
        student_id=student.id,
        stage_id=stage.id,
        extra_seconds=extra_seconds,
        reason=reason,
        granted_by_id=by.id,
    )
    db.session.add(extension)
    db.session.flush()
    record_change(
        actor=by,
        action="grant",
        record=extension,
        after={
            **snapshot(extension),
            "student": student.username,
            "quest_id": stage.quest_id,
            "extra_minutes": minutes_of(extra_seconds),
        },
    )
    db.session.commit()
    return extension
