"""Teams: the students of a classroom who work a sprint together, with their scrum master."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quest_platform.extensions import Model
from quest_platform.models.base import UTCDateTime, utcnow

if TYPE_CHECKING:
    from quest_platform.models.accounts import User
    from quest_platform.models.classrooms import Classroom

# The course's teams have 6 students; a teacher may make them as large as 12.
TEAM_SIZE = 6
MAX_TEAM_SIZE = 12
MAX_TEAM_NAME_LENGTH = 60


class Team(Model):
    """A named team within one classroom; its scrum master is one of its current members."""

    __tablename__ = "team"
    __table_args__ = (
        UniqueConstraint("classroom_id", "name", name="name_once_per_classroom"),
        # The target of the memberships' (team, classroom) key: a member's classroom is the team's.
        UniqueConstraint("id", "classroom_id", name="id_with_classroom"),
        CheckConstraint("length(trim(name)) > 0", name="name_given"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    classroom_id: Mapped[int] = mapped_column(
        ForeignKey("classroom.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(MAX_TEAM_NAME_LENGTH))
    scrum_master_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    classroom: Mapped[Classroom] = relationship()
    scrum_master: Mapped[User | None] = relationship()
    memberships: Mapped[list[TeamMembership]] = relationship(
        back_populates="team",
        cascade="all, delete-orphan",
        order_by="TeamMembership.joined_at, TeamMembership.id",
    )

    def __repr__(self) -> str:
        return f"<Team {self.name} classroom={self.classroom_id}>"


class TeamMembership(Model):
    """A student's time in a team: from joining until they left it (still a member while open).

    Moving a student closes their membership and opens one in the new team, so a team's history
    is kept. A student is in at most one team of a classroom at a time, and only in a classroom
    they are enrolled in (both held by the database).
    """

    __tablename__ = "team_membership"
    __table_args__ = (
        ForeignKeyConstraint(
            ["team_id", "classroom_id"],
            ["team.id", "team.classroom_id"],
            name="team_in_classroom",
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["classroom_id", "student_id"],
            ["enrollment.classroom_id", "enrollment.student_id"],
            name="student_enrolled",
            ondelete="CASCADE",
        ),
        CheckConstraint("left_at IS NULL OR left_at >= joined_at", name="left_after_joining"),
        Index(
            "uq_team_membership_current",
            "classroom_id",
            "student_id",
            unique=True,
            sqlite_where=text("left_at IS NULL"),
            postgresql_where=text("left_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(index=True)
    classroom_id: Mapped[int] = mapped_column()
    student_id: Mapped[int] = mapped_column(index=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The teacher who placed the student (None for a deleted account).
    placed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    team: Mapped[Team] = relationship(back_populates="memberships")
    student: Mapped[User] = relationship(
        foreign_keys=[student_id], primaryjoin="TeamMembership.student_id == User.id"
    )
    placed_by: Mapped[User | None] = relationship(foreign_keys=[placed_by_id])

    def __repr__(self) -> str:
        state = "current" if self.left_at is None else "left"
        return f"<TeamMembership team={self.team_id} student={self.student_id} {state}>"

    @property
    def is_current(self) -> bool:
        """Whether the student is still in the team."""
        return self.left_at is None


class TeamHandIn(Model):
    """A team checkpoint handed in once for a whole team. Never changed.

    The member who handed in has the attempt that holds the evidence (text, links, screenshot);
    every other current member gets an attempt of their own with the same answer, pointing here,
    so each is credited. A teacher's review of any of them is recorded on all of them.
    """

    __tablename__ = "team_hand_in"

    id: Mapped[int] = mapped_column(primary_key=True)
    # None once the team is deleted: the members' attempts and this record stay.
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("team.id", ondelete="SET NULL"), index=True
    )
    stage_id: Mapped[int] = mapped_column(ForeignKey("stage.id", ondelete="RESTRICT"), index=True)
    handed_in_by_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    # The team's name when it handed in, kept for when the team is renamed or deleted.
    team_name: Mapped[str] = mapped_column(String(MAX_TEAM_NAME_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    team: Mapped[Team | None] = relationship()
    handed_in_by: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<TeamHandIn {self.id} team={self.team_id} stage={self.stage_id}>"
