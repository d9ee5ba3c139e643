"""The platform starts, serves its home page and lets a student sign in."""

from quest_platform.models import RoleName


def test_home_page(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "Quest Platform" in response.get_data(as_text=True)


def test_student_signs_in_and_sees_profile(client, make, login_as):
    student = make.user(RoleName.STUDENT)
    login_as(student)
    response = client.get("/accounts/profile")
    assert response.status_code == 200
    assert student.username in response.get_data(as_text=True)
