// The code editor: the page's text area, with the keys a programmer expects. Tab indents the
// line (or the selected lines) by four spaces and Shift+Tab takes them back; Enter keeps the
// line's indentation (and adds a level after a colon). Escape hands Tab back to the page: the
// next Tab (or Shift+Tab) moves the focus on, as in any form, until the editor is left.
// Without scripts it is a plain text area, where Tab moves the focus as usual.
(function () {
  "use strict";
  const INDENT = "    ";
  for (const area of document.querySelectorAll("textarea[data-code-editor]")) {
    const hint = document.getElementById(area.dataset.codeEditor);
    let tabLeaves = false;
    if (hint) {
      hint.hidden = false;
      const described = (area.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      area.setAttribute("aria-describedby", [hint.id, ...described].join(" "));
    }

    const lineStart = (text, index) => text.lastIndexOf("\n", index - 1) + 1;

    function replaceRange(start, end, text, selectStart, selectEnd) {
      area.setRangeText(text, start, end, "end");
      area.setSelectionRange(selectStart, selectEnd);
      // The browser's undo history and the form both see an ordinary edit.
      area.dispatchEvent(new Event("input", { bubbles: true }));
    }

    function indent(outdent) {
      const text = area.value;
      const { selectionStart: start, selectionEnd: end } = area;
      if (!outdent && start === end) {
        replaceRange(start, end, INDENT, start + INDENT.length, start + INDENT.length);
        return;
      }
      const first = lineStart(text, start);
      const lines = text.slice(first, end).split("\n");
      const changed = lines.map((line) =>
        outdent ? line.replace(/^ {1,4}/, "") : INDENT + line,
      );
      const joined = changed.join("\n");
      const shift = changed[0].length - lines[0].length;
      replaceRange(first, end, joined, Math.max(first, start + shift), first + joined.length);
    }

    function newline() {
      const text = area.value;
      const start = area.selectionStart;
      const line = text.slice(lineStart(text, start), start);
      let spaces = line.match(/^ */)[0];
      if (line.trimEnd().endsWith(":")) {
        spaces += INDENT;
      }
      const inserted = "\n" + spaces;
      replaceRange(start, area.selectionEnd, inserted, start + inserted.length, start + inserted.length);
    }

    area.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        tabLeaves = true;
        return;
      }
      if (event.key === "Tab" && !tabLeaves && !event.ctrlKey && !event.altKey && !event.metaKey) {
        event.preventDefault();
        indent(event.shiftKey);
      } else if (event.key === "Enter" && !event.shiftKey && !event.ctrlKey && !event.metaKey) {
        event.preventDefault();
        newline();
      }
    });
    area.addEventListener("blur", () => {
      tabLeaves = false;
    });
  }
})();
