"""Leaderboards: ranks and ties, opting out, boards turned off, and what each board counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event

from quest_platform.models import Enrollment, PointsEntry, utcnow
from quest_platform.queries.leaderboards import (
    Audience,
    assigned_quest,
    assigned_quests,
    classroom_leaderboard,
    leaderboard_access,
    leaderboard_classrooms,
    personal_bests,
    quest_leaderboard,
)
from quest_platform.services.reviews import review_attempt
from quest_platform.services.tallies import whole_points

START = utcnow() - timedelta(days=1)


def earn(db, make, student, quest, points: int, *, minutes: int = 0) -> PointsEntry:
    """A ledger line of ``points`` for ``student`` in ``quest``, ``minutes`` after START."""
    return make.points(
        student=student, quest=quest, points=points, at=START + timedelta(minutes=minutes)
    )


@pytest.fixture
def klass(make):
    """A classroom of five students with a quest assigned, and its teacher."""
    teacher = make.teacher()
    students = [make.student() for _ in range(5)]
    classroom = make.classroom(teachers=[teacher], students=students)
    quest = make.quest()
    make.assignment(quest=quest, classroom=classroom, by=teacher)
    return classroom, teacher, students, quest


def as_student(classroom, student):
    return leaderboard_access(user=student, classroom_id=classroom.id)


def test_equal_points_share_a_rank_and_whoever_reached_it_first_comes_first(db, make, klass):
    classroom, _teacher, (ana, ben, cai, dee, eve), quest = klass
    earn(db, make, ana, quest, 30, minutes=1)
    # Ben and Cai both have 20; Cai got there first.
    earn(db, make, ben, quest, 20, minutes=5)
    earn(db, make, cai, quest, 20, minutes=3)
    earn(db, make, dee, quest, 10, minutes=2)
    board = classroom_leaderboard(access=as_student(classroom, ana), viewer=ana)
    assert [(row.rank, row.name, row.points) for row in board.rows] == [
        (1, ana.pseudonym, 30),
        (2, cai.pseudonym, 20),
        (2, ben.pseudonym, 20),
        (4, dee.pseudonym, 10),
        (5, eve.pseudonym, 0),
    ]
    assert board.listed_count == 5
    assert board.listed_points == 80


def test_a_tie_at_the_same_moment_is_ordered_by_pseudonym(db, make, klass):
    classroom, _teacher, students, quest = klass
    for student in students[:3]:
        earn(db, make, student, quest, 10, minutes=4)
    board = classroom_leaderboard(access=as_student(classroom, students[0]), viewer=students[0])
    top = [row.name for row in board.rows[:3]]
    assert top == sorted((s.pseudonym for s in students[:3]), key=str.casefold)
    assert [row.rank for row in board.rows] == [1, 1, 1, 4, 4]


def test_students_without_points_are_listed_with_zero_after_those_who_reached_zero(db, make, klass):
    classroom, _teacher, (ana, ben, *_rest), quest = klass
    # Ana gained and lost again: she reached 0 with an entry; the others have none.
    earn(db, make, ana, quest, 10, minutes=1)
    earn(db, make, ana, quest, -10, minutes=2)
    board = classroom_leaderboard(access=as_student(classroom, ben), viewer=ben)
    assert {row.points for row in board.rows} == {0}
    assert {row.rank for row in board.rows} == {1}
    assert board.rows[0].name == ana.pseudonym
    assert board.viewer.points == 0
    assert board.viewer.rank == 1


def test_negative_entries_lower_a_total(db, make, klass):
    classroom, _teacher, (ana, ben, *_rest), quest = klass
    earn(db, make, ana, quest, 25, minutes=1)
    earn(db, make, ana, quest, -15, minutes=6)
    earn(db, make, ben, quest, 12, minutes=2)
    board = classroom_leaderboard(access=as_student(classroom, ana), viewer=ana)
    assert [(row.name, row.points) for row in board.rows[:2]] == [
        (ben.pseudonym, 12),
        (ana.pseudonym, 10),
    ]
    assert board.viewer.rank == 2


def test_a_student_who_opted_out_is_not_listed_and_takes_no_rank(db, make, klass):
    classroom, _teacher, (ana, ben, cai, *_rest), quest = klass
    earn(db, make, ana, quest, 50, minutes=1)
    earn(db, make, ben, quest, 30, minutes=1)
    earn(db, make, cai, quest, 20, minutes=1)
    ana.leaderboard_opt_in = False
    db.session.commit()

    seen_by_ben = classroom_leaderboard(access=as_student(classroom, ben), viewer=ben)
    assert ana.pseudonym not in {row.name for row in seen_by_ben.rows}
    assert [(row.rank, row.name) for row in seen_by_ben.rows[:2]] == [
        (1, ben.pseudonym),
        (2, cai.pseudonym),
    ]
    assert seen_by_ben.listed_count == 4

    # Ana sees the ranking without herself, and privately where her points would place her.
    seen_by_ana = classroom_leaderboard(access=as_student(classroom, ana), viewer=ana)
    assert not any(row.is_viewer for row in seen_by_ana.rows)
    assert seen_by_ana.viewer.points == 50
    assert seen_by_ana.viewer.rank is None
    assert seen_by_ana.viewer.would_rank == 1
    assert not seen_by_ana.viewer.opted_in


def test_staff_see_every_student_with_names_and_no_rank_for_those_who_opted_out(db, make, klass):
    classroom, teacher, (ana, ben, *_rest), quest = klass
    earn(db, make, ana, quest, 50, minutes=1)
    earn(db, make, ben, quest, 30, minutes=1)
    ana.leaderboard_opt_in = False
    db.session.commit()
    access = leaderboard_access(user=teacher, classroom_id=classroom.id)
    assert access.audience is Audience.STAFF
    board = classroom_leaderboard(access=access, viewer=teacher)
    assert len(board.rows) == 5
    first, second = board.rows[:2]
    assert (first.rank, first.real_name, first.listed) == (None, ana.display_name, False)
    assert (second.rank, second.real_name, second.listed) == (1, ben.display_name, True)
    assert board.viewer is None
    assert board.opted_out_count == 1


def test_students_never_get_display_names(db, make, klass):
    classroom, _teacher, (ana, *_rest), _quest = klass
    board = classroom_leaderboard(access=as_student(classroom, ana), viewer=ana)
    assert all(row.real_name is None for row in board.rows)
    assert [row.is_viewer for row in board.rows].count(True) == 1


def test_a_board_turned_off_shows_students_only_their_own_points(db, make, klass):
    classroom, teacher, (ana, ben, *_rest), quest = klass
    earn(db, make, ana, quest, 15, minutes=1)
    earn(db, make, ben, quest, 25, minutes=1)
    classroom.leaderboard_enabled = False
    db.session.commit()
    board = classroom_leaderboard(access=as_student(classroom, ana), viewer=ana)
    assert not board.enabled
    assert not board.shows_ranking
    assert board.rows == ()
    assert (board.viewer.points, board.viewer.rank, board.viewer.would_rank) == (15, None, None)

    staff_board = classroom_leaderboard(
        access=leaderboard_access(user=teacher, classroom_id=classroom.id), viewer=teacher
    )
    assert staff_board.shows_ranking
    assert [row.real_name for row in staff_board.rows[:2]] == [ben.display_name, ana.display_name]


def test_only_the_classrooms_students_and_quests_count(db, make, klass):
    classroom, _teacher, (ana, *_rest), quest = klass
    outsider = make.student()
    other_classroom = make.classroom(students=[outsider])
    other_quest = make.quest()
    make.assignment(quest=other_quest, classroom=other_classroom)
    earn(db, make, outsider, quest, 99, minutes=1)
    # Ana's points in a quest her classroom was not given do not count here.
    earn(db, make, ana, other_quest, 40, minutes=1)
    earn(db, make, ana, quest, 5, minutes=1)
    board = classroom_leaderboard(access=as_student(classroom, ana), viewer=ana)
    assert outsider.pseudonym not in {row.name for row in board.rows}
    assert board.viewer.points == 5
    assert board.listed_points == 5


def test_a_quest_board_counts_only_that_quest(db, make, klass):
    classroom, _teacher, (ana, ben, *_rest), quest = klass
    second = make.quest()
    make.assignment(quest=second, classroom=classroom)
    earn(db, make, ana, quest, 30, minutes=1)
    earn(db, make, ben, second, 20, minutes=1)
    earn(db, make, ana, second, 5, minutes=2)
    summary = assigned_quest(classroom, second.slug)
    board = quest_leaderboard(access=as_student(classroom, ana), quest=summary, viewer=ana)
    assert [(row.name, row.points) for row in board.rows[:2]] == [
        (ben.pseudonym, 20),
        (ana.pseudonym, 5),
    ]
    assert board.quest.slug == second.slug
    whole = classroom_leaderboard(access=as_student(classroom, ana), viewer=ana)
    assert whole.viewer.points == 35


def test_a_deactivated_student_is_left_off(db, make, klass):
    classroom, _teacher, (ana, ben, *_rest), _quest = klass
    ben.active = False
    db.session.commit()
    board = classroom_leaderboard(access=as_student(classroom, ana), viewer=ana)
    assert ben.pseudonym not in {row.name for row in board.rows}


def test_each_board_is_one_query(db, make, klass):
    classroom, _teacher, students, quest = klass
    for minutes, student in enumerate(students):
        earn(db, make, student, quest, 10 + minutes, minutes=minutes)
    access = as_student(classroom, students[0])
    summary = assigned_quest(classroom, quest.slug)
    statements = []

    def count(*args):
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        classroom_leaderboard(access=access, viewer=students[0])
        quest_leaderboard(access=access, quest=summary, viewer=students[0])
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == 2, statements


def test_access_follows_enrolment_and_teaching(make, klass):
    classroom, teacher, (ana, *_rest), _quest = klass
    outsider, other_teacher, admin = make.student(), make.teacher(), make.admin()
    assert leaderboard_access(user=ana, classroom_id=classroom.id).audience is Audience.STUDENT
    assert leaderboard_access(user=teacher, classroom_id=classroom.id).audience is Audience.STAFF
    assert leaderboard_access(user=admin, classroom_id=classroom.id).audience is Audience.STAFF
    assert leaderboard_access(user=outsider, classroom_id=classroom.id) is None
    assert leaderboard_access(user=other_teacher, classroom_id=classroom.id) is None
    assert leaderboard_access(user=admin, classroom_id=999_999) is None


def test_the_classrooms_each_person_may_open(make, klass):
    classroom, teacher, (ana, *_rest), _quest = klass
    second = make.classroom(students=[ana])
    assert {c.id for c in leaderboard_classrooms(ana)} == {classroom.id, second.id}
    assert [c.id for c in leaderboard_classrooms(teacher)] == [classroom.id]
    assert {c.id for c in leaderboard_classrooms(make.admin())} == {classroom.id, second.id}


def test_assigned_quests_and_their_available_points(make, klass):
    classroom, _teacher, _students, quest = klass
    stranger = make.quest()
    summaries = assigned_quests(classroom)
    assert [summary.slug for summary in summaries] == [quest.slug]
    assert summaries[0].available_points == quest.total_points
    assert assigned_quest(classroom, stranger.slug) is None
    assert assigned_quest(classroom, "no-such-quest") is None


def test_personal_bests_split_stage_points_and_bonuses_and_keep_the_best_quiz(db, make, klass):
    classroom, _teacher, (ana, *_rest), quest = klass
    second = make.quest()
    make.assignment(quest=second, classroom=classroom)
    earn(db, make, ana, quest, 12, minutes=1)
    make.bonus(award=make.award(student=ana), quest=quest, points=5)
    quiz_max = next(stage.points for stage in quest.stages if stage.position == 2)
    make.attempt(student=ana, quest=quest, position=2, outcome="failed", score=quiz_max / 4)
    make.attempt(student=ana, quest=quest, position=2, outcome="passed", score=quiz_max / 2)
    bests = personal_bests(student=ana, quests=assigned_quests(classroom))
    first, other = bests
    # The quiz's best try counts too, in whole points.
    quiz_points = whole_points(quiz_max / 2)
    assert (first.quest.slug, first.stage_points, first.bonus_points) == (
        quest.slug,
        12 + quiz_points,
        5,
    )
    assert first.best_quiz == pytest.approx(0.5)
    assert (other.quest.slug, other.stage_points, other.bonus_points, other.best_quiz) == (
        second.slug,
        0,
        0,
        None,
    )


def test_a_review_that_raised_a_quiz_score_counts_as_the_best(db, make, klass):
    classroom, teacher, (ana, *_rest), quest = klass
    quiz_max = next(stage.points for stage in quest.stages if stage.position == 2)
    attempt = make.attempt(
        student=ana, quest=quest, position=2, outcome="failed", score=quiz_max / 5
    )
    review_attempt(
        attempt=attempt, by=teacher, score=float(quiz_max), outcome="passed", reason="Regraded."
    )
    (best,) = personal_bests(student=ana, quests=assigned_quests(classroom))
    assert best.best_quiz == pytest.approx(1.0)


def test_enrolment_in_two_classrooms_counts_the_quest_in_both(db, make, klass):
    _classroom, _teacher, (ana, *_rest), quest = klass
    second = make.classroom()
    db.session.add(Enrollment(classroom=second, student=ana))
    db.session.commit()
    make.assignment(quest=quest, classroom=second)
    earn(db, make, ana, quest, 7, minutes=1)
    board = classroom_leaderboard(access=as_student(second, ana), viewer=ana)
    assert [(row.name, row.points) for row in board.rows] == [(ana.pseudonym, 7)]
