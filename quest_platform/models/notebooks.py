"""Lesson images: the pictures a quest's lessons show, kept as files (from imported notebooks)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from quest_platform.extensions import Model
from quest_platform.models.base import UTCDateTime, utcnow


class LessonImage(Model):
    """An image of a quest's lesson text, kept in the upload folder under ``stored_name``.

    The stage's Markdown points at it by its address (``/lesson-images/<stored_name>``); its
    alternative text lives in that Markdown, where the teacher edits it. ``file_name`` is the
    name the notebook gave the attachment, so that an exported notebook names it the same. An
    image outlives its quest (``quest_id`` becomes NULL): a copy of the quest shows it too.
    """

    __tablename__ = "lesson_image"
    __table_args__ = (
        CheckConstraint("content_type IN ('image/png', 'image/jpeg')", name="content_type_image"),
        CheckConstraint("size_bytes > 0", name="size_positive"),
        CheckConstraint("width > 0 AND height > 0", name="dimensions_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quest_id: Mapped[int | None] = mapped_column(
        ForeignKey("quest.id", ondelete="SET NULL"), index=True
    )
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    file_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(20))
    size_bytes: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<LessonImage {self.stored_name} quest={self.quest_id}>"
