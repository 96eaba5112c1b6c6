"""Measure the in-browser runtime in headless Chromium (Debian's /usr/bin/chromium).

    nox -s bench_browser                 # builds the runtime and the site first
    python bench/browser.py --site site --runs 5

Publishes the built site (:mod:`guide.site.publish`: ``.gz`` and ``.br`` beside
the files, ``_headers``) into a temporary folder and serves it on 127.0.0.1 as a
static host does: the precompressed file the browser accepts (brotli, else
gzip: what Chromium sends over plain HTTP is printed), and each ``_headers``
rule (the runtime's files cached for a year, the pages revalidated). The bytes
are counted twice, by the server (every response, headers included) and by the
DevTools protocol on every target (the page's and, auto-attached, the
worker's: the worker fetches the runtime); each load prints both where they
differ (by 17 kB of 16.1 MB when this was written: the server's count is the
one recorded).

On loopback, for ``--runs`` cold page loads (a new browser context each: empty
cache), on the application-object page:

- cold: time from pressing Run to the first result on the page (the runtime
  loads on the press; Python starts from the build's memory snapshot), and the bytes
  transferred until then: as sent, and what a brotli host sends for the same
  files (the ``.br`` sizes; gzip where the browser accepted no brotli);
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

Then, for each network profile of :data:`PROFILES` (Chromium's
``Network.emulateNetworkConditions``, set on the page; the worker's fetches
go through the same throttle: its target refuses the command itself, and a
run at 5 Mbit/s takes the download phase that its bytes need at that rate),
``--runs`` times, in a fresh browser profile with a disk cache
(:func:`guide.services.chromium.launch_persistent`): "first", a first visit
(cold, from the snapshot); "second", the same page loaded again in the same
profile and Run pressed (the HTTP cache kept: no runtime file on the wire);
"lean", a first visit starting from scratch.

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
bench/results/browser.json (``--out``; the profiles under ``networks``),
which docs/about.md shows (guide.site.tables.browser_bench). It refuses to measure on a busy machine
(:mod:`guide.bench.machine`; ``--allow-busy``). A script, not a test.

To iterate on one part, ``--modes`` chooses the loopback loads (empty: none) and
``--visits`` the visits of each profile; ``--profiles loopback --visits second
--modes ""`` measures second visits alone (each after its first visit, which is
not reported). A run of part of the measurement writes its JSON only to an
``--out`` of its own, never over bench/results/browser.json.
"""

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from guide.bench.machine import add_allow_busy, idle_machine, write_results
from guide.bench.static_host import PublishedHandler, published_and_served
from guide.clients.run_button import press_run
from guide.paths import ROOT
from guide.services.chromium import CHROMIUM, launch, launch_persistent
from guide.site import runtime_files

PAGE = "howto/application-object/"
RESULTS = Path(__file__).resolve().parent / "results" / "browser.json"


class Wire:
    """The bytes of every response, by the DevTools protocol, on the page and its workers.

    A page's own request events miss the requests of its dedicated worker (which
    fetches the runtime): the worker's target is auto-attached, and its Network
    events counted too. ``conditions``: ``Network.emulateNetworkConditions``'s
    parameters, or None (loopback).
    """

    def __init__(self, context, page, conditions=None):
        self.bytes = 0
        self.worker_bytes = 0
        self.cdp = context.new_cdp_session(page)
        self.cdp.send("Network.enable")
        if conditions:
            self.cdp.send("Network.emulateNetworkConditions", conditions)
        self.cdp.on("Network.loadingFinished", self._page_finished)
        self.cdp.on("Target.attachedToTarget", self._attached)
        self.cdp.on("Target.receivedMessageFromTarget", self._child_message)
        self.cdp.send(
            "Target.setAutoAttach",
            {"autoAttach": True, "waitForDebuggerOnStart": True, "flatten": False},
        )
        self._id = 0

    def _page_finished(self, event):
        self.bytes += event["encodedDataLength"]

    def _to_child(self, session, method):
        self._id += 1
        message = f'{{"id": {self._id}, "method": "{method}"}}'
        self.cdp.send("Target.sendMessageToTarget", {"sessionId": session, "message": message})

    def _attached(self, event):
        session = event["sessionId"]
        self._to_child(session, "Network.enable")
        self._to_child(session, "Runtime.runIfWaitingForDebugger")

    def _child_message(self, event):
        message = json.loads(event["message"])
        if message.get("method") == "Network.loadingFinished":
            size = message["params"]["encodedDataLength"]
            self.bytes += size
            self.worker_bytes += size


