// The runtime under Node, started the other ways: booted for a fresh run
// first, and behind PyRunner in a worker_threads Worker speaking the same
// protocol as worker.mjs. A file of its own, so that the test runner can run
// it beside runtime.test.mjs (see that file for how to build OUTDIR).
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, describe, test } from "node:test";

import { createProtocolHandler } from "../protocol.mjs";
import { PyRunner, RunnerTimeoutError } from "../runner.mjs";
import { bootNode, createNodeWorker, needsBuild, OUTDIR, outputOf } from "./node-runtime.mjs";

describe("runtime booted for a fresh run first (warmUp: false)", needsBuild, () => {
  test("the booted interpreter serves the fresh run; a warm run and a request then set Django up", async () => {
    const rt = await bootNode({ warmUp: false });
    assert.equal(rt.versions.django, "6.1.3");
    const fresh = await rt.run(">>> from django.conf import settings\n>>> settings.configured\n", {
      setup: false,
    });
    assert.equal(fresh.output, "False\n");
    assert.equal(fresh.fresh.restoreMs, 0, "no restore: the booted interpreter was used");
    assert.equal(
      await outputOf(rt, ">>> from polls.models import Question\n>>> Question.objects.count()\n"),
      "3\n",
    );
    assert.equal((await rt.request({ path: "/polls/" })).status, 200);
    const again = await rt.run(">>> import os\n>>> os.environ['X']\n'1'\n", { env: { X: "1" } });
    assert.equal(again.output, "'1'\n");
    assert.ok(again.fresh.restoreMs > 0, "restored from the snapshot taken at boot");
  });
});

describe("PyRunner (worker_threads, same protocol as worker.mjs)", needsBuild, () => {
  let runner;
  after(() => runner?.terminate());

  test("init, run, request, then a 10 s-style timeout restarts the runtime", async () => {
    runner = new PyRunner({ createWorker: createNodeWorker, timeoutMs: 3000 });
    assert.equal(runner.state, "idle");
    const phases = new Set();
    const ready = await runner.init((event) => phases.add(event.phase));
    assert.equal(runner.state, "ready");
    assert.equal(ready.versions.django, "6.1.3");
    assert.ok(phases.has("packages"));

    const r = await runner.run(
      ">>> from polls.models import Question\n>>> Question.objects.count()\n",
    );
    assert.equal(r.output, "3\n");
    assert.equal(typeof r.ms, "number");

    const resp = await runner.request({
      path: "/polls/",
      application: "mysite.asgi_wrapped:application",
    });
    assert.equal(resp.status, 200);
    assert.ok(resp.headers.some(([k]) => k === "server-timing"));

    await assert.rejects(runner.run(">>> while True: pass\n"), (error) => {
      assert.ok(error instanceof RunnerTimeoutError);
      assert.equal(
        error.message,
        "Stopped after 3 s: the code did not finish (infinite loop?). The Python runtime was restarted.",
      );
      return true;
    });
    assert.equal(runner.state, "idle");
    const again = await runner.run(">>> 6 * 7\n");
    assert.equal(again.output, "42\n");
  });

  /** The last message of an init against a copy of the build that `spoil(pyodideDir)` broke. */
  const initBroken = async (spoil) => {
    const broken = path.join(OUTDIR, "..", "browser-broken-test");
    fs.rmSync(broken, { recursive: true, force: true });
    fs.cpSync(OUTDIR, broken, { recursive: true });
    spoil(path.join(broken, "pyodide"));
    try {
      const posted = [];
      const handle = createProtocolHandler({
        post: (message) => posted.push(message),
        boot: (onProgress) => bootNode({ outdir: broken, onProgress }),
      });
      await handle({ type: "init" });
      return posted.at(-1);
    } finally {
      fs.rmSync(broken, { recursive: true, force: true });
    }
  };

  test("an init error is reported as {type: 'error'} naming the missing file", async () => {
    const last = await initBroken((dir) => fs.rmSync(path.join(dir, "project.bundle")));
    assert.equal(last.type, "error");
    assert.match(last.message, /Could not download .*project\.bundle: file not found/);
  });

  test("a bundle failing its sha256 check: an error naming the file and manifest.json", async () => {
    const last = await initBroken((dir) => {
      const target = path.join(dir, "packages.bundle");
      const bytes = fs.readFileSync(target);
      bytes[bytes.length - 1] ^= 0xff;
      fs.writeFileSync(target, bytes);
    });
    assert.equal(last.type, "error");
    assert.match(
      last.message,
      /Integrity check failed for .*packages\.bundle: its sha256 does not match manifest\.json/,
    );
  });
});
