"""Lesson text: Markdown rendered to safe HTML, with highlighted code and checked images;
students' code highlighted for their teachers.

Teachers write stages in Markdown. What students see is rendered here and then sanitized, so a
stage can hold headings, lists, tables, links, images and code, but never a script, a style or
an event handler, whoever wrote it.
"""

from __future__ import annotations

import re
from functools import cache

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markupsafe import Markup, escape
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

# What rendered lessons may contain; everything else is removed (its text is kept).
ALLOWED_TAGS = frozenset(
    {
        *("h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "blockquote"),
        *("ul", "ol", "li", "dl", "dt", "dd", "strong", "em", "s", "code", "pre", "span"),
        *("a", "img", "table", "thead", "tbody", "tr", "th", "td", "caption"),
    }
)
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "code": {"class"},
    "span": {"class"},
    "pre": {"class"},
    "th": {"scope", "class"},
    "td": {"class"},
    "ol": {"start"},
}
# The languages of the course, tried in this order on a student's code of no stated language.
CODE_LANGUAGES = ("python", "html+jinja", "javascript", "css", "sql", "bash", "json")
# A line only Python starts this way (Pygments' own guess looks for a "#!" line or an import).
PYTHON_LINE = re.compile(
    r"^\s*(?:def \w+\(|class \w+[(:]|from [\w.]+ import |import \w|@\w+(?:\.\w+)*\(?"
    r"|(?:if|for|while|with|elif) .*:\s*$|return\b)",
    re.MULTILINE,
)
# Classes Pygments gives tokens, the language class of a code block, a table column's alignment.
ALLOWED_CLASS_PREFIXES = ("language-", "highlight", "align-")


@cache
def markdown() -> MarkdownIt:
    """The Markdown parser: CommonMark with tables and strikethrough, raw HTML switched off."""
    parser = MarkdownIt("commonmark", {"html": False, "highlight": highlight_code})
    parser.enable(["table", "strikethrough"])
    parser.core.ruler.push("aligned_by_class", aligned_by_class)
    return parser


def aligned_by_class(state: StateCore) -> None:
    """Align table columns with a class: the Content-Security-Policy refuses inline styles."""
    for token in state.tokens:
        if token.type in {"th_open", "td_open"} and "style" in token.attrs:
            style = str(token.attrs.pop("style"))
            token.attrSet("class", f"align-{style.removeprefix('text-align:')}")


def highlight_code(code: str, language: str, attributes: str) -> str:
    """Highlight a fenced code block by its language; plain (escaped) text if unknown."""
    try:
        lexer = get_lexer_by_name(language) if language else None
    except ClassNotFound:
        lexer = None
    if lexer is None:
        return ""  # markdown-it then escapes the code itself
    body = highlight(code, lexer, HtmlFormatter(nowrap=True))
    return f'<pre class="highlight"><code class="language-{escape(language)}">{body}</code></pre>\n'


def code_lexer(code: str) -> Lexer | None:
    """The lexer of the course language ``code`` seems to be in, or None for plain text."""
    lexers = [get_lexer_by_name(name) for name in CODE_LANGUAGES]
    # The first of the best guesses: max() keeps the earliest of equal scores.
    best = max(lexers, key=lambda lexer: lexer.analyse_text(code))
    if best.analyse_text(code) > 0:
        return best
    return get_lexer_by_name("python") if PYTHON_LINE.search(code) else None


def highlighted(code: str) -> Markup:
    """A student's code as HTML for a ``<pre class="highlight"><code>`` block: its tokens
    highlighted when its language is recognized, else the text as it is (escaped)."""
    lexer = code_lexer(code)
    if lexer is None:
        return escape(code)
    # Pygments escapes the code itself; the spans carry only its class names.
    return Markup(highlight(code, lexer, HtmlFormatter(nowrap=True)))  # noqa: S704


def allowed_class(element: str, attribute: str, value: str) -> str | None:
    """Keep only highlighting classes (on code, spans and pre blocks) and alignment classes."""
    if attribute != "class":
        return value
    kept = [
        name
        for name in value.split()
        if name.startswith(ALLOWED_CLASS_PREFIXES)
        or (element == "span" and name.isalnum() and len(name) <= 3)
    ]
    return " ".join(kept) or None


def render_markdown(text: str) -> Markup:
    """Render a stage's Markdown as sanitized HTML, safe to put in a page as it is."""
    html = markdown().render(text or "")
    clean = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=allowed_class,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(clean)  # noqa: S704 - sanitized by nh3 just above


def images_without_alt(text: str) -> list[str]:
    """The addresses of images in ``text`` that have no alternative text."""
    missing = []
    for token in markdown().parse(text or ""):
        for child in token.children or []:
            if child.type == "image" and not child.content.strip():
                missing.append(str(child.attrs.get("src", "")))
    return missing
