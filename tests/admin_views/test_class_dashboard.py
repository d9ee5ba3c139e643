"""The dashboard on the teacher home: four charts with text alternatives, own classrooms only,
a page per student with their engagement and predictions, and the figures computed only when a
teacher asks (pages read them and say when they were computed, and which model predicted)."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

from helpers import post_form
from sqlalchemy import func, select, update

from quest_platform.models import DashboardChart, QuestPrediction, StudentAnalytics, utcnow
from quest_platform.queries.analytics import analytics_computed_at
from quest_platform.services.accounts import set_language
from quest_platform.services.analytics import refresh_analytics


def chart_titles(page: str) -> list[str]:
    return re.findall(r'<h3 id="[^"]+-heading">([^<]+)</h3>', page)


def refresh(client, classroom, data=None, form_page="/admin/"):
    url = f"/admin/classrooms/{classroom.id}/analytics"
    return post_form(client, url, data or {}, form_page=form_page)


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_teacher_home_offers_to_compute_figures_it_never_computed(client, school, login_as):
    login_as(school.teacher)
    page = client.get("/admin/").get_data(as_text=True)
    assert f"Dashboard: {school.classroom.name}" in page
    assert f"The figures of {school.classroom.name} have not been computed yet." in page
    assert "Compute the figures" in page
    assert chart_titles(page) == []


def test_reading_the_dashboard_and_a_students_page_writes_nothing(client, school, login_as, db):
    login_as(school.teacher)
    client.get("/admin/")
    client.get(f"/admin/students/{school.student.id}/insights")
    for model in (StudentAnalytics, QuestPrediction, DashboardChart):
        assert count(db, model) == 0


def test_refreshing_shows_the_four_charts_of_their_classroom(client, school, login_as):
    login_as(school.teacher)
    response = refresh(client, school.classroom)
    assert response.status_code == 302
    assert response.location == f"/admin/?classroom={school.classroom.id}"
    page = client.get(response.location).get_data(as_text=True)
    name, quest = school.classroom.name, school.quest.title
    assert f"The figures of {name} are up to date." in page
    assert f"Figures of {name} computed" in page
    assert "Refresh the figures" in page
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


def test_refreshing_records_each_students_analytics(client, school, login_as, db):
    login_as(school.teacher)
    refresh(client, school.classroom)
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
    assert analytics_computed_at(school.other_classroom.id) is None


def test_the_dashboard_says_how_old_its_figures_are(client, school, login_as):
    refresh_analytics(classroom=school.classroom, now=utcnow() - timedelta(hours=3))
    login_as(school.teacher)
    page = client.get("/admin/").get_data(as_text=True)
    assert f"Figures of {school.classroom.name} computed 3 hours ago, at " in page
    # The moment names the reader's time zone (the school's, here UTC).
    assert re.search(r"computed 3 hours ago, at [^<]+ \(UTC\)\.", page)


def test_the_refresh_comes_back_to_the_quest_shown(client, school, login_as, make):
    second = make.quest()
    make.assignment(quest=second, classroom=school.classroom, by=school.teacher)
    login_as(school.teacher)
    shown = f"/admin/?classroom={school.classroom.id}&quest={second.id}"
    response = refresh(client, school.classroom, {"quest": second.id}, form_page=shown)
    assert response.location == shown
    assert f"Stage funnel: {second.title}" in client.get(shown).get_data(as_text=True)


def test_a_quest_given_after_the_figures_were_computed_asks_for_a_refresh(
    client, school, login_as, make
):
    refresh_analytics(classroom=school.classroom)
    second = make.quest()
    make.assignment(quest=second, classroom=school.classroom, by=school.teacher)
    login_as(school.teacher)
    page = client.get(f"/admin/?classroom={school.classroom.id}&quest={second.id}")
    text = page.get_data(as_text=True)
    assert f"{second.title} was given to this classroom after these figures were computed" in text
    assert f"Weekly engagement: {school.classroom.name}" in chart_titles(text)
    assert not any(second.title in title for title in chart_titles(text))


def test_another_teachers_classroom_cannot_be_refreshed(client, school, login_as, db):
    login_as(school.teacher)
    assert refresh(client, school.other_classroom).status_code == 404
    url = "/admin/classrooms/999999/analytics"
    assert post_form(client, url, {}, form_page="/admin/").status_code == 404
    assert count(db, DashboardChart) == 0


def test_the_pickers_list_only_the_teachers_classrooms_and_their_quests(client, school, login_as):
    login_as(school.teacher)
    page = client.get("/admin/").get_data(as_text=True)
    start = page.index('class="classroom-picker"')
    classrooms = page[start : page.index("</nav>", start)]
    assert f'<span class="classroom-tab-name">{school.classroom.name}</span>' in classrooms
    assert school.other_classroom.name not in classrooms
    start = page.index('id="dashboard-quest"')
    quests = page[start : page.index("</form>", start)]
    assert f">{school.quest.title}</option>" in quests
    assert school.other_quest.title not in quests


def test_another_teachers_classroom_or_an_unassigned_quest_is_missing(client, school, login_as):
    login_as(school.teacher)
    assert client.get(f"/admin/?classroom={school.other_classroom.id}").status_code == 404
    assert client.get("/admin/?classroom=nonsense").status_code == 404
    unassigned = f"/admin/?classroom={school.classroom.id}&quest={school.other_quest.id}"
    assert client.get(unassigned).status_code == 404


def test_an_admin_can_show_and_refresh_any_classroom(client, school, login_as):
    login_as(school.admin)
    shown = f"/admin/?classroom={school.other_classroom.id}"
    page = client.get(shown).get_data(as_text=True)
    assert f"Dashboard: {school.other_classroom.name}" in page
    assert refresh(client, school.other_classroom, form_page=shown).status_code == 302
    page = client.get(shown).get_data(as_text=True)
    assert f"Weekly engagement: {school.other_classroom.name}" in chart_titles(page)


def test_a_students_row_leads_to_their_engagement_and_predictions(client, school, login_as):
    login_as(school.teacher)
    refresh(client, school.classroom)
    home = client.get("/admin/").get_data(as_text=True)
    link = f"/admin/students/{school.student.id}/insights"
    assert f'href="{link}"' in home
    page = client.get(link).get_data(as_text=True)
    assert f"Engagement and predictions: {school.student.display_name}" in page
    assert f"Figures of {school.classroom.name} computed" in page
    assert school.quest.title in page
    assert "Chance of finishing by the due date" in page
    assert re.search(r"(✓ On track|! Watch|⚠ At risk)", page)
    assert f"Engagement in {school.classroom.name}" in page


def test_a_students_page_offers_to_compute_figures_and_comes_back(client, school, login_as):
    login_as(school.teacher)
    link = f"/admin/students/{school.student.id}/insights"
    page = client.get(link).get_data(as_text=True)
    assert f"The figures of {school.classroom.name} have not been computed yet." in page
    assert "Chance of finishing by the due date" not in page
    response = refresh(client, school.classroom, {"student": school.student.id}, form_page=link)
    assert response.location == link
    assert "Chance of finishing by the due date" in client.get(link).get_data(as_text=True)


def test_another_teachers_student_is_missing(client, school, login_as):
    login_as(school.teacher)
    assert client.get(f"/admin/students/{school.other_student.id}/insights").status_code == 404
    assert client.get("/admin/students/999999/insights").status_code == 404


def test_the_dashboard_reads_in_spanish(client, school, login_as):
    refresh_analytics(classroom=school.classroom)
    set_language(user=school.teacher, language="es")
    login_as(school.teacher)
    page = client.get("/admin/").get_data(as_text=True)
    assert f"Panel: {school.classroom.name}" in page
    assert f"Participación semanal: {school.classroom.name}" in page
    assert f"Riesgo de no terminar a tiempo: {school.classroom.name}" in page
    assert "Progreso por estudiante y etapa" in page


STARTING_MODEL = (
    "Predictions by the starting model, learned from simulated classes and not yet from this "
    "school's records: take them as a first guess."
)
# make.prediction_model's: fitted on Dec 3, 2026 at 15:00 UTC, on quests from Sep 1 to Nov 28.
MODEL_3 = (
    "Predictions by model 3, learned from this school's records on Dec 3, 2026: 2,310 examples "
    "from 12 classrooms, on quests from Sep 1, 2026 to Nov 28, 2026."
)


def read(client, url: str) -> str:
    """A page's text, its HTML entities read back ("school&#39;s" is "school's")."""
    return html.unescape(client.get(url).get_data(as_text=True))


