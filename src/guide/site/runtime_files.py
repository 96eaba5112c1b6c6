"""The browser runtime as the site serves it: every file under a name with its content hash.

A file whose name changes when its bytes change can be cached for a year
(:mod:`guide.site.publish` marks such names ``immutable``): a returning reader's
browser then asks for none of the runtime's files again, and a new build is
never mixed with an old cached file. The build itself
(``python -m guide.browser_build.build build/browser``) keeps the plain names,
which its own tests and the snapshot step use; this module lays it out for the
site's ``runtime/`` folder:

``runner.HASH.mjs``
    ``runner.mjs`` (the page's client of the worker; it imports nothing).
``worker.HASH.mjs``
    ``worker.mjs`` and every module it imports, bundled into one file by esbuild
    (from ``node_modules``, like the code editor: :mod:`guide.site.editor_bundle`).
``pyodide/NAME.HASH.SUFFIX``
    each file of the build's ``manifest.json`` (Pyodide's own files, the lock
    file, the bundles, the memory snapshot, the wheels).
``pyodide/manifest.HASH.json``
    the build's manifest with ``urls``: each file's name to the name it is served
    under. The worker asks for every file by its name, and its fetches are routed
    to the served one (``browser/fetch.mjs``, ``routeRuntimeFetches``).

The pages also say how many bytes a start fetches (:func:`start_download`), so
that a Run button can say what it will load before anything is fetched.

HASH is the first :data:`HASH_LENGTH` hex digits of the file's sha256. Every page
names the three entry points in ``<meta name="guide-runtime">``, which
``docs/assets/javascripts/runnable.mjs`` reads; pages are revalidated, so a new
build's names reach a returning reader with the next page they load.
"""

import gzip
import hashlib
import html
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from guide.paths import BUILD
from guide.site import editor_bundle

RUNTIME_BUILD = BUILD / "browser"
"""Where ``python -m guide.browser_build.build`` writes the runtime."""

RUNTIME_DIR = "runtime"
"""The runtime's folder in the site."""

HASH_LENGTH = 12

META_NAME = "guide-runtime"

MANIFEST_NAME = re.compile(rf"^manifest\.[0-9a-f]{{{HASH_LENGTH}}}\.json$")


class ServedRuntimeError(Exception):
    """A site's ``runtime/`` folder is not a complete runtime; the message says what is wrong."""


def sha256_bytes(data):
    return hashlib.sha256(data).hexdigest()


def sha256_file(path):
    digest = hashlib.sha256()
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def hashed_name(name, sha256):
    """``name`` with the first digits of ``sha256`` before its last suffix.

    >>> hashed_name("pyodide.asm.wasm", "0123456789abcdef")
    'pyodide.asm.0123456789ab.wasm'
    """
    stem, dot, suffix = name.rpartition(".")
    tag = sha256[:HASH_LENGTH]
    return f"{stem}.{tag}.{suffix}" if dot else f"{name}.{tag}"


@dataclass(frozen=True)
class ServedRuntime:
    """The runtime's files as the site serves them."""

    entry: dict
    """``runner``, ``worker``, ``manifest``: their served paths, relative to ``runtime/``."""
    files: dict
    """Each served path (relative to ``runtime/``, POSIX) to the file it is a copy of."""
    download: dict = None
    """What a start fetches, in bytes as served (:func:`start_download`)."""

    def meta_tag(self):
        """The ``<meta>`` element every page carries (``runnable.mjs`` reads it): the
        entry points, and ``download``."""
        content = {**self.entry, "download": self.download}
        content = html.escape(json.dumps(content, sort_keys=True), quote=True)
        return f'<meta name="{META_NAME}" content="{content}">'


def is_built(build=RUNTIME_BUILD):
    return (Path(build) / "pyodide" / "manifest.json").is_file() and (
        Path(build) / "worker.mjs"
    ).is_file()


def bundle_worker(build, out):
    """``worker.mjs`` of ``build`` and what it imports, as one ES module at ``out``."""
    editor_bundle.esbuild(
        Path(build) / "worker.mjs",
        out,
        "--target=es2022",
        "--legal-comments=eof",
        # No comments naming where the modules were (the hash would depend on it);
        # names kept, so that errors stay readable.
        "--minify-whitespace",
        "--minify-syntax",
        "--log-level=error",
    )


