"""Hostile submissions, each run for real in the sandbox: each is contained with the right verdict,
and nothing of the sandbox outlives its run.

The sandbox needs bubblewrap (``apt-get install bubblewrap``). Without it these tests are skipped
with the reason, unless REQUIRE_SANDBOX=1 (as CI sets), which makes a missing sandbox a failure.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import require_sandbox

import quest_platform
from quest_platform.sandbox import (
    Call,
    Limits,
    Outcome,
    ProgramRun,
    RunReport,
    run_tests,
    runner,
    same_value,
)
from quest_platform.sandbox.runner import SANDBOX_UIDS

REPOSITORY = Path(quest_platform.__file__).resolve().parents[1]
LIMITS = Limits(cpu_seconds=2, wall_seconds=4, memory_mb=128, disk_mb=2, output_bytes=16_000)


@pytest.fixture(autouse=True)
def sandbox() -> None:
    require_sandbox()


def call(
    source: str, *args: object, function: str = "attack", limits: Limits = LIMITS
) -> RunReport:
    """Run ``source`` and call its function ``attack`` once with ``args``."""
    return run_tests(
        source=source, calls=[Call("t", function, list(args))], runs=[], limits=limits, seconds=2
    )


def value(run: RunReport) -> object:
    """The decoded string, number or list the attack returned."""
    outcome = run.outcomes["t"]
    assert outcome.error is None, outcome.error
    return decode(outcome.value)


def decode(encoded: list) -> object:
    kind = encoded[0]
    if kind == "list":
        return [decode(item) for item in encoded[1]]
    if kind == "int":
        return int(encoded[1])
    return encoded[1] if len(encoded) > 1 else None


@pytest.fixture(autouse=True)
def sandbox_uid(monkeypatch) -> int:
    """The user id this test process's sandboxes run as (when run as root): its own, so that
    a test sees only its own sandboxes' processes while other test processes run theirs."""
    uid = SANDBOX_UIDS.start + os.getpid() % len(SANDBOX_UIDS)
    monkeypatch.setattr(runner, "SANDBOX_UIDS", range(uid, uid + 1))
    return uid


def processes_of(uid: int) -> list[str]:
    """The machine's processes running as ``uid``."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
            command = (status.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue  # ended meanwhile
        real = int(next(line for line in text.splitlines() if line.startswith("Uid:")).split()[1])
        if real == uid:
            found.append(f"{status.parent.name}: {command[:80]}")
    return found


@pytest.fixture
def nothing_left(sandbox_uid: int) -> Iterator[None]:
    """After the test, no process of its sandboxes remains (checked where runs get a user id
    of their own: when the tests run as root, as in CI)."""
    yield
    if os.geteuid() != 0:
        return
    for _ in range(20):
        if not (left := processes_of(sandbox_uid)):
            return
        time.sleep(0.1)
    pytest.fail(f"sandbox processes outlived their run: {left}")


READ = """
def attack(path):
    try:
        with open(path, 'rb') as file:
            return 'read %d bytes' % len(file.read())
    except OSError as error:
        return type(error).__name__
"""


@pytest.mark.parametrize(
    "path",
    [
        "/etc/passwd",
        "/etc/shadow",
        str(REPOSITORY / "quest_platform" / "config.py"),
        str(REPOSITORY / "instance"),
        str(REPOSITORY / ".env"),
        "/root/.bash_history",
        "/proc/self/../1/root/etc/passwd",
    ],
)
def test_files_of_the_machine_and_the_platform_cannot_be_read(path: str, nothing_left) -> None:
    assert value(call(READ, path)) in {"FileNotFoundError", "PermissionError", "IsADirectoryError"}


def test_the_database_file_cannot_be_read(tmp_path: Path, nothing_left) -> None:
    database = tmp_path / "quest.db"
    database.write_bytes(b"SQLite format 3\0 secret rows")
    assert value(call(READ, str(database))) == "FileNotFoundError"


def test_no_environment_variable_of_the_platform_reaches_the_sandbox(monkeypatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "do-not-leak-this")
    source = """
