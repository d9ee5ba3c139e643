"""Code challenges: a code stage's tests as the teacher writes them, and how a run is judged.

A teacher writes tests as text, one kind per line or block::

    add(2, 3) == 5
    greet("Ada") == "Hello, Ada!"
    --- input
    3 4
    --- output
    7

A line ``call == expected`` calls a function of the student's code with literal arguments and
expects a literal result (Python's literals: numbers, strings, lists, tuples, dicts, sets,
True, False, None). A block from ``--- input`` to ``--- output`` runs the student's code as a
program with that input and expects that output (up to the next ``--- input``, a ``--- end``
line, or the end); calls come before the first block. Examples are shown to students and run
with "Run examples"; hidden tests are never shown, and decide the score on "Submit".

Pure functions: no database, no sandbox (see services/code_runs.py for running them).
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext

from quest_platform.sandbox import (
    Call,
    Limits,
    ProgramRun,
    RunReport,
    encode,
    same_output,
    same_value,
)

# The most tests of each kind a stage keeps, and the longest a student's code may be.
MAX_TESTS = 50
MAX_SOURCE_LENGTH = 20_000
DEFAULT_SECONDS_PER_TEST = 2
MAX_SECONDS_PER_TEST = 10
# Memory and output a run may use: the default, and the range a teacher may set.
DEFAULT_MEMORY_MB, MEMORY_MB_RANGE = 256, (64, 1024)
DEFAULT_OUTPUT_KB, OUTPUT_KB_RANGE = 64, (1, 1024)
INPUT, OUTPUT, END = "--- input", "--- output", "--- end"


@dataclass(frozen=True)
class CodeTest:
    """One test: a call with its expected value, or a program's input with its expected output.

    ``text`` is how the test reads to a student (examples only ever show it).
    """

    id: str
    text: str
    function: str = ""
    args: tuple[Any, ...] = ()
    expected: Any = None
    stdin: str | None = None
    stdout: str = ""

    @property
    def is_program(self) -> bool:
        return self.stdin is not None


class TestsError(ValueError):
    """The tests' text cannot be read; the message says where and why."""


def parse_tests(text: str, *, prefix: str) -> list[CodeTest]:
    """The tests written in ``text`` (see the module's docstring), numbered ``prefix-1``, ...

    Raises TestsError naming the first line that is not a test.
    """
    tests: list[CodeTest] = []
    lines = text.replace("\r\n", "\n").split("\n")
    index = 0
    while index < len(lines):
        line = lines[index].strip()
        number = index + 1
        index += 1
        if not line or line.startswith("#"):
            continue
        if line == INPUT:
            index, test = program_test(lines, index, test_id=f"{prefix}-{len(tests) + 1}")
            tests.append(test)
            continue
        tests.append(call_test(line, number, test_id=f"{prefix}-{len(tests) + 1}"))
    if len(tests) > MAX_TESTS:
        raise TestsError(
            ngettext("Keep it to %(num)d test.", "Keep it to %(num)d tests.", MAX_TESTS)
        )
    return tests


def call_test(line: str, number: int, *, test_id: str) -> CodeTest:
    """A ``function(arguments) == expected`` line as a test."""
    problem = _(
        'Line %(number)d is not a test: write a call, "==" and the expected value, such as '
        "add(2, 3) == 5.",
        number=number,
    )
    try:
        tree = ast.parse(line, mode="eval").body
    except SyntaxError:
        raise TestsError(problem) from None
    if not (
        isinstance(tree, ast.Compare)
        and len(tree.ops) == 1
        and isinstance(tree.ops[0], ast.Eq)
        and isinstance(tree.left, ast.Call)
        and isinstance(tree.left.func, ast.Name)
        and not tree.left.keywords
    ):
        raise TestsError(problem)
    try:
        args = tuple(ast.literal_eval(argument) for argument in tree.left.args)
        expected = ast.literal_eval(tree.comparators[0])
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise TestsError(
            _(
                "Line %(number)d: the arguments and the expected value must be plain values "
                "(numbers, strings, lists, dicts, True, False, None).",
                number=number,
            )
        ) from None
    return CodeTest(id=test_id, text=line, function=tree.left.func.id, args=args, expected=expected)


def program_test(lines: list[str], index: int, *, test_id: str) -> tuple[int, CodeTest]:
    """The program test whose ``--- input`` line was just read; and where the next one starts."""
    given: list[str] = []
    while index < len(lines) and lines[index].strip() != OUTPUT:
        if lines[index].strip() == INPUT:
            break
        given.append(lines[index])
        index += 1
    if index >= len(lines) or lines[index].strip() != OUTPUT:
        raise TestsError(_('Each "%(input)s" needs its "%(output)s".', input=INPUT, output=OUTPUT))
    index += 1
    expected: list[str] = []
    while index < len(lines) and lines[index].strip() not in (INPUT, END):
        expected.append(lines[index])
        index += 1
    if index < len(lines) and lines[index].strip() == END:
        index += 1
    stdin = "\n".join(given) + "\n"
    text = f"{INPUT}\n{stdin}{OUTPUT}\n" + "\n".join(expected)
    return index, CodeTest(id=test_id, text=text.strip(), stdin=stdin, stdout="\n".join(expected))


