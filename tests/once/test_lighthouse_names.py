"""Names Lighthouse checks on every built page: dialogs have one, links say where they go.

A screen reader announces a dialog by its name; the theme's search dialog had none
(Lighthouse's accessibility audit, aria-dialog-name: 96 instead of 100), which
``overrides/partials/search.html`` gives it. A link read out of its sentence (a screen
reader's list of links, a search engine) must say where it goes: the servers page's five
"More" links cost it Lighthouse's SEO link-text audit (92). axe's WCAG rules in
``tests/browser/test_accessibility.py`` include neither, so this reads the built pages.
"""

import re
from html import unescape
from html.parser import HTMLParser

# Lighthouse 12's link-text audit: a link whose whole text is one of these says nothing.
VAGUE = {
    "click here",
    "click this",
    "go",
    "here",
    "information",
    "learn more",
    "more",
    "more info",
    "more information",
    "right here",
    "read more",
    "see more",
    "start",
    "this",
}
LINK = re.compile(r"<a\b[^>]*>(.*?)</a>", re.DOTALL)

DIALOG_ROLES = {"dialog", "alertdialog"}


class _Dialogs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.dialogs, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if attrs.get("role") in DIALOG_ROLES or tag == "dialog":
            self.dialogs.append((self.getpos()[0], tag, attrs))


def _unnamed(html):
    parser = _Dialogs()
    parser.feed(html)
    return [
        f"line {line}: <{tag} class={attrs.get('class')!r}>"
        for line, tag, attrs in parser.dialogs
        if not (attrs.get("aria-label") or "").strip()
        and not (
            attrs.get("aria-labelledby")
            and all(ref in parser.ids for ref in attrs["aria-labelledby"].split())
        )
    ]


def test_the_check_finds_an_unnamed_dialog():
    assert _unnamed('<div role="dialog"><p>x</p></div>') == ["line 1: <div class=None>"]
    assert not _unnamed('<div role="dialog" aria-label="Search"></div>')
    assert not _unnamed('<h2 id="t">T</h2><div role="dialog" aria-labelledby="t"></div>')
    assert _unnamed('<div role="dialog" aria-labelledby="nope"></div>')


def test_every_dialog_of_the_built_pages_has_a_name(site_dir):
    found = {}
    for page in sorted(site_dir.rglob("*.html")):
        unnamed = _unnamed(page.read_text(encoding="utf-8"))
        if unnamed:
            found[page.relative_to(site_dir).as_posix()] = unnamed
    assert found == {}, f"dialogs without an accessible name: {found}"


def _vague_links(html):
    texts = (
        unescape(re.sub(r"<[^>]+>", "", inner)).strip().lower() for inner in LINK.findall(html)
    )
    return [text for text in texts if text.strip(" .") in VAGUE]


def test_the_check_finds_a_vague_link():
    assert _vague_links('<p>It works. <a href="x/">More</a>.</p>') == ["more"]
    assert not _vague_links('<a href="x/">More on uvicorn</a> <a href="#"><svg></svg></a>')


def test_every_link_of_the_built_pages_says_where_it_goes(site_dir):
    found = {}
    for page in sorted(site_dir.rglob("*.html")):
        vague = _vague_links(page.read_text(encoding="utf-8"))
        if vague:
            found[page.relative_to(site_dir).as_posix()] = vague
    assert found == {}, f"links whose text says nothing of where they go: {found}"
