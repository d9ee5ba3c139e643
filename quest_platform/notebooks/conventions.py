"""The conventions a tagged cell's text is read by when its metadata names no settings: a
checkpoint's last list is its rubric, a self-check's its items, a quiz's numbered list its
questions (docs/notebooks.md)."""

from __future__ import annotations

import re
from typing import Any

from quest_platform.content import markdown
from quest_platform.models import DEFAULT_REFLECTION_LENGTH, StageKind
from quest_platform.notebooks.plan import Building, Reader

# A quiz written in Markdown: a numbered question, its choices ticked or not, or its answers.
QUESTION_LINE = re.compile(r"^\s{0,3}\d+[.)]\s+(?P<text>.+)$")


CHOICE_LINE = re.compile(r"^\s+[-*+]\s+\[(?P<mark>[ xX])\]\s+(?P<text>.+)$")


ANSWER_LINE = re.compile(r"^\s+[-*+]\s+(?:Answer|Answers|Respuesta|Respuestas):\s*(?P<text>.+)$")


EXPLANATION_LINE = re.compile(r"^\s+[-*+]\s+(?:Explanation|Explicación):\s*(?P<text>.+)$")


TASK_MARK = re.compile(r"^\[[ xX]\]\s+")


def settle(reader: Reader, stage: Building, body: str, number: int) -> None:
    """Give a stage begun by a tagged cell its text and settings. Settings in the cell's
    metadata are the stage's own (as an exported notebook has them); without them, the text is
    read by the conventions of the stage's kind. Either way, a stage that asks a question and
    names no prompt takes its text as the prompt."""
    given = stage.given
    stage.points = given.get("points")
    stage.time_limit_seconds = given.get("time_limit_seconds")
    settings = dict(given["settings"]) if "settings" in given else conventional(stage.kind, body)
    content = settings.pop(CONVENTIONAL_TEXT, body)
    prompted = stage.kind in {StageKind.CHECKPOINT, StageKind.REFLECTION, StageKind.CODE}
    if prompted and "prompt" not in settings:
        settings["prompt"], content = content, ""
    stage.settings = settings
    stage.parts = [content]


# The key under which ``conventional`` returns what is left of the text.
CONVENTIONAL_TEXT = "__text__"


def conventional(kind: StageKind, text: str) -> dict[str, Any]:
    """The settings a tagged cell's text gives by the conventions of ``kind`` (a checkpoint's
    last list is its rubric, a self-check's its items, a quiz's numbered list its questions),
    with the rest of the text under CONVENTIONAL_TEXT."""
    match kind:
        case StageKind.CHECKPOINT:
            rest, rubric = last_list(text)
            return {CONVENTIONAL_TEXT: rest, "rubric": rubric, "evidence": ["code"]}
        case StageKind.SELF_CHECK:
            rest, items = last_list(text)
            return {CONVENTIONAL_TEXT: rest, "items": items}
        case StageKind.QUIZ | StageKind.TIMED:
            rest, questions = quiz_questions(text)
            return {CONVENTIONAL_TEXT: rest, "questions": questions}
        case StageKind.REFLECTION:
            return {"min_length": DEFAULT_REFLECTION_LENGTH}
    return {}


def last_list(text: str) -> tuple[str, list[str]]:
    """The last bulleted list of ``text`` as items (a task list's boxes dropped), and the text
    without it."""
    tokens = markdown().parse(text)
    lists = [
        index
        for index, token in enumerate(tokens)
        if token.type == "bullet_list_open" and token.level == 0 and token.map
    ]
    if not lists:
        return text, []
    start = lists[-1]
    begin, end = tokens[start].map or (0, 0)
    items = []
    depth = 0
    for token in tokens[start:]:
        if token.type == "bullet_list_open":
            depth += 1
        elif token.type == "bullet_list_close":
            depth -= 1
            if depth == 0:
                break
        elif token.type == "inline" and depth == 1 and token.level == 3:
            items.append(TASK_MARK.sub("", " ".join(token.content.split())))
    lines = text.split("\n")
    rest = "\n".join([*lines[:begin], *lines[end:]]).strip("\n")
    return rest, [item for item in items if item]


def quiz_questions(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Questions written as a numbered list, each with ticked choices (``- [x]``) or accepted
    answers (``- Answer: 42 | forty-two``), and the text before them."""
    questions: list[dict[str, Any]] = []
    intro: list[str] = []
    for line in text.split("\n"):
        numbered = QUESTION_LINE.match(line)
        if numbered:
            questions.append(
                {
                    "id": f"q{len(questions) + 1}",
                    "prompt": numbered["text"].strip(),
                    "choices": [],
                    "answer": [],
                }
            )
            continue
        if not questions:
            intro.append(line)
            continue
        current = questions[-1]
        if choice := CHOICE_LINE.match(line):
            if choice["mark"] != " ":
                current["answer"].append(len(current["choices"]))
            current["choices"].append(choice["text"].strip())
        elif answer := ANSWER_LINE.match(line):
            current.setdefault("accepted", []).extend(
                part.strip() for part in answer["text"].split("|") if part.strip()
            )
        elif explanation := EXPLANATION_LINE.match(line):
            current["explanation"] = explanation["text"].strip()
        elif line.strip():
            current["prompt"] = f"{current['prompt']} {line.strip()}"
    for question in questions:
        if question.get("accepted") and not question["choices"]:
            question["type"] = "short"
            del question["choices"], question["answer"]
        else:
            question["type"] = "single" if len(question["answer"]) == 1 else "multiple"
            question.pop("accepted", None)
    return "\n".join(intro).strip("\n"), questions