def set_prediction(db, classroom, **values) -> None:
    """Give the classroom's stored predictions these values (a chance, a confidence)."""
    db.session.execute(
        update(QuestPrediction).where(QuestPrediction.classroom_id == classroom.id).values(values)
    )
    db.session.commit()


def test_the_dashboard_names_the_starting_model_and_how_sure_its_predictions_are(
    client, school, login_as, db
):
    refresh_analytics(classroom=school.classroom)
    login_as(school.teacher)
    page = read(client, "/admin/")
    assert STARTING_MODEL in page
    assert page.index(f"Figures of {school.classroom.name} computed") < page.index(STARTING_MODEL)
    set_prediction(db, school.classroom, confidence="little_data")
    page = read(client, "/admin/")
    assert "How sure these predictions are: 1 with little data yet." in page
    set_prediction(db, school.classroom, confidence="good")
    page = read(client, "/admin/")
    assert "How sure these predictions are: 1 with good confidence." in page


def test_the_dashboard_counts_the_predictions_of_each_confidence(
    client, school, login_as, db, make
):
    refresh_analytics(classroom=school.classroom)
    set_prediction(db, school.classroom, confidence="good")
    for confidence in ("fair", "little_data", "little_data"):
        make.prediction(
            student=make.student(),
            classroom=school.classroom,
            quest=school.quest,
            confidence=confidence,
        )
    login_as(school.teacher)
    page = read(client, "/admin/")
    assert (
        "How sure these predictions are: 1 with good confidence, 1 with fair confidence, and "
        "2 with little data yet." in page
    )


