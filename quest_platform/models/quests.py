"""Quests, their ordered stages, and their assignment to classrooms."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

from markupsafe import Markup
from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from quest_platform.content import render_markdown
from quest_platform.extensions import Model
from quest_platform.models.base import JSONDocument, UTCDateTime, check_in, utcnow

if TYPE_CHECKING:
    from quest_platform.models.accounts import User
    from quest_platform.models.classrooms import Classroom

MIN_STAGES = 6
MAX_STAGES = 8
# Seconds after a timed stage's limit during which an answer still counts as on time.
DEFAULT_GRACE_SECONDS = 5
# The share of a quiz's questions, in percent, a student answers correctly to pass it.
DEFAULT_PASS_PERCENT = 70
# A reflection asks for at least this many characters unless its stage says otherwise.
DEFAULT_REFLECTION_LENGTH = 200
# A checkpoint asks for at most this many peer reviews of each submission.
MAX_PEER_REVIEWS = 5
DEFAULT_PEER_REVIEW_DAYS = 3
# A rubric's criteria are scored on 2 to 6 levels.
MIN_RUBRIC_LEVELS = 2
MAX_RUBRIC_LEVELS = 6


class RevealAnswers(enum.StrEnum):
    """When a quiz shows a student its right answers (and the teacher's explanations)."""

    # Once the student passed or used every try: the quiz then takes no more tries.
    FINISHED = "finished"
    # Never: feedback says only which answers were right, with the teacher's hints.
    NEVER = "never"


class QuestStatus(enum.StrEnum):
    """Where a quest is in its life."""

    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class StageKind(enum.StrEnum):
    """What a stage asks of a student."""

    LESSON = "lesson"
    QUIZ = "quiz"
    CHECKPOINT = "checkpoint"
    REFLECTION = "reflection"
    SELF_CHECK = "self_check"
    CODE = "code"
    TIMED = "timed"


# Stages answered by choosing and writing answers to questions, graded on the server.
QUIZ_KINDS = frozenset({StageKind.QUIZ, StageKind.TIMED})


class Quest(Model):
    """A sequence of 6–8 stages on one project theme."""

    __tablename__ = "quest"
    __table_args__ = (CheckConstraint(check_in("status", QuestStatus), name="status_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(120))
    theme: Mapped[str] = mapped_column(String(80))
    summary: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=QuestStatus.DRAFT.value)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    author: Mapped[User | None] = relationship()
    stages: Mapped[list[Stage]] = relationship(
        back_populates="quest", order_by="Stage.position", cascade="all, delete-orphan"
    )
    assignments: Mapped[list[QuestAssignment]] = relationship(back_populates="quest")

    def __repr__(self) -> str:
        return f"<Quest {self.slug}>"

    def stage_at(self, position: int) -> Stage | None:
        """The stage at ``position`` (1-based), if the quest has one."""
        return next((stage for stage in self.stages if stage.position == position), None)

    @property
    def total_points(self) -> int:
        """The points a student can earn across all stages."""
        return sum(stage.points for stage in self.stages)


class Stage(Model):
    """One step of a quest: a lesson, quiz, checkpoint, reflection, self-check or challenge."""

    __tablename__ = "stage"
    __table_args__ = (
        UniqueConstraint("quest_id", "position", name="one_per_position"),
        CheckConstraint("position >= 1", name="position_positive"),
        CheckConstraint(check_in("kind", StageKind), name="kind_known"),
        CheckConstraint("points >= 0 AND points <= 1000", name="points_in_range"),
        CheckConstraint(
            "time_limit_seconds IS NULL OR time_limit_seconds > 0", name="time_limit_positive"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quest_id: Mapped[int] = mapped_column(ForeignKey("quest.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(120))
    content: Mapped[str] = mapped_column(Text, default="")
    # Kind-specific settings: quiz questions, checkpoint rubric, reflection prompt, ...
    settings: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    points: Mapped[int] = mapped_column(Integer, default=10)
    time_limit_seconds: Mapped[int | None] = mapped_column(Integer)
    # ``content`` rendered and sanitized, kept with it whenever it is set (see ``kept_rendered``).
    content_html: Mapped[str] = mapped_column(Text, default="")

    quest: Mapped[Quest] = relationship(back_populates="stages")

    def __repr__(self) -> str:
        return f"<Stage {self.quest_id}#{self.position} {self.kind}>"

    @validates("content")
    def kept_rendered(self, _key: str, content: str | None) -> str | None:
        """Render the Markdown once, when it is written, rather than on every view of the stage."""
        self.content_html = str(render_markdown(content)) if content else ""
        return content

    @property
    def body(self) -> Markup:
        """The stage's text as safe HTML, sanitized when it was rendered (see content.py)."""
        return Markup(self.content_html)  # noqa: S704 - sanitized by render_markdown

    @property
    def prompt_body(self) -> Markup:
        """The stage's prompt (Markdown, like its text) as safe HTML; empty without one."""
        prompt = (self.settings or {}).get("prompt")
        return render_markdown(prompt) if isinstance(prompt, str) and prompt.strip() else Markup()

    @property
    def is_quiz(self) -> bool:
        """A quiz or a timed quiz: questions graded on the server, retried while tries are left."""
        return self.kind in QUIZ_KINDS

    @property
    def questions(self) -> list[dict[str, Any]]:
        """The questions of a quiz or timed stage, in order (none for other kinds)."""
        return list((self.settings or {}).get("questions", []))

    @property
    def max_tries(self) -> int | None:
        """How many attempts the stage allows, or None for no limit."""
        tries = (self.settings or {}).get("max_tries")
        return tries if isinstance(tries, int) and tries > 0 else None

    @property
    def pass_percent(self) -> int:
        """The share of a quiz's questions, in percent, answered correctly to pass it."""
        percent = (self.settings or {}).get("pass_percent", DEFAULT_PASS_PERCENT)
        valid = isinstance(percent, int) and not isinstance(percent, bool) and 0 < percent <= 100
        return percent if valid else DEFAULT_PASS_PERCENT

    def pass_mark_of(self, max_score: float) -> float:
        """The least score out of ``max_score`` that passes this stage: its pass share of it."""
        return round(max_score * self.pass_percent / 100, 2)

    @property
    def pass_score(self) -> float:
        """The points a quiz's pass mark stands for, out of the stage's points."""
        return self.pass_mark_of(self.points)

    @property
    def reveals_answers(self) -> bool:
        """Whether a quiz shows its right answers once the student passed or is out of tries."""
        reveal = (self.settings or {}).get("reveal_answers", RevealAnswers.FINISHED.value)
        return self.is_quiz and reveal != RevealAnswers.NEVER

    @property
    def counts_best_score(self) -> bool:
        """Whether the best try counts (a quiz's default), rather than the latest scored one."""
        return self.is_quiz and (self.settings or {}).get("score_policy", "best") == "best"

    @property
    def grace_seconds(self) -> int:
        """Seconds after a timed stage's limit during which an answer still counts as on time."""
        grace = (self.settings or {}).get("grace_seconds", DEFAULT_GRACE_SECONDS)
        return grace if isinstance(grace, int) and grace >= 0 else DEFAULT_GRACE_SECONDS

    @property
    def evidence_kinds(self) -> list[str]:
        """What a checkpoint asks students to hand in: any of "code" (text), "screenshot" and
        "link" (links to GitHub, github_links.py)."""
        if self.kind != StageKind.CHECKPOINT:
            return []
        return list((self.settings or {}).get("evidence", ["code"]))

    @property
    def rubric(self) -> list[str]:
        """A checkpoint's criteria in order: the teacher marks on them, peers review on them."""
        rubric = (self.settings or {}).get("rubric")
        return [str(line) for line in rubric] if isinstance(rubric, list) else []

    @property
    def rubric_levels(self) -> list[str]:
        """The levels each rubric criterion is scored on, lowest first (index 0 is the lowest);
        empty when the stage names none and the platform's own levels apply (see peer_review)."""
        levels = (self.settings or {}).get("rubric_levels")
        return [str(level) for level in levels] if isinstance(levels, list) else []

    @property
    def is_team(self) -> bool:
        """A team checkpoint: one member hands in for the team, and every member is credited."""
        return self.kind == StageKind.CHECKPOINT and bool((self.settings or {}).get("team"))

    @property
    def peer_reviews_wanted(self) -> int:
        """How many peer reviews each submission of this checkpoint is given (0: none)."""
        wanted = (self.settings or {}).get("peer_reviews", 0)
        if self.kind != StageKind.CHECKPOINT or isinstance(wanted, bool):
            return 0
        return wanted if isinstance(wanted, int) and 0 < wanted <= MAX_PEER_REVIEWS else 0

    @property
    def peer_review_days(self) -> int:
        """Days a reviewer has to review a submission they are given."""
        days = (self.settings or {}).get("peer_review_days", DEFAULT_PEER_REVIEW_DAYS)
        valid = isinstance(days, int) and not isinstance(days, bool) and 0 < days <= 14
        return days if valid else DEFAULT_PEER_REVIEW_DAYS

    @property
    def peer_review_own_team(self) -> bool:
        """Whether a student may be given submissions of their own team to review."""
        return bool((self.settings or {}).get("peer_review_own_team", False))

    @property
    def peer_review_anonymous(self) -> bool:
        """Whether the author sees their reviewers' names (not by default)."""
        return bool((self.settings or {}).get("peer_review_anonymous", True))


class QuestAssignment(Model):
    """A quest given to a classroom, with the dates it opens and is due."""

    __tablename__ = "quest_assignment"
    __table_args__ = (
        UniqueConstraint("quest_id", "classroom_id", name="once_per_classroom"),
        CheckConstraint("due_at > opens_at", name="due_after_open"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quest_id: Mapped[int] = mapped_column(ForeignKey("quest.id", ondelete="RESTRICT"))
    classroom_id: Mapped[int] = mapped_column(
        ForeignKey("classroom.id", ondelete="CASCADE"), index=True
    )
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When the teacher gave the quest (not when it opens): analytics "as of" a moment see
    # only the quests given by then.
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    quest: Mapped[Quest] = relationship(back_populates="assignments")
    classroom: Mapped[Classroom] = relationship(back_populates="assignments")
