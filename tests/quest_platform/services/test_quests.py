"""Quest services: authoring a quest stage by stage, publishing it only when complete, keeping
it publishable while students use it, copying, archiving and deleting it, and assigning it."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from quest_platform.models import (
    Attempt,
    AuditEntry,
    Quest,
    QuestAssignment,
    QuestStatus,
    Stage,
    utcnow,
)
from quest_platform.services import ServiceError
from quest_platform.services.errors import Conflict, NotAllowed
from quest_platform.services.quests import (
    QuestNotPublishable,
    StageDraft,
    add_stage,
    archive_quest,
    assign_quest,
    check_may_edit,
    checked_slug,
    checked_stage,
    copy_quest,
    create_quest,
    delete_quest,
    delete_stage,
    has_attempts,
    may_edit_quest,
    may_read_quest,
    move_stage,
    publish_quest,
    publishing_problems,
    renumber,
    slug_from_title,
    update_quest,
    update_stage,
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


# Authoring: helpers


@pytest.fixture
def answer(make):
    """Record a new student's attempt at a stage."""

    def record(stage: Stage) -> Attempt:
        return make.attempt(student=make.student(), quest=stage.quest, position=stage.position)

    return record


def audit_of(db, table: str, record_id: int) -> list[AuditEntry]:
    query = select(AuditEntry).where(
        AuditEntry.table_name == table, AuditEntry.record_id == str(record_id)
    )
    return list(db.session.scalars(query.order_by(AuditEntry.id)))


def stages_of(db, quest: Quest) -> list[tuple[int, str]]:
    """The quest's stages as stored now: (position, title) in order."""
    db.session.expire_all()
    return [(stage.position, stage.title) for stage in quest.stages]


def complete_drafts(make) -> dict[str, StageDraft]:
    """A complete stage of every kind."""
    drafts = {draft.kind: draft for draft in make.stage_drafts(6)}
    drafts["code"] = StageDraft(
        "code",
        "Add up",
        settings={
            "prompt": "Write add(a, b).",
            "tests": "add(1, 2) == 3",
            "solution": "def add(a, b):\n    return a + b\n",
        },
    )
    return drafts


# may_edit_quest, may_read_quest, check_may_edit


@pytest.mark.parametrize(
    ("who", "status", "edits", "reads"),
    [
        ("author", "draft", True, True),
        ("author", "archived", True, True),
        ("colleague", "draft", False, False),
        ("colleague", "published", False, True),
        ("colleague", "archived", False, False),
        ("admin", "draft", True, True),
        ("student", "published", False, False),
    ],
)
def test_authors_and_admins_edit_and_all_staff_read_published_quests(
    db, make, who, status, edits, reads
):
    author = make.teacher()
    people = {
        "author": author,
        "colleague": make.teacher(),
        "admin": make.admin(),
        "student": make.student(),
    }
    quest = make.quest(publish=status != "draft", author=author)
    if status == "archived":
        archive_quest(quest=quest, by=author)
    assert may_edit_quest(staff=people[who], quest=quest) is edits
    assert may_read_quest(staff=people[who], quest=quest) is reads


def test_the_system_changes_any_quest_and_a_colleague_none(db, make):
    quest = make.quest(publish=False, author=make.teacher())
    check_may_edit(quest, None)
    with pytest.raises(NotAllowed):
        check_may_edit(quest, make.teacher())


# checked_slug


def test_slugs_are_trimmed_and_lower_cased(db):
    assert checked_slug("  West-Coast-Login ") == "west-coast-login"
    assert checked_slug("a" * 80) == "a" * 80


@pytest.mark.parametrize(
    "slug",
    ["", "west coast", "west--coast", "-west", "west-", "west_coast", "café", "a" * 81],
)
def test_slugs_of_other_shapes_are_refused_on_the_slug_field(db, slug):
    with pytest.raises(ServiceError) as refused:
        checked_slug(slug)
    assert refused.value.field == "slug"
    assert not isinstance(refused.value, Conflict)


def test_a_taken_slug_is_a_conflict_except_for_its_own_quest(db, make):
    quest = make.quest(publish=False, slug="taken")
    with pytest.raises(Conflict) as refused:
        checked_slug("Taken")
    assert refused.value.field == "slug"
    assert checked_slug("taken", quest=quest) == "taken"
    with pytest.raises(Conflict):
        checked_slug("taken", quest=make.quest(publish=False))


