"""Fixtures for the whole suite: the app, the database, clients, sign-in and builders.

The suite runs against SQLite by default, and against PostgreSQL and Redis when
TEST_DATABASE_URL and TEST_REDIS_URL are set (CI sets both). Helpers that tests import
(``post_form``, ``csrf_token``, ``PASSWORD``, ``crawl``, ...) live in ``helpers.py``: a second
conftest (tests/browser/) replaces the module named ``conftest``, so importing from it is fragile.
"""

from __future__ import annotations

import logging
import traceback
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.runtime.migration import MigrationContext
from flask import Flask, has_request_context
from flask.testing import FlaskClient
from helpers import PASSWORD, fresh_database, post_form, redis_url_for
from sqlalchemy import select

from analytics.model import shipped_model
from quest_platform import create_app
from quest_platform.config import TestingConfig
from quest_platform.extensions import db as _db
from quest_platform.health.checks import migration_scripts
from quest_platform.live import socketio
from quest_platform.models import (
    AchievementAward,
    Attempt,
    AuditEntry,
    Classroom,
    Enrollment,
    Outcome,
    PointsEntry,
    PointsReason,
    PredictionModel,
    Quest,
    QuestAssignment,
    QuestPrediction,
    RoleName,
    StageKind,
    StageTally,
    User,
    utcnow,
)
from quest_platform.services.accounts import create_user
from quest_platform.services.achievements import ensure_achievements
from quest_platform.services.classrooms import create_classroom
from quest_platform.services.quests import StageDraft, assign_quest, create_quest, publish_quest
from quest_platform.services.tallies import (
    count_attempt,
    enter_bonus_points,
    enter_stage_points,
    lock_quest_tally,
)


