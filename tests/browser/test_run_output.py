"""What a reader sees after Run: each statement's output under its source, compared
with the page, a line diff where it differs, the whole traceback for code the
reader changed, and a status line in plain words.

Each test drives the real page in headless Chromium with the real runtime.
"""

import doctest
import re

import pytest

from guide.clients.run_button import edit, press_run, statements, verdict
from guide.paths import SNIPPETS

LOAD_MS = 120_000  # first run: the runtime loads (busy 2-core machine)
RUN_MS = 30_000
SNIPPET = "howto/application_object/what_it_is.pycon"  # the first block of PAGE
PAGE = "howto/application-object/"
# Words about the machinery that a status line must not say (issue 19, item 11).
JARGON = re.compile(r"interpreter|pyodide|fresh|wasm|webassembly", re.IGNORECASE)


def prompted(source):
    """``source`` with its prompts, as the page shows it."""
    lines = source.rstrip("\n").split("\n")
    return "\n".join(("... " if index else ">>> ") + line for index, line in enumerate(lines))


@pytest.fixture
def page(browser_page, site_url):
    browser_page.page.goto(f"{site_url}/{PAGE}")
    browser_page.page.wait_for_selector("html[data-runnable-ready]")
    return browser_page.page


def status(block):
    """The block's live status line, and the timing beside it."""
    return tuple(
        block.evaluate(
            """block => [".runnable-status", ".runnable-timing"].map(
                (selector) => block.querySelector(selector)?.textContent ?? null,
            )"""
        )
    )


def test_unchanged_snippet_shows_each_statement_and_matches_the_page(page):
    block = page.locator("div.runnable").first
    assert block.get_attribute("data-snippet") == SNIPPET
    state, _ = press_run(page, block, LOAD_MS)
    assert state == "done"
    assert verdict(block) == ("Output", "Matches the page")
    examples = doctest.DocTestParser().get_examples((SNIPPETS / SNIPPET).read_text())
    shown = statements(block)
    assert [part["source"] for part in shown] == [prompted(ex.source) for ex in examples]
    assert [part["output"] for part in shown] == [ex.want for ex in examples]
    assert [part["matches"] for part in shown] == ["true"] * len(examples)
    assert all(part["diff"] is None for part in shown)
    assert status(block)[0] == "Ran: matches the page."


def test_status_line_says_where_it_ran_without_jargon(page):
    block = page.locator("div.runnable").first
    assert block.get_attribute("data-fresh")  # a snippet that runs on its own
    press_run(page, block, LOAD_MS)
    said, timing = status(block)
    assert not JARGON.search(said), said
    assert re.fullmatch(r"In your browser in \d+ ms \(Django \d+\.\d+(\.\d+)?\)\.", timing or ""), (
        timing
    )
    assert not JARGON.search(timing), timing
    live = block.locator("[role=status]")
    assert live.get_attribute("aria-live") == "polite"
    assert live.text_content() == "Ran: matches the page."


def test_edited_value_shows_the_statement_that_differs_and_a_diff(page):
    block = page.locator("div.runnable").first
    press_run(page, block, LOAD_MS)
    text = (SNIPPETS / SNIPPET).read_text()
    edit(block, text.replace("inspect.iscoroutinefunction(", "inspect.isfunction("))
    state, output = press_run(page, block, RUN_MS)
    assert state == "done"
    assert output.endswith("False\n")
    assert verdict(block) == ("Your run", "1 of 4 statements differs from the page")
    assert status(block)[0] == "Ran: 1 of 4 statements differs from the page."
    shown = statements(block)
    assert [part["matches"] for part in shown] == ["true", "true", "true", "false"]
    assert shown[3]["source"] == ">>> inspect.isfunction(application.__call__)"
    assert shown[3]["output"] == "False\n"
    assert shown[3]["diff"] == ["− True", "+ False"]
    assert [part["diff"] for part in shown[:3]] == [None] * 3


def test_a_statement_the_reader_adds_is_shown_not_compared(page):
    block = page.locator("div.runnable").first
    press_run(page, block, LOAD_MS)
    edit(block, ">>> 6 * 7\n")
    assert press_run(page, block, RUN_MS) == ("done", "42\n")
    assert statements(block) == [
        {"source": ">>> 6 * 7", "output": "42\n", "matches": "", "diff": None}
    ]
    assert status(block)[0] == "Ran: nothing on the page to compare with."


def test_an_error_in_edited_code_shows_the_whole_traceback(page):
    block = page.locator("div.runnable").first
    press_run(page, block, LOAD_MS)
    edit(block, ">>> 1/0\n>>> def half(n):\n...     return n / 0\n>>> half(1)\n")
    state, output = press_run(page, block, RUN_MS)
    assert state == "done"
    shown = statements(block)
    assert shown[0]["output"].startswith(
        'Traceback (most recent call last):\n  File "<doctest snippet[0]>", line 1, in <module>\n'
        "    1/0\n"
    ), shown[0]["output"]
    assert shown[0]["output"].endswith("\nZeroDivisionError: division by zero\n")
    assert '  File "<doctest snippet[2]>", line 1, in <module>\n    half(1)\n' in shown[2]["output"]
    assert (
        '  File "<doctest snippet[1]>", line 2, in half\n    return n / 0\n' in shown[2]["output"]
    )
    assert "guide_session" not in output  # the runtime's own frames are not shown
    # A statement that does not compile: the line and the caret, as Python prints them.
    edit(block, ">>> def broken(:\n")
    _, output = press_run(page, block, RUN_MS)
    assert output.startswith('  File "<doctest snippet[0]>", line 1\n    def broken(:\n'), output
    assert "SyntaxError" in output


def test_an_error_the_page_expects_is_shown_as_the_page_shows_it(browser_page, site_url):
    """Unchanged, the snippet's traceback is doctest's (it matches the page); edited, whole."""
    page = browser_page.page
    page.goto(f"{site_url}/howto/settings-module/")
    page.wait_for_selector("html[data-runnable-ready]")
    snippet = "howto/settings_module/misspelled.pycon"
    block = page.locator(f'div.runnable[data-snippet="{snippet}"]')
    block.scroll_into_view_if_needed()
    state, _ = press_run(page, block, LOAD_MS)
    assert state == "done"
    assert verdict(block) == ("Output", "Matches the page")
    short = (
        "Traceback (most recent call last):\n  ...\n"
        "ModuleNotFoundError: No module named 'mysite.setings'\n"
    )
    assert statements(block)[-1]["output"] == short
    text = (SNIPPETS / snippet).read_text()
    edit(block, text.replace("  # setdefault() does not correct it", ""))
    press_run(page, block, RUN_MS)
    # Still the error the page expects (doctest compares the last line), now whole.
    assert verdict(block) == ("Your run", "Matches the page")
    whole = statements(block)[-1]["output"]
    assert whole.startswith("Traceback (most recent call last):\n")
    assert '  File "<doctest snippet[2]>", line 1, in <module>\n' in whole
    assert whole.endswith("ModuleNotFoundError: No module named 'mysite.setings'\n")
