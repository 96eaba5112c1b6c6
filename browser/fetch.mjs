// Fetching the runtime's files: fetchBytes for browsers and workers, the
// core files Pyodide fetches itself (named when a start fails), every fetch of
// the runtime routed to the name its file is served under (and Pyodide's own
// files answered from memory for every interpreter after the first), and the
// build's own files (the snapshot, the bundles) downloading at once (Downloads).

/** The files loadPyodide() fetches itself. */
export const CORE_FILES = [
  "pyodide.mjs",
  "pyodide.asm.mjs",
  "pyodide.asm.wasm",
  "python_stdlib.zip",
  "pyodide-lock.json",
];

/** fetchBytes for browsers and workers: fetch() with a clear error naming the file. */
export async function fetchBytes(url) {
  let response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new Error(`Could not download ${url}: ${error.message}`);
  }
  if (!response.ok) {
    throw new Error(
      `Could not download ${url}: HTTP ${response.status} ${response.statusText}`.trim(),
    );
  }
  return new Uint8Array(await response.arrayBuffer());
}

/** "URL (404 Not Found)" for the first of `files` that cannot be fetched, or null. */
export async function firstUnreachable(indexURL, files) {
  if (typeof fetch !== "function" || !/^https?:/.test(indexURL)) return null;
  for (const file of files) {
    try {
      const response = await fetch(indexURL + file, { method: "HEAD" });
      if (!response.ok)
        return `${indexURL + file} (${response.status} ${response.statusText})`.trim();
    } catch (error) {
      return `${indexURL + file} (${error.message})`;
    }
  }
  return null;
}

/**
 * Route the runtime's own fetches under `indexURL` (called once per worker):
 *
 * - to the name each file is served under: `urls` (manifest.json's, when the
 *   site serves the files under names with their content hash, which lets a
 *   browser keep them for a year) maps a file's name to that name. Everything
 *   here, and Pyodide itself, asks for a file by its name;
 * - from memory for every interpreter after the first: they fetch the files
 *   loadPyodide() fetches itself again (Pyodide starts the download before any
 *   hook of ours runs). The .wasm gets an empty body once its compiled module
 *   is cached (wasm-cache.mjs ignores the response); the standard library and
 *   the lock file get the bytes of their first download.
 */
export function routeRuntimeFetches(indexURL, wasmCache, urls = {}) {
  if (typeof globalThis.fetch !== "function" || globalThis.fetch.__guideRoute) return;
  const original = globalThis.fetch;
  const kept = new Map();
  const route = async (input, init) => {
    const url = typeof input === "string" ? input : (input?.url ?? String(input));
    if (!url.startsWith(indexURL)) return original(input, init);
    const file = url.slice(indexURL.length);
    if (file === "pyodide.asm.wasm" && (wasmCache?.module || wasmCache?.compiling)) {
      return new Response(new Uint8Array(0), { headers: { "Content-Type": "application/wasm" } });
    }
    const fetchServed = () =>
      urls[file] ? original(indexURL + urls[file], init) : original(input, init);
    if (file !== "python_stdlib.zip" && file !== "pyodide-lock.json") return fetchServed();
    if (kept.has(file)) return new Response(kept.get(file));
    const response = await fetchServed();
    if (!response.ok) return response;
    const bytes = new Uint8Array(await response.arrayBuffer());
    kept.set(file, bytes);
    return new Response(bytes, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
  route.__guideRoute = true;
  globalThis.fetch = route;
}

/** import() of one of the runtime's modules, failing with a message that names it. */
export async function importModule(url) {
  try {
    return await import(url);
  } catch (error) {
    throw new Error(`Could not load ${url}: ${error.message}`);
  }
}

/**
 * Files of the build downloading at once, each checked (`fetchChecked`, from
 * integrity.mjs) and counted in `progress` when it arrives; each promise is
 * awaited later, so a failure surfaces there. `lastArrival`: when the last
 * one arrived (performance.now()).
 */
export class Downloads {
  constructor(fetchChecked, progress) {
    this.fetchChecked = fetchChecked;
    this.progress = progress;
    this.lastArrival = 0;
  }
  /** Start downloading `file` now; resolves to its bytes. */
  start(file) {
    const promise = this.fetchChecked(file).then((bytes) => {
      this.lastArrival = Math.max(this.lastArrival, performance.now());
      this.progress.done(file);
      return bytes;
    });
    promise.catch(() => {}); // awaited later
    return promise;
  }
  /**
   * Start downloading `files` side by side into one buffer, in order (the
   * snapshot's parts: guide.browser_build.snapshot_parts), each copied in as it
   * arrives; `sizes`, their lengths. Returns {buffer, first, whole}: `buffer`
   * at once (its bytes are there once `whole` resolves, to it), `first` resolves
   * to the first file's bytes.
   */
  joined(files, sizes) {
    const buffer = new Uint8Array(sizes.reduce((total, size) => total + size, 0));
    let offset = 0;
    const pieces = files.map((file, index) => {
      const at = offset;
      offset += sizes[index];
      return this.start(file).then((bytes) => {
        if (bytes.byteLength !== sizes[index]) {
          throw new Error(`${file}: ${bytes.byteLength} bytes, expected ${sizes[index]}`);
        }
        buffer.set(bytes, at);
        return bytes;
      });
    });
    const whole = Promise.all(pieces).then(() => buffer);
    whole.catch(() => {}); // awaited later
    return { buffer, first: pieces[0], whole };
  }
  /** Start downloading `files`; resolves to [[file, bytes]]. */
  all(files) {
    const promise = Promise.all(
      files.map((file) => this.start(file).then((bytes) => [file, bytes])),
    );
    promise.catch(() => {}); // awaited later
    return promise;
  }
}
