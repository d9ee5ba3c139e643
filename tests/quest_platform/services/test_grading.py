"""Grading: every stage kind is graded on the server, and answers of the wrong shape are refused."""

from __future__ import annotations

from typing import Any

import pytest

from quest_platform.models import Outcome, Stage, StageKind
from quest_platform.services.errors import ServiceError
from quest_platform.services.grading import (
    MAX_SHORT_ANSWER_LENGTH,
    MAX_TEXT_LENGTH,
    CheckpointAnswer,
    CodeAnswer,
    LessonAnswer,
    QuizAnswer,
    ReflectionAnswer,
    SelfCheckAnswer,
    answer_document,
    feedback_of,
    grade_answer,
    parse_answer,
    right_responses,
)

# Pure functions: the database engine plays no part, so the PostgreSQL run leaves them out.
pytestmark = pytest.mark.engine_independent

QUESTIONS = [
    {
        "id": "q1",
        "type": "single",
        "prompt": "Which constraint stops negative stock?",
        "choices": ["UNIQUE", "CHECK", "PRIMARY KEY"],
        "answer": [1],
        "explanation": "CHECK rejects negative quantities.",
    },
    {
        "id": "q2",
        "type": "multiple",
        "prompt": "Which are true of transactions?",
        "choices": ["All or nothing", "Rollback undoes", "Hash passwords"],
        "answer": [0, 1],
        "explanation": "Transactions protect integrity.",
    },
    {
        "id": "q3",
        "type": "short",
        "prompt": "Which two words link tables?",
        "accepted": ["foreign key"],
        "explanation": "A FOREIGN KEY links rows.",
    },
]
ALL_RIGHT = {"q1": [1], "q2": [1, 0], "q3": "  Foreign   KEY "}


def stage(kind: StageKind, settings: dict[str, Any], **values: Any) -> Stage:
    return Stage(kind=kind.value, title="A stage", settings=settings, points=20, **values)


def quiz(**settings: Any) -> Stage:
    return stage(StageKind.QUIZ, {"questions": QUESTIONS, **settings})


def timed(**settings: Any) -> Stage:
    return stage(StageKind.TIMED, {"questions": QUESTIONS, **settings}, time_limit_seconds=60)


def grade(on: Stage, raw: dict[str, Any], elapsed: float = 0.0):
    return grade_answer(on, parse_answer(on, raw), elapsed_seconds=elapsed)


def test_a_quiz_answered_correctly_scores_all_points_with_feedback_per_question() -> None:
    result = grade(quiz(), {"responses": ALL_RIGHT})

    assert (result.score, result.max_score, result.outcome) == (20.0, 20.0, Outcome.PASSED)
    assert result.perfect
    assert [(item.question_id, item.correct) for item in result.feedback] == [
        ("q1", True),
        ("q2", True),
        ("q3", True),
    ]
    assert result.feedback[0].explanation == "CHECK rejects negative quantities."


def test_a_quiz_scores_the_share_of_questions_answered_correctly() -> None:
    # q2 misses a correct choice (a multiple needs the exact set); q3 is left out.
    result = grade(quiz(), {"responses": {"q1": [1], "q2": [0]}})

    assert result.score == pytest.approx(20 / 3, abs=0.01)
    assert result.outcome == Outcome.FAILED
    assert not result.perfect
    assert [item.correct for item in result.feedback] == [True, False, False]


def test_a_quiz_passes_at_seventy_percent() -> None:
    questions = [
        {"id": f"q{n}", "type": "single", "prompt": "?", "choices": ["a", "b"], "answer": [0]}
        for n in range(10)
    ]
    seven = {f"q{n}": [0 if n < 7 else 1] for n in range(10)}
    six = {f"q{n}": [0 if n < 6 else 1] for n in range(10)}
    on = stage(StageKind.QUIZ, {"questions": questions})

    assert grade(on, {"responses": seven}).outcome == Outcome.PASSED
    assert grade(on, {"responses": six}).outcome == Outcome.FAILED


