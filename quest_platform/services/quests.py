"""Quests: authoring, validating and publishing them, and assigning them to classrooms."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from quest_platform.code_challenges import Challenge, TestsError, judge, parse_tests
from quest_platform.content import images_without_alt
from quest_platform.extensions import db
from quest_platform.models import (
    MAX_STAGES,
    MIN_STAGES,
    Attempt,
    Classroom,
    Quest,
    QuestAssignment,
    QuestStatus,
    Stage,
    StageKind,
    User,
    utcnow,
)
from quest_platform.sandbox import SandboxUnavailable
from quest_platform.services import slack
from quest_platform.services.audit import record_change, snapshot
from quest_platform.services.code_runs import run_challenge
from quest_platform.services.errors import Conflict, NotAllowed, ServiceError, undone_on_error

# What a checkpoint may ask students to hand in (its settings' "evidence"): a text such as a
# code snippet, a screenshot (services/evidence.py), links to GitHub (github_links.py).
EVIDENCE = frozenset({"code", "screenshot", "link"})
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_SLUG_LENGTH = 80
# A made-up slug is cut to this length, so that "-2", "-copy-12" and the like still fit.
SLUG_BASE_LENGTH = 70


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


def stage_from(draft: StageDraft, position: int) -> Stage:
    """A new stage at ``position`` as ``draft`` describes it."""
    return Stage(
        position=position,
        kind=str(draft.kind),
        title=draft.title.strip(),
        content=draft.content,
        points=draft.points,
        settings=dict(draft.settings),
        time_limit_seconds=draft.time_limit_seconds,
    )


def draft_of(stage: Stage) -> StageDraft:
    """What a stored stage says, as a draft (to copy it)."""
    return StageDraft(
        kind=stage.kind,
        title=stage.title,
        content=stage.content,
        points=stage.points,
        settings=dict(stage.settings or {}),
        time_limit_seconds=stage.time_limit_seconds,
    )


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
    for source in images_without_alt(stage.content):
        problems.append(_("the image %(source)s has no alternative text", source=source))
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
            evidence = settings.get("evidence", ["code"])
            known = isinstance(evidence, list) and all(
                isinstance(kind, str) and kind in EVIDENCE for kind in evidence
            )
            if not evidence or not known:
                problems.append(
                    _("the checkpoint must ask for code, a screenshot or links (or several)")
                )
        case StageKind.REFLECTION:
            if not str(settings.get("prompt", "")).strip():
                problems.append(_("the reflection has no prompt"))
        case StageKind.SELF_CHECK:
            if not settings.get("items"):
                problems.append(_("the self-check has no items"))
        case StageKind.CODE:
            problems.extend(code_problems(settings))
        case _:
            problems.append(_("its kind is unknown"))
    return problems


def code_problems(settings: Mapping[str, Any]) -> list[str]:
    """What a code stage's settings are missing: a prompt, tests that read, hidden tests and a
    reference solution (whether the solution passes is checked on publishing)."""
    problems = []
    if not str(settings.get("prompt", "")).strip():
        problems.append(_("the code challenge has no prompt"))
    for key, prefix in (("examples", "example"), ("tests", "test")):
        try:
            tests = parse_tests(str(settings.get(key, "")), prefix=prefix)
        except TestsError as error:
            problems.append(str(error))
            continue
        if key == "tests" and not tests:
            problems.append(_("the code challenge has no hidden tests"))
    if not str(settings.get("solution", "")).strip():
        problems.append(_("the code challenge has no reference solution"))
    return problems


def reference_problems(stage: Stage) -> list[str]:
    """Why a code stage's reference solution fails its own tests (empty when it passes them
    all), run in a sandbox as a student's code is."""
    challenge = Challenge.of(stage.settings or {})
    tests = [*challenge.examples, *challenge.tests]
    try:
        outcome = run_challenge(challenge, source=challenge.solution, tests=tests)
    except SandboxUnavailable:
        return [_("this server cannot run code, so the reference solution cannot be checked")]
    return [
        _("its reference solution fails the test %(test)s", test=verdict.text.splitlines()[0])
        for verdict in judge(tests, outcome, visible=True)
        if not verdict.passed
    ]


