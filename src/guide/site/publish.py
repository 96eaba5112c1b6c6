"""The folder a static host serves: ``python -m guide.site.publish SITE_DIR OUT_DIR``.

SITE_DIR is a built site (``mkdocs build``) with the browser runtime in it
(``guide.site.assets`` copies ``build/browser`` to ``runtime/``). OUT_DIR
gets:

- every file of the site, except dotfiles (the runtime's ``.gitignore`` and
  build stamp);
- ``NAME.gz`` beside each compressible file (gzip level 9, mtime 0: the same
  bytes on every run) when it is at least 10 % smaller, for servers that send
  precompressed files (nginx ``gzip_static on;``). Most wheels and zips are
  deflated already and gain 2-10 %, so they get none (tzdata's wheel gains 34 %);
- ``NAME.br`` beside it (brotli quality 11, by the same rule), for hosts that
  send precompressed brotli to browsers that accept it (Caddy's
  ``precompressed br gzip``, nginx with the brotli module's ``brotli_static on;``).
  Quality 11 takes minutes for the memory snapshot: files of a megabyte or more
  are compressed once, kept under ``build/brotli/`` by their sha256;
- ``_headers`` (read by Netlify and Cloudflare Pages): ``application/wasm`` for
  ``.wasm`` (``WebAssembly.instantiateStreaming`` refuses anything else),
  ``text/javascript`` for ``.mjs``, a year's caching (``immutable``) for files
  whose name carries a content hash (Material's bundles, and every file of the
  runtime: :mod:`guide.site.runtime_files`), and revalidation for the pages,
  which name the runtime's files;
- ``.nojekyll``, so GitHub Pages serves the files as they are.

It refuses a SITE_DIR that is not a built site or whose runtime is missing or
incomplete (every file checked against the runtime's served manifest). With
``--site-url URL`` (what ``nox -s publish`` passes) it also refuses a site
built for another URL (its ``sitemap.xml``), such as a local build.
"""

import argparse
import gzip
import hashlib
import re
import shutil
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from guide.paths import BUILD
from guide.site import runtime_files
from guide.site import site_url as site_urls

RUNTIME = runtime_files.RUNTIME_DIR
"""Where the site has the runtime (:mod:`guide.site.runtime_files`)."""

SITE_FILES = ("index.html", "sitemap.xml")
"""Files every ``mkdocs build`` writes."""

COMPRESSIBLE = {
    ".html",
    ".css",
    ".js",
    ".mjs",
    ".map",
    ".json",
    ".svg",
    ".txt",
    ".xml",
    ".wasm",
    ".zip",
    ".whl",
    ".bundle",
    ".bin",
}
"""Suffixes tried for a ``.gz`` (with every file of the runtime: :func:`worth_trying`);
one is kept only if it saves :data:`MIN_SAVING`."""

MIN_SAVING = 0.10


def worth_trying(rel):
    """Whether publishing tries to compress the file at ``rel`` (relative to the site).

    A file of the runtime always: the build may add one of a suffix no list
    here names (``pyodide.asm.data`` was sent as is, 3.8 MB instead of 1.1).
    """
    return rel.suffix in COMPRESSIBLE or rel.parts[:1] == (RUNTIME,)


BROTLI_QUALITY = 11
BROTLI_CACHE = BUILD / "brotli"
"""Brotli of the large files (the snapshot takes over a minute), by their sha256."""
BROTLI_CACHE_MIN = 1 << 20

CONTENT_TYPES = {".wasm": "application/wasm", ".mjs": "text/javascript"}
"""Types some hosts get wrong by default; each such file gets its own rule in ``_headers``."""

HASHED_NAME = re.compile(r"[.-][0-9a-f]{8,}[.-]")
"""A file name with a content hash in it (Material's ``bundle.5cfa9f6f.min.js``)."""

CACHE_HASHED = "public, max-age=31536000, immutable"
CACHE_PAGE = "no-cache"
"""Pages are revalidated: a new build's runtime names reach a returning reader at once."""

MARKER = ".nojekyll"


