"""Drive the built runtime in real headless Chromium: module worker, JSPI, fetch.

    python browser/test/chromium_smoke.py build/browser [--chromium /usr/bin/chromium]

Needs playwright (the Python package; no browser download: it drives the
system Chromium, launched by :func:`guide.services.chromium.launch`, so the guide
package must be installed: ``pip install -e .``). Serves OUTDIR over HTTP on
127.0.0.1, opens a blank page there, and calls PyRunner from runner.mjs.
Prints a JSON report (timings, results) and exits non-zero if a check fails.
tests/browser/test_browser_runtime.py runs it when playwright, Chromium and a build
are present.
"""

import argparse
import functools
import http.server
import json
import sys
import threading
from pathlib import Path

from guide.services.chromium import CHROMIUM, launch

PAGE = """<!doctype html><meta charset="utf-8"><title>runtime smoke</title>
<link rel="icon" href="data:,">
<p>browser runtime smoke test</p>"""

SCRIPT = """async () => {
  const { PyRunner } = await import("./runner.mjs");
  const report = { checks: {} };
  const runner = new PyRunner({ timeoutMs: 10000 });
  const t0 = performance.now();
  const progress = [];
  const ready = await runner.init((e) => progress.push(e));
  report.initMs = Math.round(performance.now() - t0);
  report.ready = ready;
  report.progressEvents = progress.length;
  report.lastProgress = progress.at(-1);
  const check = async (name, code, expected) => {
    const r = await runner.run(code);
    report.checks[name] = { ok: r.output === expected, ms: r.ms, output: r.output };
  };
  await check("sync ORM", ">>> from polls.models import Question\\n>>> Question.objects.count()\\n", "3\\n");
  await check("asyncio.run", ">>> import asyncio\\n>>> from polls.models import Question\\n" +
    ">>> async def main():\\n...     return await Question.objects.acount()\\n>>> asyncio.run(main())\\n", "3\\n");
  await check("asyncio.run waiting (JSPI)", ">>> import asyncio\\n>>> async def main():\\n" +
    "...     await asyncio.sleep(0.05)\\n...     return 'slept'\\n>>> asyncio.run(main())\\n", "'slept'\\n");
  await check("SynchronousOnlyOperation", ">>> import asyncio\\n>>> from polls.models import Question\\n" +
    ">>> async def f():\\n...     return Question.objects.count()\\n>>> asyncio.run(f())\\n",
    "Traceback (most recent call last):\\n  ...\\ndjango.core.exceptions.SynchronousOnlyOperation: " +
    "You cannot call this from an async context - use a thread or sync_to_async.\\n");
  await check("await sync_to_async", ">>> from asgiref.sync import sync_to_async\\n" +
    ">>> from polls.models import Question\\n>>> await sync_to_async(Question.objects.count)()\\n", "3\\n");
  const resp = await runner.request({ path: "/polls/", application: "mysite.asgi_wrapped:application" });
  report.checks["request"] = { ok: resp.status === 200 && resp.headers.some(([k]) => k === "server-timing"),
                               ms: resp.ms, status: resp.status };
  const t1 = performance.now();
  try {
    await runner.run(">>> while True: pass\\n", { timeoutMs: 3000 });
    report.checks["timeout"] = { ok: false };
  } catch (error) {
    report.checks["timeout"] = { ok: /Stopped after 3 s/.test(error.message), message: error.message };
  }
  const t2 = performance.now();
  await check("after restart", ">>> 6 * 7\\n", "42\\n");
  report.restartMs = Math.round(performance.now() - t2);
  report.timeoutMs = Math.round(t2 - t1);
  report.jspi = typeof WebAssembly.Suspending === "function";
  return report;
}"""


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(directory):
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--chromium", default=CHROMIUM)
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    (args.outdir / "smoke.html").write_text(PAGE)
    server = serve(args.outdir)
    url = f"http://127.0.0.1:{server.server_address[1]}/smoke.html"
    try:
        with sync_playwright() as p:
            browser = launch(p, args.chromium)
            page = browser.new_page()
            errors = []
            page.on("console", lambda m: m.type == "error" and errors.append(m.text))
            page.goto(url)
            report = page.evaluate(SCRIPT)
            report["consoleErrors"] = errors
            report["chromium"] = browser.version
            browser.close()
    finally:
        server.shutdown()
        (args.outdir / "smoke.html").unlink()
    print(json.dumps(report, indent=1))
    failed = [name for name, check in report["checks"].items() if not check["ok"]]
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
