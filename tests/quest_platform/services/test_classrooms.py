"""Classroom services: join codes, enrolling and moving students, and who may do it."""

from __future__ import annotations

import re

import pytest
from helpers import PASSWORD
from sqlalchemy import select

from quest_platform.models import AuditEntry, Enrollment, User
from quest_platform.services import ServiceError
from quest_platform.services import classrooms as classroom_services
from quest_platform.services.accounts import register_student
from quest_platform.services.classrooms import (
    create_classroom,
    delete_classroom,
    enroll_student,
    move_student,
    regenerate_join_code,
    update_classroom,
)
from quest_platform.services.errors import Conflict, NotAllowed

# Eight capital letters and digits, without the look-alikes I, O, 0 and 1.
JOIN_CODE = re.compile(r"^[A-HJ-NP-Z2-9]{8}$")


def classrooms_of(db, student: User) -> set[int]:
    """The ids of the classrooms a student is enrolled in, as stored now."""
    query = select(Enrollment.classroom_id).where(Enrollment.student_id == student.id)
    return set(db.session.scalars(query))


def enrollment_audit(db) -> list[tuple[str, int | None]]:
    """The audit log's enrollment entries: (action, classroom id), oldest first."""
    query = select(AuditEntry).where(AuditEntry.table_name == "enrollment")
    entries = db.session.scalars(query.order_by(AuditEntry.id))
    return [(entry.action, (entry.after or entry.before)["classroom_id"]) for entry in entries]


def test_a_new_classroom_gets_a_readable_join_code(db, make):
    classroom = create_classroom(name="AP CSP", term="2026 T2", period=3, teachers=[make.teacher()])
    assert JOIN_CODE.match(classroom.join_code)


def test_join_codes_differ_between_classrooms(db, make):
    teacher = make.teacher()
    codes = {make.classroom(teachers=[teacher]).join_code for _ in range(5)}
    assert len(codes) == 5


@pytest.mark.parametrize(
    ("name", "period", "field"),
    [("", 1, "name"), ("AP CSP", 13, "period"), ("AP CSP", -1, "period")],
)
def test_classroom_needs_a_name_and_a_school_period(db, make, name, period, field):
    with pytest.raises(ServiceError) as refused:
        create_classroom(name=name, term="2026 T2", period=period, teachers=[make.teacher()])
    assert refused.value.field == field


def test_a_classroom_needs_a_teacher(db, make):
    with pytest.raises(ServiceError):
        create_classroom(name="AP CSP", term="2026 T2", period=1, teachers=[make.student()])


def test_regenerating_the_join_code_retires_the_old_one(db, make):
    teacher = make.teacher()
    classroom = make.classroom(teachers=[teacher])
    old_code = classroom.join_code

    new_code = regenerate_join_code(classroom=classroom, by=teacher)

    assert new_code != old_code
    assert JOIN_CODE.match(new_code)
    with pytest.raises(ServiceError):
        register_student(
            join_code=old_code, username="late.joiner", display_name="Late", password=PASSWORD
        )
    student = register_student(
        join_code=new_code, username="late.joiner", display_name="Late", password=PASSWORD
    )
    assert student.enrollments[0].classroom == classroom


def test_regenerating_the_join_code_is_audited(db, make):
    teacher = make.teacher()
    classroom = make.classroom(teachers=[teacher])
    old_code = classroom.join_code
    new_code = regenerate_join_code(classroom=classroom, by=teacher)
    entry = db.session.scalar(
        select(AuditEntry).where(
            AuditEntry.table_name == "classroom", AuditEntry.action == "update"
        )
    )
    assert entry.actor_id == teacher.id
    assert (entry.before["join_code"], entry.after["join_code"]) == (old_code, new_code)


def test_admin_regenerates_any_join_code(db, make):
    classroom = make.classroom()
    old_code = classroom.join_code
    assert regenerate_join_code(classroom=classroom, by=make.admin()) != old_code


@pytest.mark.parametrize("who", ["other teacher", "student"])
def test_only_the_classroom_s_teachers_regenerate_its_code(db, make, who):
    classroom = make.classroom()
    old_code = classroom.join_code
    outsider = make.teacher() if who == "other teacher" else make.student()
    with pytest.raises(NotAllowed):
        regenerate_join_code(classroom=classroom, by=outsider)
    db.session.rollback()
    db.session.refresh(classroom)
    assert classroom.join_code == old_code


def test_enrolling_a_student_twice_is_a_conflict(db, make):
    student = make.student()
    classroom = make.classroom(students=[student])
    with pytest.raises(Conflict):
        enroll_student(student=student, classroom=classroom)


def test_teachers_enroll_only_in_their_own_classrooms(db, make):
    classroom = make.classroom()
    with pytest.raises(NotAllowed):
        enroll_student(student=make.student(), classroom=classroom, by=make.teacher())


def test_an_enrollment_can_wait_for_a_larger_change_to_commit(db, make):
    teacher, student = make.teacher(), make.student()
    classroom = make.classroom(teachers=[teacher])
    enroll_student(student=student, classroom=classroom, by=teacher, commit=False)
    db.session.rollback()
    assert classrooms_of(db, student) == set()


