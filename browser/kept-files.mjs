// The build's files (the memory snapshot, the bundles) kept decoded and
// checked in Cache Storage, for the next visit.
//
// The browser's HTTP cache keeps them too (the site serves them under names
// with their content hash, cached for a year), but as they came over the
// wire: compressed, so a later visit has them decoded again (75 MB) and
// hashed again (sha256, integrity.mjs) before Python can start. Here each
// file is kept as the bytes that passed that check, under a key holding
// their sha256 (from manifest.json), and read back as is.
//
// A kept copy is used only when its length is the manifest's size for that
// file, else it is deleted and the file downloaded and checked again. That
// is enough for what can go wrong between the check and the next visit:
// - the bytes are stored only after they matched the manifest's sha256, and
//   the key names that sha256, so a key never holds other contents;
// - Cache Storage adds an entry only once its whole body is stored (put()
//   resolves then; an interrupted put leaves no entry), so an entry is the
//   checked bytes in full. The size check catches what would still break
//   this promise: a truncated body.
//
// Copies of files no longer in the manifest (an older build of the site)
// are deleted when this build's files are stored.

import { sha256Hex } from "./integrity.mjs";

/** The Cache Storage cache that holds the kept files. */
export const KEPT_CACHE = "guide-runtime-files";

/** Where `file` (checked against `sha256`) is kept: a key, never fetched. */
export function keptKey(indexURL, file, sha256) {
  return `${indexURL}${file}?sha256=${sha256}`;
}

/**
 * Files kept between visits. `fetchChecked(file)` downloads and checks a
 * file (integrity.mjs); `get(file)` resolves to the kept copy, or to
 * fetchChecked's bytes (kept later, by `store()`). Without Cache Storage
 * (Node, an opaque origin, storage turned off) `get` is `fetchChecked`.
 *
 * `storage`: the CacheStorage to use (default: globalThis.caches).
 */
export class KeptFiles {
  constructor(fetchChecked, indexURL, manifest, storage = globalThis.caches) {
    this.fetchChecked = fetchChecked;
    this.indexURL = indexURL;
    this.manifest = manifest;
    this.storage = storage;
    this.cache = null;
    this.toStore = []; // [file, bytes] downloaded this time
    this.used = new Set(); // the files read from the cache
    this.storeAtOnce = false; // set by store(): files downloaded later are stored on arrival
  }

  /** The opened cache, or null when there is none. */
  open() {
    if (!this.cache) {
      const storage = this.storage;
      this.cache =
        typeof storage?.open === "function"
          ? storage.open(KEPT_CACHE).catch(() => null)
          : Promise.resolve(null);
    }
    return this.cache;
  }

  key(file) {
    return keptKey(this.indexURL, file, this.manifest.files[file]?.sha256);
  }

  /** The bytes of `file`: its kept copy, else downloaded and checked. */
  async get(file) {
    const expected = this.manifest.files[file];
    const cache = expected?.sha256 ? await this.open() : null;
    if (cache) {
      const bytes = await readKept(cache, this.key(file));
      if (bytes && bytes.byteLength === expected.size) {
        this.used.add(file);
        return bytes;
      }
      if (bytes) await cache.delete(this.key(file)).catch(() => {});
    }
    const bytes = await this.fetchChecked(file);
    if (cache) {
      this.toStore.push([file, bytes]);
      if (this.storeAtOnce) this.store();
    }
    return bytes;
  }

  /**
   * Keep `bytes`, got for `file` another way (a synchronous download:
   * later-file.mjs), once they pass the check a download does; resolves to
   * them, or rejects if they do not pass it.
   */
  async adopt(file, bytes) {
    if ((await sha256Hex(bytes)) !== this.manifest.files[file]?.sha256) {
      throw new Error(
        `Integrity check failed for ${file}: its sha256 does not match manifest.json`,
      );
    }
    if (await this.open()) {
      this.toStore.push([file, bytes]);
      if (this.storeAtOnce) this.store();
    }
    return bytes;
  }

  /**
   * Store the files downloaded so far (and, from now on, each one as it
   * arrives) and delete the copies of files this manifest no longer lists.
   * Resolves once done (failures, such as a full quota, are ignored: the
   * next visit downloads again).
   */
  async store() {
    this.storeAtOnce = true;
    const cache = await this.open();
    const pending = this.toStore.splice(0);
    if (!cache) return;
    for (const [file, bytes] of pending) {
      await cache
        .put(
          this.key(file),
          new Response(bytes, {
            headers: { "Content-Type": "application/octet-stream" },
          }),
        )
        .catch(() => {});
    }
    const current = new Set(
      Object.entries(this.manifest.files).map(([file, info]) =>
        keptKey(this.indexURL, file, info.sha256),
      ),
    );
    try {
      for (const request of await cache.keys()) {
        if (request.url.startsWith(this.indexURL) && !current.has(request.url)) {
          await cache.delete(request);
        }
      }
    } catch {
      // another worker deleted it first, or storage went away: nothing to do
    }
  }
}

/** The body of `key` in `cache`, or null (no entry, or it cannot be read). */
async function readKept(cache, key) {
  try {
    const response = await cache.match(key);
    return response ? new Uint8Array(await response.arrayBuffer()) : null;
  } catch {
    return null;
  }
}
