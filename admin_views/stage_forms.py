"""The stage editor's forms: the fields each kind of stage needs, read into a StageDraft.

Every kind shares a title, points and Markdown text; each adds its own fields (quiz questions
with their choices and correct answers, a checkpoint's prompt and rubric, a reflection's prompt
and minimum length, a self-check's items, a timed stage's time limit). Forms are plain HTML, so
lists are edited as one line per item and a quiz always offers one empty question to add.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from quest_platform.code_challenges import (
    DEFAULT_MEMORY_MB,
    DEFAULT_OUTPUT_KB,
    DEFAULT_SECONDS_PER_TEST,
    MAX_SECONDS_PER_TEST,
    MAX_SOURCE_LENGTH,
    MEMORY_MB_RANGE,
    OUTPUT_KB_RANGE,
    TestsError,
    parse_tests,
)
from quest_platform.models import (
    DEFAULT_GRACE_SECONDS,
    DEFAULT_PASS_PERCENT,
    DEFAULT_PEER_REVIEW_DAYS,
    DEFAULT_REFLECTION_LENGTH,
    MAX_PEER_REVIEWS,
    MAX_RUBRIC_LEVELS,
    MIN_RUBRIC_LEVELS,
    RevealAnswers,
    Stage,
    StageKind,
)
from quest_platform.services.quests import StageDraft

MAX_QUESTIONS = 20
MAX_CHOICES = 10
# Choice fields a question shows at least, so a new question has room for its choices.
MIN_CHOICE_FIELDS = 4
MAX_LINES = 30

QUESTION_TYPES = [
    SelectChoice("single", _l("One correct choice")),
    SelectChoice("multiple", _l("Several correct choices")),
    SelectChoice("short", _l("Short answer")),
]
SCORE_POLICIES = [
    SelectChoice("best", _l("The best try counts")),
    SelectChoice("latest", _l("The latest try counts")),
]
LATE_POLICIES = [
    SelectChoice("zero", _l("Late answers score zero")),
    SelectChoice("half", _l("Late answers score half")),
    SelectChoice("full", _l("Late answers score in full (recorded as late)")),
]
REVEAL_CHOICES = [
    SelectChoice(
        RevealAnswers.FINISHED.value,
        _l("After a pass or the last try (the quiz then closes)"),
    ),
    SelectChoice(
        RevealAnswers.NEVER.value,
        _l("Never (a passed quiz stays open, to better the score)"),
    ),
]
EVIDENCE_CHOICES = [
    SelectChoice("code", _l("A code snippet")),
    SelectChoice("screenshot", _l("A screenshot (with alternative text)")),
    SelectChoice("link", _l("Links to GitHub: pull requests, commits or issues")),
]


def lines_of(text: str | None) -> list[str]:
    """The non-empty lines of a text area, trimmed."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class MultilineField(TextAreaField):
    """A text area whose lines end in ``\\n`` as stored, though browsers send ``\\r\\n``.

    Without this, saving a stage unchanged would still change its text and settings.
    """

    data: str | None

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        if isinstance(self.data, str):
            self.data = self.data.replace("\r\n", "\n")