@dataclass(frozen=True)
class Challenge:
    """A code stage's settings, read: its tests, reference solution and limits."""

    starter_code: str
    examples: list[CodeTest]
    tests: list[CodeTest]
    solution: str
    seconds_per_test: int
    memory_mb: int = DEFAULT_MEMORY_MB
    output_kb: int = DEFAULT_OUTPUT_KB

    @classmethod
    def of(cls, settings: Mapping[str, Any]) -> Challenge:
        """The challenge of a code stage's settings (tests that no longer parse are dropped:
        the stage form refuses them, so only hand-edited settings hold any)."""
        return cls(
            starter_code=str(settings.get("starter_code", "")),
            examples=readable_tests(settings.get("examples", ""), prefix="example"),
            tests=readable_tests(settings.get("tests", ""), prefix="test"),
            solution=str(settings.get("solution", "")),
            seconds_per_test=setting(
                settings, "seconds_per_test", DEFAULT_SECONDS_PER_TEST, (1, MAX_SECONDS_PER_TEST)
            ),
            memory_mb=setting(settings, "memory_mb", DEFAULT_MEMORY_MB, MEMORY_MB_RANGE),
            output_kb=setting(settings, "output_kb", DEFAULT_OUTPUT_KB, OUTPUT_KB_RANGE),
        )

    @property
    def limits(self) -> Limits:
        """What a run of every test may use: each test's time, plus the sandbox's start."""
        count = len(self.examples) + len(self.tests)
        seconds = self.seconds_per_test
        return Limits(
            cpu_seconds=seconds * max(1, count) + 1,
            wall_seconds=seconds * count + 3,
            memory_mb=self.memory_mb,
            output_bytes=self.output_kb * 1024,
        )


def setting(settings: Mapping[str, Any], name: str, default: int, bounds: tuple[int, int]) -> int:
    """A whole-number setting within ``bounds``, else its default."""
    value = settings.get(name, default)
    low, high = bounds
    valid = isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
    return value if valid else default


def readable_tests(text: Any, *, prefix: str) -> list[CodeTest]:
    try:
        return parse_tests(str(text or ""), prefix=prefix)
    except TestsError:
        return []


def sandbox_tests(tests: list[CodeTest]) -> tuple[list[Call], list[ProgramRun]]:
    """The tests' inputs, as the sandbox takes them (their expected results stay here)."""
    calls = [Call(test.id, test.function, list(test.args)) for test in tests if not test.is_program]
    runs = [ProgramRun(test.id, test.stdin or "") for test in tests if test.is_program]
    return calls, runs


@dataclass(frozen=True)
class Verdict:
    """Whether one test passed, and what a student may see of it.

    For an example, ``got`` is what the code gave (a value's text, or the program's output)
    and ``printed`` what it printed; for a hidden test both stay empty, and ``error`` says
    only what kind of failure it was.
    """

    id: str
    passed: bool
    text: str = ""
    got: str = ""
    printed: str = ""
    error: str = ""


def judge(tests: list[CodeTest], run: RunReport, *, visible: bool) -> list[Verdict]:
    """Compare each test's outcome with what it expects (outside the sandbox)."""
    verdicts = []
    for test in tests:
        outcome = run.outcomes.get(test.id)
        if outcome is None:
            error = run.problem or "crashed"
            verdicts.append(Verdict(test.id, False, test.text if visible else "", error=error))
            continue
        if test.is_program:
            passed = outcome.error is None and same_output(outcome.stdout, test.stdout)
            got = outcome.stdout
        else:
            passed = outcome.error is None and same_value(outcome.value, encode(test.expected))
            got = shown_value(outcome.value)
        if not visible:
            verdicts.append(Verdict(test.id, passed, error=failure_kind(outcome.error)))
            continue
        verdicts.append(
            Verdict(
                test.id,
                passed,
                text=test.text,
                got=got,
                printed="" if test.is_program else outcome.stdout,
                error=outcome.error or "",
            )
        )
    return verdicts


def failure_kind(error: str | None) -> str:
    """What a hidden test's error may tell: its kind, never its traceback (which could show the
    test's input)."""
    if error is None or error in ("timeout", "missing", "not-loaded", "crashed"):
        return error or ""
    return "error"


def shown_value(encoded: Any) -> str:
    """An encoded value written back as Python writes it (for a student to read)."""
    if not isinstance(encoded, list) or not encoded:
        return ""
    kind = encoded[0]
    body: Any = encoded[1] if len(encoded) > 1 else []
    if kind == "none":
        return "None"
    if kind in ("bool", "int", "float"):
        return str(body)
    if kind == "str":
        return repr(body)
    if kind == "list":
        return "[" + ", ".join(shown_value(item) for item in body) + "]"
    if kind == "set":
        return "{" + ", ".join(shown_value(item) for item in body) + "}" if body else "set()"
    if kind == "dict":
        pairs = (f"{shown_value(key)}: {shown_value(value)}" for key, value in body)
        return "{" + ", ".join(pairs) + "}"
    if kind == "other":
        return f"<{body}>"
    return "…"
