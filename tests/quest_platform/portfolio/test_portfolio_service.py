"""The portfolio's write side and its Markdown post: a link made, replaced and revoked (one
working link per student, also when shares arrive together), only its digest kept, and a post
whose front matter and structure no text can break."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

import pytest
import yaml
from conftest import REFLECTION
from flask import Flask
from helpers import at_once
from sqlalchemy import func, select

from quest_platform.extensions import db
from quest_platform.models import AuditEntry, PortfolioLink, User, utcnow
from quest_platform.queries.portfolios import portfolio_of, student_for_link
from quest_platform.services.errors import NotAllowed, NotFound
from quest_platform.services.portfolios import (
    escaped,
    fenced,
    portfolio_post,
    quoted,
    revoke_portfolio_link,
    share_portfolio,
)


def links_of(student: User) -> list[PortfolioLink]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(PortfolioLink)
            .where(PortfolioLink.student_id == student.id)
            .order_by(PortfolioLink.id)
        )
    )


def front_matter_and_body(post: str) -> tuple[dict, str]:
    assert post.startswith("---\n")
    matter, _, body = post[4:].partition("\n---\n")
    return yaml.safe_load(matter), body


# Links


def test_a_share_makes_a_working_link_keeping_only_its_digest(make) -> None:
    student = make.student()
    token = share_portfolio(student=student)
    assert len(token) >= 40
    [link] = links_of(student)
    assert link.digest == hashlib.sha256(token.encode()).hexdigest()
    assert link.prefix == token[:8]
    assert link.revoked_at is None
    assert student_for_link(token) == student
    audit = db.session.scalars(
        select(AuditEntry).where(AuditEntry.table_name == "portfolio_link")
    ).all()
    assert [entry.action for entry in audit] == ["create"]
    assert token not in str(audit[0].after)
    assert link.digest not in str(audit[0].after)


def test_a_second_share_revokes_the_first_link(make) -> None:
    student = make.student()
    first = share_portfolio(student=student, now=utcnow() - timedelta(minutes=5))
    second = share_portfolio(student=student)
    assert first != second
    old, new = links_of(student)
    assert old.revoked_at is not None
    assert new.revoked_at is None
    assert student_for_link(first) is None
    assert student_for_link(second) == student


def test_revoking_makes_the_portfolio_private_again(make) -> None:
    student = make.student()
    token = share_portfolio(student=student)
    revoked = revoke_portfolio_link(student=student)
    assert revoked.revoked_at is not None
    assert student_for_link(token) is None
    with pytest.raises(NotFound) as refused:
        revoke_portfolio_link(student=student)
    assert refused.value.status_code == 404


def test_revoking_touches_no_other_students_link(make) -> None:
    student, other = make.student(), make.student()
    token = share_portfolio(student=other)
    with pytest.raises(NotFound):
        revoke_portfolio_link(student=student)
    assert student_for_link(token) == other


@pytest.mark.parametrize("role", ["teacher", "admin"])
def test_staff_have_no_portfolio_to_share(make, role: str) -> None:
    with pytest.raises(NotAllowed):
        share_portfolio(student=getattr(make, role)())
    assert db.session.scalar(select(func.count()).select_from(PortfolioLink)) == 0


def test_shares_at_once_leave_one_working_link(app: Flask, make) -> None:
    student_id = make.student().id

    def share() -> None:
        share_portfolio(student=db.session.get(User, student_id))

    outcomes = at_once(app, share, senders=20)
    # PostgreSQL runs them one after the other (the student's row is locked): all succeed.
    # SQLite may refuse one that kept clashing, cleanly (409).
    assert set(outcomes) <= {"ok", "Conflict"}
    assert outcomes["ok"] >= 1
    if db.engine.dialect.name == "postgresql":
        assert outcomes == {"ok": 20}
    links = links_of(db.session.get(User, student_id))
    assert len(links) == outcomes["ok"]
    assert [link.revoked_at is None for link in links].count(True) == 1


# The Markdown post


@pytest.mark.engine_independent
@pytest.mark.parametrize(
    "text",
    ["---", "# Heading", "- item", "+ item", "1. first", "2) second", "===", "  # indented"],
)
def test_text_never_starts_a_block(text: str) -> None:
    line = escaped(text)
    assert line.lstrip(" ").startswith(("\\", "1\\", "2\\")), line
    assert quoted(text).startswith("> ")


@pytest.mark.engine_independent
def test_html_liquid_and_inline_markdown_are_shown_as_written() -> None:
    assert escaped("<b>x</b> & {{ site }} {% raw %}") == (
        "&lt;b&gt;x&lt;/b&gt; &amp; &#123;&#123; site &#125;&#125; &#123;% raw %&#125;"
    )
    assert escaped("*a* _b_ `c` [d](e) ![f] | \\") == (
        "\\*a\\* \\_b\\_ \\`c\\` \\[d\\](e) \\!\\[f\\] \\| \\\\"
    )


@pytest.mark.engine_independent
def test_handed_in_code_is_a_fence_liquid_leaves_alone() -> None:
    code = "def show():\n    return '{{ name }}'  # ```\n{% endraw %} <b>"
    assert fenced(code) == (
        "{% raw %}\n````\ndef show():\n    return '{{ name }}'  # ```\n"
        "{% endraw %}{{ '{% endraw' }}{% raw %} %} <b>\n````\n{% endraw %}"
    )


@pytest.mark.engine_independent
def test_every_line_of_a_quote_stays_in_it() -> None:
    assert quoted("One\n\n---\nTwo") == "> One\n>\n> \\---\n> Two"


def test_the_post_has_front_matter_a_blog_reads(app: Flask, work) -> None:
    with app.test_request_context():
        post = portfolio_post(
            portfolio=portfolio_of(student=work.student, public=True), today=date(2026, 12, 7)
        )
    matter, body = front_matter_and_body(post)
    assert matter == {
        "layout": "post",
        "title": 'Portfolio of Ana: "The Coder"',
        "date": date(2026, 12, 7),
        "tags": ["portfolio", "quest-platform"],
        "description": matter["description"],
    }
    assert matter["description"]
    # Only the front matter's two lines are rules: the student's "---" stays quoted.
    assert post.splitlines().count("---") == 2
    assert "> \\---" in body
    assert "> \\# I learned" in body
    assert REFLECTION not in body
    assert f"## {work.quest.title}" in body
    assert "```\ndef login(): return check(password)\n```" in body
    assert "[https://github.com/ana/site/pull/3](https://github.com/ana/site/pull/3)" in body
    assert "> The login form with an error in red" in body
    assert "not included in this post" in body
    assert "> Clear evidence." in body
    assert "> Kind and clear words." in body
    assert "Unkind words" not in body
    assert "Steady Builder" in body
    for person in (work.teacher, work.classmate, work.unkind):
        assert person.display_name not in body
    assert work.student.username not in post


def test_an_empty_portfolio_still_makes_a_valid_post(app: Flask, make) -> None:
    with app.test_request_context():
        post = portfolio_post(
            portfolio=portfolio_of(student=make.student(), public=True), today=date(2026, 12, 7)
        )
    matter, body = front_matter_and_body(post)
    assert matter["layout"] == "post"
    assert "Nothing to show yet." in body
