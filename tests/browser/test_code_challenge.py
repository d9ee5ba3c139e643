"""A code challenge in a real browser, by keyboard: the code editor (CodeMirror, in place of the
text area the form sends) indents with Tab and after a colon, Escape hands Tab back to the page,
"Run examples" shows each example, and "Submit" records the attempt. axe finds nothing at any
step in any theme."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from axe_checks import assert_accessible_in_every_theme
from code_editor import write_code
from helpers import PASSWORD, code_quest, require_sandbox
from playwright.sync_api import Page, expect
from sign_in import sign_in


@pytest.fixture(autouse=True)
def sandbox() -> None:
    require_sandbox()


def test_a_student_writes_runs_and_submits_code_by_keyboard(
    make: Any, open_page: Callable[..., Page]
) -> None:
    student = make.student(password=PASSWORD)
    quest = code_quest(make, student)
    page = open_page()
    sign_in(page, student.username)
    page.goto(f"/quests/{quest.slug}/1")
    # One field named "Your code": the editor; the text area it fills is hidden.
    editor = page.get_by_role("textbox", name="Your code")
    sent = page.locator("textarea#code")
    expect(editor).to_have_count(1)
    expect(editor).to_have_attribute("aria-describedby", "code-keys")
    expect(sent).to_be_hidden()
    expect(sent).to_have_value("def add(a, b):\n    pass\n")
    expect(page.locator("#code-keys")).to_be_visible()
    assert_accessible_in_every_theme(page, "a code challenge")

    # Write the function from scratch: Enter after the colon indents the next line.
    editor.focus()
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    page.keyboard.type("def add(a, b):")
    page.keyboard.press("Enter")
    page.keyboard.type("total = a - b")
    page.keyboard.press("Enter")
    page.keyboard.type("return total")
    expect(sent).to_have_value("def add(a, b):\n    total = a - b\n    return total")
    # Shift+Tab takes the line's indent back; Tab at the line's start puts it in again.
    page.keyboard.press("Shift+Tab")
    expect(sent).to_have_value("def add(a, b):\n    total = a - b\nreturn total")
    page.keyboard.press("Home")
    page.keyboard.press("Tab")
    expect(sent).to_have_value("def add(a, b):\n    total = a - b\n    return total")
    expect(editor).to_be_focused()

    # Escape, then Tab: the focus leaves the editor for the first button.
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    run_examples = page.get_by_role("button", name="Run examples")
    expect(run_examples).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")

    # The examples run: graded, shown, and the results take the focus.
    results = page.locator("#code-run")
    expect(results).to_be_focused()
    expect(results).to_contain_text("Not passed")
    expect(results).to_contain_text("add(2, 3) == 5")
    expect(results).to_contain_text("Your code gave:")
    expect(results.locator("pre").nth(1)).to_have_text("-1")
    assert_accessible_in_every_theme(page, "a code challenge's examples run")

    # Put it right and submit: every hidden test passes.
    write_code(page, "def add(a, b):\n    return a + b\n")
    with page.expect_navigation():
        page.get_by_role("button", name="Submit", exact=True).click()
    expect(page.locator("#code-run")).to_contain_text("4 of 4 hidden tests passed.")
    expect(page.locator("#result-banner .result-headline")).to_contain_text("Stage complete")
    expect(page.locator("#result-banner")).to_contain_text("You earned 20 points.")
    # Passed: nothing more to send, and the next stage is open.
    expect(page.get_by_role("textbox", name="Your code")).to_have_count(0)
    expect(page.get_by_role("link", name="Next: stage 2, Why sessions")).to_be_visible()
    assert_accessible_in_every_theme(page, "a code challenge passed")
