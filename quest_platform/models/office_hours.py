"""Office hours: check-in slots a teacher offers a classroom, booked by a team or a small group."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quest_platform.extensions import Model
from quest_platform.models.base import UTCDateTime, utcnow

if TYPE_CHECKING:
    from quest_platform.models.accounts import User
    from quest_platform.models.classrooms import Classroom
    from quest_platform.models.teams import Team

# A group that books without a team: the student who books and up to two classmates.
MAX_GROUP_SIZE = 3
MAX_SLOT_MINUTES = 180
MAX_LOCATION_LENGTH = 120
MAX_TOPIC_LENGTH = 500


class OfficeHourSlot(Model):
    """A time a teacher offers one classroom for a check-in, at a place (a room or a call link)."""

    __tablename__ = "office_hour_slot"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("ix_office_hour_slot_classroom_start", "classroom_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    classroom_id: Mapped[int] = mapped_column(ForeignKey("classroom.id", ondelete="CASCADE"))
    teacher_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    location: Mapped[str] = mapped_column(String(MAX_LOCATION_LENGTH), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    classroom: Mapped[Classroom] = relationship()
    teacher: Mapped[User | None] = relationship()
    booking: Mapped[OfficeHourBooking | None] = relationship(
        back_populates="slot", uselist=False, cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<OfficeHourSlot {self.id} classroom={self.classroom_id} {self.starts_at}>"


class OfficeHourBooking(Model):
    """A slot booked by a team (``team_id``) or by a group of classmates; one booking per slot."""

    __tablename__ = "office_hour_booking"
    __table_args__ = (CheckConstraint(f"length(topic) <= {MAX_TOPIC_LENGTH}", name="topic_length"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(
        ForeignKey("office_hour_slot.id", ondelete="CASCADE"), unique=True
    )
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="SET NULL"))
    booked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    topic: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    slot: Mapped[OfficeHourSlot] = relationship(back_populates="booking")
    team: Mapped[Team | None] = relationship()
    booked_by: Mapped[User | None] = relationship(foreign_keys=[booked_by_id])
    attendees: Mapped[list[OfficeHourAttendee]] = relationship(
        back_populates="booking", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<OfficeHourBooking {self.id} slot={self.slot_id}>"


class OfficeHourAttendee(Model):
    """A student who comes to a booked check-in."""

    __tablename__ = "office_hour_attendee"

    booking_id: Mapped[int] = mapped_column(
        ForeignKey("office_hour_booking.id", ondelete="CASCADE"), primary_key=True
    )
    student_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
    )

    booking: Mapped[OfficeHourBooking] = relationship(back_populates="attendees")
    student: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<OfficeHourAttendee booking={self.booking_id} student={self.student_id}>"
