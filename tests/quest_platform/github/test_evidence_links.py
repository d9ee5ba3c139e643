"""Evidence links: a checkpoint takes links to GitHub pull requests, commits and issues, checked
for shape, from the portal and the API, and shows them as links to the student and teacher."""

from __future__ import annotations

import re

import pytest
from github_deliveries import Hub, checkpoint_quest, give
from helpers import post_form
from sqlalchemy import func, select

from quest_platform.github_links import MAX_LINKS, LinkKind, evidence_link, evidence_links
from quest_platform.models import Attempt, Stage
from quest_platform.services import ServiceError
from quest_platform.services.grading import parse_answer
from quest_platform.services.quests import StageDraft, checked_stage
from quest_platform.services.tokens import create_api_token

PULL = "https://github.com/west-coast-dev/travel-app/pull/12"
COMMIT = (
    "https://github.com/west-coast-dev/travel-app/commit/4f9c2d1e8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e"
)
ISSUE = "https://github.com/west-coast-dev/travel-app/issues/9"


def anchor(url: str, text: str) -> str:
    """A link as pages show evidence links."""
    return f'<a href="{url}" rel="noopener noreferrer">{text}</a>'


# The shape of a link


@pytest.mark.parametrize(
    ("text", "url", "kind", "ref"),
    [
        (PULL, PULL, LinkKind.PULL_REQUEST, "12"),
        (COMMIT, COMMIT, LinkKind.COMMIT, "4f9c2d1e8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e"),
        (ISSUE, ISSUE, LinkKind.ISSUE, "9"),
        # Normal forms: https, no "www", no trailing slash, a hash in lower case, no zeros
        # before a number, and the scheme an address bar hides.
        (
            "http://github.com/o/r/pull/3",
            "https://github.com/o/r/pull/3",
            LinkKind.PULL_REQUEST,
            "3",
        ),
        (
            "https://www.GitHub.com/o/r/pull/3/",
            "https://github.com/o/r/pull/3",
            "pull_request",
            "3",
        ),
        ("  https://github.com/o/r/issues/007  ", "https://github.com/o/r/issues/7", "issue", "7"),
        (
            "https://github.com/o/r/commit/ABCDEF1",
            "https://github.com/o/r/commit/abcdef1",
            "commit",
            "abcdef1",
        ),
        (
            "github.com/Octo-Org/Hello.World_2/pull/1",
            "https://github.com/Octo-Org/Hello.World_2/pull/1",
            "pull_request",
            "1",
        ),
        ("https://github.com/a/r/PULL/1", "https://github.com/a/r/pull/1", "pull_request", "1"),
    ],
)
def test_a_link_is_read_in_its_normal_form(text, url, kind, ref):
    link = evidence_link(text)
    assert (link.url, link.kind, link.ref) == (url, kind, ref)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("https://gitlab.com/o/r/-/merge_requests/3", "not on github.com"),
        ("https://github.com.evil.example/o/r/pull/3", "not on github.com"),
        ("https://evil.example/github.com/o/r/pull/3", "not on github.com"),
        ("https://github.com@evil.example/o/r/pull/3", "not on github.com"),
        ("https://user:pass@github.com/o/r/pull/3", "not on github.com"),
        ("https://github.com:8443/o/r/pull/3", "not on github.com"),
        ("https://github.com/o/r/pull/3?tab=files", "Leave out the part after"),
        ("https://github.com/o/r/pull/3#issuecomment-1", "Leave out the part after"),
        ("https://github.com/o/r/pull/3?", "Leave out the part after"),
        ("https://github.com/o/r/pull/3/files", "is not the address"),
        ("https://github.com/o/r/pulls", "is not the address"),
        ("https://github.com/o/r", "is not the address"),
        ("https://github.com/o/r/pull/abcdef1", "is not the address"),
        ("https://github.com/o/r/pull/0", "is not the address"),
        ("https://github.com/o/r/issues/99999999999", "is not the address"),
        ("https://github.com/o/r/commit/abc123", "is not the address"),
        ("https://github.com/o/r/commit/" + "a" * 41, "is not the address"),
        ("https://github.com/o/r/commit/xyz1234", "is not the address"),
        ("https://github.com/-o/r/pull/1", "is not the address"),
        ("https://github.com/o-/r/pull/1", "is not the address"),
        ("https://github.com/o--o/r/pull/1", "is not the address"),
        ("https://github.com/" + "o" * 40 + "/r/pull/1", "is not the address"),
        ("https://github.com/o/../pull/1", "is not the address"),
        ("https://github.com/o/r e/pull/1", "is not the address"),
        ("https://github.com/o/r/pull/1\nhttps://evil.example", "is not the address"),
        ("javascript:alert(1)//github.com/o/r/pull/1", "is not the address"),
        ("ftp://github.com/o/r/pull/1", "is not the address"),
        ("my pull request", "is not the address"),
        ("https://github.com/o/" + "r" * 400 + "/pull/1", "Keep each link under"),
    ],
)
def test_a_link_of_another_shape_is_refused_saying_why(text, says):
    with pytest.raises(ValueError, match=re.escape(says)):
        evidence_link(text)


