"""The pages only show tested code, and the built site loads nothing from elsewhere."""

import re
from html.parser import HTMLParser

import pytest

from guide.content import pages
from guide.content import snippets as model
from guide.paths import DOCS, ROOT

SNIPPETS_BY_REL = model.load()
PAGES = pages.pages()


def python_includes():
    """``{included path: [page, ...]}`` for every Python block on every page."""
    found = {}
    for page in PAGES:
        for block in pages.page_blocks(page):
            if block.lang in ("pycon", "python"):
                for include in block.includes:
                    found.setdefault(include.path, []).append(page)
    return found


def shown_snippets():
    """The snippet files the pages show (a name with variants shows each variant)."""
    return {
        snippet.rel
        for path in python_includes()
        for snippet in model.variants(SNIPPETS_BY_REL, path)
    }


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(DOCS).as_posix())
def test_partial_includes_use_named_sections_not_line_numbers(page):
    """``file:12:20`` drifts when the file changes; ``file:section`` cannot."""
    numeric = [
        f"{include.path}:{include.section}"
        for block in pages.page_blocks(page)
        for include in block.includes
        if include.section and re.fullmatch(r"[\d:-]+", include.section)
    ]
    assert not numeric, f"use a named section (# --8<-- [start:name]) instead of {numeric}"


def test_every_snippet_is_shown_on_a_page():
    orphans = sorted(set(SNIPPETS_BY_REL) - shown_snippets())
    assert not orphans, f"snippets no page includes: {orphans}"


def test_every_included_file_exists():
    missing = [
        path
        for path in python_includes()
        if not (ROOT / path).is_file() and not model.variants(SNIPPETS_BY_REL, path)
    ]
    assert not missing


class _Resources(HTMLParser):
    """Collect the URLs a page loads (not the links a reader may follow)."""

    LOADING = {
        "script": "src",
        "img": "src",
        "iframe": "src",
        "audio": "src",
        "video": "src",
        "source": "src",
        "embed": "src",
    }

    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in self.LOADING and attrs.get(self.LOADING[tag]):
            self.urls.append(attrs[self.LOADING[tag]])
        if tag == "link" and attrs.get("href"):
            rel = set((attrs.get("rel") or "").split())
            if rel & {"stylesheet", "preload", "prefetch", "preconnect", "icon", "modulepreload"}:
                self.urls.append(attrs["href"])
        if tag == "object" and attrs.get("data"):
            self.urls.append(attrs["data"])


def _external(url):
    return bool(re.match(r"^(?:[a-z][a-z0-9+.-]*:)?//", url, re.I)) and not url.startswith("data:")


def test_built_pages_load_nothing_from_other_origins(site_dir):
    pages_built = sorted(site_dir.rglob("*.html"))
    assert len(pages_built) >= 10
    external = {}
    for page in pages_built:
        parser = _Resources()
        html = page.read_text(encoding="utf-8")
        parser.feed(html)
        urls = [u for u in parser.urls if _external(u)]
        urls += re.findall(r"@import\s+url\(['\"]?(https?://[^)'\"]+)", html)
        if urls:
            external[page.relative_to(site_dir).as_posix()] = urls
    assert not external, external


def test_stylesheets_import_no_web_fonts(site_dir):
    offenders = [
        css.relative_to(site_dir).as_posix()
        for css in site_dir.rglob("*.css")
        if re.search(r"url\(['\"]?(https?:)?//", css.read_text(encoding="utf-8", errors="replace"))
    ]
    assert not offenders


def test_built_pages_show_snippet_content(site_dir):
    """Includes really happened: a page shows the first line of each snippet it includes."""
    html = (site_dir / "howto" / "async-safety" / "index.html").read_text(encoding="utf-8")
    assert "SynchronousOnlyOperation" in html
