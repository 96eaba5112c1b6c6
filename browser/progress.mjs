// Download progress in bytes, over the files listed in manifest.json: the
// files the worker fetches itself, and (instrumentFetch) those Pyodide fetches.
import { matchesIntegrity } from "./integrity.mjs";

/**
 * Byte-level progress over the files listed in manifest.json.
 * `report(phase)` calls onProgress({type: "progress", phase, loaded, total}).
 */
export class Progress {
  constructor(manifest, onProgress) {
    this.sizes = Object.fromEntries(Object.entries(manifest.files).map(([k, v]) => [k, v.size]));
    this.total = Object.values(this.sizes).reduce((a, b) => a + b, 0);
    this.loaded = {};
    this.onProgress = onProgress;
    this.phase = "start";
    this.lastReport = 0;
  }
  /** Bytes of `file` received so far (capped at its size in the manifest). */
  set(file, bytes) {
    if (!(file in this.sizes)) return;
    this.loaded[file] = Math.min(bytes, this.sizes[file]);
    const now = Date.now();
    if (now - this.lastReport > 50) this.report();
  }
  done(...files) {
    for (const f of files) if (f in this.sizes) this.loaded[f] = this.sizes[f];
    this.report();
  }
  report(phase = this.phase) {
    this.phase = phase;
    this.lastReport = Date.now();
    const loaded = Object.values(this.loaded).reduce((a, b) => a + b, 0);
    this.onProgress({ type: "progress", phase, loaded, total: this.total });
  }
}

/**
 * The progress of a start: over the files manifest.boot lists (all of
 * manifest.files without it) when Python starts from `snapshotFile`, and
 * `ahead` (files of manifest.after_start the first run reads, fetched with
 * them), else over manifest.boot_from_scratch (older builds: boot less the snapshot).
 */
export function bootProgress(manifest, snapshotFile, onProgress, ahead = []) {
  const boot = manifest.boot ?? Object.keys(manifest.files);
  const names = snapshotFile
    ? [...boot, ...ahead]
    : (manifest.boot_from_scratch ?? boot.filter((f) => f !== manifest.snapshot));
  const files = Object.fromEntries(names.map((f) => [f, manifest.files[f] ?? { size: 0 }]));
  return new Progress({ files }, onProgress);
}

/**
 * Read a stream to its end, calling onBytes(bytes so far) after each chunk;
 * the chunks are kept in `chunks` if given.
 */
async function readCounting(reader, onBytes, chunks = null) {
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks?.push(value);
    received += value.byteLength;
    onBytes(received);
  }
}

/** The chunks of a stream (or any byte arrays) as one array. */
export function concat(chunks) {
  const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c, offset);
    offset += c.byteLength;
  }
  return bytes;
}

/**
 * Wrap globalThis.fetch while Pyodide loads, so that progress is reported in
 * bytes for the files Pyodide fetches itself (the .wasm, the stdlib, wheels).
 * A request with `integrity` (Pyodide passes the sha256 from the lock file
 * when it loads a package) is downloaded, then checked here against that hash:
 * the browser would only hand over an SRI-checked body once complete, which
 * would leave nothing to report. Other responses are passed through untouched
 * (bytes are counted on a clone). Returns a function that restores fetch.
 */
export function instrumentFetch(progress) {
  const original = globalThis.fetch;
  globalThis.fetch = async (input, init = {}) => {
    const url = typeof input === "string" ? input : (input.url ?? String(input));
    const file = new URL(url, globalThis.location?.href).pathname.split("/").pop();
    const { integrity, ...rest } = init || {};
    const response = await original(input, rest);
    if (!response.ok) {
      // Hand the failed response to Pyodide (throwing here would surface as an
      // unhandled rejection inside its loader); remember it to name the file.
      progress.failed ??= `${url} (HTTP ${response.status} ${response.statusText})`.trim();
      return response;
    }
    if (!response.body || !(file in progress.sizes)) return response;
    if (!integrity) {
      // Count the bytes on a clone and hand over the genuine response: the
      // .wasm then still compiles while streaming, and the browser can reuse
      // its compiled code from cache on the next visit.
      readCounting(response.clone().body.getReader(), (received) => progress.set(file, received))
        .then(() => progress.done(file))
        .catch(() => {});
      return response;
    }
    const chunks = [];
    await readCounting(
      response.body.getReader(),
      (received) => progress.set(file, received),
      chunks,
    );
    const bytes = concat(chunks);
    if (!(await matchesIntegrity(bytes, integrity))) {
      throw new Error(
        `Integrity check failed for ${url}: its sha256 does not match pyodide-lock.json`,
      );
    }
    progress.done(file);
    return new Response(bytes, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
  return () => {
    globalThis.fetch = original;
  };
}
