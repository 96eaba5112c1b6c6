"""The Run button and request panel with bad input, a missing runtime, and no JavaScript.

Each test drives the real page in headless Chromium with the real runtime.
"""

import json
import re
import time

import pytest

from guide.clients.run_button import edit, editor_text, press_run, start_run, wait_run
from guide.site import runtime_files

PAGE = "howto/application-object/"
FIRST_SNIPPET = "howto/application_object/what_it_is.pycon"  # the page's first block
LOAD_MS = 120_000  # first run: the runtime loads (busy 2-core machine)
STOP_AFTER_S = 10  # the runtime stops a run after this long (runnable.mjs, timeoutMs)


@pytest.fixture
def page(browser_page, site_url):
    browser_page.page.goto(f"{site_url}/{PAGE}")
    browser_page.page.wait_for_selector("html[data-runnable-ready]")
    return browser_page.page


@pytest.fixture
def block(page):
    """The page's first block, run once: the runtime is loaded, the editor shown."""
    first = page.locator("div.runnable").first
    run(page, first)
    return first


def run(page, block, timeout=LOAD_MS):
    """Press Run on ``block``; return (state, output text)."""
    return press_run(page, block, timeout)


def first_result(page, url):
    """Open ``url`` and run its first block, which must show the application object;
    return the block."""
    page.goto(url)
    page.wait_for_selector("html[data-runnable-ready]")
    block = page.locator("div.runnable").first
    state, output = run(page, block)
    assert state == "done", output
    assert "ASGIHandler" in output
    return block


def run_code(page, block, code, timeout=30_000):
    """Put ``code`` in ``block``'s editor and run it; return (state, output text)."""
    edit(block, code)
    return run(page, block, timeout=timeout)


def test_runtime_loads_only_when_asked(browser_page, site_url):
    page = browser_page.page
    page.goto(f"{site_url}/{PAGE}?no-prefetch", wait_until="networkidle")
    page.wait_for_selector("html[data-runnable-prefetch='off']", state="attached")
    assert not [url for url in browser_page.requests if "/runtime/" in url]
    # Asked: pressing Run loads it.
    with page.expect_request("**/runtime/pyodide/pyodide.asm.*.wasm", timeout=15_000):
        page.locator("div.runnable .runnable-run").first.click()


def test_run_asks_for_the_runner_the_worker_and_the_manifest_at_once(browser_page, site_url):
    """Not one after another: the worker finds its script and the manifest on their way."""
    page = browser_page.page
    page.goto(f"{site_url}/{PAGE}?no-prefetch", wait_until="networkidle")
    events = []
    kinds = {
        "runner": r"/runtime/runner\.",
        "worker": r"/runtime/worker\.",
        "manifest": r"/manifest\.",
    }

    def record(event):
        def handler(request):
            for kind, pattern in kinds.items():
                if re.search(pattern, request.url):
                    events.append((event, kind))

        return handler

    page.on("request", record("asked"))
    page.on("requestfinished", record("arrived"))
    with page.expect_request("**/runtime/pyodide/pyodide.asm.*.wasm", timeout=15_000):
        page.locator("div.runnable .runnable-run").first.click()
    first_arrival = next(i for i, event in enumerate(events) if event[0] == "arrived")
    asked = {kind for event, kind in events[:first_arrival] if event == "asked"}
    assert asked == {"runner", "worker", "manifest"}, events


def test_runtime_prefetches_once_a_runnable_block_is_on_screen(browser_page, site_url):
    page = browser_page.page
    page.set_viewport_size({"width": 1000, "height": 400})
    page.goto(f"{site_url}/{PAGE}", wait_until="networkidle")
    page.wait_for_selector("html[data-runnable-prefetch='waiting']", state="attached")
    assert not [url for url in browser_page.requests if "/runtime/" in url], "nothing in view yet"
    with page.expect_request("**/runtime/pyodide/pyodide.asm.*.wasm", timeout=15_000):
        page.locator("div.runnable").first.scroll_into_view_if_needed()


def test_pages_without_runnable_blocks_load_no_runtime(browser_page, site_url):
    page = browser_page.page
    page.goto(f"{site_url}/reference/", wait_until="networkidle")
    page.wait_for_selector("html[data-runnable-prefetch='off']", state="attached")
    assert page.locator("div.runnable").count() == 0
    assert not [url for url in browser_page.requests if "/runtime/" in url]


