"""Slack announcements: posts to a classroom's channel, recorded, then sent by a background job.

A classroom may have an incoming-webhook URL of Slack: a secret, since whoever holds it can post
to the channel, so it is never shown back, exported, audited or logged. Once a change worth
announcing is committed (a quest assigned, a game or race starting, reviews posted), the
change's service calls an ``announce_...`` function here. It records a :class:`SlackPost` in
the class's language, once per key, in a transaction of its own, and has a job send it
(``jobs.py``): a page never waits on Slack. A send that fails is tried again after each of
``SLACK_RETRY_DELAYS``, then kept as failed, with its error, for the teacher to see. Announcing
never makes the announced change fail: any problem is the post's, or is logged.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps
from http.client import HTTPException
from typing import Any, ParamSpec
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime
from flask import current_app, has_request_context, url_for
from flask_babel import force_locale, get_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from quest_platform.extensions import db
from quest_platform.i18n import format_locale
from quest_platform.jobs import enqueue_job
from quest_platform.models import (
    Attempt,
    Classroom,
    CodeRace,
    Game,
    QuestAssignment,
    SlackPost,
    SlackPostStatus,
    User,
    utcnow,
)
from quest_platform.queries.slack import (
    announced_assignments_due,
    announced_classrooms_of,
    slack_posts_to_resend,
)
from quest_platform.services.audit import record_change, snapshot
from quest_platform.services.classrooms import may_manage_classroom
from quest_platform.services.errors import NotAllowed, ServiceError, undone_on_error
from quest_platform.time_zones import moment_pattern

P = ParamSpec("P")
logger = logging.getLogger(__name__)

SEND_JOB = "quest_platform.services.slack:send_slack_post"
# Slack's incoming webhooks: /services/<workspace>/<bot>/<secret>, letters and digits each.
WEBHOOK_PATH = re.compile(r"/services/[A-Za-z0-9]+/[A-Za-z0-9]+/[A-Za-z0-9]+")
WEBHOOK_URL_LENGTH = 255
# "Due tomorrow": due within this long of the (hourly) reminder run.
DUE_SOON = timedelta(hours=24)
# A queued post whose job was lost (a restarted web process) is sent again after this long:
# longer than every try and delay of a send takes.
LOST_AFTER = timedelta(hours=1)
# Slack answers "ok", or a short error code such as "no_service"; more is not read.
ANSWER_BYTES = 200
# Slack's answers that no retry changes: a bad payload (400), a webhook revoked (403, 404) or
# a channel archived (410). Throttling (429) and server errors are tried again.
FINAL_STATUSES = frozenset({400, 401, 403, 404, 410})


class SlackNotDelivered(Exception):
    """A send failed and another try is due: the job queue tries it again later."""


@dataclass(frozen=True)
class SendFailure:
    """Why a send failed, as the teacher reads it, and whether trying again could help."""

    error: str
    final: bool = False


# The webhook URL: checked, set, replaced or removed, never shown


def webhook_url_problem(url: str) -> str | None:
    """Why ``url`` is not an incoming webhook of Slack that this platform may post to, or None.

    It must start with one of SLACK_WEBHOOK_ORIGINS (https://hooks.slack.com) and have the
    path of an incoming webhook, without a query, a fragment or a password.
    """
    if len(url) > WEBHOOK_URL_LENGTH:
        return _("A Slack webhook URL has at most 255 characters.")
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}".lower()
    allowed = current_app.config["SLACK_WEBHOOK_ORIGINS"]
    shaped = WEBHOOK_PATH.fullmatch(parts.path) and not (parts.query or parts.fragment)
    if origin not in allowed or parts.username or parts.password or not shaped:
        return _(
            "Paste the incoming webhook URL Slack gave you: it starts with "
            "%(origin)s/services/ and has nothing after the last code.",
            origin=allowed[0] if allowed else "https://hooks.slack.com",
        )
    return None


@undone_on_error
def update_slack_settings(
    *,
    classroom: Classroom,
    language: str,
    webhook_url: str = "",
    remove_webhook: bool = False,
    by: User,
) -> Classroom:
    """Set the language of a classroom's announcements, and set, replace or remove its Slack
    incoming-webhook URL (an empty ``webhook_url`` keeps the one set).

    Audited without the URL: the entry says only whether it was set, replaced or removed.
    """
    if not may_manage_classroom(staff=by, classroom=classroom):
        raise NotAllowed(_("You can only change your own classrooms."))
    if language not in current_app.config["LANGUAGES"]:
        raise ServiceError(_("Choose a language of the platform."), field="language")
    url = (webhook_url or "").strip()
    if url and remove_webhook:
        raise ServiceError(
            _("Either paste a new webhook URL or remove the one set, not both."),
            field="webhook_url",
        )
    if url and (problem := webhook_url_problem(url)):
        raise ServiceError(problem, field="webhook_url")
    before = snapshot(classroom)
    had_url = classroom.slack_webhook_url is not None
    if remove_webhook:
        webhook = "removed" if had_url else "none"
        classroom.slack_webhook_url = None
    elif url:
        webhook = "replaced" if had_url else "set"
        classroom.slack_webhook_url = url
    else:
        webhook = "kept" if had_url else "none"
    classroom.language = language
    record_change(
        actor=by,
        action="update",
        record=classroom,
        before=before,
        after={**snapshot(classroom), "slack_webhook": webhook},
    )
    db.session.commit()
    return classroom


@undone_on_error
def send_test_message(*, classroom: Classroom, by: User) -> SlackPost:
    """Post a test message to a classroom's Slack (through the job queue, like every post)."""
    if not may_manage_classroom(staff=by, classroom=classroom):
        raise NotAllowed(_("You can only post to the Slack of your own classrooms."))
    if not classroom.slack_webhook_url:
        raise ServiceError(_("Set the classroom's Slack webhook URL first."), field="webhook_url")
    name = classroom.name

    def compose() -> str:
        return _(
            "Test message from Quest Platform: the announcements of %(classroom)s will appear "
            "in this channel.",
            classroom=escaped(name),
        )

    # Every test is a post of its own: a teacher may test again after fixing the channel.
    post_id = record_post(classroom=classroom, key=f"test:{secrets.token_hex(8)}", compose=compose)
    if post_id is None:
        raise ServiceError(_("Set the classroom's Slack webhook URL first."), field="webhook_url")
    queue_post(post_id)
    return db.session.scalars(select(SlackPost).where(SlackPost.id == post_id)).one()


# Recording and queueing a post


@undone_on_error
def record_post(*, classroom: Classroom, key: str, compose: Callable[[], str]) -> int | None:
    """Record a post for ``classroom`` and commit it; returns its id.

    None (nothing recorded) when the classroom has no webhook URL, or already has a post with
    ``key``. ``compose`` writes the text, in the classroom's language. Call it once the change
    it announces is committed: it commits whatever the session holds.
    """
    if not classroom.slack_webhook_url:
        # Ends the read, so that the caller's session holds no snapshot of the database.
        db.session.commit()
        return None
    with force_locale(format_locale(classroom.language)):
        text = compose()
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # A second announcement with the same key (another request at the same moment, a rerun
    # of the reminder) inserts nothing, whichever commits first.
    statement = (
        insert(SlackPost)
        .values(classroom_id=classroom.id, key=key, text=text)
        .on_conflict_do_nothing(index_elements=[SlackPost.classroom_id, SlackPost.key])
        .returning(SlackPost.id)
    )
    post_id = db.session.scalar(statement)
    db.session.commit()
    return post_id


def queue_post(post_id: int) -> None:
    """Have a job send a recorded post, with the retries the settings give."""
    delays = current_app.config["SLACK_RETRY_DELAYS"]
    enqueue_job(SEND_JOB, retry_delays=delays, post_id=post_id)


def announcement(function: Callable[P, int]) -> Callable[P, int]:
    """Make an ``announce_...`` function safe to call after any change: whatever goes wrong in
    it is undone and logged, and it returns 0 (no post), never an error."""

    @wraps(function)
    def announcing(*args: P.args, **kwargs: P.kwargs) -> int:
        try:
            return function(*args, **kwargs)
        except Exception:
            db.session.rollback()
            logger.exception("The Slack announcement %s failed.", function.__name__)
            return 0

    return announcing


def announce(*, classroom: Classroom, key: str, compose: Callable[[], str]) -> int:
    """Record the announcement ``key`` for ``classroom`` and queue it; how many posts (0 or 1)."""
    post_id = record_post(classroom=classroom, key=key, compose=compose)
    if post_id is None:
        return 0
    queue_post(post_id)
    return 1


# The announcements


@announcement
def announce_assignment(*, assignment: QuestAssignment) -> int:
    """Announce a quest newly assigned to a classroom: its title, when it opens and is due."""
    quest = assignment.quest

    def compose() -> str:
        text = _(
            "New quest for %(classroom)s: “%(quest)s”. It opens %(opens)s and is due %(due)s.",
            classroom=escaped(assignment.classroom.name),
            quest=escaped(quest.title),
            opens=school_moment(assignment.opens_at),
            due=school_moment(assignment.due_at),
        )
        return with_link(text, "portal.quest", slug=quest.slug)

    return announce(
        classroom=assignment.classroom, key=f"assigned:{assignment.id}", compose=compose
    )


@announcement
def announce_due_soon(*, assignment: QuestAssignment) -> int:
    """Remind a classroom that a quest is due within a day (once for each assignment)."""
    quest = assignment.quest

    def compose() -> str:
        text = _(
            "Reminder for %(classroom)s: “%(quest)s” is due %(due)s.",
            classroom=escaped(assignment.classroom.name),
            quest=escaped(quest.title),
            due=school_moment(assignment.due_at),
        )
        return with_link(text, "portal.quest", slug=quest.slug)

    return announce(classroom=assignment.classroom, key=f"due:{assignment.id}", compose=compose)


def announce_due_assignments(*, now: datetime | None = None) -> int:
    """Remind each classroom with a Slack webhook of its quests due in the next 24 hours, once
    each (run hourly: ``manage.py slack due-tomorrow``); returns how many posts were queued."""
    now = now or utcnow()
    assignments = announced_assignments_due(now, now + DUE_SOON)
    return sum(announce_due_soon(assignment=assignment) for assignment in assignments)


@announcement
def announce_game(*, game: Game) -> int:
    """Announce a live game opened for a classroom, with its code and where to join."""
    classroom = db.session.get(Classroom, game.classroom_id)
    if classroom is None:
        return 0
    code = game.code

    def compose() -> str:
        text = _(
            "A live game is starting in %(classroom)s: join with the code %(code)s.",
            classroom=escaped(classroom.name),
            code=code,
        )
        return with_link(text, "games.join_link", code=code)

    return announce(classroom=classroom, key=f"game:{game.id}", compose=compose)


@announcement
def announce_race(*, race: CodeRace, now: datetime | None = None) -> int:
    """Announce a code race set for a classroom: its stage, when it starts and how long."""
    now = now or utcnow()
    classroom, stage = race.classroom, race.stage
    minutes = round(race.duration.total_seconds() / 60)

    def compose() -> str:
        values = {
            "classroom": escaped(classroom.name),
            "stage": escaped(stage.title),
            "quest": escaped(stage.quest.title),
            "starts": school_moment(race.starts_at),
        }
        if race.starts_at <= now:
            text = ngettext(
                "A code race on “%(stage)s” of “%(quest)s” has started in %(classroom)s: it "
                "lasts %(num)d minute.",
                "A code race on “%(stage)s” of “%(quest)s” has started in %(classroom)s: it "
                "lasts %(num)d minutes.",
                minutes,
                **values,
            )
        else:
            text = ngettext(
                "A code race on “%(stage)s” of “%(quest)s” starts %(starts)s in "
                "%(classroom)s and lasts %(num)d minute.",
                "A code race on “%(stage)s” of “%(quest)s” starts %(starts)s in "
                "%(classroom)s and lasts %(num)d minutes.",
                minutes,
                **values,
            )
        return with_link(text, "portal.stage", slug=stage.quest.slug, position=stage.position)

    return announce(classroom=classroom, key=f"race:{race.id}", compose=compose)


@announcement
def announce_reviews_posted(*, attempt: Attempt, by: User, now: datetime | None = None) -> int:
    """Tell the classes of ``attempt``'s student that ``by`` posted reviews of its stage: once a
    stage a day (on the school's calendar), in each such class ``by`` teaches, without names
    (the channel is the whole class)."""
    stage, quest = attempt.stage, attempt.quest
    day = (now or utcnow()).astimezone(school_zone()).date()
    classrooms = announced_classrooms_of(student_id=attempt.student_id, quest_id=quest.id)
    posted = 0
    for classroom in classrooms:
        if not may_manage_classroom(staff=by, classroom=classroom):
            continue

        def compose(classroom: Classroom = classroom) -> str:
            text = _(
                "Reviews of “%(stage)s” of “%(quest)s” were posted for %(classroom)s.",
                stage=escaped(stage.title),
                quest=escaped(quest.title),
                classroom=escaped(classroom.name),
            )
            return with_link(text, "portal.stage", slug=quest.slug, position=stage.position)

        key = f"reviews:{stage.id}:{day.isoformat()}"
        posted += announce(classroom=classroom, key=key, compose=compose)
    return posted


# Sending (the job)


@undone_on_error
def send_slack_post(*, post_id: int) -> None:
    """Send a recorded post to its classroom's Slack (a job): mark it sent, or keep the error.

    Raises :class:`SlackNotDelivered` while another try is due, so that the queue tries it again
    later; the last try (or an answer no retry changes) marks the post failed, with the error.
    """
    # Claimed by counting the try: a post sent or given up meanwhile is left alone.
    claim = (
        update(SlackPost)
        .where(SlackPost.id == post_id, SlackPost.status == SlackPostStatus.QUEUED.value)
        .values(tries=SlackPost.tries + 1)
        .returning(SlackPost.tries, SlackPost.text, SlackPost.classroom_id)
    )
    claimed = db.session.execute(claim).one_or_none()
    if claimed is None:
        db.session.commit()
        return
    tries, text, classroom_id = claimed
    url = db.session.scalar(select(Classroom.slack_webhook_url).where(Classroom.id == classroom_id))
    # No transaction stays open while Slack answers.
    db.session.commit()
    if url:
        failure = post_to_slack(url, text, timeout=current_app.config["SLACK_TIMEOUT_SECONDS"])
    else:
        failure = SendFailure("The classroom has no Slack webhook URL any more.", final=True)
    last_try = tries >= len(current_app.config["SLACK_RETRY_DELAYS"]) + 1
    if failure is None:
        values: dict[str, Any] = {
            "status": SlackPostStatus.SENT.value,
            "sent_at": utcnow(),
            "last_error": "",
        }
    elif failure.final or last_try:
        values = {"status": SlackPostStatus.FAILED.value, "last_error": failure.error}
    else:
        values = {"last_error": failure.error}
    db.session.execute(update(SlackPost).where(SlackPost.id == post_id).values(**values))
    db.session.commit()
    if failure is not None:
        logger.warning(
            "Slack post %d of classroom %d: try %d failed: %s",
            post_id,
            classroom_id,
            tries,
            failure.error,
        )
        if "status" not in values:
            raise SlackNotDelivered(failure.error)


class RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """Never follow a redirect: a post goes to the checked webhook address or nowhere."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def post_to_slack(url: str, text: str, *, timeout: float) -> SendFailure | None:
    """POST ``{"text": text}`` to the webhook ``url``; None once Slack took it, else why not.

    ``timeout`` bounds connecting and each wait for the answer. The error never names the URL.
    """
    if webhook_url_problem(url):
        return SendFailure("The webhook URL is not one of Slack's any more.", final=True)
    body = json.dumps({"text": text}).encode()
    request = urllib.request.Request(  # noqa: S310 (checked above: an allowed origin)
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    opener = urllib.request.build_opener(RefuseRedirects)
    try:
        with opener.open(request, timeout=timeout) as answer:
            answer.read(ANSWER_BYTES)
        return None
    except urllib.error.HTTPError as error:
        said = error.read(ANSWER_BYTES).decode("utf-8", "replace").strip()
        error.close()
        message = f"Slack answered {error.code}" + (f": {said}" if said else "")
        return SendFailure(without(url, message), final=error.code in FINAL_STATUSES)
    except urllib.error.URLError as error:
        reason = error.reason
        if isinstance(reason, TimeoutError):
            return SendFailure(f"No answer within {timeout:g} s.")
        return SendFailure(without(url, f"Could not reach Slack: {reason}"))
    except TimeoutError:
        return SendFailure(f"No answer within {timeout:g} s.")
    except (OSError, HTTPException) as error:
        return SendFailure(without(url, f"Could not reach Slack: {error}"))


def without(url: str, message: str) -> str:
    """``message`` with any mention of the secret ``url`` taken out."""
    return message.replace(url, "[webhook URL]")


@undone_on_error
def resend_slack_posts(*, classroom_id: int | None = None, now: datetime | None = None) -> int:
    """Send again the posts that failed, and those queued for over an hour (their job was
    lost), each with its tries counted afresh; returns how many were queued."""
    now = now or utcnow()
    post_ids = slack_posts_to_resend(queued_before=now - LOST_AFTER, classroom_id=classroom_id)
    if post_ids:
        db.session.execute(
            update(SlackPost)
            .where(SlackPost.id.in_(post_ids))
            .values(status=SlackPostStatus.QUEUED.value, tries=0)
        )
    db.session.commit()
    for post_id in post_ids:
        queue_post(post_id)
    return len(post_ids)


# Writing for Slack


def escaped(value: str) -> str:
    """``value`` as Slack shows it literally: its three control characters escaped, so that a
    title cannot mention @channel or make a link."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def school_zone() -> ZoneInfo:
    """The school's time zone: a class's channel is read by the whole class."""
    return ZoneInfo(current_app.config["SCHOOL_TIME_ZONE"])


def school_moment(value: datetime) -> str:
    """``value`` on the school's clock, to the minute, in the current language."""
    locale = get_locale() or Locale.parse(current_app.config["BABEL_DEFAULT_LOCALE"])
    formatted: str = format_datetime(
        value, moment_pattern(locale), tzinfo=school_zone(), locale=locale
    )
    return formatted


def platform_link(endpoint: str, **values: Any) -> str | None:
    """The full address of a page of the platform: under EXTERNAL_URL if set, else under the
    address of the request being served; None from the command line without EXTERNAL_URL."""
    external = current_app.config.get("EXTERNAL_URL")
    if external:
        parts = urlsplit(external)
        adapter = current_app.url_map.bind(
            parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme
        )
        link: str = adapter.build(endpoint, values, force_external=True)
        return link
    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    return None


def with_link(text: str, endpoint: str, **values: Any) -> str:
    """``text``, then on a line of its own the address of the page it is about, if known."""
    link = platform_link(endpoint, **values)
    return f"{text}\n<{link}>" if link else text
