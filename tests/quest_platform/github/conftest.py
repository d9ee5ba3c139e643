"""The ``hub`` fixture of the GitHub tests (see github_deliveries.py)."""

from __future__ import annotations

import pytest
from github_deliveries import Hub, checkpoint_quest, give

from quest_platform.services.github import link_github_username, turn_on_github_webhook


@pytest.fixture
def hub(make, client, db) -> Hub:
    teacher, student = make.teacher(), make.student()
    classroom = make.classroom(teachers=[teacher], students=[student])
    quest = checkpoint_quest(make)
    give(quest, classroom)
    link_github_username(user=student, github_username="ada-codes", by=student)
    secret = turn_on_github_webhook(classroom=classroom, by=teacher)
    return Hub(
        client=client,
        classroom=classroom,
        teacher=teacher,
        student=student,
        quest=quest,
        checkpoint=quest.stages[0],
        secret=secret,
    )
