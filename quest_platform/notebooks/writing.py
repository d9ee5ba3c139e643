"""Writing a quest as a Jupyter notebook (format 4.5) that reads back as the same quest.

Each stage is a Markdown cell: its title as a level-2 heading, then its text (or, for a stage
whose introduction is empty, its prompt), with the stage's kind, points and other settings in
the cell's ``quest_platform`` metadata. A code challenge adds nbgrader's cells after it: the
reference solution between ``### BEGIN SOLUTION`` and ``### END SOLUTION``, the hidden tests as
asserts in a locked, graded cell, and the examples in a cell tagged ``examples``. Lesson images
travel as the cell's attachments. See docs/notebooks.md.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from quest_platform.code_challenges import INPUT
from quest_platform.models import Quest, Stage, StageKind
from quest_platform.notebooks.vocabulary import (
    BEGIN_LINE,
    END_LINE,
    EXAMPLES_TAG,
    LESSON_IMAGE_PREFIX,
    METADATA_KEY,
    NBFORMAT,
    NBFORMAT_MINOR,
)

# A lesson image in a stage's Markdown, by the address the platform serves it at.
LESSON_IMAGE = re.compile(
    r"(?P<head>!\[(?:[^\]\\]|\\.)*\]\(\s*)"
    + re.escape(LESSON_IMAGE_PREFIX)
    + r"(?P<name>[\w-]+\.\w+)"
)
PROMPTED = frozenset({StageKind.CHECKPOINT, StageKind.REFLECTION, StageKind.CODE})
# Code settings that travel in cells of their own rather than in the metadata.
IN_CODE_CELLS = ("solution", "tests", "examples")


@dataclass(frozen=True)
class ImageFile:
    """A stored lesson image, as the notebook attaches it."""

    file_name: str
    content_type: str
    data: bytes


def notebook_of(quest: Quest, *, images: Mapping[str, ImageFile]) -> dict[str, Any]:
    """``quest`` as a notebook (a JSON-ready dict); ``images`` maps the stored name of each
    lesson image its stages show to the image."""
    cells: list[dict[str, Any]] = []
    for stage in quest.stages:
        cells.extend(stage_cells(stage, images))
    return {
        "nbformat": NBFORMAT,
        "nbformat_minor": NBFORMAT_MINOR,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
            METADATA_KEY: {
                "title": quest.title,
                "summary": quest.summary,
                "theme": quest.theme,
                "slug": quest.slug,
            },
        },
        "cells": cells,
    }


def notebook_bytes(notebook: Mapping[str, Any]) -> bytes:
    """A notebook as Jupyter writes its files: indented JSON, non-ASCII text kept as it is."""
    return (json.dumps(notebook, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def stage_cells(stage: Stage, images: Mapping[str, ImageFile]) -> list[dict[str, Any]]:
    """The cells of one stage: its Markdown cell, then a code challenge's code cells."""
    settings = dict(stage.settings or {})
    body = stage.content
    if stage.kind in PROMPTED and not body.strip():
        body = str(settings.pop("prompt", ""))
    if stage.kind == StageKind.CODE:
        code = {key: str(settings.pop(key, "")) for key in IN_CODE_CELLS}
    # The settings go even when empty: settings in the metadata are the stage's own, where
    # a notebook without them has its text read by the conventions of the stage's kind.
    platform: dict[str, Any] = {
        "stage": stage.kind,
        "title": stage.title,
        "points": stage.points,
        "settings": settings,
    }
    if stage.time_limit_seconds is not None:
        platform["time_limit_seconds"] = stage.time_limit_seconds
    source, attachments = with_attachments(f"## {stage.title}\n\n{body}", images)
    cell: dict[str, Any] = {
        "cell_type": "markdown",
        "id": f"stage-{stage.position}",
        "metadata": {METADATA_KEY: platform},
        "source": source,
    }
    if attachments:
        cell["attachments"] = attachments
    if stage.kind != StageKind.CODE:
        return [cell]
    return [cell, *code_cells(stage.position, stage.points, code)]


def code_cells(position: int, points: int, code: Mapping[str, str]) -> list[dict[str, Any]]:
    """A code challenge's solution cell, hidden tests cell and examples cell (when it has
    tests or examples), marked as nbgrader marks them."""
    nbgrader = {"schema_version": 3, "grade_id": f"stage-{position}-solution"}
    cells = [
        code_cell(
            f"stage-{position}-solution",
            f"{BEGIN_LINE}\n{code['solution']}\n{END_LINE}",
            {"nbgrader": {**nbgrader, "grade": False, "solution": True, "locked": False}},
        )
    ]
    if code["tests"]:
        asserts, program_tests = assert_form(code["tests"])
        metadata: dict[str, Any] = {
            "nbgrader": {
                **nbgrader,
                "grade_id": f"stage-{position}-tests",
                "grade": True,
                "solution": False,
                "locked": True,
                "points": points,
            }
        }
        if program_tests:
            metadata[METADATA_KEY] = {"program_tests": program_tests}
        cells.append(code_cell(f"stage-{position}-tests", asserts, metadata))
    if code["examples"]:
        asserts, program_tests = assert_form(code["examples"])
        metadata = {"tags": [EXAMPLES_TAG]}
        if program_tests:
            metadata[METADATA_KEY] = {"program_tests": program_tests}
        cells.append(code_cell(f"stage-{position}-examples", asserts, metadata))
    return cells


def code_cell(cell_id: str, source: str, metadata: dict[str, Any]) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "id": cell_id,
        "metadata": metadata,
        "source": source,
        "outputs": [],
        "execution_count": None,
    }


def assert_form(tests: str) -> tuple[str, str]:
    """Tests as a notebook runs them: each call test as an assert line (comments and blank
    lines kept), and the program tests (from the first ``--- input``), which have no assert
    form, apart."""
    lines = tests.split("\n")
    first_program = next(
        (index for index, line in enumerate(lines) if line.strip() == INPUT), len(lines)
    )
    calls = [
        line if not line.strip() or line.strip().startswith("#") else f"assert {line.strip()}"
        for line in lines[:first_program]
    ]
    return "\n".join(calls), "\n".join(lines[first_program:])


def with_attachments(
    text: str, images: Mapping[str, ImageFile]
) -> tuple[str, dict[str, dict[str, str]]]:
    """``text`` with its lesson images pointing at attachments, and those attachments (each
    image once, under a name unique in the cell)."""
    attachments: dict[str, dict[str, str]] = {}
    names: dict[str, str] = {}

    def attached(match: re.Match[str]) -> str:
        stored = match.group("name")
        image = images.get(stored)
        if image is None:
            return match.group(0)
        if stored not in names:
            name = unique_name(image.file_name, attachments)
            names[stored] = name
            attachments[name] = {image.content_type: base64.b64encode(image.data).decode()}
        return f"{match.group('head')}attachment:{names[stored]}"

    return LESSON_IMAGE.sub(attached, text), attachments


def unique_name(file_name: str, taken: Mapping[str, Any]) -> str:
    """``file_name`` (spaces made dashes, as an address needs), numbered if the cell has it."""
    name = "-".join(file_name.split()) or "image.png"
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, "png"
    number = 1
    while name in taken:
        number += 1
        name = f"{stem}-{number}.{suffix}"
    return name
