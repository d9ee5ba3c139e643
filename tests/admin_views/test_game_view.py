"""The live games view: opening a game from the form (onto its host screen, audited), refusals
that say what is wrong with nothing written, and the list a teacher or an admin sees."""

from __future__ import annotations

import csv
import io
import re

import pytest
from helpers import post_form
from openpyxl import load_workbook
from sqlalchemy import event, func, select

from quest_platform.models import AuditEntry, Game
from quest_platform.services.games import open_game

NEW = "/admin/games/new/"
QUIZ, TIMED = 1, 5  # indexes into a builders' quest's stages: "Sessions quiz", "Speed round"


@pytest.fixture
def game_class(make):
    """A teacher's class of one student, given a published quest with a quiz and a timed quiz."""
    teacher = make.teacher()
    classroom = make.classroom(teachers=[teacher], students=[make.student()])
    quest = make.quest(author=teacher)
    make.assignment(quest=quest, classroom=classroom)
    return teacher, classroom, quest


def form(classroom, quest, /, **changes):
    return {
        "classroom": str(classroom.id),
        "stages": [str(quest.stages[TIMED].id), str(quest.stages[QUIZ].id)],
        "points": "2000",
        "speed_scoring": "y",
        "seconds": "30",
        **changes,
    }


def games(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Game))


def test_a_new_game_opens_on_its_host_screen(client, db, game_class, login_as):
    teacher, classroom, quest = game_class
    login_as(teacher)
    page = client.get(NEW).get_data(as_text=True)
    assert f"{quest.title} — 2. Sessions quiz" in page
    assert f"{quest.title} — 6. Speed round" in page
    assert f"{quest.title} — 1." not in page, "only quizzes and timed quizzes are offered"

    response = post_form(client, NEW, form(classroom, quest))

    game = db.session.scalar(select(Game))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/games/{game.id}/host"
    assert (game.classroom_id, game.host_id) == (classroom.id, teacher.id)
    assert (game.points_per_question, game.seconds_per_question) == (2000, 30)
    # Ticked, the speed scoring is on; not sent, the streak bonus is off.
    assert (game.speed_scoring, game.streak_bonus) == (True, False)
    # The quizzes' questions in the order the quizzes are listed, not as sent.
    assert [question.question["prompt"] for question in game.questions] == [
        "Where is session data kept?",
        "HTTP verb to create?",
    ]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.table_name == "game"))
    assert (entry.action, entry.actor_id, entry.record_id) == ("create", teacher.id, str(game.id))


def test_the_form_starts_as_a_standard_game_of_20_seconds_a_question(client, game_class, login_as):
    teacher, _classroom, _quest = game_class
    login_as(teacher)
    page = client.get(NEW).get_data(as_text=True)
    assert 'checked id="points-1" name="points" required type="radio" value="1000"' in page
    assert 'checked id="seconds-2" name="seconds" required type="radio" value="20"' in page
    assert '<label for="seconds-2">20 seconds a question</label>' in page
    assert '<label for="seconds-0">No timer</label>' in page
    for setting in ("speed_scoring", "streak_bonus"):
        assert f'checked id="{setting}" name="{setting}" type="checkbox"' in page
    assert "None of your classes has a quiz to play yet." not in page


def test_an_untimed_game_has_no_timer(client, db, game_class, login_as):
    teacher, classroom, quest = game_class
    login_as(teacher)
    response = post_form(client, NEW, form(classroom, quest, seconds="none", points="0"))
    assert response.status_code == 302
    game = db.session.scalar(select(Game))
    assert (game.seconds_per_question, game.points_per_question) == (None, 0)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (lambda quest: {"classroom": ""}, "classroom", "This field is required."),
        (lambda quest: {"stages": []}, "stages", "Choose at least one quiz for the game."),
        (
            lambda quest: {"stages": [str(quest.stages[0].id)]},
            "stages",
            "is not a valid choice for this field.",
        ),
        (lambda quest: {"points": "500"}, "points", "Not a valid choice."),
        (lambda quest: {"seconds": "15"}, "seconds", "Not a valid choice."),
        (lambda quest: {"seconds": ""}, "seconds", "This field is required."),
    ],
    ids=["no class", "no quiz", "a lesson", "500 points", "15 seconds", "no timer choice"],
)
def test_a_refused_game_says_why_and_writes_nothing(
    client, db, game_class, login_as, changes, field, message
):
    teacher, classroom, quest = game_class
    login_as(teacher)
    response = post_form(client, NEW, form(classroom, quest, **changes(quest)))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    # The error is shown by its field, which names it for screen readers, and summed up above.
    assert f'id="{field}-error"' in page
    assert re.search(rf'id="{field}"[^>]*aria-describedby="[^"]*{field}-error', page) or re.search(
        rf'aria-describedby="[^"]*{field}-error[^>]*id="{field}"', page
    )
    assert f'href="#{field}"' in page
    assert games(db) == 0


