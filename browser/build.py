"""Assemble the self-hosted browser runtime: ``python browser/build.py OUTDIR``.

Standard library only; needs ``npm ci`` first (for node_modules/pyodide and
Node, which runs the in-Pyodide build step). Writes::

    OUTDIR/runner.mjs, worker.mjs, core.mjs   the JS API (copied from browser/)
    OUTDIR/pyodide/                            everything the worker fetches
        pyodide.mjs, pyodide.asm.mjs, pyodide.asm.wasm, python_stdlib.zip
        pyodide-lock.json                      our packages, with sha256
        *.whl                                  Django (slimmed), asgiref, sqlparse,
                                               servestatic, guide-runtime
        mysite-project.zip                     examples/mysite + migrated db.sqlite3
        manifest.json                          sizes + sha256 of every file above
        build-info.json                        versions, what was stripped, timings

Steps:

1. ``pip download --require-hashes -r requirements/browser.txt`` into a cache
   (browser/.cache/wheels), then every wheel's sha256 is checked again here.
2. Django is slimmed (see ``SLIM_RULES``): translations other than English,
   ``.po`` sources, admin static files, GeoDjango, and backends that cannot run
   in a browser.
3. ``browser/tools/pyodide_step.mjs`` runs Pyodide itself under Node: it
   migrates the example database and loads the sample questions with the
   exact Django/SQLite that runs in the browser, and compiles the wheels to
   ``.pyc`` (see ``--no-pyc``).
4. The lock file and the manifest are written.

Tools considered and why they are not used (measured 2026-11, see
browser/README.md):

* pyodide-lock (``PyodideLockSpec.from_json`` / ``add_wheels``): the newest
  release on PyPI, 0.1.2, cannot read the lock file of Pyodide 314 (it rejects
  the packages' ``tool`` field and requires ``info.version``), so it cannot
  round-trip the lock we ship. :func:`lock_entry` writes the same entries
  (name, version, file_name, sha256, imports, depends, install_dir) with the
  standard library; Pyodide checks the sha256 when it loads a package.
* pyodide-build's ``py-compile``: it compiles with the *host* interpreter, so
  the host must be the runtime's CPython 3.14; the newest pyodide-build on
  PyPI (0.25.1) targets Pyodide 0.25 / Python 3.11, and no 3.14 interpreter is
  available here. Step 3 compiles inside Pyodide's own CPython 3.14 instead,
  which is exactly the interpreter that will load the ``.pyc`` files.
"""

import argparse
import base64
import csv
import hashlib
import importlib.util
import io
import json
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BROWSER = ROOT / "browser"
PYODIDE_NPM = ROOT / "node_modules" / "pyodide"
REQUIREMENTS = ROOT / "requirements" / "browser.txt"
EXAMPLE = ROOT / "examples" / "mysite"
DEFAULT_CACHE = BROWSER / ".cache" / "wheels"

#: Files of the npm package that the worker needs (nothing else is served).
PYODIDE_CORE = ["pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip"]
#: JS modules copied next to pyodide/.
JS_FILES = ["runner.mjs", "worker.mjs", "core.mjs"]
#: The example project: what is packaged, and where it is unpacked in Pyodide.
PROJECT_DIR = "/home/pyodide/mysite"
PROJECT_ZIP = "mysite-project.zip"
PROJECT_EXCLUDE = re.compile(r"(^|/)(__pycache__|staticfiles)(/|$)|\.pyc$|^db\.sqlite3")
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


def log(message):
    print(f"[build] {message}", flush=True)


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


# -- 1. wheels ------------------------------------------------------------------------


def read_requirements(path=REQUIREMENTS):
    """``{canonical name: (version, {sha256, ...})}`` from a hash-pinned requirements file."""
    text = path.read_text().replace("\\\n", " ")
    pins = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.match(r"([A-Za-z0-9_.-]+)==(\S+)", line)
        hashes = set(re.findall(r"--hash=sha256:([0-9a-f]{64})", line))
        if not match or not hashes:
            raise SystemExit(f"{path}: every line needs name==version and --hash: {line!r}")
        pins[canonical(match[1])] = (match[2], hashes)
    return pins


def download_wheels(cache):
    """Download (or reuse) the pinned wheels; return ``{name: verified path}``."""
    cache.mkdir(parents=True, exist_ok=True)
    pins = read_requirements()
    command = [
        sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
        "--no-deps", "--only-binary=:all:", "--require-hashes",
        # The wheels are for Pyodide's CPython 3.14, whatever runs this script.
        "--python-version", "3.14", "--implementation", "py", "--abi", "none",
        "--platform", "any", "-r", str(REQUIREMENTS), "-d", str(cache),
    ]  # fmt: skip
    log("pip download --require-hashes -r requirements/browser.txt")
    subprocess.run(command, check=True)
    found = {}
    for wheel in cache.glob("*.whl"):
        name, version = wheel.name.split("-")[:2]
        name = canonical(name)
        if name in pins and pins[name][0] == version:
            digest = sha256_file(wheel)
            if digest not in pins[name][1]:
                raise SystemExit(f"{wheel}: sha256 {digest} is not pinned in {REQUIREMENTS}")
            found[name] = wheel
    missing = set(pins) - set(found)
    if missing:
        raise SystemExit(f"pip did not download: {', '.join(sorted(missing))}")
    log(f"verified sha256 of {len(found)} wheels")
    return found


