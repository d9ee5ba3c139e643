"""Peer review, the services: who is given what to review, writing a review once on the rubric,
the teacher standing in, hiding a review, grading reviewers, and the counts of reviews."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from helpers import at_once
from sqlalchemy import func, select

from analytics.engagement import engagement_report
from analytics.load import load_dataset
from quest_platform.extensions import db
from quest_platform.models import (
    Attempt,
    AuditEntry,
    Classroom,
    PeerReview,
    PeerReviewAssignment,
    Quest,
    Stage,
    TeamHandIn,
    User,
    utcnow,
)
from quest_platform.queries.feedback import may_take_part, thread_of
from quest_platform.queries.peer_review import (
    classroom_figures,
    needing_a_reviewer,
    review_counts,
    reviewer_tasks,
    reviews_of_attempt,
    reviews_received,
    reviews_to_do_count,
)
from quest_platform.services.attempts import submit_attempt
from quest_platform.services.errors import Conflict, NotAllowed, ServiceError
from quest_platform.services.feedback import post_message
from quest_platform.services.peer_review import (
    assign_peer_reviews,
    assign_teacher_review,
    grade_reviewer,
    hide_peer_review,
    show_peer_review,
    submit_peer_review,
)
from quest_platform.services.teams import create_team

RUBRIC = ["Hashes passwords", "Explains the route"]


@dataclass
class PeerClass:
    """A classroom whose quest's checkpoint (stage 3) wants ``wanted`` peer reviews."""

    teacher: User
    classroom: Classroom
    quest: Quest
    stage: Stage
    students: list[User]

    def hand_in(self, student: User, *, minutes_ago: int = 0) -> Attempt:
        """``student`` hands the checkpoint in (recorded as the builders do), then the
        assignments are made as after a real hand-in."""
        attempt = self.make.attempt(
            student=student,
            quest=self.quest,
            submitted_at=utcnow() - timedelta(minutes=minutes_ago),
        )
        assign_peer_reviews(attempt=attempt)
        return attempt

    make: Any = None


def peer_class(make, *, students: int = 4, wanted: int = 2, **settings: Any) -> PeerClass:
    teacher = make.teacher()
    roster = [make.student() for _ in range(students)]
    classroom = make.classroom(teachers=[teacher], students=roster)
    quest = make.quest()
    make.assignment(quest=quest, classroom=classroom, by=teacher)
    stage = quest.stages[2]
    stage.settings = {**stage.settings, "rubric": RUBRIC, "peer_reviews": wanted, **settings}
    db.session.commit()
    return PeerClass(teacher, classroom, quest, stage, roster, make=make)


def assignments_of(*, attempt: Attempt | None = None, reviewer: User | None = None) -> list:
    db.session.rollback()
    query = select(PeerReviewAssignment)
    if attempt is not None:
        query = query.where(PeerReviewAssignment.attempt_id == attempt.id)
    if reviewer is not None:
        query = query.where(PeerReviewAssignment.reviewer_id == reviewer.id)
    return list(db.session.scalars(query.order_by(PeerReviewAssignment.id)))


def given_to(reviewer: User) -> list[int]:
    return [a.attempt_id for a in assignments_of(reviewer=reviewer)]


# Who is given what


def test_the_first_to_hand_in_waits_for_peers(make) -> None:
    room = peer_class(make)
    first = room.hand_in(room.students[0])
    assert assignments_of() == []
    second = room.hand_in(room.students[1])
    # The second reviews the first, and the first is given the second to review.
    assert given_to(room.students[1]) == [first.id]
    assert given_to(room.students[0]) == [second.id]


def test_never_ones_own_submission_and_at_most_n_each(make) -> None:
    room = peer_class(make, students=6, wanted=2)
    attempts = [room.hand_in(s, minutes_ago=60 - n) for n, s in enumerate(room.students)]
    for assignment in assignments_of():
        assert assignment.attempt.student_id != assignment.reviewer_id
        assert assignment.due_at - assignment.assigned_at == timedelta(days=3)
    for attempt in attempts:
        assert len(assignments_of(attempt=attempt)) <= 2
    for student in room.students:
        assert len(given_to(student)) <= 2
    # Six students, two each: every submission has its two reviewers.
    assert all(len(assignments_of(attempt=attempt)) == 2 for attempt in attempts)


