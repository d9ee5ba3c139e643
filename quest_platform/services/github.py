"""GitHub: students' linked logins, a classroom's webhook secret, and the deliveries GitHub sends
to that webhook, which hand in students' pull requests as checkpoint evidence.

A delivery is recorded once, by its id (GitHub's X-GitHub-Delivery): a second one with the same
id is refused (ReplayedDelivery, 409) and nothing is written. What the platform did with each
delivery is kept in its row's ``outcome``: "ping", "recorded" or "ignored", then why, in the
classroom's language, as the answer to GitHub says it ("ignored: The pull request was closed
without being merged."). Answers reach whoever administers the repository: they name the pull
request and the checkpoint, never a student.

A pull request counts when it is opened, and when it is merged (closed with ``merged``); its
author must be a student of the classroom who linked that GitHub login, and its title or
description must name a checkpoint of a quest given to the classroom, as ``checkpoint-<stage
id>`` (the checkpoint's page shows the tag). Its address is then handed in as the student's
link evidence through ``submit_attempt``, like a portal submission: an attempt waiting for
review, in the transaction that records the delivery. The attempt's submission key is made of
the student, the checkpoint, the pull request and the action, so one pull request opened (or
merged) is handed in once, however many deliveries tell of it. A merge after an opening counts
only where the student may hand the checkpoint in again (the teacher sent it back); otherwise
the checkpoint refuses it, as it would refuse the student, and the delivery is kept as ignored.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from quest_platform.extensions import db
from quest_platform.github_links import (
    LOGIN,
    MAX_LOGIN_LENGTH,
    EvidenceLink,
    LinkKind,
    evidence_link,
    is_github_login,
)
from quest_platform.i18n import format_locale
from quest_platform.models import Classroom, GithubDelivery, Stage, User
from quest_platform.queries.github import (
    checkpoint_given_to,
    delivery_recorded,
    github_username_taken,
    linked_student,
)
from quest_platform.services.accounts import may_manage_student
from quest_platform.services.attempts import attempt_with_key, submit_attempt
from quest_platform.services.audit import record_change, snapshot
from quest_platform.services.classrooms import may_manage_classroom
from quest_platform.services.errors import Conflict, NotAllowed, ServiceError, undone_on_error

# A profile address given for a login (https://github.com/octocat) counts as the login.
PROFILE_ADDRESS = re.compile(rf"(?:https?://)?(?:www\.)?github\.com/({LOGIN})/?", re.IGNORECASE)
# Bytes of randomness in a webhook secret (token_urlsafe writes 32 bytes as 43 characters).
SECRET_BYTES = 32
# GitHub signs a delivery's body with HMAC-SHA256 of the secret, sent as "sha256=<hex>".
SIGNATURE_PREFIX = "sha256="
# A delivery to a classroom without a secret is checked against this one, which nobody knows:
# its answer, and the time it takes, are those of a wrong signature.
STAND_IN_SECRET = secrets.token_urlsafe(SECRET_BYTES)
# GitHub's delivery ids are GUIDs; event and action names are lower-case words.
DELIVERY_ID = re.compile(r"[A-Za-z0-9-]{1,64}")
EVENT_NAME = re.compile(r"[a-z_]{1,40}")
# How a pull request names the checkpoint it is evidence for: "checkpoint-12", any capitals, not
# inside a longer word ("precheckpoint-12" and "checkpoint-12a" name none).
CHECKPOINT_TAG = re.compile(r"(?<![\w-])checkpoint-([0-9]{1,12})(?![\w-])", re.IGNORECASE)
RECORDED_ACTIONS = frozenset({"opened", "closed"})


# Linking a GitHub login


def checked_github_username(text: str) -> str | None:
    """The GitHub login ``text`` gives, in lower case (GitHub's logins ignore capitals), or None
    for an empty one (the link is removed).

    A leading "@" and a profile's address are taken for the login. Refused (ServiceError on
    ``github_username``) unless it has the shape of a login: 1 to 39 letters, digits and single
    hyphens, neither first nor last.
    """
    login = text.strip().removeprefix("@")
    if profile := PROFILE_ADDRESS.fullmatch(login):
        login = profile.group(1)
    if not login:
        return None
    if len(login) > MAX_LOGIN_LENGTH or not is_github_login(login):
        raise ServiceError(
            _(
                "A GitHub username has 1 to 39 letters, digits or single hyphens, and does not"
                " start or end with a hyphen."
            ),
            field="github_username",
        )
    return login.lower()


@undone_on_error
def link_github_username(*, user: User, github_username: str, by: User) -> User:
    """Link ``user``'s GitHub login (``github_username``; empty to remove it), audited.

    A student links their own; a teacher their students', an administrator anyone's. Only
    students link one (their pull requests are evidence). A login another account linked, in
    any capitals, is refused (Conflict), also when two accounts link it at the same moment.
    """
    if not user.is_student:
        raise NotAllowed(_("Only students link a GitHub username."))
    if by.id != user.id and not may_manage_student(staff=by, student=user):
        raise NotAllowed(_("You can only change accounts of students in your classrooms."))
    login = checked_github_username(github_username)
    taken = Conflict(
        _(
            "Another account has linked this GitHub username. Check the spelling, or ask your"
            " teacher."
        ),
        field="github_username",
    )
    if login is not None and github_username_taken(login, except_user=user):
        raise taken
    if login == user.github_username:
        return user
    before = snapshot(user)
    user.github_username = login
    try:
        record_change(actor=by, action="update", record=user, before=before)
        db.session.commit()
    except IntegrityError:
        # Linked by someone else since the check: the unique constraint had the last word.
        db.session.rollback()
        raise taken from None
    return user


# A classroom's webhook secret


@undone_on_error
def turn_on_github_webhook(*, classroom: Classroom, by: User) -> str:
    """Give ``classroom`` a new webhook secret and return it, to be shown once and never again.

    Turns the webhook on, or replaces its secret (the old one stops working at once). Audited
    without the secret: the log says only that a new one was made.
    """
    if not may_manage_classroom(staff=by, classroom=classroom):
        raise NotAllowed(_("You can only change your own classrooms."))
    before = {**snapshot(classroom), "github_webhook": webhook_state(classroom)}
    secret = secrets.token_urlsafe(SECRET_BYTES)
    classroom.github_webhook_secret = secret
    after = {**snapshot(classroom), "github_webhook": "on, with a new secret"}
    record_change(actor=by, action="update", record=classroom, before=before, after=after)
    db.session.commit()
    return secret


@undone_on_error
def turn_off_github_webhook(*, classroom: Classroom, by: User) -> None:
    """Forget ``classroom``'s webhook secret: deliveries to it are refused from now on."""
    if not may_manage_classroom(staff=by, classroom=classroom):
        raise NotAllowed(_("You can only change your own classrooms."))
    if classroom.github_webhook_secret is None:
        return
    before = {**snapshot(classroom), "github_webhook": webhook_state(classroom)}
    classroom.github_webhook_secret = None
    after = {**snapshot(classroom), "github_webhook": webhook_state(classroom)}
    record_change(actor=by, action="update", record=classroom, before=before, after=after)
    db.session.commit()


