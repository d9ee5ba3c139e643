"""A notebook becomes a quest in a real browser: a teacher uploads an nbgrader notebook, reads the
preview, describes the image it points out, imports and publishes; a student reads the lesson
with its image and passes the code challenge the notebook's solution and test cells made. axe
finds nothing on the new pages in any theme."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from axe_checks import assert_accessible_in_every_theme
from code_editor import write_code
from helpers import PASSWORD, require_sandbox
from PIL import Image
from playwright.sync_api import Page, expect
from sign_in import sign_in, signed_in
from sqlalchemy import select

from quest_platform.extensions import db
from quest_platform.models import Quest

SOLUTION_CELL = """def total_minutes(songs):
    \"\"\"The length of a playlist: the sum of its songs' minutes.\"\"\"
    ### BEGIN SOLUTION
    return sum(minutes for _title, minutes in songs)
    ### END SOLUTION
"""
TESTS_CELL = """assert total_minutes([]) == 0
assert total_minutes([("Intro", 3)]) == 3, "one song"
assert total_minutes([("A", 3), ("B", 4), ("C", 5)]) == 12
"""


def cell(kind: str, cell_id: str, source: str, **metadata: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"cell_type": kind, "id": cell_id, "metadata": metadata}
    found["source"] = source
    if kind == "code":
        found |= {"outputs": [], "execution_count": None}
    return found


def playlist_notebook() -> bytes:
    """A teacher's notebook: a lesson with a pasted, undescribed image, an nbgrader exercise,
    and tagged checkpoint, reflection and self-check cells: six stages."""
    picture = io.BytesIO()
    Image.new("RGB", (60, 40), (30, 90, 160)).save(picture, format="PNG")
    nbgrader = {"schema_version": 3, "locked": False, "task": False}
    cells = [
        cell(
            "markdown",
            "intro",
            "# Playlists in Python\n\nA playlist is a list of songs; each song is a pair of "
            "its title and its minutes.\n\n![image.png](attachment:image.png)",
        ),
        cell("code", "example", 'songs = [("Intro", 3), ("Theme", 4)]\nsongs[0]'),
        cell(
            "markdown",
            "task",
            "## Exercise: the playlist's length\n\nWrite `total_minutes(songs)`, which returns "
            "the sum of the minutes of every song.",
        ),
        cell(
            "code",
            "solution",
            SOLUTION_CELL,
            nbgrader={**nbgrader, "grade": False, "solution": True, "grade_id": "total"},
        ),
        cell(
            "code",
            "tests",
            TESTS_CELL,
            nbgrader={
                **nbgrader,
                "grade": True,
                "solution": False,
                "locked": True,
                "points": 20,
                "grade_id": "total_tests",
            },
        ),
        cell("markdown", "lists", "## Sorting songs\n\nUse `sorted(songs, key=...)`."),
        cell(
            "markdown",
            "checkpoint",
            "## Show your playlist page\n\nPaste the route that shows a playlist.\n\n"
            "- It lists every song\n- It shows the total length",
            tags=["checkpoint"],
        ),
        cell(
            "markdown", "reflect", "## Looking back\n\nWhat was hardest today?", tags=["reflection"]
        ),
        cell(
            "markdown",
            "ready",
            "## Ready?\n\n- [ ] I can sum a list\n- [ ] I can sort a list\n"
            "- [ ] I can test a function",
            tags=["self-check"],
        ),
    ]
    cells[0]["attachments"] = {
        "image.png": {"image/png": base64.b64encode(picture.getvalue()).decode()}
    }
    notebook = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "cells": cells,
    }
    return json.dumps(notebook, indent=1).encode()


@pytest.fixture(autouse=True)
def sandbox() -> None:
    require_sandbox()


def test_a_teacher_imports_a_notebook_and_a_student_passes_its_code_challenge(
    make: Any, open_page: Callable[..., Page], tmp_path: Path
) -> None:
    teacher = make.teacher(password=PASSWORD)
    student = make.student(password=PASSWORD)
    classroom = make.classroom(teachers=[teacher], students=[student])
    notebook = tmp_path / "playlists.ipynb"
    notebook.write_bytes(playlist_notebook())

    page = open_page()
    sign_in(page, teacher.username)
    page.goto("/admin/notebooks/")
    assert_accessible_in_every_theme(page, "the notebook upload")
    page.get_by_label("Notebook (.ipynb)").set_input_files(notebook)
    with page.expect_navigation():
        page.get_by_role("button", name="Check the notebook").click()

    # The preview: six stages, what each cell becomes, and the image to describe.
    expect(page.get_by_role("heading", name="The quest “Playlists in Python”")).to_be_visible()
    stages = page.get_by_role("table", name="Its stages")
    expect(stages.locator("tbody tr")).to_have_count(6)
    expect(stages).to_contain_text("Code challenge")
    cells = page.get_by_role("table", name="What each cell becomes")
    expect(cells.locator("#cell-4")).to_contain_text("The starter code and reference solution")
    expect(cells.locator("#cell-5")).to_contain_text("Hidden tests")
    expect(cells.locator("#cell-1")).to_contain_text("has no description")
    describe = page.get_by_label("Description of “image.png” (cell 1)")
    expect(describe).to_be_visible()
    assert_accessible_in_every_theme(page, "a notebook's preview")
    describe.fill("Two songs in a list, each with its title and its minutes")
    with page.expect_navigation():
        page.get_by_role("button", name="Import as a draft quest").click()

    # The draft quest's page: complete, so it publishes (the solution passes its tests).
    expect(page.get_by_text("Imported “Playlists in Python” as a draft")).to_be_visible()
    expect(page.get_by_role("heading", name="Ready to publish?")).to_be_visible()
    expect(page.locator("#readiness + p")).to_contain_text("Yes.")
    assert_accessible_in_every_theme(page, "an imported quest's page")
    with page.expect_navigation():
        page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("link", name="Assign to a classroom").first).to_be_visible()

    quest = db.session.scalars(select(Quest)).one()
    make.assignment(quest=quest, classroom=classroom, by=teacher)

    # In Spanish too: the upload and the preview, the import's words in the teacher's language.
    spanish = signed_in(open_page, teacher.username, locale="es-ES")
    spanish.goto("/admin/notebooks/")
    expect(spanish.get_by_role("heading", name="Importar un cuaderno")).to_be_visible()
    spanish.get_by_label("Cuaderno (.ipynb)").set_input_files(notebook)
    with spanish.expect_navigation():
        spanish.get_by_role("button", name="Revisa el cuaderno").click()
    expect(spanish.get_by_role("table", name="En qué se convierte cada celda")).to_be_visible()
    assert_accessible_in_every_theme(spanish, "a notebook's preview in Spanish")

    # The student reads the lesson, with its image described, then passes the challenge.
    learner = open_page()
    sign_in(learner, student.username)
    learner.goto(f"/quests/{quest.slug}/1")
    image = learner.get_by_role(
        "img", name="Two songs in a list, each with its title and its minutes"
    )
    expect(image).to_be_visible()
    assert image.evaluate("image => image.naturalWidth") == 60
    expect(learner.locator(".lesson-text pre")).to_contain_text('songs = [("Intro", 3)')
    with learner.expect_navigation():
        learner.get_by_role("button", name="I have worked through this lesson").click()
    learner.goto(f"/quests/{quest.slug}/2")
    expect(learner.locator("textarea#code")).to_have_value(
        'def total_minutes(songs):\n    """The length of a playlist: the sum of its songs\' '
        'minutes."""\n    # YOUR CODE HERE\n    raise NotImplementedError()\n'
    )
    write_code(
        learner,
        "def total_minutes(songs):\n    total = 0\n    for _title, minutes in songs:\n"
        "        total += minutes\n    return total\n",
    )
    with learner.expect_navigation():
        learner.get_by_role("button", name="Submit", exact=True).click()
    results = learner.locator("#code-run")
    expect(results).to_contain_text("3 of 3")
    assert_accessible_in_every_theme(learner, "a code challenge made from a notebook")
