"""Students' code, run in a sandbox: send the source and the tests' inputs, get back what came out.

:mod:`.runner` builds the bubblewrap command and its limits; :mod:`.harness` runs inside the
sandbox. Expected results never enter the sandbox: :func:`same_value` compares outside, on the
harness's typed, serialized form of each value (see :func:`.harness.encode`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quest_platform.sandbox.harness import MARKER, encode
from quest_platform.sandbox.runner import (
    PYTHON,
    Limits,
    Run,
    SandboxUnavailable,
    check_sandbox,
    run_sandboxed,
    sandbox_refused,
)

__all__ = [
    "Call",
    "Limits",
    "Outcome",
    "ProgramRun",
    "RunReport",
    "SandboxUnavailable",
    "check_sandbox",
    "encode",
    "run_tests",
    "same_output",
    "same_value",
    "sandbox_refused",
]

HARNESS = Path(__file__).with_name("harness.py")


@dataclass(frozen=True)
class Call:
    """A test that calls a function of the submission with these arguments (JSON values)."""

    id: str
    function: str
    args: list[Any]


@dataclass(frozen=True)
class ProgramRun:
    """A test that runs the submission as a program with this standard input."""

    id: str
    stdin: str


@dataclass(frozen=True)
class Outcome:
    """What one test gave: a value (encoded) or a program's output, what was printed, an error.

    ``error`` is None, "timeout", "missing" (no such function), "not-loaded" (the submission
    failed before the test), or the traceback the submission raised.
    """

    value: Any = None
    stdout: str = ""
    error: str | None = None


@dataclass(frozen=True)
class RunReport:
    """Every test's outcome, and how the submission's own top level ran."""

    outcomes: dict[str, Outcome] = field(default_factory=dict)
    load_stdout: str = ""
    load_error: str | None = None
    # The run as a whole failed: "timeout", "output" (printed past the cap), "memory" or
    # "crashed" (ended without a report); every test without an outcome failed with it.
    problem: str | None = None


def run_tests(
    *, source: str, calls: list[Call], runs: list[ProgramRun], limits: Limits, seconds: float
) -> RunReport:
    """Run ``source`` on every test's input in one fresh sandbox (``seconds`` per test)."""
    tests = {
        "calls": [{"id": c.id, "function": c.function, "args": c.args} for c in calls],
        "runs": [{"id": r.id, "stdin": r.stdin} for r in runs],
        "seconds_per_test": seconds,
    }
    run = run_sandboxed(
        files={
            "harness.py": HARNESS.read_bytes(),
            "submission.py": source.encode("utf-8", errors="replace"),
            "tests.json": json.dumps(tests).encode(),
        },
        command=[PYTHON, "-I", "-S", "/task/harness.py"],
        limits=limits,
    )
    return read_report(run)


def read_report(run: Run) -> RunReport:
    """The harness's report from the run's output, checked as untrusted input."""
    if run.timed_out:
        return RunReport(problem="timeout")
    if run.output_cut:
        return RunReport(problem="output")
    lines = run.stdout.decode(errors="replace").splitlines()
    reports = [line[len(MARKER) :] for line in lines if line.startswith(MARKER)]
    try:
        report = json.loads(reports[-1])
        load, results = report["load"], report["results"]
        outcomes = {
            str(test_id): Outcome(
                value=result.get("value"),
                stdout=str(result.get("stdout") or ""),
                error=None if result.get("error") is None else str(result["error"]),
            )
            for test_id, result in results.items()
        }
        return RunReport(
            outcomes=outcomes,
            load_stdout=str(load.get("stdout") or ""),
            load_error=None if load.get("error") is None else str(load["error"]),
        )
    except (IndexError, ValueError, KeyError, TypeError, AttributeError):
        stderr = run.stderr.decode(errors="replace")
        return RunReport(problem="memory" if "MemoryError" in stderr else "crashed")


def same_value(actual: Any, expected: Any) -> bool:
    """Whether two encoded values are equal: floats to within a billionth, a tuple as a list."""
    if not (isinstance(actual, list) and isinstance(expected, list) and actual and expected):
        return False
    kind, expected_kind = actual[0], expected[0]
    if {kind, expected_kind} == {"int", "float"}:
        return _close(actual[1], expected[1])
    if kind != expected_kind or len(actual) != len(expected):
        return False
    if kind == "float":
        return _close(actual[1], expected[1])
    if kind in ("list", "set"):
        items, expected_items = actual[1], expected[1]
        return len(items) == len(expected_items) and all(
            same_value(item, other) for item, other in zip(items, expected_items, strict=True)
        )
    if kind == "dict":
        pairs, expected_pairs = actual[1], expected[1]
        return len(pairs) == len(expected_pairs) and all(
            same_value(key, other_key) and same_value(item, other_item)
            for (key, item), (other_key, other_item) in zip(pairs, expected_pairs, strict=True)
        )
    return bool(actual == expected)


def _close(first: Any, second: Any) -> bool:
    try:
        a, b = float(first), float(second)
    except (TypeError, ValueError):
        return False
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def same_output(actual: str, expected: str) -> bool:
    """Whether a program printed what was expected, ignoring spaces at line ends and blank
    lines at the end."""
    return _lines(actual) == _lines(expected)


def _lines(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines
