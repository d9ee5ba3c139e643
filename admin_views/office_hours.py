"""Office hours in the admin: the slots of a teacher's classrooms (an administrator's: all) with
who booked them, a form to offer slots, and cancelling a slot after a confirmation.

Every change goes through services/office_hours.py, which checks the classroom is the teacher's
and writes the audit log.
"""

from __future__ import annotations

from datetime import datetime

from flask import abort, flash, redirect, request
from flask_admin import BaseView, expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_security import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import DateField, IntegerField, SelectField, StringField, TimeField
from wtforms.validators import InputRequired, Length
from wtforms.widgets import NumberInput

from admin_views.base import StaffOnlyMixin
from admin_views.time_extensions import with_prompt
from quest_platform.extensions import db
from quest_platform.models import Classroom, OfficeHourSlot
from quest_platform.models.office_hours import MAX_LOCATION_LENGTH, MAX_SLOT_MINUTES
from quest_platform.queries.classrooms import classroom_choices
from quest_platform.queries.office_hours import slot_managed_by, slots_of_teacher
from quest_platform.services import ServiceError
from quest_platform.services.office_hours import (
    MAX_SLOTS_AT_ONCE,
    MIN_SLOT_MINUTES,
    cancel_slot,
    offer_slots,
)
from quest_platform.time_zones import format_moment, in_zone, reader_zone
from quest_platform.urls import record_id

Page = str | tuple[str, int]


class OfferSlotsForm(FlaskForm):
    """A classroom, the first slot's date and time on the teacher's clock, how long each slot
    is, how many follow one another, and where."""

    classroom = SelectField(_l("Classroom"), validators=[InputRequired()])
    date = DateField(in_zone(_l("Date")), validators=[InputRequired()])
    start = TimeField(
        in_zone(_l("First slot starts")),
        validators=[InputRequired()],
        description=_l("The slots follow one another from this time."),
    )
    minutes = IntegerField(
        _l("Minutes each"),
        default=15,
        validators=[InputRequired()],
        widget=NumberInput(step=1, min=MIN_SLOT_MINUTES, max=MAX_SLOT_MINUTES),
    )
    count = IntegerField(
        _l("How many slots"),
        default=4,
        validators=[InputRequired()],
        widget=NumberInput(step=1, min=1, max=MAX_SLOTS_AT_ONCE),
    )
    location = StringField(
        _l("Where"),
        validators=[Length(max=MAX_LOCATION_LENGTH)],
        render_kw={"maxlength": MAX_LOCATION_LENGTH, "autocomplete": "off"},
        description=_l("A room or a call link; students see it with their check-in."),
    )


class OfficeHoursView(StaffOnlyMixin, BaseView):
    """The office hours of the classrooms the current user teaches."""

    @expose("/")
    def index(self) -> str:
        """Slots to come and past, each with its booking: the team or group, who comes, the
        topic. ``?classroom=<id>`` shows one classroom's (404 if it is not the user's)."""
        classroom = self.chosen_classroom(request.args.get("classroom"))
        upcoming, past = slots_of_teacher(
            current_user, classroom_id=classroom.id if classroom is not None else None
        )
        return self.render(
            "admin_views/office_hours/index.html",
            classroom=classroom,
            upcoming=upcoming,
            past=past,
        )

    @expose("/offer", methods=["GET", "POST"])
    def offer(self) -> Response | Page:
        """Offer one or several back-to-back slots to a classroom."""
        choices = classroom_choices(current_user)
        form = OfferSlotsForm()
        # A form refused as it was filled in is unprocessable (422); a clash, a conflict (409).
        status = 422
        form.classroom.choices = with_prompt(_("Choose a classroom"), choices)
        if request.method == "GET" and request.args.get("classroom") in dict(choices):
            form.classroom.data = request.args["classroom"]
        if form.validate_on_submit():
            classroom = self.chosen_classroom(form.classroom.data, missing=None)
            try:
                if classroom is None:
                    raise ServiceError(_("Choose a classroom."), field="classroom")
                slots = offer_slots(
                    classroom=classroom,
                    starts_at=datetime.combine(form.date.data, form.start.data),
                    minutes=form.minutes.data,
                    count=form.count.data,
                    location=form.location.data or "",
                    by=current_user,
                    zone=reader_zone(),
                )
            except ServiceError as error:
                status = error.status_code
                field = form[error.field] if error.field and error.field in form else None
                if field is not None:
                    field.errors = [*field.errors, error.message]
                else:
                    flash(error.message, "error")
            else:
                flash(
                    ngettext(
                        "%(num)d slot offered to %(classroom)s.",
                        "%(num)d slots offered to %(classroom)s.",
                        len(slots),
                        classroom=classroom.name,
                    ),
                    "success",
                )
                return redirect(self.get_url(".index", classroom=classroom.id))
        page = self.render(
            "admin_views/office_hours/offer.html",
            form=form,
            has_classrooms=bool(choices),
            return_url=self.get_url(".index"),
        )
        return (page, status) if request.method == "POST" else page

    @expose("/cancel", methods=["POST"])
    def cancel(self) -> Response | str:
        """Cancel a slot (``slot``) that has not started, after a page asks to confirm; its
        students lose their check-in."""
        key = record_id(request.form.get("slot", ""))
        slot = (slot_managed_by(current_user, key) if key is not None else None) or abort(404)
        back = self.get_url(".index")
        if request.form.get("confirmed") != "yes":
            return self.confirm_page(slot, back)
        try:
            attendees = cancel_slot(slot=slot, by=current_user)
        except ServiceError as error:
            flash(error.message, "error")
            return redirect(back)
        if attendees:
            flash(
                ngettext(
                    "The slot is cancelled; %(num)d student loses their check-in.",
                    "The slot is cancelled; %(num)d students lose their check-in.",
                    len(attendees),
                ),
                "success",
            )
        else:
            flash(_("The slot is cancelled."), "success")
        return redirect(back)

    # Helpers

    def chosen_classroom(self, value: str | None, *, missing: int | None = 404) -> Classroom | None:
        """The classroom ``value`` names if the current user teaches it (None for no value).

        Another teacher's classroom, or none at all, is answered with ``missing`` (404), or
        is None when ``missing`` is None.
        """
        if not value:
            return None
        if value not in dict(classroom_choices(current_user)):
            return abort(missing) if missing is not None else None
        key = record_id(value)
        return db.session.get(Classroom, key) if key is not None else None

    def confirm_page(self, slot: OfficeHourSlot, back: str) -> str:
        """The question before a slot is cancelled, naming who loses their check-in."""
        details = [
            _(
                "%(classroom)s, %(time)s.",
                classroom=slot.classroom.name,
                time=format_moment(slot.starts_at),
            )
        ]
        if slot.booking is not None:
            names = ", ".join(
                sorted(attendee.student.display_name for attendee in slot.booking.attendees)
            )
            details.append(
                ngettext(
                    "%(names)s loses their check-in.",
                    "%(names)s lose their check-in.",
                    len(slot.booking.attendees),
                    names=names,
                )
            )
        return self.render(
            "admin_views/confirm.html",
            heading=_("Cancel this slot"),
            question=_("Cancel this slot of office hours? This cannot be undone."),
            details=details,
            action_url=self.get_url(".cancel"),
            carried=[("slot", str(slot.id))],
            confirm_label=_("Cancel the slot"),
            cancel_url=back,
        )
