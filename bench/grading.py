"""The grading scenario: students' code run in bubblewrap sandboxes, against the same code run
with only its rlimits (no sandbox), on this machine.

- **Throughput**: a trivial submission (one test) and a ten-test one, graded one after another
  and two at a time, each with the sandbox and then with only prlimit (the baseline: the same
  harness and tests, the same Python, nothing unshared, no user switch).
- **Latency**: one submission at a time on an idle machine, sandboxed: p50 and p95 from the
  grader taking it to its report.
- **Burst**: a class of 35 submitting at once, graded by two graders (one per core): how long
  until the last is graded.
- **Pages during the burst**: the demo student's quest map, served by the platform under
  gunicorn and loaded by wrk, in rounds: idle, then while bursts of 35 are graded one after
  another for the whole measured run (one burst is shorter than the shortest wrk run). Each
  round's ratio is the p99 during the bursts ÷ the p99 idle, measured just before.

This measures the sandbox and the harness, the part of grading that code races multiply; the
queue and the page around it are the same for every job (jobs.py).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from bench.harness import demo_logins, get, gunicorn, setup_line, sign_in
from bench.wrk import WrkResult, refuse_errors, run_wrk
from quest_platform.sandbox import Call, Limits, run_tests, sandbox_refused
from quest_platform.sandbox.runner import PYTHON, rlimits

TRIVIAL = "def add(a, b):\n    return a + b\n"
TEN_TESTS = [Call(f"t{n}", "add", [n, n * 2]) for n in range(10)]
LIMITS = Limits()
HARNESS = Path(__file__).resolve().parents[1] / "quest_platform" / "sandbox" / "harness.py"
# A class submitting at once, and the graders (one per core) that take their submissions.
CLASS_SIZE = 35
GRADERS = 2
# The page a student reads while the class's code is graded.
PAGE = ("quest map", "/quests")


def sandboxed(calls: list[Call]) -> Callable[[], None]:
    def grade() -> None:
        report = run_tests(source=TRIVIAL, calls=calls, runs=[], limits=LIMITS, seconds=2)
        if len(report.outcomes) != len(calls):
            raise RuntimeError(f"a sandboxed run lost tests: {report}")

    return grade


def unsandboxed(calls: list[Call]) -> Callable[[], None]:
    """The same harness and tests under prlimit only, from a task folder of its own."""

    def grade() -> None:
        with tempfile.TemporaryDirectory(prefix="quest-bench-task-") as task:
            folder = Path(task)
            (folder / "harness.py").write_bytes(HARNESS.read_bytes())
            (folder / "submission.py").write_text(TRIVIAL)
            tests = {
                "calls": [{"id": c.id, "function": c.function, "args": c.args} for c in calls],
                "runs": [],
                "seconds_per_test": 2,
            }
            (folder / "tests.json").write_text(json.dumps(tests))
            done = subprocess.run(
                [*rlimits(LIMITS), PYTHON, "-I", "-S", str(folder / "harness.py"), task],
                capture_output=True,
                timeout=10,
                check=True,
            )
            if done.stdout.count(b'"value"') != len(calls):
                raise RuntimeError("an unsandboxed run lost tests")

    return grade


def per_second(grade: Callable[[], None], *, seconds: float, at_once: int) -> float:
    """Gradings per second, ``at_once`` at a time, over about ``seconds``."""
    done = 0
    begun = time.perf_counter()
    with ThreadPoolExecutor(max_workers=at_once) as pool:
        while time.perf_counter() - begun < seconds:
            list(pool.map(lambda _: grade(), range(at_once)))
            done += at_once
    return done / (time.perf_counter() - begun)


def run_grading(
    args: argparse.Namespace, *, env: dict[str, str], database: str, folder: Path
) -> None:
    """Print the throughput table, the latency, the burst and the pages during the burst."""
    if reason := sandbox_refused():
        raise SystemExit(f"cannot run the grading scenario: {reason}")
    print("throughput: gradings per second, sandboxed and with rlimits only")
    print(f"{'submission':<12} {'at once':>7} {'sandbox':>9} {'rlimits':>9} {'ratio':>7}")
    for name, calls in (("trivial", TEN_TESTS[:1]), ("10 tests", TEN_TESTS)):
        for at_once in (1, 2):
            ratios = []
            rates = []
            for _round in range(args.rounds):
                # The baseline runs just before, on the same machine state.
                base = per_second(unsandboxed(calls), seconds=args.seconds, at_once=at_once)
                boxed = per_second(sandboxed(calls), seconds=args.seconds, at_once=at_once)
                ratios.append(boxed / base)
                rates.append((boxed, base))
            boxed, base = rates[len(rates) // 2]
            ratio = statistics.median(ratios)
            print(f"{name:<12} {at_once:>7} {boxed:>9.1f} {base:>9.1f} {ratio:>7.2f}")

    latencies = []
    grade = sandboxed(TEN_TESTS)
    for _ in range(100):
        begun = time.perf_counter()
        grade()
        latencies.append((time.perf_counter() - begun) * 1000)
        time.sleep(0.02)
    cuts = statistics.quantiles(latencies, n=20)
    print(
        f"\nlatency, one 10-test submission at a time: p50 {statistics.median(latencies):.0f} ms,"
        f" p95 {cuts[18]:.0f} ms (target p95 ≤ 300 ms)"
    )

    finished = burst(grade)
    print(
        f"burst: {CLASS_SIZE} submissions at once, {GRADERS} graders: the last graded after"
        f" {max(finished):.2f} s (median {statistics.median(finished):.2f} s; target ≤ 5 s)"
    )

    workers = args.workers[0]
    with gunicorn("quest_platform:create_app()", env=env, workers=workers) as port:
        cookie = sign_in(port, *demo_logins(folder)["student"])
        if (status := get(port, PAGE[1], cookie)[0]) != 200:
            raise SystemExit(f"{PAGE[1]} answered {status} before the run")
        rounds = pages_during_bursts(args, port, cookie, grade)
    print(
        f"\n{setup_line(database, env, workers)}; wrk --threads {args.threads} --connections "
        f"{args.connections}, {args.seconds:.0f} s after a 2 s warm-up; {args.rounds} rounds"
    )
    print(pages_report(rounds))


def burst(grade: Callable[[], None]) -> list[float]:
    """A class's submissions at once, graded by the graders: when each was done, in seconds."""
    begun = time.perf_counter()

    def timed(_: int) -> float:
        grade()
        return time.perf_counter() - begun

    with ThreadPoolExecutor(max_workers=GRADERS) as pool:
        return list(pool.map(timed, range(CLASS_SIZE)))


