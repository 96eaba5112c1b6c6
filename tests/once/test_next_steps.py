"""Every how-to, server, explanation and troubleshooting page ends with where to go next.

A page of those sections (but a section's untitled index, which lists its
pages) has one ``## Next steps`` section after the lesson and before
``## Sources``, the last of its ``##`` sections but for Sources: two or three
items, each a link to another page of the site that exists, whose heading
exists on the built page when the link names one.
"""

import re

import pytest
from mkdocs.config import load_config

from guide.content.pages import url_of
from guide.paths import DOCS, ROOT
from guide.site import page_lists

SECTIONS = ("How-to guides", "Servers", "Explanation", "Troubleshooting")
NEXT_STEPS = "## Next steps"
ITEM_LINK = re.compile(r"^- \[[^\]]+\]\((?P<target>[^)#\s]+\.md)(?:#(?P<anchor>[^)\s]+))?\)")

_nav = page_lists.sections(load_config(str(ROOT / "mkdocs.yml"))["nav"], DOCS)
PAGES = [
    page.path
    for section in _nav
    if section.title in SECTIONS
    for page in [section.index, *section.pages]
    if page is not None and (page.titled or page in section.pages)
]


def _sections(markdown):
    """``[(heading, body)]`` of the page's ``## `` sections (fenced blocks skipped)."""
    found, fence = [], None
    for line in markdown.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fence = None if fence else line.strip()[:3]
        if fence is None and line.startswith("## "):
            found.append((line.strip(), []))
        elif found:
            found[-1][1].append(line)
    return found


def test_the_sections_have_pages():
    assert {
        "howto/production.md",
        "servers/index.md",
        "explanation/should-you-switch.md",
        "troubleshooting/start-up.md",
    } <= set(PAGES)
    assert "howto/index.md" not in PAGES
    assert "troubleshooting/index.md" not in PAGES


@pytest.mark.parametrize("page", PAGES)
def test_the_page_ends_with_next_steps_before_its_sources(page):
    headings = [heading for heading, _ in _sections((DOCS / page).read_text(encoding="utf-8"))]
    assert headings.count(NEXT_STEPS) == 1, f"{page}: {headings.count(NEXT_STEPS)} Next steps"
    after = headings[headings.index(NEXT_STEPS) + 1 :]
    assert after in ([], ["## Sources"]), f"{page}: {after} after Next steps"


@pytest.mark.parametrize("page", PAGES)
def test_next_steps_are_two_or_three_links_that_resolve(site_dir, page):
    body = dict(_sections((DOCS / page).read_text(encoding="utf-8")))[NEXT_STEPS]
    items = [line for line in body if line.startswith("- ")]
    assert 2 <= len(items) <= 3, f"{page}: {len(items)} next steps"
    for item in items:
        link = ITEM_LINK.match(item)
        assert link, f"{page}: a next step is not a link to a page: {item!r}"
        target = ((DOCS / page).parent / link["target"]).resolve()
        assert target.is_file() and target != (DOCS / page).resolve(), f"{page}: {item!r}"
        if link["anchor"]:
            html = (site_dir / url_of(target) / "index.html").read_text(encoding="utf-8")
            assert f'id="{link["anchor"]}"' in html, f"{page}: no #{link['anchor']} on {target}"
