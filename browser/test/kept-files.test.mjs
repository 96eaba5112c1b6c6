// kept-files.mjs: the checked files kept in Cache Storage, with a Cache Storage
// of memory (the real one: tests/browser/test_kept_files.py, in Chromium).
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { sha256Hex } from "../integrity.mjs";
import { KEPT_CACHE, KeptFiles, keptKey } from "../kept-files.mjs";

/** A CacheStorage of one cache, in memory: {url: bytes}. */
function memoryStorage() {
  const entries = new Map();
  const cache = {
    entries,
    async match(key) {
      return entries.has(key) ? new Response(entries.get(key)) : undefined;
    },
    async put(key, response) {
      entries.set(key, new Uint8Array(await response.arrayBuffer()));
    },
    async delete(key) {
      return entries.delete(typeof key === "string" ? key : key.url);
    },
    async keys() {
      return [...entries.keys()].map((url) => ({ url }));
    },
  };
  const opened = [];
  return {
    cache,
    opened,
    async open(name) {
      opened.push(name);
      return cache;
    },
  };
}

const INDEX = "https://example.org/runtime/pyodide/";
const snapshot = new Uint8Array([1, 2, 3, 4, 5]);
const bundle = new Uint8Array([9, 8, 7]);
const manifest = {
  files: {
    "snapshot.bin": { size: 5, sha256: "a".repeat(64) },
    "project.bundle": { size: 3, sha256: "b".repeat(64) },
  },
};
const contents = { "snapshot.bin": snapshot, "project.bundle": bundle };

/** fetchChecked of the manifest's files, counting the downloads. */
function downloader() {
  const fetched = [];
  const fetchChecked = async (file) => {
    fetched.push(file);
    return contents[file];
  };
  return { fetched, fetchChecked };
}

describe("KeptFiles", () => {
  test("a first visit downloads, then stores each file under its sha256; the next reads it", async () => {
    const storage = memoryStorage();
    const first = downloader();
    const kept = new KeptFiles(first.fetchChecked, INDEX, manifest, storage);
    assert.deepEqual(await kept.get("snapshot.bin"), snapshot);
    assert.deepEqual(await kept.get("project.bundle"), bundle);
    assert.deepEqual(first.fetched, ["snapshot.bin", "project.bundle"]);
    assert.equal(storage.cache.entries.size, 0, "nothing is stored before store()");
    await kept.store();
    assert.deepEqual(storage.opened.slice(-1), [KEPT_CACHE]);
    assert.deepEqual([...storage.cache.entries.keys()].sort(), [
      `${INDEX}project.bundle?sha256=${"b".repeat(64)}`,
      `${INDEX}snapshot.bin?sha256=${"a".repeat(64)}`,
    ]);

    const second = downloader();
    const again = new KeptFiles(second.fetchChecked, INDEX, manifest, storage);
    assert.deepEqual(await again.get("snapshot.bin"), snapshot);
    assert.deepEqual(await again.get("project.bundle"), bundle);
    assert.deepEqual(second.fetched, [], "nothing downloaded on the second visit");
    assert.deepEqual([...again.used].sort(), ["project.bundle", "snapshot.bin"]);
  });

  test("a kept copy of another size is deleted, not used: the file is downloaded again", async () => {
    const storage = memoryStorage();
    const key = keptKey(INDEX, "snapshot.bin", manifest.files["snapshot.bin"].sha256);
    storage.cache.entries.set(key, snapshot.slice(0, 3)); // a truncated body
    const { fetched, fetchChecked } = downloader();
    const kept = new KeptFiles(fetchChecked, INDEX, manifest, storage);
    assert.deepEqual(await kept.get("snapshot.bin"), snapshot);
    assert.deepEqual(fetched, ["snapshot.bin"]);
    assert.equal(kept.used.size, 0);
    await kept.store();
    assert.deepEqual(storage.cache.entries.get(key), snapshot, "replaced by the checked bytes");
  });

  test("a file that fails its check is neither returned nor stored", async () => {
    const storage = memoryStorage();
    const kept = new KeptFiles(
      async (file) => {
        throw new Error(`Integrity check failed for ${file}`);
      },
      INDEX,
      manifest,
      storage,
    );
    await assert.rejects(kept.get("snapshot.bin"), /Integrity check failed/);
    await kept.store();
    assert.equal(storage.cache.entries.size, 0);
  });

  test("after store(), a file downloaded later (another Django's bundle) is stored on arrival", async () => {
    const storage = memoryStorage();
    const { fetchChecked } = downloader();
    const kept = new KeptFiles(fetchChecked, INDEX, manifest, storage);
    await kept.store();
    await kept.get("project.bundle");
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(
      storage.cache.entries.get(keptKey(INDEX, "project.bundle", "b".repeat(64))),
      bundle,
    );
  });

  test("bytes got another way are kept if they pass the check, else refused", async () => {
    const storage = memoryStorage();
    const later = new Uint8Array([4, 2]);
    const sha256 = await sha256Hex(later);
    const withLater = { files: { ...manifest.files, "a.later.bundle": { size: 2, sha256 } } };
    const kept = new KeptFiles(() => assert.fail("not downloaded"), INDEX, withLater, storage);
    await assert.rejects(kept.adopt("a.later.bundle", new Uint8Array([4, 3])), /sha256/);
    assert.equal(await kept.adopt("a.later.bundle", later), later);
    await kept.store();
    assert.deepEqual([...storage.cache.entries.keys()], [keptKey(INDEX, "a.later.bundle", sha256)]);
  });

  test("store() deletes the copies of files this manifest no longer lists", async () => {
    const storage = memoryStorage();
    const old = keptKey(INDEX, "snapshot.bin", "0".repeat(64)); // an older build's
    const elsewhere = "https://example.org/other/snapshot.bin?sha256=0";
    storage.cache.entries.set(old, snapshot);
    storage.cache.entries.set(elsewhere, snapshot);
    const { fetchChecked } = downloader();
    const kept = new KeptFiles(fetchChecked, INDEX, manifest, storage);
    await kept.get("snapshot.bin");
    await kept.store();
    assert.equal(storage.cache.entries.has(old), false);
    assert.equal(storage.cache.entries.has(elsewhere), true, "not this runtime's: left alone");
    assert.equal(storage.cache.entries.has(keptKey(INDEX, "snapshot.bin", "a".repeat(64))), true);
  });

  test("without Cache Storage (Node, storage turned off) every file is downloaded", async () => {
    for (const storage of [
      undefined,
      null,
      {
        open: async () => {
          throw new DOMException("denied", "SecurityError");
        },
      },
    ]) {
      const { fetched, fetchChecked } = downloader();
      const kept = new KeptFiles(fetchChecked, INDEX, manifest, storage);
      assert.deepEqual(await kept.get("snapshot.bin"), snapshot);
      assert.deepEqual(await kept.get("snapshot.bin"), snapshot);
      await kept.store();
      assert.deepEqual(fetched, ["snapshot.bin", "snapshot.bin"]);
    }
  });
});