# A quest's address made from its title


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Café API", "cafe-api"),
        ("  Sessions & Cookies 101! ", "sessions-cookies-101"),
        ("Ñandú: el año de la misión", "nandu-el-ano-de-la-mision"),
        ("Straße über Köln", "strae-uber-koln"),
        ("測驗", "quest"),
        ("--", "quest"),
        ("word " * 30, ("word-" * 14)[:-1]),
    ],
)
def test_a_slug_is_made_from_the_title_in_ascii(title, slug):
    made = slug_from_title(title)
    assert made == slug
    assert checked_slug(made) == made


def test_a_quest_without_a_slug_gets_one_from_its_title_unused_by_others(db):
    def titled(title: str) -> str:
        quest = create_quest(slug="  ", title=title, theme="", summary="", stages=[], author=None)
        return quest.slug

    assert [titled("Café API"), titled("Cafe API"), titled("CAFÉ api!")] == [
        "cafe-api",
        "cafe-api-2",
        "cafe-api-3",
    ]


def test_clearing_a_drafts_slug_makes_it_from_the_new_title(db, make):
    author = make.teacher()
    quest = make.quest(publish=False, author=author, slug="old-slug")
    update_quest(quest=quest, slug="", title="Café API", theme="", summary="", by=author)
    assert quest.slug == "cafe-api"
    # Saving again keeps the address the quest already has, not "cafe-api-2".
    update_quest(quest=quest, slug="", title="Café API", theme="", summary="", by=author)
    assert quest.slug == "cafe-api"


def test_clearing_a_published_quests_slug_keeps_it(db, make):
    author = make.teacher()
    quest = make.quest(author=author, slug="in-use")
    update_quest(quest=quest, slug="", title="Café API", theme="", summary="", by=author)
    assert quest.slug == "in-use"


# has_attempts


def test_attempts_are_found_by_quest_and_by_stage(db, make, answer):
    quest, other = make.quest(), make.quest()
    assert not has_attempts(quest=quest)
    answer(quest.stages[1])
    assert has_attempts(quest=quest)
    assert has_attempts(stage=quest.stages[1])
    assert not has_attempts(stage=quest.stages[0])
    assert not has_attempts(quest=other)


# update_quest


def test_a_draft_gets_new_details_and_an_audit_entry(db, make):
    author = make.teacher()
    quest = make.quest(publish=False, author=author, slug="old-slug")
    update_quest(
        quest=quest,
        slug=" New-Slug ",
        title="  New title ",
        theme=" Digital Famine ",
        summary=" Short. ",
        by=author,
    )
    db.session.expire_all()
    assert (quest.slug, quest.title, quest.theme, quest.summary) == (
        "new-slug",
        "New title",
        "Digital Famine",
        "Short.",
    )
    entry = audit_of(db, "quest", quest.id)[-1]
    assert (entry.action, entry.actor_id) == ("update", author.id)
    assert (entry.before["slug"], entry.after["slug"]) == ("old-slug", "new-slug")


@pytest.mark.parametrize("status", ["published", "archived"])
def test_the_slug_of_a_quest_in_use_stays_while_its_title_may_change(db, make, status):
    quest = make.quest(slug="in-use")
    if status == "archived":
        archive_quest(quest=quest, by=None)
    details = {"theme": "Digital Famine", "summary": "", "by": None}
    with pytest.raises(ServiceError) as refused:
        update_quest(quest=quest, slug="renamed", title="New title", **details)
    assert refused.value.field == "slug"
    db.session.rollback()
    db.session.expire_all()
    assert quest.slug == "in-use"
    assert quest.title != "New title"
    update_quest(quest=quest, slug="in-use", title="New title", **details)
    db.session.expire_all()
    assert (quest.slug, quest.title) == ("in-use", "New title")


