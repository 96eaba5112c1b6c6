"""What the MkDocs hooks that show benchmark results share.

A hook names the marker a page holds, the JSON file under ``bench/results/``
that a benchmark script wrote, and a function that renders that file's data as
Markdown; :func:`fill` puts the rendering in the marker's place (a missing or
malformed file fails the build, naming the page and the file), and
:func:`watch` makes ``mkdocs serve`` rebuild when a file changes.
"""

import json

from mkdocs.exceptions import PluginError

from guide.paths import ROOT

RESULTS = ROOT / "bench" / "results"


def fill(markdown, page, tables):
    """Replace each marker of ``tables`` (``{marker: (file name, render)}``) found in ``markdown``."""
    for marker, (name, render) in tables.items():
        if marker not in markdown:
            continue
        try:
            table = render(json.loads((RESULTS / name).read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError) as exc:
            raise PluginError(f"{page.file.src_path}: cannot render {name}: {exc!r}") from exc
        markdown = markdown.replace(marker, table)
    return markdown


def watch(server, tables):
    """Have ``mkdocs serve`` watch the results files of ``tables``."""
    for name, _ in tables.values():
        server.watch(str(RESULTS / name))
    return server
