"""Bundles: many small files in one download, written into Pyodide's file system by the worker.

The format (read by ``browser/bundles.mjs``'s ``writeBundle``): for each file, a
4-byte little-endian length of its path, the path (UTF-8), a 4-byte length of
its content, the content.
"""

import json
import zipfile
from pathlib import Path


def write_bundle(path, root, files, later=None):
    """Write ``files`` (``{relative path: bytes}``) as one uncompressed bundle.

    Format: a 4-byte little-endian length N, N bytes of JSON ``{"root": root,
    "files": [[relative path, size], ...]}``, then the files' bytes in that order.
    The worker (browser/bundles.mjs, ``writeBundle``) writes each file to
    ``root/relative path`` in Pyodide's file system with one ``FS.writeFile``:
    no unzipping, no Python involved, so it can be repeated for every fresh
    interpreter. Stored, not deflated: the web server's gzip or brotli
    compresses the whole bundle better than zip compresses each file.

    ``later`` (``[{"bundle": name, "files": [[relative path, size], ...]}, ...]``),
    if given, goes in the header: files under ``root`` that the worker makes
    with their size at once and whose bytes come from the bundle ``name``
    once it has downloaded (``browser/bundles.mjs``, ``writeBundle``).
    """
    names = sorted(files)
    header = {"root": root, "files": [[n, len(files[n])] for n in names]}
    if later is not None:
        header["later"] = later
    header = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(len(header).to_bytes(4, "little"))
        f.write(header)
        for name in names:
            f.write(files[name])
    return Path(path)


def read_header(path):
    """The JSON header of a bundle written by :func:`write_bundle`."""
    with open(path, "rb") as f:
        size = int.from_bytes(f.read(4), "little")
        return json.loads(f.read(size))


def read_bundle(path):
    """``(root, {relative path: bytes})`` of a bundle written by :func:`write_bundle`."""
    data = Path(path).read_bytes()
    size = int.from_bytes(data[:4], "little")
    header = json.loads(data[4 : 4 + size])
    files, offset = {}, 4 + size
    for name, length in header["files"]:
        files[name] = data[offset : offset + length]
        offset += length
    if offset != len(data):
        raise ValueError(f"{path}: {len(data) - offset} bytes after the last file")
    return header["root"], files


def wheel_files(paths):
    """``{relative path: bytes}`` of every file in the wheels ``paths`` (as installed)."""
    files = {}
    for path in paths:
        with zipfile.ZipFile(path) as z:
            for info in z.infolist():
                if not info.is_dir():
                    files[info.filename] = z.read(info)
    return files
