"""Assemble the self-hosted browser runtime: ``python -m guide.browser_build.build OUTDIR``.

Runs under Python >= 3.12 with ``requirements/browser-build.txt`` installed
(pyodide-lock reads Pyodide 314's lock file only from 0.2.1 on, which needs
3.12; nox uses 3.13), after ``npm ci`` (for node_modules/pyodide and Node, which
runs the in-Pyodide build step). Writes::

    OUTDIR/*.mjs                           the JS modules (every browser/*.mjs)
    OUTDIR/pyodide/                            everything the worker fetches
        pyodide.mjs, pyodide.asm.mjs, pyodide.asm.wasm, python_stdlib.zip
                                               (the .wasm without its data segments:
        pyodide.asm.data                       those, for a boot from scratch;
                                               guide.browser_build.wasm_data)
        pyodide-lock.json                      our packages, with sha256
        packages.bundle                        the wheels' files, stored (write_bundle)
        project.bundle                         examples/mysite + migrated db.sqlite3
        *.whl                                  Django (slimmed), asgiref, sqlparse,
                                               servestatic, tzdata, uvicorn, click, h11,
                                               python-dotenv, guide-runtime (for the lock)
        snapshot.partN.bin                     the memory snapshot Python starts from, in parts
        *.restored.bundle                      a bundle as the snapshot's path needs it
                                               (guide.browser_build.held_files)
        *.later.GROUP.bundle                   its files the start does not read, fetched
                                               after it (the same module)
        manifest.json                          sizes + sha256 of every file above
        build-info.json                        versions, what was stripped, timings

Steps:

1. ``pip download --require-hashes -r requirements/browser.txt`` into a cache
   (browser/.cache/wheels), then every wheel's sha256 is checked again here.
2. Django is slimmed (see ``SLIM_RULES``): translations other than English,
   ``.po`` sources, admin static files, GeoDjango, and backends that cannot run
   in a browser. Wheels are written by :mod:`guide.browser_build.wheels`.
3. ``browser/tools/pyodide_step.mjs`` runs Pyodide itself under Node: it
   migrates the example database and loads the sample questions with the
   exact Django/SQLite that runs in the browser, and compiles the wheels to
   ``.pyc`` (see ``--no-pyc``) with :func:`guide.browser_build.wheels.compile_wheel`, the
   same file, loaded into Pyodide's file system.
4. The bundles (what the worker writes into Pyodide's file system), the lock
   file (pyodide-lock) and the manifest are written.
5. :mod:`guide.browser_build.snapshot` boots that runtime in headless Chromium as
   the worker would (Django's framework imported, no settings read) and writes
   Pyodide's memory snapshot of it; the manifest gets it as ``snapshot``, its
   files as ``snapshot_parts`` (:mod:`guide.browser_build.snapshot_parts`).

Libraries, and the one step done by hand (checked 2026-11 with pyodide-lock
0.2.1 and pyodide-build 0.39.2 under Python 3.13, against Pyodide 314.0.7):

* The lock file is pyodide-lock's: :func:`write_lock` reads the npm package's
  ``pyodide-lock.json`` (``PyodideLockSpec.from_json``) and adds our wheels with
  ``pyodide_lock.utils.add_wheels_to_spec`` (name, version, imports, depends from
  ``Requires-Dist`` with markers evaluated for the lock's Emscripten/CPython
  3.14, sha256). As pyodide-build does, the entries are made from the wheels
  before compilation (pyodide-lock finds a wheel's imports from its ``.py``
  files), then ``file_name`` and ``sha256`` are updated to the compiled wheels
  (``update_package_sha256``). Only our packages are kept: the npm package
  ships none of Pyodide's own wheels, so listing them would only turn a typo
  into a 404. :func:`wheel_depends` (packaging, :data:`MARKER_ENV`) checks
  pyodide-lock's depends independently.
* Requirements, markers, wheel file names and METADATA are parsed with
  ``packaging``.
* pyodide-build's ``py-compile`` is not used: it still compiles with the *host*
  interpreter. pyodide-build 0.39.2, installed under CPython 3.13.0 and run as
  ``pyodide py-compile asgiref-3.13.0-py3-none-any.whl``, wrote
  ``asgiref-3.13.0-cp313-none-any.whl``: 10 ``.pyc`` files with CPython 3.13's
  magic number (3571), which Pyodide's CPython 3.14 (magic 3627) will not load,
  and its ``WHEEL`` still said ``Tag: py3-none-any``. There is no CPython 3.14
  on this host, so step 3 compiles inside Pyodide's own CPython 3.14 instead,
  the interpreter that will load the ``.pyc`` files (same scheme: sourceless
  ``.pyc``, ``cp314-none-any``, and here also the ``WHEEL`` tag and ``RECORD``
  regenerated).
"""

