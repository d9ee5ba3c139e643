"""Whether a file is a Jupyter notebook the platform reads: JSON, format 4 up to 4.5, within
the size limit, and valid by the format's own schema (each problem with its cell)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import nbformat.v4
from flask_babel import gettext as _
from jsonschema.exceptions import best_match

from quest_platform.notebooks.plan import Finding, NotebookError
from quest_platform.notebooks.vocabulary import (
    NBFORMAT,
    NBFORMAT_MINOR,
    NOTEBOOK_MAX_BYTES,
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
