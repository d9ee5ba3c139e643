"""Attempts in the admin: every answer of a teacher's students, read-only, and reviews of them.

Attempts are append-only, so this view creates, edits and deletes none. A teacher changes a
result by reviewing the attempt (marking a checkpoint, or overriding a score with a reason) on
its details page; the review is a new row and the latest review gives the attempt's result.

The list is built for a school's whole history (a million attempts): it runs no count (only
"previous" and "next" pages); it pages newest first along the ``ix_attempt_submitted`` index,
or, for a teacher of few students, reads only their attempts (see ``AttemptView.scope``); and
it loads the students, quests, stages and reviews of a page in one query each.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import abort, flash, g, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla import tools
from flask_admin.form import BaseForm
from flask_admin.helpers import get_redirect_target
from flask_babel import format_decimal, format_number, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_security import current_user
from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import Query, joinedload, lazyload, load_only, selectinload
from werkzeug.wrappers import Response
from wtforms import BooleanField, FloatField, RadioField, SelectChoice, TextAreaField
from wtforms.validators import InputRequired
from wtforms.widgets import NumberInput

from admin_views.base import Scope, ScopedModelView
from admin_views.lists import (
    STUDENT_SEARCH,
    labels_filter,
    moment,
    newest_first,
    period_filter,
    quest_title,
    shown,
    stage_title,
    student_name,
    work_filters,
)
from quest_platform.content import highlighted
from quest_platform.extensions import db
from quest_platform.feedback.panels import opened_thread
from quest_platform.labels import KIND_LABELS, OUTCOME_LABELS, short_duration
from quest_platform.models import (
    Attempt,
    Enrollment,
    Outcome,
    Quest,
    Review,
    ReviewKind,
    Stage,
    StageKind,
    User,
)
from quest_platform.queries.activity import awaiting_review
from quest_platform.queries.attempts import next_awaiting_review, taught_by
from quest_platform.queries.classrooms import classrooms_taught_by, enrolled_in
from quest_platform.queries.team_hand_ins import HandInView, hand_in_view
from quest_platform.queries.timing import extra_seconds_for
from quest_platform.services import ServiceError
from quest_platform.services.reviews import (
    MAX_REASON_LENGTH,
    pass_mark,
    review_attempt,
    review_kind,
)
from quest_platform.time_zones import in_zone

REVIEW_LABELS = {
    ReviewKind.MARK.value: _l("Marked"),
    ReviewKind.OVERRIDE.value: _l("Overridden"),
}
# A teacher with at most this share of the school's enrollments "teaches few" (see scope()).
FEW_STUDENTS_SHARE = 1 / 20


def outcome_label(outcome: str) -> str:
    """An outcome in words ("Not passed"), the same as students read it."""
    return str(OUTCOME_LABELS.get(outcome, outcome))


def score_text(score: float | None, max_score: float) -> str:
    """A score out of its maximum: "8 / 10", "— / 10"."""
    return f"{number(score)} / {number(max_score)}"


def reviewed_text(review: Review | None) -> str:
    """How an attempt was reviewed, in words ("Marked", "Overridden"), or "No"."""
    return str(REVIEW_LABELS[review.kind]) if review else _("No")


def number(value: float | None) -> str:
    """A score as the page's language writes it: "8", "8.5" ("8,5" in Spanish); a dash for none."""
    return "—" if value is None else format_decimal(value)


def of_kind(kind: str) -> ColumnElement[bool]:
    """Attempts at stages of one kind."""
    return Attempt.stage_id.in_(select(Stage.id).where(Stage.kind == kind))