@pytest.mark.parametrize(
    ("percent", "passes_with"),
    [(50, 5), (80, 8), (100, 10), (None, 7), (0, 7), ("70", 7), (True, 7)],
    ids=["50", "80", "100", "unset-is-70", "zero-is-70", "text-is-70", "bool-is-70"],
)
def test_the_pass_mark_is_a_setting_of_the_stage(percent: Any, passes_with: int) -> None:
    questions = [
        {"id": f"q{n}", "type": "single", "prompt": "?", "choices": ["a", "b"], "answer": [0]}
        for n in range(10)
    ]
    settings: dict[str, Any] = {"questions": questions}
    if percent is not None:
        settings["pass_percent"] = percent
    on = stage(StageKind.QUIZ, settings)

    def right(count: int) -> dict[str, Any]:
        return {"responses": {f"q{n}": [0 if n < count else 1] for n in range(10)}}

    assert grade(on, right(passes_with)).outcome == Outcome.PASSED
    assert grade(on, right(passes_with - 1)).outcome == Outcome.FAILED
    assert on.pass_score == passes_with * 2  # 20 points


def test_feedback_shows_the_students_answers_and_withholds_the_right_ones() -> None:
    # q1 wrong (chose UNIQUE), q2 right, q3 left out.
    document = {"responses": {"q1": [0], "q2": [0, 1]}}
    on = quiz()
    on.settings["questions"][0] = {**QUESTIONS[0], "hint": "Which one checks a value?"}

    hidden = feedback_of(on, document, reveal=False)
    shown = feedback_of(on, document, reveal=True)

    assert [item.given for item in hidden] == [
        ("UNIQUE",),
        ("All or nothing", "Rollback undoes"),
        (),
    ]
    assert [item.correct for item in hidden] == [False, True, False]
    assert all(item.right_answers == () for item in hidden)
    # No explanation for a wrong answer while the answers are withheld: it may give it away.
    assert [item.explanation for item in hidden] == ["", "Transactions protect integrity.", ""]
    assert hidden[0].hint == "Which one checks a value?"
    assert [item.right_answers for item in shown] == [
        ("CHECK",),
        ("All or nothing", "Rollback undoes"),
        ("foreign key",),
    ]
    assert shown[0].explanation == "CHECK rejects negative quantities."


def test_a_retry_keeps_only_the_responses_that_were_right() -> None:
    document = {"responses": {"q1": [0], "q2": [1, 0], "q3": "Foreign Key"}}

    assert right_responses(quiz(), document) == {"q2": (0, 1), "q3": "Foreign Key"}
    assert right_responses(quiz(), {"responses": {"q9": [0]}}) == {}


def test_a_short_answer_must_match_an_accepted_answer() -> None:
    result = grade(quiz(), {"responses": {"q3": "foreign keys"}})

    assert not result.feedback[2].correct


@pytest.mark.parametrize(
    ("responses", "message"),
    [
        (None, "could not be read"),
        (["q1"], "could not be read"),
        ({"q9": [0]}, "no question q9"),
        ({"q1": [3]}, "Choose from the listed answers"),
        ({"q1": [-1]}, "Choose from the listed answers"),
        ({"q1": 1}, "Choose from the listed answers"),
        ({"q1": [True]}, "Choose from the listed answers"),
        ({"q1": ["1"]}, "Choose from the listed answers"),
        ({"q2": [0, 0]}, "Choose from the listed answers"),
        ({"q1": [0, 1]}, "Choose one answer"),
        ({"q3": 42}, "as text"),
        ({"q3": "x" * (MAX_SHORT_ANSWER_LENGTH + 1)}, "under 200 characters"),
    ],
)
def test_a_quiz_answer_of_the_wrong_shape_is_refused(responses: Any, message: str) -> None:
    with pytest.raises(ServiceError, match=message):
        parse_answer(quiz(), {"responses": responses})


def test_a_timed_quiz_on_time_or_within_grace_is_graded_normally() -> None:
    on = timed(grace_seconds=10)

    assert grade(on, {"responses": ALL_RIGHT}, elapsed=70).outcome == Outcome.PASSED


@pytest.mark.parametrize(
    ("policy", "score"), [("zero", 0.0), ("half", 10.0), ("full", 20.0), (None, 0.0)]
)
def test_a_late_timed_quiz_is_late_and_scores_as_its_policy_says(
    policy: str | None, score: float
) -> None:
    settings = {"grace_seconds": 10} | ({"late_policy": policy} if policy else {})
    result = grade(timed(**settings), {"responses": ALL_RIGHT}, elapsed=70.5)

    assert (result.outcome, result.score) == (Outcome.LATE, score)
    assert not result.perfect
    assert all(item.correct for item in result.feedback)


def test_a_timed_quiz_without_grace_setting_allows_five_seconds() -> None:
    on = timed()

    assert grade(on, {"responses": ALL_RIGHT}, elapsed=65).outcome == Outcome.PASSED
    assert grade(on, {"responses": ALL_RIGHT}, elapsed=65.1).outcome == Outcome.LATE


