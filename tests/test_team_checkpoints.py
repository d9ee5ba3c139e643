"""Team checkpoints: one member hands in for the team, every current member is credited with an
attempt of their own, and the teacher reviews once for all of them."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from helpers import at_once
from PIL import Image
from sqlalchemy import func, select

from quest_platform.extensions import db
from quest_platform.models import (
    Attempt,
    AttemptMessage,
    AuditEntry,
    Classroom,
    Enrollment,
    EvidenceFile,
    Outcome,
    PointsEntry,
    PointsReason,
    Quest,
    QuestTally,
    Review,
    Stage,
    StageTally,
    Team,
    TeamHandIn,
    User,
)
from quest_platform.queries.activity import awaiting_review_counts
from quest_platform.queries.attempts import next_awaiting_review
from quest_platform.queries.progress import StageState, progress_for
from quest_platform.queries.team_hand_ins import team_checkpoints
from quest_platform.services.attempts import submit_attempt
from quest_platform.services.errors import Conflict, ServiceError
from quest_platform.services.evidence import Screenshot
from quest_platform.services.quests import StageDraft, create_quest, publish_quest
from quest_platform.services.reviews import review_attempt
from quest_platform.services.teams import create_team, delete_team, place_student, rename_team
from quest_platform.services.tokens import create_api_token

TEAM_STAGE = StageDraft(
    "checkpoint",
    "Ship the login page",
    points=10,
    settings={
        "prompt": "Show your team's login page.",
        "rubric": ["Hashes passwords"],
        "evidence": ["code", "screenshot"],
        "team": True,
    },
)
EVIDENCE = {"evidence": "Our login route hashes passwords."}


@dataclass
class Squad:
    """A class with a team quest: its teacher, classroom, the team and its members, and a
    classmate in no team."""

    teacher: User
    classroom: Classroom
    quest: Quest
    stage: Stage
    team: Team
    members: list[User]
    loner: User


def team_quest(make) -> Quest:
    """A published quest whose first stage is a team checkpoint."""
    drafts = [TEAM_STAGE, *(StageDraft("lesson", f"Lesson {n}", "### Read") for n in range(5))]
    quest = create_quest(
        slug=f"team-quest-{uuid.uuid4().hex[:8]}",
        title="Team quest",
        theme="West Coast Travel",
        summary="A quest with a team checkpoint.",
        stages=drafts,
        author=None,
    )
    return publish_quest(quest=quest, by=None)


@pytest.fixture
def squad(make) -> Squad:
    return squad_of(make, members=3)


def squad_of(make, *, members: int) -> Squad:
    teacher = make.teacher()
    students = [make.student() for _ in range(members + 1)]
    classroom = make.classroom(teachers=[teacher], students=students)
    quest = team_quest(make)
    make.assignment(quest=quest, classroom=classroom, by=teacher)
    team = create_team(
        classroom=classroom,
        name="Debuggers",
        member_ids=[student.id for student in students[:members]],
        by=teacher,
    )
    return Squad(
        teacher=teacher,
        classroom=classroom,
        quest=quest,
        stage=quest.stages[0],
        team=team,
        members=students[:members],
        loner=students[members],
    )


def hand_in(squad: Squad, student: User, **kwargs: Any) -> Attempt:
    return submit_attempt(
        student=student,
        quest=squad.quest,
        stage=squad.stage,
        answer=kwargs.pop("answer", EVIDENCE),
        submission_key=kwargs.pop("submission_key", uuid.uuid4().hex),
        **kwargs,
    )


def attempts_of(student: User, stage: Stage) -> list[Attempt]:
    return list(
        db.session.scalars(
            select(Attempt)
            .where(Attempt.student_id == student.id, Attempt.stage_id == stage.id)
            .order_by(Attempt.id)
        )
    )


def points_of(student: User, stage: Stage) -> int:
    """The student's points for ``stage`` (the ledger agreeing with their tallies)."""
    tally = db.session.get(StageTally, (student.id, stage.id), populate_existing=True)
    ledger = db.session.scalar(
        select(func.coalesce(func.sum(PointsEntry.points), 0)).where(
            PointsEntry.student_id == student.id,
            PointsEntry.stage_id == stage.id,
            PointsEntry.reason == PointsReason.STAGE_SCORE.value,
        )
    )
    assert (tally.points if tally else 0) == ledger
    quest_tally = db.session.get(QuestTally, (student.id, stage.quest_id), populate_existing=True)
    total = db.session.scalar(
        select(func.coalesce(func.sum(PointsEntry.points), 0)).where(
            PointsEntry.student_id == student.id
        )
    )
    assert (quest_tally.points if quest_tally else 0) == total
    return int(ledger or 0)


