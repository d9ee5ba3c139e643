"""The words notebooks and quests share: cell tags, metadata keys, nbgrader's, and the limits."""

from __future__ import annotations

import re

from quest_platform.models import StageKind

# The largest notebook read, in bytes: a lesson with a dozen screenshots fits; a notebook full of
# plotted outputs usually does not (outputs are dropped anyway: clear them before uploading).
NOTEBOOK_MAX_BYTES = 4 * 1024 * 1024
# The notebook format read and written: version 4, minor versions up to the newest nbformat knows.
NBFORMAT = 4
NBFORMAT_MINOR = 5
# A cell's metadata key the platform reads and writes (see docs/notebooks.md).
METADATA_KEY = "quest_platform"
# Cell tags naming the stage a Markdown cell becomes, and the tags of code cells.
STAGE_TAGS: dict[str, StageKind] = {
    "lesson": StageKind.LESSON,
    "checkpoint": StageKind.CHECKPOINT,
    "reflection": StageKind.REFLECTION,
    "self-check": StageKind.SELF_CHECK,
    "self_check": StageKind.SELF_CHECK,
    "quiz": StageKind.QUIZ,
    "timed": StageKind.TIMED,
}
SOLUTION_TAG, TESTS_TAG, EXAMPLES_TAG = "solution", "tests", "examples"
# nbgrader's markers around the solution inside a solution cell, and what replaces it for
# students (nbgrader's own stub for Python).
BEGIN_SOLUTION, END_SOLUTION = "BEGIN SOLUTION", "END SOLUTION"
MARKER_LINE = re.compile(rf"^\s*#+\s*({BEGIN_SOLUTION}|{END_SOLUTION})\s*$")
SOLUTION_STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
# What the written notebook puts around a whole reference solution.
BEGIN_LINE, END_LINE = f"### {BEGIN_SOLUTION}", f"### {END_SOLUTION}"
# Attachment types kept as lesson images; anything else is refused (an SVG can carry a script).
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif"})
# Raw HTML a lesson never holds: the notebook is refused until it is taken out.
FORBIDDEN_HTML = re.compile(r"<\s*(script|iframe|object|embed|frame|frameset)\b", re.IGNORECASE)
MAX_TITLE_LENGTH = 120
# Where the platform serves lesson images (the portal's ``lesson_image`` route).
LESSON_IMAGE_PREFIX = "/lesson-images/"
# The stage settings a cell's metadata may hold, by the shape of their values; any other key is
# left out with a note. "texts" is a list of strings, "numbers" a list of whole numbers.
SETTING_SHAPES: dict[str, str] = {
    **dict.fromkeys(
        ("prompt", "starter_code", "examples", "tests", "solution", "score_policy"), "text"
    ),
    **dict.fromkeys(("reveal_answers", "late_policy"), "text"),
    **dict.fromkeys(("rubric", "rubric_levels", "items", "evidence"), "texts"),
    **dict.fromkeys(("estimated_minutes", "max_tries", "pass_percent", "grace_seconds"), "number"),
    **dict.fromkeys(("min_length", "peer_reviews", "peer_review_days"), "number"),
    **dict.fromkeys(("seconds_per_test", "memory_mb", "output_kb"), "number"),
    **dict.fromkeys(("team", "peer_review_own_team", "peer_review_anonymous"), "flag"),
    "questions": "questions",
}
QUESTION_SHAPES: dict[str, str] = {
    **dict.fromkeys(("id", "type", "prompt", "hint", "explanation"), "text"),
    **dict.fromkeys(("choices", "accepted"), "texts"),
    "answer": "numbers",
}
# A stage's points and a timed stage's limit, as the stage table allows them.
POINTS_RANGE = (0, 1000)
