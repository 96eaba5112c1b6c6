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
(function () {
  "use strict";

  function lines(text) {
    return text.replace(/\n$/, "").split("\n");
  }

  function statements(text) {
    var out = [];
    lines(text).forEach(function (line) {
      var m = /^(>>>|\.\.\.)( |$)(.*)$/.exec(line);
      if (m) out.push(m[3]);
    });
    return out.join("\n") + "\n";
  }

  function commands(text) {
    var out = [];
    var continued = false;
    lines(text).forEach(function (line) {
      if (continued) {
        out.push(line);
      } else if (line.indexOf("$ ") === 0) {
        line = line.slice(2);
        out.push(line);
      } else {
        return;
      }
      continued = /\\$/.test(line);
    });
    return out.join("\n") + "\n";
  }

  document.addEventListener(
    "click",
    function (event) {
      var button = event.target.closest && event.target.closest("button[data-clipboard-target], button[data-clipboard-text]");
      if (!button) return;
      var block = button.closest(".language-pycon, .language-console");
      if (!block) return;
      var copy = block.classList.contains("language-pycon") ? statements : commands;
      var code = block.querySelector("pre > code");
      if (code) button.setAttribute("data-clipboard-text", copy(code.textContent));
    },
    true
  );
})();