def count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def tiny_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


# Handing in


def test_a_student_in_no_team_is_refused_and_nothing_is_written(squad: Squad) -> None:
    with pytest.raises(ServiceError, match="ask your teacher to put you in a team"):
        hand_in(squad, squad.loner)
    db.session.rollback()
    assert count(Attempt) == 0
    assert count(TeamHandIn) == 0


def test_one_hand_in_credits_every_current_member(squad: Squad) -> None:
    lead = squad.members[0]
    attempt = hand_in(squad, lead)
    hand_ins = db.session.scalars(select(TeamHandIn)).all()
    assert len(hand_ins) == 1
    assert hand_ins[0].handed_in_by_id == lead.id
    assert hand_ins[0].team_name == "Debuggers"
    assert attempt.team_hand_in_id == hand_ins[0].id
    keys = {attempt.submission_key}
    for member in squad.members:
        (own,) = attempts_of(member, squad.stage)
        assert own.team_hand_in_id == hand_ins[0].id
        assert own.answer == attempt.answer
        assert own.outcome == Outcome.PENDING_REVIEW
        keys.add(own.submission_key)
        # Their progress moves on as if they had handed in themselves.
        standing = progress_for(student=member, quest=squad.quest).stage_at(1)
        assert standing is not None
        assert standing.state == StageState.AWAITING_REVIEW
        assert progress_for(student=member, quest=squad.quest).stage_at(2).unlocked
    assert len(keys) == len(squad.members)
    assert attempts_of(squad.loner, squad.stage) == []


def test_a_resent_hand_in_returns_the_first(squad: Squad) -> None:
    key = uuid.uuid4().hex
    first = hand_in(squad, squad.members[0], submission_key=key)
    again = hand_in(squad, squad.members[0], submission_key=key)
    assert again.id == first.id
    assert count(TeamHandIn) == 1
    assert count(Attempt) == len(squad.members)


def test_former_members_are_not_credited(squad: Squad) -> None:
    gone = squad.members[-1]
    place_student(student=gone, classroom=squad.classroom, team=None, by=squad.teacher)
    hand_in(squad, squad.members[0])
    assert attempts_of(gone, squad.stage) == []
    assert count(Attempt) == len(squad.members) - 1


def test_a_former_member_cannot_hand_in_for_the_team(squad: Squad) -> None:
    gone = squad.members[-1]
    place_student(student=gone, classroom=squad.classroom, team=None, by=squad.teacher)
    with pytest.raises(ServiceError, match="put you in a team"):
        hand_in(squad, gone)


def test_a_team_waiting_for_review_may_not_hand_in_again(squad: Squad) -> None:
    first, second, *_ = squad.members
    hand_in(squad, first)
    with pytest.raises(Conflict) as refused:
        hand_in(squad, second)
    message = refused.value.message
    assert first.display_name in message
    assert "Debuggers" in message
    assert "waits for your teacher's review" in message
    db.session.rollback()
    assert count(TeamHandIn) == 1


def test_a_passed_team_may_not_hand_in_again(squad: Squad) -> None:
    first, second, *_ = squad.members
    attempt = hand_in(squad, first)
    review_attempt(attempt=attempt, score=9, outcome="passed", reason="", by=squad.teacher)
    with pytest.raises(Conflict, match="already passed this checkpoint"):
        hand_in(squad, second)


