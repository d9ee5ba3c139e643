"""Reading feedback conversations: who may take part in one, its messages as each person sees
them, and what is unread.

Every attempt has one conversation. Who may read and write it is decided by
:func:`participant_rule` alone (the attempt's student, their teachers, administrators); the
other functions here build on it, so that a new kind of participant (peer reviewers) is one
more clause there.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext
from markupsafe import Markup
from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    and_,
    case,
    exists,
    func,
    or_,
    select,
    union,
)
from sqlalchemy.orm import joinedload

from quest_platform.extensions import db
from quest_platform.models import (
    Attempt,
    AttemptMessage,
    Enrollment,
    PeerReviewAssignment,
    Quest,
    QuestAssignment,
    QuestStatus,
    Review,
    ThreadRead,
    User,
)
from quest_platform.queries.attempts import latest_review_id, taught_by
from quest_platform.queries.classrooms import classrooms_taught_by, enrolled_in

# The Messages page lists at most this many conversations (those with unread messages first).
THREADS_LISTED = 200


class AuthorRole(enum.StrEnum):
    """What the author of a message is to the attempt's student, for a label beside their name."""

    STUDENT = "student"
    TEACHER = "teacher"
    # A student given the attempt to review (services/peer_review.py).
    PEER_REVIEWER = "peer_reviewer"


@dataclass(frozen=True)
class ThreadMessage:
    """One message as a reader sees it.

    ``body`` and ``body_html`` are None when the message is hidden from this reader (a teacher
    hid it and the reader does not moderate the conversation); ``unread``: written by someone
    else, not hidden, and newer than what the reader had read before this page.
    """

    id: int
    attempt_id: int
    author_id: int | None
    # None for a deleted account.
    author_name: str | None
    author_role: str
    own: bool
    created_at: datetime
    hidden: bool
    body: str | None
    body_html: Markup | None
    unread: bool


@dataclass(frozen=True)
class Thread:
    """The conversation about an attempt as one reader sees it, oldest message first.

    ``read_up_to`` is the id of the last message the reader had read before (0: none);
    ``moderated_by_viewer``: the reader is a teacher (or an administrator) of the student, who
    sees hidden messages and may hide or show any message.
    """

    attempt: Attempt
    messages: tuple[ThreadMessage, ...]
    read_up_to: int
    moderated_by_viewer: bool

    @property
    def last_message_id(self) -> int:
        """The id of the newest message (0 when there is none)."""
        return self.messages[-1].id if self.messages else 0

    @property
    def unread(self) -> int:
        """How many of the messages are unread by the reader."""
        return sum(message.unread for message in self.messages)

    @property
    def news(self) -> bool:
        """Whether a message came after what the reader had read (their own or hidden too)."""
        return self.last_message_id > self.read_up_to


@dataclass(frozen=True)
class ThreadCount:
    """How many messages a conversation holds, and how many of them are unread by a reader."""

    messages: int
    unread: int


@dataclass(frozen=True)
class ThreadSummary:
    """A conversation in a list: its attempt (with quest, stage and student), its messages,
    how many the reader has not read, and when the last one was written."""

    attempt: Attempt
    messages: int
    unread: int
    last_message_at: datetime


def participant_rule(user: User) -> ColumnElement[bool] | None:
    """The one rule of who may read and write the conversation about an attempt, as a condition
    on :class:`Attempt` (None: every attempt, for an administrator).

    The attempt's student; a teacher of a classroom the student is enrolled in that was given
    the attempt's quest (as the admin's attempts list scopes them); any administrator; a
    student given the attempt to review (a peer reviewer, docs/peer-review.md).
    """
    if user.is_admin:
        return None
    if user.is_staff:
        return taught_by(user.id)
    reviewing = select(PeerReviewAssignment.attempt_id).where(
        PeerReviewAssignment.reviewer_id == user.id
    )
    return or_(Attempt.student_id == user.id, Attempt.id.in_(reviewing))


