"""Backups: the database and the uploaded files in one archive with a manifest, and restoring it.

A backup is one ``.tar.gz`` file holding ``manifest.json``, a consistent snapshot of the database
(``database/quest_platform.sqlite3``, made with SQLite's backup API, or
``database/quest_platform.pgdump``, made by ``pg_dump --format=custom``) and every file of the
upload folder under ``uploads/``. The manifest names the migration the database is at, its engine,
when the backup was made, the row counts of the main tables, and the size and SHA-256 of every
other file. See docs/backups.md.

Restoring checks the whole archive before it changes anything, and only restores into an empty
database and an empty upload folder, of the same engine, with code of the same migration.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO

from alembic.runtime.migration import MigrationContext
from flask import Flask
from sqlalchemy import URL, Connection, inspect, text
from sqlalchemy.exc import SQLAlchemyError

from quest_platform.database import CONNECT_TIMEOUT_SECONDS
from quest_platform.extensions import db
from quest_platform.health.checks import migration_head, migration_scripts
from quest_platform.models import Attempt, EvidenceFile, PeerReview, Review, User

# Raised whenever the layout of the archive or of the manifest changes: restore refuses others.
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
DATABASE_FOLDER = "database"
UPLOADS_FOLDER = "uploads"
DATABASE_FILES = {
    "sqlite": f"{DATABASE_FOLDER}/quest_platform.sqlite3",
    "postgresql": f"{DATABASE_FOLDER}/quest_platform.pgdump",
}
# Notebooks waiting between their preview and their import (services/notebooks.py) are left
# out: a teacher whose upload is lost uploads it again.
SKIPPED_UPLOAD_FOLDERS = frozenset({"notebooks"})
# The readiness check's probe files, and the folder a restore stages its files in.
PROBE_PREFIX = ".health-"
STAGING_PREFIX = ".restoring-"
# The tables whose rows the manifest counts, under the name it gives them.
COUNTED_TABLES = {
    "users": User.__tablename__,
    "attempts": Attempt.__tablename__,
    "reviews": Review.__tablename__,
    "peer_reviews": PeerReview.__tablename__,
    "evidence_files": EvidenceFile.__tablename__,
}
COUNT_NAMES = {
    "users": ("user", "users"),
    "attempts": ("attempt", "attempts"),
    "reviews": ("teacher review", "teacher reviews"),
    "peer_reviews": ("peer review", "peer reviews"),
    "evidence_files": ("screenshot", "screenshots"),
}
# A manifest lists every file of the archive; even a large school's fits well in this.
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
CHUNK_BYTES = 1024 * 1024
PG_DUMP = "pg_dump"
PG_RESTORE = "pg_restore"


class BackupRefused(Exception):
    """A backup or restore that cannot go ahead; the message says why and what to do."""


@dataclass(frozen=True)
class FileEntry:
    """One file of the archive as the manifest records it."""

    sha256: str
    size: int


@dataclass(frozen=True)
class Manifest:
    """What a backup holds: see the module's docstring."""

    format_version: int
    revision: str | None
    engine: str
    created_at: str
    counts: dict[str, int]
    files: dict[str, FileEntry]

    @property
    def database_file(self) -> str:
        """The archive's name for the database snapshot."""
        return DATABASE_FILES[self.engine]

    @property
    def upload_files(self) -> list[str]:
        """The archive's names of the uploaded files, in order."""
        prefix = UPLOADS_FOLDER + "/"
        return sorted(name for name in self.files if name.startswith(prefix))

    def to_json(self) -> bytes:
        document = {
            "format_version": self.format_version,
            "platform": "quest-platform",
            "migration_revision": self.revision,
            "database_engine": self.engine,
            "created_at": self.created_at,
            "row_counts": self.counts,
            "files": {
                name: {"sha256": entry.sha256, "size": entry.size}
                for name, entry in sorted(self.files.items())
            },
        }
        return json.dumps(document, indent=2).encode() + b"\n"

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        """The manifest in ``data``; BackupRefused if it is not one this code can restore."""
        damaged = BackupRefused(
            "The backup's manifest.json is damaged: this is not a whole backup."
        )
        try:
            document = json.loads(data)
        except ValueError:
            raise damaged from None
        if not isinstance(document, dict):
            raise damaged
        version = document.get("format_version")
        if version != FORMAT_VERSION:
            raise BackupRefused(
                f"The backup is of format {version!r}; this version of the platform restores "
                f"format {FORMAT_VERSION}: restore it with the version that made it."
            )
        try:
            files = {
                str(name): FileEntry(sha256=str(entry["sha256"]), size=int(entry["size"]))
                for name, entry in document["files"].items()
            }
            manifest = cls(
                format_version=version,
                revision=document["migration_revision"],
                engine=str(document["database_engine"]),
                created_at=str(document["created_at"]),
                counts={str(key): int(value) for key, value in document["row_counts"].items()},
                files=files,
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            raise damaged from None
        if manifest.engine not in DATABASE_FILES or manifest.database_file not in files:
            raise damaged
        return manifest


@dataclass(frozen=True)
class Backup:
    """A backup made: where it is, its size in bytes, its manifest, and the migration this code
    expects (a backup of a database at another restores only with another version)."""

    path: Path
    size_bytes: int
    manifest: Manifest
    expected_revision: str | None


@dataclass(frozen=True)
class Restored:
    """A backup restored: its manifest, and the folder its uploaded files went to."""

    manifest: Manifest
    upload_dir: Path


# Pure helpers


def default_backup_path(instance_dir: Path, *, now: datetime) -> Path:
    """Where a backup made at ``now`` goes by default: the instance folder's ``backups/``."""
    return instance_dir / "backups" / f"quest-platform-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}.tar.gz"


def describe_counts(counts: Mapping[str, int]) -> str:
    """The manifest's row counts in words: "3 users, 1 attempt, ..."."""
    parts = []
    for key, (one, many) in COUNT_NAMES.items():
        if key in counts:
            number = counts[key]
            parts.append(f"{number:,} {one if number == 1 else many}")
    return ", ".join(parts)


def describe_files(count: int) -> str:
    """A number of uploaded files in words."""
    return "1 uploaded file" if count == 1 else f"{count:,} uploaded files"


def member_problem(member: tarfile.TarInfo) -> str | None:
    """Why ``member`` may not be restored (None if it may): only regular files, at relative
    paths that stay inside the folder they are restored to."""
    name = member.name
    if not member.isreg():
        return f"{name!r} is not a regular file (a link, a folder or a device)"
    path = PurePosixPath(name)
    if not name or path.is_absolute() or name.startswith("/") or "\\" in name:
        return f"{name!r} is not a relative path"
    if any(part in {"", ".", ".."} for part in name.split("/")):
        return f"{name!r} leaves the folder it is restored to"
    return None


def libpq_connection(url: URL) -> tuple[str, dict[str, str]]:
    """The connection string pg_dump and pg_restore take for ``url`` (its password left out)
    and the environment that passes the password, so no command line ever shows it."""
    address = URL.create(
        "postgresql",
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query=url.query,
    )
    environment = {"PGCONNECT_TIMEOUT": str(CONNECT_TIMEOUT_SECONDS)}
    if url.password is not None:
        environment["PGPASSWORD"] = str(url.password)
    return address.render_as_string(hide_password=False), environment


def row_count_query(table: str) -> str:
    """The query counting ``table``'s rows (a name from COUNTED_TABLES: not from input)."""
    return f'SELECT count(*) FROM "{table}"'  # noqa: S608 (a constant table name)


def utc_timestamp(now: datetime) -> str:
    return now.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


# Making a backup


def make_backup(*, app: Flask, destination: Path, now: datetime | None = None) -> Backup:
    """Write a backup of ``app``'s database and upload folder to ``destination``.

    The database is copied first, then the uploads: every screenshot a row of the snapshot
    names is already on disk. The archive is written beside ``destination`` under a temporary
    name and renamed when whole (mode 0600: it holds password hashes), so a failed backup leaves
    nothing behind. Refused (BackupRefused) if ``destination`` exists or lies in the upload
    folder, for an in-memory database, or when the database cannot be copied.
    """
    destination = destination.absolute()
    upload_dir = Path(app.config["UPLOAD_DIR"]).absolute()
    if destination.exists():
        raise BackupRefused(f"{destination} already exists: choose another name.")
    if destination.is_relative_to(upload_dir):
        raise BackupRefused("Write the backup outside the upload folder.")
    destination.parent.mkdir(parents=True, exist_ok=True)
    url = database_url_of(app)
    engine = url.get_backend_name()
    if engine not in DATABASE_FILES:
        raise BackupRefused(f"Backups know SQLite and PostgreSQL, not {engine}.")
    created_at = utc_timestamp(now or datetime.now(UTC))
    with tempfile.TemporaryDirectory(dir=destination.parent, prefix=".quest-backup-") as work:
        snapshot = Path(work) / "database"
        with app.app_context():
            if engine == "sqlite":
                revision, counts = sqlite_snapshot(url, snapshot)
            else:
                revision, counts = postgresql_snapshot(url, snapshot)
        files: dict[str, FileEntry] = {}
        partial = Path(work) / "backup.tar.gz"
        with tarfile.open(partial, "w:gz") as archive:
            files[DATABASE_FILES[engine]] = add_file(archive, DATABASE_FILES[engine], snapshot)
            snapshot.unlink()
            for relative, path in upload_files(upload_dir):
                name = f"{UPLOADS_FOLDER}/{relative}"
                try:
                    files[name] = add_file(archive, name, path)
                except FileNotFoundError:
                    # Removed since listed: a pending upload thrown away, not a kept file.
                    continue
            manifest = Manifest(FORMAT_VERSION, revision, engine, created_at, counts, files)
            add_bytes(archive, MANIFEST_NAME, manifest.to_json())
        os.chmod(partial, 0o600)
        with open(partial, "rb") as written:
            os.fsync(written.fileno())
        if destination.exists():
            raise BackupRefused(f"{destination} appeared meanwhile: choose another name.")
        os.replace(partial, destination)
    return Backup(destination, destination.stat().st_size, manifest, migration_head())


def database_url_of(app: Flask) -> URL:
    """The URL ``app``'s engine connects to (a relative SQLite path made absolute, as
    Flask-SQLAlchemy resolves it in the instance folder)."""
    with app.app_context():
        return db.engine.url


def sqlite_uri(path: Path, *, read_only: bool = False) -> str:
    """The URI SQLite opens ``path`` by, whatever characters the path holds."""
    return path.absolute().as_uri() + ("?mode=ro" if read_only else "")


def sqlite_snapshot(url: URL, snapshot: Path) -> tuple[str | None, dict[str, int]]:
    """Copy the SQLite database of ``url`` to ``snapshot`` with SQLite's backup API (a
    consistent copy while the platform runs); its migration and row counts, read from the copy."""
    if url.database in (None, "", ":memory:"):
        raise BackupRefused("The database is in memory: there is no file to back up.")
    source_path = Path(str(url.database))
    if not source_path.is_file():
        raise BackupRefused(f"The database file {source_path} does not exist.")
    try:
        with (
            closing(sqlite3.connect(sqlite_uri(source_path, read_only=True), uri=True)) as source,
            closing(sqlite3.connect(snapshot)) as copy,
        ):
            source.execute("PRAGMA busy_timeout = 5000")
            source.backup(copy)
            # One self-contained file, whatever journal the platform's database keeps.
            copy.execute("PRAGMA journal_mode = DELETE")
            revision = sqlite_revision(copy)
            counts = {
                key: int(copy.execute(row_count_query(table)).fetchone()[0])
                for key, table in COUNTED_TABLES.items()
            }
    except sqlite3.Error as error:
        raise BackupRefused(f"The database could not be copied: {error}.") from None
    return revision, counts


def sqlite_revision(connection: sqlite3.Connection) -> str | None:
    """The migration an SQLite database is at (None before any)."""
    try:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.OperationalError:
        return None
    return None if row is None else str(row[0])


def postgresql_snapshot(url: URL, snapshot: Path) -> tuple[str | None, dict[str, int]]:
    """Dump the PostgreSQL database of ``url`` to ``snapshot`` with pg_dump (custom format).

    The counts and the migration are read in a transaction whose snapshot pg_dump shares, so
    the manifest describes exactly the rows of the dump.
    """
    program = shutil.which(PG_DUMP)
    if program is None:
        raise BackupRefused(
            "pg_dump is not installed: install the PostgreSQL client (apt install "
            "postgresql-client) of the server's major version or newer."
        )
    address, environment = libpq_connection(url)
    try:
        with db.engine.connect() as connection:
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                exported = connection.scalar(text("SELECT pg_export_snapshot()"))
                revision = MigrationContext.configure(connection).get_current_revision()
                counts = {
                    key: int(connection.scalar(text(row_count_query(table))) or 0)
                    for key, table in COUNTED_TABLES.items()
                }
                command = [
                    program,
                    "--format=custom",
                    "--no-password",
                    f"--snapshot={exported}",
                    f"--file={snapshot}",
                    f"--dbname={address}",
                ]
                run_client(command, environment, url, doing="pg_dump failed")
    except SQLAlchemyError as error:
        raise BackupRefused(f"The database could not be read: {one_line(error)}") from None
    return revision, counts


def run_client(command: list[str], environment: dict[str, str], url: URL, *, doing: str) -> None:
    """Run a PostgreSQL client program; BackupRefused with its own words if it fails."""
    result = subprocess.run(  # noqa: S603 (a fixed program; the URL is the platform's own)
        command,
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        said = result.stderr.strip() or f"exit status {result.returncode}"
        if url.password:
            said = said.replace(str(url.password), "***")
        raise BackupRefused(f"{doing}: {said}")


def one_line(error: BaseException) -> str:
    """An error's message on one line, without SQLAlchemy's link to its documentation."""
    message = str(getattr(error, "orig", None) or error)
    return " ".join(message.split())[:300]


def upload_files(upload_dir: Path, *, every: bool = False) -> Iterator[tuple[str, Path]]:
    """Every regular file of the upload folder, as (its path relative to the folder, the path),
    in order. Links are not followed; probes are left out, and so are the pending notebooks
    and a restore's staging folder unless ``every``."""
    if not upload_dir.is_dir():
        return
    for folder, subfolders, names in os.walk(upload_dir):
        here = Path(folder)
        if here == upload_dir and not every:
            subfolders[:] = [
                name
                for name in subfolders
                if name not in SKIPPED_UPLOAD_FOLDERS and not name.startswith(STAGING_PREFIX)
            ]
        subfolders.sort()
        for name in sorted(names):
            path = here / name
            if name.startswith(PROBE_PREFIX):
                continue
            try:
                regular = stat.S_ISREG(path.lstat().st_mode)
            except FileNotFoundError:
                continue
            if regular:
                yield path.relative_to(upload_dir).as_posix(), path


class HashingReader:
    """Reads a file for tarfile, hashing what is read."""

    def __init__(self, file: IO[bytes]) -> None:
        self.file = file
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.file.read(size)
        self.digest.update(data)
        return data


def add_file(archive: tarfile.TarFile, name: str, path: Path) -> FileEntry:
    """Add the file at ``path`` to ``archive`` as ``name``; its entry for the manifest."""
    with open(path, "rb") as file:
        info = tarfile.TarInfo(name)
        info.size = os.fstat(file.fileno()).st_size
        info.mode = 0o600
        info.mtime = int(os.fstat(file.fileno()).st_mtime)
        reader = HashingReader(file)
        archive.addfile(info, reader)
    return FileEntry(reader.digest.hexdigest(), info.size)


def add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    """Add ``data`` to ``archive`` as the file ``name``."""
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    info.mtime = int(datetime.now(UTC).timestamp())
    archive.addfile(info, io.BytesIO(data))


# Restoring a backup


def restore_backup(*, app: Flask, archive: Path) -> Restored:
    """Restore the backup ``archive`` into ``app``'s database and upload folder.

    Checks first, changing nothing until all pass (BackupRefused says which failed): the archive
    is whole, holds only regular files at safe paths, and every file matches its size and
    checksum in the manifest; the backup's migration is the code's newest and its engine the
    configured database's; the database has no rows (a new file, a new database, or one only
    migrated) and the upload folder no files. The uploads are put in place first, then the
    database is restored; if that fails, the uploads put in place are removed again.
    """
    manifest = verified_manifest(archive)
    if problem := revision_problem(manifest.revision):
        raise BackupRefused(problem)
    url = database_url_of(app)
    engine = url.get_backend_name()
    if manifest.engine != engine:
        raise BackupRefused(
            f"The backup is of a {engine_name(manifest.engine)} database and the platform is "
            f"configured for {engine_name(engine)}: a backup restores into the engine it was "
            "made from."
        )
    if engine == "sqlite" and url.database in (None, "", ":memory:"):
        raise BackupRefused("The database is in memory: restore into a database file.")
    upload_dir = Path(app.config["UPLOAD_DIR"]).absolute()
    check_empty_upload_dir(upload_dir)
    # A database file yet to be made is empty; connecting to look would make it.
    if engine != "sqlite" or Path(str(url.database)).exists():
        with app.app_context():
            check_empty_database(url, manifest.revision)
            db.engine.dispose()
    upload_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=upload_dir, prefix=STAGING_PREFIX) as work:
        staged = Path(work)
        extract_verified(archive, manifest, staged)
        placed = place_uploads(staged / UPLOADS_FOLDER, upload_dir, manifest)
        try:
            with app.app_context():
                if engine == "sqlite":
                    restore_sqlite(staged / manifest.database_file, Path(str(url.database)))
                else:
                    restore_postgresql(staged / manifest.database_file, url)
                db.engine.dispose()
        except BaseException:
            remove_placed(placed, upload_dir)
            raise
    return Restored(manifest, upload_dir)


def revision_problem(revision: str | None) -> str | None:
    """Why a backup at migration ``revision`` does not restore with this code (None if it does),
    and what to do instead."""
    head = migration_head()
    if revision == head:
        return None
    said = (
        f"The backup's database is at migration {revision or 'none'}; this version of the "
        f"platform expects migration {head}. Nothing was changed."
    )
    if revision is not None and is_older_migration(revision):
        return (
            f"{said} Restore it with the version of the platform whose newest migration is "
            f"{revision} (the version that made it), then install this version and run "
            "`python manage.py db upgrade`."
        )
    return f"{said} Restore it with the version of the platform that made it."


def is_older_migration(revision: str) -> bool:
    """Whether ``revision`` is one of this code's migrations (so `db upgrade` goes on from it)."""
    return revision in {script.revision for script in migration_scripts().walk_revisions()}


def engine_name(engine: str) -> str:
    return {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(engine, engine)


def opened_archive(archive: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(archive, "r:gz")
    except FileNotFoundError:
        raise BackupRefused(f"{archive} does not exist.") from None
    except (tarfile.TarError, OSError, EOFError, zlib.error):
        raise BackupRefused(f"{archive} is damaged or not a backup (.tar.gz).") from None


@contextmanager
def reading(archive: Path) -> Iterator[tarfile.TarFile]:
    """The archive open for reading; any fault of its compression or layout is BackupRefused."""
    with opened_archive(archive) as opened:
        try:
            yield opened
        except (tarfile.TarError, OSError, EOFError, zlib.error):
            raise BackupRefused(
                f"{archive} is damaged: it ends early or its compressed data is corrupt."
            ) from None


def verified_manifest(archive: Path) -> Manifest:
    """The archive's manifest, once every file of the archive matches it (see restore_backup)."""
    with reading(archive) as opened:
        members = opened.getmembers()
        names = [member.name for member in members]
        for member in members:
            if problem := member_problem(member):
                raise BackupRefused(f"The backup is refused: {problem}.")
        if len(set(names)) != len(names):
            raise BackupRefused("The backup is refused: it holds a file twice.")
        by_name = {member.name: member for member in members}
        if MANIFEST_NAME not in by_name or by_name[MANIFEST_NAME].size > MAX_MANIFEST_BYTES:
            raise BackupRefused(f"{archive} holds no manifest.json: it is not a whole backup.")
        manifest = Manifest.from_json(read_member(opened, by_name[MANIFEST_NAME]))
        unlisted = sorted(set(by_name) - set(manifest.files) - {MANIFEST_NAME})
        missing = sorted(set(manifest.files) - set(by_name))
        if unlisted:
            raise BackupRefused(f"The backup is refused: {unlisted[0]!r} is not in its manifest.")
        if missing:
            raise BackupRefused(f"The backup is incomplete: {missing[0]!r} is missing.")
        for name, entry in manifest.files.items():
            if not name_allowed(name, manifest):
                raise BackupRefused(f"The backup is refused: {name!r} has no place in a backup.")
            with member_reader(opened, by_name[name]) as source:
                check_entry(name, entry, by_name[name].size, copied(source, None))
    return manifest


def name_allowed(name: str, manifest: Manifest) -> bool:
    """Whether ``name`` is the database snapshot or an uploaded file."""
    return name == manifest.database_file or name.startswith(UPLOADS_FOLDER + "/")


def member_reader(opened: tarfile.TarFile, member: tarfile.TarInfo) -> IO[bytes]:
    """The contents of ``member`` (a regular file, as checked before), for reading."""
    source = opened.extractfile(member)
    if source is None:
        raise BackupRefused(f"The backup is refused: {member.name!r} is not a regular file.")
    return source


def read_member(opened: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    with member_reader(opened, member) as source:
        return source.read()


def copied(source: IO[bytes], target: IO[bytes] | None) -> str:
    """Read ``source`` to its end (writing it to ``target``, if any); its SHA-256."""
    digest = hashlib.sha256()
    while chunk := source.read(CHUNK_BYTES):
        digest.update(chunk)
        if target is not None:
            target.write(chunk)
    return digest.hexdigest()


def check_entry(name: str, entry: FileEntry, size: int, sha256: str) -> None:
    if size != entry.size or sha256 != entry.sha256:
        raise BackupRefused(
            f"The backup is damaged: {name} does not match its checksum in the manifest. "
            "Nothing was restored; use another copy of the backup."
        )


def extract_verified(archive: Path, manifest: Manifest, staged: Path) -> None:
    """Write the archive's files under ``staged``, checking each again as it is written (the
    archive could have changed since it was checked)."""
    with reading(archive) as opened:
        for member in opened:
            if member.name == MANIFEST_NAME:
                continue
            entry = manifest.files.get(member.name)
            if entry is None or member_problem(member) is not None:
                raise BackupRefused(f"{archive} changed while it was read: nothing was restored.")
            target = staged.joinpath(*member.name.split("/"))
            target.parent.mkdir(parents=True, exist_ok=True)
            source = member_reader(opened, member)
            descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with source, open(descriptor, "wb") as written:
                check_entry(member.name, entry, member.size, copied(source, written))


def empty_database_help(url: URL) -> str:
    """How to give the platform an empty database like the one of ``url``."""
    if url.get_backend_name() == "sqlite":
        return (
            f"move {url.database} away (with its -wal and -shm files), or point DATABASE_URL at "
            "a new file"
        )
    owner = f"--owner={url.username} " if url.username else ""
    return (
        f"recreate it empty (dropdb {url.database} && createdb {owner}{url.database}), or "
        "point DATABASE_URL at a new database"
    )


def check_empty_database(url: URL, revision: str | None) -> None:
    """Refuse a database with rows in any table, or with the tables of another migration."""
    try:
        with db.engine.connect() as connection:
            tables = list(inspect(connection).get_table_names())
            filled = [
                name
                for name in tables
                if name != "alembic_version" and connection.scalar(text(row_count_query(name)))
            ]
            at = current_revision(connection) if tables else None
    except SQLAlchemyError as error:
        raise BackupRefused(f"The database does not answer: {one_line(error)}") from None
    if filled:
        raise BackupRefused(
            f"The database is not empty ({len(filled)} of its tables have rows, such as "
            f"{filled[0]!r}): a backup restores only into an empty database. To restore, "
            f"{empty_database_help(url)}. Nothing was changed."
        )
    if tables and at != revision:
        raise BackupRefused(
            f"The database has the tables of migration {at or 'none'}, the backup is of "
            f"{revision}: {empty_database_help(url)}. Nothing was changed."
        )


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def check_empty_upload_dir(upload_dir: Path) -> None:
    """Refuse an upload folder holding any file (empty folders are welcome)."""
    for relative, _path in upload_files(upload_dir, every=True):
        raise BackupRefused(
            f"The upload folder {upload_dir} is not empty (it holds {relative}, for one): "
            "move its files away or set UPLOAD_DIR to an empty folder. Nothing was changed."
        )


def place_uploads(staged: Path, upload_dir: Path, manifest: Manifest) -> list[Path]:
    """Move the staged uploads into the upload folder; the paths placed, in order."""
    placed: list[Path] = []
    try:
        for name in manifest.upload_files:
            relative = name.removeprefix(UPLOADS_FOLDER + "/").split("/")
            target = upload_dir.joinpath(*relative)
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists():
                raise BackupRefused(f"{target} appeared meanwhile: nothing was restored.")
            os.replace(staged.joinpath(*relative), target)
            placed.append(target)
    except BaseException:
        remove_placed(placed, upload_dir)
        raise
    return placed


def remove_placed(placed: list[Path], upload_dir: Path) -> None:
    """Undo :func:`place_uploads`: remove the files and the folders it made (if now empty)."""
    for path in placed:
        path.unlink(missing_ok=True)
        folder = path.parent
        while folder != upload_dir and folder.is_relative_to(upload_dir):
            try:
                folder.rmdir()
            except OSError:
                break
            folder = folder.parent


def restore_sqlite(snapshot: Path, database: Path) -> None:
    """Copy ``snapshot`` into the database file with SQLite's backup API."""
    database.parent.mkdir(parents=True, exist_ok=True)
    try:
        with (
            closing(sqlite3.connect(sqlite_uri(snapshot, read_only=True), uri=True)) as source,
            closing(sqlite3.connect(database)) as target,
        ):
            target.execute("PRAGMA busy_timeout = 5000")
            source.backup(target)
    except sqlite3.Error as error:
        raise BackupRefused(f"The database could not be restored: {error}.") from None


def restore_postgresql(dump: Path, url: URL) -> None:
    """Restore the dump with pg_restore, in one transaction: all of it or nothing.

    A database only migrated (tables, no rows) has them replaced (--clean). Owners and grants
    of the database backed up are left out: the restored tables belong to the configured user.
    """
    program = shutil.which(PG_RESTORE)
    if program is None:
        raise BackupRefused(
            "pg_restore is not installed: install the PostgreSQL client (apt install "
            "postgresql-client) of the server's major version or newer."
        )
    with db.engine.connect() as connection:
        has_tables = bool(inspect(connection).get_table_names())
    db.engine.dispose()
    address, environment = libpq_connection(url)
    command = [
        program,
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
        "--no-password",
        *(["--clean", "--if-exists"] if has_tables else []),
        f"--dbname={address}",
        str(dump),
    ]
    run_client(command, environment, url, doing="pg_restore failed; nothing was restored")