def test_after_a_failed_review_any_member_hands_in_again(squad: Squad) -> None:
    first, second, *_ = squad.members
    attempt = hand_in(squad, first)
    review_attempt(
        attempt=attempt,
        score=2,
        outcome="failed",
        reason="Hash the passwords first.",
        by=squad.teacher,
        resubmit=True,
    )
    again = hand_in(squad, second, answer={"evidence": "Now hashed with Argon2."})
    assert count(TeamHandIn) == 2
    for member in squad.members:
        tries = attempts_of(member, squad.stage)
        assert len(tries) == 2
        assert tries[-1].team_hand_in_id == again.team_hand_in_id
        assert tries[-1].answer["evidence"] == "Now hashed with Argon2."


def test_a_member_who_passed_on_their_own_keeps_their_pass(squad: Squad, make) -> None:
    first, second, third = squad.members
    own = make.attempt(student=third, quest=squad.quest, position=1, outcome="passed", score=10.0)
    hand_in(squad, first)
    assert [attempt.id for attempt in attempts_of(third, squad.stage)] == [own.id]
    assert len(attempts_of(second, squad.stage)) == 1


def test_a_bad_answer_leaves_nothing_half_written(squad: Squad) -> None:
    with pytest.raises(ServiceError, match="Add your evidence"):
        hand_in(squad, squad.members[0], answer={"evidence": "   "})
    with pytest.raises(ServiceError):
        hand_in(
            squad,
            squad.members[0],
            screenshot=Screenshot(data=b"not an image", alt_text="Our page"),
        )
    db.session.rollback()
    assert count(TeamHandIn) == 0
    assert count(Attempt) == 0
    assert count(EvidenceFile) == 0
    assert count(StageTally) == 0
    assert count(PointsEntry) == 0


# Reviewing once


def test_one_review_marks_every_member_and_their_points_follow(squad: Squad) -> None:
    lead, *others = squad.members
    attempt = hand_in(squad, lead)
    member_attempt = attempts_of(others[0], squad.stage)[0]
    review_attempt(
        attempt=member_attempt,
        score=8,
        outcome="passed",
        reason="Well done, team.",
        by=squad.teacher,
    )
    for member in squad.members:
        (own,) = attempts_of(member, squad.stage)
        db.session.refresh(own)
        assert own.result == (8, "passed")
        assert points_of(member, squad.stage) == 8
        standing = progress_for(student=member, quest=squad.quest).stage_at(1)
        assert standing is not None
        assert standing.state == StageState.PASSED
    assert points_of(squad.loner, squad.stage) == 0
    assert count(Review) == len(squad.members)
    audited = db.session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.table_name == "review")
    )
    assert audited == len(squad.members)
    # The feedback is one message, in the conversation about the lead's attempt.
    messages = db.session.scalars(select(AttemptMessage)).all()
    assert [message.attempt_id for message in messages] == [attempt.id]


def test_a_changed_result_moves_every_members_points(squad: Squad) -> None:
    attempt = hand_in(squad, squad.members[0])
    review_attempt(attempt=attempt, score=9, outcome="passed", reason="", by=squad.teacher)
    review_attempt(
        attempt=attempt, score=7, outcome="passed", reason="Rubric re-read.", by=squad.teacher
    )
    assert {points_of(member, squad.stage) for member in squad.members} == {7}


def test_a_refused_review_marks_no_one(squad: Squad) -> None:
    attempt = hand_in(squad, squad.members[0])
    with pytest.raises(ServiceError):
        review_attempt(attempt=attempt, score=99, outcome="passed", reason="", by=squad.teacher)
    assert count(Review) == 0
    assert {points_of(member, squad.stage) for member in squad.members} == {0}


