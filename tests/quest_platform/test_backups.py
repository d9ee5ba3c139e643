"""Backups: `manage.py backup` and `restore`, a school's records and screenshots round-tripped,
and every refusal that leaves the target as it was.

Each test backs up a platform of its own (a database file on SQLite; a scratch database on the
server of TEST_DATABASE_URL on PostgreSQL, never the shared test database) and restores into
another. Tests of the archive alone are marked engine_independent: they run once, on SQLite.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat
import tarfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.runtime.migration import MigrationContext
from flask import Flask, current_app
from flask_security import verify_password
from helpers import PASSWORD, logging_preserved
from PIL import Image
from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy import table as table_named
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

import manage
from quest_platform import create_app
from quest_platform.config import database_url
from quest_platform.extensions import db
from quest_platform.health.checks import migration_head, migration_scripts
from quest_platform.models import (
    Attempt,
    EvidenceFile,
    Outcome,
    PeerReview,
    PeerReviewAssignment,
    Review,
    User,
    utcnow,
)
from quest_platform.services import backups
from quest_platform.services.backups import (
    BackupRefused,
    Manifest,
    default_backup_path,
    describe_counts,
    libpq_connection,
    make_backup,
    member_problem,
    restore_backup,
)
from quest_platform.services.evidence import Screenshot, check_screenshot, keep_screenshot, path_of
from quest_platform.services.peer_review import assign_peer_reviews, submit_peer_review
from quest_platform.services.reviews import review_attempt

RUBRIC = ["Hashes passwords", "Explains the route"]
COLOURS = [(200, 30, 30), (30, 200, 30), (30, 30, 200), (200, 200, 30)]
LESSON_IMAGE = "lesson-images/route-diagram.png"
PENDING_NOTEBOOK = "notebooks/1-waiting-token-0123456789.ipynb"


def run_cli(app: Flask, *args: str) -> Any:
    """Run a manage.py command against ``app``, as `python manage.py ...` would (in its own
    context: a command takes the app whose context is current, here the suite's otherwise)."""
    with logging_preserved(), app.app_context():
        return app.test_cli_runner().invoke(manage.cli, list(args))


def png(colour: tuple[int, int, int], size: tuple[int, int] = (6, 4)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def postgres_server() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL")
    return url if url and make_url(url).get_backend_name() == "postgresql" else None


@contextmanager
def scratch_database(folder: Path) -> Iterator[str]:
    """The URL of a new, empty database of the engine under test, removed afterwards.

    SQLite: a file in ``folder``. PostgreSQL: a database of its own on TEST_DATABASE_URL's
    server (a backup dumps a whole database: the shared test database is never one).
    """
    server = postgres_server()
    if server is None:
        yield f"sqlite:///{folder}/platform-{uuid.uuid4().hex[:8]}.db"
        return
    url = make_url(database_url(server, ""))
    name = f"test_backup_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def platform(folder: Path, *, schema: bool) -> Iterator[Flask]:
    """A platform on a scratch database and an upload folder of its own; with ``schema``, its
    tables made and recorded at the newest migration (as `db upgrade` leaves them)."""
    folder.mkdir(parents=True, exist_ok=True)
    with scratch_database(folder) as url:
        application = create_app(
            "testing",
            SQLALCHEMY_DATABASE_URI=url,
            UPLOAD_DIR=folder / "uploads",
            SESSION_DIR=folder / "sessions",
            DEMO_LOGINS_FILE=folder / "demo-logins.txt",
        )
        application.instance_path = str(folder / "instance")
        if schema:
            with application.app_context():
                db.create_all()
                with db.engine.begin() as connection:
                    MigrationContext.configure(connection).stamp(migration_scripts(), "head")
        try:
            yield application
        finally:
            with application.app_context():
                db.session.remove()
                db.engine.dispose()


def upload_dir(app: Flask) -> Path:
    return Path(app.config["UPLOAD_DIR"])


def files_in(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def fill_school(make: Any) -> None:
    """A class of four at a quest's checkpoint: each handed in a screenshot and passed the quiz,
    reviewed a classmate's work, and the first was marked by the teacher; plus a lesson image
    and a notebook waiting to be imported."""
    teacher = make.teacher()
    students = [make.student() for _ in COLOURS]
    classroom = make.classroom(teachers=[teacher], students=students)
    quest = make.quest()
    make.assignment(quest=quest, classroom=classroom, by=teacher)
    stage = quest.stages[2]
    stage.settings = {**stage.settings, "rubric": RUBRIC, "peer_reviews": 1}
    db.session.commit()
    handed_in = []
    for number, (student, colour) in enumerate(zip(students, COLOURS, strict=True)):
        make.attempt(
            student=student, quest=quest, position=2, outcome=Outcome.PASSED.value, score=5.0
        )
        attempt = make.attempt(
            student=student, quest=quest, submitted_at=utcnow() - timedelta(minutes=10 - number)
        )
        keep_screenshot(
            attempt=attempt,
            screenshot=check_screenshot(
                Screenshot(data=png(colour), alt_text=f"Login page of student {number}")
            ),
        )
        db.session.commit()
        assign_peer_reviews(attempt=attempt)
        handed_in.append(attempt)
    for assignment in db.session.scalars(select(PeerReviewAssignment)):
        submit_peer_review(
            assignment=assignment,
            reviewer=assignment.reviewer,
            levels=[2, 3],
            comment=f"Clear route, reviewer {assignment.reviewer_id}.",
        )
    review_attempt(
        attempt=handed_in[0],
        score=float(stage.points),
        outcome=Outcome.PASSED.value,
        reason="Well explained.",
        by=teacher,
    )
    folder = upload_dir(current_app)
    (folder / "lesson-images").mkdir(parents=True, exist_ok=True)
    (folder / LESSON_IMAGE).write_bytes(png((10, 10, 10), (8, 8)))
    (folder / "notebooks").mkdir(parents=True, exist_ok=True)
    (folder / PENDING_NOTEBOOK).write_text("{}")


def inventory() -> dict[str, Any]:
    """Everything the test compares between the platform backed up and the one restored."""
    return {
        "users": [
            (user.id, user.username, user.password)
            for user in db.session.scalars(select(User).order_by(User.id))
        ],
        "attempts": [
            (a.id, a.student_id, a.stage_id, a.answer, a.outcome, a.score, a.submitted_at)
            for a in db.session.scalars(select(Attempt).order_by(Attempt.id))
        ],
        "reviews": [
            (r.id, r.attempt_id, r.score, r.outcome, r.reason)
            for r in db.session.scalars(select(Review).order_by(Review.id))
        ],
        "peer_reviews": [
            (p.id, p.assignment_id, p.levels, p.comment)
            for p in db.session.scalars(select(PeerReview).order_by(PeerReview.id))
        ],
        "screenshots": [
            (e.attempt_id, e.stored_name, e.alt_text, path_of(e).read_bytes())
            for e in db.session.scalars(select(EvidenceFile).order_by(EvidenceFile.id))
        ],
    }


@dataclass
class Source:
    """A platform with a school's records and files, and what it holds."""

    app: Flask
    folder: Path
    held: dict[str, Any]
    lesson_image: bytes


@pytest.fixture
def source(make: Any, tmp_path: Path) -> Iterator[Source]:
    with platform(tmp_path / "source", schema=True) as application:
        with application.app_context():
            fill_school(make)
            held = inventory()
        lesson_image = (upload_dir(application) / LESSON_IMAGE).read_bytes()
        yield Source(application, tmp_path, held, lesson_image)


@pytest.fixture
def archive(source: Source) -> Path:
    """A backup of the source platform."""
    return make_backup(app=source.app, destination=source.folder / "kept" / "backup.tar.gz").path


@pytest.fixture
def target(tmp_path: Path) -> Iterator[Flask]:
    """A platform on a new, empty database (no tables) and an empty upload folder."""
    with platform(tmp_path / "target", schema=False) as application:
        yield application


def assert_untouched(app: Flask) -> None:
    """The target still has no tables with rows and no uploaded files."""
    with app.app_context(), db.engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            if table != "alembic_version":
                rows = select(func.count()).select_from(table_named(table))
                assert not connection.scalar(rows), table
    assert files_in(upload_dir(app)) == []


# A round trip, on the engine under test


def test_a_restored_backup_has_every_attempt_review_and_screenshot(source, archive, target):
    held = source.held
    assert len(held["screenshots"]) == len(COLOURS)
    assert len(held["peer_reviews"]) == len(COLOURS)
    assert len(held["reviews"]) == 1
    assert len(held["attempts"]) == 2 * len(COLOURS)

    restored = restore_backup(app=target, archive=archive)

    assert restored.manifest.revision == migration_head()
    with target.app_context():
        assert inventory() == held
        student = db.session.scalars(select(User).where(User.username.like("student%"))).first()
        assert verify_password(PASSWORD, student.password), "students sign in as before"
    folder = upload_dir(target)
    assert (folder / LESSON_IMAGE).read_bytes() == source.lesson_image
    assert not (folder / "notebooks").exists(), "notebooks waiting to be imported are left out"
    assert not [p for p in folder.iterdir() if p.name.startswith(".")], "no staging left"


def test_the_manifest_holds_the_migration_engine_counts_and_every_files_checksum(source, archive):
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    assert os.listdir(archive.parent) == [archive.name], "no temporary file is left beside it"
    with tarfile.open(archive, "r:gz") as opened:
        names = opened.getnames()
        manifest = json.loads(opened.extractfile("manifest.json").read())
        contents = {
            name: opened.extractfile(name).read() for name in names if name != "manifest.json"
        }
    engine = "postgresql" if postgres_server() else "sqlite"
    assert manifest["format_version"] == 1
    assert manifest["migration_revision"] == migration_head()
    assert manifest["database_engine"] == engine
    created = datetime.fromisoformat(manifest["created_at"].replace("Z", "+00:00"))
    assert created.tzinfo is not None
    assert manifest["row_counts"] == {
        "users": 5,
        "attempts": 8,
        "reviews": 1,
        "peer_reviews": 4,
        "evidence_files": 4,
    }
    screenshots = [f"uploads/{stored_name}" for _, stored_name, _, _ in source.held["screenshots"]]
    assert set(contents) == {
        backups.DATABASE_FILES[engine],
        f"uploads/{LESSON_IMAGE}",
        *screenshots,
    }
    for name, data in contents.items():
        entry = manifest["files"][name]
        assert entry["size"] == len(data)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()


def test_the_commands_back_up_and_restore_into_a_migrated_empty_database(source, tmp_path):
    made = run_cli(source.app, "backup")
    assert made.exit_code == 0, made.output
    written = list((Path(source.app.instance_path) / "backups").glob("quest-platform-*.tar.gz"))
    assert len(written) == 1, made.output
    assert f"Wrote {written[0]} (" in made.output
    assert "5 users, 8 attempts, 1 teacher review, 4 peer reviews, 4 screenshots" in made.output
    assert "5 uploaded files" in made.output
    assert PASSWORD not in made.output

    with platform(tmp_path / "migrated", schema=False) as migrated:
        upgraded = run_cli(migrated, "db", "upgrade")
        assert upgraded.exit_code == 0, upgraded.output
        restored = run_cli(migrated, "restore", str(written[0]))
        assert restored.exit_code == 0, restored.output
        assert "5 users, 8 attempts" in restored.output
        assert f"5 uploaded files into {upload_dir(migrated)}" in restored.output
        with migrated.app_context():
            assert inventory() == source.held
        refused = run_cli(migrated, "restore", str(written[0]))
        assert refused.exit_code == 1
        assert "is not empty" in refused.output
        assert "Nothing was changed." in refused.output


def test_a_database_with_rows_is_refused_and_left_as_it_was(archive, make, tmp_path):
    with platform(tmp_path / "filled", schema=True) as filled:
        with filled.app_context():
            make.student(username="alreadyhere")
        with pytest.raises(BackupRefused, match="The database is not empty") as refusal:
            restore_backup(app=filled, archive=archive)
        assert "Nothing was changed" in str(refusal.value)
        database = make_url(filled.config["SQLALCHEMY_DATABASE_URI"]).database
        how = f"dropdb {database} && createdb" if postgres_server() else f"move {database} away"
        assert how in str(refusal.value)
        with filled.app_context():
            assert db.session.scalars(select(User.username)).all() == ["alreadyhere"]
        assert files_in(upload_dir(filled)) == []


# Refusals of the archive itself: the engine plays no part


def rewritten(
    archive: Path,
    into: Path,
    *,
    change: Callable[[dict[str, bytes]], None] = lambda files: None,
    manifest: Callable[[dict[str, Any]], None] = lambda document: None,
    extra: Callable[[tarfile.TarFile], None] = lambda opened: None,
) -> Path:
    """A copy of ``archive`` with its files changed by ``change``, its manifest by
    ``manifest`` and more members added by ``extra``."""
    with tarfile.open(archive, "r:gz") as opened:
        files = {name: opened.extractfile(name).read() for name in opened.getnames()}
    document = json.loads(files.pop("manifest.json"))
    change(files)
    manifest(document)
    with tarfile.open(into, "w:gz") as output:
        for name, data in [*files.items(), ("manifest.json", json.dumps(document).encode())]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            output.addfile(info, io.BytesIO(data))
        extra(output)
    return into


def listed(document: dict[str, Any], name: str, data: bytes) -> None:
    document["files"][name] = {
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
    }


@pytest.mark.engine_independent
def test_a_changed_file_is_refused_before_anything_changes(archive, target, tmp_path):
    def tamper(files: dict[str, bytes]) -> None:
        name = next(name for name in files if name.startswith("uploads/") and "lesson" not in name)
        files[name] = files[name][:-1] + bytes([files[name][-1] ^ 1])

    tampered = rewritten(archive, tmp_path / "tampered.tar.gz", change=tamper)
    with pytest.raises(BackupRefused, match="does not match its checksum"):
        restore_backup(app=target, archive=tampered)
    assert_untouched(target)


@pytest.mark.engine_independent
def test_a_damaged_archive_is_refused(archive, target, tmp_path):
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    not_a_backup = tmp_path / "notes.tar.gz"
    not_a_backup.write_bytes(b"just some text")
    for damaged in (truncated, not_a_backup):
        with pytest.raises(BackupRefused, match=r"damaged|not a backup"):
            restore_backup(app=target, archive=damaged)
    without_manifest = tmp_path / "bare.tar.gz"
    with tarfile.open(without_manifest, "w:gz") as output:
        output.addfile(tarfile.TarInfo("uploads/x.png"), io.BytesIO(b""))
    with pytest.raises(BackupRefused, match=r"no manifest\.json"):
        restore_backup(app=target, archive=without_manifest)
    assert_untouched(target)


@pytest.mark.engine_independent
@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("../escaped.png", tarfile.REGTYPE),
        ("uploads/../../escaped.png", tarfile.REGTYPE),
        ("/srv/escaped.png", tarfile.REGTYPE),
        ("uploads/link.png", tarfile.SYMTYPE),
        ("uploads/hard.png", tarfile.LNKTYPE),
    ],
)
def test_a_member_leaving_its_folder_or_a_link_is_refused(archive, target, tmp_path, name, kind):
    data = b"" if kind != tarfile.REGTYPE else png((1, 2, 3))

    def add(output: tarfile.TarFile) -> None:
        info = tarfile.TarInfo(name)
        info.type = kind
        info.size = len(data)
        info.linkname = "/etc/passwd" if kind != tarfile.REGTYPE else ""
        output.addfile(info, io.BytesIO(data))

    hostile = rewritten(
        archive,
        tmp_path / "hostile.tar.gz",
        manifest=lambda document: listed(document, name, data),
        extra=add,
    )
    with pytest.raises(BackupRefused, match="The backup is refused"):
        restore_backup(app=target, archive=hostile)
    assert_untouched(target)
    assert not (tmp_path / "escaped.png").exists()
    assert not (upload_dir(target).parent / "escaped.png").exists()


@pytest.mark.engine_independent
def test_a_file_not_in_the_manifest_is_refused(archive, target, tmp_path):
    def add(output: tarfile.TarFile) -> None:
        info = tarfile.TarInfo("uploads/stowaway.png")
        info.size = 3
        output.addfile(info, io.BytesIO(b"abc"))

    stowaway = rewritten(archive, tmp_path / "stowaway.tar.gz", extra=add)
    with pytest.raises(BackupRefused, match="is not in its manifest"):
        restore_backup(app=target, archive=stowaway)
    assert_untouched(target)


@pytest.mark.engine_independent
@pytest.mark.parametrize(
    ("revision", "advice"),
    [
        (
            "0001",
            "whose newest migration is 0001 (the version that made it), then install this "
            "version and run `python manage.py db upgrade`",
        ),
        ("ffff9999", "Restore it with the version of the platform that made it."),
    ],
)
def test_a_backup_of_another_migration_is_refused(archive, target, tmp_path, revision, advice):
    def older(document: dict[str, Any]) -> None:
        document["migration_revision"] = revision

    other = rewritten(archive, tmp_path / "other.tar.gz", manifest=older)
    with pytest.raises(BackupRefused) as refusal:
        restore_backup(app=target, archive=other)
    message = str(refusal.value)
    assert f"at migration {revision}; this version of the platform expects migration " in message
    assert migration_head() in message
    assert advice in message
    assert_untouched(target)


@pytest.mark.engine_independent
def test_a_backup_of_another_engine_is_refused(archive, target, tmp_path):
    def postgresql(files: dict[str, bytes]) -> None:
        files["database/quest_platform.pgdump"] = files.pop("database/quest_platform.sqlite3")

    def named(document: dict[str, Any]) -> None:
        document["database_engine"] = "postgresql"
        entry = document["files"].pop("database/quest_platform.sqlite3")
        document["files"]["database/quest_platform.pgdump"] = entry

    other = rewritten(archive, tmp_path / "pg.tar.gz", change=postgresql, manifest=named)
    with pytest.raises(BackupRefused, match="backup is of a PostgreSQL database and the platform"):
        restore_backup(app=target, archive=other)
    assert_untouched(target)


@pytest.mark.engine_independent
def test_an_upload_folder_with_files_is_refused(archive, target):
    folder = upload_dir(target)
    (folder / "notebooks").mkdir(parents=True)
    (folder / "notebooks" / "left.ipynb").write_text("{}")
    with pytest.raises(BackupRefused, match=r"upload folder .* is not empty"):
        restore_backup(app=target, archive=archive)
    assert files_in(folder) == ["notebooks/left.ipynb"]
    with target.app_context(), db.engine.connect() as connection:
        assert inspect(connection).get_table_names() == []


@pytest.mark.engine_independent
def test_uploads_put_in_place_are_removed_when_the_database_fails_to_restore(
    archive, target, monkeypatch
):
    def fail(*args: Any) -> None:
        raise BackupRefused("pg_restore failed; nothing was restored: out of disk space")

    monkeypatch.setattr(backups, "restore_sqlite", fail)
    monkeypatch.setattr(backups, "restore_postgresql", fail)
    with pytest.raises(BackupRefused, match="out of disk space"):
        restore_backup(app=target, archive=archive)
    assert_untouched(target)
    assert os.listdir(upload_dir(target)) == [], "nor folders, nor the staged files"


@pytest.mark.engine_independent
def test_the_restore_command_says_why_it_refuses(archive, target, tmp_path):
    truncated = tmp_path / "half.tar.gz"
    truncated.write_bytes(archive.read_bytes()[:1000])
    result = run_cli(target, "restore", str(truncated))
    assert result.exit_code == 1
    assert "Error: " in result.output
    assert "damaged" in result.output
    assert "Traceback" not in result.output


# Making a backup: refusals and failures leave nothing behind


@pytest.mark.engine_independent
def test_a_failed_backup_leaves_no_partial_archive(source, monkeypatch):
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(backups, "add_bytes", fail)
    folder = source.folder / "kept"
    with pytest.raises(OSError, match="No space left"):
        make_backup(app=source.app, destination=folder / "backup.tar.gz")
    assert os.listdir(folder) == []

    result = run_cli(source.app, "backup", "--out", str(folder / "cli.tar.gz"))
    assert result.exit_code == 1
    assert os.listdir(folder) == []


@pytest.mark.engine_independent
def test_an_existing_file_or_one_in_the_upload_folder_is_not_overwritten(source, archive):
    before = archive.read_bytes()
    with pytest.raises(BackupRefused, match="already exists"):
        make_backup(app=source.app, destination=archive)
    assert archive.read_bytes() == before
    with pytest.raises(BackupRefused, match="outside the upload folder"):
        make_backup(app=source.app, destination=upload_dir(source.app) / "backup.tar.gz")
    result = run_cli(source.app, "backup", "--out", str(archive))
    assert result.exit_code == 1
    assert "already exists: choose another name. No backup was written." in result.output


@pytest.mark.engine_independent
def test_an_in_memory_database_cannot_be_backed_up(tmp_path):
    application = create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://")
    with pytest.raises(BackupRefused, match="in memory"):
        make_backup(app=application, destination=tmp_path / "backup.tar.gz")
    assert os.listdir(tmp_path) == []


# The pure helpers


@pytest.mark.engine_independent
def test_the_default_archive_is_named_by_its_utc_time_in_the_instance_folder(tmp_path):
    moment = datetime(2026, 12, 7, 9, 5, 3, tzinfo=UTC)
    assert default_backup_path(tmp_path, now=moment) == (
        tmp_path / "backups" / "quest-platform-20261207T090503Z.tar.gz"
    )


@pytest.mark.engine_independent
def test_counts_are_written_in_words():
    assert describe_counts({"users": 1, "attempts": 1234, "reviews": 0}) == (
        "1 user, 1,234 attempts, 0 teacher reviews"
    )


@pytest.mark.engine_independent
def test_the_password_goes_to_pg_dump_in_its_environment_never_on_its_command_line():
    url = make_url("postgresql+psycopg://quest:s3cr%40t@db.example.org:5433/quest?sslmode=require")
    address, environment = libpq_connection(url)
    assert address == "postgresql://quest@db.example.org:5433/quest?sslmode=require"
    assert environment["PGPASSWORD"] == "s3cr@t"
    assert "s3cr" not in address


@pytest.mark.engine_independent
@pytest.mark.parametrize(
    ("name", "kind", "allowed"),
    [
        ("uploads/lesson-images/a.png", tarfile.REGTYPE, True),
        ("uploads/./a.png", tarfile.REGTYPE, False),
        ("uploads//a.png", tarfile.REGTYPE, False),
        ("..", tarfile.REGTYPE, False),
        ("uploads\\..\\a.png", tarfile.REGTYPE, False),
        ("uploads", tarfile.DIRTYPE, False),
        ("uploads/fifo", tarfile.FIFOTYPE, False),
    ],
)
def test_only_regular_files_at_safe_relative_paths_are_restored(name, kind, allowed):
    member = tarfile.TarInfo(name)
    member.type = kind
    assert (member_problem(member) is None) is allowed


@pytest.mark.engine_independent
def test_a_manifest_of_another_format_is_refused():
    with pytest.raises(BackupRefused, match="format 2"):
        Manifest.from_json(json.dumps({"format_version": 2}).encode())
    with pytest.raises(BackupRefused, match="damaged"):
        Manifest.from_json(b"[1, 2")
    with pytest.raises(BackupRefused, match="damaged"):
        Manifest.from_json(json.dumps({"format_version": 1, "files": {}}).encode())
