"""Where the bytes before the first result go: each file the runtime fetches to start.

    python bench/bytes.py [BUILD]          # BUILD: build/browser (the runtime build)

For the two ways the runtime starts, from the build's memory snapshot (the
default) and from scratch (lean: ``?no-snapshot``, save-data), prints each file
the start fetches (``guide.site.runtime_files.start_files``: on the
default path the snapshot, and the bundles with the files of the modules it
holds empty) with its size as is, gzip -9 and brotli 11 (what a host sends
from the ``.gz`` and ``.br`` files ``guide.site.publish`` writes, or the file as
is where neither saves 10 %), and the totals; then, from the snapshot, what
each page's first run fetches on top (``manifest["first_runs"]``: the files
of those that otherwise come after the start which it reads). The page and the runtime's own
JavaScript (``runner``, ``worker``: under 0.3 MB gzip) come on top. Brotli of
files of a megabyte or more is cached under ``build/brotli/`` (the snapshot
takes minutes at quality 11). A script, not a test; sizes, not timings, so
the machine's load does not matter.
"""

import argparse
import gzip
import json
import sys
from pathlib import Path

from guide.site.publish import MIN_SAVING, brotli_compress
from guide.site.runtime_files import RUNTIME_BUILD, start_files


def sizes(path):
    """``(raw, gzip -9, brotli 11)`` of ``path``; a packed size that saves under 10 % is raw."""
    data = path.read_bytes()
    raw = len(data)
    packed = [len(gzip.compress(data, compresslevel=9, mtime=0)), len(brotli_compress(data))]
    return raw, *[size if size <= (1 - MIN_SAVING) * raw else raw for size in packed]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build", type=Path, nargs="?", default=RUNTIME_BUILD)
    args = parser.parse_args(argv)
    pyodide = args.build / "pyodide"
    manifest = json.loads((pyodide / "manifest.json").read_text(encoding="utf-8"))
    restored, scratch = start_files(manifest)
    rows = {name: sizes(pyodide / name) for name in {*restored, *scratch}}
    paths = {"from the snapshot (default)": restored, "from scratch (lean)": scratch}
    for label, names in paths.items():
        print(f"\n{label}: files fetched before the first result")
        print(f"  {'file':<28} {'raw':>12} {'gzip -9':>12} {'brotli 11':>12}")
        for name in sorted(names, key=lambda name: -rows[name][1]):
            raw, gz, br = rows[name]
            print(f"  {name:<28} {raw:>12,} {gz:>12,} {br:>12,}")
        totals = [sum(rows[name][i] for name in names) for i in range(3)]
        print(f"  {'total':<28} {totals[0]:>12,} {totals[1]:>12,} {totals[2]:>12,}")
    first_runs = manifest.get("first_runs", {})
    if first_runs:
        print("\nfrom the snapshot, what each page's first run adds (manifest first_runs)")
        print(f"  {'snippet':<52} {'files':>5} {'brotli 11':>12}")
        for name in {name for names in first_runs.values() for name in names} - rows.keys():
            rows[name] = sizes(pyodide / name)
        for snippet, names in sorted(first_runs.items()):
            added = sum(rows[name][2] for name in names)
            print(f"  {snippet:<52} {len(names):>5} {added:>12,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
