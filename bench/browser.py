"""Measure the in-browser runtime in headless Chromium (Debian's /usr/bin/chromium).

    nox -s bench_browser                 # builds the runtime and the site first
    python bench/browser.py --site site --runs 5

Serves the built site on 127.0.0.1 with gzip (as any production web server
would compress it), then, for ``--runs`` cold page loads (a new browser
context each: empty cache), on the application-object page:

- cold: time from pressing Run to the first result (the runtime loads on the
  press), and the bytes transferred (compressed, as sent on the wire) until
  then;
- warm: time of a second run of the page's first block that runs in the warm
  interpreter (the first block, what_it_is.pycon, has ``setup = false`` and
  runs in a fresh interpreter of its own);
- fresh: time of a run of that fresh-interpreter block after the other runs;
- hover: time from pressing Run to the result when the pointer rested on the
  button for ``--dwell`` seconds first (the page starts loading on hover);
- view: the page as served (it prefetches the runtime once a runnable block
  is on screen and the browser is idle): the block is scrolled into view and
  Run pressed ``--read`` seconds later.

"cold" and "hover" load the page with ``?no-prefetch``, which turns the
prefetch on view off.

Prints the median of each, and every run. A script, not a test.
"""

import argparse
import gzip
import http.server
import statistics
import sys
import threading
import time
from functools import partial
from pathlib import Path

from guide.chromium import CHROMIUM, launch
from guide.paths import ROOT
from guide.runnable_page import press_run

PAGE = "howto/application-object/"
COMPRESSIBLE = (".html", ".js", ".mjs", ".css", ".json", ".wasm", ".svg", ".txt", ".bundle")


class GzipHandler(http.server.SimpleHTTPRequestHandler):
    """Static files, gzip-encoded when the client accepts it (cached per file)."""

    cache = {}

    def log_message(self, *args):
        pass

    def do_GET(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        accepts = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (accepts and path.suffix in COMPRESSIBLE and path.is_file()):
            return super().do_GET()
        if path not in self.cache:
            self.cache[path] = gzip.compress(path.read_bytes(), 6)
        body = self.cache[path]
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def serve(site):
    handler = partial(GzipHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def timed_run(page, block, timeout):
    """Press Run; return the seconds until the result (raise if the run failed)."""
    started = time.perf_counter()
    state, output = press_run(page, block, timeout)
    if state != "done":
        raise RuntimeError(f"run failed: {output}")
    return time.perf_counter() - started


def one_load(browser, url, dwell=0.0, read=0.0):
    context = browser.new_context()
    page = context.new_page()
    transferred = []
    page.on(
        "requestfinished",
        lambda request: transferred.append(
            request.sizes()["responseBodySize"] + request.sizes()["responseHeadersSize"]
        ),
    )
    page.goto(url)
    page.wait_for_selector("html[data-runnable-ready]")
    block = page.locator("div.runnable").first
    button = block.locator(".runnable-run")
    if dwell:
        button.hover()
        time.sleep(dwell)
    if read:
        block.scroll_into_view_if_needed()  # the reader reaches the snippet...
        time.sleep(read)  # ...and reads it before pressing Run
    first = timed_run(page, block, timeout=120_000)
    page.wait_for_timeout(200)  # let the last response records arrive
    sent = sum(transferred)
    # The page's first block needs a fresh interpreter (setup = false): the
    # warm re-run is timed on its first block that runs in the warm one.
    warm_block = page.locator("div.runnable:not([data-fresh]):not([data-browser-skip])").first
    timed_run(page, warm_block, timeout=60_000)  # sets the warm interpreter up
    warm = timed_run(page, warm_block, timeout=30_000)
    fresh_block = page.locator("div.runnable[data-fresh]").first
    fresh = timed_run(page, fresh_block, timeout=30_000) if fresh_block.count() else float("nan")
    context.close()
    return first, warm, sent, fresh


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=ROOT / "site")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dwell", type=float, default=3.0, help="hover time before Run (s)")
    parser.add_argument("--read", type=float, default=8.0, help="reading time before Run (s)")
    parser.add_argument("--chromium", default=CHROMIUM)
    args = parser.parse_args(argv)
    if not (args.site / "runtime" / "runner.mjs").is_file():
        parser.error(f"{args.site} has no runtime/: build the runtime and the site first")
    if not 1 <= args.runs <= 20:
        parser.error("--runs must be 1-20")
    from playwright.sync_api import sync_playwright

    server = serve(args.site)
    url = f"http://127.0.0.1:{server.server_address[1]}/{PAGE}"
    modes = {
        "cold": (url + "?no-prefetch", {}),
        "hover": (url + "?no-prefetch", {"dwell": args.dwell}),
        "view": (url, {"read": args.read}),
    }
    rows = {mode: [] for mode in modes}
    with sync_playwright() as playwright:
        browser = launch(playwright, args.chromium)
        for mode, (page_url, wait) in modes.items():
            for number in range(args.runs):
                first, warm, sent, fresh = one_load(browser, page_url, **wait)
                rows[mode].append((first, warm, sent, fresh))
                print(
                    f"{mode:<5} run {number + 1}: first result {first:6.2f} s, "
                    f"warm re-run {warm * 1000:6.0f} ms, fresh run after a run "
                    f"{fresh * 1000:6.0f} ms, {sent / 1e6:5.2f} MB transferred"
                )
        browser.close()
    server.shutdown()
    with open("/proc/loadavg") as f:
        load = f.read().split()[0]
    print(f"\nmedian of {args.runs} cold page loads (gzip on the wire, load average {load}):")
    for mode, label in (
        ("cold", "Run pressed at once"),
        ("hover", f"after {args.dwell:g} s hover"),
    ):
        firsts, warms, sents, freshes = zip(*rows[mode], strict=True)
        print(
            f"  {label:<22} first result {statistics.median(firsts):5.2f} s | "
            f"warm re-run {statistics.median(warms) * 1000:4.0f} ms | "
            f"fresh run after a run {statistics.median(freshes) * 1000:4.0f} ms | "
            f"{statistics.median(sents) / 1e6:5.2f} MB before the first result"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
