"""The teacher's quest editor in a browser: adding a stage of any kind from the quest page."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def fill_stage(page: Page, kind: str, title: str, fields: dict[str, str]) -> None:
    """Add one stage of ``kind`` from the quest page and save it."""
    page.get_by_label("Kind of stage to add").select_option(kind)
    page.get_by_role("button", name="Add a stage").click()
    page.get_by_label("Title", exact=True).fill(title)
    if kind == "timed":
        page.get_by_label("Question type").first.select_option("short")
    for label, value in fields.items():
        page.get_by_label(label, exact=True).first.fill(value)
    if kind == "quiz":
        page.get_by_label("Correct: choice 2").first.check()
    page.get_by_role("button", name="Save stage").click()
    expect(page.get_by_role("status")).to_contain_text("added")
