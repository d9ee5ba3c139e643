"""The fault scenario's own servers: a PostgreSQL cluster, a Redis and a small upload disk.

Each is made for the run and removed at its end, whatever happens (the ``with`` blocks below),
so the machine's shared PostgreSQL (5432) and Redis (6379) are never touched: the faults
restart, stop and fill only what the run made.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.harness import free_port

POSTGRES_VERSION = "15"
# One name for the run's cluster: a cluster of this name left by a run that was killed is
# dropped before a new one is made.
CLUSTER = "questfaults"
DATABASE = "quest"


def run(*command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a command, its output captured; a failure names the command and what it said."""
    done = subprocess.run(command, capture_output=True, text=True)
    if check and done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")
    return done


def port_free(port: int) -> bool:
    """Whether nothing listens on ``port`` of loopback."""
    import socket

    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


@dataclass
class Postgres:
    """The run's PostgreSQL cluster (pg_createcluster), restarted by the faults."""

    port: int

    @property
    def url(self) -> str:
        """The URL of the run's database, for the platform and the checks."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def restart(self, mode: str) -> None:
        """Restart the cluster in ``mode`` (fast: connections closed cleanly; immediate: as
        after a crash, recovering from the WAL)."""
        run("pg_ctlcluster", POSTGRES_VERSION, CLUSTER, "restart", "-m", mode)


def drop_cluster() -> None:
    """Stop and remove the run's cluster, if there is one."""
    if Path(f"/etc/postgresql/{POSTGRES_VERSION}/{CLUSTER}").exists():
        run("pg_dropcluster", "--stop", POSTGRES_VERSION, CLUSTER, check=False)


@contextmanager
def postgres_cluster() -> Iterator[Postgres]:
    """A new PostgreSQL cluster on a free port, trusting loopback, with an empty database;
    stopped and dropped at the end."""
    if shutil.which("pg_createcluster") is None:
        raise SystemExit("the faults scenario needs pg_createcluster (postgresql-common)")
    drop_cluster()
    port = 5439 if port_free(5439) else free_port()
    try:
        run(
            *("pg_createcluster", POSTGRES_VERSION, CLUSTER, "-p", str(port)),
            *("--start-conf", "manual", "--", "--auth=trust"),
        )
        run("pg_ctlcluster", POSTGRES_VERSION, CLUSTER, "start")
        run("su", "postgres", "-c", f"createdb -p {port} {DATABASE}")
        yield Postgres(port)
    finally:
        drop_cluster()


@dataclass
class Redis:
    """The run's Redis, stopped and started again by the faults; it keeps what it holds (the
    sessions) across a stop, in a dump file of its own folder, as a Redis with persistence
    would."""

    port: int
    folder: Path

    @property
    def url(self) -> str:
        """The URL of the run's Redis."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start the server and wait until it answers."""
        run(
            *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
            *("--save", "", "--appendonly", "no", "--daemonize", "yes"),
            *("--dir", str(self.folder), "--pidfile", str(self.folder / "redis.pid")),
            *("--logfile", str(self.folder / "redis.log")),
        )
        deadline = time.monotonic() + 30
        while self.cli("ping").stdout.strip() != "PONG":
            if time.monotonic() > deadline:
                raise SystemExit("the run's Redis did not start")
            time.sleep(0.05)

    def stop(self, *, keep: bool = True) -> None:
        """Stop the server: saving what it holds (``keep``), or not."""
        self.cli("shutdown", "save" if keep else "nosave")
        pid_file = self.folder / "redis.pid"
        deadline = time.monotonic() + 10
        while not port_free(self.port) and time.monotonic() < deadline:
            time.sleep(0.05)
        if not port_free(self.port) and pid_file.exists():
            os.kill(int(pid_file.read_text()), 9)

    def cli(self, *command: str) -> subprocess.CompletedProcess[str]:
        """A redis-cli command on the run's Redis."""
        return run("redis-cli", "-p", str(self.port), *command, check=False)


@contextmanager
def redis_server(folder: Path) -> Iterator[Redis]:
    """A Redis of the run's own on a free port; stopped at the end."""
    folder.mkdir(parents=True, exist_ok=True)
    port = 6389 if port_free(6389) else free_port()
    server = Redis(port, folder)
    server.start()
    try:
        yield server
    finally:
        server.stop(keep=False)


@dataclass
class SmallDisk:
    """The upload folder on a filesystem of its own, a few megabytes large, that the disk fault
    fills (``how`` says what it is: tmpfs, a loop-mounted ext4 image, or the plain folder when
    neither could be mounted)."""

    folder: Path
    how: str

    @property
    def filler(self) -> Path:
        return self.folder / ".fault-filler"

    def fill(self) -> int:
        """Fill the filesystem to its last byte with one file; its size in bytes."""
        written = 0
        block = b"\0" * 65536
        # Unbuffered: every write reaches the disk or fails there, none is left for the close.
        with self.filler.open("wb", buffering=0) as output:
            # Smaller writes take the last bytes a larger one did not fit in.
            for size in (len(block), 4096, 512, 1):
                try:
                    while True:
                        written += output.write(block[:size]) or 0
                except OSError:
                    pass
        return written

    def free(self) -> None:
        """Remove the filler."""
        self.filler.unlink(missing_ok=True)


@contextmanager
def small_disk(folder: Path, megabytes: int = 2) -> Iterator[SmallDisk]:
    """``folder`` as a filesystem of ``megabytes``: tmpfs, else an ext4 image on a loop device,
    else (no mount allowed) the plain folder, which the disk fault then cannot fill."""
    folder.mkdir(parents=True, exist_ok=True)
    tried = run(
        "mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs", str(folder), check=False
    )
    how = "tmpfs"
    if tried.returncode != 0:
        image = folder.with_suffix(".img")
        with image.open("wb") as output:
            output.truncate(max(megabytes, 2) * 1024 * 1024)
        made = run("mkfs.ext4", "-q", "-F", str(image), check=False)
        tried = run("mount", "-o", "loop", str(image), str(folder), check=False)
        how = "ext4 image on a loop device"
        if made.returncode != 0 or tried.returncode != 0:
            how = "none: mounting is not permitted here"
    try:
        yield SmallDisk(folder, how)
    finally:
        if not how.startswith("none"):
            run("umount", str(folder), check=False)
