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


@dataclass(frozen=True)
class Allowance:
    """One entry of :data:`ALLOWED_FILE`: lines of a file, or any line a pattern finds."""

    reason: str
    path: str | None = None  # with lines: these lines of this file
    lines: tuple = ()
    pattern: re.Pattern | None = None  # or: any shown line this finds (re.search)

    def allows(self, shown):
        if self.pattern is not None:
            return bool(self.pattern.search(shown.text))
        return shown.path == self.path and shown.line in self.lines

    def __str__(self):
        if self.pattern is not None:
            return f"pattern {self.pattern.pattern!r}"
        return f"{self.path} lines {list(self.lines)}"


def allowed(file=None):
    """The :class:`Allowance` list of :data:`ALLOWED_FILE`.

    Two kinds of entry, each with its reason::

        [[pattern]]  # any shown line the regular expression finds (re.search)
        regex = '^django\\.core\\.exceptions\\.SynchronousOnlyOperation: '
        reason = "..."

        [lines]  # these lines of this file
        "snippets/x.pycon" = { lines = [3, 5], reason = "..." }
    """
    data = tomllib.loads((file or ALLOWED_FILE).read_text(encoding="utf-8"))
    if not set(data) <= {"pattern", "lines"}:
        raise ValueError(f"{ALLOWED_FILE.name}: only [[pattern]] and [lines] entries")
    found = []
    for entry in data.get("pattern", []):
        if set(entry) != {"regex", "reason"} or not entry["reason"].strip():
            raise ValueError(f'a [[pattern]] entry is regex = "...", reason = "...": {entry}')
        found.append(Allowance(entry["reason"], pattern=re.compile(entry["regex"])))
    for path, entry in data.get("lines", {}).items():
        if set(entry) != {"lines", "reason"} or not entry["reason"].strip():
            raise ValueError(f'{path}: a [lines] entry is {{ lines = [...], reason = "..." }}')
        found.append(Allowance(entry["reason"], path=path, lines=tuple(entry["lines"])))
    return found


def allowance(shown, allowances):
    """The first of ``allowances`` that allows ``shown``, or None."""
    return next((entry for entry in allowances if entry.allows(shown)), None)


def stale(allowances, wide):
    """What in ``allowances`` allows no line of ``wide``: a pattern finding none, a listed line not wide."""
    found = []
    for entry in allowances:
        if entry.pattern is not None:
            if not any(entry.allows(shown) for shown in wide):
                found.append(str(entry))
        else:
            lines = {shown.line for shown in wide if shown.path == entry.path}
            found += [f"{entry.path}:{line}" for line in entry.lines if line not in lines]
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
    import collections

    wide = wide_lines()
    allowances = allowed()
    reasons = collections.Counter()
    for shown in wide:
        entry = allowance(shown, allowances)
        if entry is None:
            print(shown)
        reasons[entry.reason if entry else None] += 1
    for reason, count in reasons.items():
        if reason is not None:
            print(f"allowed: {count}: {reason}")
    print(f"{len(wide)} shown lines over {COLUMNS} columns, {reasons[None]} not allowed")
