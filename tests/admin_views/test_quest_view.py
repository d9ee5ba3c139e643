"""The quests view: authoring a quest stage by stage, previewing, publishing, copying, archiving.

A teacher edits their own quests and reads (and copies) everyone's published ones; another
teacher's draft does not exist for them (404) and another teacher's published quest cannot be
changed (403). Every stage kind's form is tried as a browser would use it: added, then opened
and saved again unchanged, which must keep every setting, including the ones it does not show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest
from helpers import csrf_token, post_form
from sqlalchemy import func, select

from quest_platform.models import Attempt, AuditEntry, Quest, QuestStatus, Stage
from quest_platform.services.quests import StageDraft, create_quest, publish_quest

# Browser forms


@dataclass
class PageForm:
    """A form on a page: where it posts and what a browser would send for it, unchanged."""

    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)

    def values(self, **changes: str | list[str]) -> dict[str, list[str]]:
        """The fields to post, with ``changes`` replacing the values of those names."""
        values: dict[str, list[str]] = {}
        for name, value in self.fields:
            values.setdefault(name, []).append(value)
        for name, value in changes.items():
            values[name] = value if isinstance(value, list) else [value]
        return values


class _FormReader(HTMLParser):
    """Reads the forms of a page as a browser submits them (checked boxes, chosen options)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[PageForm] = []
        self._textarea: tuple[str, list[str]] | None = None
        self._select: tuple[str, list[tuple[str, bool]]] | None = None
        self._templates = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "template":
            # A template's fields are copied by a script, never sent as they are.
            self._templates += 1
        elif self._templates:
            return
        elif tag == "form":
            self.forms.append(PageForm(values.get("action", ""), values.get("method", "get")))
        elif not self.forms or ("name" not in values and tag != "option"):
            return
        elif tag == "input":
            kind = values.get("type", "text")
            if kind in {"checkbox", "radio"} and "checked" not in values:
                return
            if kind not in {"submit", "button"}:
                self.forms[-1].fields.append((values["name"], values.get("value", "on")))
        elif tag == "textarea":
            self._textarea = (values["name"], [])
        elif tag == "select":
            self._select = (values["name"], [])
        elif tag == "option" and self._select is not None:
            self._select[1].append((values.get("value", ""), "selected" in values))

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea[1].append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "template":
            self._templates -= 1
        elif tag == "textarea" and self._textarea is not None:
            name, parts = self._textarea
            # Browsers drop the newline after <textarea> and send lines ending in CR LF.
            text = "".join(parts).removeprefix("\r\n").removeprefix("\n")
            text = text.replace("\r\n", "\n").replace("\n", "\r\n")
            self.forms[-1].fields.append((name, text))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            name, options = self._select
            chosen = [value for value, selected in options if selected] or [options[0][0]]
            self.forms[-1].fields.append((name, chosen[0]))
            self._select = None


def form_on(page: str, action_contains: str) -> PageForm:
    """The first form of ``page`` whose action contains ``action_contains``."""
    reader = _FormReader()
    reader.feed(page)
    forms = [form for form in reader.forms if action_contains in form.action]
    assert forms, f"no form posting to {action_contains}"
    return forms[0]


def text_of(response: Any) -> str:
    return response.get_data(as_text=True)


def path_of(response: Any) -> str:
    return urlsplit(response.headers["Location"]).path


# The quests under test


@dataclass
class Quests:
    """A teacher's draft and published quest, another teacher's, and the people involved."""

    school: Any
    draft: Quest
    published: Quest
    other_draft: Quest
    other_published: Quest


def drafts(count: int) -> list[StageDraft]:
    """``count`` complete stages: lessons, with a quiz second."""
    stages = [StageDraft("lesson", f"Lesson {n}", f"### Part {n}\nText {n}.") for n in range(count)]
    if count > 1:
        stages[1] = StageDraft("quiz", "Check", settings={"questions": [QUESTION]})
    return stages


QUESTION = {
    "id": "q1",
    "type": "single",
    "prompt": "Where is session data kept?",
    "choices": ["In the browser", "On the server"],
    "answer": [1],
}


def quest_by(author: Any, slug: str, *, stages: int, publish: bool = False) -> Quest:
    quest = create_quest(
        slug=slug,
        title=slug.replace("-", " ").title(),
        theme="Digital Famine",
        summary="",
        stages=drafts(stages),
        author=author,
    )
    return publish_quest(quest=quest, by=author) if publish else quest


@pytest.fixture
def quests(school) -> Quests:
    return Quests(
        school=school,
        draft=quest_by(school.teacher, "my-draft", stages=3),
        published=quest_by(school.teacher, "my-published", stages=7, publish=True),
        other_draft=quest_by(school.other_teacher, "their-draft", stages=3),
        other_published=quest_by(school.other_teacher, "their-published", stages=7, publish=True),
    )


@pytest.fixture
def as_teacher(client, school, login_as):
    login_as(school.teacher)
    return client


