"""The home page: the three ways in, and no word of the machinery (that is About's)."""

import re

import pytest

from guide.paths import DOCS
from guide.site import page_lists

_, HOME = page_lists._read(DOCS, "index.md")
# The first screen: the text above the map of the site.
FIRST_SCREEN = HOME.split("## Map of the site")[0]


@pytest.mark.parametrize(
    "target",
    ["tutorial/index.md", "explanation/should-you-switch.md", "troubleshooting/index.md"],
)
def test_the_first_screen_offers_each_way_in(target):
    assert f"]({target})" in FIRST_SCREEN


@pytest.mark.parametrize("word", ["doctest", "harness", "fixture", "Pyodide", "interpreter"])
def test_the_home_page_says_no_word_of_the_machinery(word):
    assert not re.search(word, HOME, re.IGNORECASE), f"index.md says {word!r}: say it on About"
