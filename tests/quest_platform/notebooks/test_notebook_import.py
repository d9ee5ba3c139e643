"""Importing realistic notebooks of the Flask sprint: a lesson with images, an nbgrader
assignment, tagged checkpoints and reflections, a notebook full of outputs and widgets, and a
week of nine sections (docs/notebooks.md says what each cell becomes)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import require_sandbox
from sqlalchemy import func, select

from quest_platform.code_challenges import parse_tests
from quest_platform.extensions import db
from quest_platform.models import LessonImage, Quest, QuestStatus
from quest_platform.notebooks.plan import NotebookPlan
from quest_platform.notebooks.reading import read_notebook
from quest_platform.services.notebooks import import_notebook
from quest_platform.services.quests import QuestNotPublishable, publish_quest, publishing_problems

DATA = Path(__file__).parent / "data"
LESSON = "flask_routes_lesson.ipynb"
ASSIGNMENT = "nbgrader_functions_assignment.ipynb"
CHECKPOINTS = "sprint_checkpoints.ipynb"
OUTPUTS = "data_viz_with_widgets.ipynb"
WEEK = "sqlite_api_week.ipynb"
TEMPLATES_ALT = "The rendered list of destinations: Portland and Sacramento as bullet points"


def plan_of(name: str, **alt_texts: str) -> NotebookPlan:
    return read_notebook((DATA / name).read_bytes(), file_name=name, alt_texts=alt_texts)


def imported(name: str, data: bytes | None = None, **alt_texts: str) -> Quest:
    data = (DATA / name).read_bytes() if data is None else data
    return import_notebook(data=data, file_name=name, by=None, alt_texts=alt_texts)


def outline(plan: NotebookPlan) -> list[tuple[str, str, int]]:
    return [(stage.kind, stage.title, stage.points) for stage in plan.stages]


def notes_of(plan: NotebookPlan) -> dict[int | None, list[str]]:
    notes: dict[int | None, list[str]] = {}
    for note in plan.notes:
        notes.setdefault(note.cell, []).append(note.message)
    return notes


@pytest.fixture
def lesson_images(app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The lesson-images folder of an upload folder of this test's own."""
    monkeypatch.setitem(app.config, "UPLOAD_DIR", tmp_path)
    return tmp_path / "lesson-images"


# A lesson with images


def test_the_flask_lesson_becomes_a_lesson_per_heading_with_its_code(app: Any) -> None:
    plan = plan_of(LESSON)
    assert plan.problems == ()
    assert plan.title == "Flask Routes: from Prototype to Server"
    assert outline(plan) == [
        ("lesson", "Flask Routes: from Prototype to Server", 10),
        ("lesson", "Your first route", 10),
        ("lesson", "Templates with Jinja", 10),
        ("lesson", "Static files and the base layout", 10),
        ("lesson", "Routes with variables", 10),
    ]
    first_route = plan.stages[1].content
    assert "```python\nfrom flask import Flask\n\napp = Flask(__name__)\n" in first_route
    assert '```python\nclient = app.test_client()\nclient.get("/").data\n```' in first_route
    # Outputs are not lesson text.
    assert "Map([<Rule" not in first_route
    assert "b'Hello from Flask'" not in first_route
    assert "<li>Portland</li><li>Sacramento</li></ul>'" not in plan.stages[2].content
    outputs_left_out = [
        cell for cell, messages in notes_of(plan).items() if "output" in messages[0]
    ]
    assert outputs_left_out == [3, 4, 6, 9]


def test_the_lessons_images_are_kept_with_their_descriptions(app: Any) -> None:
    plan = plan_of(LESSON)
    assert [(i.cell, i.name, i.content_type, i.alt_text) for i in plan.images] == [
        (
            2,
            "hello-browser.png",
            "image/png",
            "A browser window at localhost:5000 showing the words Hello from Flask",
        ),
        # Pasted in Jupyter: the file name is no description.
        (5, "image.png", "image/png", ""),
        # An HTML <img> tag, its width left to the page.
        (
            7,
            "layout.jpg",
            "image/jpeg",
            "The project folder: app.py next to the templates and static folders",
        ),
    ]
    assert all((image.width, image.height) == (8, 6) for image in plan.images)
    assert [image.field_name for image in plan.missing_alt] == ["alt-2"]
    assert any("image.png" in message for message in notes_of(plan)[5])
    assert "![](notebook-image:2)" in plan.stages[2].content
    layout = plan.stages[3].content
    assert (
        "![The project folder: app.py next to the templates and static folders](notebook-image:3)"
        in layout
    )
    assert "<img" not in layout
    assert "width=" not in layout


