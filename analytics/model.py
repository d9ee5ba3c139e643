"""The quest model the platform ships: its fitted numbers, kept in a file beside this module.

A new school has no labelled history, so the model it starts with is fitted on simulated
classes (``seeds.cohorts.fit_default_model``; ``python -m seeds.cohorts`` writes the file again)
and shipped with the code. A process reads the file once: the shipped model is a constant of the
release. Once the school has history, models learned from it are stored in the database and
used instead (``quest_platform/services/prediction_models.py``), each starting from this one.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from analytics.prediction import QuestModel

MODEL_FILE = Path(__file__).with_name("quest_model.json")


def read_model(path: Path = MODEL_FILE) -> QuestModel:
    """The model whose fitted numbers ``path`` holds (written by ``write_model``)."""
    return QuestModel.from_parameters(json.loads(path.read_text("utf-8")))


def write_model(model: QuestModel, path: Path = MODEL_FILE) -> None:
    """Keep ``model``'s fitted numbers in ``path``, readable by people and by ``read_model``."""
    path.write_text(json.dumps(model.parameters(), indent=2) + "\n", "utf-8")


@cache
def shipped_model() -> QuestModel:
    """The quest model the platform ships, read from MODEL_FILE once per process."""
    return read_model()
