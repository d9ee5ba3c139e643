"""Personal API tokens, and a student's quests through the API: read, answer, feedback."""

from __future__ import annotations

from datetime import timedelta

import pytest
from helpers import PASSWORD, post_form
from sqlalchemy import func, select

from quest_platform.models import ApiToken, Attempt, AuditEntry, utcnow
from quest_platform.services.tokens import create_api_token, digest_of


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def token(school):
    return create_api_token(user=school.student, name="My site")


def test_a_token_is_shown_once_and_stored_only_as_its_digest(client, school, login_as, db):
    login_as(school.student)
    made = client.post(
        "/api/v1/tokens", json={"name": "Pages site", "days": 7}, headers={"X-Origin": "x"}
    )
    assert made.status_code == 201
    secret = made.get_json()["token"]
    assert secret.startswith("qp_")
    assert made.get_json()["works"] is True
    listed = client.get("/api/v1/tokens").get_data(as_text=True)
    assert secret not in listed
    stored = db.session.scalars(select(ApiToken)).one()
    assert stored.digest == digest_of(secret)
    assert secret not in stored.digest
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.table_name == "api_token")).all()
    assert audit
    assert all(
        secret not in str(entry.after) and stored.digest not in str(entry.after) for entry in audit
    )


def test_a_token_signs_its_owner_in_without_a_cookie(client, school, token):
    response = client.get("/api/v1/session", headers=bearer(token.secret))
    assert response.status_code == 200
    assert response.get_json()["username"] == school.student.username
    assert client.get_cookie("quest_session") is None
    # A token write needs no CSRF header: no cookie is sent that another site could abuse.
    answer = client.post(
        f"/api/v1/quests/{school.quest.slug}/stages/1/attempts",
        json={"answer": {"confirmed": True}},
        headers=bearer(token.secret),
    )
    assert answer.status_code == 201


@pytest.mark.parametrize("state", ["revoked", "expired", "mistyped", "not bearer"])
def test_a_token_that_does_not_work_is_a_401(client, school, token, db, state):
    secret, header = token.secret, None
    if state == "revoked":
        assert (
            client.delete(f"/api/v1/tokens/{token.token.id}", headers=bearer(secret)).status_code
            == 200
        )
    elif state == "expired":
        token.token.created_at = utcnow() - timedelta(days=2)
        token.token.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    elif state == "mistyped":
        secret = secret[:-2] + "xx"
    else:
        header = {"Authorization": f"Basic {secret}"}
    response = client.get("/api/v1/session", headers=header or bearer(secret))
    assert response.status_code == 401
    assert "token" in response.get_json()["message"]


def test_a_token_of_another_student_cannot_be_revoked(client, school, token, login_as):
    other = create_api_token(user=school.other_student, name="Theirs")
    response = client.delete(f"/api/v1/tokens/{token.token.id}", headers=bearer(other.secret))
    assert response.status_code == 404
    assert client.get("/api/v1/session", headers=bearer(token.secret)).status_code == 200


def test_a_token_cannot_make_tokens(client, school, token, db):
    response = client.post("/api/v1/tokens", json={"name": "Another"}, headers=bearer(token.secret))
    assert response.status_code == 403
    assert "token" in response.get_json()["message"]
    assert db.session.scalar(select(func.count(ApiToken.id))) == 1


NEW_PASSWORD = "lighthouse marmalade orbit 42"


def reset_at_the_teacher_home(client, school):
    return post_form(
        client,
        f"/admin/students/{school.student.id}/reset-password",
        {"confirmed": "yes"},
        form_page="/admin/",
    )


def users_action(client, school, action: str):
    data = {
        "action": action,
        "confirmed": "yes",
        "rowid": str(school.student.id),
        "url": "/admin/user/",
    }
    return post_form(client, "/admin/user/action/", data, form_page="/admin/user/")


def deactivate_in_the_edit_form(client, school):
    data = {"display_name": school.student.display_name, "pseudonym": school.student.pseudonym}
    return post_form(client, f"/admin/user/edit/?id={school.student.id}", data)


