"""A classroom's gradebook: the best effective score per student and stage, in stage points."""

from __future__ import annotations

from sqlalchemy import event

from quest_platform.models import Enrollment
from quest_platform.queries.gradebook import gradebook_of, gradebook_rows, stage_heading
from quest_platform.services.reviews import review_attempt


def stage(quest, position: int):
    return next(stage for stage in quest.stages if stage.position == position)


def test_the_columns_are_the_stages_of_the_classrooms_quests_in_order(school):
    gradebook = gradebook_of(school.classroom)
    assert gradebook.stages == list(school.quest.stages)
    assert gradebook.students == [school.student]


def test_the_best_score_counts_scaled_to_the_stages_points(db, make, school):
    quiz = stage(school.quest, 2)
    quiz.points = 20
    db.session.commit()
    make.attempt(student=school.student, quest=school.quest, position=2, outcome="failed", score=4)
    # Scored out of 20 at the time: 15/20 is the better share.
    make.attempt(student=school.student, quest=school.quest, position=2, outcome="passed", score=15)
    points = gradebook_of(school.classroom).points
    assert points[(school.student.id, quiz.id)] == 15


def test_a_share_is_scaled_when_the_points_changed_since(db, make, school):
    make.attempt(student=school.student, quest=school.quest, position=2, outcome="passed", score=8)
    quiz = stage(school.quest, 2)
    quiz.points = 25
    db.session.commit()
    # 8 of 10 when submitted, on a stage now worth 25.
    assert gradebook_of(school.classroom).points[(school.student.id, quiz.id)] == 20


def test_a_waiting_checkpoint_has_no_score_until_reviewed(db, school):
    checkpoint = stage(school.quest, 3)
    assert (school.student.id, checkpoint.id) not in gradebook_of(school.classroom).points
    review_attempt(attempt=school.attempt, score=7, outcome="passed", reason="", by=school.teacher)
    assert gradebook_of(school.classroom).points[(school.student.id, checkpoint.id)] == 7


def test_the_latest_review_wins_even_below_an_earlier_score(db, make, school):
    attempt = make.attempt(
        student=school.student, quest=school.quest, position=2, outcome="passed", score=10
    )
    review_attempt(
        attempt=attempt, score=4, outcome="failed", reason="Copied answer.", by=school.teacher
    )
    quiz = stage(school.quest, 2)
    assert gradebook_of(school.classroom).points[(school.student.id, quiz.id)] == 4


def test_students_of_other_classrooms_are_left_out(db, make, school):
    make.attempt(
        student=school.other_student, quest=school.quest, position=2, score=9, outcome="passed"
    )
    gradebook = gradebook_of(school.classroom)
    assert all(student_id == school.student.id for student_id, _ in gradebook.points)


def test_the_scores_are_one_query_however_many_students(db, make, school):
    def statements_for_gradebook() -> list[str]:
        db.session.expire_all()
        statements: list[str] = []

        def count(*args: object) -> None:
            statements.append(str(args[2]))

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            gradebook_of(db.session.get(type(school.classroom), school.classroom.id))
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return statements

    few = statements_for_gradebook()
    for _ in range(5):
        student = make.student()
        db.session.add(Enrollment(classroom=school.classroom, student=student))
        make.attempt(student=student, quest=school.quest, position=2, outcome="passed", score=5)
    many = statements_for_gradebook()
    assert len(many) == len(few)
    assert len([statement for statement in many if "FROM attempt" in statement]) == 1


def test_the_rows_follow_the_canvas_layout(db, make, school):
    make.attempt(student=school.student, quest=school.quest, position=1, outcome="passed", score=10)
    rows = gradebook_rows(gradebook_of(school.classroom))
    stages = school.quest.stages
    assert rows[0] == [
        "Student",
        "ID",
        "SIS User ID",
        "SIS Login ID",
        "Section",
        *(stage_heading(s) for s in stages),
    ]
    assert rows[0][5] == f"{school.quest.title}: 1. Why sessions (10 pts)"
    assert rows[1] == ["Points Possible", "", "", "", "", *(str(s.points) for s in stages)]
    student = school.student
    assert rows[2][:6] == [student.display_name, "", "", student.username, "Class 6", "10"]
    assert rows[2][6:] == [""] * (len(stages) - 1)


def test_a_classroom_without_quests_has_only_its_students(make):
    student = make.student()
    classroom = make.classroom(students=[student])
    rows = gradebook_rows(gradebook_of(classroom))
    assert rows == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"],
        ["Points Possible", "", "", "", ""],
        [student.display_name, "", "", student.username, classroom.name],
    ]
