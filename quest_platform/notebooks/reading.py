"""Reading a Jupyter notebook as a plan for a quest: its stages, images, notes and problems.

A pure function of the notebook's bytes (and the alternative texts a teacher filled in): the
preview shows the plan, and the import applies the same plan, so the two never drift apart.
What each kind of cell becomes, and the tags and metadata read, are in docs/notebooks.md.
"""

from __future__ import annotations

import ast
import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import nbformat.v4
from flask_babel import gettext as _
from flask_babel import ngettext
from jsonschema.exceptions import best_match
from markdown_it import MarkdownIt

from quest_platform.code_challenges import TestsError, call_test
from quest_platform.content import markdown
from quest_platform.labels import KIND_LABELS
from quest_platform.models import DEFAULT_REFLECTION_LENGTH, StageKind
from quest_platform.notebooks.vocabulary import (
    EXAMPLES_TAG,
    FORBIDDEN_HTML,
    IMAGE_TYPES,
    MARKER_LINE,
    MAX_TITLE_LENGTH,
    METADATA_KEY,
    NBFORMAT,
    NBFORMAT_MINOR,
    NOTEBOOK_MAX_BYTES,
    POINTS_RANGE,
    QUESTION_SHAPES,
    SETTING_SHAPES,
    SOLUTION_STUB,
    SOLUTION_TAG,
    STAGE_TAGS,
    TESTS_TAG,
)
from quest_platform.services.errors import ServiceError
from quest_platform.services.evidence import redrawn
from quest_platform.services.quests import StageDraft

# An image of a Markdown cell's attachments, as Jupyter writes it (with an optional title).
ATTACHMENT_IMAGE = re.compile(
    r"!\[(?P<alt>(?:[^\]\\]|\\.)*)\]\(\s*<?attachment:(?P<name>[^)\s>]+)>?"
    r"(?P<title>\s+\"[^\"]*\")?\s*\)"
)
# An HTML image tag, which lessons do not render: it becomes a Markdown image.
HTML_IMAGE = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
HTML_TAG = re.compile(r"<\s*([a-zA-Z][a-zA-Z0-9]*)")
HTML_ATTRIBUTE = r"""\b{name}\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))"""
# Where the plan's Markdown points at an image still to be stored (see services/notebooks.py).
PLANNED_IMAGE = re.compile(r"\(notebook-image:(\d+)")
PLANNED_ADDRESS = "notebook-image:{number}"
# A quiz written in Markdown: a numbered question, its choices ticked or not, or its answers.
QUESTION_LINE = re.compile(r"^\s{0,3}\d+[.)]\s+(?P<text>.+)$")
CHOICE_LINE = re.compile(r"^\s+[-*+]\s+\[(?P<mark>[ xX])\]\s+(?P<text>.+)$")
ANSWER_LINE = re.compile(r"^\s+[-*+]\s+(?:Answer|Answers|Respuesta|Respuestas):\s*(?P<text>.+)$")
EXPLANATION_LINE = re.compile(r"^\s+[-*+]\s+(?:Explanation|Explicación):\s*(?P<text>.+)$")
TASK_MARK = re.compile(r"^\[[ xX]\]\s+")
SETTING_TYPES: dict[str, type | tuple[type, ...]] = {
    "stage": str,
    "title": str,
    "points": int,
    "time_limit_seconds": int,
    "settings": dict,
    "program_tests": str,
}


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


def read_notebook(
    data: bytes, *, file_name: str = "", alt_texts: Mapping[str, str] | None = None
) -> NotebookPlan:
    """The plan for a quest that ``data`` (a notebook file's bytes) describes.

    ``alt_texts`` maps an image's field name (``alt-1``, ...) to the alternative text the
    teacher filled in for it. Every problem found is in the plan's ``problems`` (with its cell);
    a notebook that cannot be read at all gives a plan of problems alone.
    """
    try:
        notebook = parsed(data)
    except NotebookError as error:
        return NotebookPlan(problems=tuple(error.problems))
    metadata = notebook.get("metadata") or {}
    reader = Reader(language=language_of(metadata), alt_texts=alt_texts or {})
    seen_ids: dict[str, int] = {}
    for number, cell in enumerate(notebook["cells"], start=1):
        cell_id = cell.get("id")
        if isinstance(cell_id, str):
            if cell_id in seen_ids:
                reader.problem(
                    number,
                    _(
                        "Cell %(number)d has the id “%(id)s” of cell %(first)d: each cell needs "
                        "its own id (open the notebook in Jupyter and save it again).",
                        number=number,
                        id=cell_id,
                        first=seen_ids[cell_id],
                    ),
                )
            seen_ids.setdefault(cell_id, number)
        read_cell(reader, number, cell)
    if not reader.stages and not reader.problems:
        reader.problem(None, _("The notebook has no Markdown or code to make stages of."))
    if metadata.get("widgets"):
        reader.note(None, _("The notebook's widget state was left out: lessons show no widgets."))
    found = metadata.get(METADATA_KEY)
    platform: dict[str, Any] = found if isinstance(found, dict) else {}
    title = (
        text_setting(platform, "title")
        or text_setting(metadata, "title")
        or reader.first_h1
        or Path(file_name).stem.replace("_", " ").replace("-", " ").strip()
        or _("Imported notebook")
    )
    return NotebookPlan(
        title=title[:MAX_TITLE_LENGTH].strip(),
        slug=text_setting(platform, "slug"),
        summary=text_setting(platform, "summary"),
        theme=text_setting(platform, "theme"),
        stages=tuple(draft_of(stage) for stage in reader.stages),
        stage_cells=tuple(tuple(stage.cells) for stage in reader.stages),
        images=tuple(reader.images),
        cells=reader.summaries(),
        notes=tuple(reader.notes),
        problems=tuple(reader.problems),
    )