# -- 2. slim Django, runtime wheel, project ---------------------------------------------


def record_hash(data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return f"sha256={digest.decode()}"


def write_wheel(path, files):
    """Write a wheel from ``{archive name: bytes}``, (re)generating its RECORD."""
    record_name = next(n for n in files if n.endswith(".dist-info/RECORD"))
    rows = [[n, record_hash(d), str(len(d))] for n, d in files.items() if n != record_name]
    rows.append([record_name, "", ""])
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    files = {**files, record_name: out.getvalue().encode()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name in sorted(files, key=lambda n: (n.endswith("RECORD"), ".dist-info/" in n, n)):
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, files[name])


def slim_django(source, dest_dir):
    """Write the slimmed Django wheel; return what was stripped, by rule."""
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
    dest = dest_dir / source.name
    write_wheel(dest, kept)
    log(f"slimmed {source.name}: {source.stat().st_size:,} -> {dest.stat().st_size:,} bytes")
    return dest, stripped


def build_runtime_wheel(dest_dir):
    """The Python side of the worker (browser/runtime/*.py) as a wheel."""
    dist = f"{RUNTIME_WHEEL_NAME}-{RUNTIME_VERSION}.dist-info"
    files = {p.name: p.read_bytes() for p in sorted((BROWSER / "runtime").glob("*.py"))}
    files[f"{dist}/METADATA"] = (
        f"Metadata-Version: 2.1\nName: guide-runtime\nVersion: {RUNTIME_VERSION}\n"
        "Summary: Runs the guide's snippets in Pyodide (browser/runtime)\n"
        "Requires-Dist: django\n"
    ).encode()
    files[f"{dist}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: browser/build.py\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n"
    )
    files[f"{dist}/RECORD"] = b""
    dest = dest_dir / f"{RUNTIME_WHEEL_NAME}-{RUNTIME_VERSION}-py3-none-any.whl"
    write_wheel(dest, files)
    return dest


def project_files():
    """``{relative path: bytes}`` of examples/mysite, without local state."""
    files = {}
    for path in sorted(EXAMPLE.rglob("*")):
        rel = path.relative_to(EXAMPLE).as_posix()
        if path.is_file() and not PROJECT_EXCLUDE.search(rel):
            files[rel] = path.read_bytes()
    return files


# -- 3. the in-Pyodide step ------------------------------------------------------------


def pyodide_step(stage, wheels, project, compile_pyc):
    """Run browser/tools/pyodide_step.mjs; returns its JSON report."""
    spec = {
        "stage": str(stage),
        "wheels": [str(w) for w in wheels],
        "project": str(project),
        "projectDir": PROJECT_DIR,
        "compile": compile_pyc,
    }
    spec_path = stage / "step.json"
    spec_path.write_text(json.dumps(spec))
    log("running the in-Pyodide step under Node (migrate, loaddata, compile)")
    result = subprocess.run(
        ["node", str(BROWSER / "tools" / "pyodide_step.mjs"), str(spec_path)],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


# -- 4. lock file and manifest ----------------------------------------------------------


def wheel_metadata(path):
    with zipfile.ZipFile(path) as z:
        name = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        text = z.read(name).decode()
        top = {n.split("/")[0].removesuffix(".py").removesuffix(".pyc") for n in z.namelist()}
    fields = {}
    for line in text.split("\n\n", 1)[0].splitlines():
        key, _, value = line.partition(": ")
        fields.setdefault(key, []).append(value)
    imports = sorted(t for t in top if t.isidentifier() and not t.endswith(".dist-info"))
    return fields, imports


#: PEP 508 marker values of Pyodide 314 (Emscripten, CPython 3.14, wasm32).
MARKER_ENV = {
    "sys_platform": "emscripten",
    "platform_system": "Emscripten",
    "os_name": "posix",
    "platform_machine": "wasm32",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "python_version": "3.14",
    "python_full_version": "3.14.2",
    "implementation_version": "3.14.2",
    "extra": "",
}
_MARKER_TERM = re.compile(r"""(\w+)\s*(===|==|!=|<=|>=|<|>|~=|not in|in)\s*(["'])(.*?)\3""")


def _version(text):
    return tuple(int(p) for p in re.findall(r"\d+", text))


def marker_applies(marker):
    """Evaluate a PEP 508 marker for Pyodide (enough for Requires-Dist lines)."""

    def term(match):
        name, op, _, value = match.groups()
        left = MARKER_ENV.get(name, "")
        if name.endswith("version") and op not in ("in", "not in"):
            left, value = _version(left), _version(value)
        result = {
            "==": left == value, "===": left == value, "!=": left != value,
            "<": left < value, "<=": left <= value, ">": left > value,
            ">=": left >= value, "~=": left >= value,
            "in": left in value, "not in": left not in value,
        }[op]  # fmt: skip
        return f" {result} "

    expression = _MARKER_TERM.sub(term, marker)
    if not re.fullmatch(r"[\s()]*((True|False|and|or|not)[\s()]*)*", expression):
        raise SystemExit(f"cannot evaluate the marker {marker!r}")
    return eval(expression, {"__builtins__": {}})  # only True/False/and/or/not/()


def lock_entry(path, shipped):
    """A pyodide-lock.json package entry, as ``pyodide lockfile add-wheels`` writes it.

    ``depends`` lists the Requires-Dist entries whose markers hold in Pyodide
    (so not ``tzdata; sys_platform == "win32"``, nor extras); each must be shipped.
    """
    fields, imports = wheel_metadata(path)
    depends = []
    for requirement in fields.get("Requires-Dist", []):
        spec, _, marker = requirement.partition(";")
        name = canonical(re.match(r"[A-Za-z0-9_.-]+", spec.strip())[0])
        if marker.strip() and not marker_applies(marker):
            continue
        if name not in shipped:
            raise SystemExit(f"{path.name} requires {name}, which is not in {REQUIREMENTS}")
        depends.append(name)
    name = canonical(fields["Name"][0])
    return name, {
        "name": name,
        "version": fields["Version"][0],
        "file_name": path.name,
        "install_dir": "site",
        "sha256": sha256_file(path),
        "package_type": "package",
        "imports": imports,
        "depends": sorted(depends),
        "unvendored_tests": False,
        "tool": {},
    }


def write_lock(out, wheels):
    upstream = json.loads((PYODIDE_NPM / "pyodide-lock.json").read_text())
    shipped = {canonical(w.name.split("-")[0]) for w in wheels}
    packages = dict(lock_entry(w, shipped) for w in wheels)
    # Only our packages: the npm package ships none of Pyodide's own wheels, so
    # listing them would only turn a typo into a 404.
    lock = {"info": upstream["info"], "packages": dict(sorted(packages.items()))}
    (out / "pyodide-lock.json").write_text(json.dumps(lock, indent=1, sort_keys=True) + "\n")
    return lock


def gzip_size(path):
    import gzip

    return len(gzip.compress(path.read_bytes(), compresslevel=9, mtime=0))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="wheel cache")
    parser.add_argument(
        "--no-pyc", dest="pyc", action="store_false", help="ship .py sources, not .pyc"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if not (PYODIDE_NPM / "pyodide.asm.wasm").exists():
        raise SystemExit("node_modules/pyodide is missing: run `npm ci` first")
    if importlib.util.find_spec("pip") is None:
        raise SystemExit(f"{sys.executable} has no pip (build.py runs `python -m pip download`)")
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
    inputs = [django_wheel, *(shutil.copy2(w, slim_dir) for w in wheels.values())]
    inputs = [Path(p) for p in inputs] + [build_runtime_wheel(slim_dir)]

    project_src = stage / "project-src.zip"
    with zipfile.ZipFile(project_src, "w") as z:
        for name, data in project_files().items():
            z.writestr(name, data)

    report = pyodide_step(stage, inputs, project_src, args.pyc)
    final_wheels = [Path(p) for p in report["wheels"]]
    for wheel in final_wheels:
        shutil.copy2(wheel, pyodide_dir / wheel.name)
    shutil.copy2(report["project"], pyodide_dir / PROJECT_ZIP)
    for name in PYODIDE_CORE:
        shutil.copy2(PYODIDE_NPM / name, pyodide_dir / name)
    lock = write_lock(pyodide_dir, [pyodide_dir / w.name for w in final_wheels])
    for name in JS_FILES:
        shutil.copy2(BROWSER / name, out / name)

    npm_version = json.loads((PYODIDE_NPM / "package.json").read_text())["version"]
    files = {}
    for path in sorted(pyodide_dir.iterdir()):
        files[path.name] = {"size": path.stat().st_size, "sha256": sha256_file(path)}
    manifest = {
        "pyodide": npm_version,
        "python": lock["info"]["python"],
        "packages": sorted(lock["packages"]),
        "project": {"file": PROJECT_ZIP, "dir": PROJECT_DIR, "settings": "mysite.settings"},
        "application": "mysite.asgi:application",
        "files": files,
    }
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
