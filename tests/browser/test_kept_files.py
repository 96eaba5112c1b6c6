"""A second visit reads the snapshot and the bundles from Cache Storage (browser/kept-files.mjs).

The first visit downloads them, checks their sha256, and once Python has
started keeps the checked bytes in Cache Storage under keys that name that
sha256; a later visit reads them from there instead of the HTTP cache (where
they are compressed, and would be decoded and hashed again). A kept copy of the
wrong size is never used: the file is downloaded and checked again. Requests are
counted at the browser context, which also sees the Web Worker's.
"""

import json

from guide.clients.run_button import press_run
from guide.site import runtime_files
from helpers import WatchedPage

PAGE = "howto/application-object/?no-prefetch"
LOAD_MS = 120_000  # first run: the runtime loads (busy 2-core machine)

KEPT = """async () => {
    const cache = await caches.open("guide-runtime-files");
    const sizes = {};
    for (const request of await cache.keys()) {
        sizes[request.url] = (await (await cache.match(request)).arrayBuffer()).byteLength;
    }
    return sizes;
}"""

TRUNCATE = """async ([key, length]) => {
    const cache = await caches.open("guide-runtime-files");
    const body = await (await cache.match(key)).arrayBuffer();
    await cache.put(key, new Response(body.slice(0, length)));
}"""


def kept_files(site_dir, site_url):
    """``{file: (key, size, served name)}`` for the files a start keeps: snapshot, bundles."""
    _, manifest = runtime_files.read_served(site_dir / runtime_files.RUNTIME_DIR)
    index = f"{site_url}/{runtime_files.RUNTIME_DIR}/pyodide/"
    # From the snapshot: the bundles with the files of the modules it holds empty, the
    # snapshot's parts, and the standard library, downloaded once the runs pause.
    names = runtime_files.kept_files(manifest)
    return {
        name: (
            f"{index}{name}?sha256={manifest['files'][name]['sha256']}",
            manifest["files"][name]["size"],
            manifest["urls"][name],
        )
        for name in names
    }


def run_first_block(page, site_url):
    page.goto(f"{site_url}/{PAGE}")
    page.wait_for_selector("html[data-runnable-ready]")
    block = page.locator("div.runnable").first
    state, output = press_run(page, block, LOAD_MS)
    assert state == "done", output
    assert "ASGIHandler" in output, output


def wait_kept(page, expected):
    """The kept sizes once every key of ``expected`` ({key: size}) is there with its size."""
    sizes = {}
    for _ in range(120):
        sizes = page.evaluate(KEPT)
        if all(sizes.get(key) == size for key, size in expected.items()):
            return sizes
        page.wait_for_timeout(500)
    raise AssertionError(f"not kept as expected: {json.dumps(sizes, indent=1)}")


def requested(urls, files):
    """The files of ``files`` whose served name is among ``urls``."""
    return sorted(name for name, (_, _, served) in files.items() if any(served in u for u in urls))


def test_a_second_visit_reads_the_kept_files(chromium, site_dir, site_url):
    files = kept_files(site_dir, site_url)
    watched = WatchedPage(chromium)
    urls = []
    watched.context.on("request", lambda request: urls.append(request.url))
    try:
        run_first_block(watched.page, site_url)
        wait_kept(watched.page, {key: size for key, size, _ in files.values()})
        assert requested(urls, files) == sorted(files), "the first visit downloads them"

        urls.clear()
        second = watched.context.new_page()
        run_first_block(second, site_url)
        assert requested(urls, files) == [], "the second visit asked for kept files"
        assert any("pyodide.asm" in url for url in urls), "Pyodide's own files are fetched"
    finally:
        watched.close()


def test_a_kept_copy_of_the_wrong_size_is_not_used(chromium, site_dir, site_url):
    files = kept_files(site_dir, site_url)
    part = "snapshot.part2.bin"
    snapshot_key, snapshot_size, _ = files[part]
    watched = WatchedPage(chromium)
    urls = []
    watched.context.on("request", lambda request: urls.append(request.url))
    try:
        run_first_block(watched.page, site_url)
        wait_kept(watched.page, {key: size for key, size, _ in files.values()})
        watched.page.evaluate(TRUNCATE, [snapshot_key, snapshot_size // 2])
        assert watched.page.evaluate(KEPT)[snapshot_key] == snapshot_size // 2

        urls.clear()
        second = watched.context.new_page()
        # Restored from a snapshot with half a part, Python would not start: the run works.
        run_first_block(second, site_url)
        assert requested(urls, files) == [part], "downloaded again, the rest kept"
        wait_kept(second, {snapshot_key: snapshot_size})  # and kept again, in full
    finally:
        watched.close()