def at_most_stages() -> str:
    """The message refusing a quest longer than MAX_STAGES."""
    return ngettext(
        "A quest has at most %(num)d stage.", "A quest has at most %(num)d stages.", MAX_STAGES
    )


def publishing_problems(quest: Quest) -> list[str]:
    """Return every reason ``quest`` cannot be published (an empty list if it can)."""
    problems = []
    count = len(quest.stages)
    if not MIN_STAGES <= count <= MAX_STAGES:
        problems.append(
            ngettext(
                "a published quest needs %(min)d to %(max)d stages; it has %(num)d",
                "a published quest needs %(min)d to %(max)d stages; it has %(num)d",
                count,
                min=MIN_STAGES,
                max=MAX_STAGES,
            )
        )
    for stage in quest.stages:
        for problem in stage_problems(stage):
            problems.append(
                _("stage %(position)d: %(problem)s", position=stage.position, problem=problem)
            )
    return problems


@undone_on_error
def create_quest(
    *,
    slug: str,
    title: str,
    theme: str,
    summary: str,
    stages: Sequence[StageDraft],
    author: User | None,
) -> Quest:
    """Create a draft quest with its stages in the order given.

    An empty ``slug`` is made from the title (see :func:`slug_from_title`).
    """
    if not title.strip():
        raise ServiceError(_("A quest needs a title."), field="title")
    slug = checked_slug(slug) if slug.strip() else unused_slug(slug_from_title(title))
    if len(stages) > MAX_STAGES:
        raise ServiceError(at_most_stages(), field="stages")
    quest = Quest(
        slug=slug,
        title=title.strip(),
        theme=theme.strip(),
        summary=summary.strip(),
        status=QuestStatus.DRAFT.value,
        author=author,
        stages=[stage_from(draft, position) for position, draft in enumerate(stages, start=1)],
    )
    db.session.add(quest)
    record_change(actor=author, action="create", record=quest)
    db.session.commit()
    return quest


@undone_on_error
def publish_quest(*, quest: Quest, by: User | None) -> Quest:
    """Publish a quest whose 6–8 stages are all complete, or say why it cannot be."""
    check_may_edit(quest, by)
    if quest.status == QuestStatus.PUBLISHED:
        # Publishing again (a bulk action over a mixed selection) keeps the first date.
        return quest
    problems = publishing_problems(quest)
    if not problems:
        # Only once the rest is complete: each code stage's solution is run in a sandbox.
        problems = [
            _("stage %(position)d: %(problem)s", position=stage.position, problem=problem)
            for stage in quest.stages
            if stage.kind == StageKind.CODE
            for problem in reference_problems(stage)
        ]
    if problems:
        raise QuestNotPublishable(problems)
    before = snapshot(quest)
    quest.status = QuestStatus.PUBLISHED.value
    quest.published_at = utcnow()
    record_change(actor=by, action="publish", record=quest, before=before)
    db.session.commit()
    return quest


def may_edit_quest(*, staff: User, quest: Quest) -> bool:
    """Whether ``staff`` may change ``quest``: its author or an administrator."""
    return staff.is_admin or (staff.is_staff and quest.author_id == staff.id)


def may_read_quest(*, staff: User, quest: Quest) -> bool:
    """Whether ``staff`` may read ``quest``: their own, or anyone's once it is published."""
    return may_edit_quest(staff=staff, quest=quest) or (
        staff.is_staff and quest.status == QuestStatus.PUBLISHED
    )


def check_may_edit(quest: Quest, by: User | None) -> None:
    """Refuse a change to ``quest`` by someone who is not its author or an administrator."""
    if by is not None and not may_edit_quest(staff=by, quest=quest):
        raise NotAllowed(_("Only the quest's author or an administrator can change it."))


