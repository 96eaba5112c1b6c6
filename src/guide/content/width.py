"""How wide the code the pages show is: every shown line at most :data:`COLUMNS` columns.

What a page shows of a file is what its ``--8<--`` include puts in the block
(pymdownx.snippets, as ``mkdocs.yml`` configures it): the whole file, or a
named section between ``--8<-- [start:name]`` and ``--8<-- [end:name]``
markers, dedented (``dedent_subsections``), without the marker lines. A
snippet included by its base name shows each of its Django variants.

``tests/once/test_snippet_width.py`` checks every shown line of every page;
the few lines that really are wider (what a server prints, say) are listed,
each with its reason, in :data:`ALLOWED_FILE` (``tests/allowed_wide_lines.toml``).
"""

import re
import textwrap
import tomllib
from dataclasses import dataclass

from guide.content import pages
from guide.paths import ROOT

COLUMNS = 88
"""The widest line a code block shows whole in the content column at 1280 px
(Black's and ruff's default, too)."""

ALLOWED_FILE = ROOT / "tests" / "allowed_wide_lines.toml"

MARKER = re.compile(r"--8<--\s*\[(?P<kind>start|end):(?P<name>[^\]]*)\]")


@dataclass(frozen=True)
class ShownLine:
    """One line a page shows, from the file it comes from."""

    path: str  # checkout-relative: "snippets/howto/x.pycon"
    line: int  # 1-based line number in that file
    text: str  # as shown (a section's lines dedented)

    @property
    def width(self):
        return len(self.text.expandtabs(4))

    def __str__(self):
        return f"{self.path}:{self.line}: {self.width} columns: {self.text.strip()[:60]}"


def _files(path):
    """The files an include of ``path`` shows: the file, or its Django variants."""
    base = ROOT / path
    if base.is_file():
        return [base]
    return sorted(base.parent.glob(f"{base.stem}-django*{base.suffix}"))


def shown_lines(path, section=None):
    """The :class:`ShownLine` list an include of ``path`` (and ``section``) puts on a page."""
    found = []
    for file in _files(path):
        rel = file.relative_to(ROOT).as_posix()
        lines = file.read_text(encoding="utf-8").splitlines()
        inside = section is None
        picked = []
        for number, text in enumerate(lines, start=1):
            marker = MARKER.search(text)
            if marker:
                if marker["name"] == section:
                    inside = marker["kind"] == "start"
                continue
            if inside:
                picked.append((number, text))
        if section is not None:
            dedented = textwrap.dedent("\n".join(text for _, text in picked)).split("\n")
            picked = [(number, text) for (number, _), text in zip(picked, dedented, strict=True)]
        found.extend(ShownLine(rel, number, text) for number, text in picked)
    return found


def page_shown_lines(page):
    """Every line ``page``'s code blocks include from files, in page order (repeats removed)."""
    seen, found = set(), []
    for block in pages.page_blocks(page):
        for include in block.includes:
            for shown in shown_lines(include.path, include.section):
                if (shown.path, shown.line) not in seen:
                    seen.add((shown.path, shown.line))
                    found.append(shown)
    return found


def allowed(file=None):
    """``{(path, line): reason}`` from :data:`ALLOWED_FILE` (``path = { lines = [...], reason = "..." }``)."""
    data = tomllib.loads((file or ALLOWED_FILE).read_text(encoding="utf-8"))
    found = {}
    for path, entry in data.items():
        if set(entry) != {"lines", "reason"} or not entry["reason"].strip():
            raise ValueError(f'{path}: an entry is {{ lines = [...], reason = "..." }}')
        for line in entry["lines"]:
            found[(path, line)] = entry["reason"]
    return found


def wide_lines(page_list=None):
    """Every shown line over :data:`COLUMNS`, over all pages (each line once)."""
    seen, found = set(), []
    for page in page_list if page_list is not None else pages.pages():
        for shown in page_shown_lines(page):
            if shown.width > COLUMNS and (shown.path, shown.line) not in seen:
                seen.add((shown.path, shown.line))
                found.append(shown)
    return found


if __name__ == "__main__":
    wide = wide_lines()
    for shown in wide:
        print(shown)
    print(f"{len(wide)} shown lines over {COLUMNS} columns")
