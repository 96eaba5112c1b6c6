"""Where things are in the checkout, and the supported versions (one list, read by nox too)."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
SNIPPETS = ROOT / "snippets"
EXAMPLE_DIR = ROOT / "examples" / "mysite"
BUILD = ROOT / "build"

DOCUMENTED_PORT = 8000
"""The port the pages' commands use; the tests start each server on a free one instead."""


def _matrix():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return [(row["django"], row["python"]) for row in data["tool"]["guide"]["matrix"]]


MATRIX = _matrix()
"""``[(django, python)]``: each supported Django release on the Python it is tested with."""

DJANGO_VERSIONS = [django for django, _ in MATRIX]
"""``["5.2", "6.0", "6.1"]``, oldest first: the order of version tabs on the pages."""