def change_own_password(client, school):
    change = {"password": PASSWORD, "new_password": NEW_PASSWORD}
    return post_form(client, "/change", {**change, "new_password_confirm": NEW_PASSWORD})


ENDINGS = {
    "reset at the teacher home": ("teacher", reset_at_the_teacher_home),
    "reset in bulk": (
        "teacher",
        lambda client, school: users_action(client, school, "reset_passwords"),
    ),
    "deactivated in bulk": (
        "teacher",
        lambda client, school: users_action(client, school, "deactivate"),
    ),
    "deactivated in the edit form": ("admin", deactivate_in_the_edit_form),
    "changed by the student": ("student", change_own_password),
}


@pytest.mark.parametrize("ending", ENDINGS)
def test_a_new_password_or_a_deactivation_revokes_every_token(
    client, school, token, db, login_as, ending
):
    role, end = ENDINGS[ending]
    others = create_api_token(user=school.other_student, name="Theirs")
    login_as(getattr(school, role))
    assert end(client, school).status_code in {200, 302}
    assert client.get("/api/v1/session", headers=bearer(token.secret)).status_code == 401
    db.session.expire_all()
    assert token.token.revoked_at is not None
    assert client.get("/api/v1/session", headers=bearer(others.secret)).status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x", "days": 91}, "days"),
        ({"name": "x", "days": "7"}, "days"),
        ({"name": "x", "extra": 1}, "extra"),
    ],
)
def test_a_bad_token_request_names_the_field(client, school, token, body, field):
    response = client.post("/api/v1/tokens", json=body, headers=bearer(token.secret))
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_the_quest_list_and_a_quest_never_show_answers(client, school, token):
    quests = client.get("/api/v1/quests", headers=bearer(token.secret)).get_json()
    assert [quest["slug"] for quest in quests] == [school.quest.slug]
    assert quests[0]["stages_total"] == 7
    quest = client.get(f"/api/v1/quests/{school.quest.slug}", headers=bearer(token.secret))
    text = quest.get_data(as_text=True)
    assert quest.status_code == 200
    for secret_field in ('"answer"', '"accepted"', '"explanation"'):
        assert secret_field not in text
    stages = quest.get_json()["stages"]
    quiz = next(stage for stage in stages if stage["kind"] == "quiz")
    assert quiz["questions"][0]["choices"]
    assert stages[0]["unlocked"] is True


def test_an_answer_is_graded_on_the_server_with_feedback(client, school, token, db):
    slug = school.quest.slug
    headers = bearer(token.secret)
    client.post(
        f"/api/v1/quests/{slug}/stages/1/attempts",
        json={"answer": {"confirmed": True}},
        headers=headers,
    )
    response = client.post(
        f"/api/v1/quests/{slug}/stages/2/attempts",
        json={"answer": {"responses": {"q1": [0]}}, "submission_key": "api-quiz-try-1"},
        headers=headers,
    )
    assert response.status_code == 201
    attempt = response.get_json()
    assert attempt["outcome"] == "failed"
    assert attempt["feedback"][0]["correct"] is False
    again = client.post(
        f"/api/v1/quests/{slug}/stages/2/attempts",
        json={"answer": {"responses": {"q1": [0]}}, "submission_key": "api-quiz-try-1"},
        headers=headers,
    )
    assert again.get_json()["id"] == attempt["id"]
    mine = client.get(f"/api/v1/quests/{slug}/stages/2/attempts", headers=headers).get_json()
    assert [item["id"] for item in mine] == [attempt["id"]]


