"""Importing a notebook in the admin: upload, preview (writes nothing), describe images, import,
serve the lesson images, download a quest as a notebook; and the command line's import."""

from __future__ import annotations

import base64
import io
import json
import re
from typing import Any

import nbformat
from helpers import csrf_token, is_site_page, post_form
from PIL import Image
from sqlalchemy import func, select
from test_manage import run_cli
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from quest_platform.extensions import db
from quest_platform.models import AuditEntry, LessonImage, Quest, QuestStatus
from quest_platform.notebooks.vocabulary import NOTEBOOK_MAX_BYTES

URL = "/admin/notebooks/"


def png() -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (12, 8), "navy").save(output, format="PNG")
    return output.getvalue()


def lesson_notebook(*, alt: str = "image.png") -> bytes:
    """A lesson of two sections, one with a pasted image Jupyter named but did not describe."""
    cells = [
        {
            "cell_type": "markdown",
            "id": "intro",
            "metadata": {},
            "source": "# Sessions in Flask\n\nA session remembers a student between requests.",
        },
        {
            "cell_type": "markdown",
            "id": "cookie",
            "metadata": {},
            "source": f"## The cookie\n\n![{alt}](attachment:image.png)\n",
            "attachments": {"image.png": {"image/png": base64.b64encode(png()).decode()}},
        },
        {
            "cell_type": "code",
            "id": "code",
            "metadata": {},
            "source": "session['name'] = 'Ada'",
            "outputs": [{"output_type": "stream", "name": "stdout", "text": "ok\n"}],
            "execution_count": 1,
        },
    ]
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}
    return json.dumps(notebook).encode()


def upload(client: Any, data: bytes, filename: str = "sessions.ipynb") -> Any:
    """Send a file to the preview, as the upload form does (the body built here: the test
    client would spool a large file to a temporary file it never closes)."""
    fields = {
        "csrf_token": csrf_token(client, URL),
        "notebook_file": FileStorage(io.BytesIO(data), filename=filename),
    }
    boundary, body = encode_multipart(fields)
    return client.post(
        f"{URL}preview", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


def hidden(page: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', page)
    assert match, f"no {name} field"
    return match.group(1)


def test_the_upload_page_says_what_becomes_what(login_as: Any, make: Any) -> None:
    client = login_as(make.teacher())
    page = client.get(URL).get_data(as_text=True)
    assert is_site_page(page)
    assert 'type="file"' in page
    assert 'accept=".ipynb' in page
    assert "checkpoint, reflection, self-check or quiz" in page


def test_a_preview_shows_each_cell_and_asks_for_the_missing_description(
    login_as: Any, make: Any
) -> None:
    client = login_as(make.teacher())
    response = upload(client, lesson_notebook())
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Sessions in Flask" in page
    assert 'id="cell-3"' in page
    assert "The output of cell 3 was left out." in page
    assert re.search(r'<label for="alt-1">Description of “image.png” \(cell 2\)', page)
    assert 'src="data:image/png;base64,' in page
    # Nothing is saved by a preview.
    assert db.session.scalar(select(func.count()).select_from(Quest)) == 0
    assert db.session.scalar(select(func.count()).select_from(LessonImage)) == 0


def test_importing_with_a_description_makes_a_draft_with_the_image(
    app: Any, login_as: Any, make: Any, client_factory: Any
) -> None:
    teacher = make.teacher()
    client = login_as(teacher)
    page = upload(client, lesson_notebook()).get_data(as_text=True)
    fields = {
        "upload": hidden(page, "upload"),
        "file_name": hidden(page, "file_name"),
        "alt-1": "A browser sending its session cookie to the server",
        "csrf_token": csrf_token(client, URL),
    }
    response = client.post(f"{URL}import", data=fields)
    assert response.status_code == 302
    quest = db.session.scalars(select(Quest)).one()
    assert response.location.endswith(f"/admin/quest/details/?id={quest.id}")
    assert (quest.status, quest.author_id, quest.title) == (
        QuestStatus.DRAFT,
        teacher.id,
        "Sessions in Flask",
    )
    image = db.session.scalars(select(LessonImage)).one()
    assert (
        f"![A browser sending its session cookie to the server](/lesson-images/{image.stored_name})"
        in quest.stages[1].content
    )
    assert "```python\nsession['name'] = 'Ada'\n```" in quest.stages[1].content
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.table_name == "quest"))
    # The image is served to anyone with its address, as it was stored.
    served = client_factory().get(f"/lesson-images/{image.stored_name}")
    assert served.status_code == 200
    assert served.mimetype == "image/png"
    assert "immutable" in served.headers["Cache-Control"]
    assert Image.open(io.BytesIO(served.data)).size == (12, 8)
    served.close()
    # The quest's page: its checklist says only that 2 stages are too few.
    details = client.get(response.location).get_data(as_text=True)
    assert "Imported “Sessions in Flask” as a draft" in details
    assert "it has 2" in details
    assert "alternative text" not in details
    # Importing the same upload again finds nothing waiting.
    assert client.post(f"{URL}import", data=fields).status_code == 409


