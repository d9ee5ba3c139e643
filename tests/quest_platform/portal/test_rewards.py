"""Rewards a student feels: the quest map's path of stages with their points, the end of a quest
with what it earned, and a note of each teacher's review until the student has read it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from test_stage_player import ANSWERS, Player

from quest_platform.models import Attempt, Enrollment
from quest_platform.services.reviews import review_attempt


@pytest.fixture
def student(school, make, db):
    """A new student in the school's first classroom, with no attempt yet."""
    student = make.student()
    db.session.add(Enrollment(classroom=school.classroom, student=student))
    db.session.commit()
    return student


@pytest.fixture
def player(school, student, login_as) -> Player:
    return Player(login_as(student), school.quest)


def finish_quest(player: Player) -> None:
    """Hand in every stage of the school's seven-stage quest, the checkpoint (3) among them."""
    for position in range(1, 6):
        assert player.answer(position, ANSWERS[position]).status_code == 302
    assert player.start(6).status_code == 302
    assert player.answer(6, {"q-t1": "POST"}).status_code == 302
    assert player.answer(7, ANSWERS[1]).status_code == 302


def steps(page: str) -> list[str]:
    """The state classes of the quest map's path, in order."""
    return re.findall(r'class="path-step step-(\w+)"', page)


def test_the_quest_map_shows_the_path_of_stages_in_words_with_their_points(player: Player):
    player.answer(1, ANSWERS[1])
    player.answer(2, ANSWERS[2])
    player.answer(3, ANSWERS[3])
    page = player.client.get("/quests").get_data(as_text=True)
    assert steps(page) == ["done", "done", "review", "current", "locked", "locked", "locked"]
    path = page[page.index('class="stage-path"') :]
    assert "Done" in path
    assert "Awaiting review" in path
    assert "Up next" in path
    assert "Locked" in path
    # A quiz scored counts its points; a stage waiting for review shows what it is worth.
    assert "10 of 10 points" in path
    assert "4. What did you learn" in path


def test_a_quest_not_finished_sends_its_end_page_on_to_the_next_stage(player: Player):
    player.answer(1, ANSWERS[1])
    response = player.client.get(f"/quests/{player.quest.slug}/complete")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/quests/{player.quest.slug}")


def test_the_quest_complete_page_tells_points_badges_and_what_is_next(
    player: Player, school, student, make, db
):
    finish_quest(player)
    # The last stage's "next" leads to the end of the quest.
    last = player.client.get(f"/quests/{player.quest.slug}/7").get_data(as_text=True)
    assert f"/quests/{player.quest.slug}/complete" in last
    page = player.client.get(f"/quests/{player.quest.slug}/complete")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    # The checkpoint still waits for the teacher: every stage is handed in, not yet complete.
    assert "Every stage handed in!" in text
    assert "1 checkpoint waits for your teacher" in text
    assert "Points earned" in text
    # The perfect quiz and every reflection written earned their badges already.
    assert "Badges earned in this quest" in text
    assert "Sharp Mind" in text
    assert "Deep Thinker" in text
    assert "Trailblazer" not in text
    # What is next: another quest given to the class, then the map and the leaderboard.
    assert "Back to my quests" in text
    assert "See the leaderboard" in text
    quest = make.quest()
    make.assignment(quest=quest, classroom=school.classroom)
    checkpoint = next(a for a in attempts_of(db, student) if a.stage.position == 3)
    review_attempt(attempt=checkpoint, score=10, outcome="passed", reason="", by=school.teacher)
    text = player.client.get(f"/quests/{player.quest.slug}/complete").get_data(as_text=True)
    assert "Quest complete!" in text
    # Trailblazer (a whole quest) and Ship It (a checkpoint passed first time) were just earned.
    assert "Trailblazer" in text
    assert "Ship It" in text
    assert "Badges earned in this quest" in text
    assert f"Next quest: {quest.title}" in text
    assert f"/quests/{quest.slug}/1" in text
    points = re.search(r'class="points-number">([\d,]+)<', text)
    assert points
    assert int(points.group(1).replace(",", "")) > 0
    # The quest map offers the rewards of a finished quest.
    assert f"/quests/{player.quest.slug}/complete" in player.client.get("/quests").get_data(
        as_text=True
    )


def attempts_of(db, student) -> list[Attempt]:
    """``student``'s attempts, oldest first."""
    query = select(Attempt).where(Attempt.student_id == student.id).order_by(Attempt.id)
    return list(db.session.scalars(query))


def test_a_review_is_noted_on_the_quest_map_until_the_student_opens_its_stage(
    player: Player, school, student, db
):
    for position in range(1, 4):
        player.answer(position, ANSWERS[position])
    assert "Your teacher reviewed" not in player.client.get("/quests").get_data(as_text=True)
    checkpoint = attempts_of(db, student)[-1]
    review_attempt(
        attempt=checkpoint, score=5, outcome="failed", reason="Hash it.", by=school.teacher
    )
    page = player.client.get("/quests").get_data(as_text=True)
    assert "Your teacher reviewed 1 stage" in page
    assert "Not passed yet: see the feedback" in page
    assert "5 of 10 points" in page
    assert f'href="/quests/{player.quest.slug}/3"' in page
    # Seen once the stage with the feedback is opened; the map no longer tells of it.
    assert "Hash it." in player.client.get(f"/quests/{player.quest.slug}/3").get_data(as_text=True)
    assert "Your teacher reviewed" not in player.client.get("/quests").get_data(as_text=True)
    # A new review (the score changed) is told again.
    review_attempt(
        attempt=checkpoint, score=10, outcome="passed", reason="Fixed.", by=school.teacher
    )
    page = player.client.get("/quests").get_data(as_text=True)
    assert "Your teacher reviewed 1 stage" in page
    assert "10 of 10 points" in page


def test_a_review_note_is_only_for_its_own_student(
    player: Player, school, student, db, login_as, app
):
    for position in range(1, 4):
        player.answer(position, ANSWERS[position])
    review_attempt(
        attempt=attempts_of(db, student)[-1],
        score=10,
        outcome="passed",
        reason="",
        by=school.teacher,
    )
    classmate = login_as(school.student, on=app.test_client())
    assert "Your teacher reviewed" not in classmate.get("/quests").get_data(as_text=True)
