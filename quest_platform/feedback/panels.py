"""What other pages show of a conversation: the student's stage page and the teacher's attempt
page each show one, read from here and marked read as it is shown
(templates/feedback/_conversation.html draws it)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from quest_platform.models import Attempt, User
from quest_platform.queries.feedback import Thread, feedback_in_thread, thread_counts, thread_of
from quest_platform.services.feedback import mark_thread_read


def opened_thread(attempt: Attempt, *, viewer: User) -> Thread:
    """The conversation about ``attempt`` as ``viewer`` sees it, noted as read up to its newest
    message (written only when something came since the viewer last read it).

    The caller has checked that ``viewer`` may take part.
    """
    thread = thread_of(attempt, viewer)
    if thread.news:
        mark_thread_read(attempt=attempt, reader=viewer, up_to=thread.last_message_id)
    return thread


def stage_conversation(attempts: Sequence[Attempt], *, viewer: User) -> dict[str, Any]:
    """What the student's stage page shows of conversations, for its template: the one about
    their latest answer (``thread``, opened), how many messages those about earlier answers hold
    (``earlier_threads``, by attempt id), and whether the latest review's feedback is among the
    messages (``feedback_in_thread``: then the result does not repeat it)."""
    if not attempts:
        return {"thread": None, "earlier_threads": {}, "feedback_in_thread": False}
    latest = attempts[0]
    review = latest.latest_review
    return {
        "thread": opened_thread(latest, viewer=viewer),
        "earlier_threads": thread_counts([attempt.id for attempt in attempts[1:]], viewer=viewer),
        "feedback_in_thread": review is not None and feedback_in_thread(review),
    }
