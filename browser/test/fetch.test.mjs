// fetch.mjs over a fake fetch, without a build.
import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";

import {
  CORE_FILES,
  Downloads,
  fetchBytes,
  firstUnreachable,
  importModule,
  routeRuntimeFetches,
} from "../fetch.mjs";

const original = globalThis.fetch;
afterEach(() => {
  globalThis.fetch = original;
});

/** A fetch that answers `routes[url]` (a status, or bytes for 200) and records [url, method]. */
function serve(routes) {
  const seen = [];
  globalThis.fetch = async (input, init) => {
    const url = typeof input === "string" ? input : input.url;
    seen.push([url, init?.method ?? "GET"]);
    const route = routes[url];
    if (route === undefined) throw new TypeError("fetch failed");
    if (typeof route === "number")
      return new Response(null, { status: route, statusText: route === 404 ? "Not Found" : "" });
    return new Response(route);
  };
  return seen;
}

describe("fetchBytes", () => {
  test("the body's bytes", async () => {
    serve({ "http://site/a": new Uint8Array([1, 2, 3]) });
    assert.deepEqual(await fetchBytes("http://site/a"), new Uint8Array([1, 2, 3]));
  });
  test("an HTTP error or a network failure: an error naming the URL", async () => {
    serve({ "http://site/missing": 404, "http://site/odd": 500 });
    await assert.rejects(fetchBytes("http://site/missing"), {
      message: "Could not download http://site/missing: HTTP 404 Not Found",
    });
    await assert.rejects(fetchBytes("http://site/odd"), {
      message: "Could not download http://site/odd: HTTP 500",
    });
    await assert.rejects(fetchBytes("http://site/down"), {
      message: "Could not download http://site/down: fetch failed",
    });
  });
});

describe("firstUnreachable", () => {
  test("the first core file that a HEAD request cannot get, with why", async () => {
    const routes = Object.fromEntries(
      CORE_FILES.map((f) => [`http://site/p/${f}`, new Uint8Array(0)]),
    );
    const seen = serve({ ...routes, "http://site/p/pyodide.asm.wasm": 404 });
    assert.equal(
      await firstUnreachable("http://site/p/", CORE_FILES),
      "http://site/p/pyodide.asm.wasm (404 Not Found)",
    );
    assert.deepEqual(
      seen.map(([, method]) => method),
      ["HEAD", "HEAD", "HEAD"],
    );
    serve({});
    assert.equal(
      await firstUnreachable("http://site/p/", CORE_FILES),
      "http://site/p/pyodide.mjs (fetch failed)",
    );
    serve(routes);
    assert.equal(await firstUnreachable("http://site/p/", CORE_FILES), null);
  });
  test("nothing to ask for a directory path (under Node)", async () => {
    const seen = serve({});
    assert.equal(await firstUnreachable("/build/browser/pyodide/", CORE_FILES), null);
    assert.deepEqual(seen, []);
  });
});

describe("routeRuntimeFetches", () => {
  test("the standard library and the lock file are downloaded once; the .wasm is not, once compiled", async () => {
    const seen = serve({
      "http://site/p/python_stdlib.zip": new Uint8Array([5, 6]),
      "http://site/p/pyodide-lock.json": new TextEncoder().encode("{}"),
      "http://site/p/pyodide.asm.wasm": new Uint8Array(9),
      "http://site/p/packages.bundle": new Uint8Array(1),
    });
    const wasmCache = { module: null, compiling: null };
    routeRuntimeFetches("http://site/p/", wasmCache);
    const memo = globalThis.fetch;
    routeRuntimeFetches("http://site/p/", wasmCache); // once per worker
    assert.equal(globalThis.fetch, memo);
    for (let i = 0; i < 2; i++) {
      assert.deepEqual(
        new Uint8Array(await (await fetch("http://site/p/python_stdlib.zip")).arrayBuffer()),
        new Uint8Array([5, 6]),
      );
      assert.equal(await (await fetch("http://site/p/pyodide-lock.json")).text(), "{}");
      await fetch("http://site/p/packages.bundle");
    }
    assert.equal(
      (await (await fetch("http://site/p/pyodide.asm.wasm")).arrayBuffer()).byteLength,
      9,
    );
    wasmCache.module = {};
    const empty = await fetch("http://site/p/pyodide.asm.wasm");
    assert.equal((await empty.arrayBuffer()).byteLength, 0);
    assert.equal(empty.headers.get("Content-Type"), "application/wasm");
    assert.deepEqual(
      seen.map(([url]) => url.slice("http://site/p/".length)),
      [
        "python_stdlib.zip",
        "pyodide-lock.json",
        "packages.bundle",
        "packages.bundle",
        "pyodide.asm.wasm",
      ],
    );
  });
});

