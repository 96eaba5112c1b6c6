"""The one reader of the project's pinned ``requirements/*.txt`` files.

Every line is read the same way: comments and options (``-r``, ``--hash``) are
set apart, continuation backslashes joined, and the requirement parsed with
:mod:`packaging`. The callers ask for what they need:

- :func:`pins`: ``{name: version}`` of the ``name==version`` lines of some or
  all files (the versions the tests run, which a page's ``pip install`` must
  match, and the servers' versions the catalogue shows);
- :func:`hash_pins`: the lines of a ``--require-hashes`` file, each with its
  sha256 hashes (the wheels of the in-browser runtime).
"""

from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from guide.paths import ROOT

FOLDER = ROOT / "requirements"


class RequirementsError(ValueError):
    """A requirements line that does not pin what its file must pin."""


@dataclass(frozen=True)
class Line:
    """One requirement line: its text, the parsed requirement, its hashes."""

    where: str  # "path:line"
    text: str  # the requirement as written, without options or comment
    requirement: Requirement | None  # None if the text is not a requirement
    hashes: frozenset  # the sha256 hashes of its --hash options

    @property
    def name(self):
        return canonicalize_name(self.requirement.name)

    @property
    def exact(self):
        """The version of a ``name==version`` line, else ``None``."""
        if self.requirement is None:
            return None
        specs = list(self.requirement.specifier)
        if len(specs) == 1 and specs[0].operator == "==":
            return specs[0].version
        return None


def _logical_lines(path):
    """``(number, text)`` of each logical line: a line ending in ``\\`` goes on, and
    ``number`` is where it starts."""
    start, parts = None, []
    for number, raw in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        start = start or number
        if raw.endswith("\\"):
            parts.append(raw[:-1])
            continue
        yield start, " ".join([*parts, raw])
        start, parts = None, []
    if parts:
        yield start, " ".join(parts)


def lines(path):
    """The requirement lines of one file, continuation lines joined (options kept apart)."""
    for number, raw in _logical_lines(path):
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        requirement, *options = line.split(" --")
        hashes = frozenset(
            o.strip().removeprefix("hash=sha256:") for o in options if o.startswith("hash=sha")
        )
        try:
            parsed = Requirement(requirement.strip())
        except InvalidRequirement:
            parsed = None
        yield Line(f"{path}:{number}", requirement.strip(), parsed, hashes)


def pins(names=None):
    """``{canonical name: version}`` of the ``name==version`` lines.

    ``names``: file names under ``requirements/`` (``("example.txt",)``); by
    default every ``requirements/*.txt``. A later file's pin wins.
    """
    paths = [FOLDER / n for n in names] if names else sorted(FOLDER.glob("*.txt"))
    found = {}
    for path in paths:
        for line in lines(path):
            if line.exact is not None:
                found[line.name] = line.exact
    return found


def hash_pins(path, only=None):
    """``[(canonical name, version, {sha256, ...})]`` of a hash-pinned file.

    Every line must be ``name==version`` with at least one ``--hash``;
    ``only``: the one package every line must pin. Raises
    :class:`RequirementsError` naming the file, the line and what is missing.
    """
    what = only or "name"
    found = []
    for line in lines(path):
        if line.exact is None or not line.hashes or only not in (None, line.name):
            raise RequirementsError(
                f"{line.where}: every line needs {what}==version and --hash: {line.text!r}"
            )
        found.append((line.name, line.exact, set(line.hashes)))
    return found