def test_the_team_page_lists_its_checkpoints(squad: Squad) -> None:
    attempt = hand_in(squad, squad.members[1])
    review_attempt(attempt=attempt, score=7, outcome="passed", reason="", by=squad.teacher)
    (row,) = team_checkpoints(squad.team)
    assert row.stage.id == squad.stage.id
    assert row.handed_in_by.id == squad.members[1].id
    assert (row.score, row.outcome) == (7, "passed")


def test_a_hand_in_outlives_its_team(squad: Squad) -> None:
    attempt = hand_in(squad, squad.members[0])
    rename_team(team=squad.team, name="Bug Hunters", by=squad.teacher)
    delete_team(team=squad.team, by=squad.teacher)
    hand_in_row = db.session.scalars(select(TeamHandIn)).one()
    assert hand_in_row.team_id is None
    assert hand_in_row.team_name == "Debuggers"
    review_attempt(attempt=attempt, score=10, outcome="passed", reason="", by=squad.teacher)
    assert {points_of(member, squad.stage) for member in squad.members} == {10}


# Concurrency


def test_a_hand_in_waits_for_review_once_for_the_whole_team(squad: Squad) -> None:
    lead = squad.members[1]
    attempt = hand_in(squad, lead)
    assert awaiting_review_counts([squad.classroom.id]) == {squad.classroom.id: 1}
    assert next_awaiting_review(staff=squad.teacher) == attempt

    review_attempt(attempt=attempt, score=10, outcome="passed", reason="", by=squad.teacher)
    assert awaiting_review_counts([squad.classroom.id]) == {squad.classroom.id: 0}
    assert next_awaiting_review(staff=squad.teacher) is None


def test_twenty_hand_ins_at_once_make_one(app: Flask, make) -> None:
    squad = squad_of(make, members=12)
    member_ids = [member.id for member in squad.members]
    quest_id, stage_id = squad.quest.id, squad.stage.id
    senders = iter(range(1000))

    def send() -> None:
        student = db.session.get(User, member_ids[next(senders) % len(member_ids)])
        quest = db.session.get(Quest, quest_id)
        stage = db.session.get(Stage, stage_id)
        submit_attempt(
            student=student,
            quest=quest,
            stage=stage,
            answer=EVIDENCE,
            submission_key=uuid.uuid4().hex,
        )

    outcomes = at_once(app, send, senders=20)
    assert outcomes["ok"] == 1
    assert set(outcomes) <= {"ok", "Conflict"}
    db.session.rollback()
    assert count(TeamHandIn) == 1
    assert count(Attempt) == 12
    tries = db.session.scalars(select(StageTally.tries).where(StageTally.stage_id == stage_id))
    assert sorted(tries) == [1] * 12


def test_twenty_reviews_at_once_mark_the_hand_in_once(app: Flask, squad: Squad) -> None:
    hand_in(squad, squad.members[0])
    attempt_ids = [attempts_of(member, squad.stage)[0].id for member in squad.members]
    teacher_id = squad.teacher.id
    senders = iter(range(1000))

    def review() -> None:
        attempt = db.session.get(Attempt, attempt_ids[next(senders) % len(attempt_ids)])
        # Without a reason, only the first review (a mark) is taken: the others would be
        # overrides, which need one.
        review_attempt(
            attempt=attempt,
            score=8,
            outcome="passed",
            reason="",
            by=db.session.get(User, teacher_id),
        )

    outcomes = at_once(app, review, senders=20)
    assert outcomes == {"ok": 1, "ServiceError": 19}
    db.session.rollback()
    assert count(Review) == len(squad.members)
    assert {points_of(member, squad.stage) for member in squad.members} == {8}


# Pages


def test_teammates_see_the_screenshot_and_other_teams_do_not(
    squad: Squad, make, client_factory, login_as
) -> None:
    lead, mate, *_ = squad.members
    hand_in(
        squad,
        lead,
        screenshot=Screenshot(data=tiny_png(), alt_text="Our login page"),
    )
    evidence = db.session.scalars(select(EvidenceFile)).one()
    rival = make.student()
    db.session.add(Enrollment(classroom=squad.classroom, student=rival))
    db.session.commit()
    create_team(classroom=squad.classroom, name="Rivals", member_ids=[rival.id], by=squad.teacher)
    url = f"/evidence/{evidence.id}"

    def status_for(person: User) -> int:
        with login_as(person, on=client_factory()).get(url) as response:
            return response.status_code

    assert status_for(mate) == 200
    assert status_for(lead) == 200
    assert status_for(rival) == 404
    assert status_for(squad.loner) == 404
    assert status_for(squad.teacher) == 200


