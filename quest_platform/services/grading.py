"""Grading: check a student's answer to a stage and give its score, outcome and feedback.

Pure functions of a stage's settings and an answer: no database, no clock. ``parse_answer``
turns what a form or the API sent into a typed answer, refusing any shape the stage does not
ask for; ``grade_answer`` grades it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext

from quest_platform.github_links import EvidenceLink, evidence_links
from quest_platform.models import Outcome, Stage, StageKind
from quest_platform.services.errors import ServiceError

# The longest reflection or checkpoint evidence kept, in characters.
MAX_TEXT_LENGTH = 20_000
# The longest short answer to a quiz question, in characters.
MAX_SHORT_ANSWER_LENGTH = 200
LATE_POLICIES = ("zero", "half", "full")
DEFAULT_LATE_POLICY = "zero"


@dataclass(frozen=True)
class QuizAnswer:
    """Answers to a quiz's questions by question id: choice indexes, or text for short ones.

    A question left out is graded as wrong.
    """

    responses: Mapping[str, tuple[int, ...] | str]


@dataclass(frozen=True)
class LessonAnswer:
    """The student confirmed they worked through the lesson."""

    confirmed: bool = True


@dataclass(frozen=True)
class ReflectionAnswer:
    """A written reflection."""

    text: str


@dataclass(frozen=True)
class SelfCheckAnswer:
    """The indexes of the checklist items the student ticked."""

    ticked: frozenset[int]


@dataclass(frozen=True)
class CheckpointAnswer:
    """Evidence for a teacher to review: a text such as a code snippet, a screenshot, and links
    to the student's work on GitHub (github_links.py), any of them.

    The screenshot itself is kept apart (services/evidence.py); ``screenshot`` says there is one.
    """

    evidence: str
    screenshot: bool = False
    links: tuple[EvidenceLink, ...] = ()


@dataclass(frozen=True)
class CodeAnswer:
    """Code that a grader ran against a code stage's hidden tests (services/code_runs.py): the
    code, and how many of the tests it passed. Only the grader makes one: no form or request
    can say how many tests passed."""

    source: str
    passed: int
    total: int


StageAnswer = (
    QuizAnswer | LessonAnswer | ReflectionAnswer | SelfCheckAnswer | CheckpointAnswer | CodeAnswer
)


@dataclass(frozen=True)
class QuestionFeedback:
    """One quiz question as the student answered it, whether that was right, and the help given.

    ``given`` is the student's answer as they saw it (the texts of the chosen choices, or what
    they wrote; empty when left out). ``hint`` is the teacher's hint for the question.
    ``right_answers`` (the correct choices, or the accepted answers) and ``explanation`` are
    empty in feedback that must not hand over the answer (see :meth:`withheld`).
    """

    question_id: str
    prompt: str
    correct: bool
    given: tuple[str, ...]
    hint: str
    right_answers: tuple[str, ...]
    explanation: str

    def withheld(self) -> QuestionFeedback:
        """This feedback without the right answers; the explanation stays for a right answer."""
        return replace(self, right_answers=(), explanation=self.explanation if self.correct else "")


@dataclass(frozen=True)
class Grade:
    """The result of grading an answer.

    ``score`` is None only while a teacher has still to review (a checkpoint). ``perfect`` is
    true for a quiz answered entirely correctly, on time.
    """

    score: float | None
    max_score: float
    outcome: Outcome
    feedback: tuple[QuestionFeedback, ...] = ()
    perfect: bool = False


def parse_answer(
    stage: Stage,
    raw: Mapping[str, Any],
    *,
    has_screenshot: bool = False,
    code: CodeAnswer | None = None,
) -> StageAnswer:
    """Turn the submitted document ``raw`` into the typed answer ``stage`` asks for.

    ``has_screenshot`` says a checkpoint's answer comes with a screenshot, so its written
    evidence may be empty. ``code`` is a code stage's answer, as its grader ran it: a code
    stage takes no other.

    Raises ServiceError, naming the problem, for any other shape: a wrong type, an unknown
    question, a choice out of range, or a text over its limit.
    """
    if not isinstance(raw, Mapping):
        raise ServiceError(_("The answer could not be read."))
    match stage.kind:
        case StageKind.QUIZ | StageKind.TIMED:
            return parse_quiz(stage, raw.get("responses"))
        case StageKind.LESSON:
            if raw.get("confirmed") is not True:
                raise ServiceError(_("Confirm that you worked through the lesson."))
            return LessonAnswer()
        case StageKind.REFLECTION:
            text = text_field(raw.get("text"), field="text")
            minimum = (stage.settings or {}).get("min_length", 0)
            if len(text) < minimum:
                # Refused rather than recorded as failed: nothing is lost, the student writes on.
                raise ServiceError(
                    ngettext(
                        "Write at least %(num)d character; so far you have %(count)d.",
                        "Write at least %(num)d characters; so far you have %(count)d.",
                        minimum,
                        count=len(text),
                    ),
                    field="text",
                )
            return ReflectionAnswer(text)
        case StageKind.SELF_CHECK:
            items = (stage.settings or {}).get("items", [])
            ticked = indexes(raw.get("ticked"), len(items), field="ticked")
            if len(ticked) < len(items):
                raise ServiceError(
                    _("Tick every item once it is true for you; come back when it is."),
                    field="ticked",
                )
            return SelfCheckAnswer(ticked)
        case StageKind.CHECKPOINT:
            evidence = text_field(raw.get("evidence", ""), field="evidence")
            links = checkpoint_links(stage, raw.get("links", []))
            if not evidence and not has_screenshot and not links:
                raise ServiceError(_("Add your evidence before you submit."), field="evidence")
            return CheckpointAnswer(evidence, screenshot=has_screenshot, links=links)
        case StageKind.CODE if code is not None:
            return code
        case StageKind.CODE:
            raise ServiceError(
                _("Send your code with Submit on the stage: its tests decide the result.")
            )
        case _:
            raise ServiceError(_("This kind of stage cannot be answered here yet."))


def parse_quiz(stage: Stage, responses: Any) -> QuizAnswer:
    """Check a quiz's responses against its questions (see :func:`parse_answer`)."""
    if not isinstance(responses, Mapping):
        raise ServiceError(_("The answers could not be read."), field="responses")
    questions = {str(question.get("id")): question for question in stage.questions}
    parsed: dict[str, tuple[int, ...] | str] = {}
    for question_id, response in responses.items():
        question = questions.get(str(question_id))
        if question is None:
            raise ServiceError(_("There is no question %(id)s in this quiz.", id=question_id))
        kind = question.get("type")
        if kind == "short":
            text = text_field(response, field=str(question_id), limit=MAX_SHORT_ANSWER_LENGTH)
            parsed[str(question_id)] = text
            continue
        chosen = indexes(response, len(question.get("choices", [])), field=str(question_id))
        if kind == "single" and len(chosen) > 1:
            raise ServiceError(
                _("Choose one answer for question %(id)s.", id=question_id), field=str(question_id)
            )
        parsed[str(question_id)] = tuple(sorted(chosen))
    return QuizAnswer(parsed)


