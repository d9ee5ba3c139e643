"""The stage player over HTTP: every stage kind answered through its form, and bad input refused."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from quest_platform.models import (
    Attempt,
    Enrollment,
    EvidenceFile,
    Outcome,
    StageStart,
    utcnow,
)

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
KEY = re.compile(r'name="submission_key" value="([^"]+)"')
OPENED = re.compile(r'name="opened" value="([^"]+)"')


def image_bytes(kind: str = "PNG", size: tuple[int, int] = (40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (20, 120, 200)).save(buffer, format=kind)
    return buffer.getvalue()


class Player:
    """A signed-in student's browser on one quest."""

    def __init__(self, client: Any, quest: Any) -> None:
        self.client = client
        self.quest = quest

    def url(self, position: int) -> str:
        return f"/quests/{self.quest.slug}/{position}"

    def form_fields(self, position: int) -> dict[str, str]:
        page = self.client.get(self.url(position)).get_data(as_text=True)
        fields = {"csrf_token": CSRF.search(page).group(1)}
        if key := KEY.search(page):
            fields["submission_key"] = key.group(1)
            fields["opened"] = OPENED.search(page).group(1)
        return fields

    def answer(self, position: int, data: dict[str, Any], **kwargs: Any) -> Any:
        fields = self.form_fields(position)
        return self.client.post(self.url(position), data={**fields, **data}, **kwargs)

    def start(self, position: int) -> Any:
        fields = self.form_fields(position)
        return self.client.post(f"{self.url(position)}/start", data=fields)


ANSWERS: dict[int, dict[str, Any]] = {
    1: {"confirmed": "yes"},
    2: {"q-q1": "1"},
    3: {"evidence": "def login(): ..."},
    4: {"text": "Sessions live on the server, so logging out really ends them." * 2},
    5: {"ticked": "0"},
}


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


def attempts_of(db, student) -> int:
    return db.session.scalar(select(func.count(Attempt.id)).where(Attempt.student_id == student.id))


def test_the_quest_map_shows_progress_status_due_date_and_what_to_do_next(player: Player):
    page = player.client.get("/quests")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert player.quest.title in text
    assert "0 of 7 stages done" in text
    assert "Not started" in text
    assert "Due " in text
    assert f"/quests/{player.quest.slug}/1" in text


def test_a_quest_opens_at_the_stage_to_do_next(player: Player):
    player.answer(1, ANSWERS[1])
    response = player.client.get(f"/quests/{player.quest.slug}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/quests/{player.quest.slug}/2")


def test_every_stage_kind_is_answered_through_its_form(player: Player, db, school, student):
    for position in range(1, 6):
        response = player.answer(position, ANSWERS[position])
        assert response.status_code == 302, (position, response.get_data(as_text=True)[:500])
    assert player.start(6).status_code == 302
    response = player.answer(6, {"q-t1": " post "})
    assert response.status_code == 302
    assert player.answer(7, ANSWERS[1]).status_code == 302
    outcomes = db.session.scalars(
        select(Attempt.outcome).where(Attempt.student_id == student.id).order_by(Attempt.id)
    ).all()
    assert outcomes == [
        "passed",
        "passed",
        "pending_review",
        "passed",
        "passed",
        "passed",
        "passed",
    ]
    page = player.client.get("/quests").get_data(as_text=True)
    assert "6 of 7 stages done" in page