import argparse
import gzip
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

from packaging.utils import parse_wheel_filename

from guide.browser_build import preload, snapshot_parts
from guide.browser_build import snapshot as memory_snapshot
from guide.browser_build import wheels as wheel_writer
from guide.browser_build.bundles import wheel_files, write_bundle
from guide.browser_build.first_runs import first_runs
from guide.browser_build.first_runs import needs as first_run_needs
from guide.browser_build.held_files import write_restored_bundles
from guide.browser_build.lock import write_lock
from guide.browser_build.pins import (
    download_other_djangos,
    download_wheels,
    log,
    read_requirements,
    sha256_file,
    wheel_name,
)
from guide.browser_build.wasm_data import difference, memory_start, snapshot_memory, split_data
from guide.paths import EXAMPLE_DIR, ROOT

BROWSER = ROOT / "browser"
PYODIDE_NPM = ROOT / "node_modules" / "pyodide"
DEFAULT_CACHE = BROWSER / ".cache" / "wheels"
STEP = BROWSER / "tools" / "pyodide_step.mjs"

#: Files of the npm package that the worker needs (nothing else is served).
PYODIDE_CORE = ["pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip"]
WASM = "pyodide.asm.wasm"
WASM_DATA = "pyodide.asm.data"
SNAPSHOT_WASM_DATA = "snapshot.wasm-data.bin"
STDLIB_ZIP = "python_stdlib.zip"


def store_zip(source, target):
    """``source`` rewritten to ``target`` with every member stored, not deflated.

    Python imports from a stored zip as from a deflated one; served with brotli
    or gzip, a stored zip is compressed as a whole, across its members (the
    standard library: 2.5 MB deflated, which the host's compression barely
    shrinks; ``bench/bytes.py`` prints both). Members keep their order, names and
    dates: the same bytes on every build.
    """
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            member = zipfile.ZipInfo(info.filename, info.date_time)
            member.external_attr = info.external_attr
            new.writestr(member, old.read(info), zipfile.ZIP_STORED)


#: JS modules copied next to pyodide/.
JS_FILES = sorted(path.name for path in BROWSER.glob("*.mjs"))
#: The example project: what is packaged, and where it is unpacked in Pyodide.
PROJECT_DIR = "/home/pyodide/mysite"
# Left out: local state, and the project's own test suite (tests/, pytest.ini), which
# no reader's run imports.
PROJECT_EXCLUDE = re.compile(
    r"(^|/)(__pycache__|staticfiles)(/|$)|\.pyc$|^db\.sqlite3|^tests/|^pytest\.ini$"
)
#: Where Pyodide's CPython looks for installed packages (the worker writes them there).
SITE_PACKAGES = "/lib/python3.14/site-packages"
#: The files the worker writes into Pyodide's file system (see write_bundle).
PACKAGES_BUNDLE = "packages.bundle"
PROJECT_BUNDLE = "project.bundle"
#: The guide's own modules that run in the browser as they are (the command checker's
#: page, docs/howto/check-server-command.md): paths under src/, shipped at the same place
#: in the runtime wheel, so that ``guide.servers.command_check`` imports as it does here.
#: They import nothing that reads the checkout (tests/once/test_command_check.py).
GUIDE_MODULES = (
    "guide/__init__.py",
    "guide/servers/__init__.py",
    "guide/servers/catalogue.py",
    "guide/servers/servers.toml",
    "guide/servers/command_line.py",
    "guide/servers/command_check.py",
)
RUNTIME_WHEEL_NAME = "guide_runtime"
RUNTIME_VERSION = "0.1.0"

#: Slimming rules for Django: (reason, regex on the path inside the wheel).
SLIM_RULES = [
    ("translations other than English", r"^django/(conf|contrib/[^/]+)/locale/(?!en/)[^/]+/"),
    ("translation sources (.po; only .mo files are read)", r"/locale/.*\.po$"),
    ("static files (admin CSS/JS): never served in the browser", r"^django/contrib/[^/]+/static/"),
    ("GeoDjango: needs GDAL/GEOS", r"^django/contrib/gis/"),
    ("contrib.postgres: needs psycopg", r"^django/contrib/postgres/"),
    (
        "database backends without a driver in the browser",
        r"^django/db/backends/(mysql|oracle|postgresql)/",
    ),
]