def webhook_state(classroom: Classroom) -> str:
    """Whether the classroom's webhook is on, for the audit log (never its secret)."""
    return "on" if classroom.github_webhook_secret else "off"


def signature_matches(*, secret: str | None, body: bytes, signature: str | None) -> bool:
    """Whether ``signature`` (X-Hub-Signature-256) is GitHub's signature of ``body`` with
    ``secret``: "sha256=" and the HMAC-SHA256 of the body, in hex. Never for a missing secret.

    Compared in constant time, and computed in full whatever is missing, so that the time an
    answer takes tells nothing about the secret or whether the classroom has one.
    """
    key = (secret or STAND_IN_SECRET).encode()
    expected = SIGNATURE_PREFIX + hmac.new(key, body, hashlib.sha256).hexdigest()
    given = (signature or "").strip().encode("utf-8", "replace")
    return hmac.compare_digest(expected.encode(), given) and secret is not None


# Deliveries


class ReplayedDelivery(Conflict):
    """A delivery whose id was already recorded: GitHub's redelivery, or a replay."""


class MalformedDelivery(ServiceError):
    """A delivery without what its event always has (an id, a pull request's author, ...)."""

    status_code = 400


class DeliveryStatus(enum.StrEnum):
    """What became of a delivery: the first word of its recorded ``outcome``."""

    PING = "ping"
    RECORDED = "recorded"
    IGNORED = "ignored"


@dataclass(frozen=True)
class DeliveryResult:
    """What became of a delivery, and why, in words; ``attempt_id`` for a pull request handed
    in."""

    status: DeliveryStatus
    message: str
    attempt_id: int | None = None

    @property
    def outcome(self) -> str:
        """The delivery's ``outcome`` as its row keeps it: "ignored: <why>"."""
        return f"{self.status.value}: {self.message}"


@dataclass(frozen=True)
class Delivery:
    """A delivery as it is recorded: for which classroom, its id, event and action."""

    classroom_id: int
    delivery_id: str
    event: str
    action: str = ""


