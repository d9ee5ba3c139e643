"""Live games: a teacher hosts a quiz the whole class plays at once, question by question.

A game's questions are copied from quiz and timed stages when it opens, so editing a quest later
does not change a game. Players are the classroom's students who joined. Each answer is one row,
timed on the server; a player's score and streak are read from their answers, never kept as a
running total that two requests could both update.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quest_platform.extensions import Model
from quest_platform.models.base import JSONDocument, UTCDateTime, check_in, utcnow

if TYPE_CHECKING:
    from quest_platform.models.accounts import User
    from quest_platform.models.classrooms import Classroom

# A game's code is this many digits: quick to type on a phone, read off a projector.
GAME_CODE_LENGTH = 6
# Seconds a timed question may have.
MIN_QUESTION_SECONDS = 5
MAX_QUESTION_SECONDS = 600


class GameStatus(enum.StrEnum):
    """Where a game is: players joining, a question open, its answers shown, or over."""

    LOBBY = "lobby"
    QUESTION = "question"
    REVEAL = "reveal"
    FINISHED = "finished"


class Game(Model):
    """A live game hosted for one classroom.

    ``position`` is the question on screen (0 in the lobby); ``question_started_at`` is when the
    server showed it, from which every answer to it is timed. ``recorded_at`` is set once, when
    the finished game's answers were recorded as attempts.
    """

    __tablename__ = "game"
    __table_args__ = (
        CheckConstraint(check_in("status", GameStatus), name="status_known"),
        CheckConstraint("points_per_question IN (0, 1000, 2000)", name="points_known"),
        CheckConstraint(
            f"seconds_per_question IS NULL OR seconds_per_question BETWEEN "
            f"{MIN_QUESTION_SECONDS} AND {MAX_QUESTION_SECONDS}",
            name="seconds_in_range",
        ),
        CheckConstraint("position >= 0", name="position_not_negative"),
        CheckConstraint(f"length(code) = {GAME_CODE_LENGTH}", name="code_length"),
        # A code names one game until it is over; finished games free their codes.
        Index(
            "uq_game_code_open",
            "code",
            unique=True,
            sqlite_where=text("finished_at IS NULL"),
            postgresql_where=text("finished_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    classroom_id: Mapped[int] = mapped_column(ForeignKey("classroom.id", ondelete="RESTRICT"))
    host_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    code: Mapped[str] = mapped_column(String(GAME_CODE_LENGTH))
    points_per_question: Mapped[int] = mapped_column(Integer, default=1000)
    speed_scoring: Mapped[bool] = mapped_column(Boolean, default=True)
    streak_bonus: Mapped[bool] = mapped_column(Boolean, default=True)
    # None: untimed questions (each closes when the host moves on).
    seconds_per_question: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default=GameStatus.LOBBY.value)
    position: Mapped[int] = mapped_column(Integer, default=0)
    question_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    classroom: Mapped[Classroom] = relationship()
    host: Mapped[User] = relationship()
    questions: Mapped[list[GameQuestion]] = relationship(
        order_by="GameQuestion.position", viewonly=True
    )

    def __repr__(self) -> str:
        return f"<Game {self.id} {self.code} {self.status}>"


class GameQuestion(Model):
    """A question of a game, as copied from its stage when the game opened.

    ``question`` holds the stage's question as it was (prompt, type, choices, the right answer
    or accepted answers); players are only ever sent its prompt and choices.
    """

    __tablename__ = "game_question"
    __table_args__ = (CheckConstraint("position >= 1", name="position_positive"),)

    game_id: Mapped[int] = mapped_column(
        ForeignKey("game.id", ondelete="RESTRICT"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("stage.id", ondelete="RESTRICT"))
    question_id: Mapped[str] = mapped_column(String(64))
    question: Mapped[dict[str, Any]] = mapped_column(JSONDocument)


class GamePlayer(Model):
    """A student who joined a game; they keep their place however often they reconnect."""

    __tablename__ = "game_player"

    game_id: Mapped[int] = mapped_column(
        ForeignKey("game.id", ondelete="RESTRICT"), primary_key=True
    )
    student_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="RESTRICT"), primary_key=True
    )
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    student: Mapped[User] = relationship()


class GameAnswer(Model):
    """A player's answer to a game's question: once per player and question. Never changed.

    ``elapsed_ms`` is the server's measure, from ``Game.question_started_at`` to arrival;
    ``points`` includes the streak bonus, and ``streak`` is the player's run of correct answers
    ending here (0 for a wrong answer).
    """

    __tablename__ = "game_answer"
    __table_args__ = (
        CheckConstraint("elapsed_ms >= 0", name="elapsed_not_negative"),
        CheckConstraint("points >= 0", name="points_not_negative"),
        CheckConstraint("streak >= 0", name="streak_not_negative"),
        CheckConstraint("correct OR (points = 0 AND streak = 0)", name="wrong_earns_nothing"),
        # Only to a question of the game, and only from one of its players.
        ForeignKeyConstraint(
            ["game_id", "position"],
            ["game_question.game_id", "game_question.position"],
            ondelete="RESTRICT",
        ),
        ForeignKeyConstraint(
            ["game_id", "student_id"],
            ["game_player.game_id", "game_player.student_id"],
            ondelete="RESTRICT",
        ),
    )

    game_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    student_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    response: Mapped[Any] = mapped_column(JSONDocument)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    elapsed_ms: Mapped[int] = mapped_column(Integer)
    correct: Mapped[bool] = mapped_column(Boolean)
    points: Mapped[int] = mapped_column(Integer)
    streak: Mapped[int] = mapped_column(Integer)