def test_quiz_feedback_is_shown_per_question_after_submitting(player: Player):
    player.answer(1, ANSWERS[1])
    response = player.answer(2, {"q-q1": "0"}, follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "Not passed yet" in text
    assert "You scored 0 of 10 points." in text
    assert "Not right" in text


def test_a_double_submitted_form_records_one_attempt(player: Player, db, school, student):
    fields = player.form_fields(1)
    before = attempts_of(db, student)
    for _ in range(2):
        response = player.client.post(player.url(1), data={**fields, **ANSWERS[1]})
        assert response.status_code == 302
    assert attempts_of(db, student) == before + 1


def test_a_locked_stage_is_a_403_page_and_its_answer_is_refused(
    player: Player, db, school, student
):
    page = player.client.get(player.url(4))
    assert page.status_code == 403
    assert "This stage is locked" in page.get_data(as_text=True)
    before = attempts_of(db, student)
    fields = player.form_fields(1)
    response = player.client.post(player.url(4), data={**fields, **ANSWERS[4]})
    assert response.status_code == 403
    assert attempts_of(db, student) == before


@pytest.mark.parametrize(
    "path",
    ["/quests/no-such-quest", "/quests/no-such-quest/1", "/quests/{slug}/9", "/quests/{slug}/0"],
)
def test_tampered_slugs_and_positions_are_not_found(player: Player, path: str):
    assert player.client.get(path.format(slug=player.quest.slug)).status_code == 404


def test_a_quest_of_another_class_is_not_found(player: Player, school):
    assert player.client.get(f"/quests/{school.other_quest.slug}/1").status_code == 404


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"q-q1": "7"}, "Choose from the listed answers"),
        ({"q-q1": "x"}, "Choose from the listed answers"),
        ({"q-q1": ["0", "1"]}, "Choose one answer"),
    ],
)
def test_a_tampered_quiz_answer_is_refused_and_nothing_recorded(
    player: Player, db, school, data, message, student
):
    player.answer(1, ANSWERS[1])
    before = attempts_of(db, student)
    response = player.answer(2, data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert attempts_of(db, student) == before


def test_a_short_reflection_is_refused_and_kept_in_the_form(player: Player, db, school):
    for position in (1, 2, 3):
        player.answer(position, ANSWERS[position])
    response = player.answer(4, {"text": "Too short"})
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Write at least 50 characters; so far you have 9." in text
    assert ">Too short</textarea>" in text
    assert 'aria-invalid="true"' in text


def test_an_oversized_reflection_is_refused(player: Player):
    for position in (1, 2, 3):
        player.answer(position, ANSWERS[position])
    response = player.answer(4, {"text": "x" * 20_001})
    assert response.status_code == 422
    assert "Keep it under 20000 characters" in response.get_data(as_text=True)


def test_an_unticked_checklist_is_refused(player: Player):
    for position in range(1, 5):
        player.answer(position, ANSWERS[position])
    response = player.answer(5, {})
    assert response.status_code == 422
    assert "Tick every item" in response.get_data(as_text=True)


@pytest.fixture
def screenshot_player(school, student, login_as, db) -> Player:
    """The student at the checkpoint of a quest whose checkpoint asks for a screenshot."""
    stage = school.quest.stages[2]
    # Stages of a published quest are fixed; the test changes the settings in place.
    stage.settings = {**stage.settings, "evidence": ["code", "screenshot"]}
    db.session.commit()
    player = Player(login_as(student), school.quest)
    player.answer(1, ANSWERS[1])
    player.answer(2, ANSWERS[2])
    return player


def reopen_checkpoint(school) -> None:
    from quest_platform.services.reviews import review_attempt

    review_attempt(
        attempt=school.attempt,
        score=0,
        outcome="failed",
        reason="Add a screenshot.",
        by=school.teacher,
    )


def upload(player: Player, data: bytes, alt: str, name: str = "shot.png") -> Any:
    """Send the checkpoint form with a screenshot, encoded here: the test client would spool
    a large body to a temporary file that it never closes."""
    fields = {**player.form_fields(3), "evidence": "", "alt_text": alt}
    fields["screenshot"] = FileStorage(io.BytesIO(data), filename=name, content_type="image/png")
    boundary, body = encode_multipart(fields)
    return player.client.post(
        player.url(3), data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


def test_a_screenshot_is_kept_outside_the_web_root_and_shown_to_its_student(
    screenshot_player: Player, school, db, app
):
    response = upload(screenshot_player, image_bytes(), "My login page with the form filled in")
    assert response.status_code == 302
    evidence = db.session.scalars(select(EvidenceFile)).one()
    assert evidence.content_type == "image/png"
    assert (evidence.width, evidence.height) == (40, 30)
    assert not evidence.stored_name.startswith("shot")
    kept = (app.config["UPLOAD_DIR"] / evidence.stored_name).read_bytes()
    assert Image.open(io.BytesIO(kept), formats=["PNG"]).size == (40, 30)
    page = screenshot_player.client.get(screenshot_player.url(3)).get_data(as_text=True)
    assert 'alt="My login page with the form filled in"' in page
    image = screenshot_player.client.get(f"/evidence/{evidence.id}")
    assert image.status_code == 200
    assert image.mimetype == "image/png"
    assert "no-store" in image.headers["Cache-Control"]
    assert image.data == kept
    image.close()


@pytest.mark.parametrize(
    ("data", "alt", "message"),
    [
        (image_bytes(), "  ", "Describe your screenshot"),
        (b"GIF89a not really", "A picture", "must be a PNG, JPEG or GIF"),
        (image_bytes("BMP"), "A picture", "must be a PNG, JPEG or GIF"),
        (image_bytes()[:60], "A picture", "must be a PNG, JPEG or GIF"),
        (b"\x89PNG" + b"0" * (4 * 1024 * 1024), "A picture", "too large"),
    ],
)
def test_a_bad_screenshot_is_refused_and_nothing_written(
    screenshot_player: Player, student, db, app, data, alt, message
):
    before = attempts_of(db, student)
    files = set(app.config["UPLOAD_DIR"].iterdir())
    response = upload(screenshot_player, data, alt)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert attempts_of(db, student) == before
    assert db.session.scalar(select(func.count(EvidenceFile.id))) == 0
    assert set(app.config["UPLOAD_DIR"].iterdir()) == files


def test_a_form_sent_back_says_the_chosen_screenshot_must_be_chosen_again(
    screenshot_player: Player,
):
    response = upload(screenshot_player, image_bytes(), "  ")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Describe your screenshot" in page
    assert "Choose your screenshot again" in page
    assert 'aria-describedby="screenshot-again"' in page


def test_a_refused_screenshot_is_not_also_asked_for_again(screenshot_player: Player):
    page = upload(screenshot_player, b"not an image", "A picture").get_data(as_text=True)
    assert "must be a PNG, JPEG or GIF" in page
    assert "Choose your screenshot again" not in page


def test_a_gif_screenshot_is_kept_as_a_png(screenshot_player: Player, db):
    response = upload(screenshot_player, image_bytes("GIF"), "My page", name="shot.gif")
    assert response.status_code == 302
    assert db.session.scalars(select(EvidenceFile)).one().content_type == "image/png"


def test_the_screenshot_field_names_the_formats_it_takes(screenshot_player: Player):
    page = screenshot_player.client.get(screenshot_player.url(3)).get_data(as_text=True)
    assert "Screenshot (PNG, JPEG or GIF, up to 4 MB)" in page
    assert 'accept="image/png,image/jpeg,image/gif"' in page


def test_a_screenshot_is_refused_where_the_checkpoint_does_not_ask_for_one(
    player: Player, school, db
):
    player.answer(1, ANSWERS[1])
    player.answer(2, ANSWERS[2])
    response = upload(player, image_bytes(), "A picture")
    assert response.status_code == 422
    assert db.session.scalar(select(func.count(EvidenceFile.id))) == 0


def test_a_screenshot_is_seen_only_by_its_student_their_teacher_and_admins(
    screenshot_player: Player, school, db, login_as, client_factory
):
    upload(screenshot_player, image_bytes("JPEG"), "My page")
    evidence = db.session.scalars(select(EvidenceFile)).one()
    url = f"/evidence/{evidence.id}"
    for person, status in [
        (school.other_student, 404),
        (school.other_teacher, 404),
        (school.teacher, 200),
        (school.admin, 200),
    ]:
        viewer = login_as(person, on=client_factory())
        with viewer.get(url) as response:
            assert response.status_code == status, person.username
    assert client_factory().get(url).status_code == 302


def test_the_teacher_reviews_the_screenshot_on_the_attempts_details(
    screenshot_player: Player, school, db, login_as, client_factory
):
    upload(screenshot_player, image_bytes(), "My login page with the form filled in")
    evidence = db.session.scalars(select(EvidenceFile)).one()
    teacher = login_as(school.teacher, on=client_factory())
    page = teacher.get(f"/admin/attempt/details/?id={evidence.attempt_id}").get_data(as_text=True)
    assert f'src="/evidence/{evidence.id}"' in page
    assert 'alt="My login page with the form filled in"' in page
    assert 'width="40" height="30"' in page


def test_a_timed_quiz_runs_on_the_servers_clock(player: Player, db, school):
    for position in range(1, 6):
        player.answer(position, ANSWERS[position])
    page = player.client.get(player.url(6)).get_data(as_text=True)
    assert "Start the clock" in page
    assert 'name="q-t1"' not in page
    # Answering without starting is refused.
    response = player.answer(6, {"q-t1": "POST", "submission_key": "timed-1", "opened": ""})
    assert response.status_code == 409
    assert "Start the timed quiz" in response.get_data(as_text=True)
    assert player.start(6).status_code == 302
    assert player.start(6).status_code == 302
    assert db.session.scalar(select(func.count(StageStart.id))) == 1
    page = player.client.get(player.url(6)).get_data(as_text=True)
    assert 'role="status"' in page
    assert 'name="q-t1"' in page


def test_a_late_timed_answer_is_recorded_late(player: Player, db, school):
    for position in range(1, 6):
        player.answer(position, ANSWERS[position])
    player.start(6)
    start = db.session.scalars(select(StageStart)).one()
    # Rewind the recorded start past the limit (120 s) and the grace (5 s).
    db.session.execute(
        StageStart.__table__.update()
        .where(StageStart.id == start.id)
        .values(started_at=utcnow() - timedelta(seconds=200))
    )
    db.session.commit()
    response = player.answer(6, {"q-t1": "POST"}, follow_redirects=True)
    assert "counts as late" in response.get_data(as_text=True)
    latest = db.session.scalars(select(Attempt).order_by(Attempt.id.desc())).first()
    assert (latest.outcome, latest.score) == (Outcome.LATE, 0.0)


def test_staff_are_refused_the_student_pages(school, login_as):
    client = login_as(school.teacher)
    assert client.get("/quests").status_code == 403
    assert client.get(f"/quests/{school.quest.slug}/1").status_code == 403