def checkpoint_links(stage: Stage, value: Any) -> tuple[EvidenceLink, ...]:
    """A checkpoint's evidence links (github_links.py); refused, naming the address at fault,
    unless they are links the stage asks for."""
    try:
        links = evidence_links(value)
    except ValueError as error:
        raise ServiceError(str(error), field="links") from error
    if links and "link" not in stage.evidence_kinds:
        raise ServiceError(_("This stage does not take links."), field="links")
    return links


def text_field(value: Any, *, field: str, limit: int = MAX_TEXT_LENGTH) -> str:
    """A submitted text, stripped; refused when it is not text or longer than ``limit``."""
    if not isinstance(value, str):
        raise ServiceError(_("Write your answer as text."), field=field)
    text = value.strip()
    if len(text) > limit:
        raise ServiceError(
            ngettext(
                "Keep it under %(num)d character.", "Keep it under %(num)d characters.", limit
            ),
            field=field,
        )
    return text


def indexes(value: Any, count: int, *, field: str) -> frozenset[int]:
    """Submitted choice indexes; refused unless a list of distinct whole numbers below ``count``."""
    # bool is an int in Python: True must not pass for choice 1.
    if not isinstance(value, list | tuple) or not all(
        isinstance(index, int) and not isinstance(index, bool) for index in value
    ):
        raise ServiceError(_("Choose from the listed answers."), field=field)
    if len(set(value)) != len(value) or not all(0 <= index < count for index in value):
        raise ServiceError(_("Choose from the listed answers."), field=field)
    return frozenset(value)


