"""The quest map: what a student sees of each quest given to their classes."""

from __future__ import annotations

from datetime import timedelta

from quest_platform.models import utcnow


def test_a_quest_that_opens_later_says_when_and_offers_no_start(db, make, login_as) -> None:
    student = make.student()
    quest = make.quest()
    assignment = make.assignment(quest=quest, classroom=make.classroom(students=[student]))
    assignment.opens_at = utcnow() + timedelta(days=7)
    assignment.due_at = utcnow() + timedelta(days=21)
    db.session.commit()
    client = login_as(student)
    page = client.get("/quests").get_data(as_text=True)
    assert "Opens " in page
    assert "its stages open on that day" in page
    assert f'href="/quests/{quest.slug}/1"' not in page
    # Its stages wait for the day, with the day said.
    response = client.get(f"/quests/{quest.slug}/1")
    assert response.status_code == 403
    assert "This quest has not opened yet." in response.get_data(as_text=True)


def test_an_open_quest_offers_its_first_stage(db, make, login_as) -> None:
    student = make.student()
    quest = make.quest()
    make.assignment(quest=quest, classroom=make.classroom(students=[student]))
    page = login_as(student).get("/quests").get_data(as_text=True)
    assert "Opens " not in page
    assert f'href="/quests/{quest.slug}/1"' in page
