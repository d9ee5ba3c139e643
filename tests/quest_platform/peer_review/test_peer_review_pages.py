"""Peer review on the pages: the Reviews page and the navigation's count, the review form (no
author's name, the rubric as radio groups, errors), the author's stage page, and the teacher's
overview, queue, stage page and attempt page with hiding and grading."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from helpers import post_form
from PIL import Image
from sqlalchemy import func, select

from quest_platform.extensions import db
from quest_platform.models import PeerReview, PeerReviewAssignment, User, utcnow
from quest_platform.services.evidence import Screenshot, check_screenshot, keep_screenshot
from quest_platform.services.peer_review import assign_peer_reviews, submit_peer_review

RUBRIC = ["Hashes passwords", "Explains the route"]


@pytest.fixture
def room(make):
    """A teacher's class of three whose checkpoint (stage 3) wants one peer review: the first
    two handed in, so the second reviews the first's work and the first the second's."""
    teacher = make.teacher()
    author, reviewer, bystander = (make.student() for _ in range(3))
    classroom = make.classroom(teachers=[teacher], students=[author, reviewer, bystander])
    quest = make.quest()
    make.assignment(quest=quest, classroom=classroom, by=teacher)
    stage = quest.stages[2]
    stage.settings = {**stage.settings, "rubric": RUBRIC, "peer_reviews": 1}
    db.session.commit()
    submitted = utcnow() - timedelta(minutes=5)
    work = make.attempt(
        student=author,
        quest=quest,
        answer={"evidence": "bcrypt.hashpw(secret)"},
        submitted_at=submitted,
    )
    assign_peer_reviews(attempt=work)
    assign_peer_reviews(attempt=make.attempt(student=reviewer, quest=quest))
    assignment = db.session.scalars(
        select(PeerReviewAssignment).where(PeerReviewAssignment.attempt_id == work.id)
    ).one()
    return {
        "teacher": teacher,
        "author": author,
        "reviewer": reviewer,
        "bystander": bystander,
        "classroom": classroom,
        "quest": quest,
        "stage": stage,
        "work": work,
        "assignment": assignment,
        "url": f"/reviews/{assignment.id}",
    }


def text(response) -> str:
    return response.get_data(as_text=True)


def reviews_written() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(PeerReview))


def unlock_checkpoint(make, student: User, quest) -> None:
    for position in (1, 2):
        make.attempt(
            student=student,
            quest=quest,
            position=position,
            outcome="passed",
            score=float(quest.stage_at(position).points),
        )


def test_the_reviews_page_and_the_navigation_count(room, login_as) -> None:
    client = login_as(room["reviewer"])
    page = text(client.get("/reviews"))
    assert room["url"] in page
    assert "1 to do" in page
    assert room["author"].display_name not in page


def test_the_review_form_hides_the_author_and_asks_each_criterion(room, login_as) -> None:
    client = login_as(room["reviewer"])
    response = client.get(room["url"])
    assert response.status_code == 200
    page = text(response)
    assert room["author"].display_name not in page
    assert "bcrypt.hashpw(secret)" in page
    assert page.count("<fieldset") == 2
    assert "<legend>Criterion 1: Hashes passwords</legend>" in page
    for level in range(4):
        assert f'<label for="criterion-1-{level}">' in page
    assert 'for="review-comment"' in page


def test_a_refused_review_comes_back_with_its_errors(room, login_as) -> None:
    client = login_as(room["reviewer"])
    response = post_form(
        client, room["url"], {"criterion-0": "1", "comment": "Almost there", "criterion-1": "7"}
    )
    assert response.status_code == 422
    page = text(response)
    assert 'class="error-summary"' in page
    assert 'href="#criterion-1"' in page
    assert "Almost there" in page
    assert 'value="1" checked' in page
    assert reviews_written() == 0


def test_a_review_is_sent_once(room, login_as) -> None:
    client = login_as(room["reviewer"])
    data = {"criterion-0": "2", "criterion-1": "3", "comment": "**Well** done"}
    response = post_form(client, room["url"], data)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/reviews")
    assert reviews_written() == 1
    page = text(client.get(room["url"]))
    assert "<strong>Well</strong>" in page
    assert "Meets it (3 of 4)" in page
    token_page = text(client.get("/reviews"))
    token = re.search(r'name="csrf_token" value="([^"]+)"', token_page).group(1)
    again = client.post(room["url"], data={**data, "csrf_token": token})
    assert again.status_code == 409
    assert reviews_written() == 1


def test_a_submission_not_given_is_missing(room, login_as, client_factory) -> None:
    for person in ("author", "bystander", "teacher"):
        client = login_as(room[person], on=client_factory())
        assert client.get(room["url"]).status_code == 404


def test_the_reviewer_sees_the_screenshot_of_the_work_and_a_bystander_does_not(
    room, login_as, client_factory
) -> None:
    evidence = keep_screenshot(
        attempt=room["work"],
        screenshot=check_screenshot(Screenshot(data=tiny_png(), alt_text="Their login form")),
    )
    db.session.commit()
    reviewer = login_as(room["reviewer"], on=client_factory())
    page = text(reviewer.get(room["url"]))
    assert f'src="/evidence/{evidence.id}" alt="Their login form"' in page
    with reviewer.get(f"/evidence/{evidence.id}") as response:
        assert response.status_code == 200
    bystander = login_as(room["bystander"], on=client_factory())
    assert bystander.get(f"/evidence/{evidence.id}").status_code == 404


def tiny_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_the_author_sees_the_review_on_the_stage_page(room, make, login_as) -> None:
    review = submit_peer_review(
        assignment=room["assignment"],
        reviewer=room["reviewer"],
        levels=[0, 3],
        comment="Kind words",
    )
    unlock_checkpoint(make, room["author"], room["quest"])
    client = login_as(room["author"])
    stage_url = f"/quests/{room['quest'].slug}/3"
    page = text(client.get(stage_url))
    assert "Peer reviews of your answer" in page
    assert "Kind words" in page
    assert "Review by a peer reviewer" in page
    assert room["reviewer"].display_name not in page
    review.hidden_at = utcnow()
    review.hidden_by_id = room["teacher"].id
    db.session.commit()
    assert "Kind words" not in text(client.get(stage_url))


def test_the_teacher_hides_and_grades_on_the_attempt_page(room, login_as) -> None:
    review = submit_peer_review(
        assignment=room["assignment"],
        reviewer=room["reviewer"],
        levels=[1, 1],
        comment="Unkind words",
    )
    client = login_as(room["teacher"])
    details = f"/admin/attempt/details/?id={room['work'].id}"
    page = text(client.get(details))
    assert "Peer reviews" in page
    assert room["reviewer"].display_name in page
    assert "Unkind words" in page
    hidden = post_form(
        client,
        f"/admin/peer-reviews/{review.id}/hide",
        {"reason": "Unkind", "next": details},
        form_page=details,
    )
    assert hidden.status_code == 302
    graded = post_form(
        client, f"/admin/peer-reviews/{review.id}/grade", {"grade": "3"}, form_page=details
    )
    assert graded.status_code == 302
    db.session.rollback()
    review = db.session.get(PeerReview, review.id)
    assert review.hidden
    assert review.reviewer_grade == 3
    assert "Hidden from the author: Unkind" in text(client.get(details))


def test_the_teacher_overview_queue_and_taking_a_review(room, make, login_as) -> None:
    client = login_as(room["teacher"])
    page = text(client.get("/admin/peer-reviews/"))
    assert room["classroom"].name in page
    assert "Needs a reviewer" in page
    stage_page = client.get(
        f"/admin/peer-reviews/stage?classroom={room['classroom'].id}&stage={room['stage'].id}"
    )
    assert stage_page.status_code == 200
    # The peers' deadlines pass: the author's work needs a reviewer; the teacher takes it.
    room["assignment"].due_at = utcnow() - timedelta(minutes=1)
    room["assignment"].assigned_at = utcnow() - timedelta(days=4)
    db.session.commit()
    page = text(client.get(f"/admin/peer-reviews/?classroom={room['classroom'].id}"))
    assert "reviewer missed the deadline" in page
    taken = post_form(
        client,
        "/admin/peer-reviews/take",
        {"attempt": str(room["work"].id)},
        form_page="/admin/peer-reviews/",
    )
    assert taken.status_code == 302
    form_url = taken.headers["Location"]
    form = client.get(form_url)
    assert form.status_code == 200
    sent = post_form(
        client, form_url, {"criterion-0": "3", "criterion-1": "3", "comment": "From your teacher"}
    )
    assert sent.status_code == 302
    assert reviews_written() == 1


def test_other_teachers_find_nothing(room, make, login_as) -> None:
    client = login_as(make.teacher())
    assert client.get(f"/admin/peer-reviews/?classroom={room['classroom'].id}").status_code == 404
    page = text(client.get("/admin/peer-reviews/"))
    assert room["classroom"].name not in page


API = {"X-Origin": "client"}


def test_the_api_lists_and_writes_reviews(room, login_as) -> None:
    client = login_as(room["reviewer"])
    listed = client.get("/api/v1/reviews", headers=API).get_json()
    assert [task["assignment_id"] for task in listed["to_do"]] == [room["assignment"].id]
    assert listed["to_do"][0]["rubric"] == RUBRIC
    url = f"/api/v1/reviews/{room['assignment'].id}"
    bad = client.post(url, json={"levels": [1, 9], "comment": "Hm"}, headers=API)
    assert bad.status_code == 422
    assert "criterion-1" in bad.get_json()["errors"]
    made = client.post(url, json={"levels": [1, 2], "comment": "*Good*"}, headers=API)
    assert made.status_code == 201
    assert made.get_json()["comment_html"] == "<p><em>Good</em></p>\n"
    again = client.post(url, json={"levels": [1, 2], "comment": "Again"}, headers=API)
    assert again.status_code == 409
    assert client.get("/api/v1/reviews", headers=API).get_json()["done"][0]["reviewed_at"]


def test_the_api_hides_what_is_not_given(room, login_as) -> None:
    client = login_as(room["bystander"])
    url = f"/api/v1/reviews/{room['assignment'].id}"
    response = client.post(url, json={"levels": [1, 2], "comment": "Mine"}, headers=API)
    assert response.status_code == 404


def test_the_conversation_page_leads_a_reviewer_to_their_reviews(room, client_factory, login_as):
    work = room["work"]
    reviewer = login_as(room["reviewer"], on=client_factory())
    page = reviewer.get(f"/attempts/{work.id}/messages")
    assert page.status_code == 200
    assert 'href="/reviews"' in text(page)
    assert f'href="/quests/{room["quest"].slug}/' not in text(page)
    post_form(reviewer, f"/attempts/{work.id}/messages", {"body": "Which hash is it?"})

    # The teacher reads the reviewer's name with their role; the author reads neither.
    teacher_page = text(
        login_as(room["teacher"], on=client_factory()).get(f"/attempts/{work.id}/messages")
    )
    assert room["reviewer"].display_name in teacher_page
    assert '<span class="message-role">Peer reviewer</span>' in teacher_page
    author_page = text(
        login_as(room["author"], on=client_factory()).get(f"/attempts/{work.id}/messages")
    )
    assert room["reviewer"].display_name not in author_page
    assert "Peer reviewer" in author_page
    assert f'href="/quests/{room["quest"].slug}/3"' in author_page