def post(client, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    """POST with the session's CSRF token (read from the home page, open to everyone)."""
    token = csrf_token(client, "/")
    return client.post(url, data={**(data or {}), "csrf_token": token}, **kwargs)


def stored(db, quest: Quest) -> list[tuple[int, str, str]]:
    """The quest's stages as stored now: (position, kind, title)."""
    db.session.expire_all()
    return [(stage.position, stage.kind, stage.title) for stage in quest.stages]


def audit(db, table: str, record_id: int) -> list[AuditEntry]:
    query = select(AuditEntry).where(
        AuditEntry.table_name == table, AuditEntry.record_id == str(record_id)
    )
    return list(db.session.scalars(query.order_by(AuditEntry.id)))


def base(quest: Quest) -> str:
    return f"/admin/quest/{quest.id}"


def details(quest: Quest) -> str:
    return f"/admin/quest/details/?id={quest.id}"


# The list and the quest page


def test_the_list_shows_own_quests_and_everyones_published_ones(as_teacher, quests):
    page = text_of(as_teacher.get("/admin/quest/"))
    for shown in ("my-draft", "my-published", "their-published"):
        assert shown in page
    assert "their-draft" not in page
    mine = text_of(as_teacher.get("/admin/quest/", query_string={"flt1_author": "mine"}))
    assert "my-draft" in mine
    assert "their-published" not in mine
    drafts_only = text_of(as_teacher.get("/admin/quest/", query_string={"flt0_status": "draft"}))
    assert "my-draft" in drafts_only
    assert "my-published" not in drafts_only


def test_a_draft_page_lists_its_stages_and_what_stops_publishing(as_teacher, quests):
    page = text_of(as_teacher.get(details(quests.draft)))
    assert "Ready to publish?" in page
    assert "a published quest needs 6 to 8 stages; it has 3" in page
    for position in (1, 2, 3):
        assert f'id="stage-{position}"' in page
        assert f"{base(quests.draft)}/stages/{position}/edit" in page
    assert f"{base(quests.draft)}/stages/new" in page
    # The first stage moves only down, the last only up.
    assert page.count("Move up") == 2
    assert page.count("Move down") == 2


def test_a_complete_draft_says_it_is_ready(as_teacher, quests, db):
    quest = quest_by(quests.school.teacher, "ready", stages=6)
    page = text_of(as_teacher.get(details(quest)))
    assert "Every stage is complete." in page


def test_another_teachers_published_quest_is_shown_without_controls(as_teacher, quests):
    quest = quests.other_published
    page = text_of(as_teacher.get(details(quest)))
    assert "Another teacher wrote this quest" in page
    assert f"{base(quest)}/copy" in page
    assert f"{base(quest)}/preview/" in page
    controls = [f"{base(quest)}/{name}" for name in ("stages/", "publish", "archive")]
    controls += [f"/admin/quest/edit/?id={quest.id}", "/admin/quest/delete/"]
    for control in controls:
        assert control not in page
    # The same page of one's own quest has them all.
    own = text_of(as_teacher.get(details(quests.draft)))
    assert all(control.replace(str(quest.id), str(quests.draft.id)) in own for control in controls)


# Creating and editing a quest's details


def test_a_teacher_creates_a_quest_and_lands_on_its_page(as_teacher, school, db):
    data = {"title": "Sessions", "slug": "Sessions-101", "theme": "Digital Famine", "summary": ""}
    response = post_form(as_teacher, "/admin/quest/new/", data)
    quest = db.session.scalar(select(Quest).where(Quest.slug == "sessions-101"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/quest/details/?id={quest.id}")
    assert (quest.author, quest.status, quest.stages) == (school.teacher, QuestStatus.DRAFT, [])
    entry = audit(db, "quest", quest.id)[-1]
    assert (entry.action, entry.actor_id) == ("create", school.teacher.id)


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("my-draft", None),  # taken: Flask-Admin's check or the service's, both on the field
        ("Not a slug!", "Use lower-case letters, digits and single dashes for the slug."),
        ("double--dash", "Use lower-case letters, digits and single dashes for the slug."),
    ],
)
def test_a_bad_or_taken_slug_is_refused_on_its_field(as_teacher, quests, db, slug, message):
    data = {"title": "Another", "slug": slug, "theme": "Digital Famine", "summary": ""}
    response = post_form(as_teacher, "/admin/quest/new/", data)
    assert response.status_code == 422
    page = text_of(response)
    assert 'id="slug-error"' in page
    assert 'aria-invalid="true"' in page
    if message:
        assert message in page
    assert (
        db.session.scalar(select(func.count()).select_from(Quest).where(Quest.title == "Another"))
        == 0
    )


def test_the_details_of_a_draft_change_and_are_audited(as_teacher, quests, db):
    quest = quests.draft
    url = f"/admin/quest/edit/?id={quest.id}"
    data = {
        "title": "Renamed",
        "slug": "renamed-draft",
        "theme": "West Coast Travel",
        "summary": "S.",
    }
    response = post_form(as_teacher, url, data)
    assert response.status_code == 302
    db.session.expire_all()
    assert (quest.title, quest.slug, quest.theme, quest.summary) == (
        "Renamed",
        "renamed-draft",
        "West Coast Travel",
        "S.",
    )
    entry = audit(db, "quest", quest.id)[-1]
    assert (entry.action, entry.actor_id, entry.before["slug"]) == (
        "update",
        quests.school.teacher.id,
        "my-draft",
    )


def test_the_slug_of_a_published_quest_stays(as_teacher, quests, db):
    quest = quests.published
    url = f"/admin/quest/edit/?id={quest.id}"
    data = {"title": "Renamed", "slug": "renamed", "theme": "Digital Famine", "summary": ""}
    response = post_form(as_teacher, url, data)
    assert response.status_code == 422
    assert "The slug of a published quest cannot change" in text_of(response)
    db.session.expire_all()
    assert (quest.slug, quest.title) == ("my-published", "My Published")


def test_a_taken_slug_on_the_edit_form_is_refused(as_teacher, quests, db):
    quest = quests.draft
    url = f"/admin/quest/edit/?id={quest.id}"
    data = {"title": "Renamed", "slug": "their-draft", "theme": "Digital Famine", "summary": ""}
    response = post_form(as_teacher, url, data)
    assert response.status_code == 422
    assert 'id="slug-error"' in text_of(response)
    db.session.expire_all()
    assert quest.slug == "my-draft"


# Every stage kind's form: added, then saved again unchanged


@dataclass(frozen=True)
class KindCase:
    """What to fill in on a new stage of one kind, and what the stage must then hold."""

    kind: str
    fields: dict[str, str | list[str]]
    settings: dict[str, Any]
    time_limit: int | None = None
    name: str = ""

    def __str__(self) -> str:
        return self.name or self.kind


QUIZ_FIELDS = {
    "questions-0-type": "single",
    "questions-0-prompt": "Where is session data kept?",
    "questions-0-choices-0": "In the browser",
    "questions-0-choices-1": "On the server",
    "questions-0-choices-2": "*args",
    # The correct choice is ticked (a radio button: one correct choice), not marked with a *.
    "questions-0-correct": "1",
    "questions-0-hint": "Where does the secret key live?",
    "questions-0-explanation": "The cookie only names it.",
    "max_tries": "2",
    "score_policy": "latest",
    "pass_percent": "60",
    "reveal_answers": "never",
}
QUIZ_SETTINGS = {
    "questions": [
        {
            "id": "q1",
            "type": "single",
            "prompt": "Where is session data kept?",
            "choices": ["In the browser", "On the server", "*args"],
            "answer": [1],
            "hint": "Where does the secret key live?",
            "explanation": "The cookie only names it.",
        }
    ],
    "max_tries": 2,
    "score_policy": "latest",
    "pass_percent": 60,
    "reveal_answers": "never",
}

KIND_CASES = [
    KindCase("lesson", {"estimated_minutes": "12"}, {"estimated_minutes": 12}),
    KindCase("quiz", QUIZ_FIELDS, QUIZ_SETTINGS),
    KindCase(
        "timed",
        {**QUIZ_FIELDS, "time_limit_seconds": "90", "grace_seconds": "5", "late_policy": "half"},
        {**QUIZ_SETTINGS, "grace_seconds": 5, "late_policy": "half"},
        time_limit=90,
    ),
    KindCase(
        "checkpoint",
        {
            "prompt": "Paste your login route.",
            "evidence": ["code", "screenshot"],
            "rubric": "Hashes passwords\n\n  Uses sessions  ",
        },
        {
            "prompt": "Paste your login route.",
            "evidence": ["code", "screenshot"],
            "rubric": ["Hashes passwords", "Uses sessions"],
        },
    ),
    KindCase(
        "checkpoint",
        {
            "prompt": "Paste your team's login route.",
            "evidence": ["link"],
            "rubric": "Hashes passwords\nUses sessions",
            "rubric_levels": "Not yet\nAlmost\nYes",
            "team": "y",
            "peer_reviews": "2",
            "peer_review_days": "4",
        },
        {
            "prompt": "Paste your team's login route.",
            "evidence": ["link"],
            "rubric": ["Hashes passwords", "Uses sessions"],
            "rubric_levels": ["Not yet", "Almost", "Yes"],
            "team": True,
            "peer_reviews": 2,
            "peer_review_days": 4,
            "peer_review_own_team": False,
            "peer_review_anonymous": True,
        },
        name="team checkpoint with peer reviews",
    ),
    KindCase(
        "reflection",
        {"prompt": "What surprised you?", "min_length": "120"},
        {"prompt": "What surprised you?", "min_length": 120},
    ),
    KindCase(
        "self_check",
        {"items": "I can log in\nI can log out"},
        {"items": ["I can log in", "I can log out"]},
    ),
    KindCase(
        "code",
        {
            "prompt": "Finish the route.",
            "starter_code": "def add(a, b):\n    pass\n",
            "examples": "add(1, 2) == 3",
            "tests": "add(2, 2) == 4\n--- input\n1 2\n--- output\n3",
            "solution": "def add(a, b):\n    return a + b\n",
            "seconds_per_test": "3",
            "memory_mb": "128",
            "output_kb": "16",
        },
        {
            "prompt": "Finish the route.",
            "starter_code": "def add(a, b):\n    pass\n",
            "examples": "add(1, 2) == 3",
            "tests": "add(2, 2) == 4\n--- input\n1 2\n--- output\n3",
            "solution": "def add(a, b):\n    return a + b\n",
            "seconds_per_test": 3,
            "memory_mb": 128,
            "output_kb": 16,
        },
    ),
]


def as_browser_sends(value: str | list[str]) -> str | list[str]:
    return value.replace("\n", "\r\n") if isinstance(value, str) else value


@pytest.mark.parametrize("case", KIND_CASES, ids=str)
def test_every_kind_of_stage_is_added_and_saved_again_unchanged(as_teacher, quests, db, case):
    quest = quests.draft
    new_url = f"{base(quest)}/stages/new?kind={case.kind}"
    page = as_teacher.get(new_url)
    assert page.status_code == 200
    form = form_on(text_of(page), "/stages/new")
    common = {"title": " A new stage ", "points": "25", "content": "### Intro\n\nRead this."}
    changes = {name: as_browser_sends(value) for name, value in {**common, **case.fields}.items()}
    response = as_teacher.post(form.action, data=form.values(**changes))
    assert response.status_code == 302, text_of(response)
    assert response.headers["Location"].endswith(f"details/?id={quest.id}#stage-4")

    stage = db.session.scalar(select(Stage).where(Stage.quest_id == quest.id, Stage.position == 4))
    saved = (stage.kind, stage.title, stage.points, stage.content, stage.settings)
    assert saved == (case.kind, "A new stage", 25, "### Intro\n\nRead this.", case.settings)
    assert stage.time_limit_seconds == case.time_limit
    entry = audit(db, "stage", stage.id)[-1]
    assert (entry.action, entry.actor_id) == ("create", quests.school.teacher.id)

    # A setting this form does not show survives, as does everything it shows.
    stage.settings = {**stage.settings, "shown_elsewhere": {"keep": True}}
    db.session.commit()
    expected = (stage.title, stage.points, stage.content, stage.settings, stage.time_limit_seconds)
    edit_url = f"{base(quest)}/stages/4/edit"
    form = form_on(text_of(as_teacher.get(edit_url)), "/stages/4/edit")
    response = as_teacher.post(form.action, data=form.values())
    assert response.status_code == 302, text_of(response)
    db.session.expire_all()
    assert (
        stage.title,
        stage.points,
        stage.content,
        stage.settings,
        stage.time_limit_seconds,
    ) == expected
    assert audit(db, "stage", stage.id)[-1].action == "update"


def test_a_quiz_edit_adds_a_question_drops_a_blank_one_and_keeps_ids(as_teacher, quests, db):
    quest = quests.draft
    quiz = quest.stages[1]
    quiz.settings = {
        "questions": [QUESTION, {**QUESTION, "id": "q2", "prompt": "Second?"}],
        "max_tries": 3,
        "score_policy": "best",
    }
    db.session.commit()
    url = f"{base(quest)}/stages/2/edit"
    form = form_on(text_of(as_teacher.get(url)), "/stages/2/edit")
    # Two questions and one empty one, to add a question without a script.
    assert [name for name, _ in form.fields if name.endswith("-prompt")] == [
        "questions-0-prompt",
        "questions-1-prompt",
        "questions-2-prompt",
    ]
    changes = {
        "questions-0-prompt": "",
        "questions-2-type": "multiple",
        "questions-2-prompt": "Which flags protect a cookie?",
        "questions-2-choices-0": "Secure",
        "questions-2-choices-1": "HttpOnly",
        "questions-2-choices-2": "Bold",
        "questions-2-correct": ["0", "1"],
    }
    response = as_teacher.post(form.action, data=form.values(**changes))
    assert response.status_code == 302, text_of(response)
    db.session.expire_all()
    questions = quiz.settings["questions"]
    assert [(q["id"], q["prompt"]) for q in questions] == [
        ("q2", "Second?"),
        ("q3", "Which flags protect a cookie?"),
    ]
    assert questions[1]["choices"] == ["Secure", "HttpOnly", "Bold"]
    assert questions[1]["answer"] == [0, 1]


def test_a_removed_questions_id_is_not_given_to_a_new_one(as_teacher, quests, db):
    quest = quests.draft
    quiz = quest.stages[1]
    quiz.settings = {
        "questions": [QUESTION, {**QUESTION, "id": "q2", "prompt": "Second?"}],
        "max_tries": 3,
        "score_policy": "best",
    }
    db.session.commit()
    url = f"{base(quest)}/stages/2/edit"
    form = form_on(text_of(as_teacher.get(url)), "/stages/2/edit")
    # q2 goes; a new question takes its place: answers recorded for q2 must not match it.
    changes = {
        "questions-1-prompt": "",
        "questions-2-prompt": "A new second question?",
        "questions-2-choices-0": "Yes",
        "questions-2-choices-1": "No",
        "questions-2-correct": "0",
    }
    response = as_teacher.post(form.action, data=form.values(**changes))
    assert response.status_code == 302, text_of(response)
    db.session.expire_all()
    assert [q["id"] for q in quiz.settings["questions"]] == ["q1", "q3"]


def test_the_list_offers_edit_only_on_quests_the_teacher_may_change(as_teacher, quests):
    page = text_of(as_teacher.get("/admin/quest/"))
    for own in (quests.draft, quests.published):
        assert f"/admin/quest/edit/?id={own.id}&" in page
    assert f"/admin/quest/edit/?id={quests.other_published.id}&" not in page


def test_a_short_answer_question_lists_accepted_answers(as_teacher, quests, db):
    quest = quests.draft
    url = f"{base(quest)}/stages/2/edit"
    form = form_on(text_of(as_teacher.get(url)), "/stages/2/edit")
    changes = {
        "questions-1-type": "short",
        "questions-1-prompt": "Which HTTP verb creates?",
        "questions-1-accepted": "POST\r\n post \r\n",
    }
    assert as_teacher.post(form.action, data=form.values(**changes)).status_code == 302
    db.session.expire_all()
    added = quest.stages[1].settings["questions"][1]
    assert added == {
        "id": "q2",
        "type": "short",
        "prompt": "Which HTTP verb creates?",
        "accepted": ["POST", "post"],
    }


# Refused stage forms: 422, the message on the field at fault, nothing saved


@dataclass(frozen=True)
class Refusal:
    name: str
    kind: str
    fields: dict[str, str | list[str]]
    field_id: str
    message: str

    def __str__(self) -> str:
        return self.name


CHOICES_A_B = {"questions-0-choices-0": "A", "questions-0-choices-1": "B"}

REFUSALS = [
    Refusal(
        "quiz-without-correct-answer",
        "quiz",
        {"questions-0-prompt": "Pick one", **CHOICES_A_B},
        "questions-0-correct",
        "Tick the correct choice.",
    ),
    Refusal(
        "single-choice-with-two-correct",
        "quiz",
        {"questions-0-prompt": "Pick one", **CHOICES_A_B, "questions-0-correct": ["0", "1"]},
        "questions-0-correct",
        "Tick exactly one correct choice, or make it a several-choice question.",
    ),
    Refusal(
        "quiz-with-one-choice",
        "quiz",
        {
            "questions-0-prompt": "Pick one",
            "questions-0-choices-0": "A",
            "questions-0-correct": "0",
        },
        "questions-0-correct",
        "Give at least two choices.",
    ),
    Refusal(
        "quiz-without-questions",
        "quiz",
        {"questions-0-prompt": "", **CHOICES_A_B, "questions-0-correct": "0"},
        "questions",
        "Write at least one question.",
    ),
    Refusal(
        "short-answer-without-answers",
        "quiz",
        {"questions-0-type": "short", "questions-0-prompt": "Verb?", "questions-0-accepted": ""},
        "questions-0-accepted",
        "List at least one accepted answer.",
    ),
    Refusal(
        "timed-without-limit",
        "timed",
        {
            "questions-0-prompt": "Pick one",
            **CHOICES_A_B,
            "questions-0-correct": "0",
            "time_limit_seconds": "",
        },
        "time_limit_seconds",
        "This field is required.",
    ),
    Refusal(
        "checkpoint-without-rubric",
        "checkpoint",
        {"prompt": "Paste your route.", "rubric": ""},
        "rubric",
        "This field is required.",
    ),
    Refusal(
        "checkpoint-without-evidence",
        "checkpoint",
        {"prompt": "Paste your route.", "rubric": "Runs", "evidence": []},
        "evidence",
        "Choose at least one kind of evidence.",
    ),
    Refusal(
        "checkpoint-with-one-rubric-level",
        "checkpoint",
        {"prompt": "Paste your route.", "rubric": "Runs", "rubric_levels": "Done"},
        "rubric_levels",
        "Give between 2 and 6 levels, one per line.",
    ),
    Refusal(
        "checkpoint-with-too-many-peer-reviews",
        "checkpoint",
        {"prompt": "Paste your route.", "rubric": "Runs", "peer_reviews": "9"},
        "peer_reviews",
        "Number must be between 0 and 5.",
    ),
    Refusal(
        "lesson-image-without-alt",
        "lesson",
        {"content": "### Map\n\n![](map.png)"},
        "content",
        "the image map.png has no alternative text",
    ),
    Refusal(
        "quiz-image-without-alt",
        "quiz",
        {
            "content": "![](chart.png)",
            "questions-0-prompt": "Pick one",
            **CHOICES_A_B,
            "questions-0-correct": "0",
        },
        "content",
        "the image chart.png has no alternative text",
    ),
    Refusal("points-out-of-range", "lesson", {"points": "1001"}, "points", "1000"),
    Refusal("without-title", "reflection", {"title": "", "prompt": "Why?"}, "title", "required"),
]


@pytest.mark.parametrize("refusal", REFUSALS, ids=str)
def test_an_incomplete_stage_is_refused_on_its_field_and_not_saved(as_teacher, quests, db, refusal):
    quest = quests.draft
    before = stored(db, quest)
    page = text_of(as_teacher.get(f"{base(quest)}/stages/new?kind={refusal.kind}"))
    form = form_on(page, "/stages/new")
    filled = {"title": "Stage", "points": "10", "content": "Intro.", "prompt": "Why?"}
    filled = {name: value for name, value in filled.items() if name in dict(form.fields)}
    changes = {name: as_browser_sends(v) for name, v in {**filled, **refusal.fields}.items()}
    response = as_teacher.post(form.action, data=form.values(**changes))
    assert response.status_code == 422
    page = text_of(response)
    assert f'id="{refusal.field_id}-error"' in page, page
    assert refusal.message in page
    assert 'class="error-summary"' in page
    assert stored(db, quest) == before


def test_a_refused_edit_changes_nothing(as_teacher, quests, db):
    quest = quests.published
    lesson = quest.stages[0]
    url = f"{base(quest)}/stages/1/edit"
    form = form_on(text_of(as_teacher.get(url)), "/stages/1/edit")
    response = as_teacher.post(form.action, data=form.values(content="", title="Emptied"))
    assert response.status_code == 422
    assert "the lesson has no text" in text_of(response)
    db.session.expire_all()
    assert (lesson.title, lesson.content) == ("Lesson 0", "### Part 0\nText 0.")


def test_an_edited_stage_in_use_warns_and_keeps_recorded_attempts(as_teacher, quests, db, make):
    quest = quests.published
    attempt = make.attempt(student=quests.school.student, quest=quest, position=1)
    recorded = (attempt.score, attempt.max_score, attempt.stage_id, attempt.answer)
    url = f"{base(quest)}/stages/1/edit"
    page = text_of(as_teacher.get(url))
    assert "Students may be working on this quest." in page
    form = form_on(page, "/stages/1/edit")
    response = as_teacher.post(form.action, data=form.values(points="40"))
    assert response.status_code == 302
    db.session.expire_all()
    assert quest.stages[0].points == 40
    attempt = db.session.get(Attempt, attempt.id)
    assert (attempt.score, attempt.max_score, attempt.stage_id, attempt.answer) == recorded


def test_a_ninth_stage_is_refused_with_a_message(as_teacher, quests, db):
    quest = quest_by(quests.school.teacher, "full", stages=8)
    form = form_on(text_of(as_teacher.get(f"{base(quest)}/stages/new?kind=lesson")), "/new")
    response = as_teacher.post(form.action, data=form.values(title="Ninth", content="Text."))
    assert response.status_code == 422
    assert "A quest has at most 8 stages." in text_of(response)
    assert len(stored(db, quest)) == 8
    # The quest page offers no ninth stage.
    assert "/stages/new" not in text_of(as_teacher.get(details(quest)))


def test_an_unknown_kind_leads_back_to_the_quest(as_teacher, quests):
    response = as_teacher.get(f"{base(quests.draft)}/stages/new?kind=poem", follow_redirects=True)
    assert response.request.path == "/admin/quest/details/"
    assert "Choose what kind of stage to add." in text_of(response)


def test_a_missing_stage_is_not_found(as_teacher, quests):
    for url in (f"{base(quests.draft)}/stages/9/edit", f"{base(quests.draft)}/preview/9"):
        assert as_teacher.get(url).status_code == 404
    assert post(as_teacher, f"{base(quests.draft)}/stages/9/delete").status_code == 404


# Moving and removing stages


def test_stages_move_up_and_down(as_teacher, quests, db):
    quest = quests.draft
    response = post(as_teacher, f"{base(quest)}/stages/3/move", {"direction": "up"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("#stage-2")
    assert [title for _, _, title in stored(db, quest)] == ["Lesson 0", "Lesson 2", "Check"]
    post(as_teacher, f"{base(quest)}/stages/1/move", {"direction": "down"})
    assert [title for _, _, title in stored(db, quest)] == ["Lesson 2", "Lesson 0", "Check"]
    entry = audit(db, "stage", quest.stages[1].id)[-1]
    assert (entry.action, entry.before, entry.actor_id) == (
        "move",
        {"position": 1},
        quests.school.teacher.id,
    )
    page = text_of(as_teacher.get(details(quest)))
    assert "“Lesson 0” is now stage 2." in page


def test_a_stage_is_removed_and_the_rest_close_up(as_teacher, quests, db):
    quest = quests.draft
    stage_id = quest.stages[0].id
    response = post(as_teacher, f"{base(quest)}/stages/1/delete", follow_redirects=True)
    assert "Stage “Lesson 0” removed." in text_of(response)
    assert stored(db, quest) == [(1, "quiz", "Check"), (2, "lesson", "Lesson 2")]
    assert audit(db, "stage", stage_id)[-1].action == "delete"


def test_a_stage_students_answered_is_not_removed(as_teacher, quests, db, make):
    quest = quests.published
    make.attempt(student=quests.school.student, quest=quest, position=7)
    response = post(as_teacher, f"{base(quest)}/stages/7/delete", follow_redirects=True)
    assert "Students have answered this stage, so it stays" in text_of(response)
    assert len(stored(db, quest)) == 7


def test_a_published_quest_keeps_six_stages(as_teacher, quests, db):
    quest = quests.published
    assert post(as_teacher, f"{base(quest)}/stages/7/delete").status_code == 302
    response = post(as_teacher, f"{base(quest)}/stages/6/delete", follow_redirects=True)
    assert "A published quest needs at least 6 stages." in text_of(response)
    assert len(stored(db, quest)) == 6


# Publishing, archiving, copying, deleting


def test_publishing_an_incomplete_quest_shows_every_reason(as_teacher, quests, db):
    quest = quests.draft
    quest.stages[0].content = "![](map.png)"
    db.session.commit()
    response = post(as_teacher, f"{base(quest)}/publish", follow_redirects=True)
    page = text_of(response)
    assert "This quest cannot be published yet:" in page
    assert "a published quest needs 6 to 8 stages; it has 3" in page
    assert "stage 1: the image map.png has no alternative text" in page
    db.session.expire_all()
    assert quest.status == QuestStatus.DRAFT


def test_a_complete_quest_is_published_and_audited(as_teacher, quests, db):
    quest = quest_by(quests.school.teacher, "complete", stages=6)
    response = post(as_teacher, f"{base(quest)}/publish", follow_redirects=True)
    assert "“Complete” is published." in text_of(response)
    db.session.expire_all()
    assert quest.status == QuestStatus.PUBLISHED
    entry = audit(db, "quest", quest.id)[-1]
    assert (entry.action, entry.actor_id) == ("publish", quests.school.teacher.id)


def test_a_quest_is_archived_and_audited(as_teacher, quests, db):
    quest = quests.published
    response = post(as_teacher, f"{base(quest)}/archive", follow_redirects=True)
    assert "“My Published” is archived." in text_of(response)
    db.session.expire_all()
    assert quest.status == QuestStatus.ARCHIVED
    assert audit(db, "quest", quest.id)[-1].action == "archive"


@pytest.mark.parametrize("which", ["draft", "other_published"])
def test_a_copy_is_the_teachers_own_draft(as_teacher, quests, db, which):
    original = getattr(quests, which)
    response = post(as_teacher, f"{base(original)}/copy", follow_redirects=True)
    copy = db.session.scalar(select(Quest).where(Quest.slug == f"{original.slug}-copy"))
    assert response.request.args["id"] == str(copy.id)
    assert (copy.author, copy.status) == (quests.school.teacher, QuestStatus.DRAFT)
    assert [s.title for s in copy.stages] == [s.title for s in original.stages]
    entry = audit(db, "quest", copy.id)[-1]
    assert (entry.action, entry.before) == ("copy", {"copied_from": original.id})
    page = text_of(response)
    assert f"This is your copy of “{original.title}”: edit it freely." in page
    assert f"{base(copy)}/stages/1/edit" in page


def test_an_unused_quest_is_deleted_and_a_used_one_kept(as_teacher, quests, db, make):
    quest_id = quests.draft.id
    data = {"id": str(quest_id), "url": "/admin/quest/"}
    response = post(as_teacher, "/admin/quest/delete/", data)
    assert path_of(response) == "/admin/quest/"
    db.session.expire_all()
    assert db.session.get(Quest, quest_id) is None
    assert audit(db, "quest", quest_id)[-1].action == "delete"

    used = quests.published
    make.attempt(student=quests.school.student, quest=used, position=1)
    data = {"id": str(used.id), "url": "/admin/quest/"}
    response = post(as_teacher, "/admin/quest/delete/", data, follow_redirects=True)
    assert "Students have answered this quest, so it stays; archive it instead." in text_of(
        response
    )
    assert db.session.get(Quest, used.id) is not None


def test_an_assigned_quest_is_kept(as_teacher, quests, db, make):
    quest = quests.published
    make.assignment(quest=quest, classroom=quests.school.classroom)
    data = {"id": str(quest.id), "url": "/admin/quest/"}
    response = post(as_teacher, "/admin/quest/delete/", data, follow_redirects=True)
    assert "This quest is assigned to a classroom" in text_of(response)
    assert db.session.get(Quest, quest.id) is not None


# Bulk actions


def bulk(client, action: str, *quests: Quest) -> Any:
    data = {
        "action": action,
        "confirmed": "yes",
        "rowid": [str(q.id) for q in quests],
        "url": "/admin/quest/",
    }
    return post(client, "/admin/quest/action/", data, follow_redirects=True)


def test_bulk_publish_publishes_the_complete_and_explains_the_rest(as_teacher, quests, db):
    complete = quest_by(quests.school.teacher, "complete", stages=6)
    page = text_of(bulk(as_teacher, "publish", complete, quests.draft))
    assert "1 quest published." in page
    assert "a published quest needs 6 to 8 stages; it has 3" in page
    db.session.expire_all()
    assert (complete.status, quests.draft.status) == (QuestStatus.PUBLISHED, QuestStatus.DRAFT)


def test_bulk_archive_skips_other_teachers_quests(as_teacher, quests, db):
    page = text_of(bulk(as_teacher, "archive", quests.draft, quests.other_published))
    assert "1 quest archived." in page
    assert "author or an administrator can change it." in page
    db.session.expire_all()
    assert quests.draft.status == QuestStatus.ARCHIVED
    assert quests.other_published.status == QuestStatus.PUBLISHED


def test_bulk_copy_copies_every_readable_quest(as_teacher, quests, db):
    page = text_of(
        bulk(as_teacher, "copy", quests.draft, quests.other_published, quests.other_draft)
    )
    assert "2 copies made." in page
    slugs = set(db.session.scalars(select(Quest.slug).where(Quest.slug.like("%-copy"))))
    assert slugs == {"my-draft-copy", "their-published-copy"}


# Preview


def test_the_preview_shows_each_stage_as_a_student_sees_it(as_teacher, quests, db):
    quest = quests.draft
    quest.stages[
        0
    ].content = (
        "### Sessions\n\n<script>alert(1)</script>\n\n```python\ndef login():\n    pass\n```"
    )
    db.session.commit()
    page = text_of(as_teacher.get(f"{base(quest)}/preview/"))
    assert "this is what a student sees" in page
    assert "<h3>Sessions</h3>" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert '<span class="k">def</span>' in page
    assert 'aria-current="page"><strong>1. Lesson 0' in page
    assert f'href="{base(quest)}/preview/2"' in page

    quiz = text_of(as_teacher.get(f"{base(quest)}/preview/2"))
    assert "Where is session data kept?" in quiz
    assert 'type="radio"' in quiz
    assert "On the server" in quiz
    for link in ("Previous stage", "Next stage"):
        assert link in quiz


def test_a_quest_without_stages_previews_as_empty(as_teacher, school, db):
    quest = create_quest(
        slug="empty", title="Empty", theme="", summary="", stages=[], author=school.teacher
    )
    page = text_of(as_teacher.get(f"{base(quest)}/preview/"))
    assert "This quest has no stages yet." in page


# Who may do what


def routes(quest: Quest) -> list[tuple[str, str, dict[str, str]]]:
    """Every route that reads or changes one quest: (method, url, form data)."""
    b = base(quest)
    return [
        ("GET", details(quest), {}),
        ("GET", f"/admin/quest/edit/?id={quest.id}", {}),
        ("POST", f"/admin/quest/edit/?id={quest.id}", {"title": "Taken", "slug": quest.slug}),
        ("POST", "/admin/quest/delete/", {"id": str(quest.id)}),
        ("GET", f"{b}/stages/new?kind=lesson", {}),
        ("POST", f"{b}/stages/new?kind=lesson", {"title": "Taken", "content": "Text."}),
        ("GET", f"{b}/stages/1/edit", {}),
        ("POST", f"{b}/stages/1/edit", {"title": "Taken", "content": "Text.", "points": "1"}),
        ("POST", f"{b}/stages/2/move", {"direction": "up"}),
        ("POST", f"{b}/stages/1/delete", {}),
        ("POST", f"{b}/publish", {}),
        ("POST", f"{b}/archive", {}),
        ("POST", f"{b}/copy", {}),
        ("GET", f"{b}/preview/", {}),
        ("GET", f"{b}/preview/2", {}),
    ]


def snapshot_of(db, quest: Quest) -> tuple:
    db.session.expire_all()
    quest = db.session.get(Quest, quest.id)
    return (quest.title, quest.slug, quest.status, stored(db, quest))


def quest_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Quest))


def test_another_teachers_draft_is_not_found_anywhere(as_teacher, quests, db):
    quest = quests.other_draft
    before, count = snapshot_of(db, quest), quest_count(db)
    for method, url, data in routes(quest):
        response = as_teacher.get(url) if method == "GET" else post(as_teacher, url, data)
        assert response.status_code == 404, f"{method} {url}"
        assert "Their Draft" not in text_of(response)
    assert snapshot_of(db, quest) == before
    assert quest_count(db) == count


READ_ONLY = {"details/", "/preview/", "/copy"}


def test_another_teachers_published_quest_is_read_and_copied_but_not_changed(
    as_teacher, quests, db
):
    quest = quests.other_published
    before, count = snapshot_of(db, quest), quest_count(db)
    for method, url, data in routes(quest):
        response = as_teacher.get(url) if method == "GET" else post(as_teacher, url, data)
        readable = any(part in url for part in READ_ONLY)
        expected = (200 if method == "GET" else 302) if readable else 403
        assert response.status_code == expected, f"{method} {url}"
    assert snapshot_of(db, quest) == before
    assert quest_count(db) == count + 1  # the copy


def test_an_admin_changes_any_teachers_quest(client, login_as, quests, db):
    admin = quests.school.admin
    login_as(admin)
    quest = quests.other_draft
    for method, url, _data in routes(quest):
        if method == "GET":
            assert client.get(url).status_code == 200, url
    form = form_on(text_of(client.get(f"{base(quest)}/stages/1/edit")), "/stages/1/edit")
    assert client.post(form.action, data=form.values(title="Fixed by admin")).status_code == 302
    post(client, f"{base(quest)}/stages/2/move", {"direction": "up"})
    form = form_on(text_of(client.get(f"{base(quest)}/stages/new?kind=lesson")), "/new")
    data = form.values(title="Added by admin", content="Text.")
    assert client.post(form.action, data=data).status_code == 302
    assert post(client, f"{base(quest)}/stages/3/delete").status_code == 302
    assert post(client, f"{base(quest)}/archive").status_code == 302
    assert post(client, f"{base(quest)}/copy").status_code == 302
    assert stored(db, quest) == [
        (1, "quiz", "Check"),
        (2, "lesson", "Fixed by admin"),
        (3, "lesson", "Added by admin"),
    ]
    assert quest.status == QuestStatus.ARCHIVED
    assert quest.author == quests.school.other_teacher
    assert {entry.actor_id for entry in audit(db, "quest", quest.id)[1:]} == {admin.id}
    published_id = quests.other_published.id
    data = {"id": str(published_id), "url": "/admin/quest/"}
    assert path_of(post(client, "/admin/quest/delete/", data)) == "/admin/quest/"
    db.session.expire_all()
    assert db.session.get(Quest, published_id) is None


@pytest.mark.parametrize("role", ["student", "other_student"])
def test_students_never_reach_quest_authoring(client, login_as, quests, role):
    login_as(quests.school.person(role))
    for method, url, data in routes(quests.published):
        response = client.get(url) if method == "GET" else post(client, url, data)
        assert response.status_code == 403, f"{method} {url}"


def test_a_longer_quest_list_costs_no_more_queries(client, make, login_as, db):
    from sqlalchemy import event

    teacher = make.teacher()
    login_as(teacher)

    def queries_for_list() -> int:
        statements: list[str] = []

        def count(*args: Any) -> None:
            statements.append(args[2])

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            page = text_of(client.get("/admin/quest/"))
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        assert f"<caption>{quest_count(db)} record" in page
        return len(statements)

    make.quest(author=teacher)
    few = queries_for_list()
    for _ in range(3):
        make.quest(author=make.teacher())
    assert queries_for_list() == few


# A quest's address from its title, and assigning a published quest


def test_a_quest_left_without_an_address_gets_one_from_its_title(as_teacher, quests, db):
    form = text_of(as_teacher.get("/admin/quest/new/"))
    assert "Left empty, it is made from the title" in form
    for expected in ("cafe-api", "cafe-api-2"):
        data = {"title": "Café API", "slug": "", "theme": "Digital Famine", "summary": ""}
        response = post_form(as_teacher, "/admin/quest/new/", data)
        assert response.status_code == 302
        quest = db.session.scalars(select(Quest).order_by(Quest.id.desc())).first()
        assert (quest.title, quest.slug) == ("Café API", expected)


def test_a_published_quest_offers_to_be_assigned_from_the_list_and_its_page(as_teacher, quests):
    assign = f'href="/admin/assignment/new/?quest={quests.other_published.id}"'
    assert assign in text_of(as_teacher.get("/admin/quest/"))
    assert assign in text_of(as_teacher.get(details(quests.other_published)))
    # A draft cannot be assigned yet: no such link for it.
    draft = f"/admin/assignment/new/?quest={quests.draft.id}"
    assert draft not in text_of(as_teacher.get("/admin/quest/"))
    assert draft not in text_of(as_teacher.get(details(quests.draft)))


def test_the_assignment_form_opens_with_the_quest_chosen(as_teacher, quests):
    page = text_of(as_teacher.get(f"/admin/assignment/new/?quest={quests.published.id}"))
    assert f'<option selected value="{quests.published.id}">' in page
    # A quest that cannot be assigned (a draft) is not chosen, whatever the address says.
    page = text_of(as_teacher.get(f"/admin/assignment/new/?quest={quests.draft.id}"))
    assert "<option selected" not in page.split('name="quest"')[1].split("</select>")[0]
