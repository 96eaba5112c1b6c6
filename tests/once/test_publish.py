"""guide.site.publish: the folder a static host serves.

Most tests publish a small fake site made in tmp_path, so they run in every
test session without building anything. The last ones publish the real site,
built for a public URL as ``nox -s publish`` builds it (once: the same
publish for all of them): served with ``python -m http.server``, and naming
no loopback address where the site's own URL goes.
"""

import gzip
import hashlib
import json
import random
import re
import subprocess
import sys
import urllib.request
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import pytest

from guide.content import pages
from guide.paths import DOCS
from guide.services.processes import ServerProcess, free_port
from guide.site import example_download, publish, runtime_files, site_url
from helpers import PUBLIC_URL

PAGE = "<!doctype html><html><body>" + "<p>Django on ASGI, the runnable guide.</p>" * 200
RUNNER = "export class PyRunner {}\n" * 100


def _write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    path.write_bytes(data)


FAKE_FILES = {
    "pyodide.mjs": RUNNER.encode(),
    "pyodide.asm.mjs": RUNNER.encode() * 10,
    "pyodide.asm.wasm": b"\0asm\1\0\0\0" + bytes(range(256)) * 400,
    "python_stdlib.zip": random.Random(8).randbytes(20_000),  # incompressible, like a wheel
    "django-6.1.3-cp314-none-any.whl": random.Random(9).randbytes(20_000),
    "pyodide-lock.json": json.dumps({"packages": {}}).encode(),
    "pyodide.asm.data": bytes(range(256)) * 400,  # a suffix no other file of the site has
}


