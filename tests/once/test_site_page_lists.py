"""The lists of pages (guide.site.page_lists): drawn from the nav, none kept by hand.

On the built site, the home page links every page of the nav and each
section's index page links every other page of its section; in the sources,
those pages hold the markers and no hand-written link to a page the list
already gives. The lists themselves are rendered here from a small nav.
"""

import re
from urllib.parse import urljoin

import pytest
from mkdocs.config import load_config
from mkdocs.exceptions import PluginError

from guide.content.pages import url_of
from guide.paths import DOCS, ROOT
from guide.site import page_lists

NAV = load_config(str(ROOT / "mkdocs.yml"))["nav"]
SECTIONS = page_lists.sections(NAV, DOCS)
# A section's index page lists the section: every section with an index and other pages.
LISTING = [s for s in SECTIONS if s.index is not None and s.pages]
MARKDOWN_LINK = re.compile(r"\]\((?P<target>[^)#\s]+\.md)(?:#[^)]*)?\)")
LIST_OR_ROW = re.compile(r"^\s*(?:[-*+]|\d+\.|\|)\s")
ARTICLE = re.compile(r"<article[^>]*>(?P<article>.*?)</article>", re.DOTALL)


def _members(section):
    return [section.index, *section.pages]


def _linked_urls(site_dir, page):
    """The site URLs (``howto/x/``) that the article of the built ``page`` links to."""
    url = url_of(DOCS / page)
    html = (site_dir / url / "index.html").read_text(encoding="utf-8")
    article = ARTICLE.search(html)["article"]
    found = set()
    for href in re.findall(r'href="([^"#]*)', article):
        if "://" in href or not href:
            continue
        found.add(urljoin("/" + url, href).lstrip("/"))
    return found


def test_the_nav_has_sections_that_list_their_pages():
    assert {s.title for s in LISTING} >= {"How-to guides", "Servers", "Explanation", "Reference"}


@pytest.mark.parametrize("section", LISTING, ids=lambda s: s.title)
def test_each_section_index_lists_every_page_of_its_section(site_dir, section):
    linked = _linked_urls(site_dir, section.index.path)
    missing = [p.path for p in section.pages if url_of(DOCS / p.path) not in linked]
    assert not missing, f"{section.index.path} does not list {missing}"


def test_the_home_page_maps_every_page_of_the_nav(site_dir):
    linked = _linked_urls(site_dir, "index.md")
    pages = [p for s in SECTIONS for p in _members(s) if p is not None and p.path != "index.md"]
    missing = [p.path for p in pages if url_of(DOCS / p.path) not in linked]
    assert not missing, f"the home page's map misses {missing}"


@pytest.mark.parametrize(
    ("page", "marker", "pages"),
    [("index.md", page_lists.SITE_MAP, [p for s in SECTIONS for p in _members(s) if p])]
    + [(s.index.path, page_lists.SECTION_PAGES, s.pages) for s in LISTING],
    ids=lambda value: value if isinstance(value, str) and value.endswith(".md") else "",
)
def test_lists_of_pages_come_from_the_marker_not_from_the_page(page, marker, pages):
    """A list or table row by hand linking a listed page is a second list, soon out of date."""
    _, markdown = page_lists._read(DOCS, page)
    assert marker in markdown, f"{page} has no {marker}"
    folder = (DOCS / page).parent
    listed = {p.path for p in pages}
    by_hand = [
        line.strip()
        for line in markdown.splitlines()
        if LIST_OR_ROW.match(line)
        for m in MARKDOWN_LINK.finditer(line)
        if (folder / m["target"]).resolve().relative_to(DOCS).as_posix() in listed
    ]
    assert not by_hand, f"{page} lists pages by hand beside its {marker}: {by_hand}"


# --- rendered from a small nav -----------------------------------------------------------


def _docs(tmp_path, pages):
    for path, front_matter in pages.items():
        file = tmp_path / path
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(f"{front_matter}# Heading of {path}\n\nText.\n", encoding="utf-8")
    return tmp_path


def _described(text):
    return f'---\ndescription: "{text}"\n---\n\n'


NAV_OF_TWO = [
    {"Home": "index.md"},
    {"Guides": ["guides/index.md", {"First": "guides/first.md"}, "guides/second.md"]},
    {"Help": "help.md"},
    {"Elsewhere": "https://example.org/"},
]
PAGES_OF_TWO = {
    "index.md": _described("Home."),
    "guides/index.md": _described("All the guides."),
    "guides/first.md": _described("Do the first thing."),
    "guides/second.md": _described("Do the second: with a colon."),
    "help.md": _described("When it breaks."),
}


def test_a_section_lists_its_other_pages_with_titles_and_descriptions(tmp_path):
    sections = page_lists.sections(NAV_OF_TWO, _docs(tmp_path, PAGES_OF_TWO))
    assert page_lists.section_list(sections, "guides/index.md") == (
        "- **[First](first.md)**: Do the first thing.\n"
        "- **[Heading of guides/second.md](second.md)**: Do the second: with a colon."
    )
    # From a page of the section, the index page is listed under the section's title.
    assert page_lists.section_list(sections, "guides/first.md").startswith(
        "- **[Guides](index.md)**: All the guides.\n"
    )


def test_the_map_has_a_card_per_entry_but_the_page_itself(tmp_path):
    sections = page_lists.sections(NAV_OF_TWO, _docs(tmp_path, PAGES_OF_TWO))
    rendered = page_lists.fill("Intro\n\n<!-- site-map -->\n", "index.md", sections)
    assert "[Home]" not in rendered
    assert "-   **[Guides](guides/index.md)**" in rendered
    assert "    - [First](guides/first.md)\n" in rendered
    assert "-   **[Help](help.md)**\n\n    ---\n\n    When it breaks." in rendered
    assert "example.org" not in rendered


def test_a_listed_page_without_a_description_stops_the_build(tmp_path):
    pages = dict(PAGES_OF_TWO, **{"guides/first.md": ""})
    with pytest.raises(PluginError, match=r"docs/guides/first\.md is in the nav but has no desc"):
        page_lists.sections(NAV_OF_TWO, _docs(tmp_path, pages))


def test_a_marker_on_a_page_outside_the_nav_stops_the_build(tmp_path):
    sections = page_lists.sections(NAV_OF_TWO, _docs(tmp_path, PAGES_OF_TWO))
    with pytest.raises(PluginError, match=r"docs/lost\.md holds <!-- section-pages -->"):
        page_lists.fill("<!-- section-pages -->", "lost.md", sections)
