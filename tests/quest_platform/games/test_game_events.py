"""A live game over Socket.IO (the ``/games`` namespace): who may host and play, the game each
page is sent, answers acknowledged and counted once, rejoining, refused and forged messages,
and the flood guard."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from quest_platform.extensions import db
from quest_platform.games.live import NAMESPACE
from quest_platform.live import EVENT_BURST, MAX_MESSAGE_BYTES, socketio
from quest_platform.models import Attempt, GameAnswer, GameStatus, PointsEntry, Stage
from quest_platform.services.attempts import submit_attempt
from quest_platform.services.games import join_game, open_game

QUIZ, TIMED = 1, 5  # a builders' quest's "Sessions quiz" and "Speed round"


@pytest.fixture
def game_class(make):
    """A teacher's class of three students, a game on its quiz and timed quiz (a single choice
    whose right answer is choice 1, then a short answer), and the students joined."""
    teacher = make.teacher()
    students = [make.student() for _ in range(3)]
    classroom = make.classroom(teachers=[teacher], students=students)
    quest = make.quest(author=teacher)
    make.assignment(quest=quest, classroom=classroom)
    game = open_game(
        classroom=classroom, stages=[quest.stages[QUIZ], quest.stages[TIMED]], by=teacher
    )
    for student in students:
        join_game(code=game.code, student=student)
    return teacher, students, game


def socket_as(app, login_as, user):
    """A Socket.IO test client on the games namespace, signed in as ``user`` (its own HTTP
    client, so its own session). Made in an application context of its own, as served."""
    client = login_as(user, on=app.test_client()) if user is not None else app.test_client()
    with app.app_context():
        return socketio.test_client(app, namespace=NAMESPACE, flask_test_client=client)


def send(app, socket, event, data):
    """Emit ``event`` and return the server's acknowledgement."""
    with app.app_context():
        return socket.emit(event, data, namespace=NAMESPACE, callback=True)


def heard(socket, name):
    """The arguments of every ``name`` event the socket received since last asked (the others
    are dropped: see ``heard_all``)."""
    return heard_all(socket).get(name, [])


def heard_all(socket):
    """Every event the socket received since last asked: their arguments by name."""
    events: dict[str, list] = {}
    for event in socket.get_received(NAMESPACE):
        events.setdefault(event["name"], []).append(event["args"][0])
    return events


def test_only_signed_in_pages_connect_and_only_the_host_hosts(app, game_class, make, login_as):
    teacher, (ana, _ben, _cai), game = game_class
    assert not socket_as(app, login_as, None).is_connected(NAMESPACE)
    for outsider in (make.teacher(), ana):
        reply = send(app, socket_as(app, login_as, outsider), "host", {"game": game.id})
        assert reply == {"ok": False, "error": "Only the game's host runs it."}
    host = socket_as(app, login_as, teacher)
    reply = send(app, host, "host", {"game": game.id})
    assert reply["ok"]
    assert reply["game"]["status"] == "lobby"
    assert reply["game"]["players"] == 3
    assert len(reply["game"]["names"]) == 3
    admin = socket_as(app, login_as, make.admin())
    assert send(app, admin, "host", {"game": game.id})["ok"]


@pytest.mark.parametrize("data", [None, {}, {"game": "1"}, {"game": True}, {"game": 999_999}, []])
def test_a_message_naming_no_game_is_refused_plainly(app, game_class, login_as, data):
    teacher, (ana, _ben, _cai), _game = game_class
    for user, event in ((teacher, "host"), (ana, "play"), (ana, "answer"), (teacher, "next")):
        reply = send(app, socket_as(app, login_as, user), event, data)
        assert reply == {"ok": False, "error": "This game does not exist."}


def test_only_joined_players_play_and_a_player_comes_back_as_themselves(
    app, game_class, make, login_as
):
    teacher, (ana, _ben, _cai), game = game_class
    stranger = socket_as(app, login_as, make.student())
    reply = send(app, stranger, "play", {"game": game.id})
    assert reply == {"ok": False, "error": "Join the game with its code first."}
    phone = socket_as(app, login_as, ana)
    reply = send(app, phone, "play", {"game": game.id})
    assert reply["ok"]
    assert reply["you"]["name"] == ana.pseudonym
    assert reply["you"]["points"] == 0
    host = socket_as(app, login_as, teacher)
    send(app, host, "host", {"game": game.id})
    send(app, host, "next", {"game": game.id, "position": 0})
    assert send(app, phone, "answer", {"game": game.id, "position": 1, "response": [1]})["ok"]
    send(app, host, "reveal", {"game": game.id, "position": 1})
    # The phone drops out; a laptop signed in as the same student carries on.
    phone.disconnect(namespace=NAMESPACE)
    laptop = socket_as(app, login_as, ana)
    again = send(app, laptop, "play", {"game": game.id})
    assert again["you"]["name"] == ana.pseudonym
    assert again["you"]["points"] > 500
    assert again["you"]["answered"]
    assert again["you"]["correct"]
    assert again["game"]["status"] == "reveal"
    assert again["game"]["position"] == 1
    # A host who reloads gets the game back too.
    reloaded = socket_as(app, login_as, teacher)
    assert send(app, reloaded, "host", {"game": game.id})["game"]["position"] == 1


