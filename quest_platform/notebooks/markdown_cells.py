"""Markdown cells: lesson text cut at headings, tagged cells as stages, raw HTML dealt with,
attached images checked and planned."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from functools import cache
from typing import Any

from flask_babel import gettext as _
from markdown_it import MarkdownIt

from quest_platform.content import markdown
from quest_platform.models import StageKind
from quest_platform.notebooks.cells import nbgrader_of, source_of, stage_kind_of
from quest_platform.notebooks.conventions import settle
from quest_platform.notebooks.plan import (
    PLANNED_ADDRESS,
    Building,
    NotebookImage,
    Reader,
    answer_stage,
)
from quest_platform.notebooks.vocabulary import (
    FORBIDDEN_HTML,
    IMAGE_TYPES,
    POINTS_RANGE,
)
from quest_platform.services.errors import ServiceError
from quest_platform.services.evidence import redrawn

# An image of a Markdown cell's attachments, as Jupyter writes it (with an optional title).
ATTACHMENT_IMAGE = re.compile(
    r"!\[(?P<alt>(?:[^\]\\]|\\.)*)\]\(\s*<?attachment:(?P<name>[^)\s>]+)>?"
    r"(?P<title>\s+\"[^\"]*\")?\s*\)"
)


# An HTML image tag, which lessons do not render: it becomes a Markdown image.
HTML_IMAGE = re.compile(r"<img\b[^>]*>", re.IGNORECASE)


HTML_TAG = re.compile(r"<\s*([a-zA-Z][a-zA-Z0-9]*)")


HTML_ATTRIBUTE = r"""\b{name}\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))"""


def read_markdown_cell(
    reader: Reader, number: int, cell: Mapping[str, Any], platform: dict[str, Any]
) -> None:
    text = markdown_of(reader, number, cell)
    kind = stage_kind_of(cell, platform)
    nbgrader = nbgrader_of(cell)
    if kind is None and nbgrader.get("solution"):
        # nbgrader's written answer: the text before it asked the question.
        stage = answer_stage(reader, number, StageKind.REFLECTION)
        points = nbgrader.get("points")
        low, high = POINTS_RANGE
        if (
            isinstance(points, int | float)
            and not isinstance(points, bool)
            and low <= points <= high
        ):
            # A manually graded answer is worth what nbgrader gives it.
            stage.points = round(points)
        reader.becomes(number, "markdown", _("The answer space of a reflection (left out)."))
        return
    if kind is not None and (platform or kind != StageKind.LESSON):
        title, body = split_title(text)
        stage = reader.start(kind, platform.get("title") or title, number)
        stage.given = platform
        settle(reader, stage, body, number)
        reader.current = stage if kind == StageKind.LESSON else None
        if kind == StageKind.CODE:
            reader.current = reader.last_code = stage
        reader.becomes(number, "markdown", "%(stage)s", (stage,))
        return
    read_sections(reader, number, text, new_stage=kind == StageKind.LESSON)


def read_sections(reader: Reader, number: int, text: str, *, new_stage: bool) -> None:
    """Lesson text: a new lesson at each level-1 or level-2 heading, else more of the current
    one."""
    stages: list[Building] = []
    for index, (title, level, body) in enumerate(sections(text)):
        if level == 1 and not reader.first_h1:
            reader.first_h1 = title or ""
        starts = title is not None or (new_stage and index == 0)
        stage = reader.current
        if starts or stage is None or stage.kind != StageKind.LESSON:
            stage = reader.start(StageKind.LESSON, title or "", number)
            reader.current = stage
        elif number not in stage.cells:
            stage.cells.append(number)
        stage.parts.append(body)
        stages.append(stage)
    if stages:
        # Each stage once, by identity (a stage being built is not hashable).
        once = tuple({id(stage): stage for stage in stages}.values())
        reader.becomes(number, "markdown", "%(stage)s", once)
    else:
        reader.becomes(number, "markdown", _("Empty: left out."))


def sections(text: str) -> list[tuple[str | None, int, str]]:
    """``text`` cut at its level-1 and level-2 headings: (heading, its level, text after it),
    the first with no heading (level 0) when text comes before the first heading."""
    lines = text.split("\n")
    tokens = markdown().parse(text)
    cuts = [
        (token.map[0], token.map[1], heading_text(tokens, index), int(token.tag[1]))
        for index, token in enumerate(tokens)
        if token.type == "heading_open" and token.level == 0 and token.tag in {"h1", "h2"}
        if token.map
    ]
    found: list[tuple[str | None, int, str]] = []
    start, title, level = 0, None, 0
    for begin, end, heading, heading_level in cuts:
        body = "\n".join(lines[start:begin]).strip("\n")
        if title is not None or body.strip():
            found.append((title, level, body))
        title, level, start = heading, heading_level, end
    body = "\n".join(lines[start:]).strip("\n")
    if title is not None or body.strip():
        found.append((title, level, body))
    return found


def heading_text(tokens: list[Any], index: int) -> str:
    """The plain words of the heading whose opening token is at ``index``."""
    inline = tokens[index + 1]
    words = [
        child.content if child.type in {"text", "code_inline"} else " "
        for child in inline.children or []
        if child.type in {"text", "code_inline", "softbreak", "hardbreak"}
    ]
    return " ".join("".join(words).split())


def split_title(text: str) -> tuple[str, str]:
    """A cell's leading heading (any level) as a title, and the text after it (less the one
    blank line that follows a heading)."""
    tokens = markdown().parse(text)
    first = next((t for t in tokens if t.level == 0 and t.map), None)
    if first is None or first.type != "heading_open" or first.map is None:
        return "", text
    lines = text.split("\n")[first.map[1] :]
    if lines and not lines[0].strip():
        lines = lines[1:]
    return heading_text(tokens, tokens.index(first)), "\n".join(lines)


def markdown_of(reader: Reader, number: int, cell: Mapping[str, Any]) -> str:
    """A Markdown cell's text with its raw HTML dealt with and its attached images planned."""
    text = html_handled(reader, number, source_of(cell))
    attachments = cell.get("attachments") or {}
    used: set[str] = set()

    def planned(match: re.Match[str]) -> str:
        name = match.group("name")
        used.add(name)
        image = planned_image(reader, number, name, attachments.get(name), match.group("alt"))
        if image is None:
            return match.group(0)
        title = match.group("title") or ""
        written = match.group("alt")
        alt = written if unescaped(written) == image.alt_text else escaped_alt(image.alt_text)
        return f"![{alt}]({PLANNED_ADDRESS.format(number=image.number)}{title})"

    text = ATTACHMENT_IMAGE.sub(planned, text)
    for name in sorted(set(attachments) - used):
        reader.note(
            number,
            _(
                "The attachment “%(name)s” of cell %(number)d is not shown in its text: it was "
                "left out.",
                name=name,
                number=number,
            ),
        )
    # Images refused above are already reported: only other ways of pointing are looked for.
    unread = ATTACHMENT_IMAGE.sub("", text)
    if "](attachment:" in unread or "(<attachment:" in unread:
        reader.problem(
            number,
            _(
                "Cell %(number)d refers to an attachment in a way the platform does not read: "
                "write images as ![description](attachment:name.png).",
                number=number,
            ),
        )
    return text


