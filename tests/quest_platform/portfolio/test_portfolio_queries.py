"""The portfolio's read side: each section of a student's portfolio, reviews as their authors
see them (anonymity kept, hidden ones left out, no names in public), nothing of another
student's, a fixed number of queries, and the links and screenshots a shared page may open."""

from __future__ import annotations

from conftest import PULL_REQUEST, REFLECTION
from sqlalchemy import event

from quest_platform.extensions import db
from quest_platform.queries.portfolios import (
    portfolio_of,
    portfolio_screenshot,
    student_for_link,
    working_link,
)
from quest_platform.services.portfolios import revoke_portfolio_link, share_portfolio


def statements_during(call) -> list[str]:
    statements: list[str] = []

    def note(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        call()
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    return statements


def test_the_latest_reflection_with_its_quest_and_stage(work) -> None:
    portfolio = portfolio_of(student=work.student)
    assert portfolio.student_name == 'Ana: "The Coder"'
    [quest] = portfolio.quests
    assert (quest.quest_id, quest.title) == (work.quest.id, work.quest.title)
    [reflection] = quest.reflections
    assert reflection.text == REFLECTION
    assert reflection.stage_title == "What did you learn"
    assert reflection.prompt == "What surprised you?"
    assert reflection.submitted_at == work.reflection.submitted_at


def test_the_checkpoint_with_its_evidence_screenshot_and_teachers_review(work) -> None:
    [checkpoint] = portfolio_of(student=work.student).quests[0].checkpoints
    assert checkpoint.stage_title == "Show your login"
    assert checkpoint.text == "def login(): return check(password)"
    assert checkpoint.links == [PULL_REQUEST]
    assert checkpoint.screenshot is not None
    assert checkpoint.screenshot.evidence_id == work.screenshot.id
    assert checkpoint.screenshot.alt_text == "The login form with an error in red"
    assert (checkpoint.screenshot.width, checkpoint.screenshot.height) == (4, 3)
    assert (checkpoint.outcome, checkpoint.feedback) == ("passed", "Clear evidence.")
    assert checkpoint.reviewed_at is not None


def test_a_checkpoint_not_reviewed_yet_awaits_review(make, work) -> None:
    make.attempt(student=work.student, quest=work.quest, answer={"evidence": "Second try"})
    [checkpoint] = portfolio_of(student=work.student).quests[0].checkpoints
    assert (checkpoint.text, checkpoint.outcome, checkpoint.feedback) == (
        "Second try",
        "pending_review",
        "",
    )
    assert checkpoint.screenshot is None
    assert checkpoint.peer_reviews == []


def test_links_off_github_are_never_shown(make, work) -> None:
    make.attempt(
        student=work.student,
        quest=work.quest,
        answer={"evidence": "x", "links": [{"url": "javascript:alert(1)"}, "junk", PULL_REQUEST]},
    )
    [checkpoint] = portfolio_of(student=work.student).quests[0].checkpoints
    assert checkpoint.links == [PULL_REQUEST]


def test_peer_reviews_keep_the_stages_anonymity_and_leave_hidden_ones_out(work) -> None:
    [checkpoint] = portfolio_of(student=work.student).quests[0].checkpoints
    shown = {review.review.id: review for review in checkpoint.peer_reviews}
    assert set(shown) == {work.kept_review.id, work.teacher_review.id}
    assert shown[work.kept_review.id].reviewer_name is None
    assert shown[work.teacher_review.id].reviewer_name == work.teacher.display_name
    assert [row.criterion for row in shown[work.kept_review.id].rows] == [
        "Hashes passwords",
        "Explains the route",
    ]


def test_a_named_stage_names_peers_on_the_own_page_but_never_in_public(work) -> None:
    stage = work.quest.stages[2]
    stage.settings = {**stage.settings, "peer_review_anonymous": False}
    db.session.commit()
    [own] = portfolio_of(student=work.student).quests[0].checkpoints
    names = {review.review.id: review.reviewer_name for review in own.peer_reviews}
    assert names[work.kept_review.id] == work.classmate.display_name
    [public] = portfolio_of(student=work.student, public=True).quests[0].checkpoints
    assert {review.reviewer_name for review in public.peer_reviews} == {None}
    assert work.unkind.display_name not in str(own.peer_reviews)


def test_only_earned_badges_are_listed(work) -> None:
    badges = portfolio_of(student=work.student).achievements
    assert "five-day-streak" in {badge.code for badge in badges}
    assert all(badge.earned for badge in badges)


def test_another_students_work_is_never_included(work) -> None:
    portfolio = portfolio_of(student=work.student)
    text = repr(portfolio)
    assert "Not the student's reflection." not in text
    assert "Someone else's screen" not in text
    assert [quest.quest_id for quest in portfolio.quests] == [work.quest.id]
    other = portfolio_of(student=work.other_student)
    assert REFLECTION not in repr(other)
    assert other.achievements == []


def test_a_student_without_work_has_an_empty_portfolio(make) -> None:
    portfolio = portfolio_of(student=make.student())
    assert portfolio.is_empty
    assert portfolio.quests == []


def test_a_portfolio_is_read_in_a_fixed_number_of_queries(make, work) -> None:
    def reads() -> list[str]:
        db.session.expire_all()
        student = db.session.get(type(work.student), work.student.id)
        assert student.display_name
        return statements_during(lambda: portfolio_of(student=student))

    before = reads()
    # Three more quests with a reflection and a checkpoint each.
    for _ in range(3):
        quest = make.quest()
        make.assignment(quest=quest, classroom=work.classroom, by=work.teacher)
        make.attempt(
            student=work.student,
            quest=quest,
            position=4,
            outcome="passed",
            score=10.0,
            answer={"text": "More thoughts."},
        )
        make.attempt(student=work.student, quest=quest)
    after = reads()
    # The work, the peer reviews (their reviewers' roles come in one more), the badges.
    assert len(after) == len(before) <= 4, [statement[:80] for statement in after]
    assert len(portfolio_of(student=work.student).quests) == 4


def test_a_link_opens_its_students_portfolio_until_revoked(work) -> None:
    assert working_link(student=work.student) is None
    token = share_portfolio(student=work.student)
    assert student_for_link(token) == work.student
    assert working_link(student=work.student).prefix == token[:8]
    assert student_for_link(token + "x") is None
    assert student_for_link("") is None
    assert student_for_link("a" * 500) is None
    revoke_portfolio_link(student=work.student)
    assert student_for_link(token) is None
    assert working_link(student=work.student) is None


def test_a_deactivated_students_link_opens_nothing(work) -> None:
    token = share_portfolio(student=work.student)
    work.student.active = False
    db.session.commit()
    assert student_for_link(token) is None


def test_a_shared_page_opens_only_its_students_screenshots(work) -> None:
    found = portfolio_screenshot(student=work.student, evidence_id=work.screenshot.id)
    assert found == work.screenshot
    assert portfolio_screenshot(student=work.student, evidence_id=work.other_screenshot.id) is None
    assert portfolio_screenshot(student=work.other_student, evidence_id=work.screenshot.id) is None
    assert portfolio_screenshot(student=work.student, evidence_id=999_999) is None