def parsed(data: bytes) -> dict[str, Any]:
    """The notebook in ``data``, checked against the notebook format; NotebookError if it is
    not JSON, not a notebook, of another version, or breaks the format (each problem named)."""
    if len(data) > NOTEBOOK_MAX_BYTES:
        raise NotebookError(
            [
                Finding(
                    _(
                        "The notebook is %(size).1f MB; the platform reads notebooks of up to "
                        "%(limit)d MB. Clear its outputs in Jupyter (Edit, Clear Outputs of All "
                        "Cells), save, and upload it again.",
                        size=len(data) / (1024 * 1024),
                        limit=NOTEBOOK_MAX_BYTES // (1024 * 1024),
                    )
                )
            ]
        )
    try:
        notebook = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise NotebookError(
            [Finding(_("This file is not a notebook: a Jupyter notebook (.ipynb) is JSON text."))]
        ) from None
    if not isinstance(notebook, dict) or ("cells" not in notebook and "worksheets" not in notebook):
        raise NotebookError(
            [Finding(_("This file is JSON but not a Jupyter notebook: it has no cells."))]
        )
    version, minor = notebook.get("nbformat"), notebook.get("nbformat_minor")
    if version != NBFORMAT or not isinstance(minor, int) or isinstance(minor, bool):
        raise NotebookError(
            [
                Finding(
                    _(
                        "This notebook is in format version %(version)s; the platform reads "
                        "version 4. Open it in Jupyter and save it: Jupyter updates it.",
                        version=version if isinstance(version, int) else "?",
                    )
                )
            ]
        )
    if not 0 <= minor <= NBFORMAT_MINOR:
        raise NotebookError(
            [
                Finding(
                    _(
                        "This notebook is in format 4.%(minor)d, newer than the 4.%(newest)d the "
                        "platform reads. Save it from Jupyter as format 4.%(newest)d.",
                        minor=minor,
                        newest=NBFORMAT_MINOR,
                    )
                )
            ]
        )
    problems = format_problems(notebook, minor)
    if problems:
        raise NotebookError(problems)
    return notebook


@cache
def schema_of(minor: int) -> dict[str, Any]:
    """The JSON schema of notebook format 4.``minor``, as nbformat ships it."""
    name = f"nbformat.v4.{minor}.schema.json"
    path = Path(nbformat.v4.__file__).parent / name
    result: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return result


def format_problems(notebook: dict[str, Any], minor: int) -> list[Finding]:
    """Where ``notebook`` breaks the notebook format: the notebook's own fields, then each cell
    against the schema of its type (so a message names what is wrong with that cell)."""
    schema = schema_of(minor)
    validator_class = jsonschema.validators.validator_for(schema)
    problems = [
        Finding(_("The notebook does not follow the notebook format: %(detail)s", detail=detail))
        for detail in schema_errors(validator_class(schema), {**notebook, "cells": []})
    ]
    cells = notebook.get("cells")
    if not isinstance(cells, list):
        return problems or [Finding(_("The notebook's cells are not a list."))]
    definitions = schema.get("definitions", {})
    for number, cell in enumerate(cells, start=1):
        cell_type = cell.get("cell_type") if isinstance(cell, dict) else None
        definition = f"{cell_type}_cell"
        if not isinstance(cell_type, str) or definition not in definitions:
            problems.append(
                Finding(
                    _(
                        "Cell %(number)d is of no known type: a cell is Markdown, code or raw.",
                        number=number,
                    ),
                    number,
                )
            )
            continue
        cell_schema = {"$ref": f"#/definitions/{definition}", "definitions": definitions}
        for detail in schema_errors(validator_class(cell_schema), cell):
            problems.append(
                Finding(
                    _(
                        "Cell %(number)d does not follow the notebook format: %(detail)s",
                        number=number,
                        detail=detail,
                    ),
                    number,
                )
            )
    return problems


