"""No page of the built site is over 3,000 words of prose (issue 19: long pages split by task).

A page's prose is the text of its ``<article>`` in the built HTML (what the
reader reads in the content column), without the code: nothing inside a
``<pre>`` (code blocks, doctests and their output, console sessions, server
output, Mermaid diagrams' sources), ``<script>``, ``<style>`` or ``<svg>``, and
not the headings' permalink signs. Everything else counts: headings, lists,
admonitions (folded ones too), tables (a table of figures counts as prose) and
inline code in a sentence. A word is a run of characters between whitespace.
"""

import re
from html.parser import HTMLParser

from guide.content import pages
from guide.paths import DOCS

LIMIT = 3_000
# What is not prose: code and output (<pre>), and what is not text at all.
SKIPPED = {"pre", "script", "style", "svg"}
ARTICLE = re.compile(r"<article\b[^>]*>(?P<body>.*)</article>", re.DOTALL)


class _Prose(HTMLParser):
    """The text of an HTML fragment outside ``SKIPPED`` elements and permalinks."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.skipping = []  # the SKIPPED elements (or a permalink's <a>) open around the text
        self.text = []

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if tag in SKIPPED or (tag == "a" and "headerlink" in classes):
            self.skipping.append(tag)

    def handle_endtag(self, tag):
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()

    def handle_data(self, data):
        if not self.skipping:
            self.text.append(data)


def prose_words(html):
    """The number of words of prose of a built page (see the module's docstring)."""
    article = ARTICLE.search(html)
    assert article, "the page has no <article>"
    parser = _Prose()
    parser.feed(article["body"])
    parser.close()
    return len(" ".join(parser.text).split())


def test_prose_words_leaves_code_out():
    html = (
        '<article class="md-content__inner"><h1>Title<a class="headerlink" href="#t">¶</a></h1>'
        "<p>Two <code>words</code> here.</p><pre><code>not prose at all</code></pre>"
        "<table><tr><td>12 ms</td></tr></table><script>var x = 1;</script></article>"
    )
    assert prose_words(html) == 6  # Title, Two, words, here., 12, ms


def test_no_page_is_over_the_limit(site_dir):
    counts = {}
    for page in pages.pages():
        built = site_dir / pages.url_of(page) / "index.html"
        counts[page.relative_to(DOCS).as_posix()] = prose_words(built.read_text(encoding="utf-8"))
    assert len(counts) > 20 and all(counts.values())
    over = {page: words for page, words in counts.items() if words > LIMIT}
    assert not over, f"pages over {LIMIT:,} words of prose (split them by task): " + ", ".join(
        f"{page} ({words:,})" for page, words in sorted(over.items())
    )