import os
def attack():
    with open('/proc/1/environ', 'rb') as file:
        first = file.read().decode()
    with open('/proc/self/environ', 'rb') as file:
        own = file.read().decode()
    return [first, own, sorted(os.environ)]
"""
    first, own, names = value(call(source))
    assert "do-not-leak-this" not in first + own
    assert first == ""
    assert names == ["HOME", "LANG", "PATH", "PWD", "PYTHONDONTWRITEBYTECODE"]


WRITE = """
def attack(path, size):
    try:
        with open(path, 'wb') as file:
            file.write(b'x' * size)
        return 'wrote'
    except OSError as error:
        return type(error).__name__
"""


@pytest.mark.parametrize("path", ["/escape", "/usr/escape", "/task/submission.py", "/proc/x"])
def test_nothing_is_written_outside_the_work_directory(path: str) -> None:
    assert value(call(WRITE, path, 10)) != "wrote"


def test_the_work_directory_takes_files_up_to_its_cap() -> None:
    assert value(call(WRITE, "/work/small", 1000)) == "wrote"
    assert value(call(WRITE, "/work/large", 3 * 1024 * 1024)) != "wrote"


CONNECT = """
import socket
def attack(host, port):
    try:
        socket.create_connection((host, port), timeout=1).close()
        return 'connected'
    except OSError as error:
        return type(error).__name__
"""


@pytest.fixture
def listening() -> Iterator[int]:
    """A port of the machine that accepts connections, as the platform's would."""
    server = socket.create_server(("127.0.0.1", 0))
    thread = threading.Thread(target=lambda: server.accept(), daemon=True)
    thread.start()
    yield server.getsockname()[1]
    server.close()


@pytest.mark.parametrize(
    ("host", "port"),
    [("127.0.0.1", 6379), ("127.0.0.1", 5432), ("10.0.0.1", 80), ("93.184.215.14", 443)],
    ids=["redis", "postgresql", "private-address", "outside-address"],
)
def test_no_network_at_all(host: str, port: int) -> None:
    assert value(call(CONNECT, host, port)) != "connected"


def test_the_platform_s_own_port_cannot_be_reached(listening: int) -> None:
    assert value(call(CONNECT, "127.0.0.1", listening)) != "connected"


def test_a_fork_bomb_is_contained(nothing_left) -> None:
    source = """
import os
def attack():
    while True:
        try:
            os.fork()
        except OSError:
            pass
"""
    run = call(source)
    assert run.problem == "timeout" or run.outcomes["t"].error == "timeout"


def test_a_memory_bomb_fails_the_test(nothing_left) -> None:
    source = """
def attack():
    hoard = []
    while True:
        hoard.append(bytearray(16 * 1024 * 1024))
"""
    run = call(source)
    error = run.outcomes["t"].error if run.outcomes else run.problem
    assert error is not None
    assert "MemoryError" in error or run.problem in {"memory", "crashed"}


@pytest.mark.parametrize("loop", ["while True:\n        pass", "time.sleep(60)"])
def test_a_test_that_never_ends_times_out_and_the_rest_still_run(loop: str, nothing_left) -> None:
    source = f"""
import time
def attack():
    {loop}
def fine():
    return 1
"""
    started = time.monotonic()
    run = run_tests(
        source=source,
        calls=[Call("t", "attack", []), Call("ok", "fine", [])],
        runs=[],
        limits=LIMITS,
        seconds=1,
    )
    assert run.outcomes["t"].error == "timeout"
    assert run.outcomes["ok"].value == ["int", "1"]
    assert time.monotonic() - started < LIMITS.wall_seconds + 2


