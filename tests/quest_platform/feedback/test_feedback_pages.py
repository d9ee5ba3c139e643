"""Feedback conversations on the pages: the student's stage page, the teacher's attempt page, a
conversation's own page, the Messages page and the navigation's unread count."""

from __future__ import annotations

import pytest
from flask import Flask
from helpers import post_form
from sqlalchemy import func, select

from quest_platform.extensions import db
from quest_platform.models import (
    MAX_MESSAGE_LENGTH,
    AttemptMessage,
    AuditEntry,
    Review,
    ReviewKind,
    utcnow,
)
from quest_platform.services.feedback import hide_message, post_message

NAV_LINK = '<a href="/messages"'


def unlock_checkpoint(make, school) -> str:
    """Finish the first two stages of the student's quest; the checkpoint's (stage 3) URL."""
    for position in (1, 2):
        stage = school.quest.stage_at(position)
        make.attempt(
            student=school.student,
            quest=school.quest,
            position=position,
            outcome="passed",
            score=float(stage.points),
        )
    return f"/quests/{school.quest.slug}/3"


def thread_url(attempt) -> str:
    return f"/attempts/{attempt.id}/messages"


def write(client, attempt, body: str, *, next_url: str | None = None, page: str | None = None):
    data = {"body": body} if next_url is None else {"body": body, "next": next_url}
    return post_form(client, thread_url(attempt), data, form_page=page or thread_url(attempt))


def text(response) -> str:
    return response.get_data(as_text=True)


def message_count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(AttemptMessage))


def nav_of(page: str) -> str:
    start = page.index('<nav aria-label="Main">')
    return page[start : page.index("</nav>", start)]


def details_url(attempt) -> str:
    return f"/admin/attempt/details/?id={attempt.id}"


@pytest.fixture
def student_client(school, login_as, client_factory):
    return login_as(school.student, on=client_factory())


@pytest.fixture
def teacher_client(school, login_as, client_factory):
    return login_as(school.teacher, on=client_factory())


# The stage page


def test_the_stage_page_offers_the_conversation_with_a_labelled_form(
    make, school, student_client
) -> None:
    stage_url = unlock_checkpoint(make, school)
    page = text(student_client.get(stage_url))
    assert "Talk with your teacher about this answer" in page
    assert '<label for="message-body">Your message</label>' in page
    assert "Markdown works here" in page
    assert "At most 4,000 characters." in page
    assert f'action="{thread_url(school.attempt)}"' in page
    assert f'name="next" value="{stage_url}"' in page
    assert f'maxlength="{MAX_MESSAGE_LENGTH}"' in page


def test_a_student_writes_from_the_stage_page_and_lands_on_the_message(
    make, school, student_client
) -> None:
    stage_url = unlock_checkpoint(make, school)
    response = write(
        student_client,
        school.attempt,
        "Is **my** hashing right?",
        next_url=stage_url,
        page=stage_url,
    )
    assert response.status_code == 302
    message = db.session.scalars(select(AttemptMessage)).one()
    assert response.headers["Location"].endswith(f"{stage_url}#message-{message.id}")
    page = text(student_client.get(stage_url))
    assert f'id="message-{message.id}"' in page
    assert "Is <strong>my</strong> hashing right?" in page


def test_earlier_answers_conversations_are_linked(make, school, student_client) -> None:
    stage_url = unlock_checkpoint(make, school)
    post_message(attempt=school.attempt, author=school.teacher, body="Almost: add a salt.")
    newer = make.attempt(student=school.student, quest=school.quest)
    page = text(student_client.get(stage_url))
    assert "Conversations about your earlier answers" in page
    assert f'href="{thread_url(school.attempt)}"' in page
    assert "1 message" in page
    assert "1 unread" in page
    # The latest answer's own conversation is the one with the form.
    assert f'action="{thread_url(newer)}"' in page


# The navigation's count


def test_the_navigation_counts_unread_messages_in_words(school, teacher_client) -> None:
    post_message(attempt=school.attempt, author=school.student, body="A question")
    nav = nav_of(text(teacher_client.get("/admin/")))
    assert (
        'Messages<span class="visually-hidden">,</span> <span class="nav-count">1 unread</span>'
        in nav
    )
    # Opening the conversation reads it: the count goes.
    assert teacher_client.get(thread_url(school.attempt)).status_code == 200
    nav = nav_of(text(teacher_client.get("/admin/")))
    assert NAV_LINK in nav
    assert "nav-count" not in nav


