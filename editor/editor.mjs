/*
 * The code editor of the runnable blocks: CodeMirror 6 (npm packages pinned
 * in package-lock.json), bundled by guide.site.editor_bundle with esbuild into
 * one ES module served by the site itself (assets/vendor/editor.mjs).
 * docs/assets/javascripts/runnable.mjs imports it when a block first becomes
 * editable; if it cannot load, the block falls back to a plain textarea.
 *
 * - Python highlighting in the site's own code colours: Material's CSS
 *   variables, so the light and dark schemes (and their AA contrast, checked
 *   by tests/browser/test_accessibility.py) apply unchanged.
 * - Ctrl+Enter (Cmd+Enter) runs the block.
 * - Tab indents; Escape then Tab (or Shift+Tab) leaves the editor, as does
 *   Ctrl+M (Shift+Alt+M on macOS), which toggles Tab between indenting and
 *   moving focus (CodeMirror's tab focus mode).
 * - The editable element has a label for screen readers and a description
 *   of the keys.
 */

import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { python } from "@codemirror/lang-python";
import { HighlightStyle, indentUnit, syntaxHighlighting } from "@codemirror/language";
import { EditorState } from "@codemirror/state";
import { drawSelection, EditorView, keymap } from "@codemirror/view";
import { tags as t } from "@lezer/highlight";

const hl = (name) => `var(--md-code-hl-${name}-color)`;

/** Pygments' colours as Material sets them (overridden for AA in extra.css). */
const highlightStyle = HighlightStyle.define([
  {
    tag: [t.keyword, t.controlKeyword, t.definitionKeyword, t.moduleKeyword, t.operatorKeyword],
    color: hl("keyword"),
  },
  { tag: [t.string, t.special(t.string), t.docString], color: hl("string") },
  { tag: [t.number, t.integer, t.float], color: hl("number") },
  { tag: [t.bool, t.null, t.self, t.atom], color: hl("constant") },
  {
    tag: [t.function(t.definition(t.variableName)), t.definition(t.className), t.className],
    color: hl("function"),
  },
  { tag: [t.comment, t.lineComment], color: hl("comment"), fontStyle: "italic" },
  {
    tag: [t.operator, t.compareOperator, t.arithmeticOperator, t.logicOperator, t.bitwiseOperator],
    color: hl("operator"),
  },
  {
    tag: [t.punctuation, t.paren, t.squareBracket, t.brace, t.separator],
    color: hl("punctuation"),
  },
  { tag: [t.escape, t.special(t.variableName)], color: hl("special") },
  { tag: t.invalid, color: "var(--md-code-fg-color)" },
]);

const theme = EditorView.theme({
  "&": {
    color: "var(--md-code-fg-color)",
    backgroundColor: "var(--md-code-bg-color)",
  },
  ".cm-content": {
    fontFamily: "var(--md-code-font-family, monospace)",
    caretColor: "var(--md-code-fg-color)",
    padding: "0.8em 0",
  },
  ".cm-line": { padding: "0 1.2em" },
  ".cm-scroller": { fontFamily: "inherit", lineHeight: "1.4" },
  "&.cm-focused .cm-cursor": { borderLeftColor: "var(--md-code-fg-color)" },
  "&.cm-focused > .cm-scroller > .cm-selectionLayer .cm-selectionBackground, .cm-selectionBackground, ::selection":
    { backgroundColor: "var(--md-accent-fg-color--transparent)" },
  "&.cm-focused": { outline: "none" }, // the focus ring is extra.css's, on the whole editor
});

/**
 * A CodeMirror editor holding `doc`, placed after `anchor`.
 *
 * Returns its outer element, which also answers `.value` (get and set, like a
 * textarea) and `.focus()`. `onChange(text)` is called after every edit,
 * `onRun()` on Ctrl/Cmd+Enter.
 */
export function createEditor({ anchor, doc, label, describedBy, onChange, onRun }) {
  const run = () => {
    onRun();
    return true;
  };
  const view = new EditorView({
    state: EditorState.create({
      doc,
      extensions: [
        history(),
        drawSelection(),
        indentUnit.of("    "),
        EditorState.tabSize.of(4),
        python(),
        syntaxHighlighting(highlightStyle),
        theme,
        EditorView.lineWrapping, // long lines wrap, as in the output below (and at 320 px)
        keymap.of([
          { key: "Mod-Enter", run, preventDefault: true },
          ...defaultKeymap,
          ...historyKeymap,
          indentWithTab,
        ]),
        EditorView.editorAttributes.of({ class: "runnable-editor" }), // CodeMirror owns the class list
        EditorView.contentAttributes.of({
          "aria-label": label,
          "aria-multiline": "true",
          ...(describedBy ? { "aria-describedby": describedBy } : {}),
          autocapitalize: "off",
          autocorrect: "off",
          spellcheck: "false",
        }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) onChange(update.state.doc.toString());
        }),
      ],
    }),
  });
  const dom = view.dom;
  Object.defineProperty(dom, "value", {
    get: () => view.state.doc.toString(),
    set: (text) => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } }),
  });
  dom.focus = () => view.focus();
  anchor.after(dom);
  return dom;
}