def test_first_run_then_block_is_editable_and_reset_restores_it(page):
    block = page.locator("div.runnable").first
    original = block.locator(".highlight code").text_content()
    state, output = run(page, block)
    assert state == "done"
    assert output == "<class 'django.core.handlers.asgi.ASGIHandler'>\nTrue\n"
    assert block.locator(".runnable-editor").is_visible()
    assert not block.locator(".highlight").is_visible()
    assert run_code(page, block, ">>> 6 * 7\n") == ("done", "42\n")
    block.locator(".runnable-reset").click()
    assert block.locator(".highlight").is_visible()
    assert not block.locator(".runnable-editor").is_visible()
    assert not block.locator(".runnable-output").first.is_visible()
    assert block.locator(".highlight code").text_content() == original


def test_edits_survive_a_reload(page, block):
    edit(block, ">>> 'kept'\n")
    page.reload()
    page.wait_for_selector("html[data-runnable-ready]")
    block = page.locator("div.runnable").first
    editor = block.locator(".runnable-editor")
    editor.wait_for()
    assert editor.is_visible()
    assert block.get_attribute("data-editor") == "codemirror"
    assert editor_text(block) == ">>> 'kept'\n"


def test_syntax_error_and_exception_show_tracebacks_and_the_next_run_works(page, block):
    state, output = run_code(page, block, ">>> def broken(:\n")
    assert state == "done"
    assert output.startswith('  File "<doctest snippet[0]>", line 1\n'), output
    assert "SyntaxError" in output
    state, output = run_code(page, block, ">>> 1 / 0\n>>> 'after'\n")
    assert "ZeroDivisionError: division by zero" in output
    assert output.endswith("'after'\n")
    assert run_code(page, block, ">>> 2 + 2\n") == ("done", "4\n")


def test_infinite_loop_is_stopped_and_the_page_stays_responsive(page, block):
    edit(block, ">>> while True:\n...     pass\n")
    tick = time.monotonic()
    page.evaluate("1 + 1")
    idle = time.monotonic() - tick
    started = time.monotonic()
    start_run(page, block)
    # The main thread keeps answering while Python spins in the worker: about
    # as fast as when idle (a blocked main thread would not answer at all).
    page.wait_for_timeout(2000)
    tick = time.monotonic()
    assert page.evaluate("1 + 1") == 2
    busy = time.monotonic() - tick
    assert busy < 10 * idle + 0.25, (busy, idle)
    # Stopped by the runtime's 10 s limit, not before it; wait_run's own
    # limit (twice that) is the bound above.
    state, message = wait_run(page, block, timeout=2 * STOP_AFTER_S * 1000)
    elapsed = time.monotonic() - started
    assert state == "error"
    assert message.startswith(
        f"Stopped after {STOP_AFTER_S} s: the code did not finish (infinite loop?)."
    )
    assert elapsed >= STOP_AFTER_S, elapsed
    # A fresh runtime answers the next run.
    assert run_code(page, block, ">>> 'alive'\n", timeout=LOAD_MS) == ("done", "'alive'\n")


def test_huge_output_is_truncated_with_a_notice(page, block):
    state, output = run_code(page, block, ">>> print('x' * 300_000)\n")
    assert state == "done"
    assert output.endswith("[output truncated at 200 kB]\n")
    assert 200_000 <= len(output) < 201_000


def test_output_is_text_never_html(page, block):
    _, output = run_code(
        page, block, ">>> print('<img src=x onerror=\"window.pwned=1\"><b>bold</b>')\n"
    )
    assert output == '<img src=x onerror="window.pwned=1"><b>bold</b>\n'
    assert block.locator(".runnable-output img, .runnable-output b").count() == 0
    assert page.evaluate("window.pwned") is None


STDLIB_ROUTE = "**/runtime/pyodide/python_stdlib.*.zip*"  # also its ?now request
NOT_IN_THE_SNAPSHOT = "import colorsys\nprint(colorsys.rgb_to_hsv(1, 0, 0))\n"
"""A module of the standard library that nothing imports before a snippet does."""


def test_missing_runtime_file_is_reported_plainly(browser_page, site_url):
    page = browser_page.page
    # Pyodide logs the failed load to the console; nothing else may be logged.
    browser_page.allow_console_error(r"^Error occurred while installing the standard library:$")
    browser_page.allow_console_error(
        r"^Error: Failed to load '[^']+/python_stdlib\.zip': request failed\."
    )
    page.route(STDLIB_ROUTE, lambda route: route.fulfill(status=404))
    # From scratch, Python needs the standard library to start.
    page.goto(f"{site_url}/{PAGE}?no-snapshot")
    page.wait_for_selector("html[data-runnable-ready]")
    block = page.locator("div.runnable").first
    state, message = run(page, block)
    assert state == "error"
    assert "python_stdlib.zip" in message
    # The page still reads normally: the snippet and its build-time output are shown.
    assert block.locator(".highlight").is_visible()
    assert "ASGIHandler" in block.locator(".highlight").text_content()