def test_a_quest_needs_a_title_and_its_author(db, make):
    author = make.teacher()
    quest = make.quest(publish=False, author=author, slug="mine")
    with pytest.raises(ServiceError) as refused:
        update_quest(quest=quest, slug="mine", title=" ", theme="", summary="", by=author)
    assert refused.value.field == "title"
    with pytest.raises(NotAllowed):
        update_quest(
            quest=quest, slug="mine", title="Taken over", theme="", summary="", by=make.teacher()
        )
    db.session.expire_all()
    assert quest.title != "Taken over"


# checked_stage


@pytest.mark.parametrize(
    "kind", ["lesson", "quiz", "checkpoint", "reflection", "self_check", "code", "timed"]
)
def test_a_complete_stage_of_every_kind_passes(make, kind):
    draft = complete_drafts(make)[kind]
    assert checked_stage(draft) is draft


@pytest.mark.parametrize(
    ("kind", "change", "field", "reason"),
    [
        ("lesson", {"content": "  "}, "content", "the lesson has no text"),
        ("quiz", {"settings": {"questions": []}}, "questions", "the quiz has no questions"),
        (
            "checkpoint",
            {"settings": {"rubric": ["Runs"]}},
            "prompt",
            "the checkpoint has no prompt",
        ),
        ("reflection", {"settings": {}}, "prompt", "the reflection has no prompt"),
        ("self_check", {"settings": {"items": []}}, "items", "the self-check has no items"),
        ("code", {"settings": {"prompt": " "}}, "prompt", "the code challenge has no prompt"),
    ],
)
def test_an_incomplete_stage_is_refused_on_the_field_at_fault(make, kind, change, field, reason):
    with pytest.raises(ServiceError) as refused:
        checked_stage(replace(complete_drafts(make)[kind], **change))
    assert refused.value.field == field
    assert reason in refused.value.message


@pytest.mark.parametrize(
    ("kind", "change", "reason"),
    [
        ("checkpoint", {"settings": {"prompt": "Paste it."}}, "the checkpoint has no rubric"),
        ("timed", {"time_limit_seconds": None}, "a timed stage needs a time limit"),
    ],
)
def test_missing_rubrics_and_time_limits_are_refused(make, kind, change, reason):
    with pytest.raises(ServiceError) as refused:
        checked_stage(replace(complete_drafts(make)[kind], **change))
    assert reason in refused.value.message


@pytest.mark.parametrize("kind", ["lesson", "quiz", "checkpoint"])
def test_an_image_without_alternative_text_is_refused_on_the_text(make, kind):
    draft = complete_drafts(make)[kind]
    text = f"{draft.content}\n\n![](diagram.png)\n\n![The login form](form.png)"
    with pytest.raises(ServiceError) as refused:
        checked_stage(replace(draft, content=text))
    assert refused.value.field == "content"
    assert "the image diagram.png has no alternative text" in refused.value.message
    assert "form.png" not in refused.value.message


@pytest.mark.parametrize(
    ("change", "field"),
    [({"title": "  "}, "title"), ({"points": -1}, "points"), ({"points": 1001}, "points")],
)
def test_a_stage_needs_a_title_and_sensible_points(make, change, field):
    with pytest.raises(ServiceError) as refused:
        checked_stage(replace(complete_drafts(make)["lesson"], **change))
    assert refused.value.field == field


@pytest.mark.parametrize("points", [0, 1000])
def test_points_from_zero_to_a_thousand_are_fine(make, points):
    checked_stage(replace(complete_drafts(make)["lesson"], points=points))


# add_stage


def test_a_stage_is_added_at_the_end_and_audited(db, make):
    author = make.teacher()
    quest = make.quest(stages=3, publish=False, author=author)
    stage = add_stage(quest=quest, draft=StageDraft("lesson", " Wrap up ", "Done."), by=author)
    assert [position for position, _title in stages_of(db, quest)] == [1, 2, 3, 4]
    assert (stage.position, stage.title, stage.kind) == (4, "Wrap up", "lesson")
    entry = audit_of(db, "stage", stage.id)[-1]
    assert (entry.action, entry.actor_id, entry.after["position"]) == ("create", author.id, 4)


@pytest.mark.parametrize("publish", [True, False], ids=["published", "draft"])
def test_a_ninth_stage_is_refused(db, make, publish):
    quest = make.quest(stages=8, publish=publish)
    with pytest.raises(ServiceError) as refused:
        add_stage(quest=quest, draft=StageDraft("lesson", "Ninth", "Text."), by=None)
    assert refused.value.field == "kind"
    assert len(stages_of(db, quest)) == 8