def test_the_submissions_with_fewest_reviewers_come_first(make) -> None:
    room = peer_class(make, students=4, wanted=1)
    a, b, c, d = room.students
    first = room.hand_in(a, minutes_ago=30)
    second = room.hand_in(b, minutes_ago=20)
    # b reviewed a's; a reviews b's: both have one reviewer now.
    third = room.hand_in(c, minutes_ago=10)
    # c is given the oldest of those with the fewest reviewers: nobody wants one but c's own.
    assert given_to(c) == []
    fourth = room.hand_in(d)
    assert given_to(d) == [third.id]
    assert given_to(c) == [fourth.id]
    assert (given_to(a), given_to(b)) == ([second.id], [first.id])


def test_not_ones_own_team_unless_the_stage_allows(make) -> None:
    room = peer_class(make, students=3, wanted=2)
    a, b, c = room.students
    create_team(classroom=room.classroom, name="Pair", member_ids=[a.id, b.id], by=room.teacher)
    first = room.hand_in(a, minutes_ago=10)
    room.hand_in(b)
    assert first.id not in given_to(b)
    room.hand_in(c)
    assert first.id in given_to(c)


def test_own_team_when_the_stage_allows(make) -> None:
    room = peer_class(make, students=2, wanted=1, peer_review_own_team=True)
    a, b = room.students
    create_team(classroom=room.classroom, name="Pair", member_ids=[a.id, b.id], by=room.teacher)
    first = room.hand_in(a, minutes_ago=10)
    room.hand_in(b)
    assert given_to(b) == [first.id]


def test_a_stage_without_peer_reviews_assigns_none(make) -> None:
    room = peer_class(make, wanted=0)
    room.hand_in(room.students[0], minutes_ago=5)
    room.hand_in(room.students[1])
    assert assignments_of() == []


def test_the_submit_path_assigns_after_the_hand_in(make) -> None:
    room = peer_class(make, students=2, wanted=1)
    a, b = room.students
    first = room.hand_in(a, minutes_ago=5)
    passing = {1: {"confirmed": True}, 2: {"responses": {"q1": [1]}}}
    for position in (1, 2):
        submit_attempt(
            student=b,
            quest=room.quest,
            stage=room.quest.stages[position - 1],
            answer=passing[position],
            submission_key=f"peer-{position}",
        )
    handed = submit_attempt(
        student=b,
        quest=room.quest,
        stage=room.stage,
        answer={"evidence": "def login(): check_password_hash(...)"},
        submission_key="peer-3",
    )
    assert given_to(b) == [first.id]
    assert given_to(a) == [handed.id]


def test_hand_ins_at_once_never_give_more_than_n(app: Flask, make) -> None:
    room = peer_class(make, students=12, wanted=2)
    attempts = [
        make.attempt(student=s, quest=room.quest, submitted_at=utcnow() - timedelta(minutes=n))
        for n, s in enumerate(room.students)
    ]
    ids = iter([attempt.id for attempt in attempts])

    def hand_in() -> None:
        assign_peer_reviews(attempt=db.session.get(Attempt, next(ids)))

    outcomes = at_once(app, hand_in, senders=len(attempts))
    assert outcomes == {"ok": len(attempts)}
    for attempt in attempts:
        assert len(assignments_of(attempt=attempt)) <= 2
    for student in room.students:
        assert len(given_to(student)) <= 2
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(PeerReviewAssignment)) == 24


# Writing a review


@pytest.fixture
def reviewed(make) -> tuple[PeerClass, Attempt, PeerReviewAssignment]:
    """A class of two who handed in: the second was given the first's submission."""
    room = peer_class(make, students=2, wanted=1)
    first = room.hand_in(room.students[0], minutes_ago=5)
    room.hand_in(room.students[1])
    (assignment,) = assignments_of(attempt=first)
    return room, first, assignment


