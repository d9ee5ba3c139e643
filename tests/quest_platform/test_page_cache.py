"""The page cache: a student's page served again only while everything it shows is unchanged."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from helpers import post_form
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import event, func, select

import quest_platform.page_cache as page_cache
from quest_platform.models import (
    Attempt,
    Enrollment,
    Outcome,
    PointsEntry,
    PointsReason,
    StageKind,
    utcnow,
)

KEY = re.compile(r'name="submission_key" value="([^"]+)"')
OPENED = re.compile(r'name="opened" value="([^"]+)"')
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@contextmanager
def statements(db) -> Iterator[list[str]]:
    """The SQL statements run inside the block."""
    seen: list[str] = []

    def note(connection: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


def lesson_done(page: str) -> dict[str, str]:
    """The form of a lesson stage, read off its page, confirming the lesson."""
    return {
        "csrf_token": CSRF.search(page).group(1),
        "submission_key": KEY.search(page).group(1),
        "opened": OPENED.search(page).group(1),
        "confirmed": "yes",
    }


def served_from_cache(client, db, url: str) -> tuple[bool, str]:
    """GET ``url``: whether the stored page answered (its one read of the stamps), and the page."""
    with statements(db) as seen:
        response = client.get(url)
    assert response.status_code == 200, url
    hit = len(seen) == 1 and "change_stamp" in seen[0]
    return hit, response.get_data(as_text=True)


@pytest.fixture
def student_client(school, login_as):
    return login_as(school.student)


def board_url(school) -> str:
    return f"/leaderboards/classrooms/{school.classroom.id}"


@pytest.mark.parametrize("path", ["/quests", "board", "board.json", "stage", "/accounts/profile"])
def test_a_second_view_is_served_from_the_cache_with_one_read(school, student_client, db, path):
    url = {
        "board": board_url(school),
        "board.json": f"{board_url(school)}.json",
        "stage": f"/quests/{school.quest.slug}/1",
    }.get(path, path)
    first_hit, first = served_from_cache(student_client, db, url)
    second_hit, second = served_from_cache(student_client, db, url)
    assert (first_hit, second_hit) == (False, True)
    if path != "stage":
        assert second == first


def test_a_stored_page_keeps_its_headers_of_a_personal_page(school, student_client, db):
    student_client.get("/quests")
    response = student_client.get("/quests")
    assert response.headers["Cache-Control"] == "no-store"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.mimetype == "text/html"
    assert student_client.get(f"{board_url(school)}.json").mimetype == "application/json"


def test_each_view_of_a_stage_gets_its_own_submission_key_and_opening_time(
    school, student_client, db, app, monkeypatch
):
    url = f"/quests/{school.quest.slug}/1"
    first = served_from_cache(student_client, db, url)
    # Two minutes later, the stored page is shown again: opened now, not when it was stored.
    later = page_cache.time.time() + 120
    monkeypatch.setattr(page_cache.time, "time", lambda: later)
    second = served_from_cache(student_client, db, url)
    assert (first[0], second[0]) == (False, True)
    assert KEY.search(first[1]).group(1) != KEY.search(second[1]).group(1)
    serializer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="quest-stage-opened")
    openings = [
        serializer.loads(OPENED.search(page).group(1), return_timestamp=True)
        for _hit, page in (first, second)
    ]
    assert [stage_id for stage_id, _at in openings] == [school.quest.stages[0].id] * 2
    assert openings[1][1] - openings[0][1] >= timedelta(seconds=119)


def test_a_stored_stage_form_still_records_a_new_attempt_each_time(school, student_client, db):
    url = f"/quests/{school.quest.slug}/1"
    student_client.get(url)
    page = student_client.get(url).get_data(as_text=True)
    fields = lesson_done(page)
    assert student_client.post(url, data=fields).status_code == 302
    after = student_client.get("/quests").get_data(as_text=True)
    assert "1 of 7 stages done" in after


def test_the_students_own_answer_shows_at_once(school, student_client, db):
    served_from_cache(student_client, db, "/quests")
    assert "0 of 7 stages done" in served_from_cache(student_client, db, "/quests")[1]
    url = f"/quests/{school.quest.slug}/1"
    page = student_client.get(url).get_data(as_text=True)
    student_client.post(
        url,
        data=lesson_done(page),
    )
    hit, after = served_from_cache(student_client, db, "/quests")
    assert not hit
    assert "1 of 7 stages done" in after


def save_profile(client, student, **changes: str):
    """Save the profile form of ``student`` with ``changes``; the response."""
    page = client.get("/accounts/profile").get_data(as_text=True)
    fields = {
        "csrf_token": re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1),
        "display_name": student.display_name,
        "pseudonym": student.pseudonym,
        "language": "en",
        "theme": "light",
        "leaderboard_opt_in": "y",
    }
    return client.post("/accounts/profile", data=fields | changes)


def test_a_page_showing_a_message_is_not_kept(school, student_client, db):
    assert save_profile(student_client, school.student, theme="dark").status_code == 302
    shown = student_client.get("/accounts/profile").get_data(as_text=True)
    assert "Your profile is saved." in shown
    hit, again = served_from_cache(student_client, db, "/accounts/profile")
    assert not hit
    assert "Your profile is saved." not in again
    assert served_from_cache(student_client, db, "/accounts/profile")[0]


def test_an_answer_is_told_by_the_page_its_form_leads_to_without_writing_the_session(
    school, student_client, db
):
    url = f"/quests/{school.quest.slug}/1"
    page = student_client.get(url).get_data(as_text=True)
    response = student_client.post(url, data=lesson_done(page))
    newest = select(func.max(Attempt.id)).where(Attempt.student_id == school.student.id)
    attempt_id = db.session.scalar(newest)
    assert response.status_code == 302
    assert response.location.endswith(f"{url}?answered={attempt_id}#result")
    with student_client.session_transaction() as session:
        assert "_flashes" not in session
    hit, told = served_from_cache(student_client, db, f"{url}?answered={attempt_id}")
    assert not hit
    assert "Done: this stage is complete." in told
    # Kept like any page, and told again from the stored copy.
    hit, again = served_from_cache(student_client, db, f"{url}?answered={attempt_id}")
    assert hit
    assert "Done: this stage is complete." in again
    for other in (url, f"{url}?answered={attempt_id + 1}", f"{url}?answered=x"):
        assert "this stage is complete" not in served_from_cache(student_client, db, other)[1]


def test_a_classmates_points_refresh_the_board_but_not_the_quest_map(
    school, student_client, make, db
):
    classmate = make.student()
    db.session.add(Enrollment(classroom=school.classroom, student=classmate))
    db.session.commit()
    client = student_client
    for url in ("/quests", board_url(school)):
        served_from_cache(client, db, url)
    attempt = make.attempt(
        student=classmate, quest=school.quest, outcome=Outcome.PASSED.value, score=10.0
    )
    db.session.add(
        PointsEntry(
            student_id=classmate.id,
            quest_id=school.quest.id,
            stage_id=attempt.stage_id,
            attempt_id=attempt.id,
            points=40,
            reason=PointsReason.STAGE_SCORE.value,
        )
    )
    db.session.commit()
    board_hit, board = served_from_cache(client, db, board_url(school))
    assert not board_hit
    assert classmate.pseudonym in board
    assert served_from_cache(client, db, "/quests")[0]


@pytest.mark.parametrize(
    "change",
    ["quest title", "due date", "board switched off", "student renamed", "time extension"],
)
def test_a_teachers_change_shows_on_the_next_view(school, student_client, db, make, change):
    url = {"board switched off": board_url(school)}.get(change, "/quests")
    served_from_cache(student_client, db, url)
    assert served_from_cache(student_client, db, url)[0]
    if change == "quest title":
        school.quest.title = "Sessions, renamed"
        expected = "Sessions, renamed"
    elif change == "due date":
        school.assignment.due_at = utcnow() + timedelta(days=400)
        expected = str((utcnow() + timedelta(days=400)).year)
    elif change == "board switched off":
        school.classroom.leaderboard_enabled = False
        expected = "turned the leaderboard off"
    elif change == "student renamed":
        school.student.display_name = "Renamed Student"
        expected = None
    else:
        from quest_platform.services.time_extensions import grant_time_extension

        timed = next(s for s in school.quest.stages if s.kind == StageKind.TIMED)
        grant_time_extension(
            student=school.student, stage=timed, extra_seconds=300, by=school.teacher, reason="IEP"
        )
        expected = None
    db.session.commit()
    hit, page = served_from_cache(student_client, db, url)
    assert not hit
    if expected:
        assert expected in page


def test_a_deactivated_student_is_not_served_a_stored_page(school, student_client, db):
    served_from_cache(student_client, db, "/quests")
    school.student.active = False
    db.session.commit()
    response = student_client.get("/quests")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_after_signing_out_no_stored_page_is_served(school, student_client, db):
    served_from_cache(student_client, db, "/quests")
    assert post_form(student_client, "/logout", {}, form_page="/quests").status_code == 302
    response = student_client.get("/quests")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_a_saved_profile_shows_at_once(school, student_client, db):
    served_from_cache(student_client, db, "/accounts/profile")
    page = student_client.get("/accounts/profile").get_data(as_text=True)
    response = save_profile(student_client, school.student, display_name="Nova Quinn", theme="dark")
    assert response.status_code == 302
    student_client.get("/accounts/profile")  # shows "Your profile is saved." once
    hit, page = served_from_cache(student_client, db, "/accounts/profile")
    assert not hit
    assert 'value="Nova Quinn"' in page
    assert 'data-theme="dark"' in page


def test_a_page_stops_being_served_when_its_quest_falls_due(
    school, student_client, db, monkeypatch
):
    school.assignment.due_at = utcnow() + timedelta(hours=1)
    db.session.commit()
    served_from_cache(student_client, db, "/quests")
    assert served_from_cache(student_client, db, "/quests")[0]
    later = page_cache.time.time() + 3601
    monkeypatch.setattr(page_cache.time, "time", lambda: later)
    assert not served_from_cache(student_client, db, "/quests")[0]


def test_each_language_has_its_own_stored_page(school, student_client, db):
    served_from_cache(student_client, db, "/quests")
    with statements(db) as seen:
        page = student_client.get("/quests", headers={"Accept-Language": "es"})
    assert page.status_code == 200
    assert len(seen) > 1


def test_staff_pages_are_never_stored(school, login_as, db):
    client = login_as(school.teacher)
    for _ in range(2):
        hit, _page = served_from_cache(client, db, board_url(school))
        assert not hit


def test_a_running_countdown_is_never_stored(school, student_client, db, make):
    timed = next(s for s in school.quest.stages if s.kind == StageKind.TIMED)
    url = f"/quests/{school.quest.slug}/{timed.position}"
    from quest_platform.services.attempts import start_timed_stage

    for position in range(1, timed.position):
        stage = school.quest.stages[position - 1]
        make.attempt(
            student=school.student,
            quest=school.quest,
            position=position,
            outcome=Outcome.PASSED.value,
            score=float(stage.points),
        )
    start_timed_stage(student=school.student, quest=school.quest, stage=timed)
    for _ in range(2):
        assert not served_from_cache(student_client, db, url)[0]


def test_the_cache_can_be_turned_off(school, student_client, db, app, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_CACHE", False)
    for _ in range(2):
        assert not served_from_cache(student_client, db, "/quests")[0]