def schema_errors(validator: Any, instance: Any) -> list[str]:
    """What the schema validator says is wrong with ``instance``, one line each."""
    details = []
    for error in validator.iter_errors(instance):
        error = best_match(error.context) if error.context else error
        where = "/".join(str(part) for part in error.absolute_path)
        details.append(f"{where}: {error.message}" if where else error.message)
    return details


def language_of(metadata: Mapping[str, Any]) -> str:
    """The language of the notebook's code cells (Python unless it says otherwise)."""
    info = metadata.get("language_info")
    name = info.get("name") if isinstance(info, dict) else None
    if not isinstance(name, str):
        kernel = metadata.get("kernelspec")
        name = kernel.get("language") if isinstance(kernel, dict) else None
    return name.lower() if isinstance(name, str) and name.isidentifier() else "python"


def text_setting(mapping: Mapping[str, Any], key: str) -> str:
    value = mapping.get(key)
    return value.strip() if isinstance(value, str) else ""


def source_of(cell: Mapping[str, Any]) -> str:
    """A cell's text (the format allows a string or a list of lines)."""
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def read_cell(reader: Reader, number: int, cell: Mapping[str, Any]) -> None:
    """Add what one cell says to the stages being built."""
    cell_type = cell["cell_type"]
    if cell_type == "raw":
        reader.becomes(number, cell_type, _("Left out: raw cells are not shown in lessons."))
        reader.note(number, _("Raw cell %(number)d was left out.", number=number))
        return
    platform = platform_metadata(reader, number, cell)
    if cell_type == "markdown":
        read_markdown_cell(reader, number, cell, platform)
    else:
        read_code_cell(reader, number, cell, platform)


def platform_metadata(reader: Reader, number: int, cell: Mapping[str, Any]) -> dict[str, Any]:
    """The cell's ``quest_platform`` metadata, each key checked (wrong ones are problems)."""
    value = (cell.get("metadata") or {}).get(METADATA_KEY)
    if value is None:
        return {}
    if not isinstance(value, dict):
        reader.problem(
            number,
            _(
                "Cell %(number)d: its “%(key)s” metadata must be an object.",
                number=number,
                key=METADATA_KEY,
            ),
        )
        return {}
    kept = {}
    for key, kind in SETTING_TYPES.items():
        if key not in value:
            continue
        if not isinstance(value[key], kind) or isinstance(value[key], bool):
            reader.problem(
                number,
                _(
                    "Cell %(number)d: the metadata “%(key)s” has a value of the wrong type.",
                    number=number,
                    key=f"{METADATA_KEY}.{key}",
                ),
            )
            continue
        kept[key] = value[key]
    low, high = POINTS_RANGE
    if "points" in kept and not low <= kept["points"] <= high:
        reader.problem(
            number,
            _(
                "Cell %(number)d: points must be between %(low)d and %(high)d.",
                number=number,
                low=low,
                high=high,
            ),
        )
        kept.pop("points")
    if "time_limit_seconds" in kept and kept["time_limit_seconds"] <= 0:
        reader.problem(
            number, _("Cell %(number)d: a time limit must be a positive number.", number=number)
        )
        kept.pop("time_limit_seconds")
    if "settings" in kept:
        kept["settings"] = checked_settings(reader, number, kept["settings"])
    stage = kept.get("stage")
    if stage is not None and stage not in {kind.value for kind in StageKind}:
        reader.problem(
            number,
            _("Cell %(number)d: “%(stage)s” is not a kind of stage.", number=number, stage=stage),
        )
        kept.pop("stage")
    return kept


def checked_settings(reader: Reader, number: int, settings: dict[str, Any]) -> dict[str, Any]:
    """The stage settings of a cell's metadata whose values have their shape (see
    SETTING_SHAPES); a wrong shape is a problem, an unknown key a note."""
    kept = {}
    for key, value in settings.items():
        shape = SETTING_SHAPES.get(key)
        if shape is None:
            reader.note(
                number,
                _(
                    "Cell %(number)d: the setting “%(key)s” is not one the platform knows; it was "
                    "left out.",
                    number=number,
                    key=key,
                ),
            )
        elif has_shape(value, shape):
            kept[key] = value
        else:
            reader.problem(
                number,
                _(
                    "Cell %(number)d: the setting “%(key)s” has a value of the wrong type.",
                    number=number,
                    key=key,
                ),
            )
    return kept


def has_shape(value: Any, shape: str) -> bool:
    """Whether ``value`` is of ``shape``: text, texts, number, numbers, flag or questions."""
    match shape:
        case "text":
            return isinstance(value, str)
        case "texts":
            return isinstance(value, list) and all(isinstance(item, str) for item in value)
        case "number":
            return isinstance(value, int) and not isinstance(value, bool)
        case "numbers":
            return isinstance(value, list) and all(has_shape(item, "number") for item in value)
        case "flag":
            return isinstance(value, bool)
        case "questions":
            return isinstance(value, list) and all(
                isinstance(question, dict)
                and all(
                    key in QUESTION_SHAPES and has_shape(item, QUESTION_SHAPES[key])
                    for key, item in question.items()
                )
                for question in value
            )
    return False