def outcome_condition(value: str) -> ColumnElement[bool]:
    """Attempts whose result now is ``value``: their latest review's outcome, else their own.

    Reviews decide only "passed" or "failed": a "late" attempt, or one waiting for review
    ("pending_review"), is one with that outcome and no review, a condition the database
    answers from the ``ix_attempt_outcome_submitted`` index.
    """
    if value == Outcome.PENDING_REVIEW:
        return awaiting_review()
    reviewed = exists().where(Review.attempt_id == Attempt.id)
    if value == Outcome.LATE:
        return and_(Attempt.outcome == value, ~reviewed)
    latest = (
        select(Review.outcome)
        .where(Review.attempt_id == Attempt.id)
        .order_by(Review.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return or_(and_(Attempt.outcome == value, ~reviewed), latest == value)


@dataclass(frozen=True)
class AnswerPart:
    """One piece of an answer, as a label and text shown as written (code in a code block)."""

    label: str
    text: str
    code: bool = False


def as_text(value: Any) -> str:
    """Any stored answer value as readable text."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return ", ".join(as_text(item) for item in value)
    return json.dumps(value, ensure_ascii=False)


def quiz_parts(stage: Stage, answers: dict[str, Any]) -> list[AnswerPart]:
    """Each question of a quiz with the answer given, in the quiz's order."""
    questions = {str(q.get("id")): q for q in (stage.settings or {}).get("questions", [])}
    order = [key for key in questions if key in answers] + [
        key for key in answers if key not in questions
    ]
    parts = []
    for number_, key in enumerate(order, start=1):
        question = questions.get(key, {})
        given = answers[key]
        choices = question.get("choices", [])
        chosen = given if isinstance(given, list) else [given]
        if choices and all(isinstance(i, int) and 0 <= i < len(choices) for i in chosen):
            text = ", ".join(str(choices[i]) for i in chosen)
        else:
            text = as_text(given)
        prompt = question.get("prompt") or key
        parts.append(
            AnswerPart(_("Question %(number)d: %(prompt)s", number=number_, prompt=prompt), text)
        )
    return parts


def evidence_parts(evidence: Any, *, code: bool = False) -> list[AnswerPart]:
    """A checkpoint's evidence: text, a list of items, or text by kind (code as code).

    ``code``: the checkpoint asks for code, so its text evidence is shown as code.
    """
    if isinstance(evidence, dict):
        return [
            AnswerPart(_("Evidence: %(kind)s", kind=kind), as_text(text), code=kind == "code")
            for kind, text in evidence.items()
        ]
    return [AnswerPart(_("Evidence"), as_text(evidence), code=code and isinstance(evidence, str))]


@dataclass(frozen=True)
class StageBrief:
    """What a stage asked of the student and how it is marked, shown beside the answer."""

    prompt: str
    rubric: list[str]


def stage_brief(stage: Stage) -> StageBrief | None:
    """The prompt and rubric of a checkpoint or reflection, or None for a stage without them."""
    settings = stage.settings or {}
    prompt = settings.get("prompt")
    rubric = settings.get("rubric")
    brief = StageBrief(
        prompt=prompt.strip() if isinstance(prompt, str) else "",
        rubric=[str(line) for line in rubric] if isinstance(rubric, list) else [],
    )
    return brief if brief.prompt or brief.rubric else None


def describe_answer(attempt: Attempt) -> list[AnswerPart]:
    """An attempt's answer as labelled pieces of text, whatever its stage's kind."""
    answer = dict(attempt.answer or {})
    parts: list[AnswerPart] = []
    if isinstance(answer.get("answers"), dict):
        parts += quiz_parts(attempt.stage, answer.pop("answers"))
    # No written evidence when a screenshot or links came alone: nothing to show for it.
    if answer.get("evidence", "") != "":
        asks_for_code = "code" in attempt.stage.evidence_kinds
        parts += evidence_parts(answer.pop("evidence"), code=asks_for_code)
    answer.pop("evidence", None)
    for key, label in (("text", _l("Text")), ("code", _l("Code"))):
        if key in answer:
            parts.append(AnswerPart(str(label), as_text(answer.pop(key)), code=key == "code"))
    counts = (
        ("correct", "total", _l("Correct answers")),
        ("tests_passed", "tests_total", _l("Tests passed")),
        ("ticked", "total", _l("Items ticked")),
    )
    for part, whole, label in counts:
        if part in answer:
            done, of = as_text(answer.pop(part)), answer.pop(whole, None)
            text = done if of is None else _("%(done)s of %(total)s", done=done, total=as_text(of))
            parts.append(AnswerPart(str(label), text))
    if "elapsed_seconds" in answer:
        parts.append(
            AnswerPart(_("Time used"), short_duration(float(answer.pop("elapsed_seconds"))))
        )
    if answer.pop("confirmed", None):
        parts.append(AnswerPart(_("Confirmed"), _("Read and confirmed")))
    if "text_length" in answer:
        length = answer.pop("text_length")
        if isinstance(length, int):
            length = ngettext("%(num)d character", "%(num)d characters", length)
        parts.append(AnswerPart(_("Length"), as_text(length)))
    # Whether a screenshot came with the answer: the image itself is shown beside it, and so
    # are the links to GitHub (templates/_evidence_links.html).
    answer.pop("screenshot", None)
    answer.pop("links", None)
    parts += [AnswerPart(str(key), as_text(value)) for key, value in answer.items()]
    return parts


class ReviewForm(BaseForm):
    """A teacher's score, outcome and reason (or feedback) for one attempt."""

    score = FloatField(
        _l("Score"), validators=[InputRequired()], widget=NumberInput(step="any", min=0)
    )
    outcome = RadioField(
        _l("Outcome"),
        choices=[
            SelectChoice(Outcome.PASSED.value, OUTCOME_LABELS[Outcome.PASSED]),
            SelectChoice(Outcome.FAILED.value, OUTCOME_LABELS[Outcome.FAILED]),
        ],
        validators=[InputRequired()],
    )
    reason = TextAreaField(_l("Reason"), render_kw={"rows": 4, "maxlength": MAX_REASON_LENGTH})
    resubmit = BooleanField(
        _l("Ask for a resubmission"),
        description=_l("Only with “Not passed”: the student is asked to hand the work in again."),
    )


class AttemptView(ScopedModelView):
    """The attempts of a teacher's students on the quests they assigned (an admin's: all)."""

    can_create = False
    can_edit = False
    can_delete = False
    # No count(*) over a school's attempts on every page: previous and next pages only.
    simple_list_pager = True
    # An export is built in memory: it holds the newest attempts that match, up to this many,
    # and its link says so (filters reach older ones).
    export_max_rows = 10_000
    # The page's students, quests, stages and reviews come in one query each (get_query).
    column_auto_select_related = False
    details_template = "admin_views/attempt/details.html"

    title_column = "submitted_at"
    column_list = ["submitted_at", "student", "quest", "stage", "outcome", "score", "reviewed"]
    column_labels = {
        "submitted_at": in_zone(_l("Submitted")),
        "student": _l("Student"),
        "quest": _l("Quest"),
        "stage": _l("Stage"),
        "outcome": _l("Outcome"),
        "score": _l("Score"),
        "reviewed": _l("Reviewed"),
    }
    # Newest first, and a stable order among attempts submitted in the same instant.
    column_sortable_list, column_default_sort = newest_first("submitted_at")
    # Searched by the student's username or name (see _apply_search).
    column_searchable_list = STUDENT_SEARCH
    column_filters = [
        *work_filters(student=Attempt.student_id, quest=Attempt.quest_id),
        labels_filter(Attempt.stage_id, _l("Stage kind"), "kind", KIND_LABELS, of_kind),
        labels_filter(Attempt.outcome, _l("Outcome"), "outcome", OUTCOME_LABELS, outcome_condition),
        period_filter(Attempt.submitted_at, _l("Submitted")),
    ]
    column_formatters = {
        "submitted_at": moment(),
        "student": student_name,
        "quest": quest_title,
        "stage": stage_title,
        # The result that counts now, in words: the latest review's, else the attempt's own.
        "outcome": shown(lambda attempt: outcome_label(attempt.result[1])),
        "score": shown(lambda attempt: score_text(attempt.result[0], attempt.max_score)),
        "reviewed": shown(lambda attempt: reviewed_text(attempt.latest_review)),
    }

    def scope(self) -> Scope:
        if current_user.is_admin:
            return None
        condition = taught_by(current_user.id)
        if self.teaches_few_students():
            # Naming the students lets the database read just their attempts; otherwise it
            # walks the whole school's history, newest first, to fill a page.
            students = enrolled_in(classrooms_taught_by(current_user.id))
            condition = and_(condition, Attempt.student_id.in_(students))
        return condition

    def teaches_few_students(self) -> bool:
        """Whether the current teacher's enrollments are at most a twentieth of the school's.

        Their newest attempts are then few and far between in the school's history: reading
        all of their attempts is quicker than walking the history until a page is full.
        Enrollments are counted rather than distinct students: counting rows is the quicker
        question, and the answer only has to be about right.
        """
        if "admin_teaches_few_students" not in g:
            taught = select(func.count()).where(
                Enrollment.classroom_id.in_(classrooms_taught_by(current_user.id))
            )
            everyone = select(func.count()).select_from(Enrollment)
            counts = select(taught.scalar_subquery(), everyone.scalar_subquery())
            mine, school = db.session.execute(counts).one()
            g.admin_teaches_few_students = mine <= school * FEW_STUDENTS_SHARE
        return bool(g.admin_teaches_few_students)

    def get_query(self) -> Query[Any]:
        return (
            super()
            .get_query()
            .options(
                # The columns a row shows, with the names joined in as hand-written SQL would
                # have them; not the answers or a stage's lesson text, which can be long.
                load_only(
                    Attempt.submitted_at,
                    Attempt.student_id,
                    Attempt.quest_id,
                    Attempt.stage_id,
                    Attempt.outcome,
                    Attempt.score,
                    Attempt.max_score,
                ),
                joinedload(Attempt.student, innerjoin=True)
                .load_only(User.display_name, User.username)
                .options(lazyload(User.roles)),
                joinedload(Attempt.quest, innerjoin=True).load_only(Quest.title),
                joinedload(Attempt.stage, innerjoin=True).load_only(
                    Stage.position, Stage.title, Stage.kind
                ),
                selectinload(Attempt.reviews),
            )
        )

    def _apply_search(
        self,
        query: Query[Any],
        count_query: Query[Any] | None,
        joins: dict[Any, Any],
        count_joins: dict[Any, Any],
        search: str,
    ) -> tuple[Query[Any], Query[Any] | None, dict[Any, Any], dict[Any, Any]]:
        # Match students first, then their attempts: a join to every attempt's student would
        # make the database read the whole attempt table to find one student's.
        for term in search.split():
            like = tools.parse_like_term(term)
            students = select(User.id).where(
                or_(User.username.ilike(like), User.display_name.ilike(like))
            )
            query = query.filter(Attempt.student_id.in_(students))
            if count_query is not None:
                count_query = count_query.filter(Attempt.student_id.in_(students))
        return query, count_query, joins, count_joins

    def export_links(self) -> list[tuple[str, str]]:
        limit = format_number(self.export_max_rows)
        return [
            (
                kind,
                ngettext(
                    "%(label)s (newest %(limit)s)",
                    "%(label)s (newest %(limit)s)",
                    self.export_max_rows,
                    label=label,
                    limit=limit,
                ),
            )
            for kind, label in super().export_links()
        ]

    def record_title(self, model: Attempt) -> str:
        return _(
            "%(student)s — %(quest)s, stage %(position)d",
            student=model.student.display_name,
            quest=model.quest.title,
            position=model.stage.position,
        )

    # The details page: the answer, its timing, the reviews and a review form

    number = staticmethod(number)

    def answer_parts(self, attempt: Attempt) -> list[AnswerPart]:
        return describe_answer(attempt)

    highlighted = staticmethod(highlighted)
    stage_brief = staticmethod(stage_brief)

    def time_taken(self, attempt: Attempt) -> str:
        return short_duration((attempt.submitted_at - attempt.started_at).total_seconds())

    def time_limit(self, attempt: Attempt) -> str | None:
        limit = attempt.stage.time_limit_seconds
        return short_duration(limit) if limit else None

    def extra_time(self, attempt: Attempt) -> str | None:
        """The extra time the student has on the attempt's stage now, if any was given."""
        extra = extra_seconds_for(student=attempt.student, stage=attempt.stage)
        return short_duration(extra) if extra else None

    def extra_time_url(self, attempt: Attempt) -> str | None:
        """The form giving the student more time on the attempt's stage, if it is timed."""
        if attempt.stage.kind != StageKind.TIMED:
            return None
        back = self.get_url(".details_view", id=attempt.id)
        return url_for(
            "time_extension.create_view",
            student=attempt.student_id,
            stage=attempt.stage_id,
            url=back,
        )

    def kind_label(self, kind: str) -> str:
        return str(KIND_LABELS.get(kind, kind))

    def team_hand_in(self, attempt: Attempt) -> HandInView | None:
        """The team hand-in ``attempt`` belongs to, if any: who handed in, whom it credits."""
        if attempt.team_hand_in_id is None:
            return None
        return hand_in_view(attempt.team_hand_in_id)

    outcome_label = staticmethod(outcome_label)

    def review_label(self, kind: str) -> str:
        return str(REVIEW_LABELS.get(kind, kind))

    def review_form(self, attempt: Attempt, formdata: Any = None) -> ReviewForm:
        """The review form for ``attempt``, filled with its current result when it has one."""
        score, outcome = attempt.result
        decided = outcome in {Outcome.PASSED, Outcome.FAILED}
        form = ReviewForm(formdata, data={"score": score, "outcome": outcome if decided else None})
        if attempt.max_score > 0:
            form.score.description = ngettext(
                "Between 0 and %(max)s point; %(mark)s or more passes.",
                "Between 0 and %(max)s points; %(mark)s or more passes.",
                int(attempt.max_score),
                max=number(attempt.max_score),
                mark=number(pass_mark(attempt)),
            )
        else:
            form.score.description = _("This stage is worth no points: give 0.")
        form.score.widget = NumberInput(step="any", min=0, max=attempt.max_score)
        if review_kind(attempt) == ReviewKind.MARK:
            form.reason.label.text = _("Feedback for the student (optional)")
            form.reason.description = _("Kept with the review.")
        else:
            form.reason.label.text = _("Reason for the change (required)")
            form.reason.description = _("Kept with the review and in the audit log.")
        return form

    def render_details(self, attempt: Attempt, form: ReviewForm) -> str:
        return self.render(
            self.details_template,
            model=attempt,
            details_columns=self._details_columns,
            get_value=self.get_detail_value,
            return_url=get_redirect_target() or self.get_url(".index_view"),
            review_form=form,
            is_mark=review_kind(attempt) == ReviewKind.MARK,
            # The conversation with the student (docs/feedback.md), read as it is shown.
            thread=opened_thread(attempt, viewer=current_user),
        )

    @expose("/details/")
    def details_view(self) -> str | Response:
        attempt = self.get_one(request.args.get("id", ""))
        return self.render_details(attempt, self.review_form(attempt))

    @expose("/review/", methods=["POST"])
    def review(self) -> str | Response | tuple[str, int]:
        """Record a review of one attempt; a refused one comes back with its errors (422)."""
        attempt = self.get_one(request.args.get("id", ""))
        form = self.review_form(attempt, request.form)
        if form.validate():
            try:
                review_attempt(
                    attempt=attempt,
                    score=form.score.data,
                    outcome=form.outcome.data or "",
                    reason=form.reason.data or "",
                    by=current_user,
                    resubmit=bool(form.resubmit.data),
                )
            except ServiceError as error:
                if not error.field or error.field not in form:
                    abort(error.status_code)
                form[error.field].errors = [*form[error.field].errors, error.message]
            else:
                flash(_("The review is saved."), "success")
                return redirect(self.after_review(attempt))
        return self.render_details(attempt, form), 422

    def after_review(self, attempt: Attempt) -> str:
        """Where a saved review leads: the next checkpoint waiting ("Save and next"), or back."""
        back = get_redirect_target()
        if request.form.get("then") == "next":
            waiting = next_awaiting_review(staff=current_user)
            if waiting is not None:
                return url_for(".details_view", id=waiting.id, url=back)
            flash(_("No other checkpoint is waiting for your review."), "info")
        return url_for(".details_view", id=attempt.id, url=back)


def awaiting_review_filters(classroom_id: int) -> dict[str, str]:
    """The URL arguments of the attempts list filtered to one classroom's waiting reviews."""
    return {"flt0_classroom": str(classroom_id), "flt1_outcome": Outcome.PENDING_REVIEW.value}