def test_links_are_read_without_blanks_or_repeats():
    links = evidence_links(
        ["", PULL, "  ", PULL.upper().replace("HTTPS://GITHUB.COM", "https://github.com"), ISSUE]
    )
    assert [link.url for link in links] == [PULL, ISSUE]


@pytest.mark.parametrize("value", ["https://github.com/o/r/pull/1", [1, 2], {"url": PULL}, None])
def test_links_that_are_not_a_list_of_addresses_are_refused(value):
    with pytest.raises(ValueError, match="list of addresses"):
        evidence_links(value)


def test_at_most_five_links_are_taken():
    six = [f"https://github.com/o/r/pull/{number}" for number in range(1, MAX_LINKS + 2)]
    assert len(evidence_links(six[:MAX_LINKS])) == MAX_LINKS
    with pytest.raises(ValueError, match="at most 5 links"):
        evidence_links(six)


# What a checkpoint takes


def test_a_checkpoint_that_asks_for_links_takes_them_alone(hub: Hub):
    answer = parse_answer(hub.checkpoint, {"links": [PULL]})
    assert [link.url for link in answer.links] == [PULL]


def test_a_checkpoint_that_does_not_ask_for_links_refuses_them(make):
    stage = checkpoint_quest(make, evidence=("code",)).stages[0]
    with pytest.raises(ServiceError, match="does not take links") as refused:
        parse_answer(stage, {"evidence": "def login(): ...", "links": [PULL]})
    assert refused.value.field == "links"
    # An empty list is no link at all.
    assert parse_answer(stage, {"evidence": "x", "links": []}).links == ()


def test_a_checkpoint_answer_needs_some_evidence(hub: Hub):
    with pytest.raises(ServiceError, match="Add your evidence"):
        parse_answer(hub.checkpoint, {"evidence": "", "links": ["", " "]})


@pytest.mark.parametrize(
    ("evidence", "complete"),
    [
        (["code", "screenshot", "link"], True),
        (["link"], True),
        ([], False),
        (["video"], False),
        ("link", False),
        ([{"kind": "link"}], False),
    ],
)
def test_a_checkpoint_asks_for_known_kinds_of_evidence(evidence, complete):
    draft = StageDraft(
        "checkpoint",
        "Show it",
        settings={"prompt": "Show it.", "rubric": ["Works"], "evidence": evidence},
    )
    if complete:
        assert checked_stage(draft) is draft
    else:
        with pytest.raises(ServiceError, match="code, a screenshot or links"):
            checked_stage(draft)


# The portal


@pytest.fixture
def portal(hub: Hub, login_as):
    """The hub's student, signed in, on the checkpoint's page."""
    login_as(hub.student)
    return hub


def stage_url(hub: Hub) -> str:
    return f"/quests/{hub.quest.slug}/1"


def hand_in(hub: Hub, **fields: str):
    page = hub.client.get(stage_url(hub)).get_data(as_text=True)
    hidden = dict(re.findall(r'name="(submission_key|opened)" value="([^"]+)"', page))
    return post_form(hub.client, stage_url(hub), {**hidden, "evidence": "", **fields})


def test_the_checkpoint_page_asks_for_links_and_shows_its_tag(portal: Hub):
    page = portal.client.get(stage_url(portal)).get_data(as_text=True)
    assert '<textarea id="links" name="links"' in page
    assert "up to 5 links" in page
    assert f"<code>checkpoint-{portal.checkpoint.id}</code>" in page


def test_links_handed_in_on_the_portal_are_kept_and_shown_as_links(portal: Hub, db):
    response = hand_in(
        portal,
        links=f"{PULL}\r\n\r\n{COMMIT}\r\nhttp://github.com/west-coast-dev/travel-app/issues/9/",
    )
    assert response.status_code == 302
    attempt = db.session.scalars(select(Attempt)).one()
    assert [link["url"] for link in attempt.answer["links"]] == [PULL, COMMIT, ISSUE]
    assert [link["kind"] for link in attempt.answer["links"]] == ["pull_request", "commit", "issue"]
    page = portal.client.get(stage_url(portal)).get_data(as_text=True)
    assert "Your links" in page
    assert anchor(PULL, "Pull request #12 in west-coast-dev/travel-app") in page
    assert anchor(COMMIT, "Commit 4f9c2d1 in west-coast-dev/travel-app") in page
    assert anchor(ISSUE, "Issue #9 in west-coast-dev/travel-app") in page