def tags_of(cell: Mapping[str, Any]) -> set[str]:
    tags = (cell.get("metadata") or {}).get("tags") or []
    return {str(tag).strip().lower() for tag in tags if isinstance(tag, str)}


def nbgrader_of(cell: Mapping[str, Any]) -> dict[str, Any]:
    value = (cell.get("metadata") or {}).get("nbgrader")
    return value if isinstance(value, dict) else {}


def stage_kind_of(cell: Mapping[str, Any], platform: Mapping[str, Any]) -> StageKind | None:
    """The kind of stage a cell's metadata or tags name, if any."""
    if "stage" in platform:
        return StageKind(platform["stage"])
    for tag in sorted(tags_of(cell)):
        if tag in STAGE_TAGS:
            return STAGE_TAGS[tag]
    return None


# Markdown cells


def read_markdown_cell(
    reader: Reader, number: int, cell: Mapping[str, Any], platform: dict[str, Any]
) -> None:
    text = markdown_of(reader, number, cell)
    kind = stage_kind_of(cell, platform)
    nbgrader = nbgrader_of(cell)
    if kind is None and nbgrader.get("solution"):
        # nbgrader's written answer: the text before it asked the question.
        stage = answer_stage(reader, number, StageKind.REFLECTION)
        points = nbgrader.get("points")
        low, high = POINTS_RANGE
        if (
            isinstance(points, int | float)
            and not isinstance(points, bool)
            and low <= points <= high
        ):
            # A manually graded answer is worth what nbgrader gives it.
            stage.points = round(points)
        reader.becomes(number, "markdown", _("The answer space of a reflection (left out)."))
        return
    if kind is not None and (platform or kind != StageKind.LESSON):
        title, body = split_title(text)
        stage = reader.start(kind, platform.get("title") or title, number)
        stage.given = platform
        settle(reader, stage, body, number)
        reader.current = stage if kind == StageKind.LESSON else None
        if kind == StageKind.CODE:
            reader.current = reader.last_code = stage
        reader.becomes(number, "markdown", "%(stage)s", (stage,))
        return
    read_sections(reader, number, text, new_stage=kind == StageKind.LESSON)


def read_sections(reader: Reader, number: int, text: str, *, new_stage: bool) -> None:
    """Lesson text: a new lesson at each level-1 or level-2 heading, else more of the current
    one."""
    stages: list[Building] = []
    for index, (title, level, body) in enumerate(sections(text)):
        if level == 1 and not reader.first_h1:
            reader.first_h1 = title or ""
        starts = title is not None or (new_stage and index == 0)
        stage = reader.current
        if starts or stage is None or stage.kind != StageKind.LESSON:
            stage = reader.start(StageKind.LESSON, title or "", number)
            reader.current = stage
        elif number not in stage.cells:
            stage.cells.append(number)
        stage.parts.append(body)
        stages.append(stage)
    if stages:
        # Each stage once, by identity (a stage being built is not hashable).
        once = tuple({id(stage): stage for stage in stages}.values())
        reader.becomes(number, "markdown", "%(stage)s", once)
    else:
        reader.becomes(number, "markdown", _("Empty: left out."))


def sections(text: str) -> list[tuple[str | None, int, str]]:
    """``text`` cut at its level-1 and level-2 headings: (heading, its level, text after it),
    the first with no heading (level 0) when text comes before the first heading."""
    lines = text.split("\n")
    tokens = markdown().parse(text)
    cuts = [
        (token.map[0], token.map[1], heading_text(tokens, index), int(token.tag[1]))
        for index, token in enumerate(tokens)
        if token.type == "heading_open" and token.level == 0 and token.tag in {"h1", "h2"}
        if token.map
    ]
    found: list[tuple[str | None, int, str]] = []
    start, title, level = 0, None, 0
    for begin, end, heading, heading_level in cuts:
        body = "\n".join(lines[start:begin]).strip("\n")
        if title is not None or body.strip():
            found.append((title, level, body))
        title, level, start = heading, heading_level, end
    body = "\n".join(lines[start:]).strip("\n")
    if title is not None or body.strip():
        found.append((title, level, body))
    return found


def heading_text(tokens: list[Any], index: int) -> str:
    """The plain words of the heading whose opening token is at ``index``."""
    inline = tokens[index + 1]
    words = [
        child.content if child.type in {"text", "code_inline"} else " "
        for child in inline.children or []
        if child.type in {"text", "code_inline", "softbreak", "hardbreak"}
    ]
    return " ".join("".join(words).split())


def split_title(text: str) -> tuple[str, str]:
    """A cell's leading heading (any level) as a title, and the text after it (less the one
    blank line that follows a heading)."""
    tokens = markdown().parse(text)
    first = next((t for t in tokens if t.level == 0 and t.map), None)
    if first is None or first.type != "heading_open" or first.map is None:
        return "", text
    lines = text.split("\n")[first.map[1] :]
    if lines and not lines[0].strip():
        lines = lines[1:]
    return heading_text(tokens, tokens.index(first)), "\n".join(lines)


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