def test_an_image_left_undescribed_holds_back_publishing(login_as: Any, make: Any) -> None:
    client = login_as(make.teacher())
    page = upload(client, lesson_notebook()).get_data(as_text=True)
    fields = {"upload": hidden(page, "upload"), "file_name": "sessions.ipynb"}
    response = post_form(client, f"{URL}import", fields, form_page=URL)
    details = client.get(response.location).get_data(as_text=True)
    assert "has no alternative text" in details


def test_a_notebook_with_problems_lists_them_by_cell_and_offers_no_import(
    login_as: Any, make: Any
) -> None:
    client = login_as(make.teacher())
    notebook = json.loads(lesson_notebook())
    notebook["cells"][0]["source"] += "\n<script>alert('hi')</script>\n"
    notebook["cells"][2]["id"] = "intro"
    response = upload(client, json.dumps(notebook).encode())
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Nothing was imported: 2 problems" in page
    assert '<a href="#cell-1">Cell 1 holds HTML that lessons never show (&lt;script&gt;)' in page
    assert "Cell 3 has the id “intro” of cell 1" in page
    assert 'action="/admin/notebooks/import"' not in page


def test_a_file_that_is_not_a_notebook_is_explained(login_as: Any, make: Any) -> None:
    client = login_as(make.teacher())
    response = upload(client, b"first name,last name\nAna,Lee\n", "roster.csv")
    assert response.status_code == 422
    assert "This file is not a notebook" in response.get_data(as_text=True)


def test_a_notebook_over_the_limit_is_refused_with_what_to_do(login_as: Any, make: Any) -> None:
    client = login_as(make.teacher())
    over = json.dumps({"cells": [], "padding": "x" * (NOTEBOOK_MAX_BYTES + 1)}).encode()
    response = upload(client, over)
    page = response.get_data(as_text=True)
    assert response.status_code == 413
    assert f"larger than {NOTEBOOK_MAX_BYTES // (1024 * 1024)} MB" in page
    assert "Clear Outputs of All Cells" in page
    # Far beyond it, the request is refused before it is read, with the platform's limit.
    response = upload(client, b'{"cells": [], "padding": "' + b"x" * (50 * 1024 * 1024) + b'"}')
    page = response.get_data(as_text=True)
    assert response.status_code == 413
    assert is_site_page(page)
    assert "larger than the platform accepts: at most 5 MB" in page


def test_a_description_over_the_limit_comes_back_marked(login_as: Any, make: Any) -> None:
    client = login_as(make.teacher())
    page = upload(client, lesson_notebook()).get_data(as_text=True)
    fields = {"upload": hidden(page, "upload"), "file_name": "x.ipynb", "alt-1": "a" * 501}
    response = post_form(client, f"{URL}import", fields, form_page=URL)
    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Quest)) == 0


def test_another_teacher_cannot_import_an_upload_of_mine(
    login_as: Any, make: Any, client_factory: Any
) -> None:
    client = login_as(make.teacher())
    token = hidden(upload(client, lesson_notebook()).get_data(as_text=True), "upload")
    other = login_as(make.teacher(), on=client_factory())
    response = post_form(other, f"{URL}import", {"upload": token}, form_page=URL)
    assert response.status_code == 409
    assert db.session.scalar(select(func.count()).select_from(Quest)) == 0


def test_a_quest_downloads_as_a_valid_notebook(login_as: Any, make: Any) -> None:
    teacher = make.teacher()
    quest = make.quest(author=teacher)
    response = login_as(make.teacher()).get(f"/admin/quest/{quest.id}/notebook.ipynb")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f'attachment; filename="{quest.slug}.ipynb"'
    notebook = json.loads(response.data)
    nbformat.validate(notebook)
    assert len(notebook["cells"]) == len(quest.stages)


def test_the_command_line_imports_all_or_nothing(app: Any, make: Any, tmp_path: Any) -> None:
    teacher = make.teacher()
    good = tmp_path / "sessions.ipynb"
    good.write_bytes(lesson_notebook(alt="A session cookie"))
    result = run_cli(app, "import-notebook", str(good), "--author", teacher.username)
    assert result.exit_code == 0, result.output
    assert "cell 2 (markdown): stage 2, lesson “The cookie”" in result.output
    assert "Imported 'Sessions in Flask' as a draft quest" in result.output
    assert db.session.scalars(select(Quest)).one().author_id == teacher.id
    bad = tmp_path / "bad.ipynb"
    notebook = json.loads(lesson_notebook())
    notebook["nbformat"] = 3
    bad.write_text(json.dumps(notebook))
    result = run_cli(app, "import-notebook", str(bad))
    assert result.exit_code == 1
    assert "PROBLEM: This notebook is in format version 3" in result.output
    assert db.session.scalar(select(func.count()).select_from(Quest)) == 1


def test_the_command_line_exports_a_quest(app: Any, make: Any, tmp_path: Any) -> None:
    quest = make.quest()
    out = tmp_path / "out.ipynb"
    result = run_cli(app, "export-notebook", quest.slug, "--out", str(out))
    assert result.exit_code == 0, result.output
    nbformat.validate(json.loads(out.read_bytes()))
    assert run_cli(app, "export-notebook", "no-such-quest").exit_code == 1