def test_a_published_quest_takes_an_eighth_complete_stage_and_stays_publishable(db, make):
    quest = make.quest(stages=7)
    add_stage(quest=quest, draft=StageDraft("lesson", "Eighth", "Text."), by=None)
    assert len(stages_of(db, quest)) == 8
    assert publishing_problems(quest) == []


def test_an_incomplete_or_unknown_stage_is_not_added(db, make):
    quest = make.quest(stages=7)
    with pytest.raises(ServiceError) as refused:
        add_stage(quest=quest, draft=StageDraft("lesson", "Empty", " "), by=None)
    assert refused.value.field == "content"
    with pytest.raises(ServiceError) as refused:
        add_stage(quest=quest, draft=StageDraft("poem", "Odd", "Text."), by=None)
    assert refused.value.field == "kind"
    db.session.rollback()
    assert len(stages_of(db, quest)) == 7
    assert publishing_problems(quest) == []


def test_only_the_author_or_an_admin_adds_stages(db, make):
    author = make.teacher()
    quest = make.quest(stages=6, publish=False, author=author)
    with pytest.raises(NotAllowed):
        add_stage(quest=quest, draft=StageDraft("lesson", "Mine now", "Text."), by=make.teacher())
    add_stage(quest=quest, draft=StageDraft("lesson", "Admin's", "Text."), by=make.admin())
    assert [title for _position, title in stages_of(db, quest)][-1] == "Admin's"


# update_stage


def test_a_stage_is_edited_in_place_and_audited(db, make):
    author = make.teacher()
    quest = make.quest(author=author)
    stage = quest.stages[0]
    draft = StageDraft("lesson", " Sessions, again ", "### New text", 15, {"estimated_minutes": 9})
    update_stage(stage=stage, draft=draft, by=author)
    db.session.expire_all()
    assert (stage.position, stage.title, stage.content, stage.points, stage.settings) == (
        1,
        "Sessions, again",
        "### New text",
        15,
        {"estimated_minutes": 9},
    )
    entry = audit_of(db, "stage", stage.id)[-1]
    assert (entry.action, entry.actor_id) == ("update", author.id)
    assert entry.before["title"] == "Why sessions"
    assert entry.after["title"] == "Sessions, again"


def test_a_stage_keeps_its_kind(db, make):
    quest = make.quest()
    lesson = quest.stages[0]
    with pytest.raises(ServiceError) as refused:
        update_stage(stage=lesson, draft=complete_drafts(make)["quiz"], by=None)
    assert refused.value.field == "kind"
    db.session.expire_all()
    assert lesson.kind == "lesson"


def test_editing_a_stage_leaves_recorded_attempts_as_they_were(db, make, answer):
    quest = make.quest()
    quiz = quest.stages[1]
    attempt = answer(quiz)
    recorded = (attempt.stage_id, attempt.answer, attempt.score, attempt.max_score, attempt.outcome)
    question = {
        "id": "q1",
        "type": "multiple",
        "prompt": "Which are cookies' flags?",
        "choices": ["Secure", "HttpOnly", "Bold"],
        "answer": [0, 1],
    }
    draft = StageDraft("quiz", "Harder quiz", points=20, settings={"questions": [question]})
    update_stage(stage=quiz, draft=draft, by=None)
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt.id)
    assert (
        attempt.stage_id,
        attempt.answer,
        attempt.score,
        attempt.max_score,
        attempt.outcome,
    ) == recorded
    assert (quiz.title, quiz.points, quiz.settings["questions"]) == ("Harder quiz", 20, [question])


def test_a_published_quest_is_never_edited_into_an_incomplete_one(db, make):
    quest = make.quest()
    lesson = quest.stages[0]
    with pytest.raises(ServiceError) as refused:
        update_stage(
            stage=lesson, draft=replace(complete_drafts(make)["lesson"], content=""), by=None
        )
    assert refused.value.field == "content"
    db.session.rollback()
    db.session.expire_all()
    assert lesson.content.startswith("### Sessions")
    assert publishing_problems(quest) == []


