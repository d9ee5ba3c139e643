"""Linking a GitHub username: by the student on their profile, by their teacher on the student's
page; checked for GitHub's shape, unique in any capitals (also at the same moment), audited."""

from __future__ import annotations

import pytest
from helpers import post_form
from sqlalchemy import select

from quest_platform.models import AuditEntry, User
from quest_platform.services import ServiceError
from quest_platform.services import github as github_service
from quest_platform.services.errors import Conflict, NotAllowed
from quest_platform.services.github import checked_github_username, link_github_username


@pytest.fixture
def student(make):
    return make.student()


# The shape of a login


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("octocat", "octocat"),
        ("Octo-Cat", "octo-cat"),
        ("  a  ", "a"),
        ("@mona", "mona"),
        ("https://github.com/Mona-Lisa", "mona-lisa"),
        ("github.com/mona/", "mona"),
        ("a" * 39, "a" * 39),
        ("1-2-3", "1-2-3"),
        ("", None),
        ("   ", None),
    ],
)
def test_a_login_is_kept_in_lower_case(typed, kept):
    assert checked_github_username(typed) == kept


@pytest.mark.parametrize(
    "typed",
    [
        "-octocat",
        "octocat-",
        "octo--cat",
        "octo_cat",
        "octo.cat",
        "octo cat",
        "a" * 40,
        "https://gitlab.com/mona",
        "https://github.com/mona/repo",
        "<script>",
        "@@mona",
    ],
)
def test_a_login_of_another_shape_is_refused(typed):
    with pytest.raises(ServiceError, match="1 to 39 letters, digits or single hyphens") as refused:
        checked_github_username(typed)
    assert refused.value.field == "github_username"


# Linking


def test_a_student_links_and_unlinks_their_login(student, db):
    link_github_username(user=student, github_username="Octo-Cat", by=student)
    assert db.session.get(User, student.id).github_username == "octo-cat"
    link_github_username(user=student, github_username="", by=student)
    assert db.session.get(User, student.id).github_username is None


def test_a_login_someone_linked_is_refused_in_any_capitals(student, make, db):
    other = make.student()
    link_github_username(user=other, github_username="octocat", by=other)
    with pytest.raises(Conflict, match="Another account has linked this GitHub username"):
        link_github_username(user=student, github_username="OctoCat", by=student)
    assert db.session.get(User, student.id).github_username is None
    # Linking one's own again is no change.
    assert link_github_username(user=other, github_username="OCTOCAT", by=other) is other


def test_a_login_linked_by_someone_else_at_the_same_moment_is_refused_not_a_500(
    student, make, db, monkeypatch
):
    other = make.student()
    link_github_username(user=other, github_username="octocat", by=other)
    # As if the other account linked it between the check and the commit.
    monkeypatch.setattr(github_service, "github_username_taken", lambda *a, **k: False)
    with pytest.raises(Conflict, match="Another account has linked"):
        link_github_username(user=student, github_username="octocat", by=student)
    db.session.rollback()
    assert db.session.get(User, student.id).github_username is None


def test_a_teacher_links_their_students_login_and_it_is_audited(student, make, db):
    teacher = make.teacher()
    make.classroom(teachers=[teacher], students=[student])
    link_github_username(user=student, github_username="ada-codes", by=teacher)
    entry = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.table_name == "user", AuditEntry.record_id == str(student.id))
        .order_by(AuditEntry.id.desc())
    ).first()
    assert entry.actor_id == teacher.id
    assert (entry.before["github_username"], entry.after["github_username"]) == (
        None,
        "ada-codes",
    )


def test_a_teacher_of_another_class_cannot_link_a_login(student, make):
    make.classroom(students=[student])
    stranger = make.teacher()
    make.classroom(teachers=[stranger])
    with pytest.raises(NotAllowed):
        link_github_username(user=student, github_username="ada-codes", by=stranger)


