"""The runnable blocks, the request panel and the version tabs with the keyboard alone.

Everything here is driven by Playwright's keyboard (Tab, Enter, arrows,
typing), as a reader without a mouse would, in headless Chromium with the real
runtime: a block is reached with Tab, run with Enter, edited in the editor,
run again with Ctrl+Enter, left with Escape then Tab, and reset; the request
panel is filled in and sent; a version tab is switched with the arrow keys.
At each step the focused control must show a focus ring (a computed outline
of at least 2 px, or a box-shadow), and what a screen reader would announce
(the text of the live regions, polite for state, assertive for errors) is
recorded as it changes and checked, including the "Stopped" message after a
run times out.

One page serves the block, the panel and the timeout steps, so the runtime
loads once; the page asks for a 5 s run timeout (``?run-timeout=5``) to keep
the timeout step short.
"""

import pytest

from guide.clients.run_button import editor_text, output_text
from helpers import WatchedPage

PAGE = "howto/application-object/"
TABS_PAGE = "reference/scope/"  # its first version tabs: Django 6.1's block runs in the browser
TIMEOUT_S = 5
LOAD_MS = 120_000  # first run: the runtime loads (busy 2-core machine)
RUN_MS = 30_000
MAX_TABS = 120  # presses of Tab allowed to reach a control from where we are

# Every text a live region takes, in order, as a screen reader would get it.
RECORD_ANNOUNCEMENTS = """
window.__announced = [];
new MutationObserver((mutations) => {
  const regions = new Set();
  for (const mutation of mutations) {
    const node = mutation.target.nodeType === Node.ELEMENT_NODE ? mutation.target : mutation.target.parentElement;
    const region = node && node.closest("[aria-live]");
    if (region) regions.add(region);
  }
  for (const region of regions) {
    const text = region.textContent.trim();
    if (text) window.__announced.push({ live: region.getAttribute("aria-live"), text });
  }
}).observe(document, { subtree: true, childList: true, characterData: true });
"""

# The focused element, and the ring a reader sees for it: on the element
# itself, on the editor around CodeMirror's editable content, or on the label
# of a content tab (the tab's radio input is invisible).
FOCUS = """() => {
  const focused = document.activeElement;
  let shown = focused;
  if (focused.matches(".tabbed-set > input")) {
    const inputs = [...focused.parentElement.querySelectorAll(":scope > input")];
    shown = focused.parentElement.querySelector(":scope > .tabbed-labels").children[inputs.indexOf(focused)];
  } else if (focused.closest(".runnable-editor")) {
    shown = focused.closest(".runnable-editor");
  }
  const style = getComputedStyle(shown);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
  return {
    tag: focused.tagName.toLowerCase(),
    classes: [...focused.classList],
    text: (focused.textContent || "").trim().slice(0, 40),
    ring: outline ? `outline ${style.outlineWidth} ${style.outlineColor}` : style.boxShadow !== "none" ? style.boxShadow : null,
  };
}"""


class KeyboardPage(WatchedPage):
    """A page in its own context, with its JavaScript and console errors and its announcements."""

    def __init__(self, chromium, url):
        super().__init__(chromium)
        self.context.add_init_script(RECORD_ANNOUNCEMENTS)
        self.page.goto(url)
        self.page.wait_for_selector("html[data-runnable-ready]", state="attached")

    def focused(self):
        return self.page.evaluate(FOCUS)

    def tab_to(self, test, what, key="Tab"):
        """Press ``key`` until ``test`` (JS, given the focused element) is true; return the focus."""
        for _ in range(MAX_TABS):
            self.page.keyboard.press(key)
            if self.page.evaluate(f"(element => {test})(document.activeElement)"):
                focus = self.focused()
                assert focus["ring"], f"{what} has focus but no visible focus ring: {focus}"
                return focus
        pytest.fail(f"{what} not reached with {MAX_TABS} presses of {key}")

    def focus_before(self, locator):
        """Focus the last focusable element before ``locator`` (a starting point for Tab)."""
        locator.evaluate(
            """target => {
                const focusable = [...document.querySelectorAll("a[href], button, input, select, textarea, [tabindex]")]
                    .filter((node) => node.tabIndex >= 0 && node.getClientRects().length && !node.disabled);
                const before = focusable.filter(
                    (node) => target.compareDocumentPosition(node) & Node.DOCUMENT_POSITION_PRECEDING
                        && !target.contains(node));
                before.at(-1).focus();
            }"""
        )

    def announced(self, since=0):
        return self.page.evaluate("() => window.__announced")[since:]

    def wait_announced(self, since, live, starts, timeout):
        """Wait for a ``live`` region to announce a text that starts with ``starts``; return it."""
        self.page.wait_for_function(
            "([since, live, starts]) => window.__announced.slice(since).some("
            "(a) => a.live === live && a.text.startsWith(starts))",
            arg=[since, live, starts],
            timeout=timeout,
        )
        return next(
            a["text"]
            for a in self.announced(since)
            if a["live"] == live and a["text"].startswith(starts)
        )


