"""The caller's own record and preferences, and a teacher's rosters, progress and predictions."""

from __future__ import annotations

import pytest

from quest_platform.models import Enrollment, PointsEntry, PointsReason
from quest_platform.services.tokens import create_api_token


def bearer(user) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_api_token(user=user, name='tests').secret}"}


def test_my_points_and_achievements(client, school, db):
    attempt = school.attempt
    db.session.add(
        PointsEntry(
            student_id=school.student.id,
            quest_id=school.quest.id,
            stage_id=attempt.stage_id,
            attempt_id=attempt.id,
            points=30,
            reason=PointsReason.STAGE_SCORE.value,
        )
    )
    db.session.commit()
    headers = bearer(school.student)
    assert client.get("/api/v1/me/points", headers=headers).get_json() == {"points": 30}
    badges = client.get("/api/v1/me/achievements", headers=headers).get_json()
    earned = [badge["code"] for badge in badges if badge["earned"]]
    assert earned == [school.award.achievement.code]
    assert all(badge["name"] and badge["description"] for badge in badges)


def test_my_analytics_record_gives_the_reasons_in_words(client, school, make):
    make.prediction(
        student=school.student,
        classroom=school.classroom,
        quest=school.quest,
        probability=0.25,
        risk="at_risk",
        reasons=[["inactive_days", 9]],
    )
    record = client.get("/api/v1/me/analytics", headers=bearer(school.student)).get_json()
    [prediction] = record["predictions"]
    assert prediction["quest_title"] == school.quest.title
    assert prediction["risk"] == "at_risk"
    assert prediction["reasons"]
    assert all(isinstance(reason, str) and reason for reason in prediction["reasons"])
    other = client.get("/api/v1/me/analytics", headers=bearer(school.other_student)).get_json()
    assert other["predictions"] == []


def test_my_prediction_says_how_sure_it_is_and_which_model_made_it(client, school, make):
    make.prediction(
        student=school.student,
        classroom=school.classroom,
        quest=school.quest,
        confidence="little_data",
    )
    record = client.get("/api/v1/me/analytics", headers=bearer(school.student)).get_json()
    [prediction] = record["predictions"]
    assert prediction["confidence"] == "little_data"
    # Made by the starting model, shipped with the platform.
    assert prediction["model_version"] is None


def test_my_profile_changes_only_what_is_sent(client, school, db):
    headers = bearer(school.student)
    before = client.get("/api/v1/me/profile", headers=headers).get_json()
    response = client.patch(
        "/api/v1/me/profile", json={"theme": "dark", "leaderboard_opt_in": False}, headers=headers
    )
    assert response.status_code == 200
    after = response.get_json()
    assert after == {**before, "theme": "dark", "leaderboard_opt_in": False}
    db.session.refresh(school.student)
    assert school.student.theme == "dark"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"theme": "neon"}, "theme"),
        ({"display_name": ""}, "display_name"),
        ({"reduced_motion": "yes"}, "reduced_motion"),
        ({"password": "new"}, "password"),
    ],
)
def test_a_bad_profile_change_names_the_field_and_saves_nothing(client, school, db, change, field):
    headers = bearer(school.student)
    before = client.get("/api/v1/me/profile", headers=headers).get_json()
    response = client.patch("/api/v1/me/profile", json=change, headers=headers)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert client.get("/api/v1/me/profile", headers=headers).get_json() == before


def test_a_taken_pseudonym_is_a_conflict(client, school, db):
    db.session.add(Enrollment(classroom=school.classroom, student=school.other_student))
    db.session.commit()
    response = client.patch(
        "/api/v1/me/profile",
        json={"pseudonym": school.other_student.pseudonym},
        headers=bearer(school.student),
    )
    assert response.status_code in (409, 422)
    assert response.get_json()["message"]


def test_a_teacher_reads_the_roster_without_secrets(client, school):
    response = client.get(
        f"/api/v1/classrooms/{school.classroom.id}/roster", headers=bearer(school.teacher)
    )
    roster = response.get_json()
    assert [student["username"] for student in roster] == [school.student.username]
    text = response.get_data(as_text=True)
    assert school.student.password not in text
    assert "password" not in text


def test_a_teacher_reads_the_progress_matrix(client, school):
    rows = client.get(
        f"/api/v1/classrooms/{school.classroom.id}/progress", headers=bearer(school.teacher)
    ).get_json()
    assert rows == [
        {
            "student_id": school.student.id,
            "display_name": school.student.display_name,
            "quests": [
                {
                    "quest": school.quest.slug,
                    "status": "in_progress",
                    "stages_done": 0,
                    "stages_total": 7,
                }
            ],
        }
    ]


def test_a_teacher_reads_the_predictions_of_their_class(client, school, make):
    make.prediction(
        student=school.student,
        classroom=school.classroom,
        quest=school.quest,
        probability=0.9,
        risk="on_track",
        reasons=[],
    )
    url = f"/api/v1/classrooms/{school.classroom.id}/predictions"
    [prediction] = client.get(url, headers=bearer(school.teacher)).get_json()
    assert prediction["student_id"] == school.student.id
    assert prediction["display_name"] == school.student.display_name
    assert client.get(url, headers=bearer(school.other_teacher)).status_code == 404


def test_a_teachers_predictions_say_how_sure_and_which_fitted_model(client, school, make):
    model = make.prediction_model(version=3)
    make.prediction(
        student=school.student,
        classroom=school.classroom,
        quest=school.quest,
        confidence="good",
        model=model,
    )
    url = f"/api/v1/classrooms/{school.classroom.id}/predictions"
    [prediction] = client.get(url, headers=bearer(school.teacher)).get_json()
    assert prediction["confidence"] == "good"
    assert prediction["model_version"] == 3


def test_the_api_document_explains_confidence_and_model(client):
    document = client.get("/api/v1/openapi.json").get_json()
    fields = document["components"]["schemas"]["PredictionOut"]["properties"]
    assert fields["confidence"]["enum"] == ["little_data", "fair", "good"]
    assert "first guess" in fields["confidence"]["description"]
    assert "Null: the starting model" in fields["model_version"]["description"]