def server_bytes(start, until, runtime_only=False):
    """Bytes the server sent since ``start`` (an index into ``PublishedHandler.sent``) for
    the requests that arrived by ``until`` (``time.monotonic()``)."""
    rows = PublishedHandler.sent[start:]
    return sum(
        n for path, _, n, t in rows if t <= until and (not runtime_only or "/runtime/" in path)
    )


def sent_files(start, until):
    """``{url path: bytes}`` of the responses since ``start`` to requests that arrived by ``until``."""
    found = {}
    for path, encoding, size, arrived in PublishedHandler.sent[start:]:
        if arrived > until:
            continue
        key = f"{path} ({encoding or 'as is'})"
        found[key] = found.get(key, 0) + size
    return found


def timed_run(page, block, timeout):
    """Press Run; return the seconds until the result (raise if the run failed).

    The page's own figure (``data-run-ms``: from the click to the output on the
    page), without the round trips with which Playwright presses and waits.
    """
    state, output = press_run(page, block, timeout)
    if state != "done":
        raise RuntimeError(f"run failed: {output}")
    return int(block.get_attribute("data-run-ms")) / 1000


def visit(page, url, wire, dwell=0.0, read=0.0):
    """Open ``url``, press Run on its first block; the first result, bytes and timings."""
    start = len(PublishedHandler.sent)
    wire.bytes = wire.worker_bytes = 0
    page.goto(url)
    page.wait_for_selector("html[data-runnable-ready]")
    block = page.locator("div.runnable").first
    button = block.locator(".runnable-run")
    # page.wait_for_timeout, not time.sleep: the DevTools events (a worker
    # attached, its requests) are handled while it waits.
    if dwell:
        button.hover()
        page.wait_for_timeout(dwell * 1000)
    if read:
        block.scroll_into_view_if_needed()  # the reader reaches the snippet...
        page.wait_for_timeout(read * 1000)  # ...and reads it before pressing Run
    pressed = time.monotonic()
    first = timed_run(page, block, timeout=600_000)
    # The bytes before the first result: the requests that arrived before it was
    # shown (the page's figure counts from the click, a little after `pressed`),
    # not those the worker makes after it (the next fresh interpreter's restore,
    # manifest["after_start"]).
    shown = pressed + first
    timings = json.loads(page.locator("html").get_attribute("data-runtime-timings") or "{}")
    return {
        "first": first,
        "sent": server_bytes(start, shown),
        "sent_runtime": server_bytes(start, shown, runtime_only=True),
        "devtools": wire.bytes,
        "devtools_worker": wire.worker_bytes,
        "files": sent_files(start, shown),
        "timings": timings,
    }


def warm_and_fresh(page):
    """A warm re-run and a fresh-interpreter run, after the first result (seconds)."""
    # The page's first block needs a fresh interpreter (setup = false): the
    # warm re-run is timed on its first block that runs in the warm one.
    warm_block = page.locator("div.runnable:not([data-fresh]):not([data-browser-skip])").first
    timed_run(page, warm_block, timeout=60_000)  # sets the warm interpreter up
    warm = timed_run(page, warm_block, timeout=30_000)
    fresh_block = page.locator("div.runnable[data-fresh]").first
    fresh = timed_run(page, fresh_block, timeout=30_000) if fresh_block.count() else float("nan")
    return {"warm": warm, "fresh": fresh}


def one_load(browser, url, dwell=0.0, read=0.0):
    """A cold load on loopback in a new context (empty cache), with a warm and a fresh run."""
    context = browser.new_context()
    page = context.new_page()
    row = visit(page, url, Wire(context, page), dwell=dwell, read=read)
    row.update(warm_and_fresh(page))
    context.close()
    return row


VISITS = ("first", "second", "lean")


KEPT_NAMES = """async () => {
    const cache = await caches.open("guide-runtime-files");
    return (await cache.keys()).map((request) => new URL(request.url).pathname.split("/").pop());
}"""


def wait_kept(page, names, timeout_s=120):
    """Wait until the worker has kept ``names`` in Cache Storage (``browser/kept-files.mjs``).

    A reader who comes back has stayed on the page a while: the files downloaded
    after the first result (``manifest["after_start"]``) have arrived and been kept.
    """
    deadline = time.monotonic() + timeout_s
    while not set(names) <= set(page.evaluate(KEPT_NAMES)):
        if time.monotonic() > deadline:
            raise RuntimeError(f"not kept after {timeout_s} s: {sorted(names)}")
        page.wait_for_timeout(200)


