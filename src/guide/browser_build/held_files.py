"""Bundles for an interpreter restored from the memory snapshot: held modules' files empty.

A module imported before the snapshot was taken lives in the snapshot's
memory: its code object, its namespace, its entry in ``sys.modules``. An
interpreter restored from the snapshot imports it from there, and Python
reads its ``.pyc`` file again only if something removes it from
``sys.modules`` or reloads it, which no snippet does (``guide_session.reset``
forgets only the modules a snippet imported). Downloading those files on the
snapshot's path is then paying twice for the same code: about a third of
Django's bundle (225 of its 756 files, 1 MB brotli of 2 MB, when this was
written).

:func:`write_restored_bundles` writes, beside each bundle that holds such
files, a copy in which each of them is empty (``NAME.restored.bundle``). The
file stays, with its name: Django lists some folders to find what is in them
(``pkgutil.walk_packages`` over each ``templatetags`` package, ``pkgutil.iter_modules``
over the ``management/commands`` folders: Django 6.1,
``django/template/backends/django.py`` ``get_package_libraries`` and
``django/core/management/__init__.py`` ``find_commands``), and finds the same names. An empty ``.pyc`` that something did load
would fail loudly (``ImportError: bad magic number``), never run other code.

Only the bundles (sourceless ``.pyc`` files) are treated so. The standard
library is Pyodide's zip of ``.py`` sources: Python reads a held module's
source again to print the lines of a traceback through it, so it stays whole.
Booting from scratch (no snapshot, or another Django release) needs every
file and fetches the whole bundles (``manifest["bundles"]``).

Of the files left, a start reads few: at build, an interpreter restored from
the snapshot notes those it opens while the page's pool sets it up as the
warm one (``browser/tools/snapshot_worker.mjs``). The others (the
management commands, the migration framework, the admin's templates, click,
uvicorn's protocols: 1 MB brotli of 1.1 when this was written) are not
needed to show the first result, so they move to later bundles, downloaded
once the reader's runs pause: one per package (Django's per subpackage:
:func:`later_group`), and, for the files the snippet a page runs first reads
(:mod:`guide.browser_build.first_runs`), one per set of such snippets that read
them, which that page downloads at the start (``manifest["first_runs"]``). The
restored bundle lists each of them with its size (the header's ``later``):
the worker makes the file at once, and its bytes come from its later bundle
when Python reads them (``browser/later-file.mjs``), downloaded there and
then if it has not arrived. A bundle with no held file (the project's) is
left whole.
"""

import re
from pathlib import Path

from guide.browser_build.bundles import read_bundle, write_bundle

SUFFIX = ".restored.bundle"
GROUP_MIN_BYTES = 16 * 1024
"""A later group smaller than this joins the bundle's ``rest``: not a download of its own."""


def restored_name(bundle):
    """``packages.bundle`` -> ``packages.restored.bundle``."""
    return bundle.removesuffix(".bundle") + SUFFIX


def later_name(bundle, group):
    """``packages.bundle``, ``click`` -> ``packages.later.click.bundle``."""
    return f"{bundle.removesuffix('.bundle')}.later.{group}.bundle"


def later_group(rel):
    """The later bundle a file (its path in the bundle) goes to: its package's
    (``click``), or, in Django, its subpackage's (``django-db``,
    ``django-contrib-admin``); ``rest`` for what is outside a package."""
    parts = rel.split("/")
    if len(parts) < 2 or parts[0].endswith((".dist-info", ".data")):
        return "rest"
    if parts[0] == "django" and len(parts) > 2:
        if parts[1] == "contrib" and len(parts) > 3:
            return f"django-contrib-{parts[2]}"
        return f"django-{parts[1]}"
    return re.sub(r"[^a-z0-9_]+", "-", parts[0].lower())


def _grouped(moved, root, run_reads):
    """``{group: {rel: bytes}}`` of ``moved`` (files of a bundle at ``root``).

    A file that some of the first runs read (``run_reads``: the files each
    opened) goes with the files read by the same runs (``first1``,
    ``first2``...): the page of each run downloads, before its first result,
    exactly the files that run reads. The others go by package (:func:`later_group`),
    groups smaller than :data:`GROUP_MIN_BYTES` joined into ``rest``.
    """
    groups, readers = {}, {}
    for rel, data in moved.items():
        runs = frozenset(i for i, reads in enumerate(run_reads) if f"{root}/{rel}" in reads)
        if runs:
            readers.setdefault(tuple(sorted(runs)), {})[rel] = data
        else:
            groups.setdefault(later_group(rel), {})[rel] = data
    for group in [g for g in groups if g != "rest"]:
        if sum(len(data) for data in groups[group].values()) < GROUP_MIN_BYTES:
            groups.setdefault("rest", {}).update(groups.pop(group))
    for number, runs in enumerate(sorted(readers), 1):
        groups[f"first{number}"] = readers[runs]
    return groups


def write_restored_bundles(pyodide_dir, bundles, held, start_reads=None, run_reads=()):
    """For each of ``bundles`` (file names in ``pyodide_dir``) holding files of
    ``held`` (absolute paths), write its copy with those files empty, and, if
    ``start_reads`` (absolute paths: the files a start opens) is given, the
    files that are neither held nor read then in later bundles (grouped by
    :func:`_grouped`, with ``run_reads``, the files each first run opens; a
    file every one of them reads stays).

    Returns ``(names, emptied, later)``: the bundles to fetch on the snapshot's
    path, in the order of ``bundles`` (a bundle with no held file is its own),
    ``{restored name: [relative paths emptied]}`` and ``{later bundle: [absolute
    paths of its files]}``.
    """
    held = set(held)
    run_reads = [set(reads) for reads in run_reads]
    if start_reads is not None:
        start_reads = set(start_reads) | set.intersection(*run_reads or [set()])
    names, emptied, later = [], {}, {}
    for name in bundles:
        root, files = read_bundle(Path(pyodide_dir) / name)
        gone = sorted(rel for rel in files if f"{root}/{rel}" in held)
        if not gone:
            names.append(name)
            continue
        target = restored_name(name)
        kept = {**files, **dict.fromkeys(gone, b"")}
        moved = {}
        if start_reads is not None:
            moved = {
                rel: data
                for rel, data in kept.items()
                if data and f"{root}/{rel}" not in start_reads
            }
        listing = []
        for group, group_files in sorted(_grouped(moved, root, run_reads).items()):
            bundle = later_name(name, group)
            write_bundle(Path(pyodide_dir) / bundle, root, group_files)
            later[bundle] = [f"{root}/{rel}" for rel in sorted(group_files)]
            listing.append(
                {
                    "bundle": bundle,
                    "files": [[rel, len(group_files[rel])] for rel in sorted(group_files)],
                }
            )
        kept = {rel: data for rel, data in kept.items() if rel not in moved}
        write_bundle(Path(pyodide_dir) / target, root, kept, later=listing or None)
        names.append(target)
        emptied[target] = gone
    return names, emptied, later
