"""Drive a runnable snippet block (docs/assets/javascripts/runnable.mjs) with Playwright.

Shared by the browser tests and bench/browser.py.
"""


def reveal(block):
    """Show ``block`` as a reader would: unfold the details that hold it (a troubleshooting
    entry's "Reproduce it"), select its content tab (version-specific snippets sit in tabs),
    and scroll to it (a block gets its Run button when it comes near the viewport)."""
    block.evaluate(
        """block => {
            for (let details = block.closest("details"); details;
                 details = details.parentElement.closest("details")) {
                if (!details.open) details.querySelector(":scope > summary").click();
            }
            const tab = block.closest(".tabbed-block");
            if (tab) {
                const index = [...tab.parentElement.children].indexOf(tab);
                tab.closest(".tabbed-set").querySelectorAll(":scope > input")[index].click();
            }
            block.scrollIntoView({ block: "center" });
        }"""
    )
    block.locator(".runnable-bar").first.wait_for(state="attached")


def start_run(page, block):
    """Press Run on ``block`` (forgetting the state of an earlier run)."""
    reveal(block)
    page.evaluate("block => { delete block.dataset.runState; }", block.element_handle())
    block.locator(".runnable-run").click()


def wait_run(page, block, timeout):
    """Wait for the run to end; return ``(state, output)``: "done" or "error", and
    :func:`output_text`."""
    page.wait_for_function(
        "block => block.dataset.runState !== undefined", arg=block.element_handle(), timeout=timeout
    )
    return block.get_attribute("data-run-state"), output_text(block)


def output_text(block):
    """What the last run of ``block`` printed, statement after statement (without their
    sources, the label or the diffs), or the message of a run that failed."""
    return block.evaluate(
        """block => {
            const output = block.querySelector(".runnable-output");
            if (output.dataset.empty === "true") return "";
            const parts = [...output.querySelectorAll(".runnable-example, .runnable-text")];
            return parts.length ? parts.map((part) => part.textContent).join("") : output.textContent;
        }"""
    )


def press_run(page, block, timeout):
    """Press Run on ``block`` and wait for it; return ``(state, output)``."""
    start_run(page, block)
    return wait_run(page, block, timeout)


def example_outputs(block):
    """``(outputs, stderr)`` of the last run: each statement's output, and what went to stderr."""
    return block.evaluate(
        r"""block => {
            const output = block.querySelector(".runnable-output:not(.runnable-stderr)");
            const spans = [...output.querySelectorAll(".runnable-example")];
            const stderr = block.querySelector(".runnable-stderr");
            return [
                spans.length ? spans.map((span) => span.textContent) : null,
                stderr && !stderr.hidden ? stderr.textContent.replace(/^Written to stderr:\n/, "") : "",
            ];
        }"""
    )


def statements(block):
    """Each statement of the last run as shown: ``{"source", "output", "matches", "diff"}``
    (``matches``: "true", "false", or "" when not compared; ``diff``: its lines, or None)."""
    return block.evaluate(
        r"""block => [...block.querySelectorAll(".runnable-result .runnable-statement")].map(
            (part) => ({
                source: part.querySelector(".runnable-source").textContent,
                output: part.querySelector(".runnable-example").textContent,
                matches: part.dataset.matches,
                diff: part.querySelector(".runnable-diff-lines")
                    ? part.querySelector(".runnable-diff-lines").textContent.split("\n").slice(0, -1)
                    : null,
            }),
        )"""
    )


def verdict(block):
    """``(label, verdict)`` above the last run's output: ("Output", "Matches the page"),
    ("Your run", "1 of 4 statements differs from the page"); None where there is none."""
    return tuple(
        block.evaluate(
            """block => [".runnable-result-label", ".runnable-verdict"].map(
                (selector) => block.querySelector(selector)?.textContent ?? null,
            )"""
        )
    )


# The editor's editable element: CodeMirror's content, or the plain textarea
# runnable.mjs falls back to if the bundled editor cannot load.
EDITABLE = ".runnable-editor .cm-content, textarea.runnable-editor"


def edit(block, text):
    """Replace the text in ``block``'s editor (shown after a first run) with ``text``."""
    block.locator(EDITABLE).fill(text)


def editor_text(block):
    """The text in ``block``'s editor."""
    return block.locator(".runnable-editor").evaluate("editor => editor.value")