def markdown_of(reader: Reader, number: int, cell: Mapping[str, Any]) -> str:
    """A Markdown cell's text with its raw HTML dealt with and its attached images planned."""
    text = html_handled(reader, number, source_of(cell))
    attachments = cell.get("attachments") or {}
    used: set[str] = set()

    def planned(match: re.Match[str]) -> str:
        name = match.group("name")
        used.add(name)
        image = planned_image(reader, number, name, attachments.get(name), match.group("alt"))
        if image is None:
            return match.group(0)
        title = match.group("title") or ""
        written = match.group("alt")
        alt = written if unescaped(written) == image.alt_text else escaped_alt(image.alt_text)
        return f"![{alt}]({PLANNED_ADDRESS.format(number=image.number)}{title})"

    text = ATTACHMENT_IMAGE.sub(planned, text)
    for name in sorted(set(attachments) - used):
        reader.note(
            number,
            _(
                "The attachment “%(name)s” of cell %(number)d is not shown in its text: it was "
                "left out.",
                name=name,
                number=number,
            ),
        )
    # Images refused above are already reported: only other ways of pointing are looked for.
    unread = ATTACHMENT_IMAGE.sub("", text)
    if "](attachment:" in unread or "(<attachment:" in unread:
        reader.problem(
            number,
            _(
                "Cell %(number)d refers to an attachment in a way the platform does not read: "
                "write images as ![description](attachment:name.png).",
                number=number,
            ),
        )
    return text


@cache
def html_markdown() -> MarkdownIt:
    """A parser that sees raw HTML (lessons' own parser escapes it), to find it outside code."""
    return MarkdownIt("commonmark", {"html": True})


def html_handled(reader: Reader, number: int, text: str) -> str:
    """``text`` with raw HTML outside code dealt with: scripts and frames are problems, comments
    are dropped, images become Markdown images, and other tags (which lessons show as text) are
    noted. HTML inside code blocks and code spans is code, and stays."""
    lines = text.split("\n")
    # (first line, line after the last, the HTML, whether it is inside a paragraph's text)
    found: list[tuple[int, int, str, bool]] = []
    for token in html_markdown().parse(text):
        if token.type == "html_block" and token.map:
            found.append((token.map[0], token.map[1], token.content, False))
        elif token.type == "inline" and token.map:
            found.extend(
                (token.map[0], token.map[1], child.content, True)
                for child in token.children or []
                if child.type == "html_inline"
            )
    shown_as_text: set[str] = set()
    for begin, end, html, inline in reversed(found):
        for tag in sorted({match.group(1).lower() for match in FORBIDDEN_HTML.finditer(html)}):
            reader.problem(
                number,
                _(
                    "Cell %(number)d holds HTML that lessons never show (<%(tag)s>): take it "
                    "out, or link to the page instead.",
                    number=number,
                    tag=tag,
                ),
            )
        if html.lstrip().startswith("<!--") and inline:
            # A comment inside a paragraph: the comment goes, the paragraph's words stay (its
            # line breaks are kept, so the lines of the HTML found before it do not move).
            paragraph = "\n".join(lines[begin:end]).replace(html, "\n" * html.count("\n"), 1)
            lines[begin:end] = paragraph.split("\n")
            continue
        if html.lstrip().startswith("<!--"):
            del lines[begin:end]
            continue
        lines[begin:end] = [HTML_IMAGE.sub(markdown_image, line) for line in lines[begin:end]]
        shown_as_text.update(
            tag
            for tag in HTML_TAG.findall(HTML_IMAGE.sub("", html))
            # Scripts and frames are problems above, not text to note.
            if not FORBIDDEN_HTML.match(f"<{tag}")
        )
    if shown_as_text:
        reader.note(
            number,
            _(
                "Cell %(number)d holds HTML (%(tags)s), which lessons show as text: write it in "
                "Markdown instead.",
                number=number,
                tags=", ".join(f"<{tag.lower()}>" for tag in sorted(shown_as_text)),
            ),
        )
    return "\n".join(lines)


def markdown_image(match: re.Match[str]) -> str:
    """An HTML ``<img>`` tag as a Markdown image (its size is left to the page)."""
    tag = match.group(0)
    source, alt = html_attribute(tag, "src"), html_attribute(tag, "alt")
    if not source:
        return ""
    return f"![{escaped_alt(alt)}]({source})"


def html_attribute(tag: str, name: str) -> str:
    found = re.search(HTML_ATTRIBUTE.format(name=name), tag, re.IGNORECASE)
    return next((group for group in found.groups() if group is not None), "") if found else ""


def escaped_alt(alt: str) -> str:
    return re.sub(r"([\\\[\]])", r"\\\1", " ".join(alt.split()))


