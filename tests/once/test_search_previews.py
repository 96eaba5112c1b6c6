"""Search previews show the pages' prose, never a whole code block.

Material's search plugin indexes every section's text, code blocks included, and the
search dialog previews that text: the tutorial's preview was 4,068 px tall, most of it
code. The site leaves code blocks out of the index (:mod:`guide.site.search`), so a
preview is the prose around them; inline ``code`` in a sentence stays.
"""

import html
import json

import pytest

from guide.paths import SNIPPETS


@pytest.fixture(scope="module")
def entries(site_dir):
    index = json.loads((site_dir / "search" / "search_index.json").read_text(encoding="utf-8"))
    return index["docs"]


def test_the_index_has_the_pages_prose(entries):
    tutorial = " ".join(e["text"] for e in entries if e["location"].startswith("tutorial/"))
    assert "In six steps you create a Django project" in tutorial


def test_no_entry_holds_a_code_block(entries):
    holding = {
        e["location"]: e["text"][:80]
        for e in entries
        if "<pre" in e["text"] or "\n>>> " in f"\n{e['text']}" or "&gt;&gt;&gt; " in e["text"]
    }
    assert not holding, f"search entries holding a code block: {holding}"


def test_no_entry_holds_a_snippets_first_lines(entries):
    """The first two lines of a shown snippet (a doctest, a console session) are in no entry."""
    text = "\n".join(e["text"] for e in entries)
    found = []
    for path in sorted(SNIPPETS.rglob("*")):
        if path.suffix not in (".pycon", ".console", ".sh"):
            continue
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        first = html.escape("\n".join(lines[:2]), quote=False)  # (the index escapes text)
        if len(lines) >= 2 and first in text:
            found.append(path.relative_to(SNIPPETS).as_posix())
    assert not found, f"search entries holding these snippets' first lines: {found}"
