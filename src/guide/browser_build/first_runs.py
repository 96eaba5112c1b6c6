"""The snippets readers run first: one per page, for the build to learn what they read.

A reader's first Run on a page is the one that waits for the download. The
files it reads must come before the first result; the others can come after
(:mod:`guide.browser_build.held_files`). Which files those are is found by
running at build, each in an interpreter restored from the memory snapshot as
a page's first run is (``browser/tools/snapshot_worker.mjs``), the snippet
each page's first runnable block shows on the browser's default Django
release: taken from the pages, so a new page is counted without anyone
listing it. The manifest then lists, for each of those snippets, what it
reads of the files that otherwise come after the start (:func:`needs`), and
the page that runs it first has them downloaded with the rest.
"""

import re

from guide.content import pages
from guide.content import snippets as model
from guide.paths import DOCS


def first_runs(snippets=None, default=None, docs=DOCS):
    """``[{"page", "snippet", "text", "fresh"}]``: for each page with a runnable block,
    the first block the browser runs on its default Django (``requirements/browser.txt``),
    in page order; a block it skips (another release, "runs on a server only") is passed
    over. ``fresh``: how the page runs it (:func:`guide.content.snippets.browser_fresh`)."""
    snippets = model.load() if snippets is None else snippets
    default = model.browser_django() if default is None else default
    found = []
    for page in pages.pages(docs):
        for _, include in pages.doctest_includes(page):
            runs = [
                s
                for s in model.variants(snippets, include.path)
                if s.runs_on(default) and not s.browser_skip(default)
            ]
            if runs:
                found.append(
                    {
                        "page": pages.url_of(page, docs),
                        "snippet": runs[0].rel,
                        "text": runs[0].path.read_text(encoding="utf-8"),
                        "fresh": model.browser_fresh(runs[0]),
                    }
                )
                break
    return found


STDLIB_PATH = re.compile(r"^/lib/python\d+\.zip$")
"""Where Pyodide puts the standard library's zip (``browser/later-file.mjs``, ``stdlibPath``)."""


def needs(runs, reads, later, stdlib):
    """``{snippet: [files it reads of those that come after the start]}`` (the build's
    ``manifest["first_runs"]``), for the ``runs`` that read any.

    ``reads``: for each of ``runs``, the files its run opened; ``later``: ``{later
    bundle: [its files]}`` (:func:`guide.browser_build.held_files.write_restored_bundles`);
    ``stdlib``: the standard library's name in the manifest, for a run that
    opened Pyodide's zip of it.
    """
    where = {path: bundle for bundle, paths in later.items() for path in paths}
    found = {}
    for run, opened in zip(runs, reads, strict=True):
        files = sorted({where[path] for path in opened if path in where})
        if any(STDLIB_PATH.match(path) for path in opened):
            files.insert(0, stdlib)
        if files:
            found[run["snippet"]] = files
    return found
