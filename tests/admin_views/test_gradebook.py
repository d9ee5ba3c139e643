"""A classroom's gradebook CSV: the Canvas layout, effective best scores, safe cells, and access."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from quest_platform.models import Enrollment, Stage
from quest_platform.services.reviews import review_attempt


def gradebook_url(classroom) -> str:
    return f"/admin/classroom/{classroom.id}/gradebook.csv"


def rows_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_a_small_class_gradebook(client, db, make, school, login_as):
    quest = school.quest
    classmate = make.student()
    classmate.display_name = "Ana Lee"
    db.session.add(Enrollment(classroom=school.classroom, student=classmate))
    db.session.commit()
    # The student: 4 then 9 of 10 on the quiz, and a checkpoint marked 7 of 10. Ana: a quiz of
    # 5/10 overridden to 6/10, and nothing else.
    make.attempt(student=school.student, quest=quest, position=2, outcome="failed", score=4)
    make.attempt(student=school.student, quest=quest, position=2, outcome="passed", score=9)
    review_attempt(attempt=school.attempt, score=7, outcome="passed", reason="", by=school.teacher)
    ana_quiz = make.attempt(student=classmate, quest=quest, position=2, outcome="failed", score=5)
    review_attempt(
        attempt=ana_quiz, score=6, outcome="failed", reason="Regraded.", by=school.teacher
    )
    # The quiz is worth 20 points now: the best 9/10 is 18 points, Ana's 6/10 is 12.
    quiz = db.session.scalar(select(Stage).where(Stage.quest == quest, Stage.position == 2))
    quiz.points = 20
    db.session.commit()

    login_as(school.teacher)
    response = client.get(gradebook_url(school.classroom))
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == "attachment; filename=gradebook-Class_6.csv"
    rows = rows_of(response)
    headings = [f"{quest.title}: {s.position}. {s.title} ({s.points} pts)" for s in quest.stages]
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *headings]
    assert rows[1] == ["Points Possible", "", "", "", "", "10", "20", "10", "10", "10", "10", "10"]
    # Students by name: Ana Lee, then Student 2.
    assert rows[2] == ["Ana Lee", "", "", classmate.username, "Class 6", "", "12", *[""] * 5]
    assert rows[3] == [
        school.student.display_name,
        "",
        "",
        school.student.username,
        "Class 6",
        "",
        "18",
        "7",
        *[""] * 4,
    ]
    assert len(rows) == 4


def test_names_never_become_spreadsheet_formulas(client, db, school, login_as):
    school.student.display_name = '=HYPERLINK("http://evil.example","click")'
    school.classroom.name = "+Class"
    db.session.commit()
    login_as(school.teacher)
    rows = rows_of(client.get(gradebook_url(school.classroom)))
    assert rows[2][0] == '\'=HYPERLINK("http://evil.example","click")'
    assert rows[2][4] == "'+Class"


def test_only_the_classrooms_teachers_and_admins_download_it(client, school, login_as):
    login_as(school.other_teacher)
    assert client.get(gradebook_url(school.classroom)).status_code == 404
    assert client.get(gradebook_url(school.other_classroom)).status_code == 200


def test_the_gradebook_is_not_cached(client, school, login_as):
    login_as(school.admin)
    response = client.get(gradebook_url(school.classroom))
    assert response.headers["Cache-Control"] == "no-store"