def test_only_students_link_a_login(make):
    teacher = make.teacher()
    with pytest.raises(NotAllowed, match="Only students"):
        link_github_username(user=teacher, github_username="ms-rivera", by=teacher)
    admin = make.admin()
    with pytest.raises(NotAllowed, match="Only students"):
        link_github_username(user=teacher, github_username="ms-rivera", by=admin)


# The profile page


def test_the_profile_links_a_students_login(student, login_as, client, db):
    login_as(student)
    page = client.get("/accounts/profile").get_data(as_text=True)
    assert "No GitHub username is linked yet." in page
    response = post_form(
        client,
        "/accounts/profile/github",
        {"github_username": "Ada-Codes"},
        form_page="/accounts/profile",
    )
    assert response.status_code == 302
    page = client.get("/accounts/profile").get_data(as_text=True)
    assert "Your GitHub username is saved." in page
    assert "Linked GitHub username: ada-codes" in page
    assert 'value="ada-codes"' in page


def test_a_bad_login_comes_back_on_the_profile_with_the_profile_as_saved(student, login_as, client):
    login_as(student)
    response = post_form(
        client,
        "/accounts/profile/github",
        {"github_username": "-ada-"},
        form_page="/accounts/profile",
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "1 to 39 letters, digits or single hyphens" in page
    assert 'value="-ada-"' in page
    assert 'aria-invalid="true"' in page
    # The other form shows what is saved, not empty fields.
    assert f'value="{student.pseudonym}"' in page


def test_a_taken_login_comes_back_on_the_profile(student, make, login_as, client):
    other = make.student()
    link_github_username(user=other, github_username="ada-codes", by=other)
    login_as(student)
    response = post_form(
        client,
        "/accounts/profile/github",
        {"github_username": "ADA-CODES"},
        form_page="/accounts/profile",
    )
    assert response.status_code == 422
    assert "Another account has linked this GitHub username" in response.get_data(as_text=True)


def test_staff_have_no_login_to_link(make, login_as, client):
    teacher = make.teacher()
    login_as(teacher)
    assert "GitHub username" not in client.get("/accounts/profile").get_data(as_text=True)
    response = post_form(
        client,
        "/accounts/profile/github",
        {"github_username": "ms-rivera"},
        form_page="/accounts/profile",
    )
    assert response.status_code == 403


# The teacher's page of a student


def test_a_teacher_links_a_login_on_the_students_page(student, make, login_as, client, db):
    teacher = make.teacher()
    make.classroom(teachers=[teacher], students=[student])
    login_as(teacher)
    details = f"/admin/user/details/?id={student.id}"
    assert '<h2 id="github-title">GitHub username</h2>' in client.get(details).get_data(
        as_text=True
    )
    response = post_form(
        client,
        f"/admin/user/github/?id={student.id}",
        {"github_username": "@Ada-Codes"},
        form_page=details,
    )
    assert response.status_code == 302
    assert "/admin/user/details/" in response.headers["Location"]
    db.session.rollback()
    assert db.session.get(User, student.id).github_username == "ada-codes"
    page = client.get(details).get_data(as_text=True)
    assert "The GitHub username is saved." in page
    assert "<dd>ada-codes</dd>" in page


def test_a_bad_or_taken_login_comes_back_on_the_students_page(student, make, login_as, client, db):
    teacher = make.teacher()
    other = make.student()
    make.classroom(teachers=[teacher], students=[student, other])
    link_github_username(user=other, github_username="taken", by=other)
    login_as(teacher)
    details = f"/admin/user/details/?id={student.id}"
    for typed, says in (("a_b", "single hyphens"), ("Taken", "Another account has linked")):
        response = post_form(
            client,
            f"/admin/user/github/?id={student.id}",
            {"github_username": typed},
            form_page=details,
        )
        assert response.status_code == 422
        assert says in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.get(User, student.id).github_username is None
