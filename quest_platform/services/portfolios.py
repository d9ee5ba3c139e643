"""Portfolios: a link that shares a student's portfolio (made, shown once, revoked by its
student), and the portfolio as a Markdown post for a GitHub Pages blog."""

from __future__ import annotations

import re
import secrets
from datetime import date, datetime

import yaml
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from quest_platform.extensions import db
from quest_platform.labels import OUTCOME_LABELS
from quest_platform.models import PortfolioLink, User, utcnow
from quest_platform.queries.portfolios import Checkpoint, Portfolio, Reflection, digest_of
from quest_platform.services.audit import record_change
from quest_platform.services.errors import Conflict, NotAllowed, NotFound, undone_on_error

# Characters kept at the start of a link's token, so its student can tell links apart.
PREFIX_LENGTH = 8
# Tries at making a link when another share of the same student's commits in between.
SHARE_TRIES = 3


@undone_on_error
def share_portfolio(*, student: User, now: datetime | None = None) -> str:
    """Make a new link to ``student``'s portfolio, revoking the one that worked (if any), and
    return its token: shown to the student this once, only its digest is kept.

    Shares of one student run one at a time: each locks the student's row (PostgreSQL), and
    the database keeps one working link per student (a partial unique index), so a share that
    still clashes (SQLite, which does not lock rows) tries again; two shares sent together
    leave one working link.
    """
    if not student.is_student:
        raise NotAllowed(_("Only students have a portfolio to share."))
    for _try in range(SHARE_TRIES):
        try:
            return _make_link(student_id=student.id, now=now or utcnow())
        except IntegrityError:
            db.session.rollback()
    raise Conflict(
        _("Your portfolio was being shared from elsewhere at the same moment. Try again.")
    )


@undone_on_error
def _make_link(*, student_id: int, now: datetime) -> str:
    """Revoke the student's working link and make a new one, in one committed transaction."""
    db.session.execute(select(User.id).where(User.id == student_id).with_for_update())
    actor = db.session.get(User, student_id)
    _revoke_working(student_id=student_id, now=now)
    token = secrets.token_urlsafe(32)
    link = PortfolioLink(
        student_id=student_id,
        prefix=token[:PREFIX_LENGTH],
        digest=digest_of(token),
        created_at=now,
    )
    db.session.add(link)
    record_change(actor=actor, action="create", record=link, after=described(link))
    db.session.commit()
    return token


@undone_on_error
def revoke_portfolio_link(*, student: User, now: datetime | None = None) -> PortfolioLink:
    """Stop ``student``'s working link from opening their portfolio: it is private again.

    NotFound when no link works (never made, or already revoked).
    """
    db.session.execute(select(User.id).where(User.id == student.id).with_for_update())
    revoked = _revoke_working(student_id=student.id, now=now or utcnow())
    if revoked is None:
        raise NotFound(_("Your portfolio is not shared: there is no link to stop."))
    db.session.commit()
    return revoked


def _revoke_working(*, student_id: int, now: datetime) -> PortfolioLink | None:
    """Revoke the student's working link, if any, in the caller's transaction (audited)."""
    link = db.session.scalar(
        select(PortfolioLink).where(
            PortfolioLink.student_id == student_id, PortfolioLink.revoked_at.is_(None)
        )
    )
    if link is None:
        return None
    before = described(link)
    link.revoked_at = max(now, link.created_at)
    record_change(
        actor=db.session.get(User, student_id),
        action="revoke",
        record=link,
        before=before,
        after=described(link),
    )
    return link


def described(link: PortfolioLink) -> dict[str, str | None]:
    """What the audit log keeps of a link: never its token nor its digest."""
    return {
        "prefix": link.prefix,
        "created_at": link.created_at.isoformat() if link.created_at else None,
        "revoked_at": link.revoked_at.isoformat() if link.revoked_at else None,
    }


# The Markdown post

# Markdown's punctuation, escaped wherever it appears in a student's or teacher's text so it is
# read as text (kramdown, GitHub Pages' renderer, and CommonMark both take these escapes).
MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_\[\]|!])")
# A line that Markdown would read as a heading, a list item, a rule or a setext underline.
BLOCK_START = re.compile(r"^(\s*)([#+=-]|\d+[.)])")
# HTML and Liquid (Jekyll runs Liquid on every post before Markdown): written as entities, so
# neither a tag nor "{{ }}"/"{% %}" in a student's text does anything.
ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "{": "&#123;", "}": "&#125;"}


def escaped(text: str) -> str:
    """``text`` as Markdown that shows it as written, on one line or several."""
    text = "".join(ENTITIES.get(char, char) for char in text)
    text = MARKDOWN_PUNCTUATION.sub(r"\\\1", text)
    lines = []
    for line in text.splitlines():
        match = BLOCK_START.match(line)
        if match:
            start = match.end(2) - 1
            line = line[:start] + "\\" + line[start:]
        lines.append(line)
    return "\n".join(lines)


