// progress.mjs: byte progress, and fetch instrumented for it, without a build.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { afterEach, describe, test } from "node:test";

import { bootProgress, instrumentFetch, Progress } from "../progress.mjs";

/** A progress event of MANIFEST's 6,500 bytes. */
function progressEvent(phase, loaded) {
  return { type: "progress", phase, loaded, total: 6500 };
}

const MANIFEST = {
  snapshot: "snapshot.bin",
  boot: ["pyodide.asm.wasm", "packages.bundle", "snapshot.bin"],
  files: {
    "pyodide.asm.wasm": { size: 1000 },
    "packages.bundle": { size: 300 },
    "snapshot.bin": { size: 5000 },
    "django-5.2.bundle": { size: 200 },
  },
};

describe("Progress", () => {
  test("loaded and total in bytes over the manifest's files; set() caps at a file's size", () => {
    const events = [];
    const progress = new Progress(MANIFEST, (event) => events.push(event));
    assert.equal(progress.total, 6500);
    progress.report("runtime");
    progress.set("packages.bundle", 10_000);
    progress.set("not-listed.whl", 10);
    progress.done("pyodide.asm.wasm", "not-listed.whl");
    assert.deepEqual(events[0], progressEvent("runtime", 0));
    assert.deepEqual(events.at(-1), progressEvent("runtime", 1300));
  });

  test("set() reports at most every 50 ms; report() and done() always", () => {
    const events = [];
    const progress = new Progress(MANIFEST, (event) => events.push(event));
    progress.report("packages");
    progress.set("packages.bundle", 100); // right after a report: not reported
    assert.equal(events.length, 1);
    progress.lastReport -= 51;
    progress.set("packages.bundle", 200);
    assert.equal(events.length, 2);
    assert.equal(events[1].loaded, 200);
    progress.done("packages.bundle");
    assert.deepEqual(events.at(-1), progressEvent("packages", 300));
  });

  test("bootProgress: manifest.boot's files, without the snapshot when starting from scratch", () => {
    const none = () => {};
    assert.equal(bootProgress(MANIFEST, "snapshot.bin", none).total, 6300);
    assert.equal(bootProgress(MANIFEST, null, none).total, 1300);
    assert.deepEqual(Object.keys(bootProgress(MANIFEST, null, none).sizes), [
      "pyodide.asm.wasm",
      "packages.bundle",
    ]);
    // Without manifest.boot: every file of the manifest.
    assert.equal(bootProgress({ ...MANIFEST, boot: undefined }, "snapshot.bin", none).total, 6500);
    // A boot file the manifest does not list counts for nothing.
    assert.equal(bootProgress({ ...MANIFEST, boot: ["extra.whl"] }, null, none).total, 0);
    // From the snapshot, what the first run reads of the later files counts too.
    const ahead = ["django-5.2.bundle"];
    assert.equal(bootProgress(MANIFEST, "snapshot.bin", none, ahead).total, 6500);
    assert.equal(bootProgress(MANIFEST, null, none, ahead).total, 1300);
  });

  test("bootProgress: from scratch, manifest.boot_from_scratch's files (whole bundles)", () => {
    const manifest = {
      ...MANIFEST,
      boot: ["pyodide.asm.wasm", "packages.restored.bundle", "snapshot.bin"],
      boot_from_scratch: ["pyodide.asm.wasm", "packages.bundle"],
      files: { ...MANIFEST.files, "packages.restored.bundle": { size: 100 } },
    };
    const none = () => {};
    assert.equal(bootProgress(manifest, "snapshot.bin", none).total, 6100);
    assert.deepEqual(Object.keys(bootProgress(manifest, null, none).sizes), [
      "pyodide.asm.wasm",
      "packages.bundle",
    ]);
  });
});

describe("instrumentFetch", () => {
  const original = globalThis.fetch;
  afterEach(() => {
    globalThis.fetch = original;
  });
  const wheel = new Uint8Array(300).fill(7);
  const sri = `sha256-${createHash("sha256").update(wheel).digest("base64")}`;
  /** A fetch answering every URL with `body` (a stream, as a browser's), recording the init it got. */
  const serve = (body, status = 200) => {
    const seen = [];
    globalThis.fetch = async (_input, init) => {
      seen.push(init);
      return new Response(status === 200 ? new Blob([body]).stream() : null, {
        status,
        statusText: status === 404 ? "Not Found" : "",
      });
    };
    return seen;
  };

  test("a request with integrity: read here with progress, checked, then handed over", async () => {
    const seen = serve(wheel);
    const events = [];
    const progress = new Progress(MANIFEST, (event) => events.push(event));
    const restore = instrumentFetch(progress);
    const response = await fetch("http://site/runtime/pyodide/packages.bundle", {
      integrity: sri,
      cache: "no-cache",
    });
    assert.deepEqual(seen, [{ cache: "no-cache" }], "the integrity option is not passed on");
    assert.deepEqual(new Uint8Array(await response.arrayBuffer()), wheel);
    assert.equal(events.at(-1).loaded, 300);
    restore();
  });

  test("a body that does not match its integrity: an error naming the URL and the lock file", async () => {
    serve(new Uint8Array(300));
    const restore = instrumentFetch(new Progress(MANIFEST, () => {}));
    await assert.rejects(fetch("http://site/p/packages.bundle", { integrity: sri }), {
      message:
        "Integrity check failed for http://site/p/packages.bundle: its sha256 does not match pyodide-lock.json",
    });
    restore();
  });

  test("without integrity: the response itself, its bytes counted on a clone", async () => {
    serve(new Uint8Array(1000));
    const events = [];
    const progress = new Progress(MANIFEST, (event) => events.push(event));
    const restore = instrumentFetch(progress);
    const response = await fetch("http://site/p/pyodide.asm.wasm");
    assert.equal((await response.arrayBuffer()).byteLength, 1000);
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(progress.loaded["pyodide.asm.wasm"], 1000);
    restore();
  });

  test("a failed response is handed over, and remembered to name the file", async () => {
    serve(null, 404);
    const progress = new Progress(MANIFEST, () => {});
    const restore = instrumentFetch(progress);
    const first = await fetch("http://site/p/pyodide.asm.wasm");
    await fetch("http://site/p/packages.bundle");
    assert.equal(first.status, 404);
    assert.equal(progress.failed, "http://site/p/pyodide.asm.wasm (HTTP 404 Not Found)");
    restore();
  });

  test("restoring puts the original fetch back", () => {
    const before = globalThis.fetch;
    const restore = instrumentFetch(new Progress(MANIFEST, () => {}));
    assert.notEqual(globalThis.fetch, before);
    restore();
    assert.equal(globalThis.fetch, before);
  });
});
