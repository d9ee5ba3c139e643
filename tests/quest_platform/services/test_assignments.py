"""Assignment services: moving a quest's dates, and taking a quest back from a classroom."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from quest_platform.models import AuditEntry, QuestAssignment, utcnow
from quest_platform.services import ServiceError
from quest_platform.services.errors import Conflict, NotAllowed
from quest_platform.services.quests import unassign_quest, update_assignment


def audit_of(db, assignment_id: int) -> list[AuditEntry]:
    query = select(AuditEntry).where(
        AuditEntry.table_name == "quest_assignment", AuditEntry.record_id == str(assignment_id)
    )
    return list(db.session.scalars(query.order_by(AuditEntry.id)))


# update_assignment


def test_a_teacher_moves_the_dates_of_their_classrooms_assignment(db, school):
    opens = utcnow() + timedelta(days=3)
    update_assignment(
        assignment=school.assignment,
        opens_at=opens,
        due_at=opens + timedelta(days=10),
        by=school.teacher,
    )
    db.session.expire_all()
    assert school.assignment.opens_at == opens
    assert school.assignment.due_at == opens + timedelta(days=10)
    entry = audit_of(db, school.assignment.id)[-1]
    assert (entry.action, entry.actor_id) == ("update", school.teacher.id)
    assert entry.before["due_at"] != entry.after["due_at"]


@pytest.mark.parametrize("days", [0, -1])
def test_the_due_date_must_come_after_the_opening(db, school, days):
    before = (school.assignment.opens_at, school.assignment.due_at)
    opens = utcnow()
    with pytest.raises(ServiceError) as refused:
        update_assignment(
            assignment=school.assignment,
            opens_at=opens,
            due_at=opens + timedelta(days=days),
            by=school.teacher,
        )
    assert refused.value.field == "due_at"
    db.session.rollback()
    db.session.expire_all()
    assert (school.assignment.opens_at, school.assignment.due_at) == before
    assert [entry.action for entry in audit_of(db, school.assignment.id)] == ["create"]


def test_another_teacher_cannot_move_the_dates(db, school):
    opens = utcnow()
    with pytest.raises(NotAllowed):
        update_assignment(
            assignment=school.assignment,
            opens_at=opens,
            due_at=opens + timedelta(days=1),
            by=school.other_teacher,
        )


def test_an_admin_moves_any_assignment(db, school):
    opens = utcnow()
    update_assignment(
        assignment=school.other_assignment,
        opens_at=opens,
        due_at=opens + timedelta(days=1),
        by=school.admin,
    )
    assert audit_of(db, school.other_assignment.id)[-1].actor_id == school.admin.id


# unassign_quest


def test_a_quest_nobody_attempted_is_taken_back_and_audited(db, make, school):
    quest = make.quest()
    assignment = make.assignment(quest=quest, classroom=school.classroom)
    assignment_id = assignment.id
    unassign_quest(assignment=assignment, by=school.teacher)
    db.session.expire_all()
    assert db.session.get(QuestAssignment, assignment_id) is None
    entry = audit_of(db, assignment_id)[-1]
    assert (entry.action, entry.actor_id, entry.after) == ("delete", school.teacher.id, {})
    assert entry.before["quest_id"] == quest.id


def test_a_quest_the_classrooms_students_attempted_stays_assigned(db, school):
    with pytest.raises(Conflict) as refused:
        unassign_quest(assignment=school.assignment, by=school.teacher)
    assert "already attempted" in refused.value.message
    db.session.rollback()
    assert db.session.get(QuestAssignment, school.assignment.id) is not None
    assert [entry.action for entry in audit_of(db, school.assignment.id)] == ["create"]


def test_attempts_from_another_classroom_do_not_keep_a_quest_assigned(db, make, school):
    """The other classroom's student attempted the quest there; this classroom's did not."""
    assignment = make.assignment(quest=school.other_quest, classroom=school.classroom)
    unassign_quest(assignment=assignment, by=school.teacher)
    assert db.session.get(QuestAssignment, assignment.id) is None


def test_another_teacher_cannot_take_a_quest_back(db, make, school):
    assignment = make.assignment(quest=make.quest(), classroom=school.classroom)
    with pytest.raises(NotAllowed):
        unassign_quest(assignment=assignment, by=school.other_teacher)
    assert db.session.get(QuestAssignment, assignment.id) is not None
