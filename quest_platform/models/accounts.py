"""Accounts: users, their roles and their preferences (Flask-Security-Too models)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from flask_security import RoleMixin, UserMixin
from sqlalchemy import Boolean, CheckConstraint, Column, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quest_platform.extensions import Model, db
from quest_platform.models.base import UTCDateTime, check_in, utcnow

if TYPE_CHECKING:
    from quest_platform.models.classrooms import Classroom, Enrollment


class RoleName(enum.StrEnum):
    """The three roles of the platform."""

    ADMIN = "admin"
    TEACHER = "teacher"
    STUDENT = "student"


class Theme(enum.StrEnum):
    """Colour themes a user can choose."""

    LIGHT = "light"
    DARK = "dark"
    HIGH_CONTRAST = "high-contrast"


class Language(enum.StrEnum):
    """Languages the interface is translated into."""

    EN = "en"
    ES = "es"


roles_users = Table(
    "roles_users",
    db.metadata,
    Column("user_id", Integer, ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    Column("role_id", Integer, ForeignKey("role.id", ondelete="CASCADE"), primary_key=True),
)


class Role(Model, RoleMixin):
    """A named role (admin, teacher, student)."""

    __tablename__ = "role"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    description: Mapped[str] = mapped_column(String(255), default="")
    # Flask-Security declares a list (its own models store one); no role here has permissions.
    permissions: Mapped[str | None] = mapped_column(String(255))  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<Role {self.name}>"


class User(Model, UserMixin):
    """A person who signs in: a student, a teacher or an administrator."""

    __tablename__ = "user"
    __table_args__ = (
        CheckConstraint(check_in("language", Language), name="language_known"),
        CheckConstraint(check_in("theme", Theme), name="theme_known"),
        CheckConstraint("length(username) >= 3", name="username_long_enough"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    # Students often have no working email, so it is optional but unique when given
    # (Flask-Security's mixin declares it always set).
    email: Mapped[str | None] = mapped_column(String(255), unique=True)  # type: ignore[assignment]
    password: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    fs_uniquifier: Mapped[str] = mapped_column(String(64), unique=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Tracked by Flask-Security on every login (SECURITY_TRACKABLE); empty until the first one,
    # as in Flask-Security's own models, whose mixin declares them always set.
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # type: ignore[assignment]
    current_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # type: ignore[assignment]
    last_login_ip: Mapped[str | None] = mapped_column(String(64))
    current_login_ip: Mapped[str | None] = mapped_column(String(64))
    login_count: Mapped[int | None] = mapped_column(Integer)  # type: ignore[assignment]

    display_name: Mapped[str] = mapped_column(String(80))
    pseudonym: Mapped[str] = mapped_column(String(40), unique=True)
    # Unset until the person chooses: their browser's language decides until then.
    language: Mapped[str | None] = mapped_column(String(5))
    theme: Mapped[str] = mapped_column(String(20), default=Theme.LIGHT.value)
    reduced_motion: Mapped[bool] = mapped_column(Boolean, default=False)
    leaderboard_opt_in: Mapped[bool] = mapped_column(Boolean, default=True)
    # Set when a teacher issues a one-time password; the student must choose a new one.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    # An IANA time zone (America/Chicago); unset: the browser's, else the school's.
    time_zone: Mapped[str | None] = mapped_column(String(64))
    # When the account was last deactivated; None while active (analytics "as of" a past
    # moment count a student deactivated later as still there).
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The student's GitHub login, linked so that their pull requests count as evidence.
    github_username: Mapped[str | None] = mapped_column(String(39), unique=True)

    # The mixin declares list[RoleMixin]; a list of Role is one, but lists are invariant.
    roles: Mapped[list[Role]] = relationship(secondary=roles_users, lazy="selectin")  # type: ignore[assignment]
    enrollments: Mapped[list[Enrollment]] = relationship(
        back_populates="student", cascade="all, delete-orphan"
    )
    taught_classrooms: Mapped[list[Classroom]] = relationship(
        secondary="classroom_teacher", back_populates="teachers"
    )

    def __repr__(self) -> str:
        return f"<User {self.username}>"

    @property
    def is_student(self) -> bool:
        """Whether this user has the student role."""
        return self.has_role(RoleName.STUDENT.value)

    @property
    def is_teacher(self) -> bool:
        """Whether this user has the teacher role."""
        return self.has_role(RoleName.TEACHER.value)

    @property
    def is_admin(self) -> bool:
        """Whether this user has the admin role."""
        return self.has_role(RoleName.ADMIN.value)

    @property
    def is_staff(self) -> bool:
        """Whether this user teaches or administers (may open /admin)."""
        return self.is_teacher or self.is_admin
