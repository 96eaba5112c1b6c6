"""guide.site.clone_command: where a page needs the repository, the command that clones it."""

import html
import re

from guide.content import pages
from guide.site import clone_command
from helpers import REPO_URL


def test_the_commands_clone_the_repository_and_enter_it():
    assert clone_command.commands("https://github.com/o/guide") == [
        "git clone https://github.com/o/guide.git",
        "cd guide",
    ]


def test_a_local_build_removes_the_marker():
    assert clone_command.fill(f"a\n\n{clone_command.MARKER}\n\nb", None) == "a\n\n\n\nb"


def test_every_page_that_sends_the_reader_to_a_clone_shows_how_to_make_one():
    needing = [
        page
        for page in pages.pages()
        if re.search(r"from a clone", page.read_text(encoding="utf-8"), re.I)
    ]
    assert needing
    for page in needing:
        assert clone_command.MARKER in page.read_text(encoding="utf-8"), page


def _text(page_html):
    return html.unescape(re.sub(r"<[^>]+>", "", page_html))


def test_the_quick_start_shows_the_clone_command(public_site_dir, site_dir):
    published = _text((public_site_dir / "index.html").read_text(encoding="utf-8"))
    name = REPO_URL.rsplit("/", 1)[-1]
    assert f"$ git clone {REPO_URL}.git\n$ cd {name}\n" in published
    local = (site_dir / "index.html").read_text(encoding="utf-8")
    assert "git clone" not in local and clone_command.MARKER not in local
