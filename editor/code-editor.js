// The code editor of a code challenge: CodeMirror in place of the page's text area, which keeps
// the code and is what the form sends. Python is highlighted (keywords also bold, comments also
// italic: never colour alone), lines are numbered, Enter keeps the indentation (and adds a level
// after a colon), Tab indents and Shift+Tab takes the indent back. Escape, then Tab, moves the
// focus on, as in any form; the page's hint says so. The editor takes the text area's label,
// hint and error, so screen readers announce it as the same field. Without scripts the plain
// text area stays, where Tab moves the focus as usual.
//
// Built into quest_platform/static/vendor/codemirror/code-editor.js by `make editor`.
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { python } from "@codemirror/lang-python";
import {
  bracketMatching,
  indentOnInput,
  indentUnit,
  syntaxHighlighting,
} from "@codemirror/language";
import { EditorState } from "@codemirror/state";
import {
  drawSelection,
  EditorView,
  highlightActiveLine,
  highlightActiveLineGutter,
  highlightSpecialChars,
  keymap,
  lineNumbers,
} from "@codemirror/view";
import { classHighlighter } from "@lezer/highlight";

// The site's themes (light, dark, high contrast) are CSS variables: the editor uses them, so it
// follows the page's theme. Token colours are in site.css, beside the lessons' code colours.
const siteTheme = EditorView.theme({
  "&": {
    color: "var(--text)",
    backgroundColor: "var(--bg)",
    border: "2px solid var(--border)",
    borderRadius: "0.35rem",
    fontSize: "1rem",
  },
  "&.cm-focused": { outline: "3px solid var(--focus)", outlineOffset: "3px" },
  ".cm-scroller": { fontFamily: 'ui-monospace, "DejaVu Sans Mono", monospace', lineHeight: "1.5" },
  ".cm-content": { caretColor: "var(--text)", minHeight: "16lh", padding: "0.5rem 0" },
  ".cm-cursor, .cm-dropCursor": { borderLeftColor: "var(--text)", borderLeftWidth: "2px" },
  "&.cm-focused > .cm-scroller > .cm-selectionLayer .cm-selectionBackground, .cm-selectionBackground, .cm-content ::selection":
    { backgroundColor: "var(--primary-soft)" },
  ".cm-gutters": {
    backgroundColor: "var(--surface)",
    color: "var(--muted)",
    borderRight: "1px solid var(--border)",
  },
  ".cm-activeLine": { backgroundColor: "transparent" },
  ".cm-activeLineGutter": { backgroundColor: "var(--surface)", color: "var(--text)", fontWeight: "700" },
  "&.cm-focused .cm-matchingBracket": {
    backgroundColor: "transparent",
    outline: "1px solid var(--text)",
  },
});

// What the editor takes from its text area for assistive technology.
const SHARED_ATTRIBUTES = ["aria-describedby", "aria-invalid", "aria-errormessage"];

function replace(area) {
  const label = document.querySelector(`label[for="${area.id}"]`);
  const hint = document.getElementById(area.dataset.codeEditor);
  if (hint) {
    hint.hidden = false;
  }
  if (label && !label.id) {
    label.id = `${area.id}-label`;
  }
  const described = [hint && hint.id, ...(area.getAttribute("aria-describedby") || "").split(" ")]
    .filter(Boolean)
    .join(" ");
  const attributes = {
    "aria-multiline": "true",
    spellcheck: "false",
    autocapitalize: "off",
    autocorrect: "off",
    translate: "no",
  };
  for (const name of SHARED_ATTRIBUTES) {
    if (area.hasAttribute(name)) {
      attributes[name] = area.getAttribute(name);
    }
  }
  if (described) {
    attributes["aria-describedby"] = described;
  }
  if (label) {
    attributes["aria-labelledby"] = label.id;
  }
  const view = new EditorView({
    doc: area.value,
    extensions: [
      lineNumbers(),
      highlightActiveLineGutter(),
      highlightSpecialChars(),
      history(),
      drawSelection(),
      indentOnInput(),
      bracketMatching(),
      highlightActiveLine(),
      siteTheme,
      EditorView.cspNonce.of(nonce || ""),
      syntaxHighlighting(classHighlighter),
      python(),
      indentUnit.of("    "),
      EditorState.tabSize.of(4),
      keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
      EditorView.contentAttributes.of(attributes),
      EditorView.editorAttributes.of({ class: "code-editor" }),
      EditorView.updateListener.of((update) => {
        if (update.docChanged) {
          area.value = update.state.doc.toString();
        }
      }),
    ],
  });
  area.hidden = true;
  area.after(view.dom);
  if (label) {
    label.addEventListener("click", () => view.focus());
  }
  // A page that puts the focus on the field (an error summary's link, autofocus) finds it here.
  area.addEventListener("focus", () => view.focus());
}

// The page's nonce for this script: the Content-Security-Policy admits CodeMirror's one style
// element with it (quest_platform/http_headers.py, script_styling_nonce).
const nonce = document.currentScript ? document.currentScript.nonce : "";

for (const area of document.querySelectorAll("textarea[data-code-editor]")) {
  replace(area);
}
