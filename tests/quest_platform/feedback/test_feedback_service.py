"""Feedback conversations, the services and queries: who takes part, what a message may be and
how it is rendered, hiding and showing, unread counts and read marks, resubmissions asked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from helpers import at_once
from sqlalchemy import event, func, select

from quest_platform.extensions import db
from quest_platform.models import (
    MAX_MESSAGE_LENGTH,
    Attempt,
    AttemptMessage,
    AuditEntry,
    Outcome,
    Review,
    ThreadRead,
    User,
    utcnow,
)
from quest_platform.queries.feedback import (
    feedback_in_thread,
    may_take_part,
    resubmissions_asked,
    thread_counts,
    thread_of,
    unread_count,
    unread_threads,
)
from quest_platform.services.errors import NotAllowed, NotFound, ServiceError
from quest_platform.services.feedback import (
    hide_message,
    mark_thread_read,
    post_message,
    show_message,
)
from quest_platform.services.reviews import review_attempt


def message_count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(AttemptMessage))


def read_mark_of(user: User, attempt: Attempt) -> int | None:
    db.session.rollback()
    return db.session.scalar(
        select(ThreadRead.last_read_message_id).where(
            ThreadRead.user_id == user.id, ThreadRead.attempt_id == attempt.id
        )
    )


def statements_during(call) -> list[str]:
    statements: list[str] = []

    def note(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        call()
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    return statements


# Who takes part


def test_the_student_their_teacher_and_admins_take_part(school) -> None:
    attempt = school.attempt
    assert may_take_part(school.student, attempt)
    assert may_take_part(school.teacher, attempt)
    assert may_take_part(school.admin, attempt)
    assert not may_take_part(school.other_student, attempt)
    assert not may_take_part(school.other_teacher, attempt)


def test_a_teacher_of_the_student_takes_part_only_on_quests_their_class_was_given(
    make, school
) -> None:
    # The student is in a second class too, whose teacher did not give this quest.
    second_teacher = make.teacher()
    make.classroom(teachers=[second_teacher], students=[school.student])
    assert not may_take_part(second_teacher, school.attempt)
    with pytest.raises(NotFound):
        post_message(attempt=school.attempt, author=second_teacher, body="Hello")


@pytest.mark.parametrize("outsider", ["other_student", "other_teacher"])
def test_outsiders_are_told_there_is_no_conversation(school, outsider: str) -> None:
    with pytest.raises(NotFound) as refused:
        post_message(attempt=school.attempt, author=getattr(school, outsider), body="Hi there")
    assert refused.value.status_code == 404
    assert message_count() == 0
    with pytest.raises(NotFound):
        mark_thread_read(attempt=school.attempt, reader=getattr(school, outsider))


# What a message may be


def test_a_message_is_trimmed_rendered_and_read_by_its_author(school) -> None:
    message = post_message(
        attempt=school.attempt, author=school.student, body="  Is **this** right?\r\n\r\n- a\n"
    )
    assert message.body == "Is **this** right?\n\n- a"
    assert "<strong>this</strong>" in message.body_html
    assert "<li>a</li>" in message.body_html
    assert read_mark_of(school.student, school.attempt) == message.id


@pytest.mark.parametrize("body", ["", "   ", "\n\t\r\n "])
def test_an_empty_message_is_refused_with_nothing_written(school, body: str) -> None:
    with pytest.raises(ServiceError) as refused:
        post_message(attempt=school.attempt, author=school.student, body=body)
    assert (refused.value.status_code, refused.value.field) == (422, "body")
    assert message_count() == 0


def test_an_oversized_message_is_refused_with_the_limit(school) -> None:
    with pytest.raises(ServiceError) as refused:
        post_message(
            attempt=school.attempt, author=school.teacher, body="x" * (MAX_MESSAGE_LENGTH + 1)
        )
    assert refused.value.status_code == 422
    assert "4,000" in refused.value.message
    assert "4,001" in refused.value.message
    assert message_count() == 0
    assert read_mark_of(school.teacher, school.attempt) is None


def test_a_message_of_exactly_the_limit_is_kept_and_line_breaks_count_once(school) -> None:
    body = ("y" * 99 + "\r\n") * (MAX_MESSAGE_LENGTH // 100)
    message = post_message(attempt=school.attempt, author=school.student, body=body)
    assert len(message.body) == MAX_MESSAGE_LENGTH - 1


def test_scripts_never_survive_rendering(school, hostile: str, live_markup) -> None:
    message = post_message(attempt=school.attempt, author=school.student, body=hostile)
    assert message.body == hostile
    assert live_markup(message.body_html) == []
    assert "<script" not in message.body_html
    seen = thread_of(school.attempt, school.teacher).messages[0]
    assert live_markup(str(seen.body_html)) == []


def test_markdown_links_keep_their_safe_addresses(school) -> None:
    message = post_message(
        attempt=school.attempt, author=school.student, body="See [the docs](https://flask.dev/)"
    )
    assert '<a href="https://flask.dev/" rel="noopener noreferrer nofollow">' in message.body_html


# Hiding and showing


def test_a_teacher_hides_and_shows_a_message_audited_without_its_text(school) -> None:
    message = post_message(attempt=school.attempt, author=school.student, body="Unkind words")
    hide_message(message=message, by=school.teacher)
    assert message.hidden_at is not None
    assert message.hidden_by_id == school.teacher.id
    show_message(message=message, by=school.teacher)
    assert (message.hidden_at, message.hidden_by_id) == (None, None)
    entries = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.table_name == "attempt_message", AuditEntry.record_id == str(message.id))
        .order_by(AuditEntry.id)
    ).all()
    assert [entry.action for entry in entries] == ["hide", "show"]
    assert all(entry.actor_id == school.teacher.id for entry in entries)
    assert "Unkind" not in str([entry.before for entry in entries] + [e.after for e in entries])


def test_hiding_twice_changes_nothing(school) -> None:
    message = post_message(attempt=school.attempt, author=school.student, body="Twice")
    hide_message(message=message, by=school.admin)
    hidden_at = message.hidden_at
    hide_message(message=message, by=school.teacher)
    assert (message.hidden_at, message.hidden_by_id) == (hidden_at, school.admin.id)
    audits = db.session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "hide")
    )
    assert audits == 1


def test_only_teachers_of_the_student_hide_messages(school) -> None:
    message = post_message(attempt=school.attempt, author=school.teacher, body="Well done")
    with pytest.raises(NotAllowed):
        hide_message(message=message, by=school.student)
    with pytest.raises(NotFound):
        hide_message(message=message, by=school.other_teacher)
    with pytest.raises(NotFound):
        show_message(message=message, by=school.other_student)
    db.session.refresh(message)
    assert message.hidden_at is None


def test_hidden_messages_as_each_role_sees_them(school) -> None:
    message = post_message(attempt=school.attempt, author=school.student, body="Secret text")
    hide_message(message=message, by=school.teacher)
    for viewer in (school.student,):
        seen = thread_of(school.attempt, viewer).messages[0]
        assert seen.hidden
        assert (seen.body, seen.body_html) == (None, None)
    for viewer in (school.teacher, school.admin):
        seen = thread_of(school.attempt, viewer).messages[0]
        assert seen.hidden
        assert seen.body == "Secret text"
        assert "Secret text" in str(seen.body_html)


# Unread counts and read marks


def test_own_messages_are_never_unread_and_reading_clears_the_count(school) -> None:
    post_message(attempt=school.attempt, author=school.student, body="A question")
    assert unread_count(school.student) == 0
    assert unread_count(school.teacher) == 1
    assert unread_count(school.admin) == 0  # an admin follows what they joined
    assert unread_count(school.other_teacher) == 0
    reply = post_message(attempt=school.attempt, author=school.teacher, body="An answer")
    assert unread_count(school.teacher) == 0  # writing reads the conversation
    assert unread_count(school.student) == 1
    mark_thread_read(attempt=school.attempt, reader=school.student)
    assert unread_count(school.student) == 0
    assert read_mark_of(school.student, school.attempt) == reply.id


def test_hidden_messages_are_not_counted(school) -> None:
    message = post_message(attempt=school.attempt, author=school.teacher, body="Oops")
    assert unread_count(school.student) == 1
    hide_message(message=message, by=school.teacher)
    assert unread_count(school.student) == 0
    assert thread_counts([school.attempt.id], viewer=school.student)[school.attempt.id].unread == 0


def test_an_admin_follows_the_conversations_they_joined(school) -> None:
    post_message(attempt=school.attempt, author=school.student, body="First")
    mark_thread_read(attempt=school.attempt, reader=school.admin)
    post_message(attempt=school.attempt, author=school.teacher, body="Second")
    post_message(attempt=school.other_attempt, author=school.other_student, body="Elsewhere")
    assert unread_count(school.admin) == 1
    assert [summary.attempt.id for summary in unread_threads(school.admin)] == [school.attempt.id]


def test_the_read_mark_never_moves_backwards(school) -> None:
    first = post_message(attempt=school.attempt, author=school.teacher, body="One")
    second = post_message(attempt=school.attempt, author=school.teacher, body="Two")
    mark_thread_read(attempt=school.attempt, reader=school.student, up_to=second.id)
    mark_thread_read(attempt=school.attempt, reader=school.student, up_to=first.id)
    assert read_mark_of(school.student, school.attempt) == second.id
    # A mark beyond the newest message stops at it.
    mark_thread_read(attempt=school.attempt, reader=school.teacher, up_to=second.id + 50)
    assert read_mark_of(school.teacher, school.attempt) == second.id


def test_marking_an_empty_conversation_read_writes_nothing(school) -> None:
    mark_thread_read(attempt=school.attempt, reader=school.student)
    assert read_mark_of(school.student, school.attempt) is None


def test_twenty_read_marks_at_once_end_at_the_newest(app: Flask, school) -> None:
    messages = [
        post_message(attempt=school.attempt, author=school.teacher, body=f"Note {n}")
        for n in range(5)
    ]
    ids = [message.id for message in messages]
    attempt_id, student_id = school.attempt.id, school.student.id
    turns = iter(range(1000))

    def read() -> None:
        # Pages shown at different moments: each marks up to the newest message it showed.
        up_to = ids[next(turns) % len(ids)]
        mark_thread_read(
            attempt=db.session.get(Attempt, attempt_id),
            reader=db.session.get(User, student_id),
            up_to=up_to,
        )

    outcomes = at_once(app, read)
    assert outcomes == {"ok": 20}
    db.session.rollback()
    marks = db.session.scalars(
        select(ThreadRead.last_read_message_id).where(ThreadRead.user_id == student_id)
    ).all()
    assert marks == [ids[-1]]
    assert unread_count(db.session.get(User, student_id)) == 0


def test_the_unread_count_is_one_query_over_hundreds_of_attempts(make, school) -> None:
    """The navigation asks on every page: one aggregate, whatever the number of threads."""
    stage = next(stage for stage in school.quest.stages if stage.position == 3)
    now = utcnow()
    attempts = [
        Attempt(
            student_id=student.id,
            quest_id=school.quest.id,
            stage_id=stage.id,
            started_at=now - timedelta(minutes=5),
            submitted_at=now,
            answer={},
            score=None,
            max_score=float(stage.points),
            outcome=Outcome.PENDING_REVIEW.value,
        )
        for student in (school.student, school.other_student)
        for _ in range(150)
    ]
    db.session.add_all(attempts)
    db.session.flush()
    db.session.add_all(
        AttemptMessage(
            attempt_id=attempt.id,
            author_id=school.teacher.id if n % 2 else attempt.student_id,
            body=f"Message {n}",
            body_html=f"<p>Message {n}</p>",
        )
        for n, attempt in enumerate(attempts)
    )
    db.session.commit()
    expected = {"student": 75, "teacher": 75, "other_teacher": 0, "admin": 0}
    for role, count in expected.items():
        user = getattr(school, role)
        unread_count(user)  # the user's roles, read once per request, are loaded now
        counted: list[int] = []
        statements = statements_during(
            lambda user=user, counted=counted: counted.append(unread_count(user))
        )
        assert counted == [count], role
        assert len(statements) == 1, role


@pytest.mark.parametrize("role", ["student", "teacher", "admin"])
def test_the_unread_count_reads_messages_by_their_index(school, role: str) -> None:
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's query plan is checked; PostgreSQL's depends on its statistics")
    user = getattr(school, role)
    unread_count(user)
    sent: list[tuple[str, object]] = []

    def note(*args: object) -> None:
        sent.append((str(args[2]), args[3]))

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        unread_count(user)
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    [(statement, parameters)] = sent
    connection = db.session.connection().connection.dbapi_connection
    plan = " | ".join(
        str(row[-1])
        for row in connection.execute(f"EXPLAIN QUERY PLAN {statement}", parameters).fetchall()
    )
    assert "SEARCH attempt_message USING INDEX ix_attempt_message_attempt_id" in plan
    assert "SCAN attempt_message" not in plan
    assert "SCAN attempt " not in f"{plan} "


def test_the_messages_list_puts_unread_conversations_first(make, school) -> None:
    older = make.attempt(student=school.student, quest=school.quest)
    post_message(attempt=older, author=school.student, body="Read by me")
    post_message(attempt=school.attempt, author=school.teacher, body="For you")
    post_message(attempt=older, author=school.student, body="Latest, but mine")
    listed = unread_threads(school.student)
    assert [(item.attempt.id, item.unread, item.messages) for item in listed] == [
        (school.attempt.id, 1, 1),
        (older.id, 0, 2),
    ]
    assert listed[0].attempt.quest.title == school.quest.title


# Reviews: feedback in the conversation, resubmissions asked


def test_a_reviews_feedback_opens_the_conversation(school) -> None:
    review = review_attempt(
        attempt=school.attempt,
        score=2,
        outcome="failed",
        reason="Hash the passwords,\r\nthen hand in again.",
        by=school.teacher,
    )
    messages = thread_of(school.attempt, school.student).messages
    assert [(m.author_id, m.body) for m in messages] == [
        (school.teacher.id, "Hash the passwords,\nthen hand in again.")
    ]
    assert messages[0].author_role == "teacher"
    assert feedback_in_thread(review)
    assert unread_count(school.student) == 1
    assert unread_count(school.teacher) == 0


def test_a_review_without_feedback_writes_no_message(school) -> None:
    review = review_attempt(
        attempt=school.attempt, score=8, outcome="passed", reason="", by=school.teacher
    )
    assert message_count() == 0
    assert not feedback_in_thread(review)


def test_a_resubmission_is_asked_only_with_a_failed_outcome(school) -> None:
    with pytest.raises(ServiceError) as refused:
        review_attempt(
            attempt=school.attempt,
            score=9,
            outcome="passed",
            reason="Good",
            by=school.teacher,
            resubmit=True,
        )
    assert (refused.value.field, refused.value.status_code) == ("resubmit", 422)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Review)) == 0
    assert message_count() == 0


def test_a_resubmission_asked_is_listed_until_the_student_hands_in_again(make, school) -> None:
    review = review_attempt(
        attempt=school.attempt,
        score=2,
        outcome="failed",
        reason="Try again with hashing.",
        by=school.teacher,
        resubmit=True,
    )
    assert review.resubmit_requested
    assert [attempt.id for attempt in resubmissions_asked(student=school.student)] == [
        school.attempt.id
    ]
    assert resubmissions_asked(student=school.other_student) == []
    make.attempt(student=school.student, quest=school.quest)
    assert resubmissions_asked(student=school.student) == []