def test_a_description_filled_in_describes_the_pasted_image(app: Any) -> None:
    plan = plan_of(LESSON, **{"alt-2": f"  {TEMPLATES_ALT}\n"})
    assert plan.missing_alt == []
    assert plan.images[1].alt_text == TEMPLATES_ALT
    assert f"![{TEMPLATES_ALT}](notebook-image:2)" in plan.stages[2].content
    assert not any("image.png" in message for message in notes_of(plan).get(5, []))


def test_the_lessons_html_is_dropped_noted_or_kept_as_code(app: Any) -> None:
    plan = plan_of(LESSON)
    text = "\n".join(stage.content for stage in plan.stages)
    # The comment is dropped, the words around it stay.
    assert "TODO for next year" not in text
    assert "<!--" not in text
    assert "with `{{ placeholders }}` that Jinja fills in." in plan.stages[2].content
    # A <div> is shown as text by lessons: it stays, and the preview says so.
    assert '<div class="alert alert-info">' in plan.stages[3].content
    assert any("<div>" in message for message in notes_of(plan)[7])
    # A script tag inside a fenced block is code: it stays, and nothing is refused.
    assert "<script src=\"{{ url_for('static', filename='app.js') }}\"></script>" in (
        plan.stages[3].content
    )
    assert not any("script" in message for message in notes_of(plan)[7])


def test_importing_the_lesson_stores_its_images_and_points_the_text_at_them(
    app: Any, lesson_images: Path
) -> None:
    quest = imported(LESSON, **{"alt-2": TEMPLATES_ALT})
    assert quest.status == QuestStatus.DRAFT
    assert quest.slug == "flask-routes-from-prototype-to-server"
    images = db.session.scalars(select(LessonImage).order_by(LessonImage.id)).all()
    assert [(image.quest_id, image.file_name, image.content_type) for image in images] == [
        (quest.id, "hello-browser.png", "image/png"),
        (quest.id, "image.png", "image/png"),
        (quest.id, "layout.jpg", "image/jpeg"),
    ]
    assert sorted(path.name for path in lesson_images.iterdir()) == sorted(
        image.stored_name for image in images
    )
    stages = quest.stages
    assert (
        "![A browser window at localhost:5000 showing the words Hello from Flask]"
        f"(/lesson-images/{images[0].stored_name})" in stages[1].content
    )
    assert f"![{TEMPLATES_ALT}](/lesson-images/{images[1].stored_name})" in stages[2].content
    assert f"(/lesson-images/{images[2].stored_name})" in stages[3].content
    assert not any("notebook-image:" in stage.content for stage in stages)
    # Five complete lessons: the checklist asks only for more stages.
    assert publishing_problems(quest) == ["a published quest needs 6 to 8 stages; it has 5"]


def test_an_image_left_undescribed_holds_the_draft_back(app: Any, lesson_images: Path) -> None:
    quest = imported(LESSON)
    problems = publishing_problems(quest)
    assert problems[0].endswith("it has 5")
    (image_problem,) = problems[1:]
    assert image_problem.startswith("stage 3: the image /lesson-images/")
    assert "no alternative text" in image_problem


# An nbgrader assignment


def test_the_nbgrader_assignment_becomes_code_challenges_and_a_reflection(app: Any) -> None:
    plan = plan_of(ASSIGNMENT)
    assert plan.problems == ()
    assert plan.title == "Assignment 2: The functions behind the routes"
    assert outline(plan) == [
        # nbgrader's "Before you turn this problem in" header has no heading of its own.
        ("lesson", "Lesson 1", 10),
        ("lesson", "Assignment 2: The functions behind the routes", 10),
        # Points: those of the graded tests, and those of the manually graded answer.
        ("code", "Exercise 1: Slugs for the address bar", 3),
        ("code", "Exercise 2: Checking the sign-up form", 4),
        ("reflection", "Exercise 3: Why hash the passwords?", 3),
        ("code", "Exercise 4: The trips endpoint", 5),
    ]
    assert any("Lesson 1" in message for message in notes_of(plan)[1])
    # (The header names "YOUR ANSWER HERE" for students: the exercises must not.)
    exercises = plan.stages[2:]
    everything = json.dumps([stage.settings for stage in exercises]) + "".join(
        stage.content for stage in exercises
    )
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "YOUR ANSWER HERE", "nose", "assert"):
        assert marker not in everything