def normalized(text: str) -> str:
    """A short answer as it is compared: case and runs of spaces do not matter."""
    return " ".join(str(text).split()).casefold()


def is_correct(question: Mapping[str, Any], response: tuple[int, ...] | str | None) -> bool:
    """Whether ``response`` answers ``question`` correctly."""
    if response is None:
        return False
    if question.get("type") == "short":
        accepted = {normalized(answer) for answer in question.get("accepted", [])}
        return isinstance(response, str) and normalized(response) in accepted
    # Single: the one correct index; multiple: exactly the set of correct indexes.
    return isinstance(response, tuple) and set(response) == set(question.get("answer", []))


def answer_texts(
    question: Mapping[str, Any], response: tuple[int, ...] | str | None
) -> tuple[str, ...]:
    """A response as the student saw it: the chosen choices' texts, or the text written."""
    if response is None:
        return ()
    if isinstance(response, str):
        return (response,) if response else ()
    choices = question.get("choices", [])
    return tuple(str(choices[index]) for index in response if 0 <= index < len(choices))


def right_answers(question: Mapping[str, Any]) -> tuple[str, ...]:
    """The correct choices of a question, or the answers a short question accepts."""
    if question.get("type") == "short":
        return tuple(str(answer) for answer in question.get("accepted", []))
    return answer_texts(question, tuple(question.get("answer", [])))


def question_feedback(
    question: Mapping[str, Any], response: tuple[int, ...] | str | None
) -> QuestionFeedback:
    """The full feedback on one question: right answers and explanation included."""
    return QuestionFeedback(
        question_id=str(question.get("id")),
        prompt=str(question.get("prompt", "")),
        correct=is_correct(question, response),
        given=answer_texts(question, response),
        hint=str(question.get("hint", "")),
        right_answers=right_answers(question),
        explanation=str(question.get("explanation", "")),
    )


def grade_quiz(stage: Stage, answer: QuizAnswer) -> Grade:
    """Grade every question; the score is the stage's points times the share answered correctly.

    The quiz passes when that share reaches the stage's pass mark (``pass_percent``).
    """
    questions = stage.questions
    feedback = tuple(
        question_feedback(question, answer.responses.get(str(question.get("id"))))
        for question in questions
    )
    correct = sum(item.correct for item in feedback)
    share = correct / len(questions) if questions else 0.0
    # Whole numbers, so 7 of 10 meets a 70% mark exactly.
    passed = bool(questions) and correct * 100 >= stage.pass_percent * len(questions)
    return Grade(
        score=round(stage.points * share, 2),
        max_score=float(stage.points),
        outcome=Outcome.PASSED if passed else Outcome.FAILED,
        feedback=feedback,
        perfect=bool(questions) and correct == len(questions),
    )


def passed_or_failed(stage: Stage, passed: bool) -> Grade:
    """All of the stage's points for a pass, none for a fail."""
    return Grade(
        score=float(stage.points) if passed else 0.0,
        max_score=float(stage.points),
        outcome=Outcome.PASSED if passed else Outcome.FAILED,
    )


def is_late(stage: Stage, elapsed_seconds: float, *, extra_seconds: int = 0) -> bool:
    """Whether an answer to a timed stage came after its time limit and grace period.

    ``extra_seconds`` is the extra time a teacher gave this student on the stage.
    """
    if stage.kind != StageKind.TIMED or not stage.time_limit_seconds:
        return False
    return elapsed_seconds > stage.time_limit_seconds + extra_seconds + stage.grace_seconds


def late_grade(stage: Stage, grade: Grade) -> Grade:
    """A late answer's grade: outcome late, score as the stage's late policy says.

    ``zero`` scores nothing, ``half`` half of the on-time score, ``full`` the on-time score.
    """
    policy = (stage.settings or {}).get("late_policy", DEFAULT_LATE_POLICY)
    on_time = grade.score or 0.0
    score = {"zero": 0.0, "half": round(on_time / 2, 2), "full": on_time}.get(policy, 0.0)
    return Grade(
        score=score, max_score=grade.max_score, outcome=Outcome.LATE, feedback=grade.feedback
    )


