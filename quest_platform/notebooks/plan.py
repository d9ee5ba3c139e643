"""What reading a notebook makes: the plan of a quest (stages, images, notes, problems),
and the state of the reading, cell by cell."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext

from quest_platform.labels import KIND_LABELS
from quest_platform.models import DEFAULT_REFLECTION_LENGTH, StageKind
from quest_platform.notebooks.vocabulary import MAX_TITLE_LENGTH
from quest_platform.services.quests import StageDraft

# Where the plan's Markdown points at an image still to be stored (see services/notebooks.py).
PLANNED_IMAGE = re.compile(r"\(notebook-image:(\d+)")
PLANNED_ADDRESS = "notebook-image:{number}"


@dataclass(frozen=True)
class Finding:
    """A note or a problem, and the cell it is about (1-based; None: the whole notebook)."""

    message: str
    cell: int | None = None


@dataclass(frozen=True)
class CellSummary:
    """What one cell of the notebook becomes, in words."""

    number: int
    cell_type: str
    becomes: str


@dataclass(frozen=True)
class NotebookImage:
    """An image attached to a Markdown cell, checked and redrawn, waiting to be stored."""

    number: int
    cell: int
    name: str
    alt_text: str
    data: bytes
    content_type: str
    suffix: str
    width: int
    height: int

    @property
    def field_name(self) -> str:
        """The preview form's field for this image's alternative text."""
        return f"alt-{self.number}"


@dataclass(frozen=True)
class NotebookPlan:
    """What importing a notebook would make: a quest's title and stages, with their images.

    ``problems`` stop the import (nothing is saved while there is one); ``notes`` say what was
    left out or guessed. ``missing_alt`` lists images whose alternative text the teacher fills.
    """

    title: str = ""
    slug: str = ""
    summary: str = ""
    theme: str = ""
    stages: tuple[StageDraft, ...] = ()
    stage_cells: tuple[tuple[int, ...], ...] = ()
    images: tuple[NotebookImage, ...] = ()
    cells: tuple[CellSummary, ...] = ()
    notes: tuple[Finding, ...] = ()
    problems: tuple[Finding, ...] = ()

    @property
    def missing_alt(self) -> list[NotebookImage]:
        return [image for image in self.images if not image.alt_text]


class NotebookError(Exception):
    """The notebook cannot be read at all; ``problems`` say why (the plan is not made)."""

    def __init__(self, problems: list[Finding]) -> None:
        super().__init__("; ".join(problem.message for problem in problems))
        self.problems = problems


@dataclass
class Building:
    """A stage while its cells are read."""

    kind: StageKind
    title: str
    cells: list[int]
    parts: list[str] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    given: dict[str, Any] = field(default_factory=dict)
    points: int | None = None
    time_limit_seconds: int | None = None
    # A code stage: its tests so far, and whether a solution cell was read.
    tests: list[str] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)
    test_points: float = 0
    has_solution: bool = False

    @property
    def text(self) -> str:
        return "\n\n".join(part for part in self.parts if part.strip())


@dataclass
class Reader:
    """Reads the cells of one notebook in order, building stages and collecting findings."""

    language: str
    alt_texts: Mapping[str, str]
    stages: list[Building] = field(default_factory=list)
    images: list[NotebookImage] = field(default_factory=list)
    becoming: list[tuple[int, str, str, tuple[Building, ...]]] = field(default_factory=list)
    notes: list[Finding] = field(default_factory=list)
    problems: list[Finding] = field(default_factory=list)
    # The stage Markdown and code cells are still added to, and the latest code stage.
    current: Building | None = None
    last_code: Building | None = None
    # The notebook's first level-1 heading: the quest's title unless its metadata names one.
    first_h1: str = ""

    def note(self, cell: int | None, message: str) -> None:
        self.notes.append(Finding(message, cell))

    def problem(self, cell: int | None, message: str) -> None:
        self.problems.append(Finding(message, cell))

    def becomes(
        self, number: int, cell_type: str, what: str, stages: tuple[Building, ...] = ()
    ) -> None:
        """Say what cell ``number`` becomes: ``what``, whose ``%(stage)s`` names ``stages`` as
        they are once every cell is read (a lesson may yet become a code challenge)."""
        self.becoming.append((number, cell_type, what, stages))

    def summaries(self) -> tuple[CellSummary, ...]:
        """What each cell became, in words."""
        return tuple(
            CellSummary(
                number,
                cell_type,
                what % {"stage": "; ".join(self.stage_label(stage) for stage in stages)}
                if stages
                else what,
            )
            for number, cell_type, what, stages in self.becoming
        )

    def start(self, kind: StageKind, title: str, number: int) -> Building:
        """Begin a new stage at cell ``number``; an empty title gets a numbered default."""
        if not title:
            count = 1 + sum(1 for stage in self.stages if stage.kind == kind)
            title = _("%(kind)s %(number)d", kind=KIND_LABELS[kind], number=count)
            self.note(
                number, _("No heading starts this stage: it is named “%(title)s”.", title=title)
            )
        stage = Building(kind=kind, title=checked_title(self, title, number), cells=[number])
        self.stages.append(stage)
        return stage

    def stage_label(self, stage: Building) -> str:
        position = self.stages.index(stage) + 1
        return _(
            "stage %(position)d, %(kind)s “%(title)s”",
            position=position,
            kind=str(KIND_LABELS[stage.kind]).lower(),
            title=stage.title,
        )


def checked_title(reader: Reader, title: str, number: int) -> str:
    if len(title) <= MAX_TITLE_LENGTH:
        return title
    reader.note(
        number,
        ngettext(
            "The heading is cut to %(num)d character to make a stage title.",
            "The heading is cut to %(num)d characters to make a stage title.",
            MAX_TITLE_LENGTH,
        ),
    )
    return title[:MAX_TITLE_LENGTH].rstrip()


def answer_stage(reader: Reader, number: int, kind: StageKind) -> Building:
    """The stage an answer cell (nbgrader's solution) makes of the text just before it: the
    current lesson becomes a code challenge or a reflection whose prompt is that text."""
    stage = reader.current
    if stage is None or stage.kind != StageKind.LESSON or stage.given:
        stage = reader.start(kind, "", number)
    stage.kind = kind
    stage.cells.append(number)
    stage.settings["prompt"] = stage.text.strip()
    stage.parts = []
    if kind == StageKind.REFLECTION:
        stage.settings.setdefault("min_length", DEFAULT_REFLECTION_LENGTH)
    reader.current = None
    return stage


def draft_of(stage: Building) -> StageDraft:
    """A built stage as the quest services take it."""
    settings = dict(stage.settings)
    content = stage.text
    if stage.kind == StageKind.CODE:
        given = stage.given.get("settings") or {}
        if "tests" not in given:
            settings["tests"] = "\n".join(part for part in stage.tests if part)
        if "examples" not in given:
            examples = "\n".join(part for part in stage.examples if part)
            if examples or "examples" in settings:
                settings["examples"] = examples
    points = stage.points
    if points is None:
        points = round(stage.test_points) if 0 < stage.test_points <= 1000 else 10
    return StageDraft(
        kind=stage.kind.value,
        title=stage.title,
        content=content,
        points=points,
        settings=settings,
        time_limit_seconds=stage.time_limit_seconds,
    )