def test_another_teachers_class_is_not_offered_nor_taken(client, db, game_class, make, login_as):
    _teacher, classroom, quest = game_class
    login_as(make.teacher())
    page = client.get(NEW).get_data(as_text=True)
    assert classroom.name not in page
    assert "None of your classes has a quiz to play yet." in page
    response = post_form(client, NEW, form(classroom, quest))
    assert response.status_code == 422
    assert "Not a valid choice." in response.get_data(as_text=True)
    assert games(db) == 0


def test_the_list_shows_a_teachers_own_classes_games_and_an_admin_all(
    client, client_factory, db, game_class, make, login_as
):
    teacher, classroom, quest = game_class
    other_teacher = make.teacher()
    other_class = make.classroom(teachers=[other_teacher])
    make.assignment(quest=quest, classroom=other_class)
    own = open_game(classroom=classroom, stages=[quest.stages[QUIZ]], by=teacher)
    other = open_game(classroom=other_class, stages=[quest.stages[TIMED]], by=other_teacher)

    login_as(teacher)
    page = client.get("/admin/games/").get_data(as_text=True)
    assert own.code in page
    assert other.code not in page
    assert f'href="/games/{own.id}/host"' in page
    assert f'href="/games/{own.id}/report.csv"' in page
    assert f'href="/games/{own.id}/report.xlsx"' in page
    assert "Lobby" in page
    assert client.get(f"/admin/games/details/?id={other.id}").status_code == 404

    admin = login_as(make.admin(), on=client_factory())
    page = admin.get("/admin/games/").get_data(as_text=True)
    assert own.code in page
    assert other.code in page


def test_a_co_teacher_sees_the_game_but_not_the_hosts_links(client, game_class, make, login_as):
    teacher, classroom, quest = game_class
    co_teacher = make.teacher()
    classroom.teachers.append(co_teacher)
    game = open_game(classroom=classroom, stages=[quest.stages[QUIZ]], by=teacher)
    login_as(co_teacher)
    page = client.get("/admin/games/").get_data(as_text=True)
    assert game.code in page
    assert f"/games/{game.id}/host" not in page


EXPORT_HEADER = [
    "Created (UTC)",
    "Class",
    "Code",
    "Questions",
    "Players",
    "Status",
    "Points a question",
    "Speed scoring",
    "Streak bonus",
    "Timer",
    "Host",
    "Ended (UTC)",
]


def exported_rows(response, export_type: str) -> list[list[str]]:
    if export_type == "csv":
        return list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    workbook = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    try:
        rows = workbook.active.iter_rows(values_only=True)
        return [["" if value is None else str(value) for value in row] for row in rows]
    finally:
        workbook.close()


@pytest.mark.parametrize("export_type", ["csv", "xlsx"])
def test_the_list_and_export_show_no_secrets_and_the_export_no_links(
    client, game_class, login_as, export_type
):
    teacher, classroom, quest = game_class
    game = open_game(classroom=classroom, stages=[quest.stages[QUIZ]], by=teacher, seconds=30)
    login_as(teacher)
    list_page = client.get("/admin/games/").get_data(as_text=True)
    response = client.get(f"/admin/games/export/{export_type}/")
    assert response.status_code == 200
    header, *rows = exported_rows(response, export_type)
    assert header == EXPORT_HEADER
    assert [row[1:7] for row in rows] == [
        [classroom.name, game.code, "1", "0", "Lobby", "1000"],
    ]
    assert rows[0][7:10] == ["On", "On", "30 seconds a question"]
    exported = "\n".join("\t".join(row) for row in [header, *rows])
    assert "/games/" not in exported
    for text in (list_page, exported):
        assert "$argon2" not in text
        assert teacher.fs_uniquifier not in text


def test_a_longer_list_costs_no_more_queries(client, db, game_class, make, login_as):
    """Classes, hosts and the counts of questions and players come with the page."""
    teacher, classroom, quest = game_class
    login_as(teacher)

    def queries_for_list() -> int:
        statements: list[str] = []

        def count(*args) -> None:
            statements.append(args[2])

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get("/admin/games/").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    open_game(classroom=classroom, stages=[quest.stages[QUIZ]], by=teacher)
    few = queries_for_list()
    for _ in range(3):
        other_class = make.classroom(teachers=[teacher], students=[make.student()])
        make.assignment(quest=quest, classroom=other_class)
        open_game(
            classroom=other_class, stages=[quest.stages[QUIZ], quest.stages[TIMED]], by=teacher
        )
    assert queries_for_list() == few