@contextmanager
def bursts_graded(grade: Callable[[], None], bursts: list[list[float]]) -> Iterator[None]:
    """Bursts graded one after another, by a thread of their own, for the block; each burst's
    finishing times are added to ``bursts``. A grading that fails stops the scenario."""
    stop = threading.Event()
    failed: list[Exception] = []

    def keep_grading() -> None:
        try:
            while not stop.is_set():
                bursts.append(burst(grade))
        except Exception as error:  # raised again once the block is over
            failed.append(error)

    grader = threading.Thread(target=keep_grading)
    grader.start()
    try:
        yield
    finally:
        stop.set()
        grader.join()
    if failed:
        raise SystemExit(f"a grading failed during the page run: {failed[0]}")


def pages_during_bursts(
    args: argparse.Namespace, port: int, cookie: str, grade: Callable[[], None]
) -> list[tuple[WrkResult, WrkResult, int]]:
    """Rounds of the page idle, then while bursts are graded: each round's two runs and the
    bursts graded during the second."""
    name, path = PAGE
    wrk = {"port": port, "path": path, "cookie": cookie, "seconds": args.seconds}
    wrk |= {"connections": args.connections, "threads": args.threads}
    rounds = []
    for _ in range(args.rounds):
        bursts: list[list[float]] = []
        idle = run_wrk(name=f"{name}, idle", **wrk)
        busy = run_wrk(name=f"{name}, during bursts", during=bursts_graded(grade, bursts), **wrk)
        rounds.append((idle, busy, len(bursts)))
    refuse_errors(run for idle, busy, _bursts in rounds for run in (idle, busy))
    return rounds


def pages_report(rounds: list[tuple[WrkResult, WrkResult, int]]) -> str:
    """The page's p99 during the bursts against its p99 idle, from the round with the median
    ratio (the upper one of an even count), with the range of the rounds' ratios."""
    ratios = sorted((busy.p99 / idle.p99, n) for n, (idle, busy, _bursts) in enumerate(rounds))
    ratio, median = ratios[len(ratios) // 2]
    idle, busy, bursts = rounds[median]
    spread = f"{ratios[0][0]:.2f}–{ratios[-1][0]:.2f}"
    return "\n".join(
        [
            f"web pages while the burst is graded: the {PAGE[0]} ({PAGE[1]}), signed in as the"
            " demo student",
            f"{'':<22}{'req/s':>7}{'p50 ms':>8}{'p99 ms':>8}",
            f"{'idle':<22}{idle.rps:>7.0f}{idle.p50:>8.1f}{idle.p99:>8.1f}",
            f"{f'during {bursts} bursts':<22}{busy.rps:>7.0f}{busy.p50:>8.1f}{busy.p99:>8.1f}",
            f"p99 ratio (during ÷ idle): {ratio:.2f} (rounds {spread})",
            f"bursts: {CLASS_SIZE} submissions at once, {GRADERS} graders, one after another for"
            " the whole measured run; the idle run just before, in the same round. Median round"
            " shown.",
        ]
    )
