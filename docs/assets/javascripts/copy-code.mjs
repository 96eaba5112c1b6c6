/*
 * What the copy button of a session block copies.
 *
 * - An interactive-session (pycon) block shows prompts (">>> ", "... ") and
 *   output: the button copies only the statements, without prompts or output,
 *   so the clipboard holds code that runs when pasted into a file or a shell.
 * - A shell-session (console) block shows "$ " commands and what they print
 *   (the file snippets/.../*.console that the tests run, see guide/console.py):
 *   the button copies only the commands, without the prompt, with their
 *   continuation lines (a command ending in "\" goes on), so the clipboard
 *   holds what a reader pastes into a terminal.
 *
 * Other blocks copy as they are (Material's default). Material's copy button
 * uses the button's data-clipboard-text attribute when it exists, so this sets
 * it in the capture phase of the click, just before Material's own handler
 * reads it.
 */

function lines(text) {
  return text.replace(/\n$/, "").split("\n");
}

/** The statements of a pycon session, without prompts or output. */
function statements(text) {
  const out = [];
  for (const line of lines(text)) {
    const m = /^(>>>|\.\.\.)( |$)(.*)$/.exec(line);
    if (m) out.push(m[3]);
  }
  return `${out.join("\n")}\n`;
}

/** The commands of a console session, without the "$ " prompt, with their continuation lines. */
function commands(text) {
  const out = [];
  let continued = false;
  for (let line of lines(text)) {
    if (continued) {
      out.push(line);
    } else if (line.startsWith("$ ")) {
      line = line.slice(2);
      out.push(line);
    } else {
      continue;
    }
    continued = /\\$/.test(line);
  }
  return `${out.join("\n")}\n`;
}

document.addEventListener(
  "click",
  (event) => {
    const button = event.target.closest?.(
      "button[data-clipboard-target], button[data-clipboard-text]",
    );
    if (!button) return;
    const block = button.closest(".language-pycon, .language-console");
    if (!block) return;
    const copy = block.classList.contains("language-pycon") ? statements : commands;
    const code = block.querySelector("pre > code");
    if (code) button.setAttribute("data-clipboard-text", copy(code.textContent));
  },
  true,
);