def test_only_the_author_or_an_admin_edits_stages(db, make):
    quest = make.quest(author=make.teacher())
    with pytest.raises(NotAllowed):
        update_stage(
            stage=quest.stages[0], draft=complete_drafts(make)["lesson"], by=make.teacher()
        )


# move_stage and renumber (positions are unique per quest, in the database itself)


def test_positions_are_unique_per_quest_in_the_database(db, make):
    from sqlalchemy.exc import IntegrityError

    quest = make.quest(stages=6)
    db.session.add(Stage(quest=quest, position=2, kind="lesson", title="Twin", content="Text."))
    with pytest.raises(IntegrityError):
        db.session.commit()


def test_a_stage_moves_to_either_end_and_the_others_shift(db, make):
    author = make.teacher()
    quest = make.quest(stages=8, author=author)
    titles = [title for _position, title in stages_of(db, quest)]
    last = quest.stages[7]
    move_stage(stage=last, offset=-7, by=author)
    assert stages_of(db, quest) == list(enumerate([titles[7], *titles[:7]], start=1))
    move_stage(stage=last, offset=10, by=author)
    assert stages_of(db, quest) == list(enumerate(titles, start=1))
    entries = audit_of(db, "stage", last.id)
    assert [(e.action, e.before["position"], e.after["position"]) for e in entries[-2:]] == [
        ("move", 8, 1),
        ("move", 1, 8),
    ]
    assert entries[-1].actor_id == author.id


@pytest.mark.parametrize(("index", "offset"), [(0, -1), (6, 1)], ids=["first-up", "last-down"])
def test_a_stage_at_the_end_stays_put(db, make, index, offset):
    quest = make.quest(stages=7)
    before = stages_of(db, quest)
    stage = quest.stages[index]
    entries = len(audit_of(db, "stage", stage.id))
    assert move_stage(stage=stage, offset=offset, by=None) is stage
    assert stages_of(db, quest) == before
    assert len(audit_of(db, "stage", stage.id)) == entries


def test_one_place_up_swaps_neighbours(db, make):
    quest = make.quest(stages=6)
    titles = [title for _position, title in stages_of(db, quest)]
    move_stage(stage=quest.stages[3], offset=-1, by=None)
    assert [title for _position, title in stages_of(db, quest)] == [
        titles[0],
        titles[1],
        titles[3],
        titles[2],
        titles[4],
        titles[5],
    ]


def test_renumbering_reverses_a_full_quest(db, make):
    quest = make.quest(stages=8)
    titles = [title for _position, title in stages_of(db, quest)]
    renumber(quest, list(reversed(quest.stages)))
    db.session.commit()
    assert stages_of(db, quest) == list(enumerate(reversed(titles), start=1))


def test_only_the_author_or_an_admin_moves_stages(db, make):
    quest = make.quest(author=make.teacher())
    before = stages_of(db, quest)
    with pytest.raises(NotAllowed):
        move_stage(stage=quest.stages[2], offset=-1, by=make.teacher())
    assert stages_of(db, quest) == before


# delete_stage


def test_deleting_a_stage_closes_the_gap_and_is_audited(db, make):
    author = make.teacher()
    quest = make.quest(stages=5, publish=False, author=author)
    titles = [title for _position, title in stages_of(db, quest)]
    stage = quest.stages[1]
    stage_id = stage.id
    delete_stage(stage=stage, by=author)
    assert stages_of(db, quest) == list(enumerate([titles[0], *titles[2:]], start=1))
    assert db.session.get(Stage, stage_id) is None
    entry = audit_of(db, "stage", stage_id)[-1]
    assert (entry.action, entry.actor_id, entry.after) == ("delete", author.id, {})
    assert entry.before["title"] == titles[1]


def test_a_stage_students_answered_stays(db, make, answer):
    quest = make.quest(stages=8)
    answer(quest.stages[4])
    with pytest.raises(Conflict):
        delete_stage(stage=quest.stages[4], by=None)
    db.session.rollback()
    assert len(stages_of(db, quest)) == 8


