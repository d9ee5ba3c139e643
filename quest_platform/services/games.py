"""Live games: a teacher opens one for a class, students join, the host shows questions one by
one, and each player's answer is timed and scored on the server (``game_scoring.py``).

Every change is one transaction. Rules that must hold however many requests arrive together
are held by the database: an answer is a row keyed by game, question and player (a second one
is refused), and the host's moves are conditional updates on the game's position and status
(two clicks on "next" move it once).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from quest_platform.extensions import db
from quest_platform.game_scoring import POINT_CHOICES, ScoringRules, answer_points, streak_bonus
from quest_platform.models import (
    GAME_CODE_LENGTH,
    MAX_QUESTION_SECONDS,
    MIN_QUESTION_SECONDS,
    Classroom,
    Enrollment,
    Game,
    GameAnswer,
    GamePlayer,
    GameQuestion,
    GameStatus,
    Stage,
    StageKind,
    User,
    utcnow,
)
from quest_platform.queries.classrooms import is_given
from quest_platform.queries.timing import extra_seconds_for
from quest_platform.services import slack
from quest_platform.services.attempts import start_timed_stage, submit_attempt
from quest_platform.services.audit import record_change, snapshot
from quest_platform.services.classrooms import may_manage_classroom
from quest_platform.services.errors import (
    Conflict,
    NotAllowed,
    NotFound,
    ServiceError,
    undone_on_error,
)
from quest_platform.services.grading import (
    MAX_SHORT_ANSWER_LENGTH,
    indexes,
    is_correct,
    text_field,
)

MAX_GAME_QUESTIONS = 100
# An answer sent just before the timer ends arrives a moment after it: this much is allowed.
ARRIVAL_GRACE = timedelta(milliseconds=500)
# The kinds of stage whose questions a game can ask.
GAME_KINDS = ("quiz", "timed")


def new_game_code() -> str:
    """Six random digits no open game uses."""
    while True:
        code = "".join(secrets.choice("0123456789") for _ in range(GAME_CODE_LENGTH))
        taken = select(Game.id).where(Game.code == code, Game.finished_at.is_(None))
        if db.session.scalar(taken) is None:
            return code


@undone_on_error
def open_game(
    *,
    classroom: Classroom,
    stages: Sequence[Stage],
    by: User,
    points: int = 1000,
    speed_scoring: bool = True,
    streak_bonus: bool = True,
    seconds: int | None = 20,
    now: datetime | None = None,
) -> Game:
    """Open a game for ``classroom`` with the questions of ``stages``, in their order.

    Refused unless ``by`` teaches the classroom (or is an administrator), every stage is a quiz
    or timed stage of a published quest given to the classroom, there are 1 to 100 questions,
    and the settings are among those offered. Audited.
    """
    now = now or utcnow()
    if not may_manage_classroom(staff=by, classroom=classroom):
        raise NotAllowed(_("You can host a game only for your own classes."), field="classroom")
    if not stages:
        raise ServiceError(_("Choose at least one quiz for the game."), field="stages")
    for stage in stages:
        if stage.kind not in GAME_KINDS or not stage.questions:
            raise ServiceError(
                _("A game asks the questions of quizzes and timed quizzes only."), field="stages"
            )
        if not is_given(quest=stage.quest, classroom_id=classroom.id):
            raise ServiceError(
                _("Give a quiz's quest to the class before you play it."), field="stages"
            )
    questions = [(stage, question) for stage in stages for question in stage.questions]
    if len(questions) > MAX_GAME_QUESTIONS:
        raise ServiceError(_("A game asks at most 100 questions."), field="stages")
    if points not in POINT_CHOICES:
        raise ServiceError(_("Choose 0, 1000 or 2000 points a question."), field="points")
    if seconds is not None and not (
        isinstance(seconds, int) and MIN_QUESTION_SECONDS <= seconds <= MAX_QUESTION_SECONDS
    ):
        raise ServiceError(
            _("Give each question between 5 and 600 seconds, or no timer."), field="seconds"
        )
    game = Game(
        classroom_id=classroom.id,
        host_id=by.id,
        code=new_game_code(),
        points_per_question=points,
        speed_scoring=speed_scoring,
        streak_bonus=streak_bonus,
        seconds_per_question=seconds,
        status=GameStatus.LOBBY.value,
        position=0,
        created_at=now,
    )
    db.session.add(game)
    db.session.flush()
    for position, (stage, question) in enumerate(questions, start=1):
        db.session.add(
            GameQuestion(
                game_id=game.id,
                position=position,
                stage_id=stage.id,
                question_id=str(question.get("id")),
                question=dict(question),
            )
        )
    record_change(actor=by, action="create", record=game, after=snapshot(game))
    db.session.commit()
    slack.announce_game(game=game)
    return game


def open_game_with_code(code: str) -> Game:
    """The open (not finished) game with ``code``; NotFound otherwise."""
    game = None
    if isinstance(code, str) and code.strip().isdigit():
        game = db.session.scalar(
            select(Game).where(Game.code == code.strip(), Game.finished_at.is_(None))
        )
    if game is None:
        raise NotFound(_("No game with that code is open. Check the code on the screen."))
    return game


@undone_on_error
def join_game(*, code: str, student: User, now: datetime | None = None) -> Game:
    """Join the open game with ``code``, or come back to it: a player keeps their place.

    Only the game's classroom's students may join.
    """
    game = open_game_with_code(code)
    enrolled = select(Enrollment.student_id).where(
        Enrollment.classroom_id == game.classroom_id, Enrollment.student_id == student.id
    )
    if db.session.scalar(enrolled) is None:
        raise NotAllowed(_("This game is for another class."))
    if db.session.get(GamePlayer, (game.id, student.id)) is None:
        db.session.add(
            GamePlayer(game_id=game.id, student_id=student.id, joined_at=now or utcnow())
        )
        try:
            db.session.commit()
        except IntegrityError:
            # Joined at the same moment from another tab or device: that join stands.
            db.session.rollback()
    return game


def check_host(game: Game, by: User) -> None:
    if game.host_id != by.id and not by.is_admin:
        raise NotAllowed(_("Only the game's host runs it."))


@undone_on_error
def show_next_question(*, game: Game, by: User, now: datetime | None = None) -> Game:
    """Show the next question (from the lobby, or after a reveal); after the last, end the game.

    The move is made only from the position the host saw: two clicks at once move it once.
    """
    check_host(game, by)
    now = now or utcnow()
    if game.status not in (GameStatus.LOBBY, GameStatus.REVEAL):
        raise Conflict(_("Show the answers to this question first."))
    seen = game.position
    if seen >= len(game.questions):
        return finish_game(game=game, by=by, now=now)
    moved = db.session.execute(
        update(Game)
        .where(Game.id == game.id, Game.position == seen, Game.finished_at.is_(None))
        .values(position=seen + 1, status=GameStatus.QUESTION.value, question_started_at=now)
    )
    db.session.commit()
    db.session.refresh(game)
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(_("The game has moved on already."))
    return game


@undone_on_error
def reveal_answers(*, game: Game, by: User) -> Game:
    """Close the question on screen and show its answers; later answers are refused."""
    check_host(game, by)
    db.session.execute(
        update(Game)
        .where(Game.id == game.id, Game.status == GameStatus.QUESTION.value)
        .values(status=GameStatus.REVEAL.value)
    )
    db.session.commit()
    db.session.refresh(game)
    return game


@undone_on_error
def finish_game(*, game: Game, by: User, now: datetime | None = None) -> Game:
    """End the game and record its answers as attempts (once: ending it again changes
    nothing, see ``record_game``)."""
    check_host(game, by)
    now = now or utcnow()
    db.session.execute(
        update(Game)
        .where(Game.id == game.id, Game.finished_at.is_(None))
        .values(status=GameStatus.FINISHED.value, finished_at=now)
    )
    db.session.commit()
    db.session.refresh(game)
    if game.recorded_at is None:
        record_game(game=game, now=now)
        db.session.refresh(game)
    return game


def parsed_response(question: dict[str, Any], response: Any) -> tuple[int, ...] | str:
    """A player's response to ``question``, checked: chosen indexes, or a short text."""
    if question.get("type") == "short":
        return text_field(response, field="response", limit=MAX_SHORT_ANSWER_LENGTH)
    chosen = indexes(response, len(question.get("choices", [])), field="response")
    if not chosen:
        raise ServiceError(_("Choose an answer."), field="response")
    if question.get("type") == "single" and len(chosen) > 1:
        raise ServiceError(_("Choose one answer."), field="response")
    return tuple(sorted(chosen))