@cache
def html_markdown() -> MarkdownIt:
    """A parser that sees raw HTML (lessons' own parser escapes it), to find it outside code."""
    return MarkdownIt("commonmark", {"html": True})


def html_handled(reader: Reader, number: int, text: str) -> str:
    """``text`` with raw HTML outside code dealt with: scripts and frames are problems, comments
    are dropped, images become Markdown images, and other tags (which lessons show as text) are
    noted. HTML inside code blocks and code spans is code, and stays."""
    lines = text.split("\n")
    # (first line, line after the last, the HTML, whether it is inside a paragraph's text)
    found: list[tuple[int, int, str, bool]] = []
    for token in html_markdown().parse(text):
        if token.type == "html_block" and token.map:
            found.append((token.map[0], token.map[1], token.content, False))
        elif token.type == "inline" and token.map:
            found.extend(
                (token.map[0], token.map[1], child.content, True)
                for child in token.children or []
                if child.type == "html_inline"
            )
    shown_as_text: set[str] = set()
    for begin, end, html, inline in reversed(found):
        for tag in sorted({match.group(1).lower() for match in FORBIDDEN_HTML.finditer(html)}):
            reader.problem(
                number,
                _(
                    "Cell %(number)d holds HTML that lessons never show (<%(tag)s>): take it "
                    "out, or link to the page instead.",
                    number=number,
                    tag=tag,
                ),
            )
        if html.lstrip().startswith("<!--") and inline:
            # A comment inside a paragraph: the comment goes, the paragraph's words stay (its
            # line breaks are kept, so the lines of the HTML found before it do not move).
            paragraph = "\n".join(lines[begin:end]).replace(html, "\n" * html.count("\n"), 1)
            lines[begin:end] = paragraph.split("\n")
            continue
        if html.lstrip().startswith("<!--"):
            del lines[begin:end]
            continue
        lines[begin:end] = [HTML_IMAGE.sub(markdown_image, line) for line in lines[begin:end]]
        shown_as_text.update(
            tag
            for tag in HTML_TAG.findall(HTML_IMAGE.sub("", html))
            # Scripts and frames are problems above, not text to note.
            if not FORBIDDEN_HTML.match(f"<{tag}")
        )
    if shown_as_text:
        reader.note(
            number,
            _(
                "Cell %(number)d holds HTML (%(tags)s), which lessons show as text: write it in "
                "Markdown instead.",
                number=number,
                tags=", ".join(f"<{tag.lower()}>" for tag in sorted(shown_as_text)),
            ),
        )
    return "\n".join(lines)


