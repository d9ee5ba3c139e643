"""Lesson text: Markdown becomes safe HTML with highlighted code, and images need a description."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from markupsafe import Markup

from quest_platform.content import images_without_alt, render_markdown

# Pure functions: the database engine plays no part, so the PostgreSQL run leaves them out.
pytestmark = pytest.mark.engine_independent

CODE_BLOCK = '```python\nimport os  # the standard library\ndef greet():\n    return "hi"\n```'


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    """Every element of ``html`` as a browser would read it: its tag and its attributes."""
    parser = _Elements()
    parser.feed(html)
    return parser.found


def attribute_names(html: str) -> set[str]:
    return {name for _tag, attrs in elements(html) for name in attrs}


def test_markdown_becomes_html_ready_for_a_page():
    html = render_markdown("### Sessions\n\nA *cookie* names the **session**.\n\n- one\n- two")
    assert isinstance(html, Markup)
    assert "<h3>Sessions</h3>" in html
    assert "<em>cookie</em>" in html
    assert "<strong>session</strong>" in html
    assert "<ul>\n<li>one</li>" in html


def test_no_text_renders_as_nothing():
    assert render_markdown("") == ""
    assert render_markdown(None) == ""


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert('hi')</script>",
        "<style>body { display: none }</style>",
        '<img src="x.png" onerror="alert(1)">',
        '<a href="https://example.org" onclick="alert(1)">link</a>',
        '<iframe src="https://example.org"></iframe>',
        "Inline <b onmouseover=alert(1)>bold</b> text",
    ],
)
def test_raw_html_never_reaches_the_page(text):
    html = render_markdown(text)
    assert [tag for tag, _attrs in elements(html)] == ["p"]
    assert attribute_names(html) == set()
    # The author's text stays visible, as text.
    assert "&lt;" in html


@pytest.mark.parametrize(
    "link",
    [
        "[click](javascript:alert(1))",
        "[click](JAVASCRIPT:alert(1))",
        "[click](vbscript:msgbox)",
        "[click](data:text/html;base64,PHNjcmlwdD4=)",
        '[click](<javascript:alert("x")>)',
    ],
)
def test_links_only_go_to_web_and_mail_addresses(link):
    html = render_markdown(link)
    assert [tag for tag, _attrs in elements(html)] == ["p"]


def test_web_mail_and_relative_links_are_kept_and_never_pass_on_the_page():
    html = render_markdown(
        "[docs](https://flask.palletsprojects.com) [mail](mailto:teacher@example.org) "
        "[next](/quests)"
    )
    assert 'href="https://flask.palletsprojects.com"' in html
    assert 'href="mailto:teacher@example.org"' in html
    assert 'href="/quests"' in html
    assert html.count('rel="noopener noreferrer nofollow"') == 3


def test_link_titles_cannot_add_attributes():
    html = render_markdown('[x](https://example.org "a\\" onclick=\\"alert(1)")')
    assert elements(html)[1] == (
        "a",
        {
            "href": "https://example.org",
            "title": 'a" onclick="alert(1)',
            "rel": "noopener noreferrer nofollow",
        },
    )


def test_code_is_highlighted_with_classes_the_stylesheet_colours():
    html = render_markdown(CODE_BLOCK)
    assert '<pre class="highlight"><code class="language-python">' in html
    assert '<span class="kn">import</span>' in html
    assert '<span class="k">def</span>' in html
    assert '<span class="nf">greet</span>' in html
    assert '<span class="c1"># the standard library</span>' in html
    assert '<span class="s2">"hi"</span>' in html
    assert "style=" not in html


def test_code_in_an_unknown_language_is_plain_escaped_text():
    html = render_markdown("```klingon\n<b>qapla'</b>\n```")
    assert '<pre><code class="language-klingon">&lt;b&gt;' in html
    assert "<span" not in html


def test_a_code_block_cannot_smuggle_attributes_through_its_language():
    html = render_markdown('```" onmouseover="alert(1)\nx\n```')
    assert attribute_names(html) <= {"class"}


def test_inline_code_and_code_blocks_without_a_language_are_kept():
    html = render_markdown("Call `print()`.\n\n```\n<plain>\n```")
    assert "<code>print()</code>" in html
    assert "<pre><code>&lt;plain&gt;\n</code></pre>" in html


def test_tables_are_kept_and_aligned_by_class_not_by_inline_style():
    # The Content-Security-Policy refuses inline styles: the stylesheet aligns the columns.
    html = render_markdown("| Verb | Code |\n|:-----|-----:|\n| GET | 200 |\n| POST | 201 |")
    assert "<table>" in html
    assert '<th class="align-left">Verb</th>' in html
    assert '<td class="align-right">201</td>' in html
    assert "style" not in html


def test_strikethrough_headings_quotes_and_rules_are_kept():
    html = render_markdown("# Title\n\n> quoted\n\n~~old~~ new\n\n---")
    for element in ("<h1>", "<blockquote>", "<s>old</s>", "<hr>"):
        assert element in html


def test_images_keep_their_description():
    html = render_markdown("![The login form](https://example.org/form.png)")
    assert '<img src="https://example.org/form.png" alt="The login form">' in html


def test_images_without_alternative_text_are_listed_wherever_they_are():
    text = "\n\n".join(
        [
            "![](top.png) and ![A described image](fine.png)",
            "[![ ](linked.png)](https://example.org)",
            "| Picture |\n|---|\n| ![](in-table.png) |",
            "- ![](in-list.png)",
            "> ![](quoted.png)",
            "![described][ref] ![][ref]\n\n[ref]: referenced.png",
        ]
    )
    assert images_without_alt(text) == [
        "top.png",
        "linked.png",
        "in-table.png",
        "in-list.png",
        "quoted.png",
        "referenced.png",
    ]


def test_text_without_images_or_with_described_ones_has_none_missing():
    assert images_without_alt("") == []
    assert images_without_alt(None) == []
    assert images_without_alt("No pictures, just `![](code.png)` in code.") == []
    assert images_without_alt("```\n![](in-a-block.png)\n```") == []