def test_an_answers_feedback_holds_the_right_answer_only_once_no_try_is_left(
    client, school, token, db
):
    quiz = school.quest.stages[1]
    quiz.settings = {
        **quiz.settings,
        "max_tries": 2,
        "reveal_answers": "finished",
        "questions": [{**quiz.questions[0], "hint": "Not in the browser.", "explanation": "Why."}],
    }
    db.session.commit()
    slug, headers = school.quest.slug, bearer(token.secret)
    client.post(
        f"/api/v1/quests/{slug}/stages/1/attempts",
        json={"answer": {"confirmed": True}},
        headers=headers,
    )

    def answer(key: str) -> dict:
        response = client.post(
            f"/api/v1/quests/{slug}/stages/2/attempts",
            json={"answer": {"responses": {"q1": [0]}}, "submission_key": key},
            headers=headers,
        )
        assert response.status_code == 201
        return response.get_json()["feedback"][0]

    first = answer("api-quiz-wrong-1")
    assert first == {
        "question_id": "q1",
        "prompt": "Where is session data kept?",
        "correct": False,
        "given": ["Browser"],
        "hint": "Not in the browser.",
        "right_answers": [],
        "explanation": "",
    }
    last = answer("api-quiz-wrong-2")
    assert (last["right_answers"], last["explanation"]) == (["Server"], "Why.")
    mine = client.get(f"/api/v1/quests/{slug}/stages/2/attempts", headers=headers).get_json()
    # Out of tries: every attempt's feedback now shows the right answer.
    assert [item["feedback"][0]["right_answers"] for item in mine] == [["Server"], ["Server"]]


@pytest.mark.parametrize(
    ("position", "answer", "status"),
    [(4, {"text": "too short"}, 403), (1, {"confirmed": "yes"}, 422), (1, [], 422)],
)
def test_a_refused_answer_records_nothing(client, school, token, db, position, answer, status):
    before = db.session.scalar(select(func.count(Attempt.id)))
    response = client.post(
        f"/api/v1/quests/{school.quest.slug}/stages/{position}/attempts",
        json={"answer": answer},
        headers=bearer(token.secret),
    )
    assert response.status_code == status
    assert response.get_json()["message"]
    assert db.session.scalar(select(func.count(Attempt.id))) == before


def test_a_start_time_chosen_by_the_caller_is_refused(client, school, token, db):
    before = db.session.scalar(select(func.count(Attempt.id)))
    response = client.post(
        f"/api/v1/quests/{school.quest.slug}/stages/1/attempts",
        json={"answer": {"confirmed": True}, "started_at": "1990-01-01T00:00:00+00:00"},
        headers=bearer(token.secret),
    )

    assert response.status_code == 422
    assert "started_at" in response.get_json()["errors"]
    assert db.session.scalar(select(func.count(Attempt.id))) == before


def test_a_try_is_timed_from_when_the_server_gave_the_stage(client, school, token, db):
    slug = school.quest.slug
    headers = bearer(token.secret)
    handed_out = utcnow()
    stages = client.get(f"/api/v1/quests/{slug}", headers=headers).get_json()["stages"]

    answered = client.post(
        f"/api/v1/quests/{slug}/stages/1/attempts",
        json={"answer": {"confirmed": True}, "opened": stages[0]["opened"]},
        headers=headers,
    )

    assert answered.status_code == 201
    attempt = db.session.get(Attempt, answered.get_json()["id"])
    # Signed in whole seconds; the answer came after.
    assert handed_out - timedelta(seconds=1) <= attempt.started_at <= attempt.submitted_at


@pytest.mark.parametrize("opened", ["made-up", "other stage", "other student"])
def test_an_opening_note_not_made_for_this_try_times_it_from_the_answer(
    client, school, token, db, make, opened
):
    slug = school.quest.slug
    if opened == "other stage":
        quest = client.get(f"/api/v1/quests/{slug}", headers=bearer(token.secret)).get_json()
        opened = quest["stages"][1]["opened"]
    elif opened == "other student":
        classmate = make.student()
        make.assignment(quest=school.quest, classroom=make.classroom(students=[classmate]))
        theirs = bearer(create_api_token(user=classmate, name="Theirs").secret)
        opened = client.get(f"/api/v1/quests/{slug}", headers=theirs).get_json()["stages"][0][
            "opened"
        ]

    answered = client.post(
        f"/api/v1/quests/{slug}/stages/1/attempts",
        json={"answer": {"confirmed": True}, "opened": opened},
        headers=bearer(token.secret),
    )

    assert answered.status_code == 201
    attempt = db.session.get(Attempt, answered.get_json()["id"])
    assert attempt.started_at == attempt.submitted_at