def markdown_image(match: re.Match[str]) -> str:
    """An HTML ``<img>`` tag as a Markdown image (its size is left to the page)."""
    tag = match.group(0)
    source, alt = html_attribute(tag, "src"), html_attribute(tag, "alt")
    if not source:
        return ""
    return f"![{escaped_alt(alt)}]({source})"


def html_attribute(tag: str, name: str) -> str:
    found = re.search(HTML_ATTRIBUTE.format(name=name), tag, re.IGNORECASE)
    return next((group for group in found.groups() if group is not None), "") if found else ""


def escaped_alt(alt: str) -> str:
    return re.sub(r"([\\\[\]])", r"\\\1", " ".join(alt.split()))


def planned_image(
    reader: Reader, number: int, name: str, bundle: Any, alt: str
) -> NotebookImage | None:
    """Check an attachment shown in cell ``number`` and plan it as a lesson image."""
    if not isinstance(bundle, dict) or not bundle:
        reader.problem(
            number,
            _(
                "Cell %(number)d shows the attachment “%(name)s”, which the cell does not have.",
                number=number,
                name=name,
            ),
        )
        return None
    content_type = next((kind for kind in bundle if kind in IMAGE_TYPES), None)
    if content_type is None:
        reader.problem(
            number,
            _(
                "The attachment “%(name)s” of cell %(number)d is %(type)s, not an image: lessons "
                "keep PNG, JPEG and GIF images only.",
                name=name,
                number=number,
                type=", ".join(sorted(map(str, bundle))),
            ),
        )
        return None
    try:
        data = base64.b64decode(str(bundle[content_type]), validate=False)
        kept, redrawn_data, (width, height) = redrawn(data)
    except (binascii.Error, ValueError, ServiceError):
        reader.problem(
            number,
            _(
                "The attachment “%(name)s” of cell %(number)d is not a whole PNG, JPEG or GIF "
                "image.",
                name=name,
                number=number,
            ),
        )
        return None
    image_number = len(reader.images) + 1
    field_name = f"alt-{image_number}"
    alt = unescaped(alt)
    if is_file_name(alt, name):
        alt = ""
    alt = " ".join(reader.alt_texts.get(field_name, "").split()) or alt
    image = NotebookImage(
        number=image_number,
        cell=number,
        name=name,
        alt_text=alt,
        data=redrawn_data,
        content_type="image/png" if kept == "PNG" else "image/jpeg",
        suffix=".png" if kept == "PNG" else ".jpg",
        width=width,
        height=height,
    )
    reader.images.append(image)
    if not alt:
        reader.note(
            number,
            _(
                "The image “%(name)s” in cell %(number)d has no description: write one for "
                "students who cannot see it.",
                name=name,
                number=number,
            ),
        )
    return image


def unescaped(alt: str) -> str:
    return " ".join(re.sub(r"\\(.)", r"\1", alt).split())


def is_file_name(alt: str, name: str) -> bool:
    """Whether ``alt`` only repeats the attachment's file name (Jupyter's default), which
    describes nothing."""
    folded = alt.strip().lower()
    stem = name.rsplit(".", 1)[0].lower()
    return folded in {"", name.lower(), stem, "image", "image.png", "png", "jpg"}
