"""Code shown whole: at 1280 px few code blocks scroll sideways, and code in a table never wraps.

A reader at 1280x800 (a common laptop) reads a code block without scrolling
it sideways: at most :data:`MAX_SCROLLING` blocks over the whole site may
(``tests/once/test_snippet_width.py`` keeps the lines the blocks include to
88 columns; this measures what the browser does with them: the content
column, the font, a tab's or an admonition's indent). Every block is
measured, those in closed tabs and folded details too.

Inline code in a table cell (a setting's name, a server's option) is read as
one word: it stays on one line, at 1280 px and at 390 px (a phone), where the
table scrolls sideways in its own box instead.
"""

import pytest

from helpers import SITE_PAGES, WatchedPage, page_id, serve_empty_search_index

WIDE = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
MAX_SCROLLING = 2
"""Issue 19 asked for at most 10 code blocks scrolling sideways at 1280 px; 2 do:
two servers' log lines, shown as they print them (the granian and uvicorn --reload
pages; tests/allowed_wide_lines.toml). Any other wide block fails."""

# Every code block of the page's content, with how much wider its text is
# than its box. Closed tabs and folded details are opened first, so that
# every block has a box to measure.
SCROLLING_BLOCKS = """() => {
  for (const details of document.querySelectorAll(".md-content details")) details.open = true;
  for (const block of document.querySelectorAll(".md-content .tabbed-block")) block.style.display = "block";
  const found = [];
  for (const code of document.querySelectorAll(".md-content pre > code")) {
    const heading = [...document.querySelectorAll(".md-content h1, .md-content h2, .md-content h3")]
      .filter((h) => h.compareDocumentPosition(code) & Node.DOCUMENT_POSITION_FOLLOWING).pop();
    const snippet = code.closest("[data-snippet]");
    const widest = code.textContent.split("\\n").reduce((a, b) => (b.length > a.length ? b : a), "");
    found.push({
      over: code.scrollWidth - code.clientWidth,
      box: code.clientWidth,
      where: snippet ? snippet.getAttribute("data-snippet") : (heading ? heading.textContent.trim() : ""),
      widest: widest.length,
      line: widest.trim().slice(0, 60),
    });
  }
  return found;
}"""

# Inline code in a table cell that the browser laid out on more than one line.
WRAPPED_TABLE_CODE = """() => {
  const found = [];
  for (const code of document.querySelectorAll(".md-content td code, .md-content th code")) {
    if (code.closest("pre")) continue;
    const lines = new Set([...code.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
    if (lines.size > 1) found.push(`${code.textContent} (on ${lines.size} lines)`);
  }
  return found;
}"""


@pytest.fixture(scope="module")
def context_at(chromium, site_dir):
    """``context_at(viewport)``: one page per window size for the module, errors checked."""
    opened = {}

    def at(viewport):
        key = (viewport["width"], viewport["height"])
        if key not in opened:
            opened[key] = WatchedPage(chromium, viewport=viewport)
            serve_empty_search_index(opened[key].context, site_dir)
        return opened[key]

    yield at
    for watched in opened.values():
        watched.close()


def load(watched, site_url, path):
    watched.page.goto(f"{site_url}/{path}?no-prefetch")
    watched.page.wait_for_selector("html[data-runnable-ready]", state="attached")


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_at_most_2_code_blocks_scroll_sideways_at_1280_px(context_at, site_url):
    watched = context_at(WIDE)
    blocks, scrolling = 0, []
    for path in SITE_PAGES:
        load(watched, site_url, path)
        measured = watched.page.evaluate(SCROLLING_BLOCKS)
        watched.check(f"/{path}")
        blocks += len(measured)
        scrolling += [dict(block, page=f"/{path}") for block in measured if block["over"] > 1]
    assert blocks > 100, "the code blocks of the site are measured"
    scrolling.sort(key=lambda block: -block["over"])
    worst = "\n".join(
        f"{b['page']} {b['where']}: {b['over']} px over its {b['box']} px "
        f"({b['widest']} columns: {b['line']!r})"
        for b in scrolling[:25]
    )
    assert len(scrolling) <= MAX_SCROLLING, (
        f"{len(scrolling)} of {blocks} code blocks scroll sideways at 1280 px "
        f"(at most {MAX_SCROLLING}); the worst:\n{worst}"
    )


@pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["1280px", "390px"])
@pytest.mark.parametrize("path", SITE_PAGES, ids=page_id)
def test_code_in_a_table_cell_stays_on_one_line(context_at, site_url, viewport, path):
    watched = context_at(viewport)
    load(watched, site_url, path)
    wrapped = watched.page.evaluate(WRAPPED_TABLE_CODE)
    watched.check(f"/{path}")
    assert not wrapped, f"/{path} at {viewport['width']} px: code broken across lines: {wrapped}"


def test_the_check_finds_code_wrapped_in_a_table(context_at, site_url):
    watched = context_at(WIDE)
    load(watched, site_url, "reference/settings/")
    watched.page.evaluate(
        """() => {
            const code = document.querySelector(".md-content td code");
            code.style.whiteSpace = "normal";
            code.style.wordBreak = "break-all";
            const cell = code.closest("td");
            cell.style.display = "block";
            cell.style.width = "3em";
        }"""
    )
    assert watched.page.evaluate(WRAPPED_TABLE_CODE)
