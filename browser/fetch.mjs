// Fetching the runtime's files: fetchBytes for browsers and workers, the
// core files Pyodide fetches itself (named when a start fails), those files
// answered from memory for every interpreter after the first, and the build's
// own files (the snapshot, the bundles) downloading at once (Downloads).

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
 * Every later interpreter of this worker fetches the files loadPyodide()
 * fetches itself again (Pyodide starts the download before any hook of ours
 * runs). Answer those from memory: the .wasm with an empty body once its
 * compiled module is cached (wasm-cache.mjs ignores the response), the
 * standard library and the lock file with the bytes of their first download.
 */
export function memoiseCoreFetches(indexURL, wasmCache) {
  if (typeof globalThis.fetch !== "function" || globalThis.fetch.__guideMemo) return;
  const original = globalThis.fetch;
  const kept = new Map();
  const memo = async (input, init) => {
    const url = typeof input === "string" ? input : (input?.url ?? String(input));
    if (!url.startsWith(indexURL)) return original(input, init);
    const file = url.slice(indexURL.length);
    if (file === "pyodide.asm.wasm" && (wasmCache?.module || wasmCache?.compiling)) {
      return new Response(new Uint8Array(0), { headers: { "Content-Type": "application/wasm" } });
    }
    if (file !== "python_stdlib.zip" && file !== "pyodide-lock.json") return original(input, init);
    if (kept.has(file)) return new Response(kept.get(file));
    const response = await original(input, init);
    if (!response.ok) return response;
    const bytes = new Uint8Array(await response.arrayBuffer());
    kept.set(file, bytes);
    return new Response(bytes, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
  memo.__guideMemo = true;
  globalThis.fetch = memo;
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
  /** Start downloading `files`; resolves to [[file, bytes]]. */
  all(files) {
    const promise = Promise.all(
      files.map((file) => this.start(file).then((bytes) => [file, bytes])),
    );
    promise.catch(() => {}); // awaited later
    return promise;
  }
}
