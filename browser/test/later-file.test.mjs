// later-file.mjs: a file whose bytes arrive after Python has started, over a fake file system.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { describeLater, fileArrivingLater, laterDownload, stdlibPath } from "../later-file.mjs";

class ErrnoError extends Error {
  constructor(errno) {
    super(`errno ${errno}`);
    this.errno = errno;
  }
}

/** A file system with one empty file at `path`, its node as MEMFS keeps one. */
function fakeFS(path = "/lib/python314.zip") {
  const node = { contents: new Uint8Array(0), usedBytes: 0 };
  return {
    node,
    ErrnoError,
    lookupPath: (asked) => {
      assert.equal(asked, path);
      return { node };
    },
    readdir: () => [".", "..", "python3.14", "python314.zip"],
  };
}

/** A promise with its resolve and reject. */
function deferred() {
  let resolve;
  let reject;
  const promise = new Promise((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
}

const BYTES = new Uint8Array([1, 2, 3, 4]);
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("fileArrivingLater", () => {
  test("its size is the file's at once; its bytes are the download's once it arrives", async () => {
    const fs = fakeFS();
    const later = deferred();
    const state = fileArrivingLater(fs, "/lib/python314.zip", 4, later.promise, () =>
      assert.fail("no read came first"),
    );
    assert.equal(fs.node.usedBytes, 4);
    assert.equal(state.source, null);
    later.resolve(BYTES);
    await tick();
    assert.deepEqual(fs.node.contents, BYTES);
    assert.equal(state.source, "later");
  });

  test("a read before the download arrives downloads it now, once", async () => {
    const fs = fakeFS();
    const later = deferred();
    let calls = 0;
    const state = fileArrivingLater(fs, "/lib/python314.zip", 4, later.promise, () => {
      calls += 1;
      return BYTES;
    });
    assert.deepEqual(fs.node.contents.subarray(1, 3), new Uint8Array([2, 3]));
    assert.deepEqual(fs.node.contents, BYTES);
    assert.equal(calls, 1);
    assert.equal(state.source, "now");
    later.resolve(new Uint8Array([9, 9, 9, 9])); // arrives after: the bytes read stay
    await tick();
    assert.deepEqual(fs.node.contents, BYTES);
    assert.equal(state.source, "now");
  });

  test("a failed or wrong-sized download leaves it to a read; a failed read is EIO", async () => {
    for (const outcome of ["fails", "wrong size"]) {
      const fs = fakeFS();
      const later = deferred();
      fileArrivingLater(fs, "/lib/python314.zip", 4, later.promise, () => {
        throw new Error("Could not download python_stdlib.zip: HTTP 404");
      });
      if (outcome === "fails") later.reject(new Error("Integrity check failed"));
      else later.resolve(new Uint8Array(3));
      await tick();
      assert.throws(
        () => fs.node.contents,
        (error) => error.errno === 29,
        outcome,
      );
    }
    const fs = fakeFS();
    fileArrivingLater(fs, "/lib/python314.zip", 4, new Promise(() => {}), () => new Uint8Array(2));
    assert.throws(
      () => fs.node.contents,
      (error) => error.errno === 29,
      "now, wrong size",
    );
  });

  test("written to, it becomes a plain file with bytes of its own", async () => {
    const fs = fakeFS();
    const shared = new Uint8Array(BYTES);
    fileArrivingLater(fs, "/lib/python314.zip", 4, Promise.resolve(shared), () => assert.fail());
    await tick();
    fs.node.usedBytes = 2; // as MEMFS does when it truncates
    fs.node.contents[0] = 7;
    assert.equal(fs.node.usedBytes, 2);
    assert.deepEqual(shared, BYTES, "the bytes other interpreters read are untouched");
  });

  test("stdlibPath finds the zip Pyodide wrote", () => {
    assert.equal(stdlibPath(fakeFS()), "/lib/python314.zip");
    assert.throws(() => stdlibPath({ readdir: () => [".", ".."] }), /not in \/lib/);
  });
});

/** Run `body` with a synchronous XMLHttpRequest answering `answer(url)`: {status, body}. */
function withSyncRequests(answer, body) {
  const asked = [];
  const saved = globalThis.XMLHttpRequest;
  globalThis.XMLHttpRequest = class {
    open(method, url, async) {
      assert.deepEqual([method, async], ["GET", false]);
      this.url = url;
    }
    send() {
      asked.push(this.url);
      const { status, body: bytes } = answer(this.url);
      this.status = status;
      this.statusText = status === 200 ? "OK" : "Not Found";
      this.response = bytes?.buffer;
    }
  };
  try {
    body(asked);
  } finally {
    globalThis.XMLHttpRequest = saved;
  }
}

describe("laterDownload", () => {
  const URL = "http://site/p/django-6.1.later.0123456789ab.bundle";

  test("its download starts when start() is called, once", async () => {
    let downloads = 0;
    const file = laterDownload(
      async () => {
        downloads += 1;
        return BYTES;
      },
      URL,
      4,
      "it",
    );
    await tick();
    assert.equal(downloads, 0);
    file.start();
    file.start();
    assert.deepEqual(await file.later, BYTES);
    assert.equal(downloads, 1);
    assert.equal(file.failure, null);
  });

  test("read first, it is downloaded now, once; start() then keeps those bytes", async () => {
    const kept = [];
    const file = laterDownload(
      () => assert.fail("not downloaded again"),
      URL,
      4,
      "it",
      async (bytes) => {
        kept.push(bytes);
        return bytes;
      },
    );
    withSyncRequests(
      () => ({ status: 200, body: BYTES.slice() }),
      (asked) => {
        assert.deepEqual(file.now(), BYTES);
        assert.equal(file.now(), file.now());
        assert.deepEqual(asked, [`${URL}?now`]);
      },
    );
    file.start();
    assert.deepEqual(await file.later, BYTES);
    assert.equal(kept.length, 1);
  });

  test("a failed download now says what failed, and is not tried again per file", () => {
    const file = laterDownload(async () => BYTES, URL, 4, describeLater("django-6.1.later.bundle"));
    withSyncRequests(
      () => ({ status: 404 }),
      (asked) => {
        assert.throws(() => file.now(), /HTTP 404/);
        assert.throws(() => file.now(), /HTTP 404/);
        assert.equal(asked.length, 1);
      },
    );
    assert.match(
      file.failure,
      /^Could not load part of Python's packages \(django-6\.1\.later\.bundle\): .*HTTP 404/,
    );
    const short = laterDownload(async () => BYTES, URL, 4, describeLater("python_stdlib.zip"));
    withSyncRequests(
      () => ({ status: 200, body: new Uint8Array(3) }),
      () => assert.throws(() => short.now(), /3 bytes arrived, manifest.json says 4/),
    );
    assert.match(short.failure, /^Could not load the standard library \(python_stdlib\.zip\)/);
  });
});
