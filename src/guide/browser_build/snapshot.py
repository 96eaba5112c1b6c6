"""The memory snapshot the browser starts Python from, made in headless Chromium.

``make_snapshot(OUTDIR)`` (called by :mod:`guide.browser_build.build` once the
bundles, the lock file and the manifest are written) serves OUTDIR on
127.0.0.1, opens it in Debian's headless Chromium and runs
``browser/tools/snapshot_worker.mjs`` in a Web Worker there: it boots the
runtime as the page's worker would without a snapshot (Django's framework
imported, no settings read) and POSTs ``pyodide.makeMemorySnapshot()`` back,
which is written to ``OUTDIR/pyodide/snapshot.bin``.

Why Chromium and not Node, which runs the other build step: Pyodide keeps in
its memory how the engine stack switches (WebAssembly JSPI). Restored in
Chromium, a snapshot made by Node 20 without JSPI made every ``asyncio.run()``
fail with "WebAssembly stack switching not supported", and one made with Node
20's older JSPI API (``--experimental-wasm-stack-switching``) hung. So the
snapshot is made where readers' browsers run it, and the worker restores it
only in an engine with the same JSPI API (``WebAssembly.Suspending``,
``browser/start-choice.mjs``); elsewhere Python boots from scratch.
"""

import http.server
import threading
from functools import partial
from pathlib import Path

from guide.paths import ROOT
from guide.services.chromium import launch

WORKER = ROOT / "browser" / "tools" / "snapshot_worker.mjs"
SNAPSHOT = "snapshot.bin"
TIMEOUT_MS = 180_000


class SnapshotError(RuntimeError):
    """The snapshot could not be made (the message says why)."""


class _Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".mjs": "text/javascript",
        ".wasm": "application/wasm",
    }
    received = None  # the snapshot's bytes, once POSTed

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path == "/snapshot_worker.mjs":
            body = WORKER.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "text/javascript")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def do_POST(self):
        if self.path != f"/{SNAPSHOT}":
            self.send_error(404)
            return
        length = int(self.headers["Content-Length"])
        type(self).received = self.rfile.read(length)
        self.send_response(204)
        self.end_headers()


def make_snapshot(outdir, first_runs=()):
    """Write ``OUTDIR/pyodide/snapshot.bin``; returns ``{file, bytes, jspi, timings, held, zeroed, setup_imports}``.

    ``held``: the files (paths in Pyodide's file system) of the modules imported
    when the snapshot was taken (see :mod:`guide.browser_build.held_files`); ``zeroed``:
    the bytes of free memory zeroed before (``browser/interpreter.mjs`` ``zeroFreeMemory``);
    ``setup_imports``: what ``django.setup()`` imports for the project
    (:func:`guide.browser_build.preload.setup_imports`); ``first_run_reads``:
    ``{"start": [...], "snippets": [[...], ...]}``, the files opened by interpreters
    restored from the snapshot as a page's are, one set up as the warm one, one
    per run of ``first_runs`` (:func:`guide.browser_build.first_runs.first_runs`).
    """
    from playwright.sync_api import sync_playwright

    outdir = Path(outdir)
    handler = type("Handler", (_Handler,), {"received": None})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(handler, directory=str(outdir))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        with sync_playwright() as playwright:
            browser = launch(playwright)
            try:
                page = browser.new_page()
                page.goto(url + "pyodide/manifest.json")
                report = page.evaluate(
                    """([url, timeout, firstRuns]) => new Promise((resolve) => {
                        const worker = new Worker(url, { type: "module" });
                        worker.postMessage({ firstRuns });
                        const timer = setTimeout(
                            () => resolve({ ok: false, error: `no answer after ${timeout / 1000} s` }),
                            timeout,
                        );
                        worker.onmessage = (event) => { clearTimeout(timer); resolve(event.data); };
                        worker.onerror = (event) => {
                            clearTimeout(timer);
                            resolve({ ok: false, error: event.message || "the worker failed to load" });
                        };
                    })""",
                    [url + "snapshot_worker.mjs", TIMEOUT_MS, list(first_runs)],
                )
            finally:
                browser.close()
    finally:
        server.shutdown()
        server.server_close()
    if not report.get("ok"):
        raise SnapshotError(
            f"the memory snapshot could not be made in Chromium: {report.get('error')}"
        )
    if handler.received is None or len(handler.received) != report["bytes"]:
        raise SnapshotError("the memory snapshot did not arrive whole from Chromium")
    (outdir / "pyodide" / SNAPSHOT).write_bytes(handler.received)
    return {
        "file": SNAPSHOT,
        **{k: report[k] for k in ("bytes", "jspi", "timings", "held", "zeroed")},
        "setup_imports": report["setupImports"],
        "first_run_reads": report["firstRunReads"],
    }
