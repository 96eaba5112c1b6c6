"""Write wheels and zips reproducibly, and compile wheels to ``.pyc``: the one wheel writer.

Standard library only, because it runs in two places: on the host, in
:mod:`guide.browser_build.build` (the slimmed Django wheel, the runtime wheel), and
inside Pyodide, where ``browser/tools/pyodide_step.mjs`` writes this very file
into Pyodide's file system (as ``guide/wheels.py`` in site-packages) and imports
it to compile the wheels with the runtime's own CPython 3.14.

Every archive is written the same way: members sorted (the ``.dist-info``
files last, ``RECORD`` at the very end), a fixed date (2020-01-01), mode 0644,
deflate level 9, so the same inputs give the same bytes.
"""

import base64
import csv
import hashlib
import importlib.util
import io
import sys
import zipfile
from importlib._bootstrap_external import _code_to_hash_pyc, _code_to_timestamp_pyc
from pathlib import Path

__all__ = [
    "add_unchecked_pycs",
    "compile_wheel",
    "read_zip",
    "record_hash",
    "wheel_tag",
    "write_wheel",
    "write_zip",
]

#: The date of every member (zip cannot store 1970).
ZIP_DATE = (2020, 1, 1, 0, 0, 0)


def record_hash(data):
    """The hash column of a wheel's RECORD: ``sha256=`` + urlsafe base64, unpadded."""
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return f"sha256={digest.decode()}"


def _order(name):
    return (name.endswith("RECORD"), ".dist-info/" in name, name)


def write_zip(path, files):
    """Write ``{archive name: bytes}`` to *path*, reproducibly."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name in sorted(files, key=_order):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, files[name])
    return Path(path)


def read_zip(path):
    """``{archive name: bytes}`` of every file (not directory) in a zip."""
    with zipfile.ZipFile(path) as z:
        return {i.filename: z.read(i) for i in z.infolist() if not i.is_dir()}


def write_wheel(path, files):
    """Write a wheel from ``{archive name: bytes}``, (re)generating its ``RECORD``.

    *files* must contain a ``*.dist-info/RECORD`` entry (any content: it is replaced).
    """
    record_name = next(n for n in files if n.endswith(".dist-info/RECORD"))
    rows = [[n, record_hash(d), str(len(d))] for n, d in files.items() if n != record_name]
    rows.append([record_name, "", ""])
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return write_zip(path, {**files, record_name: out.getvalue().encode()})


def wheel_tag():
    """``cpXY``: the tag of bytecode compiled by the running interpreter."""
    return "cp" + "".join(map(str, sys.version_info[:2]))


def compile_wheel(src, dest_dir, site):
    """Write a ``.pyc``-only copy of the wheel *src* into *dest_dir*; return its path.

    As pyodide-build's ``py-compile`` does, with the running interpreter: every
    ``.py`` outside ``.dist-info`` becomes a sourceless ``.pyc`` (unchecked
    timestamp 0; its ``co_filename`` is where it will be installed, under
    *site*), the ``Tag`` in ``WHEEL`` and the file name become
    ``cpXY-none-any``, and ``RECORD`` is regenerated.
    """
    src = Path(src)
    tag = wheel_tag()
    out = {}
    for name, data in read_zip(src).items():
        if name.endswith(".py") and ".dist-info/" not in name:
            code = compile(data, f"{site}/{name}", "exec", dont_inherit=True)
            out[name + "c"] = _code_to_timestamp_pyc(code, 0, len(data))
        elif name.endswith(".dist-info/WHEEL"):
            lines = [line for line in data.decode().splitlines() if not line.startswith("Tag: ")]
            out[name] = "\n".join([*lines, f"Tag: {tag}-none-any", ""]).encode()
        else:
            out[name] = data
    # name-version[-build]-python-abi-platform.whl: keep all but the three tags.
    stem = src.name.removesuffix(".whl").rsplit("-", 3)[0]
    return write_wheel(Path(dest_dir) / f"{stem}-{tag}-none-any.whl", out)


def add_unchecked_pycs(files, prefix):
    """Add ``__pycache__/*.pyc`` for every ``.py`` in ``{archive name: bytes}`` (in place).

    The sources stay (readers see their lines in tracebacks); the ``.pyc`` files
    are hash-based and never checked against the sources, whose mtimes change
    when the archive is unpacked. *prefix* is the directory the archive is
    unpacked into (for ``co_filename``).
    """
    cache_tag = sys.implementation.cache_tag
    for name, data in list(files.items()):
        if name.endswith(".py"):
            code = compile(data, f"{prefix}/{name}", "exec", dont_inherit=True)
            folder, _, base = name.rpartition("/")
            pyc = (folder + "/" if folder else "") + f"__pycache__/{base[:-3]}.{cache_tag}.pyc"
            files[pyc] = _code_to_hash_pyc(code, importlib.util.source_hash(data), checked=False)
    return files
