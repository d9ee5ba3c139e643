"""Classroom and account selectors: each person sees their own classrooms, rosters in order."""

from __future__ import annotations

from quest_platform.queries.accounts import classrooms_of
from quest_platform.queries.classrooms import classrooms_visible_to, enrollment_counts, roster_of


def test_a_teacher_sees_only_the_classrooms_they_teach(school):
    assert classrooms_visible_to(school.teacher) == [school.classroom]
    assert classrooms_visible_to(school.other_teacher) == [school.other_classroom]


def test_an_admin_sees_every_classroom(school):
    visible = classrooms_visible_to(school.admin)
    assert set(visible) == {school.classroom, school.other_classroom}


def test_classrooms_of_a_student_are_those_they_are_enrolled_in(school):
    assert classrooms_of(school.student) == [school.classroom]
    assert classrooms_of(school.teacher) == [school.classroom]
    assert classrooms_of(school.admin) == []


def test_rosters_are_ordered_by_display_name(db, make):
    zoe, adam, mia = make.student(), make.student(), make.student()
    for student, name in ((zoe, "Zoe Park"), (adam, "adam Kim"), (mia, "Mia Silva")):
        student.display_name = name
    db.session.commit()
    classroom = make.classroom(students=[zoe, adam, mia])
    assert roster_of(classroom) == [adam, mia, zoe]


def test_enrollment_counts_include_empty_classrooms(school, make):
    empty = make.classroom()
    counts = enrollment_counts([school.classroom, empty])
    assert counts == {school.classroom.id: 1, empty.id: 0}
    assert enrollment_counts([]) == {}
