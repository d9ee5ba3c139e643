"""Words that read naturally in both languages: every count has its plural, sentences are whole,
status words agree with what they describe, numbers follow the page's language, and the API
reference speaks Spanish on a Spanish page.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Message
from babel.messages.pofile import read_po
from flask_babel import force_locale, format_decimal, gettext, ngettext
from helpers import post_form

from quest_platform.api.prose import PROSE
from quest_platform.i18n import format_locale
from quest_platform.labels import (
    OUTCOME_LABELS,
    PROGRESS_LABELS,
    STAGE_STATE_LABELS,
    duration,
    score_text,
)
from quest_platform.models import Outcome, User
from quest_platform.queries.progress import ProgressStatus, StageState
from quest_platform.services.accounts import (
    PSEUDONYM_ADJECTIVES,
    PSEUDONYM_ADJECTIVES_ES,
    PSEUDONYM_ANIMALS_ES,
    generate_pseudonym,
)
from quest_platform.services.roster_import import in_words

ROOT = Path(__file__).resolve().parents[2]
SPANISH = ROOT / "quest_platform" / "translations" / "es" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)([ds])")
# Nouns that take a plural; a number placed right before one needs ngettext.
COUNTED_NOUNS = (
    "achievements|answers|attempts|characters|classrooms|days|errors|fields|hours|items|"
    "levels|lines|minutes|points|quests|records|seconds|stages|students|tokens|tries|words"
)
# The API reference's words that Spanish writes the same.
SAME = {"Tokens", "Markdown.", "OK"}
NUMBER_BEFORE_NOUN = re.compile(rf"%\(\w+\)[ds] (?:\w+ )?(?:{COUNTED_NOUNS})\b")


def catalog_messages() -> list[Message]:
    with SPANISH.open("rb") as file:
        return [message for message in read_po(file, locale="es") if message.id]


def plural_messages() -> list[Message]:
    return [message for message in catalog_messages() if message.pluralizable]


def values_for(text: str, count: int) -> dict[str, int | str]:
    """Every placeholder of ``text`` but ``num`` (ngettext's own) filled with ``count``."""
    return {
        name: count if kind == "d" else str(count)
        for name, kind in PLACEHOLDER.findall(text)
        if name != "num"
    }


@pytest.mark.parametrize("message", plural_messages(), ids=lambda message: message.id[0][:60])
def test_every_count_is_written_with_its_singular_and_plural(app, message: Message) -> None:
    """Each message with a count, rendered with 1 and with 2 in English and in Spanish."""
    singular, plural = message.id
    values = {count: values_for(singular + plural, count) for count in (1, 2)}
    with app.test_request_context():
        for language, forms in (("en", (singular, plural)), ("es", tuple(message.string))):
            with force_locale(language):
                one = ngettext(singular, plural, 1, **values[1])
                two = ngettext(singular, plural, 2, **values[2])
            assert one == forms[0] % {**values[1], "num": 1}, (language, one)
            assert two == forms[1] % {**values[2], "num": 2}, (language, two)
            if "%(" in singular + plural:
                # A count written out is the count asked for.
                assert "1" in one, (language, one)
                assert "2" in two, (language, two)
            if singular != plural:
                # Where English words the two apart, Spanish does too.
                assert forms[0] != forms[1], (language, forms)


def test_no_number_stands_before_a_plural_noun_outside_ngettext() -> None:
    """ "1 characters" cannot be written: a number before a counted noun is a plural entry."""
    singular_only = [
        message.id
        for message in catalog_messages()
        if not message.pluralizable and NUMBER_BEFORE_NOUN.search(message.id)
    ]
    assert not singular_only


@pytest.mark.parametrize(
    ("language", "seconds", "words"),
    [
        ("en", 90, "1 minute and 30 seconds"),
        ("es", 90, "1 minuto y 30 segundos"),
        ("en", 61, "1 minute and 1 second"),
        ("es", 61, "1 minuto y 1 segundo"),
        ("es", 120, "2 minutos"),
        ("es", 45, "45 segundos"),
    ],
)
def test_a_duration_joins_its_parts_as_the_language_does(app, language, seconds, words) -> None:
    with app.test_request_context(), force_locale(language):
        assert duration(seconds) == words


@pytest.mark.parametrize(
    ("labels", "state", "spanish"),
    [
        (STAGE_STATE_LABELS, StageState.PASSED, "Hecha"),
        (STAGE_STATE_LABELS, StageState.LATE, "Hecha fuera de plazo"),
        (PROGRESS_LABELS, ProgressStatus.DONE, "Terminada"),
        (PROGRESS_LABELS, ProgressStatus.OVERDUE, "Fuera de plazo"),
        (OUTCOME_LABELS, Outcome.PASSED, "Aprobado"),
        (OUTCOME_LABELS, Outcome.LATE, "Fuera de plazo"),
    ],
)
def test_status_words_agree_with_what_they_describe(app, labels, state, spanish) -> None:
    """A stage (etapa) and a quest (misión) are feminine, an attempt (intento) masculine."""
    with app.test_request_context(), force_locale("es"):
        assert str(labels[state]) == spanish


def test_a_stage_done_reads_hecha_on_the_spanish_stage_page(
    app, db, make, client, login_as
) -> None:
    student = make.student()
    quest = make.quest()
    make.assignment(quest=quest, classroom=make.classroom(students=[student]))
    make.attempt(student=student, quest=quest, position=1, outcome=Outcome.PASSED.value, score=0)
    student.language = "es"
    db.session.commit()
    page = login_as(student).get(f"/quests/{quest.slug}/2").get_data(as_text=True)
    assert ">Hecha<" in page
    assert "Hecho" not in page


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_score_is_written_in_the_page_s_number_format(app, db, make, login_as, language) -> None:
    """7.5 is written as the page's language writes numbers ("7.5" in English)."""
    student = make.student()
    quest = make.quest()
    make.assignment(quest=quest, classroom=make.classroom(students=[student]))
    make.attempt(student=student, quest=quest, position=1, outcome=Outcome.PASSED.value, score=0)
    attempt = make.attempt(
        student=student, quest=quest, position=2, outcome=Outcome.PASSED.value, score=7.5
    )
    student.language = language
    db.session.commit()
    page = login_as(student).get(f"/quests/{quest.slug}/2").get_data(as_text=True)
    with app.test_request_context(), force_locale(format_locale(language)):
        seven_and_a_half = format_decimal(7.5)
        assert score_text(7.5) == seven_and_a_half
        scored = ngettext(
            "You scored %(score)s of %(max)s point.",
            "You scored %(score)s of %(max)s points.",
            int(attempt.max_score),
            score=seven_and_a_half,
            max=score_text(attempt.max_score),
        )
    assert seven_and_a_half in scored
    assert scored in page
    if language == "en":
        assert f"You scored 7.5 of {attempt.max_score:g} points." in page


def test_a_score_on_the_spanish_stage_page_uses_the_spanish_number_format(
    app, db, make, client, login_as
) -> None:
    student = make.student()
    quest = make.quest()
    make.assignment(quest=quest, classroom=make.classroom(students=[student]))
    make.attempt(student=student, quest=quest, position=1, outcome=Outcome.PASSED.value, score=0)
    for score in (0.25, 0.5):
        make.attempt(
            student=student, quest=quest, position=2, outcome=Outcome.FAILED.value, score=score
        )
    student.language = "es"
    db.session.commit()
    page = login_as(student).get(f"/quests/{quest.slug}/2").get_data(as_text=True)
    with app.test_request_context(), force_locale(format_locale("es")):
        half = format_decimal(0.5)
    assert f"{half} / " in page
    assert f"{half} de " in page


def test_the_countdown_carries_both_forms_of_each_count(app, db, make, client, login_as) -> None:
    student = make.student()
    quest = make.quest()
    make.assignment(quest=quest, classroom=make.classroom(students=[student]))
    for position in range(1, 6):
        make.attempt(
            student=student, quest=quest, position=position, outcome=Outcome.PASSED.value, score=0
        )
    student.language = "es"
    db.session.commit()
    login_as(student)
    post_form(client, f"/quests/{quest.slug}/6/start", {}, form_page=f"/quests/{quest.slug}/6")
    page = client.get(f"/quests/{quest.slug}/6").get_data(as_text=True)
    assert 'data-text-minutes-one="Queda {num} minuto"' in page
    assert 'data-text-minutes-other="Quedan {num} minutos"' in page
    assert 'data-text-seconds-one="Queda {num} segundo"' in page


def test_the_api_reference_is_in_spanish_on_a_spanish_page(client) -> None:
    page = client.get("/api/v1/docs", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert 'lang="es"' in page
    assert "Tus clases: aquellas en las que estudias o las que tienes a tu cargo." in page
    assert "Your classrooms: those you study in" not in page
    # Code stays code.
    assert "<code>GET /api/v1/classrooms</code>" in page


def test_the_api_reference_prose_list_matches_the_document(app) -> None:
    """Every summary and description of the OpenAPI document is listed for translation."""
    document = app.extensions["quest_api"].spec.to_dict()
    texts: set[str] = set()

    def collect(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("summary", "description") and isinstance(value, str):
                    texts.add(" ".join(value.split()))
                else:
                    collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect(document)
    titles = {
        tag["name"].removeprefix("api_").replace("_", " ").capitalize() for tag in document["tags"]
    }
    assert texts | titles == set(PROSE)
    with app.test_request_context(), force_locale("es"):
        untranslated = [text for text in PROSE if gettext(text) == text and text not in SAME]
    assert not untranslated


def test_leaderboard_names_are_generated_in_spanish_too(app, db) -> None:
    spanish = generate_pseudonym("es")
    assert re.fullmatch(
        rf"({'|'.join(PSEUDONYM_ANIMALS_ES)})({'|'.join(PSEUDONYM_ADJECTIVES_ES)})\d\d", spanish
    )
    assert generate_pseudonym("en").startswith(PSEUDONYM_ADJECTIVES)


def test_a_student_joining_in_spanish_gets_a_spanish_leaderboard_name(app, db, make, client):
    classroom = make.classroom()
    response = post_form(
        client,
        "/accounts/join",
        {
            "join_code": classroom.join_code,
            "username": "nueva",
            "display_name": "Nueva Estudiante",
            "password": "a long passphrase for testing",
            "password_confirm": "a long passphrase for testing",
        },
        form_page="/accounts/join",
        headers={"Accept-Language": "es"},
    )
    assert response.status_code == 302
    pseudonym = db.session.query(User.pseudonym).filter_by(username="nueva").scalar()
    assert pseudonym.startswith(PSEUDONYM_ANIMALS_ES), pseudonym


def test_the_spanish_catalog_uses_one_word_for_late_and_for_classroom() -> None:
    """docs/glossary.md: "fuera de plazo" for late, "clase" for classroom, nothing else."""
    other_words = re.compile(r"\b(aulas?|tarde|tardías?|retraso|atrasad[ao]s?)\b", re.IGNORECASE)
    found = [
        form
        for message in catalog_messages()
        for form in ((message.string,) if isinstance(message.string, str) else message.string)
        if other_words.search(form)
    ]
    assert not found


@pytest.mark.parametrize(
    ("language", "style", "words"),
    [
        ("en", "standard", "“a”, “b”, and “c”"),
        ("es", "standard", "“a”, “b” y “c”"),
        ("en", "or", "“a” or “b”"),
        ("es", "or", "“a” o “b”"),
    ],
)
def test_a_list_in_a_sentence_is_joined_as_the_language_does(app, language, style, words):
    """Roster columns are listed with the language's "and"/"or", not glued with commas."""
    items = ["“a”", "“b”", "“c”"] if style == "standard" else ["“a”", "“b”"]
    with app.test_request_context(), force_locale(language):
        assert in_words(items, style=style) == words
