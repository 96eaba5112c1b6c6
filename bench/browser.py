"""Measure the in-browser runtime in headless Chromium (Debian's /usr/bin/chromium).

    nox -s bench_browser                 # builds the runtime and the site first
    python bench/browser.py --site site --runs 5

Serves the built site on 127.0.0.1 with gzip (as any production web server
would compress it), then, for ``--runs`` cold page loads (a new browser
context each: empty cache), on the application-object page:

- cold: time from pressing Run to the first result on the page (the runtime
  loads on the press; Python starts from the build's memory snapshot), and the bytes
  transferred until then: gzip as sent on the wire, and what a brotli host
  would send for the same files (brotli 11, computed here);
- lean: the same with ``?no-snapshot``: Python booted and Django's framework
  imported in the browser (what a reader who saves data, or on a 2G/3G
  connection, gets);
- warm: time of a second run of the page's first block that runs in the warm
  interpreter (the first block, what_it_is.pycon, has ``setup = false`` and
  runs in a fresh interpreter of its own);
- fresh: time of a run of that fresh-interpreter block after the other runs;
- hover: time from pressing Run to the result when the pointer rested on the
  button for ``--dwell`` seconds first (the page starts loading on hover);
- view: the page as served (it prefetches the runtime once a runnable block
  is on screen and the browser is idle): the block is scrolled into view and
  Run pressed ``--read`` seconds later.

"cold", "lean" and "hover" load the page with ``?no-prefetch``, which turns
the prefetch on view off. For cold and lean it also prints the start per
phase, as the runtime measured it (``timings`` of its "ready" message, ms
from the worker's start): download (the last file needed to start arrived),
compile (the .wasm, streamed while it downloads), pyodide (Python ready:
restored from the snapshot, or booted), project (lean: Django's framework
imported), files (the bundles written), setup, total, and the rest of the
first result (the worker's own start before it measures, the run, showing
the output).

Times are the page's own (``data-run-ms`` of the block: from the click to
the output shown), so Playwright's round trips are not counted. Prints the
median of each, and every run, and writes the medians and each load's times to
bench/results/browser.json (``--out``), which docs/about.md shows
(guide.site.tables.browser_bench). It refuses to measure on a busy machine
(:mod:`guide.bench.machine`; ``--allow-busy``). A script, not a test.
"""

import argparse
import gzip
import http.server
import json
import statistics
import sys
import threading
import time
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from guide.bench.machine import add_allow_busy, idle_machine, write_results
from guide.clients.run_button import press_run
from guide.paths import ROOT
from guide.services.chromium import CHROMIUM, launch
from guide.site import runtime_files
from guide.site.publish import COMPRESSIBLE

PAGE = "howto/application-object/"
RESULTS = Path(__file__).resolve().parent / "results" / "browser.json"


