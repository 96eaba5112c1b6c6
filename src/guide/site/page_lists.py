"""The lists of pages the site shows, drawn from the nav in ``mkdocs.yml``: no list kept by hand.

Two markers, each replaced by a Markdown list when the page holding it is built:

- ``<!-- site-map -->``: every top-level entry of the nav but the page holding
  it, as a grid of cards: a section's card links its index page, says its
  description and lists its pages by title; a page's card links it and says
  its description.
- ``<!-- section-pages -->``: the other pages of the nav section the page
  holding it belongs to, each as its title (a link) and its description.

A page's title is its nav title (a section's untitled index page takes the
section's title; another untitled page its first ``# `` heading). Its
description is the ``description:`` of its front matter, which Material also
writes into the page's ``<meta name="description">``; a listed page without one
stops the build, naming it.
"""

import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.utils.meta import get_data

SITE_MAP = "<!-- site-map -->"
SECTION_PAGES = "<!-- section-pages -->"

HEADING = re.compile(r"^# (?P<title>.+)$", re.MULTILINE)


@dataclass(frozen=True)
class Page:
    """One page of the nav: its file (relative to ``docs/``), title and description."""

    path: str
    title: str
    description: str
    titled: bool  # the nav gives it a title of its own (``- Title: path.md``)


@dataclass(frozen=True)
class Section:
    """One top-level entry of the nav: a section of pages, or a page on its own (``pages == ()``)."""

    title: str
    index: Page | None  # the section's index page (``x/index.md`` first), or the page itself
    pages: tuple  # the section's other pages, in nav order


def _read(docs, path):
    """``(meta, markdown)`` of the page ``path`` under ``docs``."""
    markdown, meta = get_data((Path(docs) / path).read_text(encoding="utf-8"))
    return meta, markdown


def _page(docs, path, title=None):
    meta, markdown = _read(docs, path)
    description = meta.get("description")
    if not isinstance(description, str) or not description.strip():
        raise PluginError(
            f"docs/{path} is in the nav but has no description: start it with front matter "
            '"---\\ndescription: One line on what the reader does there.\\n---"'
        )
    if title is None:
        heading = HEADING.search(markdown)
        if heading is None:
            raise PluginError(f"docs/{path} has neither a nav title nor a '# ' heading")
        found = heading["title"].strip()
    else:
        found = title
    return Page(path, found, " ".join(description.split()), title is not None)


def _entries(value):
    """``[(title or None, path)]`` of a nav value, nested sections flattened, links left out."""
    if isinstance(value, str):
        return [] if "://" in value else [(None, value)]
    if isinstance(value, dict):
        found = []
        for title, inner in value.items():
            if isinstance(inner, str):
                found += [] if "://" in inner else [(title, inner)]
            else:
                found += _entries(inner)
        return found
    if isinstance(value, list):
        return [entry for item in value for entry in _entries(item)]
    return []


def sections(nav, docs):
    """The nav's top-level entries as :class:`Section`, in nav order (``[]`` without a nav)."""
    found = []
    for item in nav or []:
        if isinstance(item, str):
            item = {None: item}
        for title, value in item.items():
            if isinstance(value, str):
                if "://" not in value:
                    page = _page(docs, value, title)
                    found.append(Section(page.title, page, ()))
                continue
            entries = _entries(value)
            index = None
            if entries and posixpath.basename(entries[0][1]) == "index.md":
                index_title, index_path = entries.pop(0)
                index = _page(docs, index_path, index_title)
                if index_title is None:
                    index = Page(index.path, title, index.description, False)
            pages = tuple(_page(docs, path, page_title) for page_title, path in entries)
            found.append(Section(title, index, pages))
    return found


def _link(from_page, to_page):
    """The relative Markdown link from one page's file to another's (both relative to docs/)."""
    return posixpath.relpath(to_page, posixpath.dirname(from_page) or ".")


def section_of(all_sections, path):
    """The :class:`Section` whose index or pages include ``path``, or None."""
    for section in all_sections:
        members = ([section.index] if section.index else []) + list(section.pages)
        if any(page.path == path for page in members):
            return section
    return None


def section_list(all_sections, path):
    """The Markdown list of the other pages of ``path``'s section, with their descriptions."""
    section = section_of(all_sections, path)
    if section is None:
        raise PluginError(f"docs/{path} holds {SECTION_PAGES} but is in no section of the nav")
    members = ([section.index] if section.index else []) + list(section.pages)
    lines = [
        f"- **[{page.title}]({_link(path, page.path)})**: {page.description}"
        for page in members
        if page.path != path
    ]
    if not lines:
        raise PluginError(f"docs/{path} holds {SECTION_PAGES} but its section has no other page")
    return "\n".join(lines)


def site_map(all_sections, path):
    """The Markdown grid of cards of every top-level nav entry but ``path`` itself."""
    cards = []
    for section in all_sections:
        if section.index is not None and section.index.path == path and not section.pages:
            continue
        if section.index is not None:
            heading = f"**[{section.title}]({_link(path, section.index.path)})**"
            body = [section.index.description]
        else:
            heading = f"**{section.title}**"
            body = []
        if section.pages:
            body.append(
                "\n".join(f"- [{page.title}]({_link(path, page.path)})" for page in section.pages)
            )
        indented = "\n\n".join(
            "\n".join(f"    {line}" for line in part.splitlines()) for part in body
        )
        cards.append(f"-   {heading}\n\n    ---\n\n{indented}")
    return '<div class="grid cards" markdown>\n\n' + "\n\n".join(cards) + "\n\n</div>"


def fill(markdown, path, all_sections):
    """Replace the markers of ``markdown`` (the page ``path``, relative to docs/) by their lists."""
    if SITE_MAP in markdown:
        markdown = markdown.replace(SITE_MAP, site_map(all_sections, path))
    if SECTION_PAGES in markdown:
        markdown = markdown.replace(SECTION_PAGES, section_list(all_sections, path))
    return markdown
