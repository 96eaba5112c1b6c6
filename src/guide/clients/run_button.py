"""Drive a runnable snippet block (docs/assets/javascripts/runnable.mjs) with Playwright.

Shared by the browser tests and bench/browser.py.
"""


def reveal(block):
    """Show ``block`` as a reader would: unfold the details that hold it (a troubleshooting
    entry's "Reproduce it"), and select its content tab (version-specific snippets sit in tabs)."""
    block.evaluate(
        """block => {
            for (let details = block.closest("details"); details;
                 details = details.parentElement.closest("details")) {
                if (!details.open) details.querySelector(":scope > summary").click();
            }
            const tab = block.closest(".tabbed-block");
            if (!tab) return;
            const index = [...tab.parentElement.children].indexOf(tab);
            tab.closest(".tabbed-set").querySelectorAll(":scope > input")[index].click();
        }"""
    )


def start_run(page, block):
    """Press Run on ``block`` (forgetting the state of an earlier run)."""
    reveal(block)
    page.evaluate("block => { delete block.dataset.runState; }", block.element_handle())
    block.locator(".runnable-run").click()


def wait_run(page, block, timeout):
    """Wait for the run to end; return ``(state, output)``: "done" or "error", and the text shown."""
    page.wait_for_function(
        "block => block.dataset.runState !== undefined", arg=block.element_handle(), timeout=timeout
    )
    output = block.locator(".runnable-output").first
    text = "" if output.get_attribute("data-empty") == "true" else output.text_content()
    return block.get_attribute("data-run-state"), text


def press_run(page, block, timeout):
    """Press Run on ``block`` and wait for it; return ``(state, output)``."""
    start_run(page, block)
    return wait_run(page, block, timeout)


def example_outputs(block):
    """``(outputs, stderr)`` of the last run: each statement's output, and what went to stderr."""
    return block.evaluate(
        r"""block => {
            const output = block.querySelector(".runnable-output:not(.runnable-stderr)");
            const spans = [...output.querySelectorAll(":scope > .runnable-example")];
            const stderr = block.querySelector(".runnable-stderr");
            return [
                spans.length ? spans.map((span) => span.textContent) : null,
                stderr && !stderr.hidden ? stderr.textContent.replace(/^Written to stderr:\n/, "") : "",
            ];
        }"""
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
