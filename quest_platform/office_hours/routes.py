"""Routes of office hours for students: the page of slots and check-ins, booking a slot and
cancelling a check-in.

A slot of a class the student is not in, and a check-in they do not come to, are missing (404).
A refused booking comes back as the page with the reason: 409 for a slot taken or started or a
check-in already booked, 422 for a choice that cannot be used, 403 for a team not theirs.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_security import current_user
from werkzeug.wrappers import Response

from quest_platform.extensions import db
from quest_platform.models import MAX_GROUP_SIZE, Team, utcnow
from quest_platform.models.office_hours import MAX_TOPIC_LENGTH
from quest_platform.portal.routes import student_only
from quest_platform.queries.office_hours import (
    SlotState,
    booking_for_attendee,
    check_ins_of,
    office_hours_for,
    slot_for_student,
)
from quest_platform.services import ServiceError
from quest_platform.services.office_hours import book_slot, cancel_booking
from quest_platform.time_zones import format_moment
from quest_platform.urls import record_id

bp = Blueprint("office_hours", __name__, url_prefix="/office-hours")


@bp.get("")
@student_only
def index() -> tuple[str, int]:
    """The slots of the student's classrooms, a booking form on each free one, and the
    student's check-ins to come and past."""
    return render_page()


@bp.post("/<int:slot_id>/book")
@student_only
def book(slot_id: int) -> Response | tuple[str, int]:
    """Book a slot for the student's team (``team``: its id) or for a group (``classmate``: one
    or two ids), with an optional ``topic``."""
    slot = slot_for_student(student=current_user, slot_id=slot_id) or abort(404)
    team_value = request.form.get("team", "")
    classmate_values = [value for value in request.form.getlist("classmate") if value]
    topic = request.form.get("topic", "")
    entered = {
        "slot_id": slot.id,
        "team": team_value,
        "classmates": classmate_values,
        "topic": topic,
    }
    try:
        team = chosen_team(team_value)
        classmates = [] if team is not None else chosen_ids(classmate_values)
        booking = book_slot(
            slot=slot, by=current_user, team=team, classmate_ids=classmates, topic=topic
        )
    except ServiceError as error:
        flash(error.message, "error")
        return render_page(status=error.status_code, entered=entered)
    flash(
        _(
            "Your check-in is booked: %(time)s. Everyone who comes sees it on this page.",
            time=format_moment(booking.slot.starts_at),
        ),
        "success",
    )
    return redirect(url_for(".index"))


@bp.post("/bookings/<int:booking_id>/cancel")
@student_only
def cancel(booking_id: int) -> Response | tuple[str, int]:
    """Cancel a check-in the student comes to, before it starts; the slot is free again."""
    booking = booking_for_attendee(student=current_user, booking_id=booking_id) or abort(404)
    try:
        cancel_booking(booking=booking, by=current_user)
    except ServiceError as error:
        flash(error.message, "error")
        return render_page(status=error.status_code)
    flash(_("Your check-in is cancelled; the slot is free for others."), "success")
    return redirect(url_for(".index"))


def chosen_team(value: str) -> Team | None:
    """The team the form names (None for a group); one that does not exist is refused."""
    if not value:
        return None
    key = record_id(value)
    team = db.session.get(Team, key) if key is not None else None
    if team is None:
        raise ServiceError(_("Choose your team or a group."), field="team")
    return team


def chosen_ids(values: list[str]) -> list[int]:
    """The classmates the form names, as ids."""
    ids = [record_id(value) for value in values]
    if None in ids:
        raise ServiceError(_("Choose classmates of this classroom."), field="classmates")
    return [key for key in ids if key is not None]


def render_page(*, status: int = 200, entered: dict[str, Any] | None = None) -> tuple[str, int]:
    """The office-hours page; ``entered`` is a refused booking's form, filled in again."""
    return render_template(
        "office_hours/index.html",
        pages=office_hours_for(current_user),
        check_ins=check_ins_of(current_user),
        states=SlotState,
        entered=entered or {},
        max_topic_length=MAX_TOPIC_LENGTH,
        max_classmates=MAX_GROUP_SIZE - 1,
        now=utcnow(),
    ), status