def test_a_review_is_written_once(reviewed) -> None:
    room, _first, assignment = reviewed
    review = submit_peer_review(
        assignment=assignment,
        reviewer=room.students[1],
        levels=[2, 3],
        comment="**Clear** route. <script>alert(1)</script>",
    )
    assert review.levels == [2, 3]
    assert "<strong>Clear</strong>" in review.comment_html
    assert "<script" not in review.comment_html
    with pytest.raises(Conflict, match="already reviewed"):
        submit_peer_review(
            assignment=assignment, reviewer=room.students[1], levels=[1, 1], comment="Again"
        )


def test_only_the_assigned_reviewer_writes_it(reviewed) -> None:
    room, _first, assignment = reviewed
    with pytest.raises(NotAllowed):
        submit_peer_review(
            assignment=assignment, reviewer=room.students[0], levels=[1, 1], comment="Mine"
        )
    assert db.session.scalar(select(func.count()).select_from(PeerReview)) == 0


@pytest.mark.parametrize(
    ("levels", "field"),
    [
        ([1], "levels"),
        ([1, 2, 3], "levels"),
        ([1, 4], "criterion-1"),
        ([-1, 0], "criterion-0"),
        ([None, 1], "criterion-0"),
        (["2", 1], "criterion-0"),
        ([True, 1], "criterion-0"),
    ],
)
def test_levels_are_one_per_criterion_in_range(reviewed, levels, field) -> None:
    room, _first, assignment = reviewed
    with pytest.raises(ServiceError) as refused:
        submit_peer_review(
            assignment=assignment, reviewer=room.students[1], levels=levels, comment="Fine"
        )
    assert refused.value.field == field
    assert db.session.scalar(select(func.count()).select_from(PeerReview)) == 0


def test_a_comment_is_needed_and_not_too_long(reviewed) -> None:
    room, _first, assignment = reviewed
    for comment, message in (("  ", "Write a comment"), ("x" * 4001, "4,000 characters")):
        with pytest.raises(ServiceError, match=message):
            submit_peer_review(
                assignment=assignment, reviewer=room.students[1], levels=[0, 0], comment=comment
            )


def test_the_deadline_closes_a_review(reviewed) -> None:
    room, _first, assignment = reviewed
    with pytest.raises(ServiceError, match="deadline"):
        submit_peer_review(
            assignment=assignment,
            reviewer=room.students[1],
            levels=[1, 1],
            comment="Late",
            now=assignment.due_at + timedelta(seconds=1),
        )
    tasks = reviewer_tasks(reviewer=room.students[1], now=assignment.due_at)
    assert [task.assignment.id for task in tasks.missed] == [assignment.id]
    assert reviews_to_do_count(reviewer=room.students[1], now=assignment.due_at) == 0
    assert reviews_to_do_count(reviewer=room.students[1], now=utcnow()) == 1


def test_two_reviews_at_once_leave_one(app: Flask, reviewed) -> None:
    room, _first, assignment = reviewed
    ids = {"assignment": assignment.id, "reviewer": room.students[1].id}

    def write() -> None:
        submit_peer_review(
            assignment=db.session.get(PeerReviewAssignment, ids["assignment"]),
            reviewer=db.session.get(User, ids["reviewer"]),
            levels=[1, 2],
            comment="Same time",
        )

    outcomes = at_once(app, write, senders=10)
    assert outcomes["ok"] == 1
    assert set(outcomes) <= {"ok", "Conflict"}
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(PeerReview)) == 1


# What authors and teachers read


def test_the_author_reads_reviews_anonymously_by_default(reviewed) -> None:
    room, first, assignment = reviewed
    submit_peer_review(
        assignment=assignment, reviewer=room.students[1], levels=[0, 3], comment="Good"
    )
    (shown,) = reviews_received(first)
    assert shown.reviewer_name is None
    assert [(row.criterion, row.label) for row in shown.rows] == [
        ("Hashes passwords", "Not yet"),
        ("Explains the route", "Goes beyond"),
    ]
    room.stage.settings = {
        **room.stage.settings,
        "peer_review_anonymous": False,
        "rubric_levels": ["Low", "Mid", "High", "Top"],
    }
    db.session.commit()
    (shown,) = reviews_received(first)
    assert shown.reviewer_name == room.students[1].display_name
    assert shown.rows[1].label == "Top"


