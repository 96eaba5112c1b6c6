/*
 * Copy the commands of a shell-session (console) block, not their output.
 *
 * A console block shows "$ " commands and what they print (the file
 * snippets/.../*.console that the tests run, see guide/console.py). Its copy
 * button copies only the commands, without the prompt, with their
 * continuation lines (a command ending in "\" goes on), so the clipboard
 * holds what a reader pastes into a terminal.
 *
 * Material's copy button uses the button's data-clipboard-text attribute when
 * it exists, so this sets it in the capture phase of the click, just before
 * Material's own handler reads it.
 */
(function () {
  "use strict";

  function commands(text) {
    var out = [];
    var continued = false;
    text.replace(/\n$/, "").split("\n").forEach(function (line) {
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
      var block = button.closest(".language-console");
      if (!block) return;
      var code = block.querySelector("pre > code");
      if (code) button.setAttribute("data-clipboard-text", commands(code.textContent));
    },
    true
  );
})();