def test_a_solution_cell_gives_the_stub_to_students_and_keeps_the_solution(app: Any) -> None:
    slugify, signup = plan_of(ASSIGNMENT).stages[2:4]
    assert slugify.content == ""
    assert slugify.settings["prompt"].startswith("A destination's page lives at")
    assert slugify.settings["prompt"].endswith('is `"moving-west-coast-travel"`.')
    assert slugify.settings["starter_code"] == (
        "def slugify(title):\n"
        '    """The title as an address: lowercase words joined by hyphens."""\n'
        "    # YOUR CODE HERE\n"
        "    raise NotImplementedError()"
    )
    assert slugify.settings["solution"] == (
        "def slugify(title):\n"
        '    """The title as an address: lowercase words joined by hyphens."""\n'
        '    cleaned = "".join(c if c.isalnum() else " " for c in title.lower())\n'
        '    return "-".join(cleaned.split())'
    )
    # The stub replaces the region only: the lines around it stay in the starter code.
    assert signup.settings["starter_code"].splitlines() == [
        "def signup_errors(username, password):",
        '    """The problems of a sign-up, as a list of short messages."""',
        "    errors = []",
        "    # YOUR CODE HERE",
        "    raise NotImplementedError()",
        "    return errors",
    ]
    assert 'errors.append("weak password")' in signup.settings["solution"]


def test_graded_cells_become_hidden_tests_and_tagged_cells_examples(app: Any) -> None:
    stages = plan_of(ASSIGNMENT).stages
    slugify, signup, summary = stages[2], stages[3], stages[5]
    # The docstring and the assert's message are left out.
    assert slugify.settings["tests"].splitlines() == [
        'slugify("Moving West Coast Travel") == "moving-west-coast-travel"',
        'slugify("  Digital   Famine!  ") == "digital-famine"',
        'slugify("Route 66") == "route-66"',
        'slugify("") == ""',
    ]
    # nose's assert_equal(a, b) is a == b; its import is left out.
    tests = parse_tests(signup.settings["tests"], prefix="test")
    assert [(test.function, test.args, test.expected) for test in tests] == [
        ("signup_errors", ("ada", "lovelace1815"), []),
        ("signup_errors", ("al", "lovelace1815"), ["username length"]),
        ("signup_errors", ("grace", "hopper"), ["weak password"]),
        ("signup_errors", ("", "x"), ["username length", "weak password"]),
    ]
    assert "examples" not in slugify.settings
    assert summary.settings["examples"].splitlines() == [
        "# What the endpoint answers for no trips and for one",
        'trip_summary([]) == {"count": 0, "days": 0}',
        'trip_summary([{"name": "Portland", "days": 3}]) == {"count": 1, "days": 3}',
    ]
    assert len(parse_tests(summary.settings["tests"], prefix="test")) == 2


def test_a_written_answer_makes_a_reflection_of_the_question_before_it(app: Any) -> None:
    plan = plan_of(ASSIGNMENT)
    reflection = plan.stages[4]
    assert reflection.settings == {
        "prompt": (
            "Your `users` table in SQLite stores a hash of each password, never the password "
            "itself. In a few sentences, explain what could happen if the database file were "
            "copied by someone else, with and without hashing."
        ),
        "min_length": 200,
    }
    assert "left out" in plan.cells[11].becomes


def test_the_imported_assignment_is_published_once_its_solutions_pass_their_tests(
    app: Any,
) -> None:
    require_sandbox()
    quest = imported(ASSIGNMENT)
    assert quest.status == QuestStatus.DRAFT
    assert publishing_problems(quest) == []
    publish_quest(quest=quest, by=None)
    db.session.refresh(quest)
    assert quest.status == QuestStatus.PUBLISHED


def test_an_assignment_whose_solution_fails_its_tests_stays_a_draft(app: Any) -> None:
    require_sandbox()
    notebook = json.loads((DATA / ASSIGNMENT).read_bytes())
    solution = notebook["cells"][5]
    assert solution["metadata"]["nbgrader"]["grade_id"] == "slugify"
    solution["source"] = [line.replace('"-".join', '"_".join') for line in solution["source"]]
    quest = imported(ASSIGNMENT, json.dumps(notebook).encode())
    with pytest.raises(QuestNotPublishable) as refused:
        publish_quest(quest=quest, by=None)
    assert refused.value.reasons == [
        'stage 3: its reference solution fails the test slugify("Moving West Coast Travel") == '
        '"moving-west-coast-travel"',
        'stage 3: its reference solution fails the test slugify("  Digital   Famine!  ") == '
        '"digital-famine"',
        'stage 3: its reference solution fails the test slugify("Route 66") == "route-66"',
    ]
    db.session.refresh(quest)
    assert quest.status == QuestStatus.DRAFT


