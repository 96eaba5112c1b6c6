"""The pages only show tested code, and the built site loads nothing from elsewhere."""

import re
from html.parser import HTMLParser

import pytest

from doctest_runner import ROOT, all_snippets

DOCS = ROOT / "docs"
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})\s*\{?\.?(?P<lang>[\w+-]*)")
PYTHON_LANGS = {"python", "py", "pycon", "python3", "py3"}
INCLUDE = re.compile(r'^\s*-+8<-+\s+"(?P<path>[^"]+?)(?::[^"]*)?"\s*$')


def fenced_blocks(markdown):
    """Yield ``(line number, language, body lines)`` for each fenced code block."""
    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if match:
            fence, start = match.group("fence"), i
            body = []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith(fence):
                body.append(lines[i])
                i += 1
            yield start + 1, match.group("lang").lower(), body
        i += 1


def pages():
    return sorted(DOCS.rglob("*.md"))


def python_includes():
    """``{included path: [page, ...]}`` for every Python block on every page."""
    found = {}
    for page in pages():
        for _, lang, body in fenced_blocks(page.read_text(encoding="utf-8")):
            if lang in PYTHON_LANGS:
                for line in body:
                    match = INCLUDE.match(line)
                    if match:
                        found.setdefault(match.group("path"), []).append(page)
    return found


@pytest.mark.parametrize("page", pages(), ids=lambda p: p.relative_to(DOCS).as_posix())
def test_python_blocks_are_included_tested_snippets(page):
    problems = []
    for lineno, lang, body in fenced_blocks(page.read_text(encoding="utf-8")):
        if lang not in PYTHON_LANGS:
            continue
        code = [line for line in body if line.strip()]
        if not code:
            problems.append(f"line {lineno}: empty {lang} block")
        for line in code:
            match = INCLUDE.match(line)
            if not match:
                problems.append(f"line {lineno}: inline {lang} code: {line.strip()!r}")
                break
            target = match.group("path")
            tested = target.startswith("snippets/") or (
                target.startswith("examples/mysite/") and target.endswith(".py")
            )
            if not tested:
                problems.append(f"line {lineno}: {target} is neither a snippet nor an example file")
            if lang == "pycon" and not target.endswith(".pycon"):
                problems.append(f"line {lineno}: a pycon block must include a .pycon doctest")
            if lang != "pycon" and target.endswith(".pycon"):
                problems.append(f"line {lineno}: a .pycon doctest belongs in a pycon block")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("page", pages(), ids=lambda p: p.relative_to(DOCS).as_posix())
def test_partial_includes_use_named_sections_not_line_numbers(page):
    """``file:12:20`` drifts when the file changes; ``file:section`` cannot."""
    numeric = re.findall(r'--8<--\s+"([^"]+:\d+(?::\d+)?)"', page.read_text(encoding="utf-8"))
    assert not numeric, f"use a named section (# --8<-- [start:name]) instead of {numeric}"


def test_every_snippet_is_shown_on_a_page():
    shown = set(python_includes())
    orphans = [
        p.relative_to(ROOT).as_posix()
        for p in all_snippets()
        if p.relative_to(ROOT).as_posix() not in shown
    ]
    assert not orphans, f"snippets no page includes: {orphans}"


def test_every_included_file_exists():
    missing = [path for path in python_includes() if not (ROOT / path).is_file()]
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