def slug_from_title(title: str) -> str:
    """A quest's address made from its title: "Café API" becomes "cafe-api".

    Accents are dropped and every run of other characters becomes one dash; a title with no
    letter or digit of the Latin alphabet gives "quest".
    """
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_title.lower())
    return "-".join(words)[:SLUG_BASE_LENGTH].strip("-") or "quest"


def unused_slug(base: str, *, quest: Quest | None = None) -> str:
    """``base``, or ``base`` followed by "-2", "-3"... : the first that no other quest uses."""
    slug, number = base, 1
    while (taken := db.session.scalar(select(Quest.id).where(Quest.slug == slug))) is not None:
        if quest is not None and taken == quest.id:
            break
        number += 1
        slug = f"{base}-{number}"
    return slug


def checked_slug(slug: str, *, quest: Quest | None = None) -> str:
    """Return a valid, unused slug (``quest`` may keep its own), or raise on the slug field."""
    slug = slug.strip().lower()
    if not SLUG_PATTERN.match(slug) or len(slug) > MAX_SLUG_LENGTH:
        raise ServiceError(
            _("Use lower-case letters, digits and single dashes for the slug."), field="slug"
        )
    taken = db.session.scalar(select(Quest.id).where(Quest.slug == slug))
    if taken is not None and (quest is None or taken != quest.id):
        raise Conflict(_("Another quest already uses that slug."), field="slug")
    return slug


def has_attempts(*, quest: Quest | None = None, stage: Stage | None = None) -> bool:
    """Whether any student has answered ``quest`` (or just ``stage``)."""
    query = select(Attempt.id).limit(1)
    if quest is not None:
        query = query.where(Attempt.quest_id == quest.id)
    if stage is not None:
        query = query.where(Attempt.stage_id == stage.id)
    return db.session.scalar(query) is not None


@undone_on_error
def update_quest(
    *, quest: Quest, slug: str, title: str, theme: str, summary: str, by: User | None
) -> Quest:
    """Change a quest's slug, title, theme and summary.

    An empty ``slug`` keeps a published quest's address and makes a draft's from its title.
    """
    check_may_edit(quest, by)
    if not title.strip():
        raise ServiceError(_("A quest needs a title."), field="title")
    if slug.strip():
        slug = checked_slug(slug, quest=quest)
    elif quest.status == QuestStatus.DRAFT:
        slug = unused_slug(slug_from_title(title), quest=quest)
    else:
        slug = quest.slug
    if slug != quest.slug and quest.status != QuestStatus.DRAFT:
        # Students' links and their own front ends use the slug of a quest in use.
        raise ServiceError(
            _("The slug of a published quest cannot change; copy the quest instead."),
            field="slug",
        )
    before = snapshot(quest)
    quest.slug, quest.title = slug, title.strip()
    quest.theme, quest.summary = theme.strip(), summary.strip()
    record_change(actor=by, action="update", record=quest, before=before)
    db.session.commit()
    return quest


def checked_stage(draft: StageDraft) -> StageDraft:
    """Return ``draft`` if it is a complete stage of its kind, or raise on the field at fault."""
    if not draft.title.strip():
        raise ServiceError(_("A stage needs a title."), field="title")
    if not 0 <= draft.points <= 1000:
        raise ServiceError(_("Points must be between 0 and 1000."), field="points")
    problems = stage_problems(draft)
    if problems:
        # Images are in the text, whatever the kind; anything else is in the kind's own fields.
        in_text = bool(images_without_alt(draft.content))
        raise ServiceError(
            _("This stage is not complete: %(problems)s", problems="; ".join(problems)),
            field="content" if in_text else STAGE_PROBLEM_FIELDS.get(draft.kind, "content"),
        )
    return draft


