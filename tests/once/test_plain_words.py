"""The pages speak the reader's words, not the machinery's.

A reader came to deploy Django: the runtime that runs the blocks in the browser and the
way the tests run them are the site's business, named on the page about the site
(``docs/about.md``) and nowhere else they would read. The check reads each built page's
visible text, code (inline and blocks) left out, and fails on the machinery's words, on
reStructuredText's ``::`` (a docstring written for Sphinx, shown raw by the reference
pages), and on a server-only block whose one line says more than a few words.
"""

import re
from html.parser import HTMLParser

import pytest

from guide.content import snippets as model

JARGON = re.compile(
    r"\b(pyodide|webloop|interpreters?|doctests?|harness(?:es)?|fixtures?)\b", re.IGNORECASE
)

# Where a page must name the machinery: {(page URL prefix, word): why}. A page is
# matched by the start of its URL, so a page split into a section keeps its entry.
ALLOWED = {
    ("about/", "*"): "the page about the site: how every block ran and runs again, by name",
    ("troubleshooting", "pyodide"): (
        "a finding's Sources name the Pyodide release whose asyncio was read; "
        "a source is named as it is published"
    ),
    ("howto/testing", "fixture"): (
        "the page about testing the reader's own project: pytest's fixtures and "
        "Django's fixture files are the reader's tools there, not the site's"
    ),
    ("troubleshooting", "interpreter"): (
        "Python's recursion limit, which Python's own documentation calls the interpreter's"
    ),
}

SKIPPED_TAGS = {"code", "pre", "script", "style", "svg", "kbd", "samp"}


class _VisibleText(HTMLParser):
    """The text of a page's ``<body>``, without code, scripts and styles."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.inside, self.skipping, self.parts = False, 0, []

    def handle_starttag(self, tag, attrs):
        if tag == "body":
            self.inside = True
        elif tag in SKIPPED_TAGS:
            self.skipping += 1

    def handle_endtag(self, tag):
        if tag in SKIPPED_TAGS and self.skipping:
            self.skipping -= 1

    def handle_data(self, data):
        if self.inside and not self.skipping:
            self.parts.append(data)


def visible_text(html):
    parser = _VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def _allowed(url, word):
    return any(
        url.startswith(prefix) and allowed in ("*", word.lower().rstrip("s"))
        for prefix, allowed in ALLOWED
    )


@pytest.fixture(scope="module")
def pages(site_dir):
    found = {}
    for path in sorted(site_dir.rglob("*.html")):
        url = path.relative_to(site_dir).as_posix().removesuffix("index.html")
        if url.startswith("assets/"):
            continue
        found[url] = visible_text(path.read_text(encoding="utf-8"))
    assert "" in found and "tutorial/" in found and "about/" in found
    return found


def test_the_text_is_read_without_code():
    text = visible_text(
        "<html><head><title>T</title></head><body><p>Run <code>doctest</code> "
        "here</p><pre><code>&gt;&gt;&gt; fixture</code></pre><p>then &amp; more</p></body></html>"
    )
    assert text == "Run here then & more"


def test_no_page_shows_the_machinerys_words(pages):
    found = {}
    for url, text in pages.items():
        for match in JARGON.finditer(text):
            if not _allowed(url, match[1]):
                start = max(match.start() - 60, 0)
                found.setdefault(url or "(home)", []).append(text[start : match.end() + 40])
    assert not found, f"the machinery's words on pages readers read: {found}"


def test_no_page_shows_restructuredtexts_double_colon(pages):
    found = {
        url: text[max(text.find("::") - 60, 0) :][:100]
        for url, text in pages.items()
        if "::" in text
    }
    assert not found, f"reST '::' shown raw (write ':' and a Markdown block): {found}"


def test_a_server_only_block_says_why_in_a_few_plain_words():
    snippets = model.load()
    browser = model.browser_django()
    reasons = {rel: s.browser_skip(browser) for rel, s in snippets.items()}
    long = {
        rel: reason for rel, reason in reasons.items() if len(reason) > model.BROWSER_REASON_MAX
    }
    jargon = {rel: reason for rel, reason in reasons.items() if JARGON.search(reason)}
    assert not long and not jargon, (long, jargon)
    why = {rel: s.options.browser_why for rel, s in snippets.items() if s.options.browser_why}
    assert not {rel: text for rel, text in why.items() if JARGON.search(text)}


def test_a_long_browser_reason_is_refused(tmp_path):
    folder = tmp_path / "snippets" / "a"
    folder.mkdir(parents=True)
    (folder / "x.pycon").write_text(">>> 1\n1\n")
    (folder / "snippets.toml").write_text(
        '["x.pycon"]\nbrowser = "on a server the sync view runs in a worker thread, and in '
        'the browser it runs on the main thread"\n'
    )
    with pytest.raises(model.SnippetError, match=r"say it in 50 or fewer .*browser_why"):
        model.load(tmp_path / "snippets")