# move_student


def test_moving_a_student_leaves_the_teachers_other_classrooms_only(db, make):
    teacher, other_teacher, student = make.teacher(), make.teacher(), make.student()
    old = make.classroom(teachers=[teacher], students=[student])
    new = make.classroom(teachers=[teacher])
    elsewhere = make.classroom(teachers=[other_teacher], students=[student])

    left = move_student(student=student, classroom=new, by=teacher)

    assert left == [old]
    assert classrooms_of(db, student) == {new.id, elsewhere.id}


def test_a_move_is_audited_as_one_enrollment_added_and_one_removed(db, make):
    teacher, student = make.teacher(), make.student()
    old = make.classroom(teachers=[teacher], students=[student])
    new = make.classroom(teachers=[teacher])
    move_student(student=student, classroom=new, by=teacher)
    assert enrollment_audit(db) == [("create", new.id), ("delete", old.id)]
    actors = db.session.scalars(
        select(AuditEntry.actor_id).where(AuditEntry.table_name == "enrollment")
    )
    assert set(actors) == {teacher.id}


def test_moving_into_a_classroom_the_student_is_in_only_leaves_the_others(db, make):
    teacher, student = make.teacher(), make.student()
    first = make.classroom(teachers=[teacher], students=[student])
    second = make.classroom(teachers=[teacher], students=[student])
    assert move_student(student=student, classroom=second, by=teacher) == [first]
    assert classrooms_of(db, student) == {second.id}
    assert enrollment_audit(db) == [("delete", first.id)]


def test_an_admin_moves_a_student_out_of_every_other_classroom(db, make):
    student = make.student()
    first, second = make.classroom(students=[student]), make.classroom(students=[student])
    target = make.classroom()
    left = move_student(student=student, classroom=target, by=make.admin())
    assert {classroom.id for classroom in left} == {first.id, second.id}
    assert classrooms_of(db, student) == {target.id}


@pytest.mark.parametrize("whose", ["classroom", "student"])
def test_a_teacher_moves_only_their_students_into_their_classrooms(db, make, whose):
    teacher, other_teacher = make.teacher(), make.teacher()
    student, stranger = make.student(), make.student()
    own = make.classroom(teachers=[teacher], students=[student])
    other = make.classroom(teachers=[other_teacher], students=[stranger])
    moved, target = (student, other) if whose == "classroom" else (stranger, own)
    before = classrooms_of(db, moved)
    with pytest.raises(NotAllowed):
        move_student(student=moved, classroom=target, by=teacher)
    db.session.rollback()
    assert classrooms_of(db, moved) == before
    assert enrollment_audit(db) == []


def test_a_failed_move_changes_nothing(db, make, monkeypatch):
    """The enrollment and the removals are one transaction: all of it happens, or none."""
    teacher, student = make.teacher(), make.student()
    old = make.classroom(teachers=[teacher], students=[student])
    new = make.classroom(teachers=[teacher])
    real_record_change = classroom_services.record_change

    def failing_removal(**kwargs):
        if kwargs["action"] == "delete":
            raise RuntimeError("the database went away")
        return real_record_change(**kwargs)

    monkeypatch.setattr(classroom_services, "record_change", failing_removal)
    with pytest.raises(RuntimeError):
        move_student(student=student, classroom=new, by=teacher)
    assert classrooms_of(db, student) == {old.id}
    assert enrollment_audit(db) == []


def test_updating_a_classroom_is_audited_with_before_and_after(db, make):
    teacher = make.teacher()
    classroom = make.classroom(teachers=[teacher])
    update_classroom(
        classroom=classroom,
        name="  Web apps ",
        term="2027 T1",
        period=2,
        leaderboard_enabled=False,
        by=teacher,
    )
    assert (classroom.name, classroom.period, classroom.leaderboard_enabled) == (
        "Web apps",
        2,
        False,
    )
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (entry.action, entry.actor_id) == ("update", teacher.id)
    assert entry.before["name"] != "Web apps"
    assert entry.after["name"] == "Web apps"


def test_only_owners_and_admins_update_or_delete_a_classroom(db, make):
    classroom = make.classroom()
    stranger = make.teacher()
    with pytest.raises(NotAllowed):
        update_classroom(
            classroom=classroom,
            name="Mine now",
            term="T",
            period=1,
            leaderboard_enabled=True,
            by=stranger,
        )
    with pytest.raises(NotAllowed):
        delete_classroom(classroom=classroom, by=stranger)
    delete_classroom(classroom=classroom, by=make.admin())


def test_a_classroom_with_students_is_not_deleted(db, make):
    teacher = make.teacher()
    classroom = make.classroom(teachers=[teacher], students=[make.student()])
    with pytest.raises(Conflict):
        delete_classroom(classroom=classroom, by=teacher)


def test_deleting_a_classroom_is_audited(db, make):
    teacher = make.teacher()
    classroom = make.classroom(teachers=[teacher])
    classroom_id = classroom.id
    delete_classroom(classroom=classroom, by=teacher)
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (entry.action, entry.record_id, entry.after) == ("delete", str(classroom_id), {})
    assert entry.before["join_code"]
