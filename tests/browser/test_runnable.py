"""Every doctest snippet, run through its Run button in headless Chromium.

The output the browser shows must be what the doctest expects: the same
checker, with the same options (ELLIPSIS), as ``nox -s docs`` uses on a
server. Snippets marked ``browser = "..."`` must show that marker instead.
"""

import doctest
import re
from urllib.parse import urlsplit

import pytest
from runnable_page import press_run, reveal

from doctest_runner import OPTIONFLAGS, ROOT, SNIPPETS

DOCS = ROOT / "docs"
TRACEBACK_HEADER = "Traceback (most recent call last):\n  ...\n"
FIRST_RUN_MS = 120_000  # includes loading the runtime on a busy 2-core machine
RUN_MS = 30_000


def pages_with_snippets():
    found = []
    for md in sorted(DOCS.rglob("*.md")):
        if re.search(r'--8<-- "snippets/[^"]+\.pycon"', md.read_text(encoding="utf-8")):
            rel = md.relative_to(DOCS).with_suffix("").as_posix()
            url = (
                ""
                if rel == "index"
                else (rel[: -len("index")] if rel.endswith("index") else rel + "/")
            )
            found.append(url)
    return found


def expected_output(snippet):
    """What doctest compares, example by example, joined (tracebacks as doctest reduces them)."""
    parts = []
    for example in doctest.DocTestParser().get_examples(snippet.read_text(encoding="utf-8")):
        if example.exc_msg is not None:
            parts.append(TRACEBACK_HEADER + example.exc_msg)
        else:
            parts.append(example.want)
    return "".join(parts)


@pytest.mark.parametrize("path", pages_with_snippets())
def test_every_snippet_on_the_page_runs_with_its_doctest_output(browser_page, site_url, path):
    page = browser_page.page
    page.goto(f"{site_url}/{path}")
    page.wait_for_selector("html[data-runnable-ready]")
    blocks = page.locator("div.runnable")
    markdown = (DOCS / (path.rstrip("/") or "index")).with_suffix(".md")
    if not markdown.exists():
        markdown = DOCS / path / "index.md"
    includes = re.findall(r'--8<-- "snippets/[^"]+\.pycon"', markdown.read_text(encoding="utf-8"))
    assert blocks.count() == len(includes), "every doctest block is runnable or marked"
    checker = doctest.OutputChecker()
    timeout = FIRST_RUN_MS
    failures = []
    for index in range(blocks.count()):
        block = blocks.nth(index)
        snippet = block.get_attribute("data-snippet")
        if block.get_attribute("data-browser-skip"):
            reveal(block)
            note = block.locator("[data-runnable-skip]")
            assert note.is_visible(), snippet
            assert "Runs on a server only" in note.text_content()
            assert block.locator(".runnable-run").count() == 0
            continue
        reveal(block)
        block.scroll_into_view_if_needed()
        state, got = press_run(page, block, timeout)
        timeout = RUN_MS
        want = expected_output(SNIPPETS / snippet)
        if state != "done" or not checker.check_output(want, got, OPTIONFLAGS):
            failures.append(f"--- {snippet} ({state})\nexpected:\n{want}\ngot:\n{got}")
    origin = urlsplit(site_url).netloc
    foreign = [u for u in browser_page.requests if urlsplit(u).netloc not in (origin, "")]
    assert not foreign, foreign
    assert not failures, "\n".join(failures)
