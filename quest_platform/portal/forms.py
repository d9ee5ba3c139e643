"""Reading the stage player's forms into the answer documents the attempts service grades."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from werkzeug.datastructures import FileStorage, MultiDict

from quest_platform.models import Stage, StageKind
from quest_platform.services.evidence import MAX_SCREENSHOT_BYTES, Screenshot


def answer_from(stage: Stage, form: MultiDict[str, str]) -> dict[str, Any]:
    """The answer document for ``stage`` from the player's form fields.

    Only reshapes what was sent (choice numbers become whole numbers); whether it fits the
    stage is for the service to say, so a tampered form gets the service's clear refusal.
    """
    match stage.kind:
        case StageKind.QUIZ | StageKind.TIMED:
            responses: dict[str, Any] = {}
            for question in stage.questions:
                name = f"q-{question.get('id')}"
                if question.get("type") == "short":
                    if name in form:
                        responses[str(question.get("id"))] = form.get(name, "")
                elif name in form:
                    responses[str(question.get("id"))] = [
                        number(value) for value in form.getlist(name)
                    ]
            return {"responses": responses}
        case StageKind.LESSON:
            return {"confirmed": form.get("confirmed") == "yes"}
        case StageKind.REFLECTION:
            return {"text": form.get("text", "")}
        case StageKind.SELF_CHECK:
            return {"ticked": [number(value) for value in form.getlist("ticked")]}
        case StageKind.CHECKPOINT:
            answer: dict[str, Any] = {"evidence": form.get("evidence", "")}
            if "links" in form:
                # One address a line (blank lines left out by the service).
                answer["links"] = form.get("links", "").splitlines()
            return answer
    return {}


def quiz_entries(responses: Mapping[str, tuple[int, ...] | str]) -> MultiDict[str, str]:
    """Quiz responses by question id as the quiz form's fields, to fill the form with them."""
    entries: MultiDict[str, str] = MultiDict()
    for question_id, response in responses.items():
        values = [response] if isinstance(response, str) else [str(i) for i in response]
        for value in values:
            entries.add(f"q-{question_id}", value)
    return entries


def number(value: str) -> int | str:
    """A choice number sent by a form, or the text itself when it is not one."""
    return int(value) if value.isdigit() and len(value) < 6 else value


def screenshot_from(upload: FileStorage | None, alt_text: str) -> Screenshot | None:
    """The uploaded screenshot, or None when no file was chosen.

    Reads at most one byte more than the service keeps, so an oversized file is refused by the
    service's size check without holding all of it.
    """
    if upload is None or not upload.filename:
        return None
    try:
        data = upload.stream.read(MAX_SCREENSHOT_BYTES + 1)
    finally:
        upload.close()
    return Screenshot(data=data, alt_text=alt_text)


def new_submission_key() -> str:
    """A fresh key for one form: the same form sent twice records one attempt."""
    return secrets.token_urlsafe(24)