def test_a_hidden_review_is_for_the_teacher_only(reviewed) -> None:
    room, first, assignment = reviewed
    review = submit_peer_review(
        assignment=assignment, reviewer=room.students[1], levels=[0, 0], comment="Unkind words"
    )
    with pytest.raises(ServiceError, match="why"):
        hide_peer_review(review=review, by=room.teacher, reason=" ")
    with pytest.raises(NotAllowed):
        hide_peer_review(review=review, by=room.students[0], reason="Mean")
    hide_peer_review(review=review, by=room.teacher, reason="Unkind")
    assert reviews_received(first) == []
    (seen,) = reviews_of_attempt(first, now=utcnow())
    assert seen.review is not None
    assert seen.review.review.hidden
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.table_name == "peer_review")
    ).one()
    assert entry.action == "hide"
    assert "Unkind words" not in str(entry.before) + str(entry.after)
    show_peer_review(review=review, by=room.teacher)
    assert len(reviews_received(first)) == 1


def test_a_teacher_grades_the_reviewer(reviewed, make) -> None:
    room, _first, assignment = reviewed
    review = submit_peer_review(
        assignment=assignment, reviewer=room.students[1], levels=[1, 1], comment="Helpful"
    )
    for grade in (4, -1):
        with pytest.raises(ServiceError, match="from 0 to 3"):
            grade_reviewer(review=review, grade=grade, by=room.teacher)
    with pytest.raises(NotAllowed):
        grade_reviewer(review=review, grade=2, by=make.teacher())
    grade_reviewer(review=review, grade=3, by=room.teacher)
    db.session.refresh(review)
    assert review.reviewer_grade == 3
    assert review.graded_by_id == room.teacher.id
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.table_name == "peer_review")
    )
    assert list(actions) == ["grade"]


def test_the_teacher_stands_in_when_peers_are_short(make) -> None:
    room = peer_class(make, students=2, wanted=2)
    first = room.hand_in(room.students[0], minutes_ago=5)
    room.hand_in(room.students[1])
    now = utcnow()
    queue = needing_a_reviewer(viewer=room.teacher, now=now)
    assert {item.attempt.id for item in queue} >= {first.id}
    item = next(item for item in queue if item.attempt.id == first.id)
    assert (item.wanted, item.done, item.open, item.missing) == (2, 0, 1, 1)
    taken = assign_teacher_review(attempt=first, teacher=room.teacher)
    assert taken.by_teacher
    assert assign_teacher_review(attempt=first, teacher=room.teacher).id == taken.id
    with pytest.raises(NotAllowed):
        assign_teacher_review(attempt=first, teacher=make.teacher())
    # The peer's deadline passes: the teacher still writes the review on the same form.
    later = taken.due_at + timedelta(days=1)
    review = submit_peer_review(
        assignment=taken, reviewer=room.teacher, levels=[3, 3], comment="From me", now=later
    )
    (shown,) = reviews_received(first)
    assert shown.review.id == review.id
    assert shown.reviewer_name == room.teacher.display_name
    (figures,) = classroom_figures(room.classroom, now=later)
    assert (figures.submissions, figures.assigned, figures.done) == (2, 3, 1)
    assert figures.overdue == 2


# The conversation and the counts


def test_a_reviewer_takes_part_in_the_conversation_anonymously(reviewed) -> None:
    room, first, _assignment = reviewed
    author, reviewer = room.students
    assert may_take_part(reviewer, first)
    post_message(attempt=first, author=reviewer, body="Which hash do you use?")
    post_message(attempt=first, author=author, body="bcrypt")
    as_author = [m.author_name for m in thread_of(first, author).messages]
    as_reviewer = [m.author_name for m in thread_of(first, reviewer).messages]
    as_teacher = [m.author_name for m in thread_of(first, room.teacher).messages]
    assert as_author == ["Peer reviewer", author.display_name]
    assert as_reviewer == [reviewer.display_name, "The author"]
    assert as_teacher == [reviewer.display_name, author.display_name]
    assert thread_of(first, author).messages[0].author_role == "peer_reviewer"