def network_loads(playwright, url, conditions, visits=VISITS, kept=()):
    """A first and a second visit in one fresh profile (disk cache kept), and a lean first visit.

    ``visits``: those to return (a second visit needs the first: it is made, not returned).
    ``kept``: the files the second visit reads from Cache Storage, kept by the first visit.
    """
    rows = {}
    for mode, page_url in (("first", url), ("lean", url + "&no-snapshot")):
        if mode not in visits and not (mode == "first" and "second" in visits):
            continue
        with tempfile.TemporaryDirectory(prefix="bench-profile-") as profile:
            context = launch_persistent(playwright.chromium, profile)
            page = context.pages[0] if context.pages else context.new_page()
            wire = Wire(context, page, conditions)
            rows[mode] = visit(page, page_url, wire)
            if mode == "first" and "second" in visits:
                wait_kept(page, kept)
                rows["second"] = visit(page, page_url, wire)
            context.close()
    return {mode: row for mode, row in rows.items() if mode in visits}


MODES = ("cold", "lean", "hover", "view")
"""The loads on loopback, each in a new browser context."""

PHASES = ("download", "compile", "pyodide", "project", "files", "setup", "total")


def phases(row):
    """The start per phase (ms); "rest": the worker's own start, the first run and showing it."""
    timings = row["timings"]
    found = {name: timings[name] for name in PHASES if timings.get(name) is not None}
    if "total" in found:
        # The worker starts when Run is pressed; "total" counts from its start.
        found["rest"] = round(row["first"] * 1000 - found["total"])
    return found


PROFILES = {
    "loopback": ("loopback", None),
    "50mbit-20ms": ("50 Mbit/s, 20 ms", (50, 20)),
    "20mbit-60ms": ("20 Mbit/s, 60 ms (good mobile)", (20, 60)),
    "5mbit-100ms": ("5 Mbit/s, 100 ms", (5, 100)),
}
"""``{name: (label, (Mbit/s down and up, latency ms) or None)}``."""


def conditions(profile):
    if profile is None:
        return None
    mbit, latency = profile
    rate = mbit * 1e6 / 8  # bytes per second
    return {
        "offline": False,
        "latency": latency,
        "downloadThroughput": rate,
        "uploadThroughput": rate,
    }


def summary(rows, mode):
    """The medians of one mode's loads, and each load's times, as written to the results JSON."""
    median = statistics.median
    found = {
        "first_s": round(median(row["first"] for row in rows), 2),
        "sent_mb": round(median(row["sent"] for row in rows) / 1e6, 2),
        "runtime_mb": round(median(row["sent_runtime"] for row in rows) / 1e6, 2),
        "first_s_runs": [round(row["first"], 2) for row in rows],
    }
    if "warm" in rows[0]:
        found.update(
            {
                "warm_ms": round(median(row["warm"] for row in rows) * 1000),
                "fresh_ms": round(median(row["fresh"] for row in rows) * 1000),
                "warm_ms_runs": [round(row["warm"] * 1000) for row in rows],
                "fresh_ms_runs": [round(row["fresh"] * 1000) for row in rows],
            }
        )
    per_phase = [phases(row) for row in rows]
    names = [name for name in (*PHASES, "rest") if all(name in p for p in per_phase)]
    if names:
        found["phases_ms"] = {name: round(median(p[name] for p in per_phase)) for name in names}
    return found


def print_row(label, number, row):
    extra = ""
    if "warm" in row:
        extra = f", warm re-run {row['warm'] * 1000:.0f} ms, fresh run {row['fresh'] * 1000:.0f} ms"
    agree = "" if row["sent"] == row["devtools"] else f" (DevTools counted {row['devtools']:,})"
    print(
        f"{label:<28} run {number + 1}: first result {row['first']:6.2f} s{extra}, "
        f"{row['sent']:,} bytes sent{agree} ({row['devtools_worker']:,} by the worker; "
        f"{row['sent_runtime']:,} of runtime/); "
        + ", ".join(f"{k} {v}" for k, v in phases(row).items()),
        flush=True,
    )