describe("routeRuntimeFetches with the names files are served under", () => {
  test("a file asked for by its name is fetched under its hashed name; others as asked", async () => {
    const seen = serve({
      "http://site/p/python_stdlib.0123456789ab.zip": new Uint8Array([7]),
      "http://site/p/snapshot.ba9876543210.bin": new Uint8Array([8]),
      "http://site/p/unlisted.txt": new Uint8Array([9]),
      "http://elsewhere/x": new Uint8Array([1]),
    });
    routeRuntimeFetches("http://site/p/", null, {
      "python_stdlib.zip": "python_stdlib.0123456789ab.zip",
      "snapshot.bin": "snapshot.ba9876543210.bin",
    });
    for (let i = 0; i < 2; i++) {
      const stdlib = await fetch("http://site/p/python_stdlib.zip");
      assert.deepEqual(new Uint8Array(await stdlib.arrayBuffer()), new Uint8Array([7]));
    }
    const snapshot = await fetchBytes("http://site/p/snapshot.bin");
    assert.deepEqual(snapshot, new Uint8Array([8]));
    await fetch("http://site/p/unlisted.txt");
    await fetch("http://elsewhere/x");
    assert.deepEqual(
      seen.map(([url]) => url),
      [
        "http://site/p/python_stdlib.0123456789ab.zip", // once: kept for later interpreters
        "http://site/p/snapshot.ba9876543210.bin",
        "http://site/p/unlisted.txt",
        "http://elsewhere/x",
      ],
    );
  });
});

describe("importModule", () => {
  test("a module that cannot be loaded is named in the error", async () => {
    await assert.rejects(
      importModule("file:///nonexistent/runtime/pyodide.0123456789ab.mjs"),
      /^Error: Could not load file:\/\/\/nonexistent\/runtime\/pyodide\.0123456789ab\.mjs: /,
    );
  });
});

describe("Downloads", () => {
  test("each file checked, counted when it arrives; all() pairs names and bytes", async () => {
    const done = [];
    const progress = { done: (file) => done.push(file) };
    const fetchChecked = async (file) => new TextEncoder().encode(file);
    const downloads = new Downloads(fetchChecked, progress);
    const before = performance.now();
    const bundles = await downloads.all(["a.bundle", "b.bundle"]);
    assert.deepEqual(
      bundles.map(([file, bytes]) => [file, new TextDecoder().decode(bytes)]),
      [
        ["a.bundle", "a.bundle"],
        ["b.bundle", "b.bundle"],
      ],
    );
    assert.deepEqual(done, ["a.bundle", "b.bundle"]);
    assert.ok(downloads.lastArrival >= before);
  });

  test("joined() downloads the files side by side into one buffer, in order", async () => {
    const started = [];
    const arrive = {};
    const fetchChecked = (file) => {
      started.push(file);
      return new Promise((resolve) => {
        arrive[file] = () => resolve(new TextEncoder().encode(file.toUpperCase()));
      });
    };
    const done = [];
    const downloads = new Downloads(fetchChecked, { done: (file) => done.push(file) });
    const { buffer, first, whole } = downloads.joined(["s.part1", "s.part2", "s.part3"], [7, 7, 7]);
    assert.deepEqual(started, ["s.part1", "s.part2", "s.part3"], "all three at once");
    assert.equal(buffer.byteLength, 21, "the buffer at once");
    arrive["s.part3"]();
    arrive["s.part1"]();
    assert.equal(new TextDecoder().decode(await first), "S.PART1", "the first before the rest");
    arrive["s.part2"]();
    assert.equal(await whole, buffer);
    assert.equal(new TextDecoder().decode(buffer), "S.PART1S.PART2S.PART3");
    assert.deepEqual(done, ["s.part3", "s.part1", "s.part2"], "each counted as it arrives");
    const wrong = downloads.joined(["only"], [3]);
    arrive.only();
    await assert.rejects(wrong.whole, /only: 4 bytes, expected 3/);
  });

  test("a failure surfaces where the download is awaited, not as an unhandled rejection", async () => {
    const failing = new Downloads(
      async (file) => {
        throw new Error(`Integrity check failed for ${file}`);
      },
      { done: () => assert.fail("not counted") },
    );
    const one = failing.start("snapshot.bin");
    const all = failing.all(["x.bundle"]);
    const joined = failing.joined(["s.part1", "s.part2"], [1, 1]).whole;
    await new Promise((resolve) => setTimeout(resolve, 10)); // no unhandled rejection meanwhile
    await assert.rejects(one, /snapshot\.bin/);
    await assert.rejects(all, /x\.bundle/);
    await assert.rejects(joined, /s\.part1/);
    assert.equal(failing.lastArrival, 0);
  });
});