def test_a_lesson_passes_when_confirmed() -> None:
    on = stage(StageKind.LESSON, {})

    result = grade(on, {"confirmed": True})

    assert (result.score, result.outcome) == (20.0, Outcome.PASSED)
    for raw in ({}, {"confirmed": False}, {"confirmed": "yes"}):
        with pytest.raises(ServiceError, match="Confirm"):
            parse_answer(on, raw)


def test_a_reflection_passes_at_its_minimum_length() -> None:
    on = stage(StageKind.REFLECTION, {"prompt": "Why?", "min_length": 10})

    assert grade(on, {"text": "  0123456789  "}).outcome == Outcome.PASSED
    # Too short is refused, not recorded as failed: the student writes on.
    with pytest.raises(ServiceError, match="at least 10 characters; so far you have 9") as refused:
        parse_answer(on, {"text": "012345678"})
    assert refused.value.field == "text"


@pytest.mark.parametrize(
    ("raw", "message"),
    [({}, "as text"), ({"text": ["a"]}, "as text"), ({"text": "x" * 20_001}, "under 20000")],
)
def test_a_reflection_that_is_not_text_or_too_long_is_refused(raw: Any, message: str) -> None:
    assert MAX_TEXT_LENGTH == 20_000
    with pytest.raises(ServiceError, match=message):
        parse_answer(stage(StageKind.REFLECTION, {"prompt": "Why?"}), raw)


def test_a_self_check_passes_when_every_item_is_ticked() -> None:
    on = stage(StageKind.SELF_CHECK, {"items": ["Tested", "Reviewed", "Shipped"]})

    assert grade(on, {"ticked": [2, 0, 1]}).outcome == Outcome.PASSED
    with pytest.raises(ServiceError, match="Tick every item") as refused:
        parse_answer(on, {"ticked": [0, 1]})
    assert refused.value.field == "ticked"
    for ticked in ([3], [0, 0], "all", None):
        with pytest.raises(ServiceError, match="listed answers"):
            parse_answer(on, {"ticked": ticked})


def test_a_checkpoint_waits_for_review_without_a_score() -> None:
    on = stage(StageKind.CHECKPOINT, {"prompt": "Show it.", "rubric": ["Works"]})

    result = grade(on, {"evidence": "def login(): ..."})

    assert (result.score, result.max_score, result.outcome) == (None, 20.0, Outcome.PENDING_REVIEW)
    with pytest.raises(ServiceError, match="Add your evidence"):
        parse_answer(on, {"evidence": "   "})


def test_a_code_stage_takes_only_the_answer_its_grader_ran() -> None:
    code_stage = stage(StageKind.CODE, {"prompt": "Fix it."})
    with pytest.raises(ServiceError, match="Submit on the stage"):
        parse_answer(code_stage, {"code": "pass", "tests_passed": 3, "tests_total": 3})
    graded = CodeAnswer(source="pass", passed=2, total=3)
    assert parse_answer(code_stage, {}, code=graded) == graded


@pytest.mark.parametrize(
    ("passed", "total", "score", "outcome"),
    [(3, 3, 20.0, Outcome.PASSED), (2, 3, 13.33, Outcome.FAILED), (0, 3, 0.0, Outcome.FAILED)],
)
def test_code_scores_a_share_of_the_points_per_hidden_test(passed, total, score, outcome) -> None:
    code_stage = stage(StageKind.CODE, {"prompt": "Fix it."})
    grade = grade_answer(code_stage, CodeAnswer(source="pass", passed=passed, total=total))
    assert (grade.score, grade.max_score, grade.outcome) == (score, 20.0, outcome)
    assert not grade.perfect  # a badge for perfect quizzes is not for code


def test_an_answer_that_is_not_a_document_is_refused() -> None:
    with pytest.raises(ServiceError, match="could not be read"):
        parse_answer(quiz(), ["q1"])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("answer", "document"),
    [
        (QuizAnswer({"q1": (1,), "q3": "fk"}), {"responses": {"q1": [1], "q3": "fk"}}),
        (LessonAnswer(), {"confirmed": True}),
        (ReflectionAnswer("Why"), {"text": "Why"}),
        (SelfCheckAnswer(frozenset({1, 0})), {"ticked": [0, 1]}),
        (CheckpointAnswer("code"), {"evidence": "code", "screenshot": False}),
    ],
)
def test_answers_are_stored_as_plain_documents(answer: Any, document: dict[str, Any]) -> None:
    assert answer_document(answer) == document