class PublishError(Exception):
    """SITE_DIR or OUT_DIR cannot be used; the message says why."""


def sha256_file(path):
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def brotli_compress(data, cache=BROTLI_CACHE):
    """``data`` compressed with brotli at :data:`BROTLI_QUALITY` (cached for large ``data``)."""
    import brotli  # requirements/docs.txt

    if len(data) < BROTLI_CACHE_MIN:
        return brotli.compress(data, quality=BROTLI_QUALITY)
    path = Path(cache) / f"{hashlib.sha256(data).hexdigest()}.q{BROTLI_QUALITY}.br"
    if path.is_file():
        return path.read_bytes()
    packed = brotli.compress(data, quality=BROTLI_QUALITY)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(packed)
    partial.replace(path)  # whole or not at all: publishes may run side by side
    return packed


def check_site(site):
    """Raise :class:`PublishError` unless ``site`` is a built site with a complete runtime."""
    if not site.is_dir():
        raise PublishError(f"{site} is not a folder: build the site first (mkdocs build)")
    missing = [name for name in SITE_FILES if not (site / name).is_file()]
    if missing:
        raise PublishError(
            f"{site} is not a built site (no {', '.join(missing)}): build it first (mkdocs build)"
        )
    try:
        runtime_files.read_served(site / RUNTIME)
    except runtime_files.ServedRuntimeError as error:
        raise PublishError(
            f"{site} has no complete browser runtime in {RUNTIME}/ ({error}): build it "
            "(python -m guide.browser_build.build build/browser, or nox -s publish), "
            "then the site again"
        ) from None


def sitemap_urls(site):
    """The page URLs ``site``'s ``sitemap.xml`` lists."""
    try:
        tree = ET.parse(site / "sitemap.xml")
    except (OSError, ET.ParseError) as error:
        raise PublishError(f"{site / 'sitemap.xml'} cannot be read ({error})") from None
    return [el.text.strip() for el in tree.iter() if el.tag.endswith("}loc") and el.text]


def check_site_url(site, url):
    """Raise :class:`PublishError` unless ``url`` is valid and ``site`` was built for it."""
    try:
        url = site_urls.check(url)
    except site_urls.SiteURLError as error:
        raise PublishError(str(error)) from None
    other = [loc for loc in sitemap_urls(site) if not loc.startswith(url)]
    if other:
        raise PublishError(
            f"{site} was built for another URL than {url} (its sitemap.xml lists {other[0]}): "
            f"build it with {site_urls.ENV}={url} (nox -s publish -- --site-url {url} does)"
        )
    return url


def prepare_out(site, out):
    """Make ``out`` an empty folder; refuse one that holds anything but an earlier publish."""
    site, out = site.resolve(), out.resolve()
    if out == site or site in out.parents or out in site.parents:
        raise PublishError(f"OUT_DIR {out} must be outside SITE_DIR {site} (and not contain it)")
    if out.exists():
        if not out.is_dir():
            raise PublishError(f"OUT_DIR {out} exists and is not a folder")
        if any(out.iterdir()) and not (out / MARKER).is_file():
            raise PublishError(
                f"OUT_DIR {out} is not empty and was not written by guide.site.publish: "
                "choose another folder or empty it"
            )
        shutil.rmtree(out)
    out.mkdir(parents=True)


def site_files(site):
    """Every file to publish, as paths relative to ``site``, dotfiles left out."""
    for path in sorted(site.rglob("*")):
        rel = path.relative_to(site)
        if path.is_file() and not any(part.startswith(".") for part in rel.parts):
            yield rel


