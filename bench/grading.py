"""The grading scenario: students' code run in bubblewrap sandboxes, against the same code run
with only its rlimits (no sandbox), on this machine.

- **Throughput**: a trivial submission (one test) and a ten-test one, graded one after another
  and two at a time, each with the sandbox and then with only prlimit (the baseline: the same
  harness and tests, the same Python, nothing unshared, no user switch).
- **Latency**: one submission at a time on an idle machine, sandboxed: p50 and p95 from the
  grader taking it to its report.
- **Burst**: a class of 35 submitting at once, graded by two graders (one per core): how long
  until the last is graded.

This measures the sandbox and the harness, the part of grading that code races multiply; the
queue and the page around it are the same for every job (jobs.py).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from quest_platform.sandbox import Call, Limits, run_tests, sandbox_refused
from quest_platform.sandbox.runner import PYTHON, rlimits

TRIVIAL = "def add(a, b):\n    return a + b\n"
TEN_TESTS = [Call(f"t{n}", "add", [n, n * 2]) for n in range(10)]
LIMITS = Limits()
HARNESS = Path(__file__).resolve().parents[1] / "quest_platform" / "sandbox" / "harness.py"


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


def run_grading(args: argparse.Namespace) -> None:
    """Print the three tables."""
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

    begun = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2) as pool:
        finished = list(pool.map(lambda _: timed(grade, begun), range(35)))
    print(
        f"burst: 35 submissions at once, 2 graders: the last graded after {max(finished):.2f} s"
        f" (median {statistics.median(finished):.2f} s; target ≤ 5 s)"
    )


def timed(grade: Callable[[], None], begun: float) -> float:
    grade()
    return time.perf_counter() - begun
