"""The dashboard on the teacher home: four charts with text alternatives, own classrooms only,
and a page per student with their engagement and predictions."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from quest_platform.models import QuestPrediction, StudentAnalytics
from quest_platform.services.accounts import set_language


def chart_titles(page: str) -> list[str]:
    return re.findall(r'<h3 id="[^"]+-heading">([^<]+)</h3>', page)


def test_the_teacher_home_shows_the_four_charts_of_their_classroom(client, school, login_as):
    login_as(school.teacher)
    page = client.get("/admin/").get_data(as_text=True)
    name, quest = school.classroom.name, school.quest.title
    assert f"Dashboard: {name}" in page
    assert chart_titles(page) == [
        f"Weekly engagement: {name}",
        f"Stage funnel: {quest}, {name}",
        f"Risk of not finishing on time: {name}",
        f"Progress by student and stage: {quest}, {name}",
    ]
    # Every chart is an image named and described by its words, with its figures in a table.
    assert page.count('role="img"') >= 3
    assert page.count("<title id=") == page.count("<desc id=") >= 3
    assert page.count("<caption>") >= 4
    assert school.other_classroom.name not in page


def test_the_picker_lists_only_the_teachers_classrooms_and_their_quests(client, school, login_as):
    login_as(school.teacher)
    page = client.get("/admin/").get_data(as_text=True)
    start = page.index('id="dashboard-classroom"')
    picker = page[start : page.index("</form>", start)]
    assert f">{school.classroom.name}</option>" in picker
    assert school.other_classroom.name not in picker
    assert f">{school.quest.title}</option>" in picker
    assert school.other_quest.title not in picker


def test_another_teachers_classroom_or_an_unassigned_quest_is_missing(client, school, login_as):
    login_as(school.teacher)
    assert client.get(f"/admin/?classroom={school.other_classroom.id}").status_code == 404
    assert client.get("/admin/?classroom=nonsense").status_code == 404
    unassigned = f"/admin/?classroom={school.classroom.id}&quest={school.other_quest.id}"
    assert client.get(unassigned).status_code == 404


def test_an_admin_can_show_any_classroom(client, school, login_as):
    login_as(school.admin)
    page = client.get(f"/admin/?classroom={school.other_classroom.id}").get_data(as_text=True)
    assert f"Dashboard: {school.other_classroom.name}" in page


def test_drawing_the_dashboard_records_each_students_analytics(client, school, login_as, db):
    login_as(school.teacher)
    client.get("/admin/")
    records = db.session.scalars(
        select(StudentAnalytics).where(StudentAnalytics.classroom_id == school.classroom.id)
    ).all()
    assert [record.student_id for record in records] == [school.student.id]
    predicted = db.session.scalar(
        select(func.count())
        .select_from(QuestPrediction)
        .where(QuestPrediction.classroom_id == school.classroom.id)
    )
    assert predicted == 1


def test_a_students_row_leads_to_their_engagement_and_predictions(client, school, login_as):
    login_as(school.teacher)
    home = client.get("/admin/").get_data(as_text=True)
    link = f"/admin/students/{school.student.id}/insights"
    assert f'href="{link}"' in home
    page = client.get(link).get_data(as_text=True)
    assert f"Engagement and predictions: {school.student.display_name}" in page
    assert school.quest.title in page
    assert "Chance of finishing by the due date" in page
    assert re.search(r"(✓ On track|! Watch|⚠ At risk)", page)
    assert f"Engagement in {school.classroom.name}" in page


def test_another_teachers_student_is_missing(client, school, login_as):
    login_as(school.teacher)
    assert client.get(f"/admin/students/{school.other_student.id}/insights").status_code == 404
    assert client.get("/admin/students/999999/insights").status_code == 404


def test_the_dashboard_reads_in_spanish(client, school, login_as):
    set_language(user=school.teacher, language="es")
    login_as(school.teacher)
    page = client.get("/admin/").get_data(as_text=True)
    assert f"Panel: {school.classroom.name}" in page
    assert f"Participación semanal: {school.classroom.name}" in page
    assert f"Riesgo de no terminar a tiempo: {school.classroom.name}" in page
    assert "Progreso por estudiante y etapa" in page
