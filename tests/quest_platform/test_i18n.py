"""Languages: the user's choice, then this visit's choice, then the browser's.

The Spanish catalog itself is checked in test_translations.py.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po
from flask import render_template_string
from flask_babel import get_locale, gettext
from helpers import PASSWORD, html_attribute, post_form
from markupsafe import escape
from sqlalchemy import select

import quest_platform
from quest_platform.extensions import babel
from quest_platform.models import User
from quest_platform.services.roster_import import import_roster
from seeds.load import DemoCalendar, seed_demo

TRANSLATIONS = Path(quest_platform.__file__).parent / "translations"
SPANISH_PO = TRANSLATIONS / "es" / "LC_MESSAGES" / "messages.po"
SPANISH_MO = SPANISH_PO.with_suffix(".mo")
# Strings of the home page that a Spanish visitor must see translated.
HOME_PAGE_STRINGS = (
    "Skip to main content",
    "Sign in",
    "Join a class with a code",
    "How the sprint works",
    "Change language",
)


def page_language(response) -> str | None:
    return html_attribute(response.get_data(as_text=True), "html", "lang")


def switch_language(client, language: str, next_page: str = "/"):
    return post_form(client, "/language", {"language": language, "next": next_page}, form_page="/")


def spanish_catalog():
    with SPANISH_PO.open("rb") as file:
        return read_po(file, locale="es")


@pytest.fixture
def compiled_spanish():
    """Compile the Spanish catalog as `make` does, if it is missing or older than its source."""
    if not SPANISH_MO.exists() or SPANISH_MO.stat().st_mtime < SPANISH_PO.stat().st_mtime:
        CommandLineInterface().run(["pybabel", "compile", "-d", str(TRANSLATIONS), "-l", "es"])
    # Forget translations loaded before the catalog was compiled.
    babel.domain_instance.cache.clear()
    yield
    babel.domain_instance.cache.clear()


def test_pages_are_in_english_by_default(client):
    assert page_language(client.get("/")) == "en"


@pytest.mark.parametrize(
    ("accept_language", "language"),
    [("es", "es"), ("es-MX,es;q=0.9,en;q=0.5", "es"), ("en-US", "en"), ("fr, de", "en")],
)
def test_the_browser_s_language_is_used(client, accept_language, language):
    response = client.get("/", headers={"Accept-Language": accept_language})
    assert page_language(response) == language


def test_a_visitor_switches_to_spanish_for_the_visit(client):
    response = switch_language(client, "es", next_page="/accounts/join")
    assert response.status_code == 302
    assert response.headers["Location"] == "/accounts/join"
    assert page_language(client.get("/accounts/join")) == "es"
    assert page_language(client.get("/", headers={"Accept-Language": "en"})) == "es"


@pytest.mark.parametrize(
    "next_page",
    ["https://evil.example/", "//evil.example/", "https:evil.example", "\\\\evil.example"],
)
def test_the_language_switch_never_leads_off_the_site(client, next_page):
    response = switch_language(client, "es", next_page=next_page)
    assert response.headers["Location"] == "/"


def test_a_backslash_cannot_turn_the_next_page_into_another_host(client):
    response = switch_language(client, "es", next_page="/\\evil.example")
    assert response.headers["Location"] == "/%5Cevil.example"


def test_an_unknown_language_is_refused(client):
    response = switch_language(client, "xx")
    assert response.status_code == 400
    assert page_language(client.get("/")) == "en"


def test_a_signed_in_user_s_switch_is_saved_to_their_account(
    client, client_factory, db, make, login_as
):
    student = make.student()
    login_as(student)
    switch_language(client, "es")
    db.session.refresh(student)
    assert student.language == "es"

    elsewhere = login_as(student, on=client_factory())
    assert page_language(elsewhere.get("/", headers={"Accept-Language": "en"})) == "es"


def test_the_user_s_language_beats_the_browser_s(client, db, make, login_as):
    student = make.student()
    student.language = "es"
    db.session.commit()
    login_as(student)
    assert page_language(client.get("/accounts/profile", headers={"Accept-Language": "en"})) == "es"


@pytest.mark.usefixtures("compiled_spanish")
def test_spanish_pages_are_in_spanish(client):
    catalog = spanish_catalog()
    english = client.get("/").get_data(as_text=True)
    switch_language(client, "es")
    spanish = client.get("/").get_data(as_text=True)

    assert html_attribute(spanish, "html", "lang") == "es"
    for text in HOME_PAGE_STRINGS:
        translation = catalog[text].string
        assert translation, f"{text!r} has no Spanish translation"
        assert str(escape(text)) in english
        assert str(escape(translation)) in spanish, f"{text!r} is not in Spanish"


# A person's language stays unset (the browser decides) until they choose one.


def spanish_browser(client):
    """``client`` as a browser whose first language is Spanish, on every request."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es-MX,es;q=0.9,en;q=0.5"
    return client


