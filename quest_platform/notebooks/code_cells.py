"""Code cells: code blocks of a lesson, or, as nbgrader marks them, a code challenge's
solution (with the starter code made from it) and its tests."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext

from quest_platform.code_challenges import TestsError, call_test
from quest_platform.models import StageKind
from quest_platform.notebooks.cells import nbgrader_of, source_of, tags_of
from quest_platform.notebooks.plan import Reader, answer_stage
from quest_platform.notebooks.vocabulary import (
    BEGIN_SOLUTION,
    EXAMPLES_TAG,
    MARKER_LINE,
    SOLUTION_STUB,
    SOLUTION_TAG,
    TESTS_TAG,
)


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
        if marker.group(1) == BEGIN_SOLUTION:
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