def test_someone_not_given_it_stays_out_of_the_conversation(reviewed, make) -> None:
    _room, first, _assignment = reviewed
    stranger = make.student()
    assert not may_take_part(stranger, first)


def test_counts_of_reviews_given_and_received(reviewed) -> None:
    room, _first, assignment = reviewed
    author, reviewer = room.students
    review = submit_peer_review(
        assignment=assignment, reviewer=reviewer, levels=[1, 1], comment="Fine"
    )
    assert review_counts([author.id, reviewer.id]) == {author.id: (0, 1), reviewer.id: (1, 0)}
    hide_peer_review(review=review, by=room.teacher, reason="Unkind")
    assert review_counts([author.id, reviewer.id]) == {author.id: (0, 0), reviewer.id: (1, 0)}


# Team checkpoints: one hand-in, an attempt for each member


def team_hand_in(room: PeerClass, lead: User, members: list[User]) -> tuple[Attempt, Attempt]:
    """``lead`` hands the checkpoint in for a team with ``members``: an attempt each (recorded
    as the team hand-ins service records them), the lead's holding the work."""
    hand_in = TeamHandIn(stage_id=room.stage.id, handed_in_by_id=lead.id, team_name="Pair")
    db.session.add(hand_in)
    db.session.flush()
    now = utcnow()
    attempts = [
        Attempt(
            student_id=student.id,
            quest_id=room.quest.id,
            stage_id=room.stage.id,
            started_at=now - timedelta(minutes=5),
            submitted_at=now,
            answer={"evidence": "Our login route"},
            max_score=10.0,
            outcome="pending_review",
            team_hand_in_id=hand_in.id,
        )
        for student in (lead, *members)
    ]
    db.session.add_all(attempts)
    db.session.commit()
    return attempts[0], attempts[1]


def test_no_member_reviews_their_teams_hand_in_and_all_see_its_reviews(make) -> None:
    room = peer_class(make, students=4, wanted=2)
    a, b, c, d = room.students
    theirs = room.hand_in(c, minutes_ago=10)
    lead, member = team_hand_in(room, a, [b])
    assign_peer_reviews(attempt=lead)
    # Both members are given reviews to do; the hand-in is given its reviewer.
    assert given_to(a) == [theirs.id]
    assert given_to(b) == [theirs.id]
    assert given_to(c) == [lead.id]
    room.hand_in(d)
    assert {x.reviewer_id for x in assignments_of(attempt=lead)} == {c.id, d.id}
    assert assignments_of(attempt=member) == []
    (assignment,) = assignments_of(attempt=lead, reviewer=c)
    submit_peer_review(assignment=assignment, reviewer=c, levels=[2, 2], comment="Solid")
    assert [shown.review.comment for shown in reviews_received(member)] == ["Solid"]
    assert [shown.review.comment for shown in reviews_received(lead)] == ["Solid"]


def test_a_review_of_a_teams_hand_in_counts_for_every_member(make) -> None:
    room = peer_class(make, students=3, wanted=1)
    a, b, c = room.students
    room.hand_in(c, minutes_ago=10)
    lead, _member = team_hand_in(room, a, [b])
    assign_peer_reviews(attempt=lead)
    (assignment,) = assignments_of(attempt=lead, reviewer=c)
    submit_peer_review(assignment=assignment, reviewer=c, levels=[2, 2], comment="Solid")
    assert review_counts([a.id, b.id, c.id]) == {a.id: (0, 1), b.id: (0, 1), c.id: (1, 0)}

    dataset = load_dataset(db.engine, classroom_ids=[room.classroom.id], now=utcnow())
    students = engagement_report(dataset).students.set_index("student_id")
    counts = students[["peer_reviews_given", "peer_reviews_received"]].astype(int)
    assert [tuple(counts.loc[s.id]) for s in (a, b, c)] == [(0, 1), (0, 1), (1, 0)]