def test_the_standard_library_is_not_waited_for(browser_page, site_url):
    """Restored from the snapshot, the first result comes before the standard library
    is asked for; a module only it has is downloaded when a snippet imports it."""
    page = browser_page.page
    held = []  # the download that starts once the first run has returned: never answered
    asked_now = []

    def stdlib(route):
        if route.request.url.endswith("?now"):
            asked_now.append(route.request.url)
            route.continue_()
        else:
            held.append(route)

    page.route(STDLIB_ROUTE, stdlib)
    block = first_result(page, f"{site_url}/{PAGE}")
    assert (held, asked_now) == ([], []), "the first result did not need it"
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(100)
    assert len(held) == 1, "then it was asked for, once"
    state, output = run_code(page, block, NOT_IN_THE_SNAPSHOT)
    assert (state, output.strip()) == ("done", "(0.0, 1.0, 1)"), output
    assert len(asked_now) == 1, asked_now


def missing(browser_page, site_url, files, query=""):
    """``PAGE`` opened with the files ``files`` matches answering 404: (page, first block)."""
    page = browser_page.page
    page.route(files, lambda route: route.fulfill(status=404))
    page.goto(f"{site_url}/{PAGE}{query}")
    page.wait_for_selector("html[data-runnable-ready]")
    return page, page.locator("div.runnable").first


def test_a_standard_library_that_cannot_be_downloaded_is_reported_plainly(browser_page, site_url):
    page, block = missing(browser_page, site_url, STDLIB_ROUTE)
    state, output = run(page, block)
    assert state == "done", output  # restored from the snapshot, Python does not need it
    state, message = run_code(page, block, NOT_IN_THE_SNAPSHOT)
    assert state == "error"
    assert re.fullmatch(
        r"Could not load the standard library \(python_stdlib\.zip\): Could not download "
        r"\S+/runtime/pyodide/python_stdlib\.[0-9a-f]{12}\.zip: HTTP 404 \S.*",
        message.strip(),
    ), message


LATER_ROUTE = "**/runtime/pyodide/*.later.*.bundle*"  # also their ?now requests
NOT_READ_FIRST = (
    ">>> from django.core.management.commands import sqlmigrate\n"
    ">>> sqlmigrate.Command.help\n"
    "'Prints the SQL statements for the named migration.'\n"
)
"""A module of Django that neither the start nor any page's first run reads."""


def test_files_the_first_run_does_not_read_are_not_waited_for(browser_page, site_url, site_dir):
    """Restored from the snapshot, the page's first run gets with the runtime the files
    it reads that the start does not (manifest.first_runs); the others come once the
    runs pause, and one read before it arrives is downloaded then."""
    _, manifest = runtime_files.read_served(site_dir / runtime_files.RUNTIME_DIR)
    name_of = {manifest["urls"][name]: name for name in manifest["after_start"]}
    later = [name for name in manifest["after_start"] if ".later." in name]
    first_run = [name for name in manifest["first_runs"][FIRST_SNIPPET] if name in later]
    assert first_run, "the page's first run reads files that the start does not"
    page = browser_page.page
    asked = {"start": [], "after": [], "now": []}
    when = ["start"]

    def bundle(route):
        url = route.request.url
        name = name_of[url.rsplit("/", 1)[-1].split("?")[0]]
        if url.endswith("?now"):
            asked["now"].append(name)
        else:
            asked[when[0]].append(name)
            if when[0] == "after":
                return  # never answered: a read must download it itself
        route.continue_()

    page.route(LATER_ROUTE, bundle)
    block = first_result(page, f"{site_url}/{PAGE}?no-prefetch")
    when[0] = "after"
    assert sorted(asked["start"]) == sorted(first_run), asked
    assert asked["now"] == []
    for _ in range(100):
        if len(asked["after"]) == len(later) - len(first_run):
            break
        page.wait_for_timeout(100)
    assert sorted(asked["after"]) == sorted(set(later) - set(first_run)), "then the rest, once"
    state, output = run_code(page, block, NOT_READ_FIRST)
    assert (state, output.strip()) == ("done", NOT_READ_FIRST.splitlines()[-1]), output
    assert asked["now"], "downloaded when read"
    assert len(set(asked["now"])) == len(asked["now"]), "each once"
    assert not set(asked["now"]) & set(first_run), asked