def prepare(stage, build=RUNTIME_BUILD):
    """The :class:`ServedRuntime` of the runtime built in ``build``, or None if it is not built.

    Writes the bundled worker and the served manifest into ``stage`` (an empty
    folder that must last until :func:`install`); the other files are served as
    copies of the build's.
    """
    build, stage = Path(build), Path(stage)
    if not is_built(build):
        return None
    stage.mkdir(parents=True, exist_ok=True)
    manifest = json.loads((build / "pyodide" / "manifest.json").read_text(encoding="utf-8"))
    files = {}
    urls = {}
    for name, info in sorted(manifest["files"].items()):
        served = hashed_name(name, info["sha256"])
        urls[name] = served
        files[f"pyodide/{served}"] = build / "pyodide" / name
    manifest["urls"] = urls
    text = (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode()
    manifest_name = hashed_name("manifest.json", sha256_bytes(text))
    (stage / manifest_name).write_bytes(text)
    files[f"pyodide/{manifest_name}"] = stage / manifest_name

    bundle_worker(build, stage / "worker.mjs")
    entry = {"manifest": f"pyodide/{manifest_name}"}
    for role, source in (("runner", build / "runner.mjs"), ("worker", stage / "worker.mjs")):
        served = hashed_name(f"{role}.mjs", sha256_file(source))
        files[served] = source
        entry[role] = served
    download = start_download(manifest, files, entry, build / "pyodide" / "build-info.json")
    return ServedRuntime(entry=entry, files=files, download=download)


def served_size(path, gzip_bytes=None):
    """The bytes the runtime file ``path`` costs on the wire from a host that sends the
    ``.gz`` files :mod:`guide.site.publish` writes: its gzip size where publishing writes
    one (level 9, saving at least ``MIN_SAVING``; every runtime file is tried), else its
    size. ``gzip_bytes``: its gzip size if known."""
    from guide.site.publish import MIN_SAVING  # publish imports this module

    size = Path(path).stat().st_size
    if size == 0:
        return size
    if gzip_bytes is None:
        gzip_bytes = len(gzip.compress(Path(path).read_bytes(), compresslevel=9, mtime=0))
    return gzip_bytes if gzip_bytes <= (1 - MIN_SAVING) * size else size


def start_files(manifest):
    """``(from the snapshot, from scratch)``: the files of ``manifest`` each start fetches
    before Python has started.

    From the snapshot: ``manifest["boot"]``; from scratch: ``manifest["boot_from_scratch"]``
    (whole bundles, no snapshot: :mod:`guide.browser_build.held_files`), or, for a
    build without it, ``boot`` less the snapshot. Both: every file without ``boot``.
    The start from the snapshot fetches ``manifest["after_start"]`` (the standard
    library) once Python has started: not here.
    """
    boot = manifest.get("boot") or sorted(manifest["files"])
    snapshot = manifest.get("snapshot")
    scratch = manifest.get("boot_from_scratch") or [name for name in boot if name != snapshot]
    return (boot if snapshot else scratch), scratch


def kept_files(manifest):
    """The files a start from the snapshot keeps in Cache Storage for the next visit
    (``browser/kept-files.mjs``): the restored bundles, the snapshot's parts, and what
    it fetches once Python has started."""
    return [
        *manifest.get("restored_bundles", []),
        *manifest.get("snapshot_parts", [manifest.get("snapshot")]),
        *manifest.get("after_start", []),
    ]


def start_download(manifest, files, entry, build_info=None):
    """What the first start fetches, in bytes as served (:func:`served_size`):
    ``{"snapshot": ..., "scratch": ..., "snapshot_jspi": ..., "django": {...}}``.

    ``snapshot``: the runner, the worker, the manifest and the files the start from the
    memory snapshot fetches (those it fetches once Python has started too:
    ``manifest["after_start"]``, downloaded on the same Run); ``scratch``: those of
    the start from scratch (both
    :func:`start_files`; which one a page takes: ``browser/start-choice.mjs``);
    ``snapshot_jspi``: the manifest's (where the engine differs, the snapshot is not
    used); ``django``: for each other Django release of ``manifest["django"]``, its
    bundle (fetched the first time a block written for it runs). ``files``: each served path to its file; ``build_info``: the build's
    ``build-info.json``, whose gzip sizes spare compressing the files again.
    """
    gzip_sizes = {}
    if build_info and Path(build_info).is_file():
        info = json.loads(Path(build_info).read_text(encoding="utf-8"))
        gzip_sizes = {name: sizes for name, sizes in info.get("sizes", {}).items()}
    urls = manifest["urls"]

    def cost(served_path, name=None):
        path = files[served_path]
        known = gzip_sizes.get(name, {})
        same_file = known.get("bytes") == Path(path).stat().st_size  # not a stale record
        return served_size(path, known.get("gzip") if same_file else None)

    common = sum(cost(entry[role]) for role in ("runner", "worker", "manifest"))
    restored, scratch = start_files(manifest)
    restored = [*restored, *manifest.get("after_start", [])]
    sizes = {name: cost(f"pyodide/{urls[name]}", name) for name in {*restored, *scratch}}
    django = manifest.get("django", {})
    return {
        "snapshot": common + sum(sizes[name] for name in restored),
        "scratch": common + sum(sizes[name] for name in scratch),
        "snapshot_jspi": manifest.get("snapshot_jspi", False),
        "django": {
            minor: cost(f"pyodide/{urls[bundle]}", bundle)
            for minor, bundle in sorted(django.get("bundles", {}).items())
            if minor != django.get("default")
        },
    }


def install(served, site_dir):
    """Copy the served runtime into ``site_dir``'s ``runtime/`` (emptied first)."""
    target = Path(site_dir) / RUNTIME_DIR
    if target.exists():
        shutil.rmtree(target)
    for rel, source in sorted(served.files.items()):
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, path)