def grade_answer(
    stage: Stage, answer: StageAnswer, *, elapsed_seconds: float = 0.0, extra_seconds: int = 0
) -> Grade:
    """Grade ``answer`` (from :func:`parse_answer`) to ``stage``, given the seconds it took.

    Lessons pass when confirmed, reflections when at least the stage's ``min_length`` long,
    self-checks when every item is ticked; checkpoints wait for a teacher, unscored. A timed
    stage answered after its limit plus grace is late (see :func:`late_grade`).
    """
    settings = stage.settings or {}
    match answer:
        case QuizAnswer():
            grade = grade_quiz(stage, answer)
            late = is_late(stage, elapsed_seconds, extra_seconds=extra_seconds)
            return late_grade(stage, grade) if late else grade
        case LessonAnswer():
            return passed_or_failed(stage, answer.confirmed)
        case ReflectionAnswer():
            return passed_or_failed(stage, len(answer.text) >= settings.get("min_length", 0))
        case SelfCheckAnswer():
            items = settings.get("items", [])
            return passed_or_failed(stage, answer.ticked == frozenset(range(len(items))))
        case CheckpointAnswer():
            return Grade(score=None, max_score=float(stage.points), outcome=Outcome.PENDING_REVIEW)
        case CodeAnswer():
            return grade_code(stage, answer)
    raise ServiceError(_("The answer could not be read."))


def grade_code(stage: Stage, answer: CodeAnswer) -> Grade:
    """A share of the points for each hidden test passed; a pass when every one passes."""
    share = answer.passed / answer.total if answer.total else 0.0
    passed = answer.total > 0 and answer.passed == answer.total
    return Grade(
        score=round(stage.points * share, 2),
        max_score=float(stage.points),
        outcome=Outcome.PASSED if passed else Outcome.FAILED,
    )


def feedback_of(
    stage: Stage, document: Mapping[str, Any], *, reveal: bool
) -> tuple[QuestionFeedback, ...]:
    """Per-question feedback on a recorded quiz answer, as it grades against the stage today.

    Without ``reveal`` (while the student has tries left, or when the stage never shows its
    answers) the feedback holds no right answer: a student must not copy it into the next try.
    """
    if not stage.is_quiz:
        return ()
    try:
        answer = parse_quiz(stage, document.get("responses", {}))
    except ServiceError:
        return ()
    feedback = grade_quiz(stage, answer).feedback
    return feedback if reveal else tuple(item.withheld() for item in feedback)


def right_responses(stage: Stage, document: Mapping[str, Any]) -> dict[str, tuple[int, ...] | str]:
    """The responses of a recorded quiz answer that were right, by question id.

    A retry starts from these, so the student works on what they got wrong.
    """
    if not stage.is_quiz:
        return {}
    try:
        answer = parse_quiz(stage, document.get("responses", {}))
    except ServiceError:
        return {}
    return {
        str(question.get("id")): response
        for question in stage.questions
        if (response := answer.responses.get(str(question.get("id")))) is not None
        and is_correct(question, response)
    }


def answer_document(answer: StageAnswer) -> dict[str, Any]:
    """The answer as it is stored on the attempt (JSON)."""
    match answer:
        case QuizAnswer():
            return {
                "responses": {
                    question_id: response if isinstance(response, str) else list(response)
                    for question_id, response in answer.responses.items()
                }
            }
        case LessonAnswer():
            return {"confirmed": answer.confirmed}
        case ReflectionAnswer():
            return {"text": answer.text}
        case SelfCheckAnswer():
            return {"ticked": sorted(answer.ticked)}
        case CheckpointAnswer():
            document: dict[str, Any] = {
                "evidence": answer.evidence,
                "screenshot": answer.screenshot,
            }
            if answer.links:
                document["links"] = [link.document() for link in answer.links]
            return document
        case CodeAnswer():
            return {
                "code": answer.source,
                "tests_passed": answer.passed,
                "tests_total": answer.total,
            }
    raise ServiceError(_("The answer could not be read."))