def quoted(text: str) -> str:
    """``text`` as a Markdown blockquote: however it starts (``---``, ``#``), it stays inside."""
    lines = escaped(text.strip()).splitlines() or [""]
    return "\n".join(f"> {line}".rstrip() for line in lines)


def fenced(text: str) -> str:
    """Handed-in text (usually code) as a fenced code block, shown exactly as written: a fence
    longer than any run of backticks in it, inside Liquid's raw tags (which a text cannot end)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    body = text.rstrip("\n").replace("{% endraw", "{% endraw %}{{ '{% endraw' }}{% raw %}")
    return f"{{% raw %}}\n{fence}\n{body}\n{fence}\n{{% endraw %}}"


def link_address(url: str) -> str:
    """An address safe inside Markdown's ``(...)``: the characters that would end it encoded."""
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29").replace("<", "%3C")


def front_matter(portfolio: Portfolio, *, today: date) -> str:
    """The post's YAML front matter, written by a YAML library so any title stays valid."""
    fields = {
        "layout": "post",
        "title": _("Portfolio of %(name)s", name=portfolio.student_name),
        "date": today,
        "tags": ["portfolio", "quest-platform"],
        "description": _(
            "Reflections, checkpoint evidence, reviews received and achievements from my quests."
        ),
    }
    dumped = yaml.safe_dump(fields, sort_keys=False, allow_unicode=True, default_flow_style=False)
    return f"---\n{dumped}---\n"


def portfolio_post(*, portfolio: Portfolio, today: date) -> str:
    """``portfolio`` as a Markdown post with front matter, for a GitHub Pages (Jekyll) blog.

    Every reviewer stays unnamed (pass a ``public`` portfolio). Student and teacher text is
    quoted and escaped: it can never start a heading, a list or a second front matter.
    Screenshots are not in the post: each is described by its alt text.
    """
    parts = [front_matter(portfolio, today=today)]
    if portfolio.is_empty:
        parts.append(_("Nothing to show yet.") + "\n")
    for quest in portfolio.quests:
        parts.append(f"## {escaped(quest.title)}\n")
        if quest.reflections:
            parts.append(f"### {_('Reflections')}\n")
            parts.extend(reflection_markdown(item) for item in quest.reflections)
        if quest.checkpoints:
            parts.append(f"### {_('Checkpoints')}\n")
            parts.extend(checkpoint_markdown(item) for item in quest.checkpoints)
    if portfolio.achievements:
        parts.append(f"## {_('Achievements')}\n")
        parts.append(
            "\n".join(
                "- **{name}**: {description} ({earned})".format(
                    name=escaped(str(badge.name)),
                    description=escaped(str(badge.description)),
                    earned=_("earned on %(date)s", date=format_date(badge.awarded_at, "long")),
                )
                for badge in portfolio.achievements
                if badge.awarded_at is not None
            )
            + "\n"
        )
    return "\n".join(parts)


def reflection_markdown(reflection: Reflection) -> str:
    """One reflection: its stage, its prompt and the student's answer, quoted."""
    lines = [f"#### {escaped(reflection.stage_title)}\n"]
    if reflection.prompt:
        lines.append(escaped(reflection.prompt) + "\n")
    lines.append(quoted(reflection.text) + "\n")
    return "\n".join(lines)


def checkpoint_markdown(checkpoint: Checkpoint) -> str:
    """One checkpoint: the evidence, its links, its screenshot described, and its reviews."""
    lines = [
        f"#### {escaped(checkpoint.stage_title)}\n",
        _("Result: %(outcome)s", outcome=OUTCOME_LABELS.get(checkpoint.outcome, checkpoint.outcome))
        + "\n",
    ]
    if checkpoint.text:
        lines.append(fenced(checkpoint.text) + "\n")
    if checkpoint.links:
        lines.append(
            "\n".join(
                f"- [{escaped(link.get('url', ''))}]({link_address(link.get('url', ''))})"
                for link in checkpoint.links
            )
            + "\n"
        )
    if checkpoint.screenshot is not None:
        lines.append(
            _("Screenshot (not included in this post), described:")
            + "\n\n"
            + quoted(checkpoint.screenshot.alt_text)
            + "\n"
        )
    if checkpoint.feedback:
        lines.append(_("My teacher's feedback:") + "\n\n" + quoted(checkpoint.feedback) + "\n")
    for review in checkpoint.peer_reviews:
        heading = _("A review by my teacher") if review.by_teacher else _("A review by a classmate")
        rows = "\n".join(
            f"- {escaped(row.criterion)}: {escaped(row.label)} "
            + _("(%(level)d of %(levels)d)", level=row.level + 1, levels=row.levels)
            for row in review.rows
        )
        lines.append(f"{heading}:\n\n{rows}\n" if rows else f"{heading}:\n")
        if review.review.comment.strip():
            lines.append(quoted(review.review.comment) + "\n")
    return "\n".join(lines)