# The form field that holds what a stage of each kind is missing.
STAGE_PROBLEM_FIELDS: dict[str, str] = {
    StageKind.LESSON: "content",
    StageKind.QUIZ: "questions",
    StageKind.TIMED: "questions",
    StageKind.CHECKPOINT: "prompt",
    StageKind.REFLECTION: "prompt",
    StageKind.SELF_CHECK: "items",
    StageKind.CODE: "prompt",
}


@undone_on_error
def add_stage(*, quest: Quest, draft: StageDraft, by: User | None) -> Stage:
    """Add a complete stage at the end of ``quest``."""
    check_may_edit(quest, by)
    if draft.kind not in {kind.value for kind in StageKind}:
        raise ServiceError(_("Choose what kind of stage to add."), field="kind")
    if len(quest.stages) >= MAX_STAGES:
        raise ServiceError(at_most_stages(), field="kind")
    checked_stage(draft)
    stage = stage_from(draft, len(quest.stages) + 1)
    quest.stages.append(stage)
    record_change(actor=by, action="create", record=stage)
    db.session.commit()
    return stage


@undone_on_error
def update_stage(*, stage: Stage, draft: StageDraft, by: User | None) -> Stage:
    """Change a stage's text and settings; its kind stays (add a new stage for another kind).

    Recorded attempts keep their own answers and scores, so editing a stage in use changes what
    students see next, never what was already recorded.
    """
    check_may_edit(stage.quest, by)
    if draft.kind != stage.kind:
        raise ServiceError(_("A stage keeps its kind; add a new stage instead."), field="kind")
    checked_stage(draft)
    before = snapshot(stage)
    stage.title, stage.content, stage.points = draft.title.strip(), draft.content, draft.points
    stage.settings = dict(draft.settings)
    stage.time_limit_seconds = draft.time_limit_seconds
    record_change(actor=by, action="update", record=stage, before=before)
    db.session.commit()
    return stage


@undone_on_error
def move_stage(*, stage: Stage, offset: int, by: User | None) -> Stage:
    """Move a stage ``offset`` places earlier (negative) or later, shifting the others."""
    quest = stage.quest
    check_may_edit(quest, by)
    stages = list(quest.stages)
    index = stages.index(stage)
    target = min(max(index + offset, 0), len(stages) - 1)
    if target == index:
        return stage
    before = {"position": stage.position}
    stages.insert(target, stages.pop(index))
    renumber(quest, stages)
    record_change(actor=by, action="move", record=stage, before=before)
    db.session.commit()
    return stage


def renumber(quest: Quest, stages: Sequence[Stage]) -> None:
    """Give ``stages`` positions 1, 2, 3, ... in this order.

    Positions are unique per quest, so every stage first moves out of the way (past any position
    in use) and then to its place.
    """
    offset = MAX_STAGES + len(stages) + 1
    for position, stage in enumerate(stages, start=1):
        stage.position = offset + position
    db.session.flush()
    for position, stage in enumerate(stages, start=1):
        stage.position = position
    db.session.flush()
    db.session.expire(quest, ["stages"])


@undone_on_error
def delete_stage(*, stage: Stage, by: User | None) -> None:
    """Remove a stage no student has answered; the stages after it move up."""
    quest = stage.quest
    check_may_edit(quest, by)
    if has_attempts(stage=stage):
        raise Conflict(_("Students have answered this stage, so it stays; edit it instead."))
    if quest.status == QuestStatus.PUBLISHED and len(quest.stages) <= MIN_STAGES:
        raise Conflict(
            ngettext(
                "A published quest needs at least %(num)d stage.",
                "A published quest needs at least %(num)d stages.",
                MIN_STAGES,
            ),
            field="kind",
        )
    remaining = [other for other in quest.stages if other is not stage]
    record_change(actor=by, action="delete", record=stage, before=snapshot(stage), after={})
    db.session.delete(stage)
    db.session.flush()
    renumber(quest, remaining)
    db.session.commit()