#: PEP 508 marker values of Pyodide 314 (Emscripten 5.0.3, CPython 3.14.2, wasm32).
#: Complete, so that no value of the host leaks in; the build checks the Python
#: version against the npm package's lock file.

# -- 2. slim Django, runtime wheel, project ---------------------------------------------


def slim_django(source, dest_dir):
    """Write the slimmed Django wheel; return it and what was stripped, by rule."""
    rules = [(reason, re.compile(pattern)) for reason, pattern in SLIM_RULES]
    kept, stripped = {}, {reason: {"files": 0, "bytes": 0} for reason, _ in rules}
    with zipfile.ZipFile(source) as z:
        for info in z.infolist():
            reason = next((r for r, rx in rules if rx.search(info.filename)), None)
            if reason:
                stripped[reason]["files"] += 1
                stripped[reason]["bytes"] += info.file_size
            else:
                kept[info.filename] = z.read(info)
    source = Path(source)
    dest = wheel_writer.write_wheel(Path(dest_dir) / source.name, kept)
    log(f"slimmed {source.name}: {source.stat().st_size:,} -> {dest.stat().st_size:,} bytes")
    return dest, stripped


def file_entry(path):
    """``{size, sha256}`` of ``path``: its entry in ``manifest.json``'s ``files``."""
    return {"size": path.stat().st_size, "sha256": sha256_file(path)}


def build_runtime_wheel(dest_dir):
    """The Python side of the worker (browser/runtime/*.py), with :data:`GUIDE_MODULES`, as a wheel."""
    dist = f"{RUNTIME_WHEEL_NAME}-{RUNTIME_VERSION}.dist-info"
    files = {p.name: p.read_bytes() for p in sorted((BROWSER / "runtime").glob("*.py"))}
    # The list of modules a snippet's process has imported, shared with guide.content.doctests.
    files["guide_preload.py"] = Path(preload.__file__).read_bytes()
    for name in GUIDE_MODULES:
        files[name] = (ROOT / "src" / name).read_bytes()
    files[f"{dist}/METADATA"] = (
        f"Metadata-Version: 2.1\nName: guide-runtime\nVersion: {RUNTIME_VERSION}\n"
        "Summary: Runs the guide's snippets in Pyodide (browser/runtime)\n"
        "Requires-Dist: django\n"
    ).encode()
    files[f"{dist}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: guide.browser_build.build\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n"
    )
    files[f"{dist}/RECORD"] = b""
    dest = Path(dest_dir) / f"{RUNTIME_WHEEL_NAME}-{RUNTIME_VERSION}-py3-none-any.whl"
    return wheel_writer.write_wheel(dest, files)


def project_files():
    """``{relative path: bytes}`` of examples/mysite, without local state."""
    files = {}
    for path in sorted(EXAMPLE_DIR.rglob("*")):
        rel = path.relative_to(EXAMPLE_DIR).as_posix()
        if path.is_file() and not PROJECT_EXCLUDE.search(rel):
            files[rel] = path.read_bytes()
    return files


# -- 3. the in-Pyodide step ------------------------------------------------------------