def test_a_students_page_gives_each_chance_with_how_sure_it_is(client, school, login_as, db):
    refresh_analytics(classroom=school.classroom)
    login_as(school.teacher)
    link = f"/admin/students/{school.student.id}/insights"
    page = read(client, link)
    assert STARTING_MODEL in page
    # On little data the chance is a first guess, to the nearest ten.
    set_prediction(db, school.classroom, probability=0.63, confidence="little_data")
    assert "about 60% — little data yet" in read(client, link)
    set_prediction(db, school.classroom, probability=0.72, confidence="fair")
    assert "72% — fair confidence" in read(client, link)
    set_prediction(db, school.classroom, probability=0.72, confidence="good")
    assert "72% — good confidence" in read(client, link)


def test_the_pages_name_the_fitted_model_that_predicted(client, school, login_as, make):
    make.prediction_model(version=3)
    refresh_analytics(classroom=school.classroom)
    login_as(school.teacher)
    home = read(client, "/admin/")
    student = read(client, f"/admin/students/{school.student.id}/insights")
    for page in (home, student):
        assert MODEL_3 in page
        assert "starting model" not in page
        assert "has been learned since" not in page


def test_the_pages_say_when_a_newer_model_has_been_learned(client, school, login_as, make):
    refresh_analytics(classroom=school.classroom)
    make.prediction_model(version=1)
    login_as(school.teacher)
    for url in ("/admin/", f"/admin/students/{school.student.id}/insights"):
        page = read(client, url)
        assert STARTING_MODEL in page
        assert "Model 1 has been learned since: refresh the figures to predict with it." in page


def test_the_models_date_is_on_the_readers_clock(client, school, login_as, make, db):
    make.prediction_model(fitted_at=datetime(2026, 12, 3, 15, 0, tzinfo=UTC))
    refresh_analytics(classroom=school.classroom)
    # 15:00 UTC is already the next day in Kiribati (UTC+14).
    school.teacher.time_zone = "Pacific/Kiritimati"
    db.session.commit()
    login_as(school.teacher)
    page = read(client, "/admin/")
    assert "learned from this school's records on Dec 4, 2026:" in page


def test_the_model_and_confidence_read_in_spanish(client, school, login_as, make, db):
    make.prediction_model(version=3)
    refresh_analytics(classroom=school.classroom)
    set_prediction(db, school.classroom, probability=0.63, confidence="little_data")
    set_language(user=school.teacher, language="es")
    login_as(school.teacher)
    home = read(client, "/admin/")
    assert "Predicciones del modelo 3, aprendido de los registros de esta escuela" in home
    assert "2,310 ejemplos de 12 clases" in home
    assert "1 con pocos datos aún" in home
    page = read(client, f"/admin/students/{school.student.id}/insights")
    assert "cerca del 60% — aún hay pocos datos" in page
