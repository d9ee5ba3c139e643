"""Reading a Jupyter notebook as a plan for a quest: its stages, images, notes and problems.

A pure function of the notebook's bytes (and the alternative texts a teacher filled in): the
preview shows the plan, and the import applies the same plan, so the two never drift apart.
What each kind of cell becomes, and the tags and metadata read, are in docs/notebooks.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask_babel import gettext as _

from quest_platform.notebooks.cells import language_of, platform_metadata, text_setting
from quest_platform.notebooks.code_cells import read_code_cell
from quest_platform.notebooks.markdown_cells import read_markdown_cell
from quest_platform.notebooks.plan import NotebookError, NotebookPlan, Reader, draft_of
from quest_platform.notebooks.validation import parsed
from quest_platform.notebooks.vocabulary import (
    MAX_TITLE_LENGTH,
    METADATA_KEY,
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