def test_a_bad_link_is_refused_on_the_portal_naming_it_and_nothing_is_recorded(portal: Hub, db):
    typed = f"{PULL}\nhttps://gitlab.com/o/r/-/merge_requests/3"
    response = hand_in(portal, links=typed)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "“https://gitlab.com/o/r/-/merge_requests/3” is not on github.com" in page
    assert 'id="links-error"' in page
    assert 'aria-invalid="true"' in page
    # What the student typed comes back, to correct.
    assert "https://gitlab.com/o/r/-/merge_requests/3</textarea>" in page
    assert db.session.scalar(select(func.count(Attempt.id))) == 0


def test_more_than_five_links_are_refused_on_the_portal(portal: Hub, db):
    six = "\n".join(f"https://github.com/o/r/pull/{number}" for number in range(1, 7))
    response = hand_in(portal, links=six)
    assert response.status_code == 422
    assert "at most 5 links" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Attempt.id))) == 0


def test_a_link_to_a_script_is_never_a_link_on_the_page(portal: Hub, db):
    response = hand_in(portal, links='javascript:alert("x")')
    assert response.status_code == 422
    assert 'href="javascript:' not in response.get_data(as_text=True)


# The API


def test_links_are_handed_in_through_the_api(hub: Hub, client, db):
    token = create_api_token(user=hub.student, name="My site")
    response = client.post(
        f"/api/v1/quests/{hub.quest.slug}/stages/1/attempts",
        json={"answer": {"evidence": "", "links": [PULL, ISSUE]}},
        headers={"Authorization": f"Bearer {token.secret}"},
    )
    assert response.status_code == 201
    assert [link["url"] for link in response.get_json()["answer"]["links"]] == [PULL, ISSUE]


@pytest.mark.parametrize(
    ("links", "says"),
    [
        (["https://github.com/o/r/pull/1?x=1"], "Leave out the part after"),
        (["https://bitbucket.org/o/r/pull-requests/1"], "not on github.com"),
        ("https://github.com/o/r/pull/1", "list of addresses"),
        ([f"https://github.com/o/r/pull/{n}" for n in range(1, 7)], "at most 5 links"),
    ],
)
def test_a_bad_link_through_the_api_is_a_422_naming_it(hub: Hub, client, db, links, says):
    token = create_api_token(user=hub.student, name="My site")
    response = client.post(
        f"/api/v1/quests/{hub.quest.slug}/stages/1/attempts",
        json={"answer": {"evidence": "My route", "links": links}},
        headers={"Authorization": f"Bearer {token.secret}"},
    )
    assert response.status_code == 422
    problem = response.get_json()
    assert says in problem["message"]
    assert says in problem["errors"]["links"][0]
    assert db.session.scalar(select(func.count(Attempt.id))) == 0


# The teacher's side


def test_the_teacher_sees_the_links_on_the_attempts_details(hub: Hub, login_as, client_factory, db):
    hub.opened()
    attempt = db.session.scalars(select(Attempt)).one()
    teacher = login_as(hub.teacher, on=client_factory())
    page = teacher.get(f"/admin/attempt/details/?id={attempt.id}").get_data(as_text=True)
    assert "Links to the student's work on GitHub" in page
    assert anchor(PULL, "Pull request #12 in west-coast-dev/travel-app") in page
    # Neither the raw document nor an empty "Evidence" row.
    assert "&#34;url&#34;" not in page
    assert "<dt>links</dt>" not in page
    assert "<dt>Evidence</dt>" not in page


def test_a_teacher_asks_for_links_in_the_checkpoint_form(make, login_as, client, db):
    teacher = make.teacher()
    quest = make.quest(author=teacher, publish=False)
    checkpoint = next(stage for stage in quest.stages if stage.kind == "checkpoint")
    login_as(teacher)
    url = f"/admin/quest/{quest.id}/stages/{checkpoint.position}/edit"
    form = client.get(url).get_data(as_text=True)
    assert 'value="link"' in form
    assert "Links to GitHub: pull requests, commits or issues" in form
    response = post_form(
        client,
        url,
        {
            "title": checkpoint.title,
            "points": "10",
            "prompt": "Open a pull request.",
            "rubric": "Hashes passwords",
            "evidence": ["code", "link"],
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    db.session.rollback()
    assert db.session.get(Stage, checkpoint.id).evidence_kinds == ["code", "link"]


def test_a_quest_given_to_the_classroom_shows_its_checkpoints_tag(hub: Hub, make, login_as):
    quest = checkpoint_quest(make)
    give(quest, hub.classroom)
    login_as(hub.student)
    page = hub.client.get(f"/quests/{quest.slug}/1").get_data(as_text=True)
    assert f"checkpoint-{quest.stages[0].id}" in page