class IsolatedClient(FlaskClient):
    """A test client whose every request runs in its own application context.

    The tests hold an app context open for their own queries; without this, requests would
    share its ``g`` (and so a cached signed-in user) and its database session.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        with self.application.app_context():
            return super().open(*args, **kwargs)


# The suite's app's Socket.IO server, once the app is made.
SUITE_SOCKET_SERVERS: list[Any] = []


@pytest.fixture(scope="session", autouse=True)
def _worker_redis(worker_id: str) -> Iterator[None]:
    """Point every app this worker makes at the worker's own Redis database.

    The rate limiter is one object for the process: each app made (the suite's, or one a test
    makes for itself) binds it to that app's Redis. Were a test's own app on the shared
    database, another worker's reset between tests would clear this worker's counts mid-test.
    """
    shared = TestingConfig.REDIS_URL
    TestingConfig.REDIS_URL = redis_url_for(worker_id)
    yield
    TestingConfig.REDIS_URL = shared


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory, _worker_redis: None) -> Iterator[Flask]:
    """One application for the session, on a database of its own.

    SQLite: a file for this run. PostgreSQL: a schema of its own in TEST_DATABASE_URL, so that
    several runs against the same database (CI, engineers) cannot clear each other's tables.
    """
    run = uuid.uuid4().hex[:8]
    with fresh_database(tmp_path_factory.mktemp("db")) as database:
        application = create_app(
            "testing",
            **database,
            SESSION_DIR=tmp_path_factory.mktemp("sessions"),
            UPLOAD_DIR=tmp_path_factory.mktemp("uploads"),
            SESSION_KEY_PREFIX=f"test:{run}:session:",
            RATELIMIT_KEY_PREFIX=f"test-{run}",
            DEMO_LOGINS_FILE=tmp_path_factory.mktemp("instance") / "demo-logins.txt",
        )
        application.test_client_class = IsolatedClient
        with application.app_context():
            _db.create_all()
            # Made from the models, the schema is the migrations' newest: recorded as such,
            # as `db upgrade` would (the readiness check compares the two).
            with _db.engine.begin() as connection:
                MigrationContext.configure(connection).stamp(migration_scripts(), "head")
        # The Socket.IO server this app's pages talk to (see _live_events_on_the_suites_app).
        SUITE_SOCKET_SERVERS.append(socketio.server)
        yield application
        with application.app_context():
            _db.session.remove()
            _db.drop_all()
            _db.engine.dispose()


class RequestTracebacks(logging.Handler):
    """Keeps every record logged with a traceback while a request was served.

    Flask logs "Exception on <path> [<method>]" for an error no handler answered; libraries log
    the errors they swallow (Flask-Admin's "Failed to create record."); the development server
    behind the browser tests logs "Error on request" outside the request's context.
    """

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and (has_request_context() or record.name == "werkzeug"):
            self.records.append(record)

    def report(self) -> str:
        return "\n".join(
            f"{record.name}: {record.getMessage()}\n"
            + "".join(traceback.format_exception(*record.exc_info))  # type: ignore[misc]
            for record in self.records
        )


@pytest.fixture(scope="session")
def request_tracebacks() -> Iterator[RequestTracebacks]:
    """Every traceback a request logs during the run (on the root logger, whatever the thread)."""
    handler = RequestTracebacks()
    logging.getLogger().addHandler(handler)
    yield handler
    logging.getLogger().removeHandler(handler)


@pytest.fixture(autouse=True)
def _no_traceback_from_a_request(
    request: pytest.FixtureRequest, request_tracebacks: RequestTracebacks
) -> Iterator[None]:
    """Fail a test during which a request logged a traceback.

    A test that provokes a server error on purpose says so with
    ``@pytest.mark.provokes_server_error``.
    """
    request_tracebacks.records.clear()
    yield
    if request_tracebacks.records and not request.node.get_closest_marker("provokes_server_error"):
        pytest.fail(
            "A request logged a traceback (the server log of the run must have none):\n"
            + request_tracebacks.report(),
            pytrace=False,
        )


@pytest.fixture(autouse=True)
def _live_events_on_the_suites_app(app: Flask) -> Iterator[None]:
    """Keep Socket.IO on the suite's app after a test that makes an app of its own.

    ``create_app`` binds the one SocketIO object to the new app's Socket.IO server. The suite's
    app still takes its pages' connections on its own server, but its event handlers (joining a
    room, emitting) would then act on the other server, which knows none of those pages.
    """
    yield
    socketio.server = SUITE_SOCKET_SERVERS[-1]


@pytest.fixture(autouse=True)
def _clean_database(app: Flask) -> Iterator[None]:
    """Give every test empty tables and a fresh rate limit."""
    with app.app_context():
        yield
        _db.session.rollback()
        _db.session.remove()
        with _db.engine.begin() as connection:
            for table in reversed(_db.metadata.sorted_tables):
                connection.execute(table.delete())
    from quest_platform.extensions import limiter

    limiter.reset()


@pytest.fixture
def db(app: Flask) -> Any:
    """The Flask-SQLAlchemy handle, inside the app context."""
    return _db


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client with its own cookie jar."""
    return app.test_client()


@pytest.fixture
def client_factory(app: Flask) -> Callable[[], FlaskClient]:
    """Make more clients, for tests with several people at once."""
    return app.test_client


@pytest.fixture
def login_as(client: FlaskClient) -> Callable[..., FlaskClient]:
    """Sign a user in through the real login form; returns the client."""

    def login(
        user: User, *, password: str = PASSWORD, on: FlaskClient | None = None
    ) -> FlaskClient:
        target = on or client
        response = post_form(target, "/login", {"email": user.username, "password": password})
        assert response.status_code == 302, f"login of {user.username} failed"
        return target

    return login


