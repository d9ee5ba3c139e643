"""Run untrusted Python in a fresh bubblewrap sandbox, within limits, and read back its output.

Each run gets its own sandbox (Debian's ``bubblewrap``):

- every namespace unshared: no network at all, its own process tree (when its first process
  ends, the kernel ends every process left inside, daemons included), its own host name;
- the system's ``/usr`` read-only and nothing else of the machine: no ``/etc``, no home, none
  of the platform's files, database, instance folder or environment variables (the sandbox
  starts from an empty environment, so even ``/proc/1/environ`` holds nothing);
- the task's files read-only at ``/task``, and a private work directory (``/work``, the
  current directory) and ``/tmp`` in memory, each capped in size;
- when the platform runs as root, a user id of its own from a range no account of the machine
  uses (:data:`SANDBOX_UIDS`), with no capabilities, so that the process limit is the run's
  own (a fork bomb in one run cannot starve another); otherwise the grader's own unprivileged
  user (run the grader as a user of its own);
- rlimits on CPU time, memory, file size and processes, a wall-clock limit that kills the whole
  process group, and output kept up to a cap (a run that prints past it is stopped).

Where the kernel refuses user namespaces, :func:`check_sandbox` says so and nothing is run:
code is never run outside a sandbox.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import selectors
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

BWRAP = "/usr/bin/bwrap"
SETPRIV = "/usr/bin/setpriv"
PRLIMIT = "/usr/bin/prlimit"
# The Python of the system (Debian's), which the sandbox sees under its read-only /usr.
PYTHON = "/usr/bin/python3"
# User and group ids for runs started by root: above the ids of accounts and of the system.
SANDBOX_UIDS = range(200_000, 210_000)


class SandboxUnavailable(RuntimeError):
    """This machine cannot run code in a sandbox, so it runs none (the message says why)."""


@dataclass(frozen=True)
class Limits:
    """What one run may use."""

    cpu_seconds: int = 2
    wall_seconds: float = 5.0
    memory_mb: int = 256
    # Processes at once (RLIMIT_NPROC, counted per user id: each run started by root has its own).
    processes: int = 64
    # Written files, each and in all (the work directory's size).
    disk_mb: int = 8
    # Standard output and standard error kept, together; a run that prints more is stopped.
    output_bytes: int = 64_000


@dataclass(frozen=True)
class Run:
    """How a run ended and what it printed (cut at the limit)."""

    exit_code: int | None
    stdout: bytes
    stderr: bytes
    timed_out: bool = False
    output_cut: bool = False

    @property
    def killed_by(self) -> str | None:
        """The signal that ended the run ("SIGKILL"), if one did."""
        if self.exit_code is None or self.exit_code >= 0:
            return None
        return signal.Signals(-self.exit_code).name


def bwrap_command(*, task_dir: Path, command: list[str], limits: Limits) -> list[str]:
    """The command line that runs ``command`` in a sandbox with ``task_dir`` at ``/task``."""
    size = str(limits.disk_mb * 1024 * 1024)
    sandbox = [
        BWRAP,
        "--unshare-all",
        "--die-with-parent",
        "--new-session",
        "--cap-drop",
        "ALL",
        "--hostname",
        "sandbox",
        "--clearenv",
        *("--setenv", "PATH", "/usr/bin"),
        *("--setenv", "HOME", "/work"),
        *("--setenv", "LANG", "C.UTF-8"),
        *("--setenv", "PYTHONDONTWRITEBYTECODE", "1"),
        *("--ro-bind", "/usr", "/usr"),
        *("--symlink", "usr/bin", "/bin"),
        *("--symlink", "usr/lib", "/lib"),
        *(("--symlink", "usr/lib64", "/lib64") if Path("/usr/lib64").is_dir() else ()),
        *("--proc", "/proc"),
        *("--dev", "/dev"),
        *("--size", size, "--tmpfs", "/tmp"),  # noqa: S108 (the sandbox's own /tmp, in memory)
        *("--size", size, "--tmpfs", "/work"),
        *("--ro-bind", str(task_dir), "/task"),
        *("--chdir", "/work"),
        # The sandbox's own root, made for it, is read-only too: only /work and /tmp take files.
        *("--remount-ro", "/"),
        "--",
        *command,
    ]
    if os.geteuid() != 0:
        return [*rlimits(limits), *sandbox]
    # As root, become an unprivileged user first: inside, root would still map to root.
    uid = SANDBOX_UIDS[secrets.randbelow(len(SANDBOX_UIDS))]
    user = [SETPRIV, f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--"]
    return [*rlimits(limits), *user, *sandbox]


def rlimits(limits: Limits) -> list[str]:
    """util-linux's prlimit command that starts the rest of the command line with the run's
    rlimits (soft and hard), inherited by every process of the sandbox."""
    memory = limits.memory_mb * 1024 * 1024
    disk = limits.disk_mb * 1024 * 1024
    return [
        PRLIMIT,
        f"--cpu={limits.cpu_seconds}:{limits.cpu_seconds + 1}",
        f"--as={memory}",
        f"--fsize={disk}",
        f"--nproc={limits.processes}",
        "--core=0",
        "--",
    ]


def run_sandboxed(
    *,
    files: Mapping[str, bytes],
    command: list[str],
    stdin: bytes = b"",
    limits: Limits = Limits(),
) -> Run:
    """Run ``command`` in a fresh sandbox whose ``/task`` holds ``files``; wait for it to end
    (or kill it at the wall-clock limit) and return what it printed."""
    check_sandbox()
    with tempfile.TemporaryDirectory(prefix="quest-task-") as task:
        task_dir = Path(task)
        task_dir.chmod(0o755)
        for name, content in files.items():
            path = task_dir / name
            path.write_bytes(content)
            path.chmod(0o644)
        argv = bwrap_command(task_dir=task_dir, command=command, limits=limits)
        # An empty environment: the sandbox's first process is this one, and its environment
        # would show in /proc/1/environ.
        process = subprocess.Popen(  # noqa: S603 (a fixed command line, no shell)
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={},
            start_new_session=True,
        )
        return collect(process, stdin=stdin, limits=limits)


def collect(process: subprocess.Popen[bytes], *, stdin: bytes, limits: Limits) -> Run:
    """Feed ``stdin``, read the output up to its cap, and end the run at its deadline."""
    # Popen made all three pipes; the checks tell the type checker so.
    if process.stdin is None or process.stdout is None or process.stderr is None:
        raise ValueError("the run's standard streams must be pipes")
    deadline = time.monotonic() + limits.wall_seconds
    try:
        process.stdin.write(stdin)
        process.stdin.close()
    except BrokenPipeError:
        pass  # the program ended, or closed its input, before reading it all
    out_fd, err_fd = process.stdout.fileno(), process.stderr.fileno()
    outputs = {out_fd: bytearray(), err_fd: bytearray()}
    timed_out = cut = False
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        selector.register(process.stderr, selectors.EVENT_READ)
        while selector.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            for key, _events in selector.select(timeout=left):
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    selector.unregister(key.fileobj)
                    continue
                outputs[key.fd] += chunk
                if sum(map(len, outputs.values())) > limits.output_bytes:
                    cut = True
            if cut:
                break
    if timed_out or cut:
        kill_group(process)
    try:
        exit_code = process.wait(timeout=max(0.1, deadline - time.monotonic()) + 1)
    except subprocess.TimeoutExpired:
        # The output closed but the program went on: it ran out of time.
        timed_out = True
        kill_group(process)
        exit_code = process.wait()
    process.stdout.close()
    process.stderr.close()
    stdout, stderr = bytes(outputs[out_fd]), bytes(outputs[err_fd])
    cap = limits.output_bytes
    return Run(
        exit_code=None if timed_out else exit_code,
        stdout=stdout[:cap],
        stderr=stderr[: max(0, cap - len(stdout))],
        timed_out=timed_out,
        output_cut=cut,
    )


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """Kill the run's process group (the sandbox's own processes die with its first one)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def check_sandbox() -> None:
    """Raise :class:`SandboxUnavailable`, saying why, unless sandboxes can run here."""
    if reason := sandbox_refused():
        raise SandboxUnavailable(reason)


@cache
def sandbox_refused() -> str | None:
    """Why this machine cannot run sandboxes, or None when it can (asked once per process)."""
    if not Path(BWRAP).exists():
        return "bubblewrap is not installed (apt-get install bubblewrap): code is not run"
    if not Path(PYTHON).exists():
        return f"{PYTHON} is missing (apt-get install python3): code is not run"
    with tempfile.TemporaryDirectory(prefix="quest-probe-") as task:
        Path(task).chmod(0o755)
        argv = bwrap_command(task_dir=Path(task), command=["/usr/bin/true"], limits=Limits())
        probe = subprocess.run(argv, capture_output=True, env={}, timeout=10, check=False)  # noqa: S603
    if probe.returncode != 0:
        reason = probe.stderr.decode(errors="replace").strip() or f"exit {probe.returncode}"
        return f"this machine refuses the sandbox's namespaces ({reason}): code is not run"
    return None