class GzipHandler(http.server.SimpleHTTPRequestHandler):
    """Static files, gzip-encoded when the client accepts it (cached per file)."""

    cache = {}
    accepted = set()  # the Accept-Encoding headers Chromium sent

    def log_message(self, *args):
        pass

    def do_GET(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        self.accepted.add(self.headers.get("Accept-Encoding", ""))
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


def wire_size(request):
    """Bytes of ``request``'s response as sent (headers and compressed body)."""
    response = request.response()  # waits for it, if it has not arrived yet
    if response is None:
        return 0
    response.finished()
    sizes = request.sizes()
    return sizes["responseBodySize"] + sizes["responseHeadersSize"]


_brotli = {}


def brotli_size(site, url):
    """What a brotli host sends for ``url`` (quality 11; as is for other suffixes)."""
    import brotli

    path = site / url.split("?")[0].lstrip("/")
    if path.is_dir() or not path.suffix:
        path = path / "index.html"
    if path not in _brotli:
        data = path.read_bytes()
        compress = path.suffix in COMPRESSIBLE
        _brotli[path] = len(brotli.compress(data, quality=11)) if compress else len(data)
    return _brotli[path]


def serve(site):
    handler = partial(GzipHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def timed_run(page, block, timeout):
    """Press Run; return the seconds until the result (raise if the run failed).

    The page's own figure (``data-run-ms``: from the click to the output on the
    page), without the round trips with which Playwright presses and waits.
    """
    state, output = press_run(page, block, timeout)
    if state != "done":
        raise RuntimeError(f"run failed: {output}")
    return int(block.get_attribute("data-run-ms")) / 1000


def one_load(browser, url, site, dwell=0.0, read=0.0):
    context = browser.new_context()
    page = context.new_page()
    started = []  # every request, in the order the page made them
    page.on("request", lambda request: started.append(request))
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
    # The bytes of the requests made before the first result (not those the
    # worker makes after it, restoring the next fresh interpreter).
    before = list(started)
    sent = sum(wire_size(request) for request in before)
    requested = [request.url.split("/", 3)[3] for request in before]
    timings = json.loads(page.locator("html").get_attribute("data-runtime-timings") or "{}")
    # The page's first block needs a fresh interpreter (setup = false): the
    # warm re-run is timed on its first block that runs in the warm one.
    warm_block = page.locator("div.runnable:not([data-fresh]):not([data-browser-skip])").first
    timed_run(page, warm_block, timeout=60_000)  # sets the warm interpreter up
    warm = timed_run(page, warm_block, timeout=30_000)
    fresh_block = page.locator("div.runnable[data-fresh]").first
    fresh = timed_run(page, fresh_block, timeout=30_000) if fresh_block.count() else float("nan")
    context.close()
    return {
        "first": first,
        "warm": warm,
        "fresh": fresh,
        "sent": sent,
        # Computed after the load: brotli 11 of the 45 MB snapshot takes long.
        "sent_brotli": sum(brotli_size(site, url) for url in requested),
        "timings": timings,
    }


PHASES = ("download", "compile", "pyodide", "project", "files", "setup", "total")
PER_PHASE = ("cold", "lean")  # the modes in which the runtime starts when Run is pressed


def phases(row):
    """The start per phase (ms); "rest": the worker's own start, the first run and showing it."""
    timings = row["timings"]
    found = {name: timings[name] for name in PHASES if timings.get(name) is not None}
    if "total" in found:
        # The worker starts when Run is pressed; "total" counts from its start.
        found["rest"] = round(row["first"] * 1000 - found["total"])
    return found


def summary(rows, mode):
    """The medians of one mode's loads, and each load's times, as written to the results JSON."""
    median = statistics.median
    found = {
        "first_s": round(median(row["first"] for row in rows), 2),
        "warm_ms": round(median(row["warm"] for row in rows) * 1000),
        "fresh_ms": round(median(row["fresh"] for row in rows) * 1000),
        "gzip_mb": round(median(row["sent"] for row in rows) / 1e6, 2),
        "brotli_mb": round(median(row["sent_brotli"] for row in rows) / 1e6, 2),
        # Every load's times, for the spread the page shows beside each median.
        "first_s_runs": [round(row["first"], 2) for row in rows],
        "warm_ms_runs": [round(row["warm"] * 1000) for row in rows],
        "fresh_ms_runs": [round(row["fresh"] * 1000) for row in rows],
    }
    if mode in PER_PHASE:
        per_phase = [phases(row) for row in rows]
        names = [name for name in (*PHASES, "rest") if all(name in p for p in per_phase)]
        found["phases_ms"] = {name: round(median(p[name] for p in per_phase)) for name in names}
    return found


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=ROOT / "site")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dwell", type=float, default=3.0, help="hover time before Run (s)")
    parser.add_argument("--read", type=float, default=8.0, help="reading time before Run (s)")
    parser.add_argument("--chromium", default=CHROMIUM)
    parser.add_argument("--out", type=Path, default=RESULTS, help="results JSON")
    add_allow_busy(parser)
    args = parser.parse_args(argv)
    try:
        _, manifest = runtime_files.read_served(args.site / runtime_files.RUNTIME_DIR)
    except runtime_files.ServedRuntimeError as error:
        parser.error(
            f"{args.site} has no complete runtime/ ({error}): build the runtime and the site first"
        )
    if not 1 <= args.runs <= 20:
        parser.error("--runs must be 1-20")
    machine_info = idle_machine(args.allow_busy)  # before anything starts
    from playwright.sync_api import sync_playwright

    server = serve(args.site)
    url = f"http://127.0.0.1:{server.server_address[1]}/{PAGE}"
    modes = {
        "cold": (url + "?no-prefetch", {}),
        "lean": (url + "?no-prefetch&no-snapshot", {}),
        "hover": (url + "?no-prefetch", {"dwell": args.dwell}),
        "view": (url, {"read": args.read}),
    }
    rows = {mode: [] for mode in modes}
    with sync_playwright() as playwright:
        browser = launch(playwright, args.chromium)
        chromium_version = browser.version
        for mode, (page_url, wait) in modes.items():
            for number in range(args.runs):
                row = one_load(browser, page_url, args.site, **wait)
                rows[mode].append(row)
                print(
                    f"{mode:<5} run {number + 1}: first result {row['first']:6.2f} s, "
                    f"warm re-run {row['warm'] * 1000:6.0f} ms, fresh run after a run "
                    f"{row['fresh'] * 1000:6.0f} ms, {row['sent'] / 1e6:5.2f} MB transferred "
                    f"({row['sent_brotli'] / 1e6:5.2f} MB brotli); "
                    + (
                        ", ".join(f"{k} {v}" for k, v in phases(row).items())
                        if mode in PER_PHASE
                        else ""
                    )
                )
        browser.close()
    server.shutdown()
    median = statistics.median
    print(f"\nmedian of {args.runs} cold page loads (gzip on the wire):")
    print(f"  (Chromium sent Accept-Encoding: {' | '.join(sorted(GzipHandler.accepted))})")
    for mode, label in (
        ("cold", "Run pressed at once"),
        ("lean", "same, no snapshot"),
        ("hover", f"after {args.dwell:g} s hover"),
        ("view", f"read {args.read:g} s in view"),
    ):
        column = {
            key: [row[key] for row in rows[mode]] for key in rows[mode][0] if key != "timings"
        }
        print(
            f"  {label:<22} first result {median(column['first']):5.2f} s | "
            f"warm re-run {median(column['warm']) * 1000:4.0f} ms | "
            f"fresh run after a run {median(column['fresh']) * 1000:4.0f} ms | "
            f"{median(column['sent']) / 1e6:5.2f} MB gzip / "
            f"{median(column['sent_brotli']) / 1e6:5.2f} MB brotli before the first result"
        )
    print("\nthe start per phase, median (ms from the worker's start; rest: see the docstring):")
    for mode in PER_PHASE:
        per_phase = [phases(row) for row in rows[mode]]
        names = [name for name in (*PHASES, "rest") if all(name in p for p in per_phase)]
        print(
            f"  {mode:<5} " + ", ".join(f"{n} {median(p[n] for p in per_phase):.0f}" for n in names)
        )
    data = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_info,
        "chromium": chromium_version,
        "runtime": {"pyodide": manifest["pyodide"], "python": manifest["python"]},
        "page": PAGE,
        "runs": args.runs,
        "settings": {"dwell_s": args.dwell, "read_s": args.read},
        "results": {mode: summary(rows[mode], mode) for mode in modes},
    }
    write_results(args.out, data)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