def _runtime(site, tmp_path):
    """A fake runtime build (tmp_path/build: the files and a manifest), served in ``site``."""
    build = tmp_path / "build"
    _write(build / "runner.mjs", RUNNER)
    _write(build / "worker.mjs", 'import { ready } from "./boot.mjs";\nself.onmessage = ready;\n')
    _write(build / "boot.mjs", "export function ready() {}\n" + "// the boot\n" * 300)
    _write(build / ".gitignore", "*\n")
    for name, data in FAKE_FILES.items():
        _write(build / "pyodide" / name, data)
    manifest = {
        name: {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        for name, data in FAKE_FILES.items()
    }
    _write(build / "pyodide" / "manifest.json", json.dumps({"files": manifest}))
    served = runtime_files.prepare(tmp_path / "stage", build)
    runtime_files.install(served, site)
    return served


def _served(name):
    """The served name of a fake runtime file."""
    return runtime_files.hashed_name(name, hashlib.sha256(FAKE_FILES[name]).hexdigest())


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
    _runtime(site, tmp_path)
    return site


def _published(out):
    return {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}


def test_publish_copies_the_site_with_gz_files(fake_site, tmp_path, capsys):
    out = tmp_path / "out"
    totals = publish.publish(fake_site, out)

    files = _published(out)
    originals = {p for p in files if not p.endswith((".gz", ".br"))} - {"_headers", ".nojekyll"}
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
    assert f"runtime/pyodide/{_served('pyodide.asm.wasm')}.gz" in gz_files
    assert any(re.fullmatch(r"runtime/runner\.[0-9a-f]{12}\.mjs\.gz", p) for p in gz_files)
    for rel in gz_files:
        packed = (out / rel).read_bytes()
        assert gzip.decompress(packed) == (out / rel.removesuffix(".gz")).read_bytes()
        assert packed[4:8] == b"\0\0\0\0", "mtime 0: the same bytes on every run"
    # Deflated archives do not shrink by 10 %: no .gz for them; images are not tried.
    assert f"runtime/pyodide/{_served('python_stdlib.zip')}.gz" not in files
    assert f"runtime/pyodide/{_served('django-6.1.3-cp314-none-any.whl')}.gz" not in files
    assert "assets/images/favicon.png.gz" not in files
    assert (out / ".nojekyll").is_file()

    assert totals["files"] == len(expected)
    assert totals["gz_files"] == len(gz_files)
    assert totals["gz_bytes"] < totals["gz_source_bytes"]
    summary = capsys.readouterr().out
    assert f"published {len(expected)} files" in summary
    assert f"{totals['gz_bytes']:,} bytes of .gz" in summary


def test_publish_writes_br_files_beside_the_gz_files(fake_site, tmp_path, capsys):
    brotli = pytest.importorskip("brotli")
    out = tmp_path / "out"
    totals = publish.publish(fake_site, out)

    files = _published(out)
    br_files = sorted(p for p in files if p.endswith(".br"))
    gz_files = sorted(p for p in files if p.endswith(".gz"))
    assert "index.html.br" in br_files
    assert f"runtime/pyodide/{_served('pyodide.asm.wasm')}.br" in br_files
    # Both encodings of every file that got one, each decompressing to the file.
    assert [p.removesuffix(".br") for p in br_files] == [p.removesuffix(".gz") for p in gz_files]
    for rel in br_files:
        packed = (out / rel).read_bytes()
        assert brotli.decompress(packed) == (out / rel.removesuffix(".br")).read_bytes()
    assert f"runtime/pyodide/{_served('python_stdlib.zip')}.br" not in files
    # Every runtime file is tried, whatever its suffix (the .wasm's data was sent as is).
    assert f"runtime/pyodide/{_served('pyodide.asm.data')}.br" in br_files
    assert totals["br_files"] == len(br_files)
    assert totals["br_bytes"] < totals["gz_bytes"]
    assert f"{totals['br_bytes']:,} bytes of .br" in capsys.readouterr().out


def _rules(headers_text):
    """``{path: {name: value}}`` from a _headers file."""
    return {path: dict(pairs) for path, pairs in publish.read_headers_file(headers_text).items()}


def test_headers_file(fake_site, tmp_path):
    out = tmp_path / "out"
    publish.publish(fake_site, out, log=lambda message: None)
    rules = _rules((out / "_headers").read_text())
    wasm = rules[f"/runtime/pyodide/{_served('pyodide.asm.wasm')}"]
    assert wasm["Content-Type"] == "application/wasm"
    assert rules["/assets/javascripts/runnable.mjs"]["Content-Type"] == "text/javascript"
    year = "public, max-age=31536000, immutable"
    assert rules["/assets/javascripts/bundle.5cfa9f6f.min.js"]["Cache-Control"] == year
    # Every file of the runtime is named by its content, and kept for a year.
    runtime = sorted(p for p in _published(out) if p.startswith("runtime/"))
    runtime = [p for p in runtime if not p.endswith((".gz", ".br"))]
    assert len(runtime) == len(FAKE_FILES) + 3  # + the manifest, the runner, the worker
    for rel in runtime:
        assert rules["/" + rel]["Cache-Control"] == year, rel
        if rel.endswith(".mjs"):
            assert rules["/" + rel]["Content-Type"] == "text/javascript", rel
    # Pages are revalidated, at both of their URLs; nothing else is.
    for url in ("/", "/index.html", "/howto/", "/howto/index.html", "/404.html"):
        assert rules[url] == {"Cache-Control": "no-cache"}, url
    assert "/runtime/*" not in rules


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
    (fake_site / "runtime" / "pyodide" / _served("pyodide.asm.wasm")).unlink()
    _fails([fake_site, tmp_path / "out"], capsys, "no complete browser runtime")


def test_refuses_a_runtime_that_does_not_match_its_manifest(fake_site, tmp_path, capsys):
    _write(fake_site / "runtime" / "pyodide" / _served("python_stdlib.zip"), b"truncated")
    _fails([fake_site, tmp_path / "out"], capsys, "does not match manifest.")


def test_refuses_a_runtime_file_under_its_plain_name(fake_site, tmp_path, capsys):
    pyodide = fake_site / "runtime" / "pyodide"
    (pyodide / _served("python_stdlib.zip")).rename(pyodide / "python_stdlib.zip")
    _fails([fake_site, tmp_path / "out"], capsys, "is listed in manifest.")


def test_refuses_two_manifests(fake_site, tmp_path, capsys):
    (manifest,) = (fake_site / "runtime" / "pyodide").glob("manifest.*.json")
    data = manifest.read_bytes() + b" "
    sha = hashlib.sha256(data).hexdigest()
    _write(manifest.with_name(runtime_files.hashed_name("manifest.json", sha)), data)
    _fails([fake_site, tmp_path / "out"], capsys, "should hold one manifest.HASH.json")


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


def test_real_site_published_and_served(public_site_dir, public_site):
    """The real site, as ``nox -s publish`` builds and publishes it (:func:`public_site`:
    one publish of the real site, gzip 9 of every file, shared with the tests below),
    served with ``python -m http.server`` at its root: its URL's path left out."""
    site, out = public_site_dir, public_site
    entry, manifest = runtime_files.read_served(site / publish.RUNTIME)
    assert any(out.rglob("*.gz")) and not any(out.rglob("*.br"))  # http.server sends no .br

    port = free_port()
    argv = [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)]
    with ServerProcess(argv, port, cwd=out) as server:
        base = server.url
        wasm = manifest["urls"]["pyodide.asm.wasm"]
        status, content_type, body = _get(f"{base}/{publish.RUNTIME}/pyodide/{wasm}")
        assert (status, content_type) == (200, "application/wasm")
        assert body[:4] == b"\0asm"
        for module in (entry["runner"], entry["worker"]):
            status, content_type, _ = _get(f"{base}/{publish.RUNTIME}/{module}")
            assert (status, content_type) == (200, "text/javascript")
        # The example's download: a zip browsers save (the README: no rule needed).
        status, content_type, body = _get(f"{base}/{example_download.URL}")
        assert (status, content_type) == (200, "application/zip")
        assert body == (site / example_download.URL).read_bytes()

        # Every page the site lists in its sitemap, and its 404 page.
        locs = [
            el.text
            for el in ET.parse(site / "sitemap.xml").iter()
            if el.tag.endswith("}loc") and el.text
        ]
        assert locs, "the sitemap lists no page"
        prefix = urlsplit(PUBLIC_URL).path.rstrip("/")  # "/guide": served here at the root
        paths = {urlsplit(loc).path.removeprefix(prefix) for loc in locs} | {"/404.html"}
        for path in sorted(paths):
            status, content_type, body = _get(base + path)
            assert (status, content_type) == (200, "text/html"), path
            assert b"</html>" in body, path


