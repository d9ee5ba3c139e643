"""Routes of feedback conversations: the Messages page, one conversation's page, writing a
message (from any page that shows a conversation), and a teacher hiding or showing one.

Anyone who may not take part in a conversation finds no such page (404), whether the attempt
exists or not. The unread count of the navigation is given to every page's template here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_security import auth_required, current_user
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from quest_platform.extensions import db
from quest_platform.feedback.budget import throttled_messages
from quest_platform.feedback.panels import opened_thread
from quest_platform.labels import OUTCOME_LABELS
from quest_platform.models import MAX_MESSAGE_LENGTH, Attempt, AttemptMessage, User
from quest_platform.queries.feedback import (
    message_in_reach,
    thread_attempt,
    unread_count,
    unread_threads,
)
from quest_platform.services import ServiceError
from quest_platform.services.feedback import hide_message, post_message, show_message
from quest_platform.urls import safe_next

bp = Blueprint("feedback", __name__)


@bp.app_context_processor
def navigation_values() -> dict[str, Any]:
    """Give every template ``unread_messages()``, for the navigation's Messages link, and the
    longest message a form takes."""
    return {"unread_messages": unread_messages, "max_message_length": MAX_MESSAGE_LENGTH}


def unread_messages() -> int:
    """How many messages the signed-in person has not read: counted once per page, when the
    navigation asks (one query), and never for a visitor."""
    if not current_user.is_authenticated:
        return 0
    if "unread_messages" not in g:
        try:
            g.unread_messages = unread_count(current_user)
        except SQLAlchemyError:
            # A count in the navigation never breaks a page (the error page of a database that
            # went away among them): the page is shown without it.
            db.session.rollback()
            g.unread_messages = 0
    count: int = g.unread_messages
    return count


@bp.get("/messages")
@auth_required("session")
def index() -> str:
    """The signed-in person's conversations, those with unread messages first."""
    return render_template(
        "feedback/index.html", threads=unread_threads(current_user), staff=current_user.is_staff
    )


@bp.get("/attempts/<int:attempt_id>/messages")
@auth_required("session")
def thread(attempt_id: int) -> tuple[str, int]:
    """The conversation about one attempt, with a form to write in it; opening it reads it."""
    return render_thread(attempt_or_404(attempt_id))


@bp.post("/attempts/<int:attempt_id>/messages")
@auth_required("session")
@throttled_messages
def post(attempt_id: int) -> Response | tuple[str, int]:
    """Write a message; then back to the page the form was on, at the message.

    A refused message comes back on the conversation's page with the reason and the text as
    written (422), nothing written.
    """
    attempt = attempt_or_404(attempt_id)
    try:
        message = post_message(
            attempt=attempt, author=current_user, body=request.form.get("body", "")
        )
    except ServiceError as error:
        if error.status_code != 422:
            abort(error.status_code)
        return render_thread(attempt, error=error, entered=request.form.get("body", ""))
    flash(_("Your message is sent."), "success")
    return redirect(f"{back_to(attempt)}#message-{message.id}")


@bp.post("/messages/<int:message_id>/hide")
@auth_required("session")
def hide(message_id: int) -> Response:
    """Hide a message from the student and other participants (teachers and admins only)."""
    return moderate(message_id, hide_message, _("The message is hidden from the student."))


@bp.post("/messages/<int:message_id>/show")
@auth_required("session")
def show(message_id: int) -> Response:
    """Show a hidden message to everyone taking part again (teachers and admins only)."""
    return moderate(message_id, show_message, _("The message is shown to the student again."))


def moderate(message_id: int, change: Callable[..., AttemptMessage], done: str) -> Response:
    """Hide or show a message, then back to the page the button was on, at the message."""
    message = message_in_reach(viewer=current_user, message_id=message_id)
    if message is None:
        abort(404)
    try:
        change(message=message, by=current_user)
    except ServiceError as error:
        abort(error.status_code)
    flash(done, "success")
    return redirect(f"{back_to(message.attempt)}#message-{message.id}")


def attempt_or_404(attempt_id: int) -> Attempt:
    """The attempt whose conversation the signed-in person may take part in; 404 otherwise."""
    attempt = thread_attempt(viewer=current_user, attempt_id=attempt_id)
    if attempt is None:
        abort(404)
    return attempt


def back_to(attempt: Attempt) -> str:
    """Where the form was (``next``, a path of this site), else the conversation's page."""
    target = request.form.get("next")
    page = url_for("feedback.thread", attempt_id=attempt.id)
    path = safe_next(target)
    # safe_next answers the home page for anything that leaves the site.
    return path if target and path != url_for("pages.home") else page


def render_thread(
    attempt: Attempt, *, error: ServiceError | None = None, entered: str = ""
) -> tuple[str, int]:
    """The conversation's page; a refused message shows why, with the text as written."""
    viewer: User = current_user
    return render_template(
        "feedback/thread.html",
        thread=opened_thread(attempt, viewer=viewer),
        back=back_to(attempt) if error else url_for("feedback.thread", attempt_id=attempt.id),
        error=error,
        entered=entered,
        outcome_labels=OUTCOME_LABELS,
    ), (error.status_code if error else 200)
