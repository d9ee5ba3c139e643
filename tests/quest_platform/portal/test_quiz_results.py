"""A stage's result as the student reads it: passed, not passed with or without tries left, and
waiting for review each look and read differently; quiz feedback shows the student's answers,
hints while tries remain and the right answers only once the quiz is finished."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from sqlalchemy import select

from quest_platform.extensions import db as _db
from quest_platform.models import Attempt, Enrollment, Stage
from quest_platform.services.reviews import review_attempt

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
KEY = re.compile(r'name="submission_key" value="([^"]+)"')
OPENED = re.compile(r'name="opened" value="([^"]+)"')
BANNER = re.compile(
    r'<div id="result-banner" class="result-banner result-([a-z_]+)"[^>]*>(.*?)</div>', re.S
)

QUIZ = {
    "max_tries": 2,
    "questions": [
        {
            "id": "render",
            "type": "single",
            "prompt": "Which call fills in a template?",
            "choices": ["render_template(name, **context)", "redirect(url)", "abort(404)"],
            "answer": [0],
            "hint": "Look for the word template.",
            "explanation": "render_template fills the template with its context.",
        },
        {
            "id": "verb",
            "type": "short",
            "prompt": "Which HTTP verb sends a form?",
            "accepted": ["POST"],
            "hint": "Not GET.",
        },
    ],
}
RIGHT_ANSWER = "render_template(name, **context)"


class Player:
    """A signed-in student's browser on the school's quest."""

    def __init__(self, client: Any, slug: str) -> None:
        self.client = client
        self.slug = slug

    def page(self, position: int) -> str:
        return self.client.get(f"/quests/{self.slug}/{position}").get_data(as_text=True)

    def answer(self, position: int, data: dict[str, Any]) -> str:
        page = self.page(position)
        fields = {"csrf_token": CSRF.search(page).group(1)}
        if key := KEY.search(page):
            fields["submission_key"] = key.group(1)
            fields["opened"] = OPENED.search(page).group(1)
        response = self.client.post(
            f"/quests/{self.slug}/{position}", data={**fields, **data}, follow_redirects=True
        )
        assert response.status_code == 200, response.get_data(as_text=True)[:400]
        return response.get_data(as_text=True)


def words_of(markup: str) -> str:
    """The text of ``markup``, as one line."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def banner(page: str) -> tuple[str, str]:
    """The result banner's kind (its class) and its words."""
    match = BANNER.search(page)
    assert match, "no result banner"
    return match.group(1), words_of(match.group(2))


@pytest.fixture
def player(school, make, login_as) -> Player:
    student = make.student()
    _db.session.add(Enrollment(classroom=school.classroom, student=student))
    quiz = _db.session.scalars(
        select(Stage).where(Stage.quest_id == school.quest.id, Stage.position == 2)
    ).one()
    quiz.settings = dict(QUIZ)
    _db.session.commit()
    return Player(login_as(student), school.quest.slug)


def set_quiz(**settings: Any) -> None:
    # The player's quiz: the first quiz stage made (PostgreSQL keeps no order without one).
    quiz = _db.session.scalars(select(Stage).where(Stage.kind == "quiz").order_by(Stage.id)).first()
    quiz.settings = {**quiz.settings, **settings}
    _db.session.commit()


def test_a_finished_lesson_reads_stage_complete_with_its_points_not_done_twice(player):
    page = player.answer(1, {"confirmed": "yes"})
    assert banner(page) == ("passed", "✓ Stage complete You earned 10 points.")
    assert "Done: Done:" not in page
    assert "Done: this stage is complete" not in page
    # Just answered: the browser puts the focus on the result, so a screen reader reads it.
    assert re.search(r'id="result-banner"[^>]*role="group"[^>]*tabindex="-1" autofocus', page)
    # Coming back later, the result shows without taking the focus.
    assert "autofocus" not in player.page(1)


def test_the_pass_mark_and_tries_are_shown_before_the_quiz(player):
    player.answer(1, {"confirmed": "yes"})
    page = player.page(2)
    assert "Pass mark: 7 of 10 points" in page
    assert "2 tries left" in page
    set_quiz(pass_percent=50)
    assert "Pass mark: 5 of 10 points" in player.page(2)


