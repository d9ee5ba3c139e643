"""The Slack part of the classroom admin: the settings page (the language of the announcements,
the webhook URL set, replaced or removed but never shown), a test message, and the latest posts
with how their sending went (docs/slack.md)."""

from __future__ import annotations

from flask import flash, redirect, request
from flask_admin import expose
from flask_admin.form import BaseForm
from flask_admin.helpers import get_form_data
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_security import current_user
from werkzeug.wrappers import Response
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import InputRequired

from admin_views.base import ScopedModelView
from admin_views.quests import unprocessable_if_refused
from quest_platform.i18n import LANGUAGE_NAMES, language_choices
from quest_platform.models import Classroom, SlackPost, SlackPostStatus
from quest_platform.queries.slack import recent_slack_posts
from quest_platform.services import ServiceError
from quest_platform.services.slack import send_test_message, update_slack_settings

SLACK_STATUS_LABELS = {
    SlackPostStatus.QUEUED.value: _l("Queued"),
    SlackPostStatus.SENT.value: _l("Sent"),
    SlackPostStatus.FAILED.value: _l("Failed"),
}


class SlackSettingsForm(BaseForm):
    """The language of a classroom's announcements, and a new webhook URL or its removal."""

    language = SelectField(
        _l("Language of the announcements"),
        validators=[InputRequired()],
        description=_l(
            "The channel reads every announcement in this language; each student's own pages "
            "keep their own."
        ),
    )
    webhook_url = StringField(
        _l("Slack incoming-webhook URL"),
        render_kw={"autocomplete": "off", "spellcheck": "false", "inputmode": "url"},
    )
    remove_webhook = BooleanField(_l("Remove the webhook URL: stop posting to Slack"))


class ClassroomSlackViews(ScopedModelView):
    """The Slack pages of the classroom view (which inherits them), on classrooms in scope."""

    @expose("/slack/", methods=("GET", "POST"))
    def slack_settings(self) -> Response | str | tuple[str, int]:
        """Set the language of a classroom's announcements and its Slack webhook URL."""
        classroom: Classroom = self.get_one(request.args.get("id", ""))
        form = SlackSettingsForm(get_form_data(), language=classroom.language)
        form.language.choices = language_choices()
        if request.method == "POST" and form.validate():
            try:
                update_slack_settings(
                    classroom=classroom,
                    language=form.language.data,
                    webhook_url=form.webhook_url.data or "",
                    remove_webhook=bool(form.remove_webhook.data),
                    by=current_user,
                )
            except ServiceError as error:
                self.report(error, form)
            else:
                flash(
                    _("The Slack settings of %(name)s are saved.", name=classroom.name), "success"
                )
                return redirect(self.slack_section_url(classroom))
        # The field is write-only: not even a refused URL is shown back.
        form.webhook_url.data = ""
        webhook_set = classroom.slack_webhook_url is not None
        form.webhook_url.description = (
            _("A webhook URL is set. Paste a new one to replace it; it is never shown again.")
            if webhook_set
            else _(
                "From Slack: https://hooks.slack.com/services/… (see “Where to find the webhook "
                "URL” above). Kept secret: it is never shown again."
            )
        )
        page = self.render(
            "admin_views/classroom_slack.html",
            classroom=classroom,
            form=form,
            webhook_set=webhook_set,
            return_url=self.slack_section_url(classroom),
        )
        return unprocessable_if_refused(page)

    @expose("/slack/test/", methods=("POST",))
    def slack_test(self) -> Response:
        """Post a test message to a classroom's Slack; its status shows with the latest posts."""
        classroom: Classroom = self.get_one(request.args.get("id", ""))
        try:
            send_test_message(classroom=classroom, by=current_user)
        except ServiceError as error:
            flash(error.message, "error")
        else:
            flash(_("The test message is on its way: its status shows below."), "success")
        return redirect(self.slack_section_url(classroom))

    # For the classroom's details page (its Slack section)

    def slack_section_url(self, classroom: Classroom) -> str:
        """The classroom's details page, at its Slack section."""
        return f"{self.get_url('.details_view', id=classroom.id)}#slack-title"

    def slack_posts(self, classroom: Classroom) -> list[SlackPost]:
        """The classroom's latest posts to Slack, newest first."""
        return recent_slack_posts(classroom.id)

    def slack_language(self, classroom: Classroom) -> str:
        """The language of the classroom's announcements, named in that language."""
        return LANGUAGE_NAMES.get(classroom.language, classroom.language)

    def slack_text(self, post: SlackPost) -> str:
        """A post's text as Slack shows it (its escaped control characters as themselves)."""
        return post.text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")

    def slack_status_label(self, post: SlackPost) -> str:
        """A post's status as the teacher reads it."""
        return str(SLACK_STATUS_LABELS.get(post.status, post.status))
