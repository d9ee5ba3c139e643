"""The grading harness: runs inside the sandbox, runs a student's Python on each test's input,
and reports what came out. It never sees the expected results: the grader compares outside.

Run as ``python3 -I /task/harness.py`` (or with another task folder as its argument, as the
benchmark's unsandboxed baseline does) with, in ``/task``:

- ``submission.py``, the student's code;
- ``tests.json``: ``{"calls": [{"id", "function", "args"}], "runs": [{"id", "stdin"}],
  "seconds_per_test": 1.0}``, where a call runs a function of the submission with these
  arguments and a run runs the whole submission as a program with this standard input.

It prints, as its last line, ``RESULT`` and a JSON document: for each test, its return value
(by :func:`encode`) or what the program printed, what the submission printed, and the error if
it failed. Only Python's standard library is used, and only what Python 3.11 has.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import signal
import subprocess
import sys
import traceback
from typing import Any

MARKER = "RESULT "
TASK = sys.argv[1] if __name__ == "__main__" and len(sys.argv) > 1 else "/task"
SUBMISSION = f"{TASK}/submission.py"
# What a test keeps of what the submission printed, and of an error's traceback.
PRINTED_CAP = 4_000
# How deep a returned value is read: deeper parts are reported as too deep.
DEPTH_CAP = 20


class TestTimedOut(BaseException):
    """A test ran past its time (a BaseException, so ``except Exception`` cannot swallow it)."""


def encode(value: Any, depth: int = 0) -> Any:
    """``value`` as plain JSON, tagged with its type, from its exact type only.

    An object of any other type (a subclass too) is reported by its type's name alone: its own
    ``__eq__``, ``__repr__`` or ``__str__`` is never called, so it cannot pretend to be right.
    """
    kind = type(value)
    if depth > DEPTH_CAP:
        return ["too-deep"]
    if value is None:
        return ["none"]
    if kind is bool:
        return ["bool", value]
    if kind is int:
        return ["int", str(value)]
    if kind is float:
        return ["float", value if math.isfinite(value) else str(value)]
    if kind is str:
        return ["str", value]
    if kind in (list, tuple):
        return ["list", [encode(item, depth + 1) for item in value]]
    if kind in (set, frozenset):
        items = [encode(item, depth + 1) for item in value]
        return ["set", sorted(items, key=lambda item: json.dumps(item, sort_keys=True))]
    if kind is dict:
        pairs = [[encode(key, depth + 1), encode(item, depth + 1)] for key, item in value.items()]
        return ["dict", sorted(pairs, key=lambda pair: json.dumps(pair[0], sort_keys=True))]
    return ["other", kind.__name__]


def alarm(signum: int, frame: Any) -> None:
    raise TestTimedOut


def short_traceback(error: BaseException) -> str:
    """The error as Python prints it, without the harness's own frames."""
    lines = traceback.format_exception(type(error), error, error.__traceback__)
    kept = [line for line in lines if f"{TASK}/harness.py" not in line]
    return "".join(kept)[-PRINTED_CAP:]


def run_program(test: dict[str, Any], seconds: float) -> dict[str, Any]:
    """Run the submission as a program with the test's standard input."""
    try:
        done = subprocess.run(  # noqa: S603 (the sandbox's own Python, no shell)
            [sys.executable, "-I", SUBMISSION],
            input=str(test.get("stdin", "")).encode(),
            capture_output=True,
            timeout=seconds,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"error": "timeout"}
    stderr = done.stderr.decode(errors="replace")[-PRINTED_CAP:]
    return {
        "stdout": done.stdout.decode(errors="replace")[: PRINTED_CAP * 4],
        "error": stderr if done.returncode else None,
    }


def load_submission(seconds: float) -> tuple[dict[str, Any] | None, str, str | None]:
    """Run the submission's top level as a module: its names, what it printed, its error."""
    namespace: dict[str, Any] = {"__name__": "submission", "__file__": SUBMISSION}
    printed = io.StringIO()
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        with open(SUBMISSION, encoding="utf-8") as file:
            source = file.read()
        code = compile(source, SUBMISSION, "exec")
        with contextlib.redirect_stdout(printed):
            exec(code, namespace)  # noqa: S102 (the point of the harness, inside the sandbox)
    except TestTimedOut:
        return None, printed.getvalue()[:PRINTED_CAP], "timeout"
    except BaseException as error:  # a SystemExit too: the code ended itself
        return None, printed.getvalue()[:PRINTED_CAP], short_traceback(error)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    return namespace, printed.getvalue()[:PRINTED_CAP], None


def call_function(
    namespace: dict[str, Any], test: dict[str, Any], seconds: float
) -> dict[str, Any]:
    """Call the test's function with its arguments, on a fresh copy of them."""
    function = namespace.get(test["function"])
    if not callable(function):
        return {"error": "missing", "stdout": ""}
    printed = io.StringIO()
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        with contextlib.redirect_stdout(printed):
            value = function(*json.loads(json.dumps(test.get("args", []))))
        result = {"value": encode(value)}
    except TestTimedOut:
        result = {"error": "timeout"}
    except BaseException as error:  # a SystemExit too: the code ended itself
        result = {"error": short_traceback(error)}
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    return {**result, "stdout": printed.getvalue()[:PRINTED_CAP]}


def main() -> None:
    """Run every test, programs first (before the submission is loaded into this process)."""
    with open(f"{TASK}/tests.json", encoding="utf-8") as file:
        tests = json.load(file)
    seconds = float(tests.get("seconds_per_test", 1.0))
    signal.signal(signal.SIGALRM, alarm)
    results = {test["id"]: run_program(test, seconds) for test in tests.get("runs", [])}
    load: dict[str, Any] = {"stdout": "", "error": None}
    calls = tests.get("calls", [])
    if calls:
        namespace, load["stdout"], load["error"] = load_submission(seconds)
        for test in calls:
            if namespace is None:
                results[test["id"]] = {"error": "not-loaded", "stdout": ""}
            else:
                results[test["id"]] = call_function(namespace, test, seconds)
    report = json.dumps({"load": load, "results": results})
    # Straight to the file descriptor: the submission may have replaced sys.stdout.
    os.write(1, ("\n" + MARKER + report + "\n").encode())


if __name__ == "__main__":
    main()