@undone_on_error
def archive_quest(*, quest: Quest, by: User | None) -> Quest:
    """Retire a quest: it leaves the list of quests to assign; its attempts and assignments stay."""
    check_may_edit(quest, by)
    before = snapshot(quest)
    quest.status = QuestStatus.ARCHIVED.value
    record_change(actor=by, action="archive", record=quest, before=before)
    db.session.commit()
    return quest


@undone_on_error
def copy_quest(*, quest: Quest, by: User) -> Quest:
    """Make a draft copy of a quest (one's own, or anyone's published quest) owned by ``by``."""
    if not may_read_quest(staff=by, quest=quest):
        raise NotAllowed(_("You can copy your own quests and published ones."))
    # Cut where the slug stays valid: a cut just after a dash would leave a double dash.
    slug = unused_slug(f"{quest.slug[:SLUG_BASE_LENGTH].rstrip('-')}-copy")
    copy = Quest(
        slug=slug,
        title=_("Copy of %(title)s", title=quest.title)[:120],
        theme=quest.theme,
        summary=quest.summary,
        status=QuestStatus.DRAFT.value,
        author=by,
        stages=[stage_from(draft_of(stage), stage.position) for stage in quest.stages],
    )
    db.session.add(copy)
    record_change(actor=by, action="copy", record=copy, before={"copied_from": quest.id})
    db.session.commit()
    return copy


@undone_on_error
def delete_quest(*, quest: Quest, by: User | None) -> None:
    """Delete a quest nobody has answered or been given; otherwise it can only be archived."""
    check_may_edit(quest, by)
    if has_attempts(quest=quest):
        raise Conflict(_("Students have answered this quest, so it stays; archive it instead."))
    if quest.assignments:
        raise Conflict(_("This quest is assigned to a classroom; remove the assignment first."))
    record_change(actor=by, action="delete", record=quest, before=snapshot(quest), after={})
    db.session.delete(quest)
    db.session.commit()


@undone_on_error
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
    slack.announce_assignment(assignment=assignment)
    return assignment


def may_manage_assignment(*, staff: User, assignment: QuestAssignment) -> bool:
    """Whether ``staff`` administers the platform or teaches the assignment's classroom."""
    return staff.is_admin or staff in assignment.classroom.teachers


@undone_on_error
def update_assignment(
    *,
    assignment: QuestAssignment,
    opens_at: datetime,
    due_at: datetime,
    by: User,
) -> QuestAssignment:
    """Move the dates a classroom's quest opens and is due."""
    if not may_manage_assignment(staff=by, assignment=assignment):
        raise NotAllowed(_("You can only change the assignments of your own classrooms."))
    if due_at <= opens_at:
        raise ServiceError(_("The due date must be after the opening date."), field="due_at")
    before = snapshot(assignment)
    assignment.opens_at, assignment.due_at = opens_at, due_at
    record_change(actor=by, action="update", record=assignment, before=before)
    db.session.commit()
    return assignment


@undone_on_error
def unassign_quest(*, assignment: QuestAssignment, by: User) -> None:
    """Take a quest back from a classroom, unless its students have already attempted it.

    Attempts are kept for good, and an attempt only counts for a classroom through the quest's
    assignment there, so taking the quest back would hide work the students have done.
    """
    if not may_manage_assignment(staff=by, assignment=assignment):
        raise NotAllowed(_("You can only change the assignments of your own classrooms."))
    attempted = db.session.scalar(
        select(Attempt.id)
        .where(
            Attempt.quest_id == assignment.quest_id,
            Attempt.student.has(User.enrollments.any(classroom_id=assignment.classroom_id)),
        )
        .limit(1)
    )
    if attempted is not None:
        raise Conflict(
            _(
                "Students of this classroom have already attempted this quest, so it stays "
                "assigned. Move its dates instead."
            )
        )
    record_change(
        actor=by, action="delete", record=assignment, before=snapshot(assignment), after={}
    )
    db.session.delete(assignment)
    db.session.commit()
