"""When the runtime is fetched, and when a block sets itself up (runnable.mjs).

On a touch screen or a metered connection nothing of the runtime is fetched
before Run, and the button says how much the first run loads; a desktop on a
fast connection still prefetches. Blocks near the viewport are set up first, the
others in idle time. Requests are counted at the browser
context, which also sees the Web Worker's.
"""

import json
import re
import time

import pytest

from guide.clients.run_button import press_run, reveal
from helpers import WatchedPage

PAGE = "howto/application-object/"
LONG_PAGE = "howto/async-apis/"  # the page with the most blocks
LOAD_MS = 120_000  # first run: the runtime loads (busy 2-core machine)
PHONE = {"has_touch": True, "is_mobile": True, "viewport": {"width": 390, "height": 844}}


# DevTools' "Fast 3G": the browser then estimates the connection "3g".
FAST_3G = {"latency": 562.5, "downloadThroughput": 180 * 1024, "uploadThroughput": 84 * 1024}
NO_THROTTLE = {"latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
# Android's Chromium says navigator.connection.type; desktop Chromium does not expose it.
CELLULAR = """Object.defineProperty(Navigator.prototype, "connection", {
    get: () => ({ type: "cellular", effectiveType: "4g", saveData: false }),
});"""


class CountingPage(WatchedPage):
    """A :class:`WatchedPage` that also records the requests of the whole context
    (the worker's among them), and can emulate a 3G connection (DevTools' network
    emulation) or a cellular one (``navigator.connection.type``, by a script)."""

    def __init__(self, browser, slow=False, cellular=False, **options):
        super().__init__(browser, **options)
        self.context_requests = []
        self.context.on("request", lambda request: self.context_requests.append(request.url))
        if cellular:
            self.context.add_init_script(CELLULAR)
        self.cdp = self.context.new_cdp_session(self.page)
        self.cdp.send("Network.enable")
        if slow:
            self.network(FAST_3G)

    def network(self, conditions):
        self.cdp.send(
            "Network.emulateNetworkConditions",
            {"offline": False, "connectionType": "cellular3g", **conditions},
        )

    def runtime_requests(self):
        return [url for url in self.context_requests if "/runtime/" in url]


@pytest.fixture
def counting(chromium):
    pages = []

    def make(**options):
        pages.append(CountingPage(chromium, **options))
        return pages[-1]

    yield make
    for page in pages:
        page.close()


def download(page):
    """The page's ``download`` sizes (<meta name="guide-runtime">)."""
    meta = page.locator('meta[name="guide-runtime"]').get_attribute("content")
    return json.loads(meta)["download"]


def run_labels(page):
    return page.locator("div.runnable .runnable-run").all_text_contents()


def scroll_through(page):
    """Scroll to the bottom and back, as a reader skimming the page, then stay idle
    longer than the prefetch waits for (3 s at most)."""
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.wait_for_timeout(500)
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(4_000)


def test_touch_and_metered_fetch_nothing_before_run_and_say_how_much(counting, site_url):
    watched = counting(slow=True, **PHONE)
    page = watched.page
    page.goto(f"{site_url}/{PAGE}", wait_until="networkidle", timeout=60_000)
    assert page.evaluate("navigator.connection.effectiveType") == "3g"
    assert page.evaluate("matchMedia('(pointer: coarse)').matches")
    page.wait_for_selector("html[data-runnable-prefetch='off']", state="attached")
    scroll_through(page)
    # Hover and focus of Run do not fetch either.
    first = page.locator("div.runnable").first
    first.locator(".runnable-run").focus()
    first.locator(".runnable-run").hover()
    page.wait_for_timeout(1_000)
    assert watched.runtime_requests() == [], "nothing of the runtime before Run"

    sizes = download(page)
    assert sizes["snapshot"] > sizes["scratch"] > 1e6
    # On 3G Python starts from scratch: the button says that start's bytes.
    label = f"Run · {sizes['scratch'] / 1e6:.1f} MB, once"
    assert set(run_labels(page)) == {label}, run_labels(page)

    watched.network(NO_THROTTLE)  # the download itself at full speed: this is a test
    state, _ = press_run(page, first, LOAD_MS)
    assert state == "done"
    fetched = watched.runtime_requests()
    assert any(re.search(r"/runtime/pyodide/pyodide\.asm\.\w+\.wasm$", url) for url in fetched)
    assert any("/runtime/worker." in url for url in fetched)
    assert set(run_labels(page)) == {"Run"}, "loaded: the buttons say just Run"

    # The next page of this build: the start's files are in the browser's cache; a
    # block written for Django 5.2 still says what that release adds.
    page.goto(f"{site_url}/{LONG_PAGE}", wait_until="networkidle")
    page.locator("div.runnable .runnable-run").first.wait_for()
    for version, label in [
        ("5.2", f"Run · {sizes['django']['5.2'] / 1e6:.1f} MB, once"),
        ("6.0", f"Run · {sizes['django']['6.0'] / 1e6:.1f} MB, once"),
        ("6.1", "Run"),
    ]:
        block = page.locator(f'div.runnable[data-snippet$="-django{version}.pycon"]').first
        reveal(block)
        assert block.locator(".runnable-run").text_content() == label, version
    # Run on Django 5.2 once: its blocks then say just Run.
    block = page.locator('div.runnable[data-snippet$="-django5.2.pycon"]')
    assert press_run(page, block.first, LOAD_MS)[0] == "done"
    reveal(block.last)
    assert block.last.locator(".runnable-run").text_content() == "Run"


@pytest.mark.parametrize(
    "options",
    [
        pytest.param(PHONE, id="touch"),
        pytest.param({"cellular": True}, id="cellular"),
        pytest.param({"slow": True}, id="3g"),
    ],
)
def test_either_a_touch_screen_or_a_cellular_connection_turns_prefetch_off(
    counting, site_url, options
):
    watched = counting(**options)
    page = watched.page
    page.goto(f"{site_url}/{PAGE}", wait_until="networkidle", timeout=60_000)
    page.wait_for_selector("html[data-runnable-prefetch='off']", state="attached")
    scroll_through(page)
    assert watched.runtime_requests() == []
    assert all(label.endswith(" MB, once") for label in run_labels(page)), run_labels(page)


def test_desktop_on_a_fast_connection_still_prefetches(counting, site_url):
    watched = counting()
    page = watched.page
    page.goto(f"{site_url}/{PAGE}")
    page.wait_for_selector("div.runnable .runnable-run")
    assert set(run_labels(page)) == {"Run"}
    page.locator("div.runnable").first.scroll_into_view_if_needed()
    page.wait_for_selector("html[data-runnable-prefetch='started']", state="attached")
    deadline = time.monotonic() + 30
    while not any("/runtime/worker." in url for url in watched.runtime_requests()):
        assert time.monotonic() < deadline, "the worker was not fetched without a click"
        page.wait_for_timeout(200)
    assert run_labels(page).count("Run") == len(run_labels(page))


SET_UP_ORDER = """
window.__setUpOrder = [];
new MutationObserver((records) => {
  for (const record of records)
    for (const node of record.addedNodes)
      if (node.classList?.contains("runnable-bar")) {
        const block = node.closest("div.runnable");
        const top = block.getBoundingClientRect().top + window.scrollY;
        const shown = block.checkVisibility();
        window.__setUpOrder.push({ snippet: block.dataset.snippet, top, shown });
      }
}).observe(document, { childList: true, subtree: true });
// How many blocks were set up when runnable.mjs had gone through the page.
new MutationObserver(() => {
  if ("runnableReady" in document.documentElement.dataset && !("__barsAtReady" in window))
    window.__barsAtReady = window.__setUpOrder.length;
}).observe(document, {
  attributes: true,
  subtree: true,
  attributeFilter: ["data-runnable-ready"],
});
"""


def test_blocks_near_the_viewport_are_set_up_first_and_the_rest_in_idle_time(counting, site_url):
    """The blocks on screen get their buttons first; the far ones follow without the
    reader scrolling, so a keyboard reader finds every Run button, and a saved edit
    far below comes back in its editor."""
    watched = counting(viewport={"width": 1000, "height": 600})
    page = watched.page
    page.add_init_script(SET_UP_ORDER)
    page.goto(f"{site_url}/{LONG_PAGE}?no-prefetch")
    page.wait_for_selector("html[data-runnable-ready]", state="attached")
    # The last block shown as the page loads (not in a closed "Reproduce it" or a tab),
    # with a saved edit: the editor that brings it back is made in idle time too.
    snippet = page.evaluate(
        """() => {
            const block = [...document.querySelectorAll("div.runnable:not([data-browser-skip])")]
                .filter((block) => block.checkVisibility()).at(-1);
            const key = `runnable:${location.pathname}:${block.dataset.snippet}`;
            sessionStorage.setItem(key, ">>> 6 * 7\\n");
            return block.dataset.snippet;
        }"""
    )
    last = page.locator(f'div.runnable[data-snippet="{snippet}"]')
    page.reload()
    page.wait_for_selector("html[data-runnable-ready]", state="attached")
    total = page.locator("div.runnable").count()  # a block that can't run gets its note
    assert total >= 10, total
    page.wait_for_function(
        "n => document.querySelectorAll('div.runnable .runnable-bar').length === n",
        arg=total,
        timeout=15_000,
    )
    last.locator(".runnable-editor").wait_for()
    assert last.get_attribute("data-editor") == "codemirror"
    assert page.evaluate("window.scrollY") == 0  # nothing scrolled them into view
    assert page.evaluate("window.__barsAtReady") == 0  # none while the page loads
    order = page.evaluate("window.__setUpOrder")
    assert len(order) == total
    # Of the blocks shown (not in an unselected tab), those within the first screen
    # and a screen and a half below it came before any farther one.
    shown = [(i, block["top"]) for i, block in enumerate(order) if block["shown"]]
    near = [i for i, top in shown if top < 600 * 2.5]
    far = [i for i, top in shown if top >= 600 * 2.5]
    assert near and far, order
    assert max(near) < min(far), order