def may_take_part(user: User, attempt: Attempt) -> bool:
    """Whether ``user`` may read and write the conversation about ``attempt``."""
    rule = participant_rule(user)
    if rule is None:
        return True
    return bool(db.session.scalar(select(exists().where(Attempt.id == attempt.id, rule))))


def may_moderate(user: User, attempt: Attempt) -> bool:
    """Whether ``user`` may hide and show messages about ``attempt``: a teacher (or an
    administrator) who takes part in its conversation."""
    return user.is_staff and may_take_part(user, attempt)


def thread_attempt(*, viewer: User, attempt_id: int) -> Attempt | None:
    """The attempt ``attempt_id`` if ``viewer`` may take part in its conversation, else None
    (whether it exists or not), with its quest, stage and student."""
    query = (
        select(Attempt)
        .where(Attempt.id == attempt_id)
        .options(joinedload(Attempt.quest), joinedload(Attempt.stage), joinedload(Attempt.student))
    )
    rule = participant_rule(viewer)
    if rule is not None:
        query = query.where(rule)
    return db.session.scalar(query)


def message_in_reach(*, viewer: User, message_id: int) -> AttemptMessage | None:
    """The message ``message_id`` if ``viewer`` may take part in its conversation, else None."""
    query = (
        select(AttemptMessage)
        .join(Attempt, Attempt.id == AttemptMessage.attempt_id)
        .where(AttemptMessage.id == message_id)
        .options(joinedload(AttemptMessage.attempt))
    )
    rule = participant_rule(viewer)
    if rule is not None:
        query = query.where(rule)
    return db.session.scalar(query)


def read_mark(*, user: User, attempt_id: int) -> int:
    """The id of the last message ``user`` read about the attempt (0: none)."""
    query = select(ThreadRead.last_read_message_id).where(
        ThreadRead.user_id == user.id, ThreadRead.attempt_id == attempt_id
    )
    return db.session.scalar(query) or 0


def peer_reviewers_of(attempt: Attempt) -> frozenset[int]:
    """The ids of the students given ``attempt`` to review."""
    query = select(PeerReviewAssignment.reviewer_id).where(
        PeerReviewAssignment.attempt_id == attempt.id, PeerReviewAssignment.by_teacher.is_(False)
    )
    return frozenset(db.session.scalars(query))


def author_role(
    message: AttemptMessage, attempt: Attempt, reviewers: frozenset[int] = frozenset()
) -> str:
    """What the author of ``message`` is to the student of ``attempt`` ("" when unknown);
    ``reviewers``: the ids of its peer reviewers."""
    if message.author is None:
        return ""
    if message.author_id == attempt.student_id:
        return AuthorRole.STUDENT.value
    if message.author.is_staff:
        return AuthorRole.TEACHER.value
    return AuthorRole.PEER_REVIEWER.value if message.author_id in reviewers else ""


def author_name_seen(
    message: AttemptMessage, *, attempt: Attempt, viewer: User, reviewers: frozenset[int]
) -> str | None:
    """The author's name as ``viewer`` reads it: on a stage whose peer reviews are anonymous,
    a student reads "Peer reviewer" for a reviewer, and a reviewer "The author" for the
    attempt's student; teachers read every name."""
    if message.author is None:
        return None
    anonymous = bool(reviewers) and not viewer.is_staff and attempt.stage.peer_review_anonymous
    if anonymous and message.author_id != viewer.id:
        if message.author_id in reviewers:
            return gettext("Peer reviewer")
        if message.author_id == attempt.student_id and viewer.id in reviewers:
            return gettext("The author")
    return message.author.display_name


def message_seen(
    message: AttemptMessage,
    *,
    attempt: Attempt,
    viewer: User,
    read_up_to: int = 0,
    reviewers: frozenset[int] | None = None,
) -> ThreadMessage:
    """``message`` (about ``attempt``) as ``viewer`` sees it: a hidden message's text only for
    those who moderate; unread when newer than ``read_up_to``; ``reviewers``: the attempt's
    peer reviewers (read here when not given)."""
    hidden = message.hidden_at is not None
    shown = viewer.is_staff or not hidden
    own = message.author_id == viewer.id
    if reviewers is None:
        reviewers = peer_reviewers_of(attempt)
    return ThreadMessage(
        id=message.id,
        attempt_id=message.attempt_id,
        author_id=message.author_id,
        author_name=author_name_seen(message, attempt=attempt, viewer=viewer, reviewers=reviewers),
        author_role=author_role(message, attempt, reviewers),
        own=own,
        created_at=message.created_at,
        hidden=hidden,
        body=message.body if shown else None,
        # Rendered and sanitized when the message was written (services/feedback.py).
        body_html=Markup(message.body_html) if shown else None,  # noqa: S704
        unread=not own and not hidden and message.id > read_up_to,
    )