def pyodide_step(stage, wheels, project, compile_pyc, extra=()):
    """Run browser/tools/pyodide_step.mjs; returns its JSON report.

    *extra* wheels (the other Djangos) are only compiled, not installed.
    """
    spec = {
        "stage": str(stage),
        "wheels": [str(w) for w in wheels],
        "extra": [str(w) for w in extra],
        "project": str(project),
        "projectDir": PROJECT_DIR,
        "compile": compile_pyc,
        # guide/wheels.py, which the step writes into Pyodide's site-packages.
        "wheelsModule": wheel_writer.__file__,
    }
    spec_path = stage / "step.json"
    spec_path.write_text(json.dumps(spec))
    log("running the in-Pyodide step under Node (migrate, loaddata, compile)")
    result = subprocess.run(
        ["node", str(STEP), str(spec_path)], check=True, stdout=subprocess.PIPE, text=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


# -- 4. bundles, lock file and manifest -----------------------------------------------


def gzip_size(path):
    return len(gzip.compress(path.read_bytes(), compresslevel=9, mtime=0))


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m guide.browser_build.build", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="wheel cache")
    parser.add_argument(
        "--no-pyc", dest="pyc", action="store_false", help="ship .py sources, not .pyc"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if not (PYODIDE_NPM / "pyodide.asm.wasm").exists():
        raise SystemExit("node_modules/pyodide is missing: run `npm ci` first")
    for module, why in [
        ("pip", "the build runs `python -m pip download`"),
        ("pyodide_lock", "the lock file is written with it"),
    ]:
        if importlib.util.find_spec(module) is None:
            raise SystemExit(
                f"{sys.executable} has no {module} ({why}): "
                "pip install -r requirements/browser-build.txt"
            )
    if shutil.which("node") is None:
        raise SystemExit("node is needed for the in-Pyodide build step")

    out = args.outdir.resolve()
    pyodide_dir = out / "pyodide"
    stage = out / ".stage"
    shutil.rmtree(out, ignore_errors=True)
    stage.mkdir(parents=True)
    pyodide_dir.mkdir()
    # A build output, never to be committed (wherever OUTDIR is).
    (out / ".gitignore").write_text("*\n")

    wheels = download_wheels(args.cache.resolve())
    slim_dir = stage / "slim"
    slim_dir.mkdir()
    django_wheel, stripped = slim_django(wheels.pop("django"), slim_dir)
    extra_dir = stage / "extra"
    extra_dir.mkdir()
    other_djangos = {
        minor: slim_django(wheel, extra_dir)[0]
        for minor, wheel in download_other_djangos(args.cache.resolve()).items()
    }
    inputs = [django_wheel, *(Path(shutil.copy2(w, slim_dir)) for w in wheels.values())]
    inputs.append(build_runtime_wheel(slim_dir))

    project_src = stage / "project-src.zip"
    with zipfile.ZipFile(project_src, "w") as z:
        for name, data in project_files().items():
            z.writestr(name, data)

    report = pyodide_step(stage, inputs, project_src, args.pyc, other_djangos.values())
    final_wheels = []
    for wheel in map(Path, report["wheels"]):
        final_wheels.append(Path(shutil.copy2(wheel, pyodide_dir / wheel.name)))
    # Django in a bundle of its own per release, so that another can replace it.
    django_minor = ".".join(read_requirements()["django"][0].split(".")[:2])
    is_django = [wheel_name(w) == "django" for w in final_wheels]
    others = [w for w, d in zip(final_wheels, is_django, strict=True) if not d]
    write_bundle(pyodide_dir / PACKAGES_BUNDLE, SITE_PACKAGES, wheel_files(others))
    django_bundles = {django_minor: f"django-{django_minor}.bundle"}
    write_bundle(
        pyodide_dir / django_bundles[django_minor],
        SITE_PACKAGES,
        wheel_files([w for w, d in zip(final_wheels, is_django, strict=True) if d]),
    )
    for compiled in report.get("extra", []):
        version = parse_wheel_filename(Path(compiled).name)[1]
        minor = f"{version.major}.{version.minor}"
        django_bundles[minor] = f"django-{minor}.bundle"
        write_bundle(pyodide_dir / django_bundles[minor], SITE_PACKAGES, wheel_files([compiled]))
    write_bundle(
        pyodide_dir / PROJECT_BUNDLE, PROJECT_DIR, wheel_writer.read_zip(report["project"])
    )
    for name in PYODIDE_CORE:
        if name == STDLIB_ZIP:
            store_zip(PYODIDE_NPM / name, pyodide_dir / name)
        else:
            shutil.copy2(PYODIDE_NPM / name, pyodide_dir / name)
    # The .wasm without its data: restored from the snapshot, Python never reads
    # it; from scratch, the data comes as a file of its own (guide.browser_build.wasm_data).
    module, data_offset, data_image = split_data((pyodide_dir / WASM).read_bytes())
    (pyodide_dir / WASM).write_bytes(module)
    (pyodide_dir / WASM_DATA).write_bytes(data_image)
    lock = write_lock(pyodide_dir, inputs, final_wheels)
    for name in JS_FILES:
        shutil.copy2(BROWSER / name, out / name)

    npm_version = json.loads((PYODIDE_NPM / "package.json").read_text())["version"]
    files = {}
    for path in sorted(pyodide_dir.iterdir()):
        files[path.name] = file_entry(path)
    manifest = {
        "pyodide": npm_version,
        "python": lock["info"]["python"],
        "packages": sorted(lock["packages"]),
        "project": {"dir": PROJECT_DIR, "settings": "mysite.settings"},
        # Fetched by the worker and written into Pyodide's file system, in order.
        # The wheels stay beside them only for the lock file (which Pyodide reads).
        "bundles": [PACKAGES_BUNDLE, django_bundles[django_minor], PROJECT_BUNDLE],
        "boot": [
            *PYODIDE_CORE,
            WASM_DATA,
            "pyodide-lock.json",
            PACKAGES_BUNDLE,
            django_bundles[django_minor],
            PROJECT_BUNDLE,
        ],
        # Each Django release's bundle; another than the default replaces it
        # (downloaded when a reader first runs a block written for that release).
        "django": {"default": django_minor, "bundles": django_bundles},
        "application": "mysite.asgi:application",
        # What pyodide.asm.wasm's data segments put in memory, from `offset` on: written
        # there by a boot from scratch before the module's code runs.
        "wasm_data": {"file": WASM_DATA, "offset": data_offset},
        "files": files,
    }
    (pyodide_dir / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    log("making the memory snapshot in headless Chromium (boot, import Django's framework)")
    runs = first_runs()
    snapshot = memory_snapshot.make_snapshot(out, runs)
    path = pyodide_dir / snapshot["file"]
    manifest["snapshot"] = path.name
    # Restored only where the engine stack switches as the one that made it (start-choice.mjs).
    manifest["snapshot_jspi"] = snapshot["jspi"]
    # Imported (those that can be before settings are read) wherever Python boots from
    # scratch too: another Django release, a start without the snapshot.
    manifest["setup_imports"] = snapshot["setup_imports"]
    # Python from scratch needs every file; restored, not those of the modules it holds.
    manifest["boot_from_scratch"] = list(manifest["boot"])
    # Of their other files, those the start does not read come later (same module).
    reads = snapshot["first_run_reads"]
    restored, emptied, later = write_restored_bundles(
        pyodide_dir, manifest["bundles"], snapshot["held"], reads["start"], reads["snippets"]
    )
    for name in [*emptied, *later]:
        files[name] = file_entry(pyodide_dir / name)
    manifest["restored_bundles"] = restored
    swap = dict(zip(manifest["bundles"], restored, strict=True))
    # Restored, the worker gets the .wasm's data from the snapshot's copy and
    # how the two differ (guide.browser_build.wasm_data), not from pyodide.asm.data.
    memory = path.read_bytes()
    region = snapshot_memory(memory, data_offset, len(data_image))
    (pyodide_dir / SNAPSHOT_WASM_DATA).write_bytes(difference(data_image, region))
    files[SNAPSHOT_WASM_DATA] = file_entry(pyodide_dir / SNAPSHOT_WASM_DATA)
    manifest["wasm_data"]["snapshot_difference"] = SNAPSHOT_WASM_DATA
    # Served as parts that download side by side, the first holding that stretch of
    # memory (guide.browser_build.snapshot_parts).
    head = memory_start(memory) + data_offset + len(data_image)
    parts = [part.name for part in snapshot_parts.split(path, head=head)]
    for name in parts:
        files[name] = file_entry(pyodide_dir / name)
    manifest["snapshot_parts"] = parts
    # Restored, Python starts without reading the standard library, nor the later
    # bundles: the worker downloads them once the reader's runs pause
    # (browser/later-file.mjs).
    manifest["after_start"] = [STDLIB_ZIP, *later]
    # ...but at the start for a page whose first run reads them (guide.browser_build.first_runs).
    manifest["first_runs"] = first_run_needs(runs, reads["snippets"], later, STDLIB_ZIP)
    manifest["boot"] = [
        *(
            swap.get(name, name)
            for name in manifest["boot"]
            if name not in (WASM_DATA, *manifest["after_start"])
        ),
        *parts,
        SNAPSHOT_WASM_DATA,
    ]
    (pyodide_dir / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    sizes = {
        name: {"bytes": info["size"], "gzip": gzip_size(pyodide_dir / name)}
        for name, info in files.items()
    }
    info = {
        "pyodide": npm_version,
        "python": lock["info"]["python"],
        "pyc": args.pyc,
        "django_stripped": stripped,
        "sizes": sizes,
        "total_bytes": sum(s["bytes"] for s in sizes.values()),
        "total_gzip": sum(s["gzip"] for s in sizes.values()),
        "pyodide_step": report["timings"],
        "snapshot_step": snapshot["timings"],
        "snapshot_free_memory_zeroed": snapshot["zeroed"],
        "restored_bundles_emptied": {name: len(rels) for name, rels in emptied.items()},
        "start_reads": len(reads["start"]),
        "build_seconds": round(time.perf_counter() - started, 1),
    }
    (pyodide_dir / "build-info.json").write_text(json.dumps(info, indent=1) + "\n")
    shutil.rmtree(stage)
    log(f"wrote {out} ({info['total_bytes']:,} bytes, {info['total_gzip']:,} gzipped)")
    for name, size in sizes.items():
        log(f"  pyodide/{name:42} {size['bytes']:>10,} {size['gzip']:>10,} gz")
    return 0


if __name__ == "__main__":
    sys.exit(main())
