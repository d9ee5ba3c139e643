"""achievements_of: every badge with a student's award of it, and the partial that shows a badge."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime

from flask import render_template_string
from flask_babel import force_locale
from sqlalchemy import event

from quest_platform.extensions import db
from quest_platform.models import Achievement, User
from quest_platform.models.achievements import DEFINITIONS
from quest_platform.queries.achievements import achievements_of

BADGE = '{% from "_badges.html" import badge %}{{ badge(item) }}'


def test_every_badge_is_listed_in_order_even_before_any_is_stored(make) -> None:
    student = make.student()

    badges = achievements_of(student=student)

    assert [b.code for b in badges] == [d.code for d in DEFINITIONS]
    assert [(str(b.name), b.icon, b.points) for b in badges] == [
        (str(d.name), d.icon, d.points) for d in DEFINITIONS
    ]
    assert not any(b.earned for b in badges)


def test_a_students_own_awards_are_marked_with_their_date(school) -> None:
    earned = {b.code: b.awarded_at for b in achievements_of(student=school.student)}

    # The school's student (and the other student, separately) earned the first quest.
    assert earned["first-quest"] == school.award.awarded_at
    assert [code for code, when in earned.items() if when is not None] == ["first-quest"]


def test_another_students_awards_are_not_theirs(make, school) -> None:
    newcomer = make.student()

    assert not any(b.earned for b in achievements_of(student=newcomer))


def test_names_and_descriptions_follow_the_readers_language(app, school) -> None:
    with app.test_request_context(), force_locale("es"):
        first = achievements_of(student=school.student)[0]
        assert (str(first.name), first.code) == ("Abrecaminos", "first-quest")


def test_the_stored_bonus_counts_and_other_stored_badges_follow(make, school) -> None:
    db.session.add(
        Achievement(code="helper", name="Helper", description="Helped.", icon="star", points=5)
    )
    db.session.commit()

    badges = achievements_of(student=school.student)

    assert [b.code for b in badges][-1] == "helper"
    assert (badges[-1].name, badges[-1].description, badges[-1].earned) == (
        "Helper",
        "Helped.",
        False,
    )


def test_one_query_whatever_the_number_of_badges(school) -> None:
    student = db.session.get(User, school.student.id)
    statements = []

    def count(*args: object) -> None:
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        achievements_of(student=student)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == 1, statements


def render(app, item, locale: str = "en") -> str:
    with app.test_request_context(), force_locale(locale):
        return render_template_string(BADGE, item=item)


def test_an_earned_badge_says_so_and_when(app, school) -> None:
    earned = achievements_of(student=school.student)[0]
    item = replace(earned, awarded_at=datetime(2026, 11, 3, 12, tzinfo=UTC))

    html = render(app, item)

    assert "badge-earned" in html
    assert "Trailblazer" in html
    assert "Finished a whole quest." in html
    assert "Earned on November 3, 2026" in html
    assert "Not earned yet" not in html


def test_a_badge_not_earned_says_so_in_words(app, make) -> None:
    item = achievements_of(student=make.student())[1]

    html = render(app, item)

    assert "badge-not-earned" in html
    assert "Not earned yet" in html
    assert "Sharp Mind" in html


def test_the_icon_is_hidden_from_assistive_technology(app, make) -> None:
    for item in achievements_of(student=make.student()):
        svg = re.search(r"<svg[^>]*>", render(app, item)).group(0)
        assert 'aria-hidden="true"' in svg
        assert 'focusable="false"' in svg


def test_each_badge_has_its_own_icon(app, make) -> None:
    icons = {
        re.search(r'class="badge-shape" d="([^"]+)"', render(app, item)).group(1)
        for item in achievements_of(student=make.student())
    }

    assert len(icons) == len(DEFINITIONS)


def test_the_badge_reads_in_spanish(app, school) -> None:
    item = achievements_of(student=school.student)[0]

    html = render(app, item, "es")

    assert "Abrecaminos" in html
