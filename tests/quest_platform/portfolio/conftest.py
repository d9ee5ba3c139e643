"""Fixtures of the portfolio tests: a student with a reflection, a reviewed checkpoint with a
screenshot, links and peer reviews, and a badge; a classmate and a student of another class."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from PIL import Image

from quest_platform.extensions import db
from quest_platform.models import (
    Attempt,
    Classroom,
    EvidenceFile,
    PeerReview,
    PeerReviewAssignment,
    Quest,
    User,
    utcnow,
)
from quest_platform.services.evidence import Screenshot, check_screenshot, keep_screenshot
from quest_platform.services.reviews import review_attempt

RUBRIC = ["Hashes passwords", "Explains the route"]
PULL_REQUEST = {
    "url": "https://github.com/ana/site/pull/3",
    "kind": "pull_request",
    "repository": "ana/site",
    "ref": "3",
}
REFLECTION = "---\n# I learned that sessions live on the server.\n{{ site.title }} <b>bold</b>"


@dataclass
class Work:
    """``student``'s portfolio material in ``quest`` (stage 3 a checkpoint, 4 a reflection):
    ``checkpoint`` reviewed by ``teacher`` with feedback, with ``screenshot``; peer reviews by
    ``classmate`` (kept), ``unkind`` (hidden) and the teacher; ``other_student`` (another class)
    has a reflection and a screenshot of their own."""

    teacher: User
    student: User
    classmate: User
    unkind: User
    other_student: User
    classroom: Classroom
    quest: Quest
    reflection: Attempt
    checkpoint: Attempt
    screenshot: EvidenceFile
    other_screenshot: EvidenceFile
    kept_review: PeerReview
    hidden_review: PeerReview
    teacher_review: PeerReview


def tiny_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def screenshot_of(attempt: Attempt, alt_text: str) -> EvidenceFile:
    evidence = keep_screenshot(
        attempt=attempt,
        screenshot=check_screenshot(Screenshot(data=tiny_png(), alt_text=alt_text)),
    )
    db.session.commit()
    return evidence


def peer_review(
    attempt: Attempt, reviewer: User, comment: str, *, by_teacher: bool = False, **extra: Any
) -> PeerReview:
    assignment = PeerReviewAssignment(
        attempt_id=attempt.id,
        reviewer_id=reviewer.id,
        due_at=utcnow() + timedelta(days=3),
        by_teacher=by_teacher,
    )
    db.session.add(assignment)
    db.session.flush()
    review = PeerReview(
        assignment_id=assignment.id,
        levels=[2, 1],
        comment=comment,
        comment_html=f"<p>{comment}</p>",
        **extra,
    )
    db.session.add(review)
    db.session.commit()
    return review


@pytest.fixture
def work(make) -> Work:
    teacher = make.teacher()
    student = make.student()
    student.display_name = 'Ana: "The Coder"'
    classmate, unkind = make.student(), make.student()
    classroom = make.classroom(teachers=[teacher], students=[student, classmate, unkind])
    other_student = make.student()
    other_classroom = make.classroom(students=[other_student])
    quest = make.quest()
    other_quest = make.quest()
    make.assignment(quest=quest, classroom=classroom, by=teacher)
    make.assignment(quest=other_quest, classroom=other_classroom)
    checkpoint_stage = quest.stages[2]
    checkpoint_stage.settings = {
        **checkpoint_stage.settings,
        "rubric": RUBRIC,
        "evidence": ["code", "screenshot", "link"],
        "peer_reviews": 2,
    }
    db.session.commit()
    # An earlier reflection, then the one that counts.
    make.attempt(
        student=student,
        quest=quest,
        position=4,
        outcome="passed",
        score=10.0,
        answer={"text": "A first draft."},
        submitted_at=utcnow() - timedelta(hours=2),
    )
    reflection = make.attempt(
        student=student,
        quest=quest,
        position=4,
        outcome="passed",
        score=10.0,
        answer={"text": REFLECTION},
    )
    checkpoint = make.attempt(
        student=student,
        quest=quest,
        answer={"evidence": "def login(): return check(password)", "links": [PULL_REQUEST]},
    )
    screenshot = screenshot_of(checkpoint, "The login form with an error in red")
    review_attempt(
        attempt=checkpoint, score=8.0, outcome="passed", reason="Clear evidence.", by=teacher
    )
    kept = peer_review(checkpoint, classmate, "Kind and clear words.")
    hidden = peer_review(
        checkpoint, unkind, "Unkind words.", hidden_at=utcnow(), hidden_reason="Not kind"
    )
    by_teacher = peer_review(checkpoint, teacher, "A teacher's review.", by_teacher=True)
    make.award(student=student, code="five-day-streak", attempt=reflection)
    other_reflection = make.attempt(
        student=other_student,
        quest=other_quest,
        position=4,
        outcome="passed",
        score=10.0,
        answer={"text": "Not the student's reflection."},
    )
    other_checkpoint = make.attempt(student=other_student, quest=other_quest)
    other_screenshot = screenshot_of(other_checkpoint, "Someone else's screen")
    assert other_reflection.id
    return Work(
        teacher=teacher,
        student=student,
        classmate=classmate,
        unkind=unkind,
        other_student=other_student,
        classroom=classroom,
        quest=quest,
        reflection=reflection,
        checkpoint=checkpoint,
        screenshot=screenshot,
        other_screenshot=other_screenshot,
        kept_review=kept,
        hidden_review=hidden,
        teacher_review=by_teacher,
    )