def read_served(runtime):
    """``(entry, manifest)`` of a site's ``runtime/`` folder, every file checked.

    Raises :class:`ServedRuntimeError` if the folder has not exactly one served
    manifest, if a name does not carry its file's hash, or if a file the
    manifest names is missing or does not match its sha256.
    """
    runtime = Path(runtime)
    manifests = sorted(p for p in (runtime / "pyodide").glob("manifest.*.json"))
    manifests = [p for p in manifests if MANIFEST_NAME.match(p.name)]
    if len(manifests) != 1:
        found = ", ".join(p.name for p in manifests) or "none"
        raise ServedRuntimeError(
            f"{runtime}/pyodide should hold one manifest.HASH.json, found {found}"
        )
    path = manifests[0]
    data = path.read_bytes()
    if hashed_name("manifest.json", sha256_bytes(data)) != path.name:
        raise ServedRuntimeError(f"{path} does not carry the hash of its content")
    try:
        manifest = json.loads(data)
        files, urls = manifest["files"], manifest["urls"]
    except (ValueError, KeyError, TypeError) as error:
        raise ServedRuntimeError(f"{path} is not a served runtime manifest ({error})") from None
    for name, info in sorted(files.items()):
        served = runtime / "pyodide" / urls.get(name, name)
        if urls.get(name) != hashed_name(name, info["sha256"]):
            raise ServedRuntimeError(f"{path} serves {name} under another name than its hash's")
        if not served.is_file():
            raise ServedRuntimeError(f"{served} is listed in {path.name} but missing")
        if served.stat().st_size != info["size"] or sha256_file(served) != info["sha256"]:
            raise ServedRuntimeError(f"{served} does not match {path.name} (size or sha256)")
    entry = {"manifest": f"pyodide/{path.name}"}
    for role in ("runner", "worker"):
        found = [
            p
            for p in runtime.glob(f"{role}.*.mjs")
            if hashed_name(f"{role}.mjs", sha256_file(p)) == p.name
        ]
        if len(found) != 1:
            raise ServedRuntimeError(f"{runtime} should hold one {role}.HASH.mjs")
        entry[role] = found[0].name
    return entry, manifest