class CheckboxListField(SelectMultipleField):
    """Several choices as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class QuestionForm(Form):
    """One quiz question: its choices with the correct ones ticked, or its accepted answers."""

    question_id = HiddenField()
    type = SelectField(_l("Question type"), choices=QUESTION_TYPES, default="single")
    prompt = MultilineField(
        _l("Question"),
        validators=[Optional(), Length(max=2000)],
        description=_l("Leave the question empty to remove it."),
        render_kw={"rows": 2},
    )
    choices = FieldList(
        StringField(_l("Choice"), validators=[Optional(), Length(max=500)]),
        _l("Choices"),
        min_entries=MIN_CHOICE_FIELDS,
        max_entries=MAX_CHOICES,
    )
    # The numbers of the choice fields ticked as correct (their place in ``choices``).
    correct = SelectMultipleField(
        _l("Correct choices"), choices=[str(i) for i in range(MAX_CHOICES)], validate_choice=False
    )
    accepted = MultilineField(
        _l("Accepted answers"),
        validators=[Length(max=4000)],
        description=_l(
            "For a short answer: one accepted answer per line. Case and extra spaces do not matter."
        ),
        render_kw={"rows": 3},
    )
    hint = MultilineField(
        _l("Hint after a wrong answer"),
        validators=[Optional(), Length(max=2000)],
        description=_l("Shown while the student has tries left: help without giving the answer."),
        render_kw={"rows": 2},
    )
    explanation = MultilineField(
        _l("Explanation shown with the right answer"),
        validators=[Optional(), Length(max=2000)],
        render_kw={"rows": 2},
    )

    def is_blank(self) -> bool:
        return not (self.prompt.data or "").strip()

    def written_choices(self) -> list[tuple[str, bool]]:
        """The choices written in, in order, each with whether it is ticked as correct."""
        ticked = set(self.correct.data or [])
        written = []
        for entry in self.choices:
            # An entry keeps the number of its field, also when the page's script added it.
            number = entry.name.rsplit("-", 1)[-1]
            text = (entry.data or "").strip()
            if text:
                written.append((text, number in ticked))
        return written

    def to_question(self) -> dict[str, Any]:
        """The question as stored in the stage settings."""
        question: dict[str, Any] = {
            "id": self.question_id.data,
            "type": self.type.data,
            "prompt": (self.prompt.data or "").strip(),
        }
        if self.type.data == "short":
            question["accepted"] = lines_of(self.accepted.data)
        else:
            choices = self.written_choices()
            question["choices"] = [text for text, _correct in choices]
            question["answer"] = [i for i, (_text, correct) in enumerate(choices) if correct]
        for name in ("hint", "explanation"):
            text = (self[name].data or "").strip()
            if text:
                question[name] = text
        return question

    def check(self, number: int) -> bool:
        """Put what is wrong with this question on its field; True if nothing."""
        question = self.to_question()
        message, field = None, self.correct
        if question["type"] == "short":
            if not question["accepted"]:
                message, field = _("List at least one accepted answer."), self.accepted
        elif len(question["choices"]) < 2:
            message = _("Give at least two choices.")
        elif not question["answer"]:
            message = _("Tick the correct choice.")
        elif question["type"] == "single" and len(question["answer"]) != 1:
            message = _("Tick exactly one correct choice, or make it a several-choice question.")
        if message:
            # The entry's errors were gathered already; add to the same list they show.
            field.errors = [*field.errors, message]
        return message is None

    @classmethod
    def data_of(cls, question: dict[str, Any]) -> dict[str, Any]:
        """A stored question as this form's data."""
        choices = [str(choice) for choice in question.get("choices", [])]
        # One empty choice field to add a choice in, and room for a new question's choices.
        blanks = max(1, MIN_CHOICE_FIELDS - len(choices))
        return {
            "question_id": question.get("id", ""),
            "type": question.get("type", "single"),
            "prompt": question.get("prompt", ""),
            "choices": [*choices, *[""] * blanks][:MAX_CHOICES],
            "correct": [str(i) for i in question.get("answer", [])],
            "accepted": "\n".join(question.get("accepted", [])),
            "hint": question.get("hint", ""),
            "explanation": question.get("explanation", ""),
        }


