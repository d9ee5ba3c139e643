"""The Spanish catalog is complete, consistent with the code, and used by the pages.

These tests fail whenever someone marks a new string (or changes one) without running
``make translations`` and translating it: re-extracting the strings from the code must give
exactly the template in the repository, and every one of them needs a checked Spanish
translation whose placeholders match the English.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "quest_platform" / "translations"
TEMPLATE = TRANSLATIONS / "messages.pot"
SPANISH = TRANSLATIONS / "es" / "LC_MESSAGES" / "messages.po"
# The same command as `make translations`, with its output sent elsewhere.
EXTRACT = [
    "--quiet", "extract", "-F", "babel.cfg",
    "-k", "_l", "-k", "lazy_gettext", "-k", "lazy_pgettext:1c,2",
]  # fmt: skip
SOURCES = ["quest_platform", "admin_views", "analytics"]
UPDATE_HINT = "run `make translations`, then translate the new entries in " + str(
    SPANISH.relative_to(ROOT)
)
# printf-style conversions: %(name)s, %(count)d, %s, %d and the literal %%.
PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[#0 +-]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa%]")


def load(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as file:
        return read_po(file, locale=locale)


def msgid(message: Message) -> str:
    """A message's singular id, used in failure reports."""
    return message.id if isinstance(message.id, str) else message.id[0]


def forms(value: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def entries(catalog: Catalog) -> Iterator[Message]:
    """Every message of a catalog except the header."""
    return (message for message in catalog if message.id)


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


@pytest.fixture(scope="module")
def spanish() -> Catalog:
    return load(SPANISH, locale="es")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """The strings marked in the code today, extracted as `make translations` does."""
    output = tmp_path_factory.mktemp("extracted") / "messages.pot"
    command = [
        sys.executable,
        "-m",
        "babel.messages.frontend",
        *EXTRACT,
        "-o",
        str(output),
        *SOURCES,
    ]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603
    assert result.returncode == 0, result.stderr
    return load(output)


def test_spanish_catalog_header(spanish: Catalog) -> None:
    assert str(spanish.locale) == "es"
    assert spanish.num_plurals == 2
    assert spanish.plural_expr.replace(" ", "") == "(n!=1)"


def test_every_message_is_translated_and_checked(spanish: Catalog) -> None:
    untranslated = [
        msgid(message)
        for message in entries(spanish)
        if not all(form.strip() for form in forms(message.string))
    ]
    plural_gaps = [
        msgid(message)
        for message in entries(spanish)
        if message.pluralizable and len(forms(message.string)) != spanish.num_plurals
    ]
    fuzzy = [msgid(message) for message in entries(spanish) if message.fuzzy]
    assert not untranslated, f"untranslated in {SPANISH.name}: {untranslated}"
    assert not plural_gaps, f"plural entries without {spanish.num_plurals} forms: {plural_gaps}"
    assert not fuzzy, f"fuzzy (unchecked) entries; check them and remove the flag: {fuzzy}"


def test_placeholders_match(spanish: Catalog) -> None:
    mismatched = []
    for message in entries(spanish):
        singular, *plural = forms(message.id)
        for index, translation in enumerate(forms(message.string)):
            original = singular if index == 0 or not plural else plural[0]
            if placeholders(original) != placeholders(translation):
                mismatched.append((original, translation))
    assert not mismatched, f"placeholders differ between msgid and msgstr: {mismatched}"


def test_catalog_passes_babel_checks(spanish: Catalog) -> None:
    """The checks `pybabel compile` runs (python-format and plural forms) find nothing."""
    problems = [
        (msgid(message), [str(error) for error in errors]) for message, errors in spanish.check()
    ]
    assert not problems


def test_template_is_up_to_date_with_the_code(extracted: Catalog) -> None:
    committed = load(TEMPLATE)
    in_code = {(message.context, message.id) for message in entries(extracted)}
    in_template = {(message.context, message.id) for message in entries(committed)}
    new, gone = in_code - in_template, in_template - in_code
    assert not new, f"strings missing from messages.pot: {sorted(map(str, new))}; {UPDATE_HINT}"
    assert not gone, f"messages.pot lists strings gone from the code: {sorted(map(str, gone))}"


def test_every_string_in_the_code_is_translated(extracted: Catalog, spanish: Catalog) -> None:
    # A message is looked up with its context: "Done" of a stage and of a quest are two entries.
    translations = [
        (message, spanish.get(message.id, context=message.context))
        for message in entries(extracted)
    ]
    missing = [
        msgid(message)
        for message, translation in translations
        if translation is None
        or translation.fuzzy
        or not all(form.strip() for form in forms(translation.string))
    ]
    assert not missing, (
        f"strings in the code without a Spanish translation: {missing}; {UPDATE_HINT}"
    )


def test_sign_in_page_in_spanish_includes_flask_security_messages(client) -> None:
    """Our catalog and Flask-Security's own Spanish both show after a failed sign-in."""
    headers = {"Accept-Language": "es"}
    form = client.get("/login", headers=headers).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)
    assert token, "no CSRF token on /login"
    response = client.post(
        "/login",
        data={"email": "nobody", "password": "not the password", "csrf_token": token.group(1)},
        headers=headers,
    )
    page = response.get_data(as_text=True)
    assert 'lang="es"' in page
    # Flask-Security's generic failure message and password label, from its es_ES catalog.
    assert "Fallo de autenticación" in page
    assert "Contraseña" in page
    assert "Invalid" not in page
    # The platform's own strings need the compiled catalog (pybabel compile, run by the set-up).
    assert "Iniciar sesión" in page, "Spanish catalog not compiled: run `make compile-translations`"


def test_weak_password_feedback_in_spanish(client, make) -> None:
    """zxcvbn writes its warnings in English only; the platform's catalog translates them."""
    classroom = make.classroom()
    headers = {"Accept-Language": "es"}
    form = client.get("/accounts/join", headers=headers).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)
    assert token, "no CSRF token on /accounts/join"
    response = client.post(
        "/accounts/join",
        data={
            "join_code": classroom.join_code,
            "username": "newstudent",
            "display_name": "New Student",
            "password": "aaaaaaaaaaaa",
            "password_confirm": "aaaaaaaaaaaa",
            "csrf_token": token.group(1),
        },
        headers=headers,
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Las repeticiones como &#34;aaa&#34; son fáciles de adivinar." in page