def thread_of(attempt: Attempt, viewer: User) -> Thread:
    """The messages about ``attempt`` in the order they were written, with their authors, as
    ``viewer`` sees them (see :func:`message_seen`).

    The caller has checked that ``viewer`` may take part (:func:`may_take_part`); those who
    moderate are its teachers and administrators.
    """
    query = (
        select(AttemptMessage)
        .where(AttemptMessage.attempt_id == attempt.id)
        .options(joinedload(AttemptMessage.author))
        .order_by(AttemptMessage.id)
    )
    read_up_to = read_mark(user=viewer, attempt_id=attempt.id)
    reviewers = peer_reviewers_of(attempt)
    messages = tuple(
        message_seen(
            message, attempt=attempt, viewer=viewer, read_up_to=read_up_to, reviewers=reviewers
        )
        for message in db.session.scalars(query)
    )
    return Thread(
        attempt=attempt,
        messages=messages,
        read_up_to=read_up_to,
        moderated_by_viewer=viewer.is_staff,
    )


def taught_attempt_ids(teacher_id: int) -> Select[int]:
    """The ids of the attempts whose conversations a teacher takes part in."""
    # Naming the teacher's students lets the database read just their attempts (by the
    # student's index) instead of testing every attempt of the school against the rule.
    students = enrolled_in(classrooms_taught_by(teacher_id))
    return select(Attempt.id).where(Attempt.student_id.in_(students), taught_by(teacher_id))


def followed_attempt_ids(user: User) -> Select[int] | CompoundSelect[int]:
    """The ids of the attempts whose conversations count for ``user``'s unread messages and
    Messages page: every one they may take part in. An administrator, who may open any, follows
    those of their own classes and those they joined (wrote in, or read once it had messages).
    """
    rule = participant_rule(user)
    if rule is not None:
        if user.is_staff:
            return taught_attempt_ids(user.id)
        return select(Attempt.id).where(rule)
    joined = select(ThreadRead.attempt_id).where(ThreadRead.user_id == user.id)
    return union(joined, taught_attempt_ids(user.id))


def read_mark_join(user: User) -> ColumnElement[bool]:
    """Join each message to ``user``'s read mark in its conversation (none: nothing read)."""
    return and_(ThreadRead.attempt_id == AttemptMessage.attempt_id, ThreadRead.user_id == user.id)


def unread_by(user: User) -> ColumnElement[bool]:
    """Messages ``user`` has not read: by someone else, not hidden, after their read mark."""
    return and_(
        AttemptMessage.hidden_at.is_(None),
        or_(AttemptMessage.author_id.is_(None), AttemptMessage.author_id != user.id),
        AttemptMessage.id > func.coalesce(ThreadRead.last_read_message_id, 0),
    )


def unread_count(user: User) -> int:
    """How many messages ``user`` has not read, in every conversation they follow.

    One aggregate query (it runs on every page, for the navigation): the followed attempts'
    messages are found by the ``ix_attempt_message_attempt_id`` index and each one's read mark
    by ``thread_read``'s primary key.
    """
    query = (
        select(func.count())
        .select_from(AttemptMessage)
        .outerjoin(ThreadRead, read_mark_join(user))
        .where(AttemptMessage.attempt_id.in_(followed_attempt_ids(user)), unread_by(user))
    )
    return db.session.scalar(query) or 0


def unread_column(user: User) -> ColumnElement[int]:
    """SQL: how many of a conversation's messages (grouped by attempt) ``user`` has not read."""
    return func.coalesce(func.sum(case((unread_by(user), 1), else_=0)), 0)


