"""Change stamps: a version per scope of data, raised in the same transaction as every write.

A page that shows a student's data remembers the versions of the scopes it read; while they are
unchanged, the page is still true and can be served again (see ``quest_platform.page_cache``).
The stamps are raised here, by one listener on every commit, so no service has to remember to
invalidate anything:

- ``all``: quests, stages, achievements, roles, anything not listed below;
- ``student:<id>``: the user's row and everything that is theirs (attempts, reviews of them,
  points, awards, starts, extra time, evidence, enrollments);
- ``classroom:<id>``: the classroom's row, teachers, roster and assigned quests;
- ``board:<id>``: what the classroom's leaderboards show: any of its students' points or names.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import BigInteger, CheckConstraint, String, event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, UOWTransaction, mapped_column

from quest_platform.extensions import db
from quest_platform.models.accounts import User
from quest_platform.models.analytics import DashboardChart, QuestPrediction, StudentAnalytics
from quest_platform.models.attempts import Attempt, Review
from quest_platform.models.audit import AuditEntry
from quest_platform.models.classrooms import Classroom, Enrollment, classroom_teacher
from quest_platform.models.quests import QuestAssignment
from quest_platform.models.tokens import ApiToken

EVERYTHING = "all"


class ChangeStamp(db.Model):
    """The version of one scope of data: raised by one each time a transaction changes it."""

    __tablename__ = "change_stamp"
    __table_args__ = (CheckConstraint("version >= 1", name="version_positive"),)

    scope: Mapped[str] = mapped_column(String(60), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)

    def __repr__(self) -> str:
        return f"<ChangeStamp {self.scope}={self.version}>"


def student_scope(student_id: int) -> str:
    """The scope of everything that is one student's."""
    return f"student:{student_id}"


def classroom_scope(classroom_id: int) -> str:
    """The scope of a classroom's row, teachers, roster and assignments."""
    return f"classroom:{classroom_id}"


def board_scope(classroom_id: int) -> str:
    """The scope of what a classroom's leaderboards show."""
    return f"board:{classroom_id}"


# Never shown on a student's page: writing them changes no page.
UNSHOWN = (ChangeStamp, AuditEntry, StudentAnalytics, QuestPrediction, DashboardChart, ApiToken)


@dataclass
class PendingChanges:
    """What one transaction changed so far, gathered flush by flush until it commits."""

    scopes: set[str] = field(default_factory=set)
    students: set[int] = field(default_factory=set)
    teachers: set[int] = field(default_factory=set)
    attempts: set[int] = field(default_factory=set)

    def note(self, instance: object) -> None:
        """Add the scopes one written row belongs to."""
        if isinstance(instance, UNSHOWN):
            return
        if isinstance(instance, User):
            self.students.add(instance.id)
            self.teachers.add(instance.id)
        elif isinstance(instance, Enrollment):
            self.students.add(instance.student_id)
            classroom_id = instance.classroom_id
            self.scopes |= {classroom_scope(classroom_id), board_scope(classroom_id)}
        elif isinstance(instance, Classroom):
            self.scopes |= {classroom_scope(instance.id), board_scope(instance.id)}
        elif isinstance(instance, QuestAssignment):
            self.scopes.add(classroom_scope(instance.classroom_id))
        elif isinstance(instance, Review):
            self.attempts.add(instance.attempt_id)
        elif isinstance(getattr(instance, "student_id", None), int):
            self.students.add(instance.student_id)  # type: ignore[attr-defined]
        else:
            self.scopes.add(EVERYTHING)

    def resolve(self, session: Session) -> list[str]:
        """Every scope to raise, in one order so that concurrent commits never deadlock."""
        scopes = set(self.scopes)
        if self.attempts:
            self.students |= set(
                session.scalars(select(Attempt.student_id).where(Attempt.id.in_(self.attempts)))
            )
        if self.students:
            scopes |= {student_scope(student_id) for student_id in self.students}
            classrooms = session.scalars(
                select(Enrollment.classroom_id).where(Enrollment.student_id.in_(self.students))
            )
            scopes |= {board_scope(classroom_id) for classroom_id in classrooms}
        if self.teachers:
            taught = session.scalars(
                select(classroom_teacher.c.classroom_id).where(
                    classroom_teacher.c.teacher_id.in_(self.teachers)
                )
            )
            scopes |= {classroom_scope(classroom_id) for classroom_id in taught}
        return sorted(scopes)


def pending(session: Session) -> PendingChanges:
    """The changes gathered so far in ``session``'s transaction."""
    return session.info.setdefault("pending_changes", PendingChanges())


@event.listens_for(Session, "after_flush")
def _gather_changes(session: Session, flush_context: UOWTransaction) -> None:
    changes = pending(session)
    for instance in (*session.new, *session.dirty, *session.deleted):
        if instance in session.dirty and not session.is_modified(instance):
            continue
        changes.note(instance)


@event.listens_for(Session, "do_orm_execute")
def _gather_bulk_changes(state: ORMExecuteState) -> None:
    # INSERT, UPDATE or DELETE statements of many rows: which rows is not known, so everything.
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    mapper = state.bind_mapper
    if mapper is not None and issubclass(mapper.class_, UNSHOWN):
        return
    pending(state.session).scopes.add(EVERYTHING)


@event.listens_for(Session, "before_commit")
def _raise_stamps(session: Session) -> None:
    # Flushing first gathers the last changes; the stamps then commit with the data they mark.
    session.flush()
    changes = session.info.pop("pending_changes", None)
    if changes is None:
        return
    scopes = changes.resolve(session)
    if scopes:
        raise_stamps(session, scopes)


@event.listens_for(Session, "after_rollback")
def _forget_changes(session: Session) -> None:
    session.info.pop("pending_changes", None)


def raise_stamps(session: Session, scopes: Iterable[str]) -> None:
    """Add one to the version of each scope (a first change starts it at 1)."""
    rows = [{"scope": scope, "version": 1} for scope in scopes]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(ChangeStamp).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=[ChangeStamp.scope], set_={"version": ChangeStamp.version + 1}
    )
    session.connection().execute(statement)