@dataclass
class Builders:
    """Builders for users, classrooms and quests, going through the real services."""

    counter: int = 0

    def _next(self) -> int:
        self.counter += 1
        return self.counter

    def user(
        self,
        role: RoleName = RoleName.STUDENT,
        *,
        username: str | None = None,
        email: str | None = None,
        password: str = PASSWORD,
    ) -> User:
        number = self._next()
        return create_user(
            username=username or f"{role.value}{number}",
            display_name=f"{role.value.title()} {number}",
            password=password,
            role=role,
            email=email,
        )

    def student(self, **kwargs: Any) -> User:
        return self.user(RoleName.STUDENT, **kwargs)

    def teacher(self, **kwargs: Any) -> User:
        return self.user(RoleName.TEACHER, **kwargs)

    def admin(self, **kwargs: Any) -> User:
        return self.user(RoleName.ADMIN, **kwargs)

    def classroom(
        self, *, teachers: list[User] | None = None, students: list[User] = ()
    ) -> Classroom:  # type: ignore[assignment]
        number = self._next()
        classroom = create_classroom(
            name=f"Class {number}",
            term="2026 T2",
            period=number % 12,
            teachers=teachers or [self.teacher()],
        )
        for student in students:
            _db.session.add(Enrollment(classroom=classroom, student=student))
        _db.session.commit()
        return classroom

    @staticmethod
    def stage_drafts(count: int) -> list[StageDraft]:
        kinds = [
            StageDraft("lesson", "Why sessions", "### Sessions\nA cookie names the session."),
            StageDraft(
                "quiz",
                "Sessions quiz",
                settings={
                    "questions": [
                        {
                            "id": "q1",
                            "type": "single",
                            "prompt": "Where is session data kept?",
                            "choices": ["Browser", "Server"],
                            "answer": [1],
                        }
                    ],
                    # Answers stay hidden, so the quiz takes tries after a pass (to better
                    # the score); tests of the answers shown set their own quiz.
                    "reveal_answers": "never",
                },
            ),
            StageDraft(
                "checkpoint",
                "Show your login",
                settings={
                    "prompt": "Paste your login route.",
                    "rubric": ["Hashes passwords"],
                    "evidence": ["code"],
                },
            ),
            StageDraft(
                "reflection",
                "What did you learn",
                settings={"prompt": "What surprised you?", "min_length": 50},
            ),
            StageDraft("self_check", "Ready?", settings={"items": ["I can log in"]}),
            StageDraft(
                "timed",
                "Speed round",
                time_limit_seconds=120,
                settings={
                    "questions": [
                        {
                            "id": "t1",
                            "type": "short",
                            "prompt": "HTTP verb to create?",
                            "accepted": ["POST"],
                        }
                    ]
                },
            ),
            StageDraft("lesson", "Logging out", "### Logout\nEnd the session."),
            StageDraft("lesson", "Profiles", "### Profiles\nShow the user's data."),
        ]
        return [kinds[i % len(kinds)] for i in range(count)]

    def quest(
        self,
        *,
        stages: int = 7,
        publish: bool = True,
        author: User | None = None,
        slug: str | None = None,
    ) -> Quest:
        number = self._next()
        quest = create_quest(
            slug=slug or f"quest-{number}",
            title=f"Quest {number}",
            theme="West Coast Travel",
            summary="A test quest.",
            stages=self.stage_drafts(stages),
            author=author,
        )
        return publish_quest(quest=quest, by=author) if publish else quest

    def assignment(
        self, *, quest: Quest, classroom: Classroom, by: User | None = None
    ) -> QuestAssignment:
        opens = utcnow() - timedelta(days=1)
        return assign_quest(
            quest=quest,
            classroom=classroom,
            opens_at=opens,
            due_at=opens + timedelta(days=14),
            by=by,
        )

    def attempt(
        self,
        *,
        student: User,
        quest: Quest,
        position: int = 3,
        outcome: str = Outcome.PENDING_REVIEW.value,
        score: float | None = None,
        answer: dict[str, Any] | None = None,
        submitted_at: Any = None,
    ) -> Attempt:
        """Record an attempt as submitted (by default: a checkpoint waiting for review)."""
        stage = next(stage for stage in quest.stages if stage.position == position)
        submitted = submitted_at or utcnow()
        if answer is None:
            checkpoint = stage.kind == StageKind.CHECKPOINT
            answer = {"evidence": "My login route hashes passwords."} if checkpoint else {}
        attempt = Attempt(
            student=student,
            quest=quest,
            stage=stage,
            started_at=submitted - timedelta(minutes=12),
            submitted_at=submitted,
            answer=answer,
            score=score,
            max_score=float(stage.points),
            outcome=outcome,
        )
        # Counted in the student's tallies and ledger as the attempts service counts it.
        quest_tally = lock_quest_tally(student_id=student.id, quest_id=quest.id)
        _db.session.add(attempt)
        _db.session.flush()
        count_attempt(
            quest_tally=quest_tally,
            stage_tally=_db.session.get(StageTally, (student.id, stage.id)),
            attempt=attempt,
            stage=stage,
        )
        _db.session.commit()
        return attempt

    def points(
        self, *, student: User, quest: Quest, points: int, at: datetime | None = None
    ) -> PointsEntry:
        """Enter ``points`` for ``student`` in ``quest`` as a checkpoint's stage score, in the
        ledger and their tallies (as a teacher's mark would), at ``at`` (now by default)."""
        attempt = self.attempt(student=student, quest=quest)
        quest_tally = lock_quest_tally(student_id=student.id, quest_id=quest.id)
        stage_tally = _db.session.get(StageTally, (student.id, attempt.stage_id))
        enter_stage_points(
            quest_tally=quest_tally,
            stage_tally=stage_tally,
            attempt=attempt,
            points=stage_tally.points + points,
            at=at or utcnow(),
        )
        _db.session.commit()
        query = select(PointsEntry).where(PointsEntry.attempt_id == attempt.id)
        return _db.session.scalars(query).one()

    def bonus(
        self, *, award: AchievementAward, quest: Quest, points: int, at: datetime | None = None
    ) -> PointsEntry:
        """Enter an award's bonus ``points`` in ``quest``, in the ledger and the tally."""
        entry = PointsEntry(
            student_id=award.student_id,
            quest_id=quest.id,
            award_id=award.id,
            points=points,
            reason=PointsReason.ACHIEVEMENT.value,
            created_at=at or utcnow(),
        )
        enter_bonus_points(
            quest_tally=lock_quest_tally(student_id=award.student_id, quest_id=quest.id),
            entry=entry,
        )
        _db.session.commit()
        return entry

    def award(
        self, *, student: User, code: str = "first-quest", attempt: Attempt | None = None
    ) -> AchievementAward:
        """Record that ``student`` earned ``code`` with ``attempt`` (by default their latest)."""
        achievement = next(a for a in ensure_achievements() if a.code == code)
        if attempt is None:
            latest = select(Attempt).where(Attempt.student_id == student.id)
            attempt = _db.session.scalars(latest.order_by(Attempt.id.desc())).first()
        assert attempt is not None, "an achievement is earned with an attempt: make one first"
        award = AchievementAward(
            achievement=achievement, student=student, quest=attempt.quest, attempt=attempt
        )
        _db.session.add(award)
        _db.session.commit()
        return award

    def prediction(
        self,
        *,
        student: User,
        classroom: Classroom,
        quest: Quest,
        probability: float = 0.4,
        risk: str = "watch",
        reasons: list[list[Any]] | None = None,
        confidence: str = "fair",
        model: PredictionModel | None = None,
    ) -> QuestPrediction:
        """Record a quest prediction, as the analytics refresh would (with the shipped model
        unless a fitted ``model`` is given)."""
        prediction = QuestPrediction(
            student_id=student.id,
            classroom_id=classroom.id,
            quest_id=quest.id,
            computed_at=utcnow(),
            probability=probability,
            risk=risk,
            reasons=reasons if reasons is not None else [["inactive_days", 4]],
            stages_done=1,
            stages_total=len(quest.stages),
            confidence=confidence,
            model_id=model.id if model is not None else None,
        )
        _db.session.add(prediction)
        _db.session.commit()
        return prediction

    def prediction_model(
        self,
        *,
        version: int = 3,
        fitted_at: datetime = datetime(2026, 12, 3, 15, 0, tzinfo=UTC),
        data_from: datetime = datetime(2026, 9, 1, 12, 0, tzinfo=UTC),
        data_to: datetime = datetime(2026, 11, 28, 12, 0, tzinfo=UTC),
        examples: int = 2310,
        classrooms: int = 12,
        quests: int = 40,
    ) -> PredictionModel:
        """Store a quest model as if fitted on the school's records: the shipped model's
        numbers, with what it learned from."""
        model = PredictionModel(
            version=version,
            fitted_at=fitted_at,
            data_from=data_from,
            data_to=data_to,
            examples=examples,
            classrooms=classrooms,
            quests=quests,
            parameters={**shipped_model().parameters(), "local_examples": examples},
            evaluation={"weeks": []},
        )
        _db.session.add(model)
        _db.session.commit()
        return model