class StageForm(FlaskForm):
    """What every stage has: a title, points and Markdown text."""

    kind: StageKind
    # Settings each kind keeps that this form does not edit survive a save.
    edited_settings: frozenset[str] = frozenset()
    content_label = _l("Introduction")

    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=120)])
    points = IntegerField(
        _l("Points"), default=10, validators=[InputRequired(), NumberRange(min=0, max=1000)]
    )
    content = MultilineField(
        _l("Text"),
        validators=[Optional(), Length(max=50_000)],
        description=_l(
            "Markdown: ### for headings, - for lists, ``` for code blocks, "
            "![description](address) for images (the description is required)."
        ),
        render_kw={"rows": 8},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.content.label.text = str(self.content_label)

    def settings(self) -> dict[str, Any]:
        """The kind's settings from the form."""
        return {}

    def time_limit(self) -> int | None:
        return None

    def to_draft(self, previous: dict[str, Any] | None = None) -> StageDraft:
        """The stage as the form describes it, keeping settings the form does not edit."""
        kept = {k: v for k, v in (previous or {}).items() if k not in self.edited_settings}
        return StageDraft(
            kind=self.kind.value,
            title=(self.title.data or "").strip(),
            content=self.content.data or "",
            points=self.points.data if self.points.data is not None else 0,
            settings={**kept, **self.settings()},
            time_limit_seconds=self.time_limit(),
        )

    @classmethod
    def data_of(cls, stage: Stage) -> dict[str, Any]:
        """A stored stage as this form's data."""
        return {"title": stage.title, "points": stage.points, "content": stage.content}


class LessonForm(StageForm):
    kind = StageKind.LESSON
    content_label = _l("Lesson text")
    edited_settings = frozenset({"estimated_minutes"})

    estimated_minutes = IntegerField(
        _l("Minutes it takes (about)"), validators=[Optional(), NumberRange(min=1, max=240)]
    )

    def settings(self) -> dict[str, Any]:
        minutes = self.estimated_minutes.data
        return {"estimated_minutes": minutes} if minutes else {}

    @classmethod
    def data_of(cls, stage: Stage) -> dict[str, Any]:
        return {
            **super().data_of(stage),
            "estimated_minutes": (stage.settings or {}).get("estimated_minutes"),
        }


class QuizForm(StageForm):
    kind = StageKind.QUIZ
    # Question ids of the stage before this save; set by to_draft.
    retired_ids: frozenset[str] | set[str] = frozenset()
    edited_settings = frozenset(
        {"questions", "max_tries", "score_policy", "pass_percent", "reveal_answers"}
    )

    questions = FieldList(
        FormField(QuestionForm), _l("Questions"), min_entries=1, max_entries=MAX_QUESTIONS
    )
    max_tries = IntegerField(
        _l("Tries allowed"), default=3, validators=[InputRequired(), NumberRange(min=1, max=20)]
    )
    score_policy = SelectField(_l("Which try counts"), choices=SCORE_POLICIES, default="best")
    pass_percent = IntegerField(
        _l("Pass mark, in percent of the questions"),
        default=DEFAULT_PASS_PERCENT,
        description=_l(
            "Students pass with at least this share of right answers; before they start, they "
            "see it in points (on a 10-point quiz, 70 is 7 of 10 points)."
        ),
        validators=[InputRequired(), NumberRange(min=1, max=100)],
    )
    reveal_answers = SelectField(
        _l("When students see the right answers"),
        choices=REVEAL_CHOICES,
        default=RevealAnswers.FINISHED.value,
        description=_l(
            "While they have tries left, students see which answers were wrong and your hints, "
            "never the right answers."
        ),
    )

    def kept_questions(self) -> list[QuestionForm]:
        return [entry.form for entry in self.questions if not entry.form.is_blank()]

    def validate_questions(self, field: FieldList) -> None:
        kept = self.kept_questions()
        checks = [question.check(number) for number, question in enumerate(kept, start=1)]
        if not kept:
            raise ValidationError(_("Write at least one question."))
        if not all(checks):
            raise ValidationError(_("Some questions need fixing: see the messages below them."))

    def to_draft(self, previous: dict[str, Any] | None = None) -> StageDraft:
        # Ids of removed questions are not given to new ones: recorded answers name them.
        self.retired_ids = {str(q.get("id")) for q in (previous or {}).get("questions", [])}
        return super().to_draft(previous)

    def settings(self) -> dict[str, Any]:
        kept = self.kept_questions()
        used = {question.question_id.data for question in kept} | self.retired_ids
        seen: set[str] = set()
        questions = []
        for number, form in enumerate(kept, start=1):
            question = form.to_question()
            if not question["id"] or question["id"] in seen:
                # A new question gets the first free id, so ids stay stable across edits.
                question["id"] = next(f"q{n}" for n in range(number, 1000) if f"q{n}" not in used)
                used.add(question["id"])
            seen.add(question["id"])
            questions.append(question)
        return {
            "questions": questions,
            "max_tries": self.max_tries.data,
            "score_policy": self.score_policy.data,
            "pass_percent": self.pass_percent.data,
            "reveal_answers": self.reveal_answers.data,
        }

    @classmethod
    def data_of(cls, stage: Stage) -> dict[str, Any]:
        settings = stage.settings or {}
        questions = [QuestionForm.data_of(q) for q in settings.get("questions", [])]
        return {
            **super().data_of(stage),
            # One empty question at the end is how a new question is added without a script.
            "questions": [*questions, {}][:MAX_QUESTIONS],
            "max_tries": settings.get("max_tries", 3),
            "score_policy": settings.get("score_policy", "best"),
            "pass_percent": stage.pass_percent,
            "reveal_answers": settings.get("reveal_answers", RevealAnswers.FINISHED.value),
        }


class TimedForm(QuizForm):
    kind = StageKind.TIMED
    edited_settings = QuizForm.edited_settings | {"grace_seconds", "late_policy"}

    time_limit_seconds = IntegerField(
        _l("Time limit in seconds"),
        default=300,
        validators=[InputRequired(), NumberRange(min=10, max=7200)],
    )
    grace_seconds = IntegerField(
        _l("Grace period in seconds"),
        default=DEFAULT_GRACE_SECONDS,
        description=_l("Answers this long after the limit still count as on time."),
        validators=[InputRequired(), NumberRange(min=0, max=300)],
    )
    late_policy = SelectField(_l("Late answers"), choices=LATE_POLICIES, default="zero")

    def settings(self) -> dict[str, Any]:
        return {
            **super().settings(),
            "grace_seconds": self.grace_seconds.data,
            "late_policy": self.late_policy.data,
        }

    def time_limit(self) -> int | None:
        return self.time_limit_seconds.data

    @classmethod
    def data_of(cls, stage: Stage) -> dict[str, Any]:
        settings = stage.settings or {}
        return {
            **super().data_of(stage),
            "time_limit_seconds": stage.time_limit_seconds,
            "grace_seconds": stage.grace_seconds,
            "late_policy": settings.get("late_policy", "zero"),
        }


class PromptedForm(StageForm):
    """A stage that asks students one question in a prompt."""

    prompt = MultilineField(
        _l("Prompt"), validators=[DataRequired(), Length(max=4000)], render_kw={"rows": 4}
    )

    def settings(self) -> dict[str, Any]:
        return {"prompt": (self.prompt.data or "").strip()}

    @classmethod
    def data_of(cls, stage: Stage) -> dict[str, Any]:
        return {**super().data_of(stage), "prompt": (stage.settings or {}).get("prompt", "")}


class CheckpointForm(PromptedForm):
    kind = StageKind.CHECKPOINT
    edited_settings = frozenset(
        {
            "prompt",
            "evidence",
            "rubric",
            "rubric_levels",
            "team",
            "peer_reviews",
            "peer_review_days",
            "peer_review_own_team",
            "peer_review_anonymous",
        }
    )

    evidence = CheckboxListField(
        _l("Evidence students submit"),
        choices=EVIDENCE_CHOICES,
        default=["code"],
        validators=[DataRequired(message=_l("Choose at least one kind of evidence."))],
    )
    rubric = MultilineField(
        _l("Rubric"),
        validators=[DataRequired(), Length(max=8000)],
        description=_l("One criterion per line; you mark the checkpoint against these."),
        render_kw={"rows": 5},
    )
    rubric_levels = MultilineField(
        _l("Rubric levels"),
        validators=[Optional(), Length(max=2000)],
        description=_l(
            "One level per line, lowest first; peer reviewers give each criterion one of them."
            " Leave empty for: Not yet, Getting there, Meets it, Goes beyond."
        ),
        render_kw={"rows": 4},
    )
    team = BooleanField(
        _l("Team checkpoint: one member hands in for the whole team, and every member is credited")
    )
    peer_reviews = IntegerField(
        _l("Peer reviews of each submission"),
        default=0,
        description=_l("0 for none. Students who hand in are given others' work to review."),
        validators=[Optional(), NumberRange(min=0, max=MAX_PEER_REVIEWS)],
    )
    peer_review_days = IntegerField(
        _l("Days a reviewer has to review"),
        default=DEFAULT_PEER_REVIEW_DAYS,
        validators=[Optional(), NumberRange(min=1, max=14)],
    )
    peer_review_own_team = BooleanField(_l("Students may review work of their own team"))
    peer_review_anonymous = BooleanField(_l("Reviewers stay anonymous to the author"), default=True)

    def validate_rubric(self, field: TextAreaField) -> None:
        if len(lines_of(field.data)) > MAX_LINES:
            raise ValidationError(
                ngettext("Keep it to %(num)d line.", "Keep it to %(num)d lines.", MAX_LINES)
            )

    def validate_rubric_levels(self, field: TextAreaField) -> None:
        levels = lines_of(field.data)
        if levels and not MIN_RUBRIC_LEVELS <= len(levels) <= MAX_RUBRIC_LEVELS:
            raise ValidationError(
                ngettext(
                    "Give between %(least)d and %(num)d level, one per line.",
                    "Give between %(least)d and %(num)d levels, one per line.",
                    MAX_RUBRIC_LEVELS,
                    least=MIN_RUBRIC_LEVELS,
                )
            )

    def settings(self) -> dict[str, Any]:
        # Only what differs from a plain checkpoint is kept, so a stage saved unchanged stays so.
        settings: dict[str, Any] = {
            **super().settings(),
            "evidence": list(self.evidence.data or []),
            "rubric": lines_of(self.rubric.data),
        }
        if levels := lines_of(self.rubric_levels.data):
            settings["rubric_levels"] = levels
        if self.team.data:
            settings["team"] = True
        if self.peer_reviews.data:
            settings |= {
                "peer_reviews": self.peer_reviews.data,
                "peer_review_days": self.peer_review_days.data or DEFAULT_PEER_REVIEW_DAYS,
                "peer_review_own_team": bool(self.peer_review_own_team.data),
                "peer_review_anonymous": bool(self.peer_review_anonymous.data),
            }
        return settings

    @classmethod
    def data_of(cls, stage: Stage) -> dict[str, Any]:
        settings = stage.settings or {}
        return {
            **super().data_of(stage),
            "evidence": settings.get("evidence", ["code"]),
            "rubric": "\n".join(settings.get("rubric", [])),
            "rubric_levels": "\n".join(stage.rubric_levels),
            "team": stage.is_team,
            "peer_reviews": stage.peer_reviews_wanted,
            "peer_review_days": stage.peer_review_days,
            "peer_review_own_team": stage.peer_review_own_team,
            "peer_review_anonymous": stage.peer_review_anonymous,
        }


class ReflectionForm(PromptedForm):
    kind = StageKind.REFLECTION
    edited_settings = frozenset({"prompt", "min_length"})

    min_length = IntegerField(
        _l("Minimum length in characters"),
        default=DEFAULT_REFLECTION_LENGTH,
        validators=[InputRequired(), NumberRange(min=0, max=5000)],
    )

    def settings(self) -> dict[str, Any]:
        return {**super().settings(), "min_length": self.min_length.data}

    @classmethod
    def data_of(cls, stage: Stage) -> dict[str, Any]:
        settings = stage.settings or {}
        minimum = settings.get("min_length", DEFAULT_REFLECTION_LENGTH)
        return {**super().data_of(stage), "min_length": minimum}


class SelfCheckForm(StageForm):
    kind = StageKind.SELF_CHECK
    edited_settings = frozenset({"items"})

    items = MultilineField(
        _l("Checklist"),
        validators=[DataRequired(), Length(max=8000)],
        description=_l("One item per line; students tick each one that is true for them."),
        render_kw={"rows": 6},
    )

    def validate_items(self, field: TextAreaField) -> None:
        if len(lines_of(field.data)) > MAX_LINES:
            raise ValidationError(
                ngettext("Keep it to %(num)d line.", "Keep it to %(num)d lines.", MAX_LINES)
            )

    def settings(self) -> dict[str, Any]:
        return {"items": lines_of(self.items.data)}

    @classmethod
    def data_of(cls, stage: Stage) -> dict[str, Any]:
        items = (stage.settings or {}).get("items", [])
        return {**super().data_of(stage), "items": "\n".join(items)}


TESTS_HELP = _l(
    'One test per line: a call, "==" and the expected value, such as add(2, 3) == 5. For a '
    'program, a block: a line "--- input", its input, a line "--- output", its output.'
)


class CodeForm(PromptedForm):
    kind = StageKind.CODE
    edited_settings = frozenset(
        {"prompt", "starter_code", "examples", "tests", "solution"}
        | {"seconds_per_test", "memory_mb", "output_kb"}
    )

    starter_code = MultilineField(
        _l("Starter code"),
        validators=[Optional(), Length(max=MAX_SOURCE_LENGTH)],
        render_kw={"rows": 8, "spellcheck": "false", "class": "code-input"},
    )
    examples = MultilineField(
        _l("Examples students see"),
        validators=[Optional(), Length(max=20_000)],
        description=TESTS_HELP,
        render_kw={"rows": 4, "spellcheck": "false", "class": "code-input"},
    )
    tests = MultilineField(
        _l("Hidden tests"),
        validators=[DataRequired(), Length(max=40_000)],
        description=_l(
            "Students never see these; they decide the score on Submit. Written like the examples."
        ),
        render_kw={"rows": 6, "spellcheck": "false", "class": "code-input"},
    )
    solution = MultilineField(
        _l("Reference solution"),
        validators=[DataRequired(), Length(max=MAX_SOURCE_LENGTH)],
        description=_l(
            "Never shown to students. Publishing runs it against every test and refuses a "
            "solution that fails one."
        ),
        render_kw={"rows": 8, "spellcheck": "false", "class": "code-input"},
    )
    seconds_per_test = IntegerField(
        _l("Time per test in seconds"),
        default=DEFAULT_SECONDS_PER_TEST,
        validators=[InputRequired(), NumberRange(min=1, max=MAX_SECONDS_PER_TEST)],
    )
    memory_mb = IntegerField(
        _l("Memory in MB"),
        default=DEFAULT_MEMORY_MB,
        validators=[InputRequired(), NumberRange(*MEMORY_MB_RANGE)],
    )
    output_kb = IntegerField(
        _l("Output in KB"),
        default=DEFAULT_OUTPUT_KB,
        description=_l("A run that prints more is stopped."),
        validators=[InputRequired(), NumberRange(*OUTPUT_KB_RANGE)],
    )

    def validate_examples(self, field: TextAreaField) -> None:
        readable(field.data, prefix="example")

    def validate_tests(self, field: TextAreaField) -> None:
        readable(field.data, prefix="test")

    def settings(self) -> dict[str, Any]:
        return {
            **super().settings(),
            "starter_code": self.starter_code.data or "",
            "examples": (self.examples.data or "").strip(),
            "tests": (self.tests.data or "").strip(),
            "solution": self.solution.data or "",
            "seconds_per_test": self.seconds_per_test.data,
            "memory_mb": self.memory_mb.data,
            "output_kb": self.output_kb.data,
        }

    @classmethod
    def data_of(cls, stage: Stage) -> dict[str, Any]:
        settings = stage.settings or {}
        return {
            **super().data_of(stage),
            "starter_code": settings.get("starter_code", ""),
            "examples": settings.get("examples", ""),
            "tests": settings.get("tests", ""),
            "solution": settings.get("solution", ""),
            "seconds_per_test": settings.get("seconds_per_test", DEFAULT_SECONDS_PER_TEST),
            "memory_mb": settings.get("memory_mb", DEFAULT_MEMORY_MB),
            "output_kb": settings.get("output_kb", DEFAULT_OUTPUT_KB),
        }


def readable(text: str | None, *, prefix: str) -> None:
    """Refuse tests that do not read, with the line that does not."""
    try:
        parse_tests(text or "", prefix=prefix)
    except TestsError as error:
        raise ValidationError(str(error)) from None


FORMS: dict[str, type[StageForm]] = {
    form.kind.value: form
    for form in (
        LessonForm,
        QuizForm,
        CheckpointForm,
        ReflectionForm,
        SelfCheckForm,
        CodeForm,
        TimedForm,
    )
}


def blank_question(prefix: str) -> QuestionForm:
    """An empty question whose fields' names start with ``prefix`` (``questions-__index__-``):
    the page's script copies it, numbered, when a teacher adds a question."""
    return QuestionForm(prefix=prefix, data=QuestionForm.data_of({}))


def stage_form(kind: str, stage: Stage | None = None, **kwargs: Any) -> StageForm:
    """The form for a stage of ``kind``, filled from ``stage`` when editing one."""
    form_class = FORMS[kind]
    if stage is not None:
        kwargs.setdefault("data", form_class.data_of(stage))
    elif issubclass(form_class, QuizForm):
        kwargs.setdefault("data", {"questions": [{}]})
    return form_class(**kwargs)
