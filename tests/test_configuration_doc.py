"""docs/configuration.md lists every environment variable the platform reads, and every one in
deploy/env.example."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

# Files and a document: the database engine plays no part, so the PostgreSQL run leaves them out.
pytestmark = pytest.mark.engine_independent

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = ROOT / "docs" / "configuration.md"
ENV_EXAMPLE = ROOT / "deploy" / "env.example"
# The code every process of the platform runs: the app, its admin, the command line.
SOURCES = [ROOT / "quest_platform", ROOT / "admin_views", ROOT / "manage.py"]


def _literal_name(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


class _EnvironmentReads(ast.NodeVisitor):
    """Collects the literal names a module reads from the process's environment."""

    def __init__(self) -> None:
        self.found: set[str] = set()
        # Names bound by ``from os import environ, getenv`` (a WSGI ``environ`` is not one).
        self.from_os: set[str] = set()

    def names_os(self, node: ast.expr, attribute: str) -> bool:
        """``os.<attribute>``, or ``<attribute>`` imported from os (a WSGI ``environ`` is not)."""
        if isinstance(node, ast.Attribute):
            return (
                node.attr == attribute
                and isinstance(node.value, ast.Name)
                and node.value.id == "os"
            )
        return isinstance(node, ast.Name) and node.id == attribute and attribute in self.from_os

    def is_environ(self, node: ast.expr) -> bool:
        return self.names_os(node, "environ")

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module == "os":
            self.from_os.update(alias.asname or alias.name for alias in node.names)

    def add(self, node: ast.expr | None) -> None:
        if name := _literal_name(node):
            self.found.add(name)

    def visit_Call(self, node: ast.Call) -> None:
        function = node.func
        if node.args and (
            self.names_os(function, "getenv")
            or (
                isinstance(function, ast.Attribute)
                and function.attr in {"get", "setdefault", "pop"}
                and self.is_environ(function.value)
            )
        ):
            self.add(node.args[0])
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if self.is_environ(node.value):
            self.add(node.slice)
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        if any(self.is_environ(comparator) for comparator in node.comparators):
            self.add(node.left)
        self.generic_visit(node)


def variables_read(source: str) -> set[str]:
    """The names of the environment variables that ``source`` reads by a literal name:
    ``os.environ.get("X")``, ``os.environ["X"]``, ``os.getenv("X")``, ``"X" in os.environ``,
    ``os.environ.setdefault("X", ...)`` and ``os.environ.pop("X")``, also after
    ``from os import environ, getenv``."""
    tree = ast.parse(source)
    reads = _EnvironmentReads()
    # Imports first, wherever they are, so that every use after them is recognised.
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            reads.visit_ImportFrom(node)
    reads.visit(tree)
    return reads.found


def platform_variables() -> dict[str, list[str]]:
    """Each variable the platform's code reads, with the files that read it."""
    readers: dict[str, list[str]] = {}
    for source in SOURCES:
        files = [source] if source.is_file() else sorted(source.rglob("*.py"))
        for path in files:
            for name in variables_read(path.read_text(encoding="utf-8")):
                readers.setdefault(name, []).append(str(path.relative_to(ROOT)))
    return readers


def documented() -> set[str]:
    """The variable names docs/configuration.md writes as code (`NAME`)."""
    return set(re.findall(r"`([A-Z][A-Z0-9_]*)`", DOCUMENT.read_text(encoding="utf-8")))


def example_variables() -> set[str]:
    """The variables deploy/env.example sets or shows commented out (NAME=...)."""
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    return set(re.findall(r"^#?([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('import os\nos.environ.get("NEW_SETTING", "x")', {"NEW_SETTING"}),
        ('import os\nos.environ["NEW_SETTING"]', {"NEW_SETTING"}),
        ('import os\nos.getenv("NEW_SETTING")', {"NEW_SETTING"}),
        ('from os import getenv\ngetenv("NEW_SETTING")', {"NEW_SETTING"}),
        ('from os import environ\nenviron.get("NEW_SETTING")', {"NEW_SETTING"}),
        ('import os\nif "NEW_SETTING" in os.environ: pass', {"NEW_SETTING"}),
        ('import os\nos.environ.setdefault("NEW_SETTING", "1")', {"NEW_SETTING"}),
        ('settings = {}\nsettings.get("NOT_ENVIRONMENT")', set()),
        # The WSGI environ of a request is not the process's environment.
        ('request.environ.get("HTTP_HOST")', set()),
        ('environ = request.environ\nenviron.get("quest.request_id")', set()),
    ],
)
def test_every_way_of_reading_a_variable_is_found(source: str, expected: set[str]) -> None:
    assert variables_read(source) == expected


def test_the_platform_reads_the_variables_it_is_known_to_read() -> None:
    # If the scan found nothing, the test below would pass for nothing.
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "QUEST_ENV"} <= set(platform_variables())


def test_every_variable_the_platform_reads_is_documented() -> None:
    names = documented()
    missing = {name: files for name, files in platform_variables().items() if name not in names}
    assert not missing, (
        f"Add these to docs/configuration.md (default, which processes read it, an example): "
        f"{missing}"
    )


def test_every_variable_of_the_example_environment_file_is_documented() -> None:
    examples = example_variables()
    assert {"QUEST_ENV", "SECRET_KEY", "SECURITY_PASSWORD_SALT"} <= examples
    assert not examples - documented(), "Add these to docs/configuration.md"