def test_a_student_who_joins_from_a_spanish_browser_stays_in_spanish(client, db, make):
    classroom = make.classroom()
    spanish_browser(client)
    assert page_language(client.get("/accounts/join")) == "es"
    form = {
        "join_code": classroom.join_code,
        "username": "ana.r",
        "display_name": "Ana Ruiz",
        "password": PASSWORD,
        "password_confirm": PASSWORD,
    }
    response = post_form(client, "/accounts/join", form, follow_redirects=True)
    assert page_language(response) == "es"
    student = db.session.scalar(select(User).where(User.username == "ana.r"))
    assert student.language is None


def test_an_imported_student_follows_a_spanish_browser(client, db, make):
    classroom = make.classroom()
    (credential,) = import_roster(
        data="first name,last name,username\nLuis,Mora,luis.m\n", classroom=classroom, by=None
    )
    spanish_browser(client)
    response = post_form(
        client,
        "/login",
        {"email": credential.username, "password": credential.password},
        follow_redirects=True,
    )
    # The one-time password is changed first, on a page in the browser's language.
    assert response.request.path == "/change"
    assert page_language(response) == "es"


def test_demo_students_follow_the_browser(app, client, db):
    seed_demo(seed=2026, calendar=DemoCalendar(day=date(2026, 12, 9)), echo=lambda line: None)
    assert db.session.scalar(select(User.id).where(User.language.is_not(None))) is None
    logins = Path(app.config["DEMO_LOGINS_FILE"]).read_text("utf-8")
    username, password = re.search(r"^student\s+(\S+)\s+(\S+)", logins, re.M).groups()
    spanish_browser(client)
    response = post_form(
        client, "/login", {"email": username, "password": password}, follow_redirects=True
    )
    assert page_language(response) == "es"


# Spanish numbers and times as readers in the Americas write them


def test_spanish_numbers_and_times_are_written_as_in_the_americas(app):
    moment = datetime(2026, 12, 1, 14, 5, tzinfo=UTC)
    template = "{{ 12345.5 | numberformat }} · {{ moment | clock }} · {{ moment | moment }}"
    with app.app_context(), app.test_request_context(headers={"Accept-Language": "es"}):
        text = render_template_string(template, moment=moment)
        assert str(get_locale()) == "es_419"
        # The words still come from the Spanish catalog.
        assert gettext("Sign in") == spanish_catalog()["Sign in"].string
    assert text == "12,345.5 · 2:05\u202fp.m. · 1 dic 2026, 2:05\u202fp.m."


def test_english_numbers_and_times_have_no_seconds(app):
    moment = datetime(2026, 12, 1, 14, 5, 59, tzinfo=UTC)
    template = "{{ 12345.5 | numberformat }} · {{ moment | clock }} · {{ moment | moment }}"
    with app.app_context(), app.test_request_context(headers={"Accept-Language": "en"}):
        text = render_template_string(template, moment=moment)
    assert text == "12,345.5 · 2:05\u202fPM · Dec 1, 2026, 2:05\u202fPM"