@dataclass(frozen=True)
class PullRequest:
    """What a pull request's delivery tells: its address, author, whether it was merged, and
    the checkpoint its title or description names (None if none)."""

    link: EvidenceLink
    author: str
    merged: bool
    checkpoint_id: int | None


@undone_on_error
def receive_github_delivery(
    *, classroom: Classroom, delivery_id: str, event: str, payload: Any
) -> DeliveryResult:
    """Record a delivery GitHub sent ``classroom``'s webhook (its signature already checked),
    and hand in the pull request it tells of, where it counts (see the module's docstring).

    A ping is recorded; a pull request opened or merged, by a student of the classroom with that
    linked login, naming a checkpoint given to the classroom, becomes an attempt at it; anything
    else is recorded as ignored, with the reason. What became of it is said in the classroom's
    language, to GitHub and in the delivery's row. Refused with nothing written: a delivery id
    already recorded (ReplayedDelivery), and a delivery without an id, an event, or the fields
    its event always has (MalformedDelivery).
    """
    with force_locale(format_locale(classroom.language)):
        return received(classroom=classroom, delivery_id=delivery_id, event=event, payload=payload)


def received(*, classroom: Classroom, delivery_id: str, event: str, payload: Any) -> DeliveryResult:
    """See :func:`receive_github_delivery`."""
    if not isinstance(delivery_id, str) or not DELIVERY_ID.fullmatch(delivery_id):
        raise MalformedDelivery(_("The delivery has no X-GitHub-Delivery id."))
    if not isinstance(event, str) or not EVENT_NAME.fullmatch(event):
        raise MalformedDelivery(_("The delivery has no X-GitHub-Event name."))
    if not isinstance(payload, Mapping):
        raise MalformedDelivery(_("The delivery's body is not a JSON object."))
    delivery = Delivery(classroom_id=classroom.id, delivery_id=delivery_id, event=event)
    if delivery_recorded(delivery_id):
        raise replayed()
    if event == "ping":
        return kept(
            delivery,
            DeliveryResult(
                DeliveryStatus.PING, _("GitHub's ping: this classroom's webhook works.")
            ),
        )
    if event != "pull_request":
        message = _("Only pull request events are read, not “%(event)s”.", event=event)
        return kept(delivery, DeliveryResult(DeliveryStatus.IGNORED, message))
    action = payload.get("action")
    if not isinstance(action, str) or not EVENT_NAME.fullmatch(action):
        raise MalformedDelivery(_("The pull request event has no action."))
    delivery = Delivery(classroom.id, delivery_id, event, action)
    if action not in RECORDED_ACTIONS:
        message = _(
            "Only pull requests opened or merged are handed in, not “%(action)s”.", action=action
        )
        return kept(delivery, DeliveryResult(DeliveryStatus.IGNORED, message))
    pull = read_pull_request(payload)
    if action == "closed" and not pull.merged:
        message = _("The pull request was closed without being merged.")
        return kept(delivery, DeliveryResult(DeliveryStatus.IGNORED, message))
    return hand_in(delivery, pull)


def read_pull_request(payload: Mapping[str, Any]) -> PullRequest:
    """The pull request a ``pull_request`` event tells of; MalformedDelivery without the fields
    GitHub always sends (its ``html_url``, ``title``, author's ``login`` and ``merged``)."""
    pull = payload.get("pull_request")
    if not isinstance(pull, Mapping):
        raise MalformedDelivery(_("The delivery has no pull_request."))
    url, title, body = pull.get("html_url"), pull.get("title"), pull.get("body")
    author = pull.get("user")
    login = author.get("login") if isinstance(author, Mapping) else None
    merged = pull.get("merged")
    if not isinstance(url, str) or not isinstance(title, str) or not isinstance(login, str):
        raise MalformedDelivery(
            _("The pull request needs its html_url, its title and its author's login.")
        )
    if not (body is None or isinstance(body, str)) or not isinstance(merged, bool):
        raise MalformedDelivery(_("The pull request needs its body (or null) and merged fields."))
    try:
        link = evidence_link(url)
    except ValueError:
        link = None
    if link is None or link.kind != LinkKind.PULL_REQUEST:
        raise MalformedDelivery(_("The pull request's html_url is not a pull request's address."))
    return PullRequest(
        link=link, author=login, merged=merged, checkpoint_id=named_checkpoint(title, body or "")
    )


def named_checkpoint(title: str, body: str) -> int | None:
    """The stage id of the first ``checkpoint-<id>`` tag in the title, else in the body."""
    for text in (title, body):
        if tag := CHECKPOINT_TAG.search(text):
            return int(tag.group(1))
    return None