def test_a_later_file_that_cannot_be_downloaded_is_reported_plainly(browser_page, site_url):
    page, block = missing(browser_page, site_url, LATER_ROUTE, "?no-prefetch")
    state, message = run(page, block)
    assert state == "error"
    assert re.fullmatch(
        r"Could not load part of Python's packages \(django-\d+\.\d+\.later\.[\w-]+\.bundle\): "
        r"Could not download \S+/runtime/pyodide/django-\S+\.later\.[\w-]+\.[0-9a-f]{12}\.bundle: "
        r"HTTP 404 \S.*",
        message.strip(),
    ), message
    assert block.locator(".highlight").is_visible()


def test_snapshot_failing_its_sha256_check_is_reported(browser_page, site_url):
    page = browser_page.page
    page.route(
        "**/runtime/pyodide/snapshot.part3.*.bin",
        lambda route: route.fulfill(status=200, body=b"not the snapshot"),
    )
    page.goto(f"{site_url}/{PAGE}?no-prefetch")
    page.wait_for_selector("html[data-runnable-ready]")
    block = page.locator("div.runnable").first
    state, message = run(page, block)
    assert state == "error"
    assert re.search(
        r"Integrity check failed for \S+/runtime/pyodide/snapshot\.part3\.bin: "
        r"its sha256 does not match manifest\.json",
        message,
    ), message
    assert block.locator(".highlight").is_visible()


@pytest.mark.parametrize("snapshot", [True, False], ids=["snapshot", "no-snapshot"])
def test_python_starts_from_the_snapshot_unless_asked_not_to(browser_page, site_url, snapshot):
    page = browser_page.page
    fetched = []
    page.on("requestfinished", lambda request: fetched.append(request.url.rsplit("/", 1)[-1]))
    query = "?no-prefetch" if snapshot else "?no-prefetch&no-snapshot"
    first_result(page, f"{site_url}/{PAGE}{query}")
    timings = json.loads(page.locator("html").get_attribute("data-runtime-timings"))
    # From the snapshot nothing is imported in the page ("project"); from scratch it is.
    assert ("project" in timings) is not snapshot, timings
    parts = [name for name in fetched if re.fullmatch(r"snapshot\.part\d\.[0-9a-f]{12}\.bin", name)]
    assert len(parts) == (4 if snapshot else 0), fetched


def test_browser_without_webassembly_is_told_so(chromium, site_url):
    context = chromium.new_context()
    context.add_init_script("delete globalThis.WebAssembly;")
    page = context.new_page()
    page.goto(f"{site_url}/{PAGE}")
    page.wait_for_selector("html[data-runnable-ready]")
    block = page.locator("div.runnable").first
    state, message = run(page, block, timeout=30_000)
    context.close()
    assert state == "error"
    assert "WebAssembly is not available" in message


def test_without_javascript_the_page_is_complete(chromium, site_url):
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{site_url}/{PAGE}")
    blocks = page.locator("div.runnable")
    assert blocks.count() == 3  # what_it_is, call_directly, helper
    assert "ASGIHandler" in blocks.first.text_content()
    assert page.locator(".runnable-run").count() == 0
    assert "needs JavaScript" in page.locator(".asgi-request-panel").text_content()
    context.close()


def send(page, panel, application, path, headers="Host: localhost"):
    panel.locator("select[name=application]").select_option(application)
    panel.locator("input[name=path]").fill(path)
    panel.locator("textarea[name=headers]").fill(headers)
    page.evaluate("panel => { delete panel.dataset.status; }", panel.element_handle())
    panel.locator("button[type=submit]").click()
    page.wait_for_function(
        "panel => panel.dataset.status !== undefined || !panel.querySelector('.runnable-output').hidden && panel.querySelector('.runnable-output--error')",
        arg=panel.element_handle(),
        timeout=LOAD_MS,
    )
    return panel.get_attribute("data-status"), panel.locator(".runnable-output").text_content()


def test_request_panel_shows_the_response_messages(browser_page, site_url):
    page = browser_page.page
    page.goto(f"{site_url}/howto/middleware/")
    page.wait_for_selector("html[data-runnable-ready]")
    panel = page.locator(".asgi-request-panel")
    status, text = send(page, panel, "mysite.asgi_wrapped:application", "/polls/async/2/")
    assert status == "200"
    assert "server-timing: app;dur=" in text
    assert '{"id": 2, "text": "Sync or async?"}' in text
    assert '"type":"http.response.start"' in text
    status, text = send(page, panel, "mysite.asgi_mounted:application", "/django/")
    assert status == "200"
    assert '"index": "/django/polls/"' in text
    status, text = send(
        page, panel, "mysite.asgi:application", "/polls/", headers="Host: evil.example"
    )
    assert status == "400"
    status, text = send(page, panel, "mysite.asgi:application", "/polls/", headers="no colon here")
    assert status is None
    assert 'Header lines look like "Name: value"' in text