def test_a_published_quest_keeps_at_least_six_stages(db, make):
    quest = make.quest(stages=7)
    delete_stage(stage=quest.stages[6], by=None)
    assert len(stages_of(db, quest)) == 6
    assert publishing_problems(quest) == []
    with pytest.raises(Conflict) as refused:
        delete_stage(stage=quest.stages[0], by=None)
    assert "at least 6 stages" in refused.value.message
    db.session.rollback()
    assert len(stages_of(db, quest)) == 6


def test_a_draft_may_have_fewer_than_six_stages(db, make):
    quest = make.quest(stages=6, publish=False)
    delete_stage(stage=quest.stages[0], by=None)
    assert len(stages_of(db, quest)) == 5


def test_only_the_author_or_an_admin_deletes_stages(db, make):
    quest = make.quest(stages=7, author=make.teacher())
    with pytest.raises(NotAllowed):
        delete_stage(stage=quest.stages[6], by=make.teacher())
    delete_stage(stage=quest.stages[6], by=make.admin())
    assert len(stages_of(db, quest)) == 6


# publish_quest, again


def test_publishing_a_published_quest_again_changes_nothing(db, make):
    quest = make.quest()
    db.session.expire_all()
    first, entries = quest.published_at, len(audit_of(db, "quest", quest.id))
    publish_quest(quest=quest, by=None)
    db.session.expire_all()
    assert quest.published_at == first
    assert len(audit_of(db, "quest", quest.id)) == entries


def test_an_archived_quest_can_be_published_again(db, make):
    quest = make.quest()
    archive_quest(quest=quest, by=None)
    publish_quest(quest=quest, by=None)
    db.session.expire_all()
    assert quest.status == QuestStatus.PUBLISHED


def test_images_need_alternative_text_before_publishing(db, make):
    stages = make.stage_drafts(6)
    stages[0] = replace(stages[0], content="### Map\n![](map.png)\n\n![The route](route.png)")
    quest = draft_quest(stages)
    with pytest.raises(QuestNotPublishable) as refused:
        publish_quest(quest=quest, by=None)
    assert refused.value.reasons == ["stage 1: the image map.png has no alternative text"]


# archive_quest


def test_archiving_keeps_attempts_and_assignments_and_is_audited(db, make, answer):
    author = make.teacher()
    quest = make.quest(author=author)
    make.assignment(quest=quest, classroom=make.classroom(teachers=[author]))
    answer(quest.stages[0])
    archive_quest(quest=quest, by=author)
    db.session.expire_all()
    assert quest.status == QuestStatus.ARCHIVED
    assert len(quest.assignments) == 1
    assert has_attempts(quest=quest)
    entry = audit_of(db, "quest", quest.id)[-1]
    assert (entry.action, entry.actor_id) == ("archive", author.id)
    assert (entry.before["status"], entry.after["status"]) == ("published", "archived")


def test_only_the_author_or_an_admin_archives(db, make):
    quest = make.quest(author=make.teacher())
    with pytest.raises(NotAllowed):
        archive_quest(quest=quest, by=make.teacher())
    archive_quest(quest=quest, by=make.admin())
    db.session.expire_all()
    assert quest.status == QuestStatus.ARCHIVED


# copy_quest


def test_a_copy_is_a_draft_of_the_copier_with_the_same_stages(db, make):
    author, colleague = make.teacher(), make.teacher()
    quest = make.quest(author=author, slug="sessions")
    copy = copy_quest(quest=quest, by=colleague)
    db.session.expire_all()
    assert (copy.slug, copy.title, copy.author, copy.status, copy.published_at) == (
        "sessions-copy",
        f"Copy of {quest.title}",
        colleague,
        QuestStatus.DRAFT,
        None,
    )
    assert (copy.theme, copy.summary) == (quest.theme, quest.summary)

    def content(q: Quest) -> list[tuple]:
        return [
            (s.position, s.kind, s.title, s.content, s.points, s.settings, s.time_limit_seconds)
            for s in q.stages
        ]

    assert content(copy) == content(quest)
    assert not {s.id for s in copy.stages} & {s.id for s in quest.stages}
    entry = audit_of(db, "quest", copy.id)[-1]
    assert (entry.action, entry.actor_id, entry.before) == (
        "copy",
        colleague.id,
        {"copied_from": quest.id},
    )