def thread_counts(attempt_ids: Sequence[int], *, viewer: User) -> dict[int, ThreadCount]:
    """The number of messages and of unread ones in each conversation of ``attempt_ids`` that
    has messages, by attempt id, in one query."""
    if not attempt_ids:
        return {}
    query = (
        select(AttemptMessage.attempt_id, func.count(), unread_column(viewer))
        .outerjoin(ThreadRead, read_mark_join(viewer))
        .where(AttemptMessage.attempt_id.in_(attempt_ids))
        .group_by(AttemptMessage.attempt_id)
    )
    return {
        attempt_id: ThreadCount(messages=count, unread=unread)
        for attempt_id, count, unread in db.session.execute(query)
    }


def unread_threads(user: User, *, limit: int = THREADS_LISTED) -> list[ThreadSummary]:
    """``user``'s conversations for the Messages page: those with unread messages first, then
    the most recently written to; each with its attempt, quest, stage and student.

    Two queries: the conversations with their counts, then their attempts.
    """
    unread = unread_column(user).label("unread")
    last_at = func.max(AttemptMessage.created_at).label("last_at")
    query = (
        select(AttemptMessage.attempt_id, func.count(), unread, last_at)
        .outerjoin(ThreadRead, read_mark_join(user))
        .where(AttemptMessage.attempt_id.in_(followed_attempt_ids(user)))
        .group_by(AttemptMessage.attempt_id)
        .order_by(case((unread > 0, 0), else_=1), last_at.desc(), AttemptMessage.attempt_id.desc())
        .limit(limit)
    )
    rows = db.session.execute(query).all()
    attempts = {
        attempt.id: attempt
        for attempt in db.session.scalars(
            select(Attempt)
            .where(Attempt.id.in_([row[0] for row in rows]))
            .options(
                joinedload(Attempt.quest), joinedload(Attempt.stage), joinedload(Attempt.student)
            )
        )
    }
    return [
        ThreadSummary(
            attempt=attempts[attempt_id], messages=count, unread=unread, last_message_at=last
        )
        for attempt_id, count, unread, last in rows
    ]


def kept_text(body: str) -> str:
    """A message's text as it is kept: line endings as browsers count them (one character),
    without surrounding space."""
    return body.replace("\r\n", "\n").replace("\r", "\n").strip()


def feedback_in_thread(review: Review) -> bool:
    """Whether ``review``'s feedback was posted in the conversation about its attempt (reviews
    post it there since conversations began; older ones keep it on the review alone)."""
    if not review.reason:
        return False
    query = select(
        exists().where(
            AttemptMessage.attempt_id == review.attempt_id,
            AttemptMessage.author_id == review.reviewer_id,
            AttemptMessage.body == kept_text(review.reason),
        )
    )
    return bool(db.session.scalar(query))


def resubmissions_asked(*, student: User) -> list[Attempt]:
    """``student``'s latest attempts whose teacher asked for the work again, at stages of quests
    still given to them, newest first, with quest and stage: once the student hands in again,
    the newer attempt takes the stage off this list."""
    latest_at_stage = (
        select(func.max(Attempt.id))
        .where(Attempt.student_id == student.id)
        .group_by(Attempt.stage_id)
    )
    given = (
        select(QuestAssignment.quest_id)
        .join(Enrollment, Enrollment.classroom_id == QuestAssignment.classroom_id)
        .where(Enrollment.student_id == student.id)
    )
    query = (
        select(Attempt)
        .join(Review, Review.id == latest_review_id())
        .join(Quest, Quest.id == Attempt.quest_id)
        .where(
            Attempt.student_id == student.id,
            Attempt.id.in_(latest_at_stage),
            Attempt.quest_id.in_(given),
            Quest.status != QuestStatus.DRAFT.value,
            Review.resubmit_requested.is_(True),
        )
        .options(joinedload(Attempt.quest), joinedload(Attempt.stage))
        .order_by(Review.id.desc())
    )
    return list(db.session.scalars(query))