def test_a_whole_game_question_by_question(app, game_class, login_as):
    teacher, students, game = game_class
    quest = db.session.get(Stage, game.questions[0].stage_id).quest
    for student in students:  # the lesson before the quiz, so the quiz is open to them
        submit_attempt(
            student=student,
            quest=quest,
            stage=quest.stages[0],
            answer={"confirmed": True},
            submission_key=f"lesson-{student.id}",
        )
    host = socket_as(app, login_as, teacher)
    send(app, host, "host", {"game": game.id})
    players = [socket_as(app, login_as, student) for student in students]
    for player in players:
        assert send(app, player, "play", {"game": game.id})["ok"]

    assert send(app, host, "next", {"game": game.id, "position": 0})["ok"]
    for player in players:
        (shown,) = heard(player, "game")
        assert shown["status"] == "question"
        assert shown["question"]["choices"]
        # The right answer stays on the server until the reveal.
        assert "answer" not in shown
        assert "answer" not in str(shown["question"])
    for player, response in zip(players, ([1], [1], [0]), strict=True):
        reply = send(app, player, "answer", {"game": game.id, "position": 1, "response": response})
        assert reply == {"ok": True, "answered": True}
    assert [news["count"] for news in heard(host, "answered")] == [1, 2, 3]
    for player in players:
        assert heard(player, "answered") == []  # counts go to the host only

    assert send(app, host, "reveal", {"game": game.id, "position": 1})["ok"]
    heard_now = [heard_all(player) for player in players]
    (revealed,) = heard_now[0]["game"]
    assert revealed["answer"] == {"choices": [1]}
    assert revealed["counts"][:2] == [1, 2]
    # Two right answers in the same moment share first place; the wrong one is third.
    assert revealed["leaders"][-1] == {
        "place": 3,
        "name": students[2].pseudonym,
        "points": 0,
        "correct": 0,
    }
    results = [events["you"][0] for events in heard_now]
    assert [(r["correct"], r["earned"] > 0) for r in results] == [
        (True, True),
        (True, True),
        (False, False),
    ]

    send(app, host, "next", {"game": game.id, "position": 1})
    reply = send(app, players[0], "answer", {"game": game.id, "position": 2, "response": "POST"})
    assert reply["ok"]
    send(app, host, "reveal", {"game": game.id, "position": 2})
    (short,) = [g for g in heard(players[1], "game") if g["status"] == "reveal"]
    assert short["answer"] == {"accepted": ["POST"]}
    # After the last question, "next" ends the game and shows the podium.
    assert send(app, host, "next", {"game": game.id, "position": 2})["ok"]
    (final,) = heard(players[2], "game")[-1:]
    assert final["status"] == "finished"
    assert final["podium"][0]["name"] == students[0].pseudonym
    db.session.rollback()  # see what the pages' requests committed
    attempts = db.session.scalar(select(func.count()).select_from(Attempt))
    # Each player's quiz; the timed quiz comes later in the quest and is still locked to them.
    assert attempts == 3 + 3  # the lessons, then the quizzes
    # Ending again records nothing twice.
    assert send(app, host, "finish", {"game": game.id})["ok"]
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 6
    assert game.recorded_at is not None