@pytest.fixture
def make(app: Flask) -> Builders:
    """Builders that create real rows through the services."""
    return Builders()


@pytest.fixture
def instance_dir(tmp_path: Path) -> Path:
    """An empty instance folder for commands that write files."""
    return tmp_path


@dataclass
class School:
    """Two classrooms with a teacher and a student each, and an administrator.

    ``teacher`` teaches ``classroom``, where ``student`` is enrolled; ``other_teacher`` and
    ``other_student`` belong to ``other_classroom``. Each teacher assigned a published quest to
    their classroom (``assignment``, audited as ``audit_entry``), and its student has one
    attempt waiting for review at the quest's checkpoint (``attempt``) and one achievement
    (``award``). The ``other_`` records belong to the other classroom.
    """

    admin: User
    teacher: User
    student: User
    classroom: Classroom
    other_teacher: User
    other_student: User
    other_classroom: Classroom
    quest: Quest
    other_quest: Quest
    assignment: QuestAssignment
    other_assignment: QuestAssignment
    attempt: Attempt
    other_attempt: Attempt
    award: AchievementAward
    other_award: AchievementAward
    audit_entry: AuditEntry
    other_audit_entry: AuditEntry

    def person(self, role: str) -> User | None:
        """The person playing ``role`` ("anonymous" is nobody)."""
        return None if role == "anonymous" else getattr(self, role)