def planned_image(
    reader: Reader, number: int, name: str, bundle: Any, alt: str
) -> NotebookImage | None:
    """Check an attachment shown in cell ``number`` and plan it as a lesson image."""
    if not isinstance(bundle, dict) or not bundle:
        reader.problem(
            number,
            _(
                "Cell %(number)d shows the attachment “%(name)s”, which the cell does not have.",
                number=number,
                name=name,
            ),
        )
        return None
    content_type = next((kind for kind in bundle if kind in IMAGE_TYPES), None)
    if content_type is None:
        reader.problem(
            number,
            _(
                "The attachment “%(name)s” of cell %(number)d is %(type)s, not an image: lessons "
                "keep PNG, JPEG and GIF images only.",
                name=name,
                number=number,
                type=", ".join(sorted(map(str, bundle))),
            ),
        )
        return None
    try:
        data = base64.b64decode(str(bundle[content_type]), validate=False)
        kept, redrawn_data, (width, height) = redrawn(data)
    except (binascii.Error, ValueError, ServiceError):
        reader.problem(
            number,
            _(
                "The attachment “%(name)s” of cell %(number)d is not a whole PNG, JPEG or GIF "
                "image.",
                name=name,
                number=number,
            ),
        )
        return None
    image_number = len(reader.images) + 1
    field_name = f"alt-{image_number}"
    alt = unescaped(alt)
    if is_file_name(alt, name):
        alt = ""
    alt = " ".join(reader.alt_texts.get(field_name, "").split()) or alt
    image = NotebookImage(
        number=image_number,
        cell=number,
        name=name,
        alt_text=alt,
        data=redrawn_data,
        content_type="image/png" if kept == "PNG" else "image/jpeg",
        suffix=".png" if kept == "PNG" else ".jpg",
        width=width,
        height=height,
    )
    reader.images.append(image)
    if not alt:
        reader.note(
            number,
            _(
                "The image “%(name)s” in cell %(number)d has no description: write one for "
                "students who cannot see it.",
                name=name,
                number=number,
            ),
        )
    return image


def unescaped(alt: str) -> str:
    return " ".join(re.sub(r"\\(.)", r"\1", alt).split())


def is_file_name(alt: str, name: str) -> bool:
    """Whether ``alt`` only repeats the attachment's file name (Jupyter's default), which
    describes nothing."""
    folded = alt.strip().lower()
    stem = name.rsplit(".", 1)[0].lower()
    return folded in {"", name.lower(), stem, "image", "image.png", "png", "jpg"}


def settle(reader: Reader, stage: Building, body: str, number: int) -> None:
    """Give a stage begun by a tagged cell its text and settings. Settings in the cell's
    metadata are the stage's own (as an exported notebook has them); without them, the text is
    read by the conventions of the stage's kind. Either way, a stage that asks a question and
    names no prompt takes its text as the prompt."""
    given = stage.given
    stage.points = given.get("points")
    stage.time_limit_seconds = given.get("time_limit_seconds")
    settings = dict(given["settings"]) if "settings" in given else conventional(stage.kind, body)
    content = settings.pop(CONVENTIONAL_TEXT, body)
    prompted = stage.kind in {StageKind.CHECKPOINT, StageKind.REFLECTION, StageKind.CODE}
    if prompted and "prompt" not in settings:
        settings["prompt"], content = content, ""
    stage.settings = settings
    stage.parts = [content]


# The key under which ``conventional`` returns what is left of the text.
CONVENTIONAL_TEXT = "__text__"


def conventional(kind: StageKind, text: str) -> dict[str, Any]:
    """The settings a tagged cell's text gives by the conventions of ``kind`` (a checkpoint's
    last list is its rubric, a self-check's its items, a quiz's numbered list its questions),
    with the rest of the text under CONVENTIONAL_TEXT."""
    match kind:
        case StageKind.CHECKPOINT:
            rest, rubric = last_list(text)
            return {CONVENTIONAL_TEXT: rest, "rubric": rubric, "evidence": ["code"]}
        case StageKind.SELF_CHECK:
            rest, items = last_list(text)
            return {CONVENTIONAL_TEXT: rest, "items": items}
        case StageKind.QUIZ | StageKind.TIMED:
            rest, questions = quiz_questions(text)
            return {CONVENTIONAL_TEXT: rest, "questions": questions}
        case StageKind.REFLECTION:
            return {"min_length": DEFAULT_REFLECTION_LENGTH}
    return {}