def test_a_failed_quiz_with_tries_left_gives_hints_not_the_right_answer(player):
    player.answer(1, {"confirmed": "yes"})
    page = player.answer(2, {"q-render": "1", "q-verb": "get"})

    kind, words = banner(page)
    assert kind == "retry"
    assert words.startswith("↻ Not passed yet You scored 0 of 10 points.")
    assert "The pass mark is 7 of 10 points." in words
    assert "you have 1 try left" in words
    assert "flash-success" not in page
    # What the student answered, marked wrong, with the teacher's hints; never the answer.
    feedback = words_of(page[page.index('class="feedback-list"') :])
    assert "Your answer: redirect(url)" in feedback
    assert "Your answer: get" in feedback
    assert "Look for the word template." in feedback
    assert "Not GET." in feedback
    assert "Right answer" not in feedback
    assert "fills the template" not in feedback
    # The only place the right answer's text may appear is the question's own choice.
    assert page.count(RIGHT_ANSWER) == 1


def test_a_retry_keeps_the_answers_that_were_right(player):
    player.answer(1, {"confirmed": "yes"})
    page = player.answer(2, {"q-render": "0", "q-verb": "get"})
    assert banner(page)[0] == "retry"  # 5 of 10 is under the pass mark of 7
    assert re.search(r'id="q-render-0" name="q-render" value="0" checked', page)
    # The wrong answer is not kept.
    assert 'id="q-verb-answer" name="q-verb" maxlength="200" autocomplete="off" value=""' in page


def test_a_worse_try_says_what_the_stage_still_counts(player):
    set_quiz(max_tries=3)
    player.answer(1, {"confirmed": "yes"})
    first = player.answer(2, {"q-render": "0", "q-verb": "get"})
    # The first try's score is what counts: nothing more to say.
    assert "toward your total" not in banner(first)[1]

    kind, words = banner(player.answer(2, {"q-render": "1", "q-verb": "get"}))

    assert kind == "retry"
    assert "You scored 0 of 10 points. This stage counts 5 points toward your total." in words


def test_when_the_latest_try_counts_its_score_is_the_stage_s(player):
    set_quiz(max_tries=3, score_policy="latest")
    player.answer(1, {"confirmed": "yes"})
    player.answer(2, {"q-render": "0", "q-verb": "get"})

    kind, words = banner(player.answer(2, {"q-render": "1", "q-verb": "get"}))

    assert kind == "retry"
    assert "You scored 0 of 10 points." in words
    assert "toward your total" not in words


def test_out_of_tries_reads_differently_and_reveals_the_answers(player):
    player.answer(1, {"confirmed": "yes"})
    player.answer(2, {"q-render": "1"})
    page = player.answer(2, {"q-render": "2"})

    kind, words = banner(page)
    assert kind == "out_of_tries"
    assert words.startswith("✗ Not passed: no tries left You scored 0 of 10 points.")
    assert "The right answers are shown below." in words
    feedback = words_of(page[page.index('class="feedback-list"') :])
    assert f"Right answer: {RIGHT_ANSWER}" in feedback
    assert "Right answer: POST" in feedback
    assert "render_template fills the template with its context." in feedback
    assert 'id="questions"' not in page  # no more tries


def test_a_pass_reveals_the_answers_and_closes_the_quiz(player):
    player.answer(1, {"confirmed": "yes"})
    page = player.answer(2, {"q-render": "0", "q-verb": "post"})
    kind, words = banner(page)
    assert (kind, words.split(" You")[0]) == ("passed", "✓ Passed")
    assert "You scored 10 of 10 points." in words
    assert 'id="questions"' not in page


def test_a_quiz_that_never_reveals_keeps_the_answers_hidden_when_out_of_tries(player):
    set_quiz(reveal_answers="never")
    player.answer(1, {"confirmed": "yes"})
    player.answer(2, {"q-render": "1"})
    page = player.answer(2, {"q-render": "1"})
    assert banner(page)[0] == "out_of_tries"
    assert "The right answers are shown below." not in page
    assert "Right answer" not in page
    assert RIGHT_ANSWER not in page


def test_a_checkpoint_waiting_for_review_reads_so(player):
    player.answer(1, {"confirmed": "yes"})
    player.answer(2, {"q-render": "0", "q-verb": "post"})
    page = player.answer(3, {"evidence": "def login(): ..."})
    kind, words = banner(page)
    assert kind == "pending_review"
    assert words.startswith("⏳ Handed in: waiting for your teacher's review")


def test_a_reviewed_checkpoint_reads_passed_or_not_passed_with_its_score(player, school):
    player.answer(1, {"confirmed": "yes"})
    player.answer(2, {"q-render": "0", "q-verb": "post"})
    player.answer(3, {"evidence": "def login(): ..."})
    attempt = _db.session.scalars(
        select(Attempt).where(Attempt.outcome == "pending_review").order_by(Attempt.id.desc())
    ).first()
    review_attempt(attempt=attempt, score=4, outcome="failed", reason="Hash it.", by=school.teacher)
    kind, words = banner(player.page(3))
    assert kind == "retry"
    assert words == "↻ Not passed yet You scored 4 of 10 points."
