"""Writing in a code challenge's editor as a student often does: select everything, paste.

The paste goes through the editor's own paste handling, as a real one does. (Playwright's fill
and insert_text leave it to the browser's editing, which styles multi-line text inline; the
page's Content-Security-Policy rightly refuses that.)"""

from __future__ import annotations

from playwright.sync_api import Page, expect

PASTE = """(content, text) => {
    const data = new DataTransfer();
    data.setData("text/plain", text);
    content.dispatchEvent(
        new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true })
    );
}"""


def write_code(page: Page, source: str) -> None:
    """Replace the code in the editor with ``source``; the form's text area gets it too."""
    # The editor that took the place of the form's text area, in whatever language the page is.
    editor = page.locator("textarea#code + .code-editor [role=textbox]")
    editor.focus()
    page.keyboard.press("ControlOrMeta+a")
    editor.evaluate(PASTE, source)
    expect(page.locator("textarea#code")).to_have_value(source)
