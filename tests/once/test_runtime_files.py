"""guide.site.runtime_files: the runtime under content-hashed names, from a small fake build."""

import gzip
import hashlib
import json
import re

import pytest

from guide.site import runtime_files


def _build(root, stdlib=b"stdlib v1", boot='export function boot() { return "booted"; }\n'):
    files = {"python_stdlib.zip": stdlib, "pyodide.asm.wasm": b"\0asm wasm"}
    (root / "pyodide").mkdir(parents=True)
    for name, data in files.items():
        (root / "pyodide" / name).write_bytes(data)
    manifest = {
        "files": {
            name: {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            for name, data in files.items()
        }
    }
    (root / "pyodide" / "manifest.json").write_text(json.dumps(manifest))
    (root / "runner.mjs").write_text("export class PyRunner {}\n")
    (root / "worker.mjs").write_text('import { boot } from "./boot.mjs";\nself.boot = boot;\n')
    (root / "boot.mjs").write_text(boot)
    return root


def test_hashed_names():
    assert (
        runtime_files.hashed_name("pyodide.asm.wasm", "ab" * 32) == "pyodide.asm.abababababab.wasm"
    )
    assert runtime_files.hashed_name("LICENSE", "cd" * 32) == "LICENSE.cdcdcdcdcdcd"


def test_every_file_is_served_under_its_hash_and_the_worker_is_one_module(tmp_path):
    served = runtime_files.prepare(tmp_path / "stage", _build(tmp_path / "build"))
    site = tmp_path / "site"
    runtime_files.install(served, site)
    runtime = site / "runtime"
    on_disk = sorted(p.relative_to(runtime).as_posix() for p in runtime.rglob("*") if p.is_file())
    assert on_disk == sorted(served.files)
    for rel in on_disk:
        name = rel.rsplit("/", 1)[-1]
        digest = hashlib.sha256((runtime / rel).read_bytes()).hexdigest()
        assert f".{digest[:12]}." in name, rel
    worker = (runtime / served.entry["worker"]).read_text()
    assert "import" not in worker and "booted" in worker, "boot.mjs bundled into the worker"
    entry, manifest = runtime_files.read_served(runtime)
    assert entry == served.entry
    assert set(manifest["urls"]) == {"python_stdlib.zip", "pyodide.asm.wasm"}
    # The pages name the entry points.
    meta = served.meta_tag()
    content = re.fullmatch(r'<meta name="guide-runtime" content="([^"]*)">', meta).group(1)
    assert json.loads(content.replace("&quot;", '"')) == {
        **served.entry,
        "download": served.download,
    }


def test_pages_say_what_a_start_downloads_as_served(tmp_path):
    """The bytes a Run button announces: each file a start fetches, as the published
    site sends it (its .gz where publishing writes one: the compressible stdlib here,
    not the 9-byte .wasm, which gzip makes larger); with the memory snapshot or
    without (whole bundles; from the snapshot, the ones with the files of the
    modules it holds empty); and another Django release's bundle apart."""
    data = {
        "python_stdlib.zip": b"import this\n" * 1000,
        "snapshot.bin": b"\0" * 100_000,
        "django-5.2.bundle": b"from django import VERSION\n" * 100,
        "packages.bundle": b"import asgiref.sync\n" * 300,
        "packages.restored.bundle": b"import asgiref\n" * 50,
    }
    build = _build(tmp_path / "build", stdlib=data["python_stdlib.zip"])
    manifest_path = build / "pyodide" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    for name in (
        "snapshot.bin",
        "django-5.2.bundle",
        "packages.bundle",
        "packages.restored.bundle",
    ):
        (build / "pyodide" / name).write_bytes(data[name])
        digest = hashlib.sha256(data[name]).hexdigest()
        manifest["files"][name] = {"size": len(data[name]), "sha256": digest}
    core = ["pyodide.asm.wasm", "python_stdlib.zip"]
    # Restored, Python starts without the standard library: fetched after, on the same Run.
    manifest["boot"] = ["pyodide.asm.wasm", "packages.restored.bundle", "snapshot.bin"]
    manifest["after_start"] = ["python_stdlib.zip"]
    manifest["boot_from_scratch"] = [*core, "packages.bundle"]
    manifest["snapshot"] = "snapshot.bin"
    manifest["snapshot_jspi"] = True
    manifest["django"] = {"default": "6.1", "bundles": {"5.2": "django-5.2.bundle"}}
    manifest_path.write_text(json.dumps(manifest))
    served = runtime_files.prepare(tmp_path / "stage", build)
    runtime_files.install(served, tmp_path / "site")
    runtime = tmp_path / "site" / "runtime"
    urls = runtime_files.read_served(runtime)[1]["urls"]
    packed = {
        name: len(gzip.compress(content, compresslevel=9, mtime=0))
        for name, content in data.items()
    }
    assert all(packed[name] < len(content) / 10 for name, content in data.items())
    for name, content in data.items():
        assert (runtime / "pyodide" / urls[name]).read_bytes() == content
    entry_points = sum(
        runtime_files.served_size(runtime / served.entry[role])
        for role in ("runner", "worker", "manifest")
    )
    core = entry_points + len(b"\0asm wasm") + packed["python_stdlib.zip"]
    assert served.download == {
        "snapshot": core + packed["packages.restored.bundle"] + packed["snapshot.bin"],
        "scratch": core + packed["packages.bundle"],
        "snapshot_jspi": True,
        "django": {"5.2": packed["django-5.2.bundle"]},
    }
    before_python_starts, _ = runtime_files.start_files(manifest)
    assert "python_stdlib.zip" not in before_python_starts


def test_a_new_build_renames_only_what_changed(tmp_path):
    """A returning reader's browser keeps every file a new build did not change."""
    before = runtime_files.prepare(tmp_path / "s1", _build(tmp_path / "b1"))
    after = runtime_files.prepare(tmp_path / "s2", _build(tmp_path / "b2", stdlib=b"stdlib v2"))
    renamed = set(before.files) ^ set(after.files)
    assert {p.split("/")[-1].split(".")[0] for p in renamed} == {"python_stdlib", "manifest"}
    again = runtime_files.prepare(
        tmp_path / "s3",
        _build(tmp_path / "b3", boot='export function boot() { return "again"; }\n'),
    )
    assert set(before.files) ^ set(again.files) == {
        before.entry["worker"],
        again.entry["worker"],
    }, "a change in a module the worker imports renames the worker only"


def test_no_build_no_runtime(tmp_path):
    assert runtime_files.prepare(tmp_path / "stage", tmp_path / "nothing") is None


def test_a_runtime_with_a_renamed_file_is_refused(tmp_path):
    served = runtime_files.prepare(tmp_path / "stage", _build(tmp_path / "build"))
    runtime_files.install(served, tmp_path / "site")
    runtime = tmp_path / "site" / "runtime"
    (runtime / served.entry["runner"]).write_text("export class PyRunner { changed() {} }\n")
    with pytest.raises(runtime_files.ServedRuntimeError, match="one runner.HASH.mjs"):
        runtime_files.read_served(runtime)