def last_list(text: str) -> tuple[str, list[str]]:
    """The last bulleted list of ``text`` as items (a task list's boxes dropped), and the text
    without it."""
    tokens = markdown().parse(text)
    lists = [
        index
        for index, token in enumerate(tokens)
        if token.type == "bullet_list_open" and token.level == 0 and token.map
    ]
    if not lists:
        return text, []
    start = lists[-1]
    begin, end = tokens[start].map or (0, 0)
    items = []
    depth = 0
    for token in tokens[start:]:
        if token.type == "bullet_list_open":
            depth += 1
        elif token.type == "bullet_list_close":
            depth -= 1
            if depth == 0:
                break
        elif token.type == "inline" and depth == 1 and token.level == 3:
            items.append(TASK_MARK.sub("", " ".join(token.content.split())))
    lines = text.split("\n")
    rest = "\n".join([*lines[:begin], *lines[end:]]).strip("\n")
    return rest, [item for item in items if item]


def quiz_questions(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Questions written as a numbered list, each with ticked choices (``- [x]``) or accepted
    answers (``- Answer: 42 | forty-two``), and the text before them."""
    questions: list[dict[str, Any]] = []
    intro: list[str] = []
    for line in text.split("\n"):
        numbered = QUESTION_LINE.match(line)
        if numbered:
            questions.append(
                {
                    "id": f"q{len(questions) + 1}",
                    "prompt": numbered["text"].strip(),
                    "choices": [],
                    "answer": [],
                }
            )
            continue
        if not questions:
            intro.append(line)
            continue
        current = questions[-1]
        if choice := CHOICE_LINE.match(line):
            if choice["mark"] != " ":
                current["answer"].append(len(current["choices"]))
            current["choices"].append(choice["text"].strip())
        elif answer := ANSWER_LINE.match(line):
            current.setdefault("accepted", []).extend(
                part.strip() for part in answer["text"].split("|") if part.strip()
            )
        elif explanation := EXPLANATION_LINE.match(line):
            current["explanation"] = explanation["text"].strip()
        elif line.strip():
            current["prompt"] = f"{current['prompt']} {line.strip()}"
    for question in questions:
        if question.get("accepted") and not question["choices"]:
            question["type"] = "short"
            del question["choices"], question["answer"]
        else:
            question["type"] = "single" if len(question["answer"]) == 1 else "multiple"
            question.pop("accepted", None)
    return "\n".join(intro).strip("\n"), questions


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


# Code cells


def read_code_cell(
    reader: Reader, number: int, cell: Mapping[str, Any], platform: dict[str, Any]
) -> None:
    source = source_of(cell).replace("\r\n", "\n")
    drop_outputs(reader, number, cell)
    tags, nbgrader = tags_of(cell), nbgrader_of(cell)
    if nbgrader.get("solution") or SOLUTION_TAG in tags:
        read_solution(reader, number, source, platform)
    elif nbgrader.get("grade") or TESTS_TAG in tags or EXAMPLES_TAG in tags:
        examples = EXAMPLES_TAG in tags and not nbgrader.get("grade")
        read_tests(reader, number, source, platform, nbgrader, examples=examples)
    elif not source.strip():
        reader.becomes(number, "code", _("Empty: left out."))
    else:
        stage = reader.current
        if stage is None or stage.kind != StageKind.LESSON:
            stage = reader.current = reader.start(StageKind.LESSON, "", number)
        elif number not in stage.cells:
            stage.cells.append(number)
        stage.parts.append(f"```{reader.language}\n{source.strip(chr(10))}\n```")
        reader.becomes(number, "code", _("A code block of %(stage)s"), (stage,))


def drop_outputs(reader: Reader, number: int, cell: Mapping[str, Any]) -> None:
    outputs = cell.get("outputs") or []
    if not outputs:
        return
    widgets = any(
        "application/vnd.jupyter.widget-view+json" in (output.get("data") or {})
        for output in outputs
        if isinstance(output, dict)
    )
    reader.note(
        number,
        _("The widgets and outputs of cell %(number)d were left out.", number=number)
        if widgets
        else ngettext(
            "The output of cell %(cell)d was left out.",
            "The %(num)d outputs of cell %(cell)d were left out.",
            len(outputs),
            cell=number,
        ),
    )


def read_solution(reader: Reader, number: int, source: str, platform: dict[str, Any]) -> None:
    """A solution cell: its stage becomes a code challenge with starter code and a solution."""
    current = reader.current
    if current is not None and current.kind == StageKind.CODE and not current.has_solution:
        stage = current
        stage.cells.append(number)
    else:
        stage = answer_stage(reader, number, StageKind.CODE)
        if platform:
            stage.given = platform
            stage.settings.update(platform.get("settings") or {})
    stage.has_solution = True
    try:
        starter, solution = solution_parts(source)
    except ValueError as error:
        reader.problem(number, _("Cell %(number)d: %(problem)s", number=number, problem=error))
        starter, solution = "", source
    else:
        if not any(MARKER_LINE.match(line) for line in source.split("\n")):
            reader.note(
                number,
                _(
                    "Cell %(number)d marks no solution region (### BEGIN SOLUTION … ### END "
                    "SOLUTION): all of it is the reference solution, and students start from "
                    "a stub.",
                    number=number,
                ),
            )
    stage.settings.setdefault("starter_code", starter)
    stage.settings["solution"] = solution
    reader.current = stage
    reader.last_code = stage
    reader.becomes(
        number, "code", _("The starter code and reference solution of %(stage)s"), (stage,)
    )


def solution_parts(source: str) -> tuple[str, str]:
    """A solution cell's starter code (each solution region replaced by a stub) and its
    reference solution (the cell without the marker lines). ValueError names a region left open
    or closed without its start."""
    lines = source.split("\n")
    starter: list[str] = []
    begin: int | None = None
    for index, line in enumerate(lines):
        marker = MARKER_LINE.match(line)
        if marker is None:
            if begin is None:
                starter.append(line)
            continue
        if marker.group(1) == "BEGIN SOLUTION":
            if begin is not None:
                raise ValueError(
                    _("line %(line)d starts a solution region inside another.", line=index + 1)
                )
            begin = index
            indent = line[: len(line) - len(line.lstrip())]
            starter.extend(indent + stub for stub in SOLUTION_STUB)
        else:
            if begin is None:
                raise ValueError(
                    _("line %(line)d ends a solution region that never began.", line=index + 1)
                )
            begin = None
    if begin is not None:
        raise ValueError(
            _(
                "the solution region begun on line %(line)d has no “### END SOLUTION”.",
                line=begin + 1,
            )
        )
    if not any(MARKER_LINE.match(line) for line in lines):
        return "\n".join(SOLUTION_STUB), source
    return "\n".join(starter), removed_markers(source)


def removed_markers(source: str) -> str:
    """``source`` without its marker lines. Each goes with one line break, so a solution
    written between two markers (as notebooks are written here) comes back exactly."""
    return "\n".join(line for line in source.split("\n") if not MARKER_LINE.match(line))


def read_tests(
    reader: Reader,
    number: int,
    source: str,
    platform: dict[str, Any],
    nbgrader: Mapping[str, Any],
    *,
    examples: bool,
) -> None:
    """A test cell: hidden tests (or examples) of the latest code challenge."""
    stage = reader.last_code
    if stage is None:
        reader.problem(
            number,
            _(
                "Cell %(number)d holds tests, but no code challenge comes before it: put the "
                "solution cell first.",
                number=number,
            ),
        )
        reader.becomes(number, "code", _("Tests of no challenge (refused)."))
        return
    stage.cells.append(number)
    lines = test_lines(reader, number, source)
    program_tests = platform.get("program_tests", "")
    text = "\n".join([*lines, *([program_tests] if program_tests else [])])
    (stage.examples if examples else stage.tests).append(text)
    points = nbgrader.get("points")
    if not examples and isinstance(points, int | float) and not isinstance(points, bool):
        stage.test_points += points
    what = _("Examples of %(stage)s") if examples else _("Hidden tests of %(stage)s")
    reader.becomes(number, "code", what, (stage,))


def test_lines(reader: Reader, number: int, source: str) -> list[str]:
    """A test cell's asserts as the platform's tests (``call == expected``), one per line;
    imports are left out, anything else is a problem naming its line."""
    found: list[str] = []
    for index, line in enumerate(source.split("\n") if source else [], start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            found.append(line)
            continue
        test = test_of(stripped)
        if test == "":
            continue
        problem = None
        if test is None:
            problem = _(
                "Cell %(number)d, line %(line)d is not a test the platform can run: write one "
                "assert per line, such as assert add(2, 3) == 5.",
                number=number,
                line=index,
            )
        else:
            try:
                call_test(test, index, test_id="check")
            except TestsError as error:
                problem = _("Cell %(number)d: %(problem)s", number=number, problem=error)
        if problem:
            reader.problem(number, problem)
        else:
            found.append(str(test))
    return found


def test_of(line: str) -> str | None:
    """The platform's test an assert line makes (``assert f(1) == 2`` gives ``f(1) == 2``;
    nose's ``assert_equal(f(1), 2)`` too); "" for an import or a docstring; None for anything
    else."""
    try:
        tree = ast.parse(line)
    except SyntaxError:
        return None
    if len(tree.body) != 1:
        return None
    statement = tree.body[0]
    if isinstance(statement, ast.Import | ast.ImportFrom):
        return ""
    if (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Constant)
        and isinstance(statement.value.value, str)
    ):
        # nbgrader's test cells open with a one-line docstring: """Check that ..."""
        return ""
    if isinstance(statement, ast.Assert):
        return ast.get_source_segment(line, statement.test)
    if (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Call)
        and isinstance(statement.value.func, ast.Name)
        and statement.value.func.id in {"assert_equal", "assertEqual"}
        and len(statement.value.args) == 2
    ):
        left, right = (ast.get_source_segment(line, arg) for arg in statement.value.args)
        return f"{left} == {right}"
    return None


# The plan


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


def planned_images_in(text: str) -> list[int]:
    """The numbers of the planned images ``text`` shows."""
    return [int(number) for number in PLANNED_IMAGE.findall(text)]
