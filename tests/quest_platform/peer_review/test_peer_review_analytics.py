"""Peer reviews in the analytics: each student's reviews given and received (hidden ones are
not received) in the engagement report, read from the database as of a moment."""

from __future__ import annotations

from datetime import timedelta

from analytics.engagement import engagement_report
from analytics.load import load_dataset
from quest_platform.extensions import db
from quest_platform.models import PeerReviewAssignment, utcnow
from quest_platform.services.peer_review import (
    assign_peer_reviews,
    hide_peer_review,
    submit_peer_review,
)


def test_reviews_given_and_received_per_student(make) -> None:
    teacher = make.teacher()
    ada, ben, cy = (make.student() for _ in range(3))
    classroom = make.classroom(teachers=[teacher], students=[ada, ben, cy])
    quest = make.quest()
    make.assignment(quest=quest, classroom=classroom, by=teacher)
    stage = quest.stages[2]
    stage.settings = {**stage.settings, "peer_reviews": 1}
    db.session.commit()
    for minutes, student in ((10, ada), (5, ben)):
        attempt = make.attempt(
            student=student, quest=quest, submitted_at=utcnow() - timedelta(minutes=minutes)
        )
        assign_peer_reviews(attempt=attempt)
    written = []
    for assignment in db.session.scalars(db.select(PeerReviewAssignment)).all():
        written.append(
            submit_peer_review(
                assignment=assignment,
                reviewer=assignment.reviewer,
                levels=[1],
                comment="Useful",
            )
        )
    before_hiding = utcnow()
    unkind = next(review for review in written if review.assignment.reviewer_id == ben.id)
    hide_peer_review(review=unkind, by=teacher, reason="Unkind")

    def counts(now):
        dataset = load_dataset(db.engine, classroom_ids=[classroom.id], now=now)
        students = engagement_report(dataset).students.set_index("student_id")
        return {
            student.id: (
                int(students.at[student.id, "peer_reviews_given"]),
                int(students.at[student.id, "peer_reviews_received"]),
            )
            for student in (ada, ben, cy)
        }

    # Ben reviewed Ada's work and Ada Ben's; Ben's review is hidden from Ada since.
    assert counts(utcnow()) == {ada.id: (1, 0), ben.id: (1, 1), cy.id: (0, 0)}
    assert counts(before_hiding) == {ada.id: (1, 1), ben.id: (1, 1), cy.id: (0, 0)}