def headers_file(paths):
    """The ``_headers`` text for the published ``paths`` (relative, POSIX)."""
    blocks = [
        "# Written by guide.site.publish; read by Netlify and Cloudflare Pages.",
        "# Other hosts: send these types, and use the .gz files if they can.",
    ]
    for rel in paths:
        lines = []
        content_type = CONTENT_TYPES.get(Path(rel).suffix)
        if content_type:
            lines.append(f"  Content-Type: {content_type}")
        if HASHED_NAME.search(Path(rel).name):
            lines.append(f"  Cache-Control: {CACHE_HASHED}")
        elif rel.endswith(".html"):
            lines.append(f"  Cache-Control: {CACHE_PAGE}")
        if not lines:
            continue
        urls = ["/" + rel]
        if rel == "index.html" or rel.endswith("/index.html"):
            urls.insert(0, "/" + rel.removesuffix("index.html"))  # the page's own URL
        blocks += [url + "\n" + "\n".join(lines) for url in urls]
    return "\n".join(blocks) + "\n"


def read_headers_file(text):
    """``{url path: [(name, value)]}`` of a ``_headers`` text (:func:`headers_file`'s)."""
    rules, current = {}, None
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("/"):
            current = rules.setdefault(line.strip(), [])
        else:
            name, value = (part.strip() for part in line.split(":", 1))
            current.append((name, value))
    return rules


def publish(site, out, log=print, site_url=None, brotli=True):
    """Copy ``site`` to ``out`` with ``.gz`` and ``.br`` files, ``_headers``, ``.nojekyll``; totals.

    ``site_url``: the URL ``site`` must have been built for (see :func:`check_site_url`).
    ``brotli=False`` leaves the ``.br`` files out: brotli 11 of the runtime's large files
    is about two minutes of CPU, which the tests that serve a published site through
    nginx or ``http.server`` (neither sends ``.br``) need not pay; the ``.br`` pass is
    tested on a small site.
    """
    site, out = Path(site), Path(out)
    check_site(site)
    if site_url is not None:
        check_site_url(site, site_url)
    prepare_out(site, out)
    totals = dict.fromkeys(
        ("files", "bytes", "gz_files", "gz_source_bytes", "gz_bytes", "br_files", "br_bytes"), 0
    )
    not_worth = {}
    published = []
    for rel in site_files(site):
        source, target = site / rel, out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
        published.append(rel.as_posix())
        size = source.stat().st_size
        totals["files"] += 1
        totals["bytes"] += size
        if not worth_trying(rel) or size == 0:
            continue
        data = source.read_bytes()
        packed = gzip.compress(data, compresslevel=9, mtime=0)
        if len(packed) > (1 - MIN_SAVING) * len(data):
            not_worth[rel.suffix] = not_worth.get(rel.suffix, 0) + 1
            continue
        target.with_name(target.name + ".gz").write_bytes(packed)
        totals["gz_files"] += 1
        totals["gz_source_bytes"] += len(data)
        totals["gz_bytes"] += len(packed)
        if not brotli:
            continue
        # A .br beside each .gz (brotli 11 is smaller than gzip 9 on these files).
        packed = brotli_compress(data)
        target.with_name(target.name + ".br").write_bytes(packed)
        totals["br_files"] += 1
        totals["br_bytes"] += len(packed)
    (out / "_headers").write_text(headers_file(published), encoding="utf-8")
    (out / MARKER).write_text("")
    log(
        f"published {totals['files']} files, {totals['bytes']:,} bytes, from {site} to {out}\n"
        f"precompressed {totals['gz_files']} files: {totals['gz_source_bytes']:,} bytes -> "
        f"{totals['gz_bytes']:,} bytes of .gz, {totals['br_bytes']:,} bytes of .br"
    )
    if not_worth:
        skipped = ", ".join(f"{count} {suffix}" for suffix, count in sorted(not_worth.items()))
        log(f"no .gz (saves under {MIN_SAVING:.0%}): {skipped}")
    return totals


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m guide.site.publish", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("site_dir", type=Path, help="the built site (mkdocs build -d SITE_DIR)")
    parser.add_argument("out_dir", type=Path, help="the folder to write (emptied first)")
    parser.add_argument(
        "--site-url", help="the URL the site is served from, which it must have been built for"
    )
    args = parser.parse_args(argv)
    try:
        publish(args.site_dir, args.out_dir, site_url=args.site_url)
    except PublishError as error:
        print(f"guide.site.publish: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
