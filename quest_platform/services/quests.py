"""Quests: authoring, validating and publishing them, and assigning them to classrooms."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from quest_platform.extensions import db
from quest_platform.models import (
    MAX_STAGES,
    MIN_STAGES,
    Classroom,
    Quest,
    QuestAssignment,
    QuestStatus,
    Stage,
    StageKind,
    User,
    utcnow,
)
from quest_platform.services.audit import record_change, snapshot
from quest_platform.services.errors import Conflict, NotAllowed, ServiceError

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
QUIZ_KINDS = frozenset({StageKind.QUIZ, StageKind.TIMED})


class QuestNotPublishable(ServiceError):
    """A quest failed the publishing checks; ``reasons`` lists every problem found."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__(
            _("This quest cannot be published yet: %(reasons)s", reasons="; ".join(reasons))
        )
        self.reasons = reasons


@dataclass(frozen=True)
class StageDraft:
    """What an author writes for one stage, before it is stored."""

    kind: str
    title: str
    content: str = ""
    points: int = 10
    settings: Mapping[str, Any] = field(default_factory=dict)
    time_limit_seconds: int | None = None


def question_problems(question: Mapping[str, Any], number: int) -> list[str]:
    """Return what is wrong with one quiz question (an empty list if nothing)."""
    kind = question.get("type")
    if not str(question.get("prompt", "")).strip():
        return [_("question %(number)d has no prompt", number=number)]
    if kind == "short":
        if not [answer for answer in question.get("accepted", []) if str(answer).strip()]:
            return [_("question %(number)d has no accepted answer", number=number)]
        return []
    if kind not in {"single", "multiple"}:
        return [_("question %(number)d has an unknown type", number=number)]
    choices = question.get("choices", [])
    answer = question.get("answer", [])
    if len(choices) < 2:
        return [_("question %(number)d needs at least two choices", number=number)]
    if not answer or not all(isinstance(i, int) and 0 <= i < len(choices) for i in answer):
        return [_("question %(number)d has no correct answer among its choices", number=number)]
    if kind == "single" and len(answer) != 1:
        return [_("question %(number)d must have exactly one correct answer", number=number)]
    return []


def stage_problems(stage: Stage | StageDraft) -> list[str]:
    """Return what a stage of its kind is missing (an empty list if it is complete)."""
    settings = stage.settings or {}
    problems: list[str] = []
    if not stage.title.strip():
        problems.append(_("it has no title"))
    match stage.kind:
        case StageKind.LESSON:
            if not stage.content.strip():
                problems.append(_("the lesson has no text"))
        case StageKind.QUIZ | StageKind.TIMED:
            questions = settings.get("questions", [])
            if not questions:
                problems.append(_("the quiz has no questions"))
            for number, question in enumerate(questions, start=1):
                problems.extend(question_problems(question, number))
            if stage.kind == StageKind.TIMED and not stage.time_limit_seconds:
                problems.append(_("a timed stage needs a time limit"))
        case StageKind.CHECKPOINT:
            if not str(settings.get("prompt", "")).strip():
                problems.append(_("the checkpoint has no prompt"))
            if not settings.get("rubric"):
                problems.append(_("the checkpoint has no rubric"))
        case StageKind.REFLECTION:
            if not str(settings.get("prompt", "")).strip():
                problems.append(_("the reflection has no prompt"))
        case StageKind.SELF_CHECK:
            if not settings.get("items"):
                problems.append(_("the self-check has no items"))
        case StageKind.CODE:
            if not str(settings.get("prompt", "")).strip():
                problems.append(_("the code challenge has no prompt"))
        case _:
            problems.append(_("its kind is unknown"))
    return problems


def publishing_problems(quest: Quest) -> list[str]:
    """Return every reason ``quest`` cannot be published (an empty list if it can)."""
    problems = []
    count = len(quest.stages)
    if not MIN_STAGES <= count <= MAX_STAGES:
        problems.append(
            _(
                "a published quest needs %(min)d to %(max)d stages; it has %(count)d",
                min=MIN_STAGES,
                max=MAX_STAGES,
                count=count,
            )
        )
    for stage in quest.stages:
        for problem in stage_problems(stage):
            problems.append(
                _("stage %(position)d: %(problem)s", position=stage.position, problem=problem)
            )
    return problems


def create_quest(
    *,
    slug: str,
    title: str,
    theme: str,
    summary: str,
    stages: Sequence[StageDraft],
    author: User | None,
) -> Quest:
    """Create a draft quest with its stages in the order given."""
    slug = slug.strip().lower()
    if not SLUG_PATTERN.match(slug) or len(slug) > 80:
        raise ServiceError(
            _("Use lower-case letters, digits and single dashes for the slug."), field="slug"
        )
    if db.session.scalar(select(Quest.id).where(Quest.slug == slug)) is not None:
        raise Conflict(_("Another quest already uses that slug."), field="slug")
    if not title.strip():
        raise ServiceError(_("A quest needs a title."), field="title")
    if len(stages) > MAX_STAGES:
        raise ServiceError(_("A quest has at most %(max)d stages.", max=MAX_STAGES), field="stages")
    quest = Quest(
        slug=slug,
        title=title.strip(),
        theme=theme.strip(),
        summary=summary.strip(),
        status=QuestStatus.DRAFT.value,
        author=author,
        stages=[
            Stage(
                position=position,
                kind=str(draft.kind),
                title=draft.title.strip(),
                content=draft.content,
                points=draft.points,
                settings=dict(draft.settings),
                time_limit_seconds=draft.time_limit_seconds,
            )
            for position, draft in enumerate(stages, start=1)
        ],
    )
    db.session.add(quest)
    record_change(actor=author, action="create", record=quest)
    db.session.commit()
    return quest


def publish_quest(*, quest: Quest, by: User | None) -> Quest:
    """Publish a quest whose 6–8 stages are all complete, or say why it cannot be."""
    if by is not None and not (by.is_admin or quest.author_id == by.id):
        raise NotAllowed(_("Only the quest's author or an administrator can publish it."))
    problems = publishing_problems(quest)
    if problems:
        raise QuestNotPublishable(problems)
    before = snapshot(quest)
    quest.status = QuestStatus.PUBLISHED.value
    quest.published_at = utcnow()
    record_change(actor=by, action="publish", record=quest, before=before)
    db.session.commit()
    return quest


def assign_quest(
    *,
    quest: Quest,
    classroom: Classroom,
    opens_at: datetime,
    due_at: datetime,
    by: User | None,
) -> QuestAssignment:
    """Give a published quest to a classroom between two dates."""
    if by is not None and not (by.is_admin or by in classroom.teachers):
        raise NotAllowed(_("You can only assign quests to your own classrooms."))
    if quest.status != QuestStatus.PUBLISHED:
        raise ServiceError(_("Only published quests can be assigned."), field="quest")
    if due_at <= opens_at:
        raise ServiceError(_("The due date must be after the opening date."), field="due_at")
    existing = db.session.scalar(
        select(QuestAssignment.id).where(
            QuestAssignment.quest_id == quest.id, QuestAssignment.classroom_id == classroom.id
        )
    )
    if existing is not None:
        raise Conflict(_("This quest is already assigned to that classroom."), field="quest")
    assignment = QuestAssignment(quest=quest, classroom=classroom, opens_at=opens_at, due_at=due_at)
    db.session.add(assignment)
    record_change(actor=by, action="create", record=assignment)
    db.session.commit()
    return assignment