def test_the_count_is_asked_once_per_page_and_never_for_a_visitor(
    school, student_client, client, monkeypatch
) -> None:
    from quest_platform.feedback import routes

    calls: list[int] = []
    counting = routes.unread_count

    def counted(user):
        calls.append(user.id)
        return counting(user)

    monkeypatch.setattr(routes, "unread_count", counted)
    assert student_client.get("/messages").status_code == 200
    assert calls == [school.student.id]
    calls.clear()
    assert client.get("/").status_code == 200
    assert calls == []


def test_the_student_sees_a_teachers_message_as_unread_on_every_page(
    school, student_client
) -> None:
    post_message(attempt=school.attempt, author=school.teacher, body="See my notes")
    post_message(attempt=school.attempt, author=school.teacher, body="And these")
    for url in ("/quests", "/accounts/profile", "/messages"):
        assert '<span class="nav-count">2 unread</span>' in text(student_client.get(url)), url


# Bad input


def test_an_empty_message_comes_back_with_the_reason(school, student_client) -> None:
    response = write(student_client, school.attempt, "   \r\n ")
    assert response.status_code == 422
    page = text(response)
    assert "Write something first: the message is empty." in page
    assert 'aria-invalid="true"' in page
    assert message_count() == 0


def test_an_oversized_message_comes_back_with_its_text_and_the_limit(
    school, student_client
) -> None:
    body = "Long <b>words</b> " * 300
    response = write(student_client, school.attempt, body, next_url="/quests/x/3")
    assert response.status_code == 422
    page = text(response)
    assert "Keep the message to 4,000 characters" in page
    assert "Long &lt;b&gt;words&lt;/b&gt;" in page
    # Sent again from here, it still goes back where the form first was.
    assert 'name="next" value="/quests/x/3"' in page
    assert message_count() == 0


@pytest.mark.parametrize("target", ["https://evil.example/x", "//evil.example/x", "javascript:x"])
def test_only_pages_of_this_site_are_returned_to(school, student_client, target: str) -> None:
    response = write(student_client, school.attempt, "Hello", next_url=target)
    message = db.session.scalars(select(AttemptMessage)).one()
    assert response.status_code == 302
    assert response.headers["Location"] == f"{thread_url(school.attempt)}#message-{message.id}"


def test_messages_are_rate_limited_per_person(
    app: Flask, school, student_client, teacher_client, monkeypatch
) -> None:
    monkeypatch.setitem(app.config, "MESSAGE_RATE_LIMIT", "2 per minute")
    statuses = [write(student_client, school.attempt, f"Note {n}").status_code for n in range(3)]
    assert statuses == [302, 302, 429]
    assert write(teacher_client, school.attempt, "Still mine to send").status_code == 302
    assert message_count() == 3


# Scripts in messages


def test_hostile_messages_are_neutralised_on_every_page(
    make, school, student_client, teacher_client, login_as, client_factory, hostile, live_markup
) -> None:
    stage_url = unlock_checkpoint(make, school)
    assert write(student_client, school.attempt, hostile, page=stage_url).status_code == 302
    admin_client = login_as(school.admin, on=client_factory())
    pages = {
        "stage": student_client.get(stage_url),
        "student's thread": student_client.get(thread_url(school.attempt)),
        "teacher's messages": teacher_client.get("/messages"),
        "teacher's thread": teacher_client.get(thread_url(school.attempt)),
        "attempt details": teacher_client.get(details_url(school.attempt)),
        "admin's thread": admin_client.get(thread_url(school.attempt)),
        "api": student_client.get(f"/api/v1{thread_url(school.attempt)}"),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
        if name == "api":
            assert live_markup(response.get_json()[0]["body_html"]) == []
        else:
            assert live_markup(text(response)) == [], name
            assert "<script>alert" not in text(response), name


# Hiding and showing


def test_a_teacher_hides_a_message_from_the_attempt_page(make, school, teacher_client) -> None:
    stage_url = unlock_checkpoint(make, school)
    message = post_message(attempt=school.attempt, author=school.student, body="Rude remark")
    back = details_url(school.attempt)
    response = post_form(
        teacher_client, f"/messages/{message.id}/hide", {"next": back}, form_page=back
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{back}#message-{message.id}")
    teacher_page = text(teacher_client.get(back))
    assert "Rude remark" in teacher_page
    assert "Hidden from the student" in teacher_page
    assert "Show to the student again" in teacher_page
    audited = db.session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "hide")
    )
    assert audited == 1
    assert stage_url


