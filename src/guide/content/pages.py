"""The one parser of the pages: their fenced blocks, the files they include, their URLs.

Used by the MkDocs hooks (which turn each doctest block into a runnable one)
and by the tests that check what the pages show. A block the hook could not
recognise would silently get no Run button, so the parser is strict: an
include line is written one way (``--8<-- "path"``), and every fence is
closed; what each kind of block may hold is the table of block rules,
:mod:`guide.content.blocks`. Anything else raises :class:`PageError` naming the page, the line
and what was expected; ``mkdocs build --strict`` then fails with it.
"""

import re
from dataclasses import dataclass
from pathlib import Path

from guide.paths import DOCS, ROOT

# A fence opens with three or more backticks or tildes, then an info string
# ("pycon", "{.pycon}", "python title=...").
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`\n]*)$")
# The only form of an include line: --8<-- "path" or --8<-- "path:section".
INCLUDE = re.compile(r'^[ \t]*--8<--[ \t]+"(?P<path>[^":]+)(?::(?P<section>[^"]*))?"[ \t]*$')
# Anything that looks like an attempt at one (other quotes, other dashes, no quotes).
INCLUDE_LIKE = re.compile(r"^[ \t]*-+8<-+")


class PageError(ValueError):
    """A page holds a block or include the guide cannot check or run."""

    def __init__(self, page, line, message):
        self.page, self.line, self.message = page, line, message
        super().__init__(f"{_name(page)}:{line}: {message}")


def _name(page):
    page = Path(page)
    return page.relative_to(ROOT).as_posix() if page.is_relative_to(ROOT) else str(page)


@dataclass(frozen=True)
class Include:
    """One ``--8<-- "path"`` line inside a block."""

    line: int  # 1-based line number in the page
    path: str  # as written: "snippets/howto/x.pycon"
    section: str | None  # "name" of "path:name", or None for the whole file


@dataclass(frozen=True)
class Block:
    """One fenced code block of a page."""

    page: Path
    line: int  # 1-based line of the opening fence
    end: int  # 1-based line of the closing fence
    indent: str
    fence: str
    lang: str  # first word of the info string, lower case, without "{" or "."
    body: tuple  # the lines between the fences
    includes: tuple  # the Include lines among them

    @property
    def code(self):
        """The non-blank body lines."""
        return [line for line in self.body if line.strip()]


def _lang(info):
    word = info.strip().lstrip("{").split()
    return word[0].lstrip(".").rstrip("}").lower() if word else ""


def blocks(markdown, page="<page>"):
    """Every fenced block of ``markdown``, checked; raises :class:`PageError`."""
    lines = markdown.splitlines()
    found, i = [], 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            if INCLUDE_LIKE.match(lines[i]):
                raise PageError(page, i + 1, "an include outside a fenced code block")
            i += 1
            continue
        start, fence, indent = i, match["fence"], match["indent"]
        closing = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        i += 1
        while i < len(lines) and not closing.match(lines[i]):
            i += 1
        if i == len(lines):
            raise PageError(page, start + 1, f"the {fence} fence opened here is never closed")
        body = tuple(lines[start + 1 : i])
        includes = []
        for offset, text in enumerate(body, start=start + 2):
            include = INCLUDE.match(text)
            if include:
                includes.append(Include(offset, include["path"], include["section"]))
            elif INCLUDE_LIKE.match(text):
                raise PageError(
                    page, offset, f'expected an include as --8<-- "path", found {text.strip()!r}'
                )
        found.append(
            Block(
                page, start + 1, i + 1, indent, fence, _lang(match["info"]), body, tuple(includes)
            )
        )
        i += 1
    return found


def doctest_block_include(block):
    """The one ``snippets/*.pycon`` include of a ``pycon`` block; raises :class:`PageError`.

    What the block may hold is the doctest row of the table of block rules
    (:mod:`guide.content.blocks`, which reads pages with this module).
    """
    from guide.content import blocks

    for line, message in blocks.block_problems(block):
        raise PageError(block.page, line, message)
    return block.includes[0]


def front_matter_lines(source):
    """How many lines of a page's file come before the Markdown MkDocs renders (front matter).

    MkDocs hands the hooks a page without its front matter, so a line counted
    there is this many lines above the same line in the file.
    """
    from mkdocs.utils.meta import get_data

    markdown, _ = get_data(source)
    return source.count("\n") - markdown.count("\n")


def pages(docs=DOCS):
    """Every Markdown page, sorted."""
    return sorted(docs.rglob("*.md"))


def page_blocks(page):
    return blocks(Path(page).read_text(encoding="utf-8"), page)


def doctest_includes(page):
    """``[(block, include)]`` for every ``pycon`` block of ``page``, in page order."""
    return [(b, doctest_block_include(b)) for b in page_blocks(page) if b.lang == "pycon"]


def url_of(page, docs=DOCS):
    """The site-relative URL MkDocs gives ``page`` (``howto/x.md`` -> ``howto/x/``)."""
    rel = Path(page).relative_to(docs).with_suffix("").as_posix()
    if rel == "index":
        return ""
    if rel.endswith("/index"):
        return rel[: -len("index")]
    return rel + "/"