# Tagged checkpoints, self-checks, quizzes and reflections


def test_tagged_cells_become_checkpoints_self_checks_quizzes_and_reflections(app: Any) -> None:
    plan = plan_of(CHECKPOINTS)
    assert plan.problems == ()
    assert plan.notes == ()
    assert outline(plan) == [
        ("lesson", "Sprint 4 checkpoints: the full-stack app", 10),
        ("checkpoint", "Checkpoint 1: the server runs locally", 10),
        ("self_check", "Before the code review", 10),
        ("quiz", "Quick quiz: requests and responses", 10),
        ("reflection", "Reflection: from prototype to server", 10),
        ("checkpoint", "Deploy your app", 20),
    ]
    checkpoint, self_check, quiz, reflection, deploy = plan.stages[1:]
    assert checkpoint.settings == {
        "prompt": (
            "Clone your team's repository, create a virtual environment, install the "
            "requirements and start the server. Paste the terminal output of `python main.py` "
            "and the JSON that `/api/health` returns."
        ),
        "rubric": [
            "The server starts with `python main.py` and no errors",
            '`/api/health` answers `{"status": "ok"}`',
            "The README says how to run the project",
        ],
        "evidence": ["code"],
    }
    assert self_check.content == "Tick each box when it is true of your branch."
    assert self_check.settings["items"] == [
        "Each route returns a template, not a bare string",
        "The forms post to their own route and redirect after saving",
        "Nothing secret (keys, passwords) is in the repository",
    ]
    assert quiz.content == "Answer without running the code."
    first, second, third = quiz.settings["questions"]
    assert (first["type"], first["choices"], first["answer"]) == (
        "single",
        ["`@app.route`", "`@app.url`", "`@app.view`"],
        [0],
    )
    assert first["explanation"] == "Flask registers the function for that rule."
    assert (second["type"], second["accepted"]) == ("short", ["POST", "post"])
    assert (third["type"], third["answer"]) == ("multiple", [0, 1])
    assert reflection.settings["prompt"].startswith("Your prototype kept everything")
    assert reflection.settings["min_length"] == 200
    # The cell's quest_platform metadata says what its text cannot.
    assert deploy.settings == {
        "evidence": ["link", "screenshot"],
        "rubric": [
            "It loads at its public address",
            "A user can sign in",
            "Data survives a restart",
        ],
        "prompt": (
            "Deploy the app to the class server with your team. Hand in the public address and "
            "a screenshot of the home page with a signed-in user."
        ),
    }


def test_the_imported_checkpoints_pass_the_publish_checklist(app: Any) -> None:
    quest = imported(CHECKPOINTS)
    assert quest.status == QuestStatus.DRAFT
    assert publishing_problems(quest) == []
    publish_quest(quest=quest, by=None)
    db.session.refresh(quest)
    assert quest.status == QuestStatus.PUBLISHED


# Outputs, widgets and raw cells


def test_outputs_widgets_and_raw_cells_are_left_out_with_notes(app: Any) -> None:
    plan = plan_of(OUTPUTS)
    assert plan.problems == ()
    assert outline(plan) == [
        ("lesson", "Visits per page", 10),
        ("lesson", "What the chart shows", 10),
    ]
    # The chart drawn in an output is not a lesson image.
    assert plan.images == ()
    notes = notes_of(plan)
    assert sorted(notes, key=str) == [1, 3, 4, 5, 6, None]
    assert "Raw cell 1" in notes[1][0]
    assert all("output" in notes[cell][0] for cell in (3, 4, 6))
    assert "widgets" in notes[5][0]
    assert "widget state" in notes[None][0]
    assert "raw" in plan.cells[0].becomes
    text = plan.stages[0].content
    assert "```python\nimport ipywidgets as widgets\n" in text
    # A comment of its own lines is dropped.
    assert plan.stages[1].content.startswith("Most visits go to the home page.")
    assert "anonymised" not in plan.stages[1].content
    for output in ("title: Visits per page", "<table", "description='Days'", "ValueError"):
        assert output not in text


# Nine sections


def test_a_notebook_of_nine_sections_is_imported_and_the_checklist_names_the_count(
    app: Any,
) -> None:
    plan = plan_of(WEEK)
    assert [stage.kind for stage in plan.stages] == ["lesson"] * 9
    assert plan.stages[8].title == "Errors as JSON"
    quest = imported(WEEK)
    assert db.session.scalar(select(func.count()).select_from(Quest)) == 1
    assert publishing_problems(quest) == ["a published quest needs 6 to 8 stages; it has 9"]