def test_hidden_messages_as_each_person_reads_them(
    make, school, student_client, teacher_client, login_as, client_factory
) -> None:
    stage_url = unlock_checkpoint(make, school)
    message = post_message(attempt=school.attempt, author=school.teacher, body="Wrong student!")
    hide_message(message=message, by=school.teacher)
    for page in (student_client.get(stage_url), student_client.get(thread_url(school.attempt))):
        assert "A teacher hid this message." in text(page)
        assert "Wrong student!" not in text(page)
        assert "Hide from the student" not in text(page)
    admin_client = login_as(school.admin, on=client_factory())
    for client in (teacher_client, admin_client):
        page = text(client.get(thread_url(school.attempt)))
        assert "Wrong student!" in page
        assert "Hidden from the student" in page


def test_a_student_cannot_hide_a_message(school, student_client) -> None:
    message = post_message(attempt=school.attempt, author=school.teacher, body="Fine")
    response = post_form(
        student_client, f"/messages/{message.id}/hide", {}, form_page=thread_url(school.attempt)
    )
    assert response.status_code == 403
    db.session.refresh(message)
    assert message.hidden_at is None


def test_a_teacher_shows_a_hidden_message_again(school, teacher_client) -> None:
    message = post_message(attempt=school.attempt, author=school.student, body="Back again")
    hide_message(message=message, by=school.teacher)
    response = post_form(
        teacher_client, f"/messages/{message.id}/show", {}, form_page=thread_url(school.attempt)
    )
    assert response.headers["Location"].endswith(
        f"{thread_url(school.attempt)}#message-{message.id}"
    )
    db.session.refresh(message)
    assert message.hidden_at is None


# The Messages page


def test_the_messages_page_lists_unread_conversations_first(
    make, school, student_client, teacher_client
) -> None:
    older = make.attempt(student=school.student, quest=school.quest)
    post_message(attempt=older, author=school.student, body="Mine")
    post_message(attempt=school.attempt, author=school.teacher, body="Yours to read")
    student_page = text(student_client.get("/messages"))
    assert student_page.index(thread_url(school.attempt)) < student_page.index(thread_url(older))
    assert "1 unread" in student_page
    assert "All read" in student_page
    teacher_page = text(teacher_client.get("/messages"))
    assert school.student.display_name in teacher_page
    assert teacher_page.index(thread_url(older)) < teacher_page.index(thread_url(school.attempt))


def test_the_messages_page_says_when_there_is_nothing(school, student_client) -> None:
    assert "No conversations yet." in text(student_client.get("/messages"))


# Reviews that ask for the work again


def review(client, attempt, **data):
    return post_form(
        client, f"/admin/attempt/review/?id={attempt.id}", data, form_page=details_url(attempt)
    )


def test_a_resubmission_needs_a_failed_outcome_on_the_review_form(school, teacher_client) -> None:
    points = school.attempt.max_score
    response = review(
        teacher_client, school.attempt, score=str(points), outcome="passed", resubmit="y"
    )
    assert response.status_code == 422
    assert "Ask for a resubmission only with “Not passed”" in text(response)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Review)) == 0


def test_the_student_is_asked_plainly_to_hand_in_again(
    make, school, teacher_client, student_client
) -> None:
    stage_url = unlock_checkpoint(make, school)
    response = review(
        teacher_client,
        school.attempt,
        score="0",
        outcome="failed",
        reason="Hash the passwords first.",
        resubmit="y",
    )
    assert response.status_code == 302
    stored = db.session.scalars(select(Review)).one()
    assert stored.resubmit_requested
    quest_map = text(student_client.get("/quests"))
    assert "Your teacher asks you to hand this in again" in quest_map
    page = text(student_client.get(stage_url))
    assert "Your teacher asks you to hand this in again." in page
    assert "Hand in your evidence" in page
    # The feedback is in the conversation, not repeated above it.
    assert "Hash the passwords first." in page
    assert page.count("Hash the passwords first.") == 1
    assert "Your teacher's feedback" not in page
    assert "asked to hand in again" in text(teacher_client.get(details_url(school.attempt)))


def test_feedback_from_before_conversations_stays_on_the_result(
    make, school, student_client
) -> None:
    stage_url = unlock_checkpoint(make, school)
    db.session.add(
        Review(
            attempt_id=school.attempt.id,
            reviewer_id=school.teacher.id,
            kind=ReviewKind.MARK.value,
            score=0,
            outcome="failed",
            reason="Older feedback",
            created_at=utcnow(),
        )
    )
    db.session.commit()
    page = text(student_client.get(stage_url))
    assert "Your teacher's feedback" in page
    assert "Older feedback" in page