@undone_on_error
def answer_question(
    *,
    game_id: int,
    student: User,
    position: int,
    response: Any,
    now: datetime | None = None,
) -> GameAnswer:
    """Record ``student``'s answer to the question at ``position``, timed and scored here.

    Refused when the question is not the one open, the player has not joined, the time (their
    extra time on the question's stage included) is up, the response does not fit the
    question, or they answered it already. Nothing the client sends but the response counts:
    the time is the server's, the score is computed here.
    """
    now = now or utcnow()
    game = db.session.get(Game, game_id)
    if game is None or game.finished_at is not None:
        raise NotFound(_("This game is over."))
    if (
        not isinstance(position, int)
        or isinstance(position, bool)
        or game.status != GameStatus.QUESTION
        or position != game.position
        or game.question_started_at is None
    ):
        raise Conflict(_("This question is not open."))
    if db.session.get(GamePlayer, (game.id, student.id)) is None:
        raise NotAllowed(_("Join the game first."))
    question = db.session.get(GameQuestion, (game.id, position))
    if question is None:
        raise Conflict(_("This question is not open."))
    parsed = parsed_response(question.question, response)
    elapsed = now - game.question_started_at
    allowed = None
    if game.seconds_per_question is not None:
        stage = db.session.get(Stage, question.stage_id)
        extra = extra_seconds_for(student=student, stage=stage) if stage is not None else 0
        allowed = game.seconds_per_question + extra
        if elapsed > timedelta(seconds=allowed) + ARRIVAL_GRACE:
            raise Conflict(_("Time is up for this question."))
    correct = is_correct(question.question, parsed)
    previous = db.session.get(GameAnswer, (game.id, position - 1, student.id))
    streak = (previous.streak if previous is not None else 0) + 1 if correct else 0
    rules = ScoringRules(
        points=game.points_per_question, speed=game.speed_scoring, streaks=game.streak_bonus
    )
    seconds = max(elapsed.total_seconds(), 0.0)
    points = answer_points(rules, correct=correct, elapsed=seconds, allowed=allowed)
    answer = GameAnswer(
        game_id=game.id,
        position=position,
        student_id=student.id,
        response=list(parsed) if isinstance(parsed, tuple) else parsed,
        answered_at=now,
        elapsed_ms=int(seconds * 1000),
        correct=correct,
        points=points + (streak_bonus(rules, streak) if correct else 0),
        streak=streak,
    )
    db.session.add(answer)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(_("You already answered this question.")) from None
    return answer