def test_a_block_and_the_request_panel_with_the_keyboard_alone(chromium, site_url):
    """One page, one runtime load: run, edit, Ctrl+Enter, Reset; the panel; a timeout.

    One test rather than three, so that the runtime loads once (pytest-xdist
    would spread the tests of a module over both workers).
    """
    kb = KeyboardPage(chromium, f"{site_url}/{PAGE}?run-timeout={TIMEOUT_S}")
    try:
        run_edit_and_reset(kb)
        send_a_request(kb)
        time_out(kb)  # last: it stops the runtime
    except BaseException:
        kb.context.close()
        raise
    kb.close()


def is_run_of(index):
    return f'element.matches(".runnable-run") && element.closest("div.runnable") === document.querySelectorAll("div.runnable")[{index}]'


def wait_state(page, block, timeout):
    page.wait_for_function(
        "block => block.dataset.runState !== undefined", arg=block.element_handle(), timeout=timeout
    )
    return block.get_attribute("data-run-state")


def forget_state(page, block):
    page.evaluate("block => { delete block.dataset.runState; }", block.element_handle())


def run_edit_and_reset(kb):
    page = kb.page
    block = page.locator("div.runnable").nth(0)
    original = block.locator(".highlight code").text_content()

    # Tab to Run, Enter.
    kb.tab_to(is_run_of(0), "the first block's Run button")
    since = len(kb.announced())
    forget_state(page, block)
    page.keyboard.press("Enter")
    assert wait_state(page, block, LOAD_MS) == "done"
    assert output_text(block) == "<class 'django.core.handlers.asgi.ASGIHandler'>\nTrue\n"
    polite = [a["text"] for a in kb.announced(since) if a["live"] == "polite"]
    assert polite[-1] == "Ran: matches the page.", polite
    assert "Running…" in polite, polite
    # Focus stayed on Run during the run (it is never disabled, so focus cannot drop).
    focus = kb.focused()
    assert "runnable-run" in focus["classes"] and focus["ring"], focus

    # The block is an editor now: Shift+Tab goes into it, its label says what it is.
    kb.tab_to('element.classList.contains("cm-content")', "the editor", key="Shift+Tab")
    editable = block.locator(".runnable-editor .cm-content")
    assert editable.get_attribute("aria-label").startswith("Editable snippet")
    hint = page.locator("#" + editable.get_attribute("aria-describedby"))
    assert hint.is_visible()
    assert "Escape, then Tab" in hint.text_content()

    # Edit, Ctrl+Enter runs.
    page.keyboard.press("Control+a")
    page.keyboard.type(">>> 6 * 7")
    assert editor_text(block) == ">>> 6 * 7"
    since = len(kb.announced())
    forget_state(page, block)
    page.keyboard.press("Control+Enter")
    assert wait_state(page, block, RUN_MS) == "done"
    assert output_text(block) == "42\n"
    kb.wait_announced(since, "polite", "Ran: ", RUN_MS)

    # Tab indents inside the editor (focus stays); Escape then Tab leaves it, to Run.
    page.keyboard.press("Tab")
    assert editor_text(block) == "    >>> 6 * 7"
    assert "cm-content" in kb.focused()["classes"]
    page.keyboard.press("Shift+Tab")
    assert editor_text(block) == ">>> 6 * 7"
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    focus = kb.focused()
    assert "runnable-run" in focus["classes"] and focus["ring"], focus

    # Tab to Reset, Enter: the snippet as published, focus back on Run, and it is said.
    focus = kb.tab_to('element.classList.contains("runnable-reset")', "Reset")
    since = len(kb.announced())
    page.keyboard.press("Enter")
    assert block.locator(".highlight").is_visible()
    assert block.locator(".highlight code").text_content() == original
    assert not block.locator(".runnable-editor").is_visible()
    assert not block.locator(".runnable-output").first.is_visible()
    focus = kb.focused()
    assert "runnable-run" in focus["classes"] and focus["ring"], focus
    kb.wait_announced(since, "polite", "Reset", 5_000)


def send_a_request(kb):
    page = kb.page
    panel = page.locator("div.asgi-request-panel")
    # From the last block's Run button, Tab reaches the panel's first control.
    kb.focus_before(panel)
    kb.tab_to('element.name === "application"', "the panel's application menu")
    page.keyboard.press("ArrowDown")  # the next application
    assert panel.locator("select[name=application]").input_value() == (
        "mysite.asgi_wrapped:application"
    )
    kb.tab_to('element.name === "method"', "the method menu")
    kb.tab_to('element.name === "path"', "the path")
    page.keyboard.press("Control+a")
    page.keyboard.type("/polls/async/2/")
    kb.tab_to('element.name === "headers"', "the headers")
    kb.tab_to('element.name === "body"', "the body")
    kb.tab_to('element.type === "submit"', "Send")
    since = len(kb.announced())
    page.evaluate("panel => { delete panel.dataset.status; }", panel.element_handle())
    page.keyboard.press("Enter")
    page.wait_for_function(
        "panel => panel.dataset.status !== undefined", arg=panel.element_handle(), timeout=LOAD_MS
    )
    assert panel.get_attribute("data-status") == "200"
    text = panel.locator(".runnable-output").text_content()
    assert '{"id": 2, "text": "Sync or async?"}' in text
    assert "server-timing: app;dur=" in text  # asgi_wrapped's middleware answered
    kb.wait_announced(since, "polite", "Answered in ", 5_000)
    assert "submit" == kb.page.evaluate("document.activeElement.type")

    # Bad input is announced as an error (assertive), and shown.
    kb.tab_to('element.name === "headers"', "the headers", key="Shift+Tab")
    page.keyboard.press("Control+a")
    page.keyboard.type("no colon here")
    since = len(kb.announced())
    kb.tab_to('element.type === "submit"', "Send")
    page.keyboard.press("Enter")
    error = kb.wait_announced(since, "assertive", "Header lines look like", 10_000)
    assert error in panel.locator(".runnable-output").text_content()