def print_files(label, row):
    print(f"\n{label}: the responses before the first result")
    for path, size in sorted(row["files"].items(), key=lambda item: -item[1]):
        print(f"  {size:>12,}  {path}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=ROOT / "site")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dwell", type=float, default=3.0, help="hover time before Run (s)")
    parser.add_argument("--read", type=float, default=8.0, help="reading time before Run (s)")
    parser.add_argument(
        "--profiles", default=",".join(PROFILES), help=f"network profiles ({', '.join(PROFILES)})"
    )
    parser.add_argument(
        "--modes",
        default=",".join(MODES),
        help=f"loopback loads ({', '.join(MODES)}; empty: none)",
    )
    parser.add_argument(
        "--visits",
        default=",".join(VISITS),
        help=f"visits on each network profile ({', '.join(VISITS)})",
    )
    parser.add_argument("--files", action="store_true", help="print each response's bytes")
    parser.add_argument("--chromium", default=CHROMIUM)
    parser.add_argument("--out", type=Path, default=RESULTS, help="results JSON")
    add_allow_busy(parser)
    args = parser.parse_args(argv)
    profiles = [name for name in args.profiles.split(",") if name]
    unknown = [name for name in profiles if name not in PROFILES]
    if unknown:
        parser.error(f"unknown profile {unknown[0]} (known: {', '.join(PROFILES)})")
    chosen_modes = [name for name in args.modes.split(",") if name]
    visits = [name for name in args.visits.split(",") if name]
    for given, known, what in ((chosen_modes, MODES, "mode"), (visits, VISITS, "visit")):
        unknown = [name for name in given if name not in known]
        if unknown:
            parser.error(f"unknown {what} {unknown[0]} (known: {', '.join(known)})")
    partial_run = (
        chosen_modes != list(MODES) or visits != list(VISITS) or profiles != list(PROFILES)
    )
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

    with published_and_served(args.site) as (_, server):
        url = f"http://127.0.0.1:{server.server_address[1]}/{PAGE}?no-prefetch"
        modes = {
            "cold": (url, {}),
            "lean": (url + "&no-snapshot", {}),
            "hover": (url, {"dwell": args.dwell}),
            "view": (url.removesuffix("?no-prefetch"), {"read": args.read}),
        }
        modes = {mode: modes[mode] for mode in chosen_modes}
        rows = {mode: [] for mode in modes}
        networks = {name: {visit: [] for visit in visits} for name in profiles}
        with sync_playwright() as playwright:
            browser = launch(playwright, args.chromium)
            chromium_version = browser.version
            for mode, (page_url, wait) in modes.items():
                for number in range(args.runs):
                    row = one_load(browser, page_url, **wait)
                    rows[mode].append(row)
                    print_row(mode, number, row)
            browser.close()
            for name in profiles:
                for number in range(args.runs):
                    loads = network_loads(
                        playwright,
                        url,
                        conditions(PROFILES[name][1]),
                        visits,
                        runtime_files.kept_files(manifest),
                    )
                    for mode, row in loads.items():
                        networks[name][mode].append(row)
                        print_row(f"{name} {mode}", number, row)
        server.shutdown()
    if args.files:
        for mode, label in (("cold", "cold (from the snapshot)"), ("lean", "lean (from scratch)")):
            if rows.get(mode):
                print_files(label, rows[mode][0])
    print(f"\nmedian of {args.runs} page loads:")
    print(f"  (Chromium sent Accept-Encoding: {' | '.join(sorted(PublishedHandler.accepted))})")
    for mode, label in (
        ("cold", "Run pressed at once"),
        ("lean", "same, no snapshot"),
        ("hover", f"after {args.dwell:g} s hover"),
        ("view", f"read {args.read:g} s in view"),
    ):
        if mode not in modes:
            continue
        found = summary(rows[mode], mode)
        print(
            f"  {label:<22} first result {found['first_s']:5.2f} s | "
            f"warm re-run {found['warm_ms']:4} ms | fresh run after a run {found['fresh_ms']:4} ms | "
            f"{found['sent_mb']:5.2f} MB before the first result"
        )
    for name in profiles:
        for mode in visits:
            found = summary(networks[name][mode], mode)
            print(
                f"  {PROFILES[name][0]:<32} {mode:<6} first result {found['first_s']:6.2f} s | "
                f"{found['sent_mb']:6.2f} MB ({found['runtime_mb']:.2f} MB of runtime/) | "
                + ", ".join(f"{k} {v}" for k, v in found.get("phases_ms", {}).items())
            )
    data = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_info,
        "chromium": chromium_version,
        "runtime": {"pyodide": manifest["pyodide"], "python": manifest["python"]},
        "page": PAGE,
        "runs": args.runs,
        "settings": {"dwell_s": args.dwell, "read_s": args.read},
        "accept_encoding": sorted(PublishedHandler.accepted),
        "results": {mode: summary(rows[mode], mode) for mode in modes},
        "networks": {
            name: {
                "label": PROFILES[name][0],
                **{mode: summary(found, mode) for mode, found in networks[name].items()},
            }
            for name in profiles
        },
    }
    if partial_run and args.out == RESULTS:
        # Part of the measurement: it would replace the whole results file.
        print(f"not written: {RESULTS} holds full runs only (--out FILE to keep this one)")
        return 0
    write_results(args.out, data)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