@dataclass(frozen=True)
class GameRecord:
    """What recording a finished game did for one player at one stage: the attempt it recorded
    (or recorded before), or why the stage took none (its tries used up, say)."""

    student_id: int
    stage_id: int
    attempt_id: int | None
    refused: str | None


@undone_on_error
def record_game(*, game: Game, now: datetime | None = None) -> list[GameRecord]:
    """Record a finished game's answers as attempts: one per player and stage it asked.

    Each player's answers to a stage's questions are their answer to that stage, recorded
    through ``submit_attempt`` like any other (its points into the ledger, its rules on tries,
    locked stages and due dates). A question a player did not answer counts as wrong. The game
    timed each question, so a timed stage's own clock does not apply: its try is on time. The
    try starts when the game first showed one of the stage's questions. Each attempt's key
    names the game, the player and the stage, so recording again records nothing twice.
    """
    if game.finished_at is None:
        raise Conflict(_("End the game before its answers are recorded."))
    now = now or utcnow()
    questions = {question.position: question for question in game.questions}
    answers: dict[tuple[int, int], dict[str, Any]] = {}
    shown_at: dict[int, datetime] = {}
    for answer in db.session.scalars(select(GameAnswer).where(GameAnswer.game_id == game.id)):
        question = questions[answer.position]
        shown = answer.answered_at - timedelta(milliseconds=answer.elapsed_ms)
        shown_at[question.stage_id] = min(shown, shown_at.get(question.stage_id, shown))
        response = answer.response
        if question.question.get("type") != "short" and isinstance(response, list):
            response = [index for index in response if isinstance(index, int)]
        answers.setdefault((answer.student_id, question.stage_id), {})[question.question_id] = (
            response
        )
    records: list[GameRecord] = []
    player_ids = list(
        db.session.scalars(select(GamePlayer.student_id).where(GamePlayer.game_id == game.id))
    )
    stage_ids = list(dict.fromkeys(question.stage_id for question in game.questions))
    for student_id in sorted(player_ids):
        for stage_id in stage_ids:
            records.append(
                record_player_stage(
                    game=game,
                    student_id=student_id,
                    stage_id=stage_id,
                    responses=answers.get((student_id, stage_id), {}),
                    started_at=shown_at.get(stage_id, game.created_at),
                    now=now,
                )
            )
    db.session.execute(
        update(Game).where(Game.id == game.id, Game.recorded_at.is_(None)).values(recorded_at=now)
    )
    db.session.commit()
    return records


def record_player_stage(
    *,
    game: Game,
    student_id: int,
    stage_id: int,
    responses: dict[str, Any],
    started_at: datetime,
    now: datetime,
) -> GameRecord:
    """Record one player's answers to one stage of the game (see ``record_game``)."""
    student = db.session.get_one(User, student_id)
    stage = db.session.get_one(Stage, stage_id)
    try:
        if stage.kind == StageKind.TIMED:
            # The game timed each question; the stage's own clock starts as it is recorded.
            start_timed_stage(student=student, quest=stage.quest, stage=stage, now=now)
        attempt = submit_attempt(
            student=student,
            quest=stage.quest,
            stage=stage,
            answer={"responses": responses},
            submission_key=f"game-{game.id}-{student_id}-{stage_id}",
            opened_at=started_at,
            now=now,
        )
    except ServiceError as error:
        return GameRecord(student_id, stage_id, None, error.message)
    return GameRecord(student_id, stage_id, attempt.id, None)
