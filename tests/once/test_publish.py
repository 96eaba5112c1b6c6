"""guide.site.publish: the folder a static host serves.

Most tests publish a small fake site made in tmp_path, so they run in every
test session without building anything. The last one publishes the real site
when SITE_DIR is set (the docs session builds it) and serves the result with
``python -m http.server``.
"""

import gzip
import hashlib
import json
import random
import subprocess
import sys
import urllib.request
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import pytest

from guide.browser_build.build import JS_FILES
from guide.services.processes import ServerProcess, free_port
from guide.site import publish

PAGE = "<!doctype html><html><body>" + "<p>Django on ASGI, the runnable guide.</p>" * 200
RUNNER = "export class PyRunner {}\n" * 100


def _write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    path.write_bytes(data)


def _runtime(runtime):
    """A fake runtime with the files guide.site.publish requires and a matching manifest."""
    noise = random.Random(8).randbytes(20_000)  # incompressible, like a deflated wheel
    for name in JS_FILES:
        _write(runtime / name, RUNNER)
    _write(runtime / ".gitignore", "*\n")
    _write(runtime / ".inputs-sha256", "0" * 64)
    pyodide = runtime / "pyodide"
    files = {
        "pyodide.mjs": RUNNER.encode(),
        "pyodide.asm.mjs": RUNNER.encode() * 10,
        "pyodide.asm.wasm": b"\0asm\1\0\0\0" + bytes(range(256)) * 400,
        "python_stdlib.zip": noise,
        "django-6.1.3-cp314-none-any.whl": noise[::-1],
        "pyodide-lock.json": json.dumps({"packages": {}}).encode(),
    }
    for name, data in files.items():
        _write(pyodide / name, data)
    manifest = {
        name: {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        for name, data in files.items()
    }
    _write(pyodide / "manifest.json", json.dumps({"files": manifest}))


@pytest.fixture
def fake_site(tmp_path):
    site = tmp_path / "site"
    _write(site / "index.html", PAGE)
    _write(site / "404.html", PAGE)
    _write(site / "howto" / "index.html", PAGE)
    _write(site / "sitemap.xml", "<urlset></urlset>")
    _write(site / "assets" / "javascripts" / "bundle.5cfa9f6f.min.js", "var a = 1;\n" * 300)
    _write(site / "assets" / "javascripts" / "runnable.mjs", "export {};\n" * 300)
    _write(site / "assets" / "images" / "favicon.png", random.Random(1).randbytes(500))
    _runtime(site / "runtime")
    return site


def _published(out):
    return {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}


def test_publish_copies_the_site_with_gz_files(fake_site, tmp_path, capsys):
    out = tmp_path / "out"
    totals = publish.publish(fake_site, out)

    files = _published(out)
    originals = {p for p in files if not p.endswith(".gz")} - {"_headers", ".nojekyll"}
    expected = {
        p.relative_to(fake_site).as_posix()
        for p in fake_site.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    }
    assert originals == expected
    for rel in originals:
        assert (out / rel).read_bytes() == (fake_site / rel).read_bytes()
    gz_files = sorted(p for p in files if p.endswith(".gz"))
    assert "index.html.gz" in gz_files
    assert "runtime/pyodide/pyodide.asm.wasm.gz" in gz_files
    assert "runtime/runner.mjs.gz" in gz_files
    for rel in gz_files:
        packed = (out / rel).read_bytes()
        assert gzip.decompress(packed) == (out / rel.removesuffix(".gz")).read_bytes()
        assert packed[4:8] == b"\0\0\0\0", "mtime 0: the same bytes on every run"
    # Deflated archives do not shrink by 10 %: no .gz for them; images are not tried.
    assert "runtime/pyodide/python_stdlib.zip.gz" not in files
    assert "runtime/pyodide/django-6.1.3-cp314-none-any.whl.gz" not in files
    assert "assets/images/favicon.png.gz" not in files
    # The runtime's build leftovers are not published.
    assert "runtime/.gitignore" not in files and "runtime/.inputs-sha256" not in files
    assert (out / ".nojekyll").is_file()

    assert totals["files"] == len(expected)
    assert totals["gz_files"] == len(gz_files)
    assert totals["gz_bytes"] < totals["gz_source_bytes"]
    summary = capsys.readouterr().out
    assert f"published {len(expected)} files" in summary
    assert f"{totals['gz_bytes']:,} bytes of .gz" in summary


def _rules(headers_text):
    """``{path: {name: value}}`` from a _headers file."""
    rules, current = {}, None
    for line in headers_text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("/"):
            current = rules.setdefault(line.strip(), {})
        else:
            name, value = line.strip().split(":", 1)
            current[name] = value.strip()
    return rules


def test_headers_file(fake_site, tmp_path):
    out = tmp_path / "out"
    publish.publish(fake_site, out, log=lambda message: None)
    rules = _rules((out / "_headers").read_text())
    assert rules["/runtime/pyodide/pyodide.asm.wasm"]["Content-Type"] == "application/wasm"
    for mjs in ("/runtime/runner.mjs", "/runtime/pyodide/pyodide.asm.mjs"):
        assert rules[mjs]["Content-Type"] == "text/javascript"
    assert rules["/assets/javascripts/runnable.mjs"]["Content-Type"] == "text/javascript"
    hashed = rules["/assets/javascripts/bundle.5cfa9f6f.min.js"]
    assert hashed["Cache-Control"] == "public, max-age=31536000, immutable"
    assert rules["/runtime/*"]["Cache-Control"] == "no-cache"
    assert "/index.html" not in rules


def test_publish_again_replaces_the_earlier_output(fake_site, tmp_path):
    out = tmp_path / "out"
    publish.publish(fake_site, out, log=lambda message: None)
    _write(out / "stale.html", "old")
    publish.publish(fake_site, out, log=lambda message: None)
    assert not (out / "stale.html").exists()


def _fails(argv, capsys, message):
    assert publish.main([str(a) for a in argv]) == 2
    err = capsys.readouterr().err
    assert message in err, err


def test_refuses_what_is_not_a_built_site(tmp_path, capsys):
    _fails([tmp_path / "nowhere", tmp_path / "out"], capsys, "is not a folder")
    (tmp_path / "docs").mkdir()
    _write(tmp_path / "docs" / "index.md", "# Home")
    _fails([tmp_path / "docs", tmp_path / "out"], capsys, "is not a built site")
    assert not (tmp_path / "out").exists()


def test_refuses_a_site_without_the_runtime(fake_site, tmp_path, capsys):
    (fake_site / "runtime" / "pyodide" / "pyodide.asm.wasm").unlink()
    _fails([fake_site, tmp_path / "out"], capsys, "no complete browser runtime")


def test_refuses_a_runtime_that_does_not_match_its_manifest(fake_site, tmp_path, capsys):
    _write(fake_site / "runtime" / "pyodide" / "python_stdlib.zip", b"truncated")
    _fails([fake_site, tmp_path / "out"], capsys, "does not match manifest.json")


def test_refuses_an_out_dir_it_did_not_write(fake_site, tmp_path, capsys):
    other = tmp_path / "precious"
    _write(other / "notes.txt", "keep me")
    _fails([fake_site, other], capsys, "was not written by guide.site.publish")
    assert (other / "notes.txt").read_text() == "keep me"
    _fails([fake_site, fake_site / "published"], capsys, "must be outside SITE_DIR")


def test_command_line(fake_site, tmp_path):
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "guide.site.publish",
            str(tmp_path / "nowhere"),
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
    )
    assert bad.returncode != 0
    assert "guide.site.publish: " in bad.stderr and "not a folder" in bad.stderr
    ok = subprocess.run(
        [sys.executable, "-m", "guide.site.publish", str(fake_site), str(tmp_path / "out")],
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0, ok.stderr
    assert "precompressed" in ok.stdout


# -- the real site ----------------------------------------------------------------------


def _get(url):
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, response.headers.get_content_type(), response.read()


def test_real_site_published_and_served(site_dir, tmp_path):
    """The docs session's site (the site_dir fixture builds one when SITE_DIR is not set)."""
    site = site_dir
    if not (site / publish.RUNTIME / "runner.mjs").is_file():
        pytest.fail(f"{site} has no runtime: build it first (nox -s docs does both)")
    out = tmp_path / "publish"
    totals = publish.publish(site, out)
    assert totals["gz_files"] > 0

    port = free_port()
    argv = [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)]
    with ServerProcess(argv, port, cwd=out) as server:
        base = server.url
        status, content_type, body = _get(f"{base}/{publish.RUNTIME}/pyodide/pyodide.asm.wasm")
        assert (status, content_type) == (200, "application/wasm")
        assert body[:4] == b"\0asm"
        status, content_type, _ = _get(f"{base}/{publish.RUNTIME}/runner.mjs")
        assert (status, content_type) == (200, "text/javascript")

        # Every page the site lists in its sitemap, and its 404 page.
        locs = [
            el.text
            for el in ET.parse(site / "sitemap.xml").iter()
            if el.tag.endswith("}loc") and el.text
        ]
        assert locs, "the sitemap lists no page"
        paths = {urlsplit(loc).path for loc in locs} | {"/404.html"}
        for path in sorted(paths):
            status, content_type, body = _get(base + path)
            assert (status, content_type) == (200, "text/html"), path
            assert b"</html>" in body, path