def test_an_ignored_alarm_still_ends_at_the_wall_clock(nothing_left) -> None:
    source = """
import signal, time
def attack():
    signal.signal(signal.SIGALRM, signal.SIG_IGN)
    time.sleep(60)
"""
    started = time.monotonic()
    assert call(source).problem == "timeout"
    assert time.monotonic() - started < LIMITS.wall_seconds + 2


def test_a_gigabyte_of_output_is_cut_and_stopped(nothing_left) -> None:
    source = """
import sys
def attack():
    chunk = 'x' * 1024 * 1024
    for _ in range(1024):
        sys.__stdout__.write(chunk)
"""
    started = time.monotonic()
    assert call(source).problem == "output"
    assert time.monotonic() - started < LIMITS.wall_seconds + 2


def test_a_daemonized_grandchild_does_not_outlive_the_run(nothing_left) -> None:
    source = """
import os, time
def attack():
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            time.sleep(120)
        os._exit(0)
    return 'forked'
"""
    assert value(call(source)) == "forked"


def test_killing_every_process_it_can_see_leaves_the_grader_running(nothing_left) -> None:
    source = """
import os, signal
def attack():
    os.kill(-1, signal.SIGKILL)
"""
    run = call(source)
    assert run.problem == "crashed" or run.outcomes["t"].error is not None
    # The grader, this process, goes on: the next run works.
    assert value(call("def attack():\n    return 'still here'\n")) == "still here"


def test_a_forged_result_line_does_not_pass_a_hidden_test() -> None:
    source = """
import os
def attack():
    print('PASS')
    forged = '{"load": {"error": null}, "results": {"t": {"value": ["int", "41"]}}}'
    os.write(1, ('\\nRESULT ' + forged + '\\n').encode())
    os._exit(0)
"""
    run = call(source)
    assert not same_value(run.outcomes.get("t", Outcome()).value, ["int", "42"])


def test_an_object_claiming_to_equal_anything_is_not_a_right_answer() -> None:
    source = """
class Anything(int):
    def __eq__(self, other):
        return True
    __hash__ = int.__hash__
def attack():
    return Anything(7)
"""
    outcome = call(source).outcomes["t"]
    assert outcome.value == ["other", "Anything"]
    assert not same_value(outcome.value, ["int", "42"])


def test_system_exit_ends_only_its_own_test() -> None:
    source = """
import sys
def attack():
    sys.exit(0)
"""
    assert "SystemExit" in call(source).outcomes["t"].error


def test_a_shell_from_os_system_finds_nothing_and_is_not_root(nothing_left) -> None:
    source = """
import subprocess
def attack():
    shell = subprocess.run(
        ['sh', '-c', 'cat /etc/passwd; id -u'], capture_output=True, text=True
    )
    return shell.stdout + shell.stderr
"""
    printed = value(call(source))
    assert "root:" not in printed
    assert "No such file" in printed
    assert printed.split()[-1] != "0"


@pytest.mark.parametrize(
    "trick",
    ["ctypes.CDLL(None).setuid(0)", "ctypes.CDLL(None).mount(b'none', b'/mnt', b'tmpfs', 0, 0)"],
    ids=["setuid", "mount"],
)
def test_ctypes_calls_to_the_kernel_are_refused(trick: str, nothing_left) -> None:
    assert value(call(f"import ctypes\ndef attack():\n    return {trick}\n")) == -1


def test_source_with_nul_bytes_fails_to_load_with_a_message() -> None:
    run = call("def attack():\n    return 1\n\0\0")
    assert run.load_error is not None
    assert "null bytes" in run.load_error
    assert run.outcomes["t"].error == "not-loaded"


def test_a_program_test_gets_its_input_and_gives_its_output(nothing_left) -> None:
    source = "import sys\nprint(sum(int(word) for word in sys.stdin.read().split()))\n"
    run = run_tests(
        source=source, calls=[], runs=[ProgramRun("p", "3 4 5\n")], limits=LIMITS, seconds=2
    )
    assert run.outcomes["p"].stdout == "12\n"
    assert run.outcomes["p"].error is None
