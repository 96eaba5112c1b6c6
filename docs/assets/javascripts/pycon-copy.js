/*
 * Copy runnable code from interactive-session (pycon) blocks.
 *
 * A doctest block shows prompts (">>> ", "... ") and output. Its copy button
 * copies only the statements, without prompts or output, so the clipboard
 * holds code that runs when pasted into a file or a shell. Other blocks copy
 * as they are (Material's default).
 *
 * Material's copy button uses the button's data-clipboard-text attribute when
 * it exists, so this sets it in the capture phase of the click, just before
 * Material's own handler reads it.
 */
(function () {
  "use strict";

  function runnableCode(text) {
    var out = [];
    text.replace(/\n$/, "").split("\n").forEach(function (line) {
      var m = /^(>>>|\.\.\.)( |$)(.*)$/.exec(line);
      if (m) out.push(m[3]);
    });
    return out.join("\n") + "\n";
  }

  document.addEventListener(
    "click",
    function (event) {
      var button = event.target.closest && event.target.closest("button[data-clipboard-target], button[data-clipboard-text]");
      if (!button) return;
      var block = button.closest(".language-pycon");
      if (!block) return;
      var code = block.querySelector("pre > code");
      if (code) button.setAttribute("data-clipboard-text", runnableCode(code.textContent));
    },
    true
  );
})();