def time_out(kb):
    page = kb.page
    block = page.locator("div.runnable").nth(1)
    kb.focus_before(block)
    kb.tab_to(is_run_of(1), "the second block's Run button")
    forget_state(page, block)
    page.keyboard.press("Enter")
    assert wait_state(page, block, LOAD_MS) == "done"
    kb.tab_to('element.classList.contains("cm-content")', "the editor", key="Shift+Tab")
    page.keyboard.press("Control+a")
    page.keyboard.type(">>> while True: pass")
    since = len(kb.announced())
    forget_state(page, block)
    page.keyboard.press("Control+Enter")
    kb.wait_announced(since, "polite", "Running…", RUN_MS)
    message = kb.wait_announced(since, "assertive", "Stopped after", 4 * TIMEOUT_S * 1000)
    assert message == (
        f"Stopped after {TIMEOUT_S} s: the code did not finish (infinite loop?). "
        "The Python runtime was restarted."
    )
    assert wait_state(page, block, 5_000) == "error"
    assert block.locator(".runnable-output").first.text_content() == message
    assert block.locator("[role=status]").text_content() == "Did not run."


def test_version_tabs_switch_with_the_keyboard(chromium, site_url):
    kb = KeyboardPage(chromium, f"{site_url}/{TABS_PAGE}?no-prefetch")
    page = kb.page
    tabs = page.locator(".tabbed-set").first
    labels = [label.text_content() for label in tabs.locator(".tabbed-labels > label").all()]
    assert labels == ["Django 5.2", "Django 6.0", "Django 6.1"]
    kb.focus_before(tabs)
    kb.tab_to('element.matches(".tabbed-set > input")', "the first version tabs")
    checked = (
        "tabs => [...tabs.querySelectorAll(':scope > input')].findIndex((input) => input.checked)"
    )
    assert tabs.evaluate(checked) == 0
    for index in (1, 2):
        page.keyboard.press("ArrowRight")
        assert tabs.evaluate(checked) == index
        assert kb.focused()["ring"], kb.focused()
        shown = tabs.locator(".tabbed-content > .tabbed-block").nth(index)
        assert shown.is_visible()
    # Tab goes on into the shown tab: to its block's Run button.
    block = tabs.locator(".tabbed-content > .tabbed-block").nth(2).locator("div.runnable")
    assert block.get_attribute("data-browser-skip") is None, f"{TABS_PAGE}: pick another page"
    kb.tab_to('element.classList.contains("runnable-run")', "Django 6.1's Run button")
    assert page.evaluate(
        "block => block.contains(document.activeElement)", block.element_handle()
    ), "Tab went to another Run button than the shown tab's"
    page.keyboard.press("ArrowLeft")  # a button ignores arrows: the tab stays
    assert tabs.evaluate(checked) == 2
    kb.close()


def test_without_the_bundled_editor_a_textarea_takes_its_place(chromium, site_url):
    """If assets/vendor/editor.mjs cannot load, a kept edit shows in a plain textarea."""
    saved = ">>> 'kept'\n"
    context = chromium.new_context()
    context.route("**/assets/vendor/editor.mjs", lambda route: route.fulfill(status=404))
    context.add_init_script(
        "sessionStorage.setItem("
        f"'runnable:/{PAGE}:' + 'howto/application_object/what_it_is.pycon', {saved!r})"
    )
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{site_url}/{PAGE}?no-prefetch")
    block = page.locator("div.runnable").first
    assert block.get_attribute("data-snippet") == "howto/application_object/what_it_is.pycon"
    editor = block.locator("textarea.runnable-editor")
    editor.wait_for()
    assert block.get_attribute("data-editor") == "textarea"
    assert editor.input_value() == saved
    assert editor.get_attribute("aria-label").startswith("Editable snippet")
    hint = page.locator("#" + editor.get_attribute("aria-describedby"))
    assert hint.text_content() == "Ctrl+Enter (⌘+Enter) runs the snippet."
    # A textarea's Tab moves focus: from the editor to Run.
    editor.focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('runnable-run')")
    context.close()
    assert not errors, errors