def test_the_stage_page_tells_who_handed_in_for_the_team(
    squad: Squad, client_factory, login_as
) -> None:
    lead, mate, *_ = squad.members
    url = f"/quests/{squad.quest.slug}/1"
    before = login_as(mate, on=client_factory()).get(url).get_data(as_text=True)
    assert "one member hands in for Debuggers" in before
    hand_in(squad, lead, screenshot=Screenshot(data=tiny_png(), alt_text="Our login page"))
    page = login_as(mate, on=client_factory()).get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f"Handed in by {lead.display_name} for Debuggers" in html
    evidence = db.session.scalars(select(EvidenceFile)).one()
    assert f"/evidence/{evidence.id}" in html
    loner = login_as(squad.loner, on=client_factory()).get(url).get_data(as_text=True)
    assert "one member hands in" not in loner
    assert "ask your teacher to put you in a team" in loner


def test_the_stage_form_refuses_a_student_in_no_team(
    squad: Squad, client_factory, login_as
) -> None:
    from helpers import post_form

    client = login_as(squad.loner, on=client_factory())
    url = f"/quests/{squad.quest.slug}/1"
    response = post_form(client, url, {"evidence": "Mine", "submission_key": "form-key"})
    assert response.status_code == 422
    assert "ask your teacher to put you in a team" in response.get_data(as_text=True)
    db.session.rollback()
    assert count(Attempt) == 0


def test_the_api_hands_in_for_the_team(squad: Squad, client) -> None:
    lead, mate, *_ = squad.members
    url = f"/api/v1/quests/{squad.quest.slug}/stages/1/attempts"

    def send(student: User, **body: Any) -> Any:
        token = create_api_token(user=student, name="team").secret
        headers = {"Authorization": f"Bearer {token}"}
        return client.post(url, json={"answer": EVIDENCE, **body}, headers=headers)

    response = send(lead, submission_key="api-key-1")
    assert response.status_code == 201, response.get_data(as_text=True)
    db.session.rollback()
    assert count(TeamHandIn) == 1
    assert len(attempts_of(mate, squad.stage)) == 1
    # The same key sent again gets the same attempt back.
    assert send(lead, submission_key="api-key-1").json["id"] == response.json["id"]
    refused = send(mate)
    assert refused.status_code == 409
    assert lead.display_name in refused.json["message"]
    assert send(squad.loner).status_code == 422
    db.session.rollback()
    assert count(TeamHandIn) == 1


def test_the_attempt_page_says_one_review_marks_all(squad: Squad, client_factory, login_as) -> None:
    lead, mate, _third = squad.members
    hand_in(squad, lead)
    (member_attempt,) = attempts_of(mate, squad.stage)
    client = login_as(squad.teacher, on=client_factory())
    page = client.get(f"/admin/attempt/details/?id={member_attempt.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200, html
    assert f"Team hand-in by {lead.display_name} for Debuggers" in html
    for member in squad.members:
        assert member.display_name in html
    assert "marks every member" in html


def test_the_team_pages_list_the_checkpoints(squad: Squad, client_factory, login_as) -> None:
    hand_in(squad, squad.members[0])
    student_page = login_as(squad.members[2], on=client_factory()).get("/team")
    assert squad.stage.title in student_page.get_data(as_text=True)
    admin = login_as(squad.teacher, on=client_factory())
    page = admin.get(f"/admin/teams/details/?id={squad.team.id}").get_data(as_text=True)
    assert squad.stage.title in page
    assert squad.members[0].display_name in page