@pytest.fixture
def school(make: Builders) -> School:
    """A small school: see :class:`School`."""
    teacher, student = make.teacher(), make.student()
    other_teacher, other_student = make.teacher(), make.student()
    admin = make.admin()
    classroom = make.classroom(teachers=[teacher], students=[student])
    other_classroom = make.classroom(teachers=[other_teacher], students=[other_student])
    quest, other_quest = make.quest(), make.quest()
    assignment = make.assignment(quest=quest, classroom=classroom, by=teacher)
    other_assignment = make.assignment(
        quest=other_quest, classroom=other_classroom, by=other_teacher
    )

    def audit_entry_of(record: QuestAssignment) -> AuditEntry:
        return _db.session.scalars(
            select(AuditEntry).where(
                AuditEntry.table_name == record.__tablename__,
                AuditEntry.record_id == str(record.id),
            )
        ).one()

    return School(
        admin=admin,
        teacher=teacher,
        student=student,
        classroom=classroom,
        other_teacher=other_teacher,
        other_student=other_student,
        other_classroom=other_classroom,
        quest=quest,
        other_quest=other_quest,
        assignment=assignment,
        other_assignment=other_assignment,
        attempt=make.attempt(student=student, quest=quest),
        other_attempt=make.attempt(student=other_student, quest=other_quest),
        award=make.award(student=student),
        other_award=make.award(student=other_student),
        audit_entry=audit_entry_of(assignment),
        other_audit_entry=audit_entry_of(other_assignment),
    )
