"""Quest services: a quest is published only when complete, and assigned only sensibly."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from quest_platform.models import QuestAssignment, QuestStatus, Stage, utcnow
from quest_platform.services import ServiceError
from quest_platform.services.errors import Conflict, NotAllowed
from quest_platform.services.quests import (
    QuestNotPublishable,
    StageDraft,
    assign_quest,
    create_quest,
    publish_quest,
)


def draft_quest(stages: list[StageDraft], *, author=None, slug: str = "sessions"):
    return create_quest(
        slug=slug,
        title="Sessions and logins",
        theme="Digital Famine",
        summary="Sign users in and out safely.",
        stages=stages,
        author=author,
    )


# publish_quest


@pytest.mark.parametrize("stages", [6, 7, 8])
def test_quests_of_six_to_eight_complete_stages_are_published(db, make, stages):
    quest = make.quest(stages=stages, publish=False)
    publish_quest(quest=quest, by=None)
    db.session.refresh(quest)
    assert quest.status == QuestStatus.PUBLISHED
    assert quest.published_at is not None


@pytest.mark.parametrize("stages", [0, 5])
def test_quests_with_too_few_stages_are_refused_with_the_reason(db, make, stages):
    quest = make.quest(stages=stages, publish=False)
    with pytest.raises(QuestNotPublishable) as refused:
        publish_quest(quest=quest, by=None)
    assert refused.value.reasons == [f"a published quest needs 6 to 8 stages; it has {stages}"]
    db.session.refresh(quest)
    assert quest.status == QuestStatus.DRAFT


def test_quests_with_nine_stages_are_refused_with_the_reason(db, make):
    quest = make.quest(stages=8, publish=False)
    quest.stages.append(Stage(position=9, kind="lesson", title="Extra", content="More."))
    db.session.commit()
    with pytest.raises(QuestNotPublishable) as refused:
        publish_quest(quest=quest, by=None)
    assert refused.value.reasons == ["a published quest needs 6 to 8 stages; it has 9"]
    assert "9" in refused.value.message


def test_nine_stages_cannot_even_be_drafted(db, make):
    with pytest.raises(ServiceError) as refused:
        draft_quest(make.stage_drafts(9))
    assert refused.value.field == "stages"


def test_quiz_question_without_a_correct_answer_is_refused(db, make):
    stages = make.stage_drafts(7)
    quiz = stages[1]
    question = {**quiz.settings["questions"][0], "answer": []}
    stages[1] = replace(quiz, settings={"questions": [question]})
    quest = draft_quest(stages)
    with pytest.raises(QuestNotPublishable) as refused:
        publish_quest(quest=quest, by=None)
    assert refused.value.reasons == ["stage 2: question 1 has no correct answer among its choices"]


def test_timed_stage_without_a_time_limit_is_refused(db, make):
    stages = make.stage_drafts(7)
    assert stages[5].kind == "timed"
    stages[5] = replace(stages[5], time_limit_seconds=None)
    quest = draft_quest(stages)
    with pytest.raises(QuestNotPublishable) as refused:
        publish_quest(quest=quest, by=None)
    assert refused.value.reasons == ["stage 6: a timed stage needs a time limit"]


def test_every_problem_is_reported_at_once(db, make):
    stages = make.stage_drafts(5)
    stages[0] = replace(stages[0], content="  ")
    quest = draft_quest(stages)
    with pytest.raises(QuestNotPublishable) as refused:
        publish_quest(quest=quest, by=None)
    assert refused.value.reasons == [
        "a published quest needs 6 to 8 stages; it has 5",
        "stage 1: the lesson has no text",
    ]


def test_only_the_author_or_an_admin_publishes(db, make):
    author, colleague, admin = make.teacher(), make.teacher(), make.admin()
    quest = make.quest(publish=False, author=author)
    with pytest.raises(NotAllowed):
        publish_quest(quest=quest, by=colleague)
    assert publish_quest(quest=quest, by=admin).status == QuestStatus.PUBLISHED


# assign_quest


def test_a_published_quest_is_assigned_between_two_dates(db, make):
    teacher = make.teacher()
    classroom, quest = make.classroom(teachers=[teacher]), make.quest()
    opens = utcnow()
    assignment = assign_quest(
        quest=quest,
        classroom=classroom,
        opens_at=opens,
        due_at=opens + timedelta(days=7),
        by=teacher,
    )
    assert assignment in classroom.assignments
    assert assignment.due_at - assignment.opens_at == timedelta(days=7)


@pytest.mark.parametrize("days", [-1, 0], ids=["due-before-open", "due-when-open"])
def test_due_date_must_come_after_the_opening(db, make, days):
    classroom, quest = make.classroom(), make.quest()
    opens = utcnow()
    with pytest.raises(ServiceError) as refused:
        assign_quest(
            quest=quest,
            classroom=classroom,
            opens_at=opens,
            due_at=opens + timedelta(days=days),
            by=None,
        )
    assert refused.value.field == "due_at"
    assert db.session.scalars(select(QuestAssignment)).all() == []


def test_unpublished_quests_are_not_assigned(db, make):
    classroom, quest = make.classroom(), make.quest(publish=False)
    opens = utcnow()
    with pytest.raises(ServiceError) as refused:
        assign_quest(
            quest=quest,
            classroom=classroom,
            opens_at=opens,
            due_at=opens + timedelta(days=7),
            by=None,
        )
    assert "published" in refused.value.message


def test_assigning_a_quest_twice_to_a_classroom_is_a_conflict(db, make):
    classroom, quest = make.classroom(), make.quest()
    make.assignment(quest=quest, classroom=classroom)
    with pytest.raises(Conflict):
        make.assignment(quest=quest, classroom=classroom)
    assert len(db.session.scalars(select(QuestAssignment)).all()) == 1


def test_teachers_assign_only_to_their_own_classrooms(db, make):
    classroom, quest, stranger = make.classroom(), make.quest(), make.teacher()
    opens = utcnow()
    with pytest.raises(NotAllowed):
        assign_quest(
            quest=quest,
            classroom=classroom,
            opens_at=opens,
            due_at=opens + timedelta(days=7),
            by=stranger,
        )
