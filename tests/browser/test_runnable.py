"""Every doctest snippet, run through its Run button in headless Chromium.

The first run on each page downloads nothing while Python waits: what it reads
comes before it (the page's first runnable block: guide.browser_build.first_runs).

The output the browser shows must be what the doctest expects: the same
checker, with the same options (ELLIPSIS), as ``nox -s docs`` uses on a
server; and the page's own verdict (runnable.mjs, from the runtime's
comparison) must then say "Matches the page". Snippets marked
``browser = "..."`` must show that marker instead.
"""

import doctest
from urllib.parse import urlsplit

import pytest

from guide.clients.run_button import example_outputs, press_run, reveal, verdict
from guide.content import pages
from guide.content import snippets as model
from guide.content.doctests import OPTIONFLAGS, stderr_matches
from guide.paths import SNIPPETS

TRACEBACK_HEADER = "Traceback (most recent call last):\n  ...\n"
FIRST_RUN_MS = 120_000  # includes loading the runtime on a busy 2-core machine
RUN_MS = 30_000


SNIPPETS_BY_REL = model.load()


def pages_with_snippets():
    """``{url: number of doctest blocks the page shows}`` (a name with variants counts each)."""
    found = {}
    for page in pages.pages():
        includes = pages.doctest_includes(page)
        if includes:
            found[pages.url_of(page)] = sum(
                len(model.variants(SNIPPETS_BY_REL, include.path)) for _, include in includes
            )
    return found


def expected_examples(snippet):
    """What doctest compares, example by example (tracebacks as doctest reduces them)."""
    wants = []
    for example in doctest.DocTestParser().get_examples(snippet.read_text(encoding="utf-8")):
        wants.append(
            TRACEBACK_HEADER + example.exc_msg if example.exc_msg is not None else example.want
        )
    return wants


CHECKER = doctest.OutputChecker()


def compare(snippet, state, outputs, stderr, shown):
    """Problems with one run of ``snippet``, compared example by example like doctest;
    ``shown``, the page's own verdict, must say it matches too."""
    wants = expected_examples(SNIPPETS / snippet)
    if state != "done":
        return [f"--- {snippet}: the run ended in {state!r}"]
    if outputs is None or len(outputs) != len(wants):
        return [f"--- {snippet}: {len(wants)} examples, the page shows outputs for {outputs!r}"]
    problems = [
        f"--- {snippet}, example {index + 1}\nexpected:\n{want}got:\n{got}"
        for index, (want, got) in enumerate(zip(wants, outputs, strict=True))
        if not CHECKER.check_output(want, got, OPTIONFLAGS)
    ]
    if not problems and shown != ("Output", "Matches the page"):
        problems.append(f"--- {snippet}: doctest's checker says it matches, the page says {shown}")
    allowed = SNIPPETS_BY_REL[snippet].options.stderr
    if not stderr_matches(allowed, stderr):
        expected = f"to match {allowed!r}" if allowed else "nothing"
        problems.append(f"--- {snippet}: wrote to stderr (expected {expected}):\n{stderr}")
    return problems


def run_block(page, block, timeout):
    state, _ = press_run(page, block, timeout)
    outputs, stderr = example_outputs(block)
    return state, outputs, stderr, verdict(block)


PAGES_WITH_SNIPPETS = pages_with_snippets()
# Pages with many blocks take a minute or more: they start first, most blocks first.
SLOW_FROM_BLOCKS = 6


def page_params():
    by_blocks = sorted(PAGES_WITH_SNIPPETS, key=PAGES_WITH_SNIPPETS.get, reverse=True)
    for path in by_blocks:
        slow = PAGES_WITH_SNIPPETS[path] >= SLOW_FROM_BLOCKS
        yield pytest.param(path, id=path, marks=[pytest.mark.slow] if slow else [])


@pytest.mark.timeout(900)  # every block twice, the first run loading the runtime
@pytest.mark.parametrize("path", list(page_params()))
def test_every_snippet_on_the_page_runs_with_its_doctest_output(browser_page, site_url, path):
    """Each block's output matches its doctest, example by example, with nothing on stderr;
    run again in reverse order, every block gives the same output: no run leaks into the next."""
    page = browser_page.page
    page.goto(f"{site_url}/{path}")
    page.wait_for_selector("html[data-runnable-ready]")
    blocks = page.locator("div.runnable")
    assert blocks.count() == PAGES_WITH_SNIPPETS[path], "every doctest block is runnable or marked"
    timeout = FIRST_RUN_MS
    runnable, failures = [], []
    for index in range(blocks.count()):
        block = blocks.nth(index)
        snippet = block.get_attribute("data-snippet")
        reveal(block)
        if block.get_attribute("data-browser-skip"):
            note = block.locator("[data-runnable-skip]")
            assert note.is_visible(), snippet
            assert "Runs on a server only" in note.text_content()
            assert block.locator(".runnable-run").count() == 0
            continue
        block.scroll_into_view_if_needed()
        # A block for another Django release first loads that release, like a first run.
        other_django = '"django"' in (block.get_attribute("data-fresh") or "")
        state, outputs, stderr, shown = run_block(
            page, block, FIRST_RUN_MS if other_django else timeout
        )
        if timeout == FIRST_RUN_MS and not other_django:
            # What this first run reads came with the runtime (manifest.first_runs,
            # guide.browser_build.first_runs), none of it downloaded while Python waited.
            waited = [u for u in browser_page.requests if urlsplit(u).query == "now"]
            if waited:
                failures.append(f"--- {snippet}: the first run waited for {waited}")
        timeout = RUN_MS
        failures += compare(snippet, state, outputs, stderr, shown)
        runnable.append((block, snippet, outputs))
    for block, snippet, first in reversed(runnable):
        state, outputs, stderr, shown = run_block(page, block, timeout)
        failures += [
            f"(second run, reverse order) {p}"
            for p in compare(snippet, state, outputs, stderr, shown)
        ]
        wants = expected_examples(SNIPPETS / snippet)
        if outputs and first and len(outputs) == len(first) == len(wants):
            for index, (want, got, before) in enumerate(zip(wants, outputs, first, strict=True)):
                if "..." not in want and got != before:
                    failures.append(
                        f"--- {snippet}, example {index + 1}: second run (reverse order) "
                        f"differs from the first\nfirst:\n{before}second:\n{got}"
                    )
    origin = urlsplit(site_url).netloc
    foreign = [u for u in browser_page.requests if urlsplit(u).netloc not in (origin, "")]
    assert not foreign, foreign
    assert not failures, "\n".join(failures)