def hand_in(delivery: Delivery, pull: PullRequest) -> DeliveryResult:
    """Hand in ``pull`` as its author's evidence at the checkpoint it names, where it counts."""
    login = pull.author if is_github_login(pull.author) else None
    student = linked_student(classroom_id=delivery.classroom_id, login=login) if login else None
    if student is None:
        message = _(
            "No student of this classroom has linked the GitHub username “%(login)s”.",
            login=login or "?",
        )
        return kept(delivery, DeliveryResult(DeliveryStatus.IGNORED, message))
    if pull.checkpoint_id is None:
        message = _(
            "The pull request names no checkpoint: write the tag the checkpoint's page shows,"
            " such as checkpoint-12, in its title or description."
        )
        return kept(delivery, DeliveryResult(DeliveryStatus.IGNORED, message))
    stage = checkpoint_given_to(classroom_id=delivery.classroom_id, stage_id=pull.checkpoint_id)
    if stage is None:
        message = _(
            "checkpoint-%(number)d is not a checkpoint of a quest given to this classroom.",
            number=pull.checkpoint_id,
        )
        return kept(delivery, DeliveryResult(DeliveryStatus.IGNORED, message))
    return record_evidence(delivery, pull, student=student, stage=stage)


def record_evidence(
    delivery: Delivery, pull: PullRequest, *, student: User, stage: Stage
) -> DeliveryResult:
    """Record the delivery and the student's attempt at ``stage`` with the pull request's
    address as its link evidence, in one transaction (``submit_attempt`` commits both)."""
    key = evidence_key(student=student, stage=stage, link=pull.link, action=delivery.action)
    if attempt_with_key(key) is not None:
        return kept(delivery, already_handed_in(pull))
    # Said to GitHub too, where whoever administers the repository reads it: no student's name.
    handed_in = DeliveryResult(
        DeliveryStatus.RECORDED,
        _(
            "Pull request #%(number)s in %(repository)s is handed in for the checkpoint"
            " “%(title)s”, waiting for review.",
            number=pull.link.ref,
            repository=pull.link.full_name,
            title=stage.title,
        ),
    )
    row = delivery_row(delivery, handed_in.outcome)
    try:
        # Written first: of a delivery sent twice at once, the second stops here, at its id.
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        if delivery_recorded(delivery.delivery_id):
            raise replayed() from None
        raise
    try:
        attempt = submit_attempt(
            student=student,
            quest=stage.quest,
            stage=stage,
            answer={"evidence": "", "links": [pull.link.url]},
            submission_key=key,
        )
    except ServiceError as error:
        # submit_attempt undid its transaction, the delivery's row with it: kept now, ignored.
        message = _(
            "The checkpoint did not take this pull request: %(reason)s", reason=error.message
        )
        return kept(delivery, DeliveryResult(DeliveryStatus.IGNORED, message))
    if not inspect(row).persistent:
        # Another delivery handed in the same pull request meanwhile: submit_attempt gave back
        # that attempt, and undid this transaction.
        return kept(delivery, already_handed_in(pull))
    return replace(handed_in, attempt_id=attempt.id)


def already_handed_in(pull: PullRequest) -> DeliveryResult:
    """A pull request handed in before, for the same action: ignored this time."""
    message = _(
        "Pull request #%(number)s was already handed in for this checkpoint.",
        number=pull.link.ref,
    )
    return DeliveryResult(DeliveryStatus.IGNORED, message)


def evidence_key(*, student: User, stage: Stage, link: EvidenceLink, action: str) -> str:
    """The submission key of a pull request handed in: one per student, checkpoint, pull
    request and action."""
    named = f"{student.id}:{stage.id}:{link.url.lower()}:{action}"
    return "github-" + hashlib.sha256(named.encode()).hexdigest()[:56]


def delivery_row(delivery: Delivery, outcome: str) -> GithubDelivery:
    """The row recording ``delivery``, added to the session."""
    row = GithubDelivery(
        classroom_id=delivery.classroom_id,
        delivery_id=delivery.delivery_id,
        event=delivery.event,
        action=delivery.action,
        outcome=outcome,
    )
    db.session.add(row)
    return row


@undone_on_error
def kept(delivery: Delivery, result: DeliveryResult) -> DeliveryResult:
    """Record ``delivery`` with what became of it, commit, and return ``result``;
    ReplayedDelivery if its id was recorded meanwhile."""
    delivery_row(delivery, result.outcome)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        if delivery_recorded(delivery.delivery_id):
            raise replayed() from None
        raise
    return result


def replayed() -> ReplayedDelivery:
    """The refusal of a delivery whose id was already recorded."""
    return ReplayedDelivery(
        _("Replayed delivery: a delivery with this X-GitHub-Delivery id was already received.")
    )
