"""What a cell says of itself: its text, tags, nbgrader's marks and the platform's metadata
(each value checked for its shape)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _

from quest_platform.models import StageKind
from quest_platform.notebooks.plan import Reader
from quest_platform.notebooks.vocabulary import (
    METADATA_KEY,
    POINTS_RANGE,
    QUESTION_SHAPES,
    SETTING_SHAPES,
    STAGE_TAGS,
)

SETTING_TYPES: dict[str, type | tuple[type, ...]] = {
    "stage": str,
    "title": str,
    "points": int,
    "time_limit_seconds": int,
    "settings": dict,
    "program_tests": str,
}


def source_of(cell: Mapping[str, Any]) -> str:
    """A cell's text (the format allows a string or a list of lines)."""
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def tags_of(cell: Mapping[str, Any]) -> set[str]:
    tags = (cell.get("metadata") or {}).get("tags") or []
    return {str(tag).strip().lower() for tag in tags if isinstance(tag, str)}


def nbgrader_of(cell: Mapping[str, Any]) -> dict[str, Any]:
    value = (cell.get("metadata") or {}).get("nbgrader")
    return value if isinstance(value, dict) else {}


def stage_kind_of(cell: Mapping[str, Any], platform: Mapping[str, Any]) -> StageKind | None:
    """The kind of stage a cell's metadata or tags name, if any."""
    if "stage" in platform:
        return StageKind(platform["stage"])
    for tag in sorted(tags_of(cell)):
        if tag in STAGE_TAGS:
            return STAGE_TAGS[tag]
    return None


def language_of(metadata: Mapping[str, Any]) -> str:
    """The language of the notebook's code cells (Python unless it says otherwise)."""
    info = metadata.get("language_info")
    name = info.get("name") if isinstance(info, dict) else None
    if not isinstance(name, str):
        kernel = metadata.get("kernelspec")
        name = kernel.get("language") if isinstance(kernel, dict) else None
    return name.lower() if isinstance(name, str) and name.isidentifier() else "python"


def text_setting(mapping: Mapping[str, Any], key: str) -> str:
    value = mapping.get(key)
    return value.strip() if isinstance(value, str) else ""


def platform_metadata(reader: Reader, number: int, cell: Mapping[str, Any]) -> dict[str, Any]:
    """The cell's ``quest_platform`` metadata, each key checked (wrong ones are problems)."""
    value = (cell.get("metadata") or {}).get(METADATA_KEY)
    if value is None:
        return {}
    if not isinstance(value, dict):
        reader.problem(
            number,
            _(
                "Cell %(number)d: its “%(key)s” metadata must be an object.",
                number=number,
                key=METADATA_KEY,
            ),
        )
        return {}
    kept = {}
    for key, kind in SETTING_TYPES.items():
        if key not in value:
            continue
        if not isinstance(value[key], kind) or isinstance(value[key], bool):
            reader.problem(
                number,
                _(
                    "Cell %(number)d: the metadata “%(key)s” has a value of the wrong type.",
                    number=number,
                    key=f"{METADATA_KEY}.{key}",
                ),
            )
            continue
        kept[key] = value[key]
    low, high = POINTS_RANGE
    if "points" in kept and not low <= kept["points"] <= high:
        reader.problem(
            number,
            _(
                "Cell %(number)d: points must be between %(low)d and %(high)d.",
                number=number,
                low=low,
                high=high,
            ),
        )
        kept.pop("points")
    if "time_limit_seconds" in kept and kept["time_limit_seconds"] <= 0:
        reader.problem(
            number, _("Cell %(number)d: a time limit must be a positive number.", number=number)
        )
        kept.pop("time_limit_seconds")
    if "settings" in kept:
        kept["settings"] = checked_settings(reader, number, kept["settings"])
    stage = kept.get("stage")
    if stage is not None and stage not in {kind.value for kind in StageKind}:
        reader.problem(
            number,
            _("Cell %(number)d: “%(stage)s” is not a kind of stage.", number=number, stage=stage),
        )
        kept.pop("stage")
    return kept


def checked_settings(reader: Reader, number: int, settings: dict[str, Any]) -> dict[str, Any]:
    """The stage settings of a cell's metadata whose values have their shape (see
    SETTING_SHAPES); a wrong shape is a problem, an unknown key a note."""
    kept = {}
    for key, value in settings.items():
        shape = SETTING_SHAPES.get(key)
        if shape is None:
            reader.note(
                number,
                _(
                    "Cell %(number)d: the setting “%(key)s” is not one the platform knows; it was "
                    "left out.",
                    number=number,
                    key=key,
                ),
            )
        elif has_shape(value, shape):
            kept[key] = value
        else:
            reader.problem(
                number,
                _(
                    "Cell %(number)d: the setting “%(key)s” has a value of the wrong type.",
                    number=number,
                    key=key,
                ),
            )
    return kept


def has_shape(value: Any, shape: str) -> bool:
    """Whether ``value`` is of ``shape``: text, texts, number, numbers, flag or questions."""
    match shape:
        case "text":
            return isinstance(value, str)
        case "texts":
            return isinstance(value, list) and all(isinstance(item, str) for item in value)
        case "number":
            return isinstance(value, int) and not isinstance(value, bool)
        case "numbers":
            return isinstance(value, list) and all(has_shape(item, "number") for item in value)
        case "flag":
            return isinstance(value, bool)
        case "questions":
            return isinstance(value, list) and all(
                isinstance(question, dict)
                and all(
                    key in QUESTION_SHAPES and has_shape(item, QUESTION_SHAPES[key])
                    for key, item in question.items()
                )
                for question in value
            )
    return False
