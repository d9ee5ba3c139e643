"""Classrooms, the teachers who own them and the students enrolled in them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quest_platform.extensions import Model, db
from quest_platform.models.accounts import Language
from quest_platform.models.base import UTCDateTime, check_in, utcnow

if TYPE_CHECKING:
    from quest_platform.models.accounts import User
    from quest_platform.models.quests import QuestAssignment

classroom_teacher = Table(
    "classroom_teacher",
    db.metadata,
    Column(
        "classroom_id", Integer, ForeignKey("classroom.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("teacher_id", Integer, ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
)


class Classroom(Model):
    """A class section: a term and period, owned by one or more teachers."""

    __tablename__ = "classroom"
    __table_args__ = (
        CheckConstraint("length(join_code) = 8", name="join_code_length"),
        CheckConstraint("period >= 0 AND period <= 12", name="period_in_school_day"),
        # Classrooms are listed (and offered in every filter) in this order.
        Index("ix_classroom_listing", "term", "period", "name"),
        CheckConstraint(check_in("language", Language), name="language_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    term: Mapped[str] = mapped_column(String(40))
    period: Mapped[int] = mapped_column(Integer)
    join_code: Mapped[str] = mapped_column(String(8), unique=True)
    leaderboard_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The language of the class's announcements (Slack): the students' own pages follow each one.
    language: Mapped[str] = mapped_column(String(5), default=Language.EN.value)
    # Secrets, never shown back, exported or logged: Slack's incoming-webhook URL (anyone who
    # has it can post to the channel) and the secret GitHub signs its deliveries with.
    slack_webhook_url: Mapped[str | None] = mapped_column(String(255))
    github_webhook_secret: Mapped[str | None] = mapped_column(String(128))

    teachers: Mapped[list[User]] = relationship(
        secondary=classroom_teacher, back_populates="taught_classrooms"
    )
    enrollments: Mapped[list[Enrollment]] = relationship(
        back_populates="classroom", cascade="all, delete-orphan"
    )
    assignments: Mapped[list[QuestAssignment]] = relationship(
        back_populates="classroom", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Classroom {self.name} ({self.term}, period {self.period})>"


class Enrollment(Model):
    """A student's membership of a classroom."""

    __tablename__ = "enrollment"
    __table_args__ = (UniqueConstraint("classroom_id", "student_id", name="one_per_classroom"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    classroom_id: Mapped[int] = mapped_column(ForeignKey("classroom.id", ondelete="CASCADE"))
    student_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    classroom: Mapped[Classroom] = relationship(back_populates="enrollments")
    student: Mapped[User] = relationship(back_populates="enrollments")
