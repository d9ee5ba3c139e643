"""A quest written as a notebook reads back as the same quest: stages, settings and tests."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import nbformat
import pytest
from PIL import Image

from quest_platform.code_challenges import parse_tests
from quest_platform.extensions import db
from quest_platform.models import LessonImage, Quest, StageKind
from quest_platform.services.notebooks import exported_notebook, import_notebook, lesson_image
from quest_platform.services.quests import StageDraft, copy_quest, create_quest, delete_quest
from seeds.load import load_quest_files, stage_drafts

CODE_STAGE = StageDraft(
    "code",
    "Add `two` numbers: *fast*",
    content="",
    points=30,
    settings={
        "prompt": "Write `add(a, b)`.\n\n- It returns the sum.\n- Nothing else.",
        "starter_code": "def add(a, b):\n    pass\n",
        "examples": "# two small ones\nadd(1, 2) == 3\n\nadd(0, 0) == 0",
        "tests": (
            "add(2, 3) == 5\nadd(-1, 1) == 0\n# a program\n--- input\n3 4\n--- output\n7"
            "\n--- input\n1 1\n--- output\n2"
        ),
        "solution": (
            "def add(a, b):\n    return a + b\n\n\nif __name__ == '__main__':\n"
            "    print(sum(map(int, input().split())))\n"
        ),
        "seconds_per_test": 3,
        "memory_mb": 128,
        "output_kb": 16,
    },
)


def stages_of(quest: Quest) -> list[dict[str, Any]]:
    """What a quest's stages say, with tests as the platform reads them."""
    stages = []
    for stage in quest.stages:
        settings = dict(stage.settings)
        for key, prefix in (("tests", "test"), ("examples", "example")):
            if key in settings:
                settings[key] = parse_tests(settings[key], prefix=prefix)
        stages.append(
            {
                "kind": stage.kind,
                "title": stage.title,
                "content": stage.content,
                "points": stage.points,
                "time_limit_seconds": stage.time_limit_seconds,
                "settings": settings,
            }
        )
    return stages


def round_trip(quest: Quest) -> tuple[Quest, bytes]:
    data = exported_notebook(quest=quest)
    return import_notebook(data=data, file_name=f"{quest.slug}.ipynb", by=None), data


@pytest.mark.parametrize("slug", [document["slug"] for document in load_quest_files()])
def test_each_demo_quest_comes_back_the_same(app: Any, slug: str) -> None:
    document = next(document for document in load_quest_files() if document["slug"] == slug)
    quest = create_quest(
        slug=slug,
        title=document["title"],
        theme=document["theme"],
        summary=document["summary"],
        stages=[*stage_drafts(document)],
        author=None,
    )
    again, data = round_trip(quest)
    notebook = json.loads(data)
    nbformat.validate(notebook)
    assert (again.title, again.theme, again.summary) == (quest.title, quest.theme, quest.summary)
    assert again.slug == f"{slug}-2"
    assert stages_of(again) == stages_of(quest)
    assert json.loads(exported_notebook(quest=again)) == notebook | {
        "metadata": notebook["metadata"]
        | {"quest_platform": notebook["metadata"]["quest_platform"] | {"slug": again.slug}}
    }


def test_a_code_challenge_comes_back_with_its_solution_starter_code_and_tests(app: Any) -> None:
    quest = create_quest(
        slug="adding",
        title="Adding",
        theme="",
        summary="",
        stages=[CODE_STAGE, StageDraft("reflection", "Think", settings={"prompt": "Why?"})],
        author=None,
    )
    again, data = round_trip(quest)
    nbformat.validate(json.loads(data))
    assert stages_of(again) == stages_of(quest)
    assert again.stages[0].settings["tests"] == CODE_STAGE.settings["tests"]
    assert again.stages[0].settings["solution"] == CODE_STAGE.settings["solution"]
    cells = json.loads(data)["cells"]
    assert [cell["cell_type"] for cell in cells] == ["markdown", "code", "code", "code", "markdown"]
    assert cells[1]["metadata"]["nbgrader"]["solution"] is True
    assert cells[2]["source"].startswith("assert add(2, 3) == 5\nassert add(-1, 1) == 0")
    assert cells[2]["metadata"]["nbgrader"] | {} == cells[2]["metadata"]["nbgrader"]
    assert cells[2]["metadata"]["nbgrader"]["points"] == 30


def png(colour: str = "red") -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (8, 6), colour).save(output, format="PNG")
    return output.getvalue()


def test_lesson_images_travel_as_attachments_and_come_back_as_files(app: Any) -> None:
    notebook = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
        "cells": [
            {
                "cell_type": "markdown",
                "id": "one",
                "metadata": {},
                "source": "# Routes\n\n![A browser asking /hello](attachment:hello.png)\n",
                "attachments": {"hello.png": {"image/png": base64.b64encode(png()).decode()}},
            }
        ],
    }
    quest = import_notebook(data=json.dumps(notebook).encode(), file_name="x.ipynb", by=None)
    image = db.session.scalars(db.select(LessonImage)).one()
    assert (
        f"![A browser asking /hello](/lesson-images/{image.stored_name})" in quest.stages[0].content
    )
    again, data = round_trip(quest)
    cell = json.loads(data)["cells"][0]
    assert cell["source"].endswith("![A browser asking /hello](attachment:hello.png)")
    assert list(cell["attachments"]) == ["hello.png"]
    assert (
        again.stages[0].content.replace(
            db.session.scalars(db.select(LessonImage).where(LessonImage.quest_id == again.id))
            .one()
            .stored_name,
            image.stored_name,
        )
        == quest.stages[0].content
    )
    assert again.stages[0].kind == StageKind.LESSON


def test_a_copy_keeps_showing_the_images_of_a_deleted_original(app: Any, make: Any) -> None:
    teacher = make.teacher()
    notebook = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
        "cells": [
            {
                "cell_type": "markdown",
                "id": "one",
                "metadata": {},
                "source": "# Routes\n\n![A browser asking /hello](attachment:hello.png)",
                "attachments": {"hello.png": {"image/png": base64.b64encode(png()).decode()}},
            }
        ],
    }
    original = import_notebook(data=json.dumps(notebook).encode(), file_name="x.ipynb", by=teacher)
    copy = copy_quest(quest=original, by=teacher)
    image = db.session.scalars(db.select(LessonImage)).one()
    delete_quest(quest=original, by=teacher)
    assert image.stored_name in copy.stages[0].content
    assert lesson_image(image.stored_name) is not None
    assert db.session.get(LessonImage, image.id).quest_id is None