def test_answers_out_of_turn_twice_or_late_are_refused_and_counted_once(
    app, game_class, make, login_as
):
    teacher, (ana, ben, _cai), game = game_class
    host = socket_as(app, login_as, teacher)
    ana_page = socket_as(app, login_as, ana)
    early = send(app, ana_page, "answer", {"game": game.id, "position": 1, "response": [1]})
    assert early == {"ok": False, "error": "This question is not open."}
    send(app, host, "next", {"game": game.id, "position": 0})
    for position in (2, 0, "1", None):
        reply = send(
            app, ana_page, "answer", {"game": game.id, "position": position, "response": [1]}
        )
        assert reply == {"ok": False, "error": "This question is not open."}
    # (From another tab: each page has a budget of ten events at once.)
    other_tab = socket_as(app, login_as, ana)
    for response in ([], [7], "x", [0, 1], None):
        reply = send(
            app, other_tab, "answer", {"game": game.id, "position": 1, "response": response}
        )
        assert not reply["ok"]
    assert send(app, ana_page, "answer", {"game": game.id, "position": 1, "response": [1]})["ok"]
    twice = send(app, ana_page, "answer", {"game": game.id, "position": 1, "response": [0]})
    assert twice == {"ok": False, "error": "You already answered this question."}
    stranger = socket_as(app, login_as, make.student())
    reply = send(app, stranger, "answer", {"game": game.id, "position": 1, "response": [1]})
    assert reply == {"ok": False, "error": "Join the game first."}
    # Twenty seconds and the grace period later, the question is closed to Ben.
    db.session.rollback()
    db.session.refresh(game)
    game.question_started_at -= timedelta(seconds=21)
    db.session.commit()
    ben_page = socket_as(app, login_as, ben)
    late = send(app, ben_page, "answer", {"game": game.id, "position": 1, "response": [1]})
    assert late == {"ok": False, "error": "Time is up for this question."}
    assert db.session.scalar(select(func.count()).select_from(GameAnswer)) == 1


def test_forged_players_scores_and_times_are_ignored(app, game_class, login_as):
    teacher, (ana, ben, _cai), game = game_class
    host = socket_as(app, login_as, teacher)
    send(app, host, "next", {"game": game.id, "position": 0})
    forged = {
        "game": game.id,
        "position": 1,
        "response": [0],
        "student": ben.id,
        "student_id": ben.id,
        "points": 99_999,
        "correct": True,
        "elapsed_ms": 0,
        "answered_at": "2020-01-01T00:00:00Z",
    }
    assert send(app, socket_as(app, login_as, ana), "answer", forged)["ok"]
    (answer,) = db.session.scalars(select(GameAnswer))
    assert (answer.student_id, answer.correct, answer.points) == (ana.id, False, 0)
    assert answer.answered_at.year > 2020


def test_only_the_host_moves_the_game_and_a_move_from_a_stale_page_moves_nothing(
    app, game_class, login_as
):
    teacher, (ana, _ben, _cai), game = game_class
    student_page = socket_as(app, login_as, ana)
    for event in ("next", "reveal", "finish"):
        reply = send(app, student_page, event, {"game": game.id, "position": 0})
        assert reply == {"ok": False, "error": "Only the game's host runs it."}
    host, other_tab = socket_as(app, login_as, teacher), socket_as(app, login_as, teacher)
    assert send(app, host, "next", {"game": game.id, "position": 0})["ok"]
    stale = send(app, other_tab, "next", {"game": game.id, "position": 0})
    assert stale == {"ok": False, "error": "The game has moved on already."}
    db.session.refresh(game)
    assert (game.position, game.status) == (1, GameStatus.QUESTION)
    assert db.session.scalar(select(func.count()).select_from(PointsEntry)) == 0


def test_a_flood_of_events_from_one_page_is_refused_past_its_budget(app, game_class, login_as):
    _teacher, (ana, _ben, _cai), game = game_class
    page = socket_as(app, login_as, ana)
    replies = [send(app, page, "play", {"game": game.id}) for _ in range(EVENT_BURST + 15)]
    refused = [reply for reply in replies if not reply["ok"]]
    assert len(refused) >= 10
    assert refused[0]["error"] == "Too many messages at once. Wait a moment."
    # Another page has a budget of its own.
    assert send(app, socket_as(app, login_as, ana), "play", {"game": game.id})["ok"]


def test_an_oversized_message_is_refused_before_it_is_read(app):
    # Engine.IO closes a connection whose message is over this size before reading it.
    assert socketio.server.eio.max_http_buffer_size == MAX_MESSAGE_BYTES == 16 * 1024


@pytest.mark.provokes_server_error
def test_a_busy_database_is_answered_with_try_again_not_silence(
    app, game_class, login_as, monkeypatch
):
    teacher, (ana, _ben, _cai), game = game_class
    send(app, socket_as(app, login_as, teacher), "next", {"game": game.id, "position": 0})

    def busy(**kwargs):
        raise OperationalError("INSERT", {}, Exception("QueuePool limit reached"))

    monkeypatch.setattr("quest_platform.games.live.answer_question", busy)
    reply = send(
        app,
        socket_as(app, login_as, ana),
        "answer",
        {"game": game.id, "position": 1, "response": [1]},
    )
    assert reply == {"ok": False, "error": "The game is busy. Try again in a moment."}
