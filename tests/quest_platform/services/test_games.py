"""Live games, as services: opening a game from quizzes, joining and rejoining, the host's moves,
and answers timed and scored on the server, each counted once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from quest_platform.extensions import db
from quest_platform.game_scoring import ScoringRules, answer_points, streak_bonus
from quest_platform.models import Attempt, AuditEntry, Game, GameAnswer, GameStatus, utcnow
from quest_platform.queries.games import answer_count, choice_counts, standings
from quest_platform.services.attempts import submit_attempt
from quest_platform.services.errors import Conflict, NotAllowed, NotFound, ServiceError
from quest_platform.services.games import (
    answer_question,
    finish_game,
    join_game,
    open_game,
    record_game,
    reveal_answers,
    show_next_question,
)
from quest_platform.services.time_extensions import grant_time_extension

QUIZ, TIMED = 1, 5  # indexes into a builders' quest's stages: "Sessions quiz", "Speed round"


@pytest.fixture
def game_class(make):
    """A teacher's class of three students with a published quest, and a game on its quiz and
    timed quiz (two questions: a single choice, then a short answer)."""
    teacher = make.teacher()
    students = [make.student() for _ in range(3)]
    classroom = make.classroom(teachers=[teacher], students=students)
    quest = make.quest(author=teacher)
    make.assignment(quest=quest, classroom=classroom)
    stages = [quest.stages[QUIZ], quest.stages[TIMED]]
    game = open_game(classroom=classroom, stages=stages, by=teacher, seconds=20)
    return teacher, students, classroom, quest, game


# Scoring


@pytest.mark.parametrize(
    ("elapsed", "allowed", "expected"),
    [(0, 20, 1000), (10, 20, 750), (20, 20, 500), (25, 20, 500), (3, None, 1000), (1, 3, 833)],
)
def test_a_correct_answer_earns_kahoots_points_by_speed(elapsed, allowed, expected) -> None:
    rules = ScoringRules()
    assert answer_points(rules, correct=True, elapsed=elapsed, allowed=allowed) == expected
    assert answer_points(rules, correct=False, elapsed=elapsed, allowed=allowed) == 0


def test_the_hosts_settings_change_the_points() -> None:
    assert answer_points(ScoringRules(points=2000), correct=True, elapsed=10, allowed=20) == 1500
    assert answer_points(ScoringRules(speed=False), correct=True, elapsed=19, allowed=20) == 1000
    assert answer_points(ScoringRules(points=0), correct=True, elapsed=0, allowed=20) == 0
    rules = ScoringRules()
    assert [streak_bonus(rules, streak) for streak in range(1, 9)] == [
        0,
        100,
        200,
        300,
        400,
        500,
        500,
        500,
    ]
    assert streak_bonus(ScoringRules(streaks=False), 4) == 0


# Opening and joining


def test_a_teacher_opens_a_game_from_quizzes_with_a_code(game_class) -> None:
    teacher, _students, _classroom, _quest, game = game_class
    assert game.status == GameStatus.LOBBY
    assert len(game.code) == 6
    assert game.code.isdigit()
    assert [q.question["prompt"] for q in game.questions] == [
        "Where is session data kept?",
        "HTTP verb to create?",
    ]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.table_name == "game"))
    assert entry.actor_id == teacher.id


def test_only_the_class_teacher_opens_a_game_of_its_quizzes(game_class, make) -> None:
    teacher, _students, classroom, quest, _game = game_class
    with pytest.raises(NotAllowed):
        open_game(classroom=classroom, stages=[quest.stages[QUIZ]], by=make.teacher())
    with pytest.raises(ServiceError, match="quizzes and timed quizzes only"):
        open_game(classroom=classroom, stages=[quest.stages[0]], by=teacher)
    with pytest.raises(ServiceError, match="at least one quiz"):
        open_game(classroom=classroom, stages=[], by=teacher)
    with pytest.raises(ServiceError, match="0, 1000 or 2000"):
        open_game(classroom=classroom, stages=[quest.stages[QUIZ]], by=teacher, points=500)
    with pytest.raises(ServiceError, match="between 5 and 600"):
        open_game(classroom=classroom, stages=[quest.stages[QUIZ]], by=teacher, seconds=2)
    other = make.classroom(teachers=[teacher])
    with pytest.raises(ServiceError, match="Give a quiz's quest"):
        open_game(classroom=other, stages=[quest.stages[QUIZ]], by=teacher)


def test_students_join_with_the_code_and_rejoin_as_the_same_player(game_class, make) -> None:
    _teacher, (ana, _ben, _cai), _classroom, _quest, game = game_class
    assert join_game(code=game.code, student=ana) == game
    assert join_game(code=f" {game.code} ", student=ana) == game
    assert [s.student_id for s in standings(game)] == [ana.id]
    with pytest.raises(NotAllowed, match="another class"):
        join_game(code=game.code, student=make.student())
    for code in ("000000" if game.code != "000000" else "111111", "abc", "", None):
        with pytest.raises(NotFound):
            join_game(code=code, student=ana)


# Questions and answers


def test_answers_are_timed_and_scored_on_the_server_with_streaks(game_class) -> None:
    teacher, (ana, ben, cai), _classroom, _quest, game = game_class
    for student in (ana, ben, cai):
        join_game(code=game.code, student=student)
    start = utcnow()
    show_next_question(game=game, by=teacher, now=start)
    assert (
        answer_question(
            game_id=game.id, student=ana, position=1, response=[1], now=start + timedelta(seconds=5)
        ).points
        == 875
    )
    wrong = answer_question(game_id=game.id, student=ben, position=1, response=[0], now=start)
    assert (wrong.correct, wrong.points, wrong.streak) == (False, 0, 0)
    assert answer_count(game, 1) == 2
    assert choice_counts(game, 1) == {1: 1, 0: 1}
    reveal_answers(game=game, by=teacher)
    with pytest.raises(Conflict, match="not open"):
        answer_question(game_id=game.id, student=cai, position=1, response=[1], now=start)

    second = start + timedelta(minutes=1)
    show_next_question(game=game, by=teacher, now=second)
    streak = answer_question(
        game_id=game.id, student=ana, position=2, response=" post ", now=second
    )
    # 1000 at once, and 100 for the second right answer in a row.
    assert (streak.correct, streak.points, streak.streak) == (True, 1100, 2)
    # Until the reveal, the open question's answers do not count: nobody learns from a score
    # whether they were right.
    assert next((p.points, p.streak) for p in standings(game) if p.student_id == ana.id) == (875, 1)
    reveal_answers(game=game, by=teacher)
    places = standings(game)
    assert next((p.place, p.student_id, p.points, p.streak) for p in places) == (
        1,
        ana.id,
        1975,
        2,
    )
    assert {p.student_id: p.place for p in places}[ben.id] == 2


def test_refused_answers_count_for_nothing(game_class, make) -> None:
    teacher, (ana, ben, _cai), _classroom, _quest, game = game_class
    join_game(code=game.code, student=ana)
    start = utcnow()
    with pytest.raises(Conflict, match="not open"):
        answer_question(game_id=game.id, student=ana, position=1, response=[1], now=start)
    show_next_question(game=game, by=teacher, now=start)
    late = start + timedelta(seconds=21)
    cases = [
        ({"student": ana, "position": 1, "response": [1], "now": late}, Conflict, "Time is up"),
        ({"student": ana, "position": 2, "response": "POST", "now": start}, Conflict, "not open"),
        (
            {"student": ben, "position": 1, "response": [1], "now": start},
            NotAllowed,
            "Join the game",
        ),
        ({"student": ana, "position": 1, "response": [5], "now": start}, ServiceError, "listed"),
        (
            {"student": ana, "position": 1, "response": [0, 1], "now": start},
            ServiceError,
            "one answer",
        ),
        ({"student": ana, "position": 1, "response": "1", "now": start}, ServiceError, "listed"),
        ({"student": ana, "position": True, "response": [1], "now": start}, Conflict, "not open"),
    ]
    for kwargs, error, message in cases:
        with pytest.raises(error, match=message):
            answer_question(game_id=game.id, **kwargs)
    answer_question(game_id=game.id, student=ana, position=1, response=[1], now=start)
    with pytest.raises(Conflict, match="already answered"):
        answer_question(game_id=game.id, student=ana, position=1, response=[0], now=start)
    counted = db.session.scalar(select(func.count()).select_from(GameAnswer))
    assert counted == 1


def test_extra_time_lengthens_a_players_own_timer(game_class) -> None:
    teacher, (ana, ben, _cai), _classroom, quest, game = game_class
    grant_time_extension(
        student=ana, stage=quest.stages[QUIZ], extra_seconds=60, reason="Plan", by=teacher
    )
    for student in (ana, ben):
        join_game(code=game.code, student=student)
    start = utcnow()
    show_next_question(game=game, by=teacher, now=start)
    later = start + timedelta(seconds=40)
    # Ana has 80 seconds: halfway through, she earns 750; Ben's 20 are over.
    assert (
        answer_question(game_id=game.id, student=ana, position=1, response=[1], now=later).points
        == 750
    )
    with pytest.raises(Conflict, match="Time is up"):
        answer_question(game_id=game.id, student=ben, position=1, response=[1], now=later)


def test_the_host_moves_the_game_once_however_often_they_click(game_class, make) -> None:
    teacher, (ana, _ben, _cai), _classroom, _quest, game = game_class
    stale = db.session.get(Game, game.id)
    show_next_question(game=game, by=teacher)
    with pytest.raises(NotAllowed):
        show_next_question(game=game, by=make.teacher())
    with pytest.raises(Conflict, match="Show the answers"):
        show_next_question(game=game, by=teacher)
    reveal_answers(game=game, by=teacher)
    show_next_question(game=game, by=teacher)
    assert game.position == 2
    reveal_answers(game=game, by=teacher)
    # After the last question, "next" ends the game; ending again changes nothing.
    show_next_question(game=game, by=teacher)
    assert game.status == GameStatus.FINISHED
    finished_at = game.finished_at
    finish_game(game=game, by=teacher)
    assert game.finished_at == finished_at
    assert stale.position == game.position
    with pytest.raises(NotFound):
        join_game(code=game.code, student=ana)


# Records


def test_a_finished_game_becomes_attempts_once(game_class, make) -> None:
    teacher, (ana, ben, cai), classroom, quest, _game = game_class
    quiz = quest.stages[QUIZ]
    game = open_game(classroom=classroom, stages=[quiz], by=teacher)
    for student in (ana, ben, cai):
        join_game(code=game.code, student=student)
    # Ana and Ben have read the lesson before the quiz; Cai has not, so the quiz is locked.
    for student in (ana, ben):
        submit_attempt(
            student=student,
            quest=quest,
            stage=quest.stages[0],
            answer={"confirmed": True},
            submission_key=f"lesson-{student.id}",
        )
    start = utcnow()
    show_next_question(game=game, by=teacher, now=start)
    answer_question(game_id=game.id, student=ana, position=1, response=[1], now=start)
    answer_question(game_id=game.id, student=ben, position=1, response=[0], now=start)
    reveal_answers(game=game, by=teacher)
    finish_game(game=game, by=teacher)

    records = record_game(game=game)
    assert [(r.student_id, r.attempt_id is not None, r.refused is None) for r in records] == [
        (ana.id, True, True),
        (ben.id, True, True),
        (cai.id, False, False),
    ]
    outcomes = {
        attempt.student_id: attempt.outcome
        for attempt in db.session.scalars(select(Attempt).where(Attempt.stage_id == quiz.id))
    }
    assert outcomes == {ana.id: "passed", ben.id: "failed"}
    assert game.recorded_at is not None
    finish_game(game=game, by=teacher)
    count = select(func.count()).select_from(Attempt).where(Attempt.stage_id == quiz.id)
    assert db.session.scalar(count) == 2


def test_an_unfinished_game_is_not_recorded(game_class) -> None:
    _teacher, _students, _classroom, _quest, game = game_class
    with pytest.raises(Conflict, match="End the game"):
        record_game(game=game)
