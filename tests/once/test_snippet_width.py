"""Every line of code a page shows fits the content column: at most 88 columns.

What a page shows is what its ``--8<--`` includes put in its blocks (snippet
files whole, sections of the example project dedented;
:mod:`guide.content.width`). A line that really is wider (what a server
prints) is listed with its reason in ``tests/allowed_wide_lines.toml``.
``tests/browser/test_code_width.py`` measures the result in Chromium.
"""

import re

import pytest

from guide.content import pages, width
from guide.paths import DOCS

ALLOWED = width.allowed()


@pytest.mark.parametrize("page", pages.pages(), ids=lambda p: p.relative_to(DOCS).as_posix())
def test_the_code_the_page_shows_is_at_most_88_columns_wide(page):
    wide = [
        str(shown)
        for shown in width.page_shown_lines(page)
        if shown.width > width.COLUMNS and width.allowance(shown, ALLOWED) is None
    ]
    assert not wide, (
        f"{len(wide)} lines over {width.COLUMNS} columns (rewrap them, or list a line that "
        f"cannot be shorter in tests/allowed_wide_lines.toml with its reason):\n" + "\n".join(wide)
    )


def test_every_allowance_allows_a_wide_shown_line():
    stale = width.stale(ALLOWED, width.wide_lines())
    assert not stale, f"in tests/allowed_wide_lines.toml but no wide shown line: {stale}"


def test_a_pattern_allows_every_line_it_finds_and_is_stale_when_it_finds_none():
    allowances = [width.Allowance("a server's log line", pattern=re.compile(r"^INFO: "))]
    log = width.ShownLine("a.out", 3, "INFO: " + "x" * 90)
    code = width.ShownLine("a.py", 3, "x = " + "1" * 90)
    assert width.allowance(log, allowances) is allowances[0]
    assert width.allowance(code, allowances) is None
    assert width.stale(allowances, [log, code]) == []
    assert width.stale(allowances, [code]) == ["pattern '^INFO: '"]


def test_a_section_is_measured_as_shown_dedented_without_its_markers(tmp_path, monkeypatch):
    source = tmp_path / "examples" / "views.py"
    source.parent.mkdir()
    source.write_text(
        "class View:\n"
        "    # --8<-- [start:get]\n"
        "    def get(self):\n"
        f"        return {'x' * 80!r}\n"
        "    # --8<-- [end:get]\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(width, "ROOT", tmp_path)
    shown = width.shown_lines("examples/views.py", "get")
    assert [(line.line, line.text) for line in shown] == [
        (3, "def get(self):"),
        (4, f"    return {'x' * 80!r}"),
    ]
    assert shown[1].width == 4 + 7 + 82
