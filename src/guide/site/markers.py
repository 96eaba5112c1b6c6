"""Tables drawn into the pages in place of a marker, from data the guide keeps.

Each module of :mod:`guide.site.tables` has a ``TABLES`` dict,
``{marker: (source, render)}``: a page holding the marker (an HTML comment
such as ``<!-- bench-table -->``) gets ``render(data)`` in its place. The
source is the name of a JSON file under ``bench/results/`` that a benchmark
script wrote, or a function that returns the data. A missing or malformed
source fails the build, naming the page and the source; :func:`results_files`
are what ``mkdocs serve`` watches, to rebuild when a benchmark writes one. :func:`all_tables`
gathers every module's tables, so a new module needs no list to join.

A results file of timings measured on a busy machine (:func:`guide.bench.machine.too_busy`)
is not rendered: its marker becomes one line, :func:`withheld`, that says so and
gives the command that re-measures it (:data:`REMEASURE`). The page's reading
of those figures goes with them: text between ``<!-- NAME: reading -->`` and
``<!-- /NAME: reading -->`` (for the marker ``<!-- NAME -->``) is shown only
when the figures are. A file of behaviour, not timings (:data:`UNTIMED`), is
always shown.
"""

import importlib
import json
import pkgutil
import re

from mkdocs.exceptions import PluginError

from guide.bench.machine import too_busy
from guide.paths import ROOT

RESULTS = ROOT / "bench" / "results"

REMEASURE = {
    "servers.json": "nox -s bench_servers",
    "browser.json": "nox -s bench_browser",
    "postgres.json": "nox -s bench_postgres",
    "votes.json": "nox -s bench_votes",
    "switch.json": "nox -s bench_switch",
    "fanout.json": "nox -s bench_fanout",
    "rolling.json": "nox -s bench_rolling",
    "sse.json": "nox -s bench_sse",
    "memory.json": "nox -s bench_memory",
}
"""``{results file: the command (a session of noxfile.py) that writes it}``."""

UNTIMED = {
    "packages.json": "nox -s bench_packages",
}
"""Results files of behaviour, not speed, and the command that writes each: what
passed, what failed, how many trips to a thread. The machine's load does not
change them, so they record no machine and the load rule does not apply."""


def withheld(source, data):
    """The line that replaces the figures of ``source`` if it breaks the load rule, or ``None``."""
    reason = too_busy(data["machine"])
    if reason is None:
        return None
    return (
        f"These figures are withheld: they were measured on a busy machine ({reason}), "
        f"and will be shown once re-measured on an idle one with `{REMEASURE[source]}`."
    )


def load(source):
    """The data of a table's source: a results file's JSON, or what the function returns."""
    if callable(source):
        return source()
    return json.loads((RESULTS / source).read_text(encoding="utf-8"))


def _source_name(source):
    return f"bench/results/{source}" if isinstance(source, str) else source.__qualname__


def _reading(marker):
    """The pattern of the page's reading of ``marker``'s figures (group 1: the text)."""
    name = re.escape(marker.removeprefix("<!--").removesuffix("-->").strip())
    return re.compile(
        rf"^<!-- {name}: reading -->\n(.*?)^<!-- /{name}: reading -->\n", re.DOTALL | re.MULTILINE
    )


def fill(markdown, page_name, tables):
    """Replace each marker of ``tables`` (``{marker: (source, render)}``) found in ``markdown``."""
    for marker, (source, render) in tables.items():
        if marker not in markdown:
            continue
        try:
            data = load(source)
            timed = isinstance(source, str) and source not in UNTIMED
            line = withheld(source, data) if timed else None
            table = line or render(data)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise PluginError(
                f"{page_name}: cannot render {_source_name(source)}: {exc!r}"
            ) from exc
        markdown = markdown.replace(marker, table)
        markdown = _reading(marker).sub("" if line else r"\1", markdown)
    return markdown


def all_tables():
    """``{marker: (source, render)}`` of every module of :mod:`guide.site.tables`."""
    from guide.site import tables as package

    found = {}
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for marker, entry in module.TABLES.items():
            if marker in found:
                raise PluginError(f"{marker} is drawn by two tables ({info.name})")
            found[marker] = entry
    return found


def results_files(tables):
    """The results files that ``tables`` read (what ``mkdocs serve`` watches)."""
    return [RESULTS / source for source, _ in tables.values() if isinstance(source, str)]