def test_copies_get_numbered_slugs(db, make):
    teacher = make.teacher()
    quest = make.quest(slug="sessions")
    slugs = [copy_quest(quest=quest, by=teacher).slug for _ in range(3)]
    assert slugs == ["sessions-copy", "sessions-copy-2", "sessions-copy-3"]
    first = db.session.scalar(select(Quest).where(Quest.slug == "sessions-copy"))
    assert copy_quest(quest=first, by=teacher).slug == "sessions-copy-copy"


def test_the_copy_of_a_long_slug_is_a_valid_slug(db, make):
    teacher = make.teacher()
    # Cut at 70 characters, this slug would end with a dash.
    quest = make.quest(slug=f"{'a' * 69}-{'b' * 10}")
    copies = [copy_quest(quest=quest, by=teacher) for _ in range(2)]
    assert [copy.slug for copy in copies] == [f"{'a' * 69}-copy", f"{'a' * 69}-copy-2"]
    for copy in copies:
        assert checked_slug(copy.slug, quest=copy) == copy.slug
    update_quest(
        quest=copies[0], slug=copies[0].slug, title="Mine", theme="", summary="", by=teacher
    )


def test_a_teacher_copies_their_own_quests_and_published_ones(db, make):
    teacher, colleague = make.teacher(), make.teacher()
    own_draft = make.quest(publish=False, author=teacher)
    assert copy_quest(quest=own_draft, by=teacher).author == teacher
    for quest in (make.quest(publish=False, author=colleague), make.quest(author=colleague)):
        if quest.status == QuestStatus.PUBLISHED:
            archive_quest(quest=quest, by=colleague)
        with pytest.raises(NotAllowed):
            copy_quest(quest=quest, by=teacher)
    assert copy_quest(quest=make.quest(author=colleague), by=teacher).author == teacher
    admin = make.admin()
    assert copy_quest(quest=make.quest(publish=False, author=colleague), by=admin).author == admin


def test_changing_a_copy_leaves_the_original(db, make):
    quest = make.quest()
    copy = copy_quest(quest=quest, by=make.teacher())
    question = {"id": "q1", "type": "short", "prompt": "Cookie flag?", "accepted": ["Secure"]}
    draft = StageDraft("quiz", "Changed", settings={"questions": [question]})
    update_stage(stage=copy.stages[1], draft=draft, by=None)
    db.session.expire_all()
    assert quest.stages[1].title == "Sessions quiz"
    assert quest.stages[1].settings["questions"][0]["type"] == "single"


# delete_quest


def test_an_unused_quest_is_deleted_with_its_stages_and_audited(db, make):
    author = make.teacher()
    quest = make.quest(author=author)
    quest_id, slug = quest.id, quest.slug
    delete_quest(quest=quest, by=author)
    db.session.expire_all()
    assert db.session.get(Quest, quest_id) is None
    assert db.session.scalars(select(Stage).where(Stage.quest_id == quest_id)).all() == []
    entry = audit_of(db, "quest", quest_id)[-1]
    assert (entry.action, entry.actor_id, entry.before["slug"], entry.after) == (
        "delete",
        author.id,
        slug,
        {},
    )


def test_a_quest_students_answered_is_kept(db, make, answer):
    quest = make.quest()
    answer(quest.stages[2])
    with pytest.raises(Conflict) as refused:
        delete_quest(quest=quest, by=None)
    assert "archive it instead" in refused.value.message
    db.session.rollback()
    assert db.session.get(Quest, quest.id) is not None


def test_an_assigned_quest_is_kept(db, make):
    quest = make.quest()
    make.assignment(quest=quest, classroom=make.classroom())
    with pytest.raises(Conflict) as refused:
        delete_quest(quest=quest, by=None)
    assert "assigned" in refused.value.message
    db.session.rollback()
    assert db.session.get(Quest, quest.id) is not None


def test_only_the_author_or_an_admin_deletes_a_quest(db, make):
    quest = make.quest(publish=False, author=make.teacher())
    quest_id = quest.id
    with pytest.raises(NotAllowed):
        delete_quest(quest=quest, by=make.teacher())
    delete_quest(quest=quest, by=make.admin())
    assert db.session.get(Quest, quest_id) is None
