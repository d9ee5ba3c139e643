"""The GitHub part of the classroom admin: the webhook turned on (its new secret shown once, with
the payload URL and how to add it on GitHub), given a new secret or turned off, and the latest
deliveries with what became of them (docs/github.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_security import current_user
from werkzeug.wrappers import Response

from admin_views.base import ScopedModelView
from quest_platform.models import Classroom
from quest_platform.queries.github import recent_github_deliveries
from quest_platform.services import ServiceError
from quest_platform.services.github import (
    DeliveryStatus,
    turn_off_github_webhook,
    turn_on_github_webhook,
)

DELIVERY_STATUS_LABELS = {
    DeliveryStatus.PING.value: _l("Ping"),
    DeliveryStatus.RECORDED.value: _l("Handed in"),
    DeliveryStatus.IGNORED.value: _l("Ignored"),
}


@dataclass(frozen=True)
class DeliveryLine:
    """A delivery as the classroom's page lists it."""

    received_at: datetime
    event: str
    status: str
    message: str


class ClassroomGithubViews(ScopedModelView):
    """The GitHub webhook of the classroom view (which inherits it), on classrooms in scope."""

    @expose("/github/", methods=("POST",))
    def github_webhook(self) -> Response | str:
        """Turn a classroom's GitHub webhook on (or give it a new secret), or off.

        A new secret is shown on this answer alone: it is stored, but never shown again, not
        in a list, a details page, an export or the audit log.
        """
        classroom: Classroom = self.get_one(request.args.get("id", ""))
        change = request.form.get("change", "")
        back = self.github_section_url(classroom)
        if change not in {"on", "off"}:
            flash(_("Choose to turn the GitHub webhook on or off."), "error")
            return redirect(back)
        try:
            if change == "off":
                turn_off_github_webhook(classroom=classroom, by=current_user)
            else:
                secret = turn_on_github_webhook(classroom=classroom, by=current_user)
        except ServiceError as error:
            flash(error.message, "error")
            return redirect(back)
        if change == "off":
            flash(
                _(
                    "The GitHub webhook of %(name)s is off: deliveries to it are refused.",
                    name=classroom.name,
                ),
                "success",
            )
            return redirect(back)
        return self.render(
            "admin_views/classroom_github_secret.html",
            classroom=classroom,
            secret=secret,
            payload_url=self.github_payload_url(classroom),
            return_url=back,
        )

    # For the classroom's details page (its GitHub section)

    def github_section_url(self, classroom: Classroom) -> str:
        """The classroom's details page, at its GitHub section."""
        return f"{self.get_url('.details_view', id=classroom.id)}#github-title"

    def github_payload_url(self, classroom: Classroom) -> str:
        """Where GitHub sends the classroom's deliveries: the platform's address as students
        reach it (EXTERNAL_URL), else as this request reached it."""
        path = url_for("github.delivery", classroom_id=classroom.id)
        external = current_app.config.get("EXTERNAL_URL")
        if external:
            return f"{external}{path}"
        return url_for("github.delivery", classroom_id=classroom.id, _external=True)

    def github_deliveries(self, classroom: Classroom) -> list[DeliveryLine]:
        """The classroom's latest deliveries from GitHub, newest first, with what became of
        each (its outcome: "ignored: <why>")."""
        lines = []
        for delivery in recent_github_deliveries(classroom.id):
            status, _separator, message = delivery.outcome.partition(": ")
            event = f"{delivery.event} {delivery.action}".strip()
            label = DELIVERY_STATUS_LABELS.get(status)
            lines.append(
                DeliveryLine(
                    received_at=delivery.received_at,
                    event=event,
                    status=str(label) if label else status,
                    message=message if label else delivery.outcome,
                )
            )
        return lines
