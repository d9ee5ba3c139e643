"""The portfolio on the pages: the student's own page and its share panel, the link shown
once, the shared page signed out (its headers, no private controls, no username), its
screenshots, the link stopped, the Markdown download, and who may open what."""

from __future__ import annotations

import re

import pytest
import yaml
from helpers import post_form
from sqlalchemy import func, select

from quest_platform.extensions import db
from quest_platform.models import PortfolioLink


def text(response) -> str:
    return response.get_data(as_text=True)


def shared_link(response) -> str:
    """The link a share showed, as the student copies it (the field's value)."""
    match = re.search(r'<input type="text" id="portfolio-link" value="([^"]+)"', text(response))
    assert match, "no link on the page"
    return match.group(1)


def share(client) -> str:
    response = post_form(client, "/portfolio/link", {}, form_page="/portfolio")
    assert response.status_code == 200
    return shared_link(response)


def path_of(link: str) -> str:
    return re.sub(r"^https?://[^/]+", "", link)


def test_the_page_shows_the_work_and_says_it_is_private(work, login_as) -> None:
    client = login_as(work.student)
    response = client.get("/portfolio")
    assert response.status_code == 200
    page = text(response)
    assert "My portfolio" in page
    assert "only you can see it" in page
    assert "I learned that sessions live on the server." in page
    assert "{{ site.title }} &lt;b&gt;bold&lt;/b&gt;" in page
    assert "def login(): return check(password)" in page
    assert 'href="https://github.com/ana/site/pull/3"' in page
    assert f'src="/evidence/{work.screenshot.id}"' in page
    assert 'alt="The login form with an error in red"' in page
    assert "Clear evidence." in page
    assert "Kind and clear words." in page
    assert "Unkind words." not in page
    assert work.classmate.display_name not in page
    assert "Steady Builder" in page
    assert "Not the student&#39;s reflection." not in page
    assert 'aria-current="page">My portfolio' in page


def test_the_nav_links_students_to_their_portfolio(school, login_as) -> None:
    assert 'href="/portfolio"' in text(login_as(school.student).get("/quests"))


@pytest.mark.parametrize("role", ["teacher", "admin"])
def test_staff_are_refused_the_page_and_the_download(school, login_as, role: str) -> None:
    client = login_as(getattr(school, role))
    assert client.get("/portfolio").status_code == 403
    assert client.get("/portfolio/export.md").status_code == 403


def test_a_share_shows_the_link_once_and_it_opens_signed_out(work, login_as, client_factory):
    client = login_as(work.student)
    link = share(client)
    assert link.startswith("http://localhost/portfolio/shared/")
    later = text(client.get("/portfolio"))
    assert path_of(link) not in later
    assert "Your portfolio is shared since" in later
    assert "Stop sharing" in later

    visitor = client_factory()
    response = visitor.get(path_of(link))
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "private, no-store"
    page = text(response)
    assert '<meta name="robots" content="noindex">' in page
    assert "Portfolio of Ana: &#34;The Coder&#34;" in page or "Ana: &quot;The Coder&quot;" in page
    assert "I learned that sessions live on the server." in page
    assert "Kind and clear words." in page
    assert "Review by a teacher" in page
    assert work.teacher.display_name not in page
    assert "Unkind words." not in page
    assert work.student.username not in page
    assert "Stop sharing" not in page
    assert "csrf_token" not in page.split("<main")[1].split("</main>")[0]
    screenshot = f"{path_of(link)}/evidence/{work.screenshot.id}"
    assert f'src="{screenshot}"' in page
    with visitor.get(screenshot) as image:
        assert image.status_code == 200
        assert image.mimetype == "image/png"
        assert image.headers["Referrer-Policy"] == "no-referrer"
        assert image.headers["Cache-Control"] == "private, no-store"


def test_a_shared_page_opens_no_other_students_screenshot(work, login_as, client_factory):
    link = path_of(share(login_as(work.student)))
    visitor = client_factory()
    assert visitor.get(f"{link}/evidence/{work.other_screenshot.id}").status_code == 404
    assert visitor.get(f"{link}/evidence/999999").status_code == 404


def test_stopping_sharing_turns_the_link_into_a_404(work, login_as, client_factory) -> None:
    client = login_as(work.student)
    link = path_of(share(client))
    response = post_form(client, "/portfolio/link/revoke", {}, form_page="/portfolio")
    assert response.status_code == 302
    assert response.headers["Location"] == "/portfolio"
    page = text(client.get("/portfolio"))
    assert "private again" in page
    assert "only you can see it" in page
    visitor = client_factory()
    assert visitor.get(link).status_code == 404
    assert visitor.get(f"{link}/evidence/{work.screenshot.id}").status_code == 404


def test_a_new_link_stops_the_old_one(work, login_as, client_factory) -> None:
    client = login_as(work.student)
    first, second = path_of(share(client)), path_of(share(client))
    visitor = client_factory()
    assert visitor.get(first).status_code == 404
    assert visitor.get(second).status_code == 200


def test_stopping_an_unshared_portfolio_says_so(work, login_as) -> None:
    client = login_as(work.student)
    response = post_form(
        client, "/portfolio/link/revoke", {}, form_page="/portfolio", follow_redirects=True
    )
    assert response.status_code == 200
    assert "there is no link to stop" in text(response)


@pytest.mark.parametrize("url", ["/portfolio/link", "/portfolio/link/revoke"])
def test_the_forms_need_their_csrf_token(work, login_as, url: str) -> None:
    client = login_as(work.student)
    assert client.post(url).status_code == 400
    assert db.session.scalar(select(func.count()).select_from(PortfolioLink)) == 0


@pytest.mark.parametrize("token", ["nope", "x" * 43, "a" * 300])
def test_an_unknown_token_is_a_404_page(client, token: str) -> None:
    response = client.get(f"/portfolio/shared/{token}")
    assert response.status_code == 404
    assert "Page not found" in text(response)


def test_the_download_is_a_markdown_post(work, login_as) -> None:
    response = login_as(work.student).get("/portfolio/export.md")
    assert response.status_code == 200
    assert response.mimetype == "text/markdown"
    disposition = response.headers["Content-Disposition"]
    assert re.fullmatch(r'attachment; filename="portfolio-\d{4}-\d{2}-\d{2}\.md"', disposition)
    post = text(response)
    matter = yaml.safe_load(post[4:].partition("\n---\n")[0])
    assert matter["layout"] == "post"
    assert matter["title"] == 'Portfolio of Ana: "The Coder"'
    assert matter["date"].isoformat() in disposition
    assert "> \\---" in post
    assert "Not the student's reflection." not in post


def test_shared_pages_are_rate_limited_per_address(app, work, login_as, client_factory):
    link = path_of(share(login_as(work.student)))
    visitor = client_factory()
    app.config["PORTFOLIO_RATE_LIMIT"] = "2 per minute"
    try:
        assert visitor.get(link).status_code == 200
        with visitor.get(f"{link}/evidence/{work.screenshot.id}") as image:
            assert image.status_code == 200
        refused = visitor.get(link)
        assert refused.status_code == 429
        assert "Retry-After" in refused.headers
    finally:
        del app.config["PORTFOLIO_RATE_LIMIT"]