# -- the public URL ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "checked"),
    [
        ("https://example.org/guide/", "https://example.org/guide/"),
        ("https://example.org/guide", "https://example.org/guide/"),
        ("http://docs.example.org", "http://docs.example.org/"),
    ],
)
def test_site_url_accepts_http_urls(url, checked):
    assert site_url.check(url) == checked


@pytest.mark.parametrize(
    "url", ["example.org/guide/", "ftp://example.org/", "https:///guide/", "https://a b/", ""]
)
def test_site_url_refuses_anything_else_in_one_line(url, capsys):
    with pytest.raises(site_url.SiteURLError):
        site_url.check(url)
    assert site_url.main([url]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not http(s)://host/path/" in err, err


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("localhost", True),
        ("[::1]", True),
        ("0.0.0.0", True),
        ("example.org", False),
        ("10.0.0.1", False),
    ],
)
def test_loopback_hosts(host, loopback):
    assert site_url.is_loopback(host) is loopback


def test_publish_refuses_a_site_built_for_another_url(fake_site, tmp_path, capsys):
    _write(
        fake_site / "sitemap.xml",
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        "<url><loc>http://127.0.0.1:8000/</loc></url></urlset>",
    )
    argv = [fake_site, tmp_path / "out", "--site-url", PUBLIC_URL]
    _fails(argv, capsys, f"was built for another URL than {PUBLIC_URL}")
    _fails([fake_site, tmp_path / "out", "--site-url", "example.org"], capsys, "is not http(s)")
    assert not (tmp_path / "out").exists()


@pytest.fixture(scope="module")
def public_site(public_site_dir, tmp_path_factory):
    """The site built for :data:`PUBLIC_URL` (as ``nox -s publish`` builds it), and published."""
    site = public_site_dir
    if not (site / publish.RUNTIME).is_dir():
        pytest.fail("build/browser has no runtime: build it first (nox -s docs does)")
    out = tmp_path_factory.mktemp("public-publish")
    publish.publish(site, out, log=lambda message: None, site_url=PUBLIC_URL, brotli=False)
    return out


URL = re.compile(r"\b[a-z][a-z0-9+.-]*://(\[[^\]]*\]|[^/\s\"'<>:?#]+)", re.IGNORECASE)
LINK = re.compile(r"""\b(?:href|src|content)\s*=\s*["']([^"']*)["']""", re.IGNORECASE)


def _loopback_urls(text):
    return sorted({m.group(0) for m in URL.finditer(text) if site_url.is_loopback(m.group(1))})


def test_published_site_names_no_loopback_address(public_site):
    """No canonical link, sitemap entry, 404 link or llms.txt entry names this machine.

    The pages do link to the reader's own local server ("open
    http://127.0.0.1:8000/"): a page's body may name a loopback URL its
    Markdown writes, nothing else may (its head, 404.html, sitemap.xml, llms.txt).
    """
    out = public_site
    for name in ("sitemap.xml", "404.html", "llms.txt"):
        assert (out / name).is_file(), name
        assert _loopback_urls((out / name).read_text(encoding="utf-8")) == [], name
    locs = publish.sitemap_urls(out)
    assert locs and all(loc.startswith(PUBLIC_URL) for loc in locs), locs
    checked = 0
    for page in pages.pages():
        html_path = out / pages.url_of(page) / "index.html"
        html = html_path.read_text(encoding="utf-8")
        head, _, body = html.partition("</head>")
        assert _loopback_urls(head) == [], f"{html_path.relative_to(out)}: <head>"
        source = page.read_text(encoding="utf-8")
        for link in LINK.findall(body):
            for url in _loopback_urls(link):
                assert url in source, (
                    f"{html_path.relative_to(out)} links {link}, which "
                    f"{page.relative_to(DOCS)} does not write"
                )
        checked += 1
    assert checked == len(pages.pages()) > 10


def test_published_page_has_the_public_canonical_link(public_site):
    html = (public_site / "howto" / "application-object" / "index.html").read_text()
    canonical = re.search(r'<link rel="canonical" href="([^"]+)"', html)
    assert canonical and canonical.group(1) == PUBLIC_URL + "howto/application-object/"
