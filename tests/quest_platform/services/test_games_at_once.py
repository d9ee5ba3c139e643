"""A live game's rules hold however many requests arrive together: twenty answers from one
player to one question count once, twenty "next" clicks move the game one question, and twenty
joins from one student make one player.

Each thread has its own application context and database session, as each request has; a
barrier releases them together. The suite runs against SQLite and, in CI, PostgreSQL.
"""

from __future__ import annotations

from collections import Counter

from helpers import at_once
from sqlalchemy import func, select

from quest_platform.extensions import db
from quest_platform.models import Game, GameAnswer, GamePlayer, User
from quest_platform.services.games import (
    answer_question,
    join_game,
    open_game,
    show_next_question,
)

SENDERS = 20


def a_game(make) -> tuple[User, User, Game]:
    teacher, student = make.teacher(), make.student()
    classroom = make.classroom(teachers=[teacher], students=[student])
    quest = make.quest(author=teacher)
    make.assignment(quest=quest, classroom=classroom)
    game = open_game(classroom=classroom, stages=[quest.stages[1], quest.stages[5]], by=teacher)
    join_game(code=game.code, student=student)
    return teacher, student, game


def test_twenty_answers_from_one_player_at_once_count_once(app, make) -> None:
    teacher, student, game = a_game(make)
    show_next_question(game=game, by=teacher)
    game_id, student_id = game.id, student.id

    def answer() -> None:
        answer_question(
            game_id=game_id, student=db.session.get(User, student_id), position=1, response=[1]
        )

    outcomes = at_once(app, answer)

    assert outcomes == Counter({"ok": 1, "Conflict": SENDERS - 1})
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(GameAnswer)) == 1


def test_twenty_next_clicks_at_once_move_the_game_one_question(app, make) -> None:
    teacher, _student, game = a_game(make)
    game_id, teacher_id = game.id, teacher.id

    def next_question() -> None:
        show_next_question(game=db.session.get(Game, game_id), by=db.session.get(User, teacher_id))

    outcomes = at_once(app, next_question)

    assert outcomes == Counter({"ok": 1, "Conflict": SENDERS - 1})
    db.session.expire_all()
    assert db.session.get(Game, game_id).position == 1


def test_twenty_joins_at_once_from_one_student_make_one_player(app, make) -> None:
    teacher, student = make.teacher(), make.student()
    classroom = make.classroom(teachers=[teacher], students=[student])
    quest = make.quest(author=teacher)
    make.assignment(quest=quest, classroom=classroom)
    game = open_game(classroom=classroom, stages=[quest.stages[1]], by=teacher)
    code, student_id = game.code, student.id

    outcomes = at_once(app, lambda: join_game(code=code, student=db.session.get(User, student_id)))

    assert outcomes == Counter({"ok": SENDERS})
    players = select(func.count()).select_from(GamePlayer).where(GamePlayer.game_id == game.id)
    assert db.session.scalar(players) == 1
