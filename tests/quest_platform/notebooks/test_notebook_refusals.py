"""Notebooks that cannot be imported: each problem is reported with the cell it is in, and
nothing is saved, not even the images of the notebook's good cells (docs/notebooks.md,
"Problems: nothing is saved")."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from quest_platform.extensions import db
from quest_platform.models import AuditEntry, LessonImage, Quest, Stage
from quest_platform.notebooks.plan import NotebookPlan
from quest_platform.notebooks.reading import read_notebook
from quest_platform.services import notebooks as notebook_service
from quest_platform.services.notebooks import NotebookNotImported, import_notebook

DATA = Path(__file__).parent / "data"
MALFORMED = DATA / "malformed"


def fifty_megabytes() -> bytes:
    """The Flask lesson with a print loop's 50 MB of output left in (built here, never kept)."""
    notebook = json.loads((DATA / "flask_routes_lesson.ipynb").read_bytes())
    output = {"output_type": "stream", "name": "stdout", "text": ""}
    notebook["cells"][2]["outputs"].append(output)
    room = 50 * 1024 * 1024 - len(json.dumps(notebook).encode())
    output["text"] = ("GET /destinations/portland 200 " * (room // 31 + 1))[:room]
    data = json.dumps(notebook).encode()
    assert len(data) == 50 * 1024 * 1024
    return data


# Each bad notebook: the cell of each problem (None: the whole notebook) and a key part of it.
REFUSED: dict[str, list[tuple[int | None, str]]] = {
    "cut_off_download.ipynb": [(None, "not a notebook")],
    "api_response.ipynb": [(None, "no cells")],
    "ipython2_format3.ipynb": [(None, "format version 3")],
    "future_format_4_9.ipynb": [(None, "format 4.9")],
    "fifty megabytes": [(None, "up to 4 MB")],
    "scripts_and_iframes.ipynb": [(2, "<iframe>"), (3, "<script>")],
    "non_image_attachments.ipynb": [(2, "image/svg+xml"), (3, "application/pdf")],
    "unclosed_solution.ipynb": [(3, "END SOLUTION")],
    "duplicate_cell_ids.ipynb": [(4, "schema-0002")],
}


def data_of(name: str) -> bytes:
    return fifty_megabytes() if name == "fifty megabytes" else (MALFORMED / name).read_bytes()


def problems_of(plan: NotebookPlan) -> list[tuple[int | None, str]]:
    return [(problem.cell, problem.message) for problem in plan.problems]


def count(model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def lesson_images(app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The lesson-images folder of an upload folder of this test's own."""
    monkeypatch.setitem(app.config, "UPLOAD_DIR", tmp_path)
    return tmp_path / "lesson-images"


def assert_nothing_saved(lesson_images: Path) -> None:
    assert (count(Quest), count(Stage), count(LessonImage), count(AuditEntry)) == (0, 0, 0, 0)
    assert not lesson_images.exists() or not any(lesson_images.iterdir())


@pytest.mark.parametrize("name", REFUSED)
def test_a_bad_notebook_is_refused_with_each_problem_and_its_cell(
    app: Any, lesson_images: Path, name: str
) -> None:
    data = data_of(name)
    plan = read_notebook(data, file_name=name)
    problems = problems_of(plan)
    assert [cell for cell, _ in problems] == [cell for cell, _ in REFUSED[name]]
    for (cell, message), (_, key_part) in zip(problems, REFUSED[name], strict=True):
        assert key_part in message
        if cell is not None:
            assert f"ell {cell}" in message
    with pytest.raises(NotebookNotImported) as refused:
        import_notebook(data=data, file_name=name, by=None)
    assert refused.value.plan.problems == plan.problems
    assert refused.value.status_code == 422
    assert str(len(problems)) in refused.value.message
    assert_nothing_saved(lesson_images)


def test_a_notebook_too_big_is_refused_before_it_is_read(app: Any) -> None:
    (problem,) = read_notebook(fifty_megabytes(), file_name="lesson.ipynb").problems
    assert problem.message.startswith("The notebook is 50.0 MB")
    assert "Clear its outputs" in problem.message


def test_html_in_code_is_code_and_refused_html_is_not_also_noted(app: Any) -> None:
    plan = read_notebook((MALFORMED / "scripts_and_iframes.ipynb").read_bytes())
    # Cell 4 shows a <script> tag in a fenced block: it is code, and stays.
    assert "<script src=" in plan.stages[3].content
    assert plan.notes == ()


def test_an_attachment_refused_is_reported_once(app: Any) -> None:
    plan = read_notebook((MALFORMED / "non_image_attachments.ipynb").read_bytes())
    assert [problem.cell for problem in plan.problems] == [2, 3]
    # The good image of cell 1 was planned, but is not kept while the notebook is refused.
    assert [image.name for image in plan.images] == ["overview.png"]


def test_an_attachment_the_cell_does_not_have_is_one_problem(app: Any) -> None:
    notebook = json.loads((MALFORMED / "non_image_attachments.ipynb").read_bytes())
    del notebook["cells"][0]["attachments"]
    plan = read_notebook(json.dumps(notebook).encode())
    assert [(problem.cell, "overview.png" in problem.message) for problem in plan.problems] == [
        (1, True),
        (2, False),
        (3, False),
    ]


def test_every_problem_of_a_notebook_is_reported_together(app: Any, lesson_images: Path) -> None:
    """The cells of the bad notebooks in one: each problem, with its own cell."""
    cells = []
    for name in (
        "scripts_and_iframes.ipynb",
        "non_image_attachments.ipynb",
        "unclosed_solution.ipynb",
        "duplicate_cell_ids.ipynb",
    ):
        for number, cell in enumerate(json.loads((MALFORMED / name).read_bytes())["cells"]):
            cells.append(cell | {"id": cell.get("id", f"{Path(name).stem}-{number}")})
    notebook = json.loads((DATA / "sprint_checkpoints.ipynb").read_bytes()) | {"cells": cells}
    data = json.dumps(notebook).encode()
    plan = read_notebook(data, file_name="everything.ipynb")
    assert [problem.cell for problem in plan.problems] == [2, 3, 6, 7, 10, 15]
    assert "cell 13" in plan.problems[-1].message
    with pytest.raises(NotebookNotImported):
        import_notebook(data=data, file_name="everything.ipynb", by=None)
    assert_nothing_saved(lesson_images)


def test_images_written_before_a_failure_are_removed(
    app: Any, lesson_images: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the plan, a failure while saving (here, the audit log) leaves no file behind."""

    def failing(**kwargs: Any) -> None:
        raise RuntimeError("the audit log is down")

    monkeypatch.setattr(notebook_service, "record_change", failing)
    with pytest.raises(RuntimeError):
        import_notebook(
            data=(DATA / "flask_routes_lesson.ipynb").read_bytes(), file_name="x.ipynb", by=None
        )
    assert_nothing_saved(lesson_images)
