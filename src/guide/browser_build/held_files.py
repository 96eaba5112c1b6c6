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
"""

from pathlib import Path

from guide.browser_build.bundles import read_bundle, write_bundle

SUFFIX = ".restored.bundle"


def restored_name(bundle):
    """``packages.bundle`` -> ``packages.restored.bundle``."""
    return bundle.removesuffix(".bundle") + SUFFIX


def write_restored_bundles(pyodide_dir, bundles, held):
    """For each of ``bundles`` (file names in ``pyodide_dir``) holding files of
    ``held`` (absolute paths), write its copy with those files empty.

    Returns ``(names, emptied)``: the bundles to fetch on the snapshot's path, in
    the order of ``bundles`` (a bundle with no held file is its own), and
    ``{restored name: [relative paths emptied]}``.
    """
    held = set(held)
    names, emptied = [], {}
    for name in bundles:
        root, files = read_bundle(Path(pyodide_dir) / name)
        gone = sorted(rel for rel in files if f"{root}/{rel}" in held)
        if not gone:
            names.append(name)
            continue
        target = restored_name(name)
        write_bundle(Path(pyodide_dir) / target, root, {**files, **dict.fromkeys(gone, b"")})
        names.append(target)
        emptied[target] = gone
    return names, emptied
