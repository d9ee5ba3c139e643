"""The profile page: a user edits their names and preferences, which take effect at once."""

from __future__ import annotations

import pytest
from helpers import html_attribute, post_form


@pytest.fixture
def student(make, login_as):
    student = make.student()
    login_as(student)
    return student


def profile_form(user, **overrides) -> dict[str, str]:
    values = {
        "display_name": user.display_name,
        "pseudonym": user.pseudonym,
        "language": user.language or "",
        "time_zone": user.time_zone or "",
        "theme": user.theme,
        "leaderboard_opt_in": "y",
    }
    return {**values, **overrides}


def save_profile(client, user, **overrides):
    return post_form(client, "/accounts/profile", profile_form(user, **overrides))


def test_profile_shows_the_user_and_their_classrooms(client, make, login_as):
    student = make.student()
    classroom = make.classroom(students=[student])
    login_as(student)
    text = client.get("/accounts/profile").get_data(as_text=True)
    assert student.username in text
    assert student.display_name in text
    assert classroom.name in text


def test_names_and_preferences_are_saved_and_used_by_the_next_page(client, db, student):
    response = save_profile(
        client,
        student,
        display_name="Grace B. Hopper",
        pseudonym="CobolQueen",
        theme="dark",
        language="es",
        reduced_motion="y",
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/accounts/profile"

    page = client.get("/accounts/profile").get_data(as_text=True)
    assert html_attribute(page, "html", "data-theme") == "dark"
    assert html_attribute(page, "html", "lang") == "es"
    assert html_attribute(page, "html", "data-reduced-motion") == "true"
    assert "Grace B. Hopper" in page

    db.session.refresh(student)
    assert (student.display_name, student.pseudonym) == ("Grace B. Hopper", "CobolQueen")
    assert (student.theme, student.language) == ("dark", "es")
    assert student.reduced_motion
    assert student.leaderboard_opt_in


@pytest.mark.parametrize("theme", ["light", "dark", "high-contrast"])
def test_each_theme_reaches_the_page(client, student, theme):
    save_profile(client, student, theme=theme)
    page = client.get("/").get_data(as_text=True)
    assert html_attribute(page, "html", "data-theme") == theme


def test_leaving_the_leaderboard_is_saved(client, db, student):
    form = profile_form(student)
    del form["leaderboard_opt_in"]
    post_form(client, "/accounts/profile", form)
    db.session.refresh(student)
    assert not student.leaderboard_opt_in


def test_a_taken_pseudonym_is_explained_and_nothing_is_saved(client, db, make, student):
    classmate = make.student()
    response = save_profile(
        client, student, display_name="Changed Name", pseudonym=classmate.pseudonym.lower()
    )
    assert response.status_code == 422
    assert "Someone else uses that leaderboard name." in response.get_data(as_text=True)
    db.session.refresh(student)
    assert student.display_name != "Changed Name"
    assert student.pseudonym != classmate.pseudonym.lower()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"theme": "neon"}, "Not a valid choice"),
        ({"language": "fr"}, "Not a valid choice"),
        ({"time_zone": "Mars/Olympus_Mons"}, "Not a valid choice"),
        ({"pseudonym": "no spaces please"}, "Use 3 to 40 letters, digits, dashes or underscores."),
        ({"display_name": ""}, "This field is required."),
    ],
    ids=["unknown-theme", "unknown-language", "unknown-time-zone", "bad-pseudonym", "no-name"],
)
def test_invalid_preferences_are_refused(client, db, student, change, message):
    theme_before = student.theme
    response = save_profile(client, student, **change)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.session.refresh(student)
    assert student.theme == theme_before


def test_profile_needs_a_signed_in_user(client):
    response = client.get("/accounts/profile")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_a_new_account_follows_the_browser_until_its_owner_chooses(client, db, student):
    page = client.get("/accounts/profile").get_data(as_text=True)
    assert """<option selected value="">Use my browser's language</option>""" in page
    assert """<option selected value="">Use my browser's time zone</option>""" in page
    assert (student.language, student.time_zone) == (None, None)


def test_a_time_zone_is_saved_and_used_by_the_next_page(client, db, student):
    response = save_profile(client, student, time_zone="America/Chicago")
    assert response.status_code == 302
    db.session.refresh(student)
    assert student.time_zone == "America/Chicago"
    page = client.get("/accounts/profile").get_data(as_text=True)
    assert '<option selected value="America/Chicago">America/Chicago</option>' in page


def test_choosing_the_browser_s_language_again_unsets_it(client, db, student):
    save_profile(client, student, language="es", time_zone="Europe/Madrid")
    save_profile(client, student, language="", time_zone="")
    db.session.refresh(student)
    assert (student.language, student.time_zone) == (None, None)
    page = client.get("/accounts/profile", headers={"Accept-Language": "es"})
    assert html_attribute(page.get_data(as_text=True), "html", "lang") == "es"
