// The runtime core, shared by the Web Worker (worker.mjs) and the Node tests.
//
// bootRuntime() loads Pyodide, the wheels (by name, from pyodide-lock.json) and
// the example project, then sets Django up. createProtocolHandler() implements
// the worker's message protocol on top of it (see worker.mjs for the format).
// Nothing here touches the DOM, `self` or Node's fs: the caller passes
// loadPyodide and a fetchBytes function.

export const DEFAULT_APPLICATION = "mysite.asgi:application";

/** fetchBytes for browsers and workers: fetch() with a clear error naming the file. */
export async function fetchBytes(url) {
  let response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new Error(`Could not download ${url}: ${error.message}`);
  }
  if (!response.ok) {
    throw new Error(`Could not download ${url}: HTTP ${response.status} ${response.statusText}`.trim());
  }
  return new Uint8Array(await response.arrayBuffer());
}

async function sha256Hex(bytes) {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

function base64ToHex(b64) {
  return Array.from(atob(b64), (c) => c.charCodeAt(0).toString(16).padStart(2, "0")).join("");
}

/** The files loadPyodide() fetches itself. */
const CORE_FILES = ["pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json"];

/** "URL (404 Not Found)" for the first of `files` that cannot be fetched, or null. */
async function firstUnreachable(indexURL, files) {
  if (typeof fetch !== "function" || !/^https?:/.test(indexURL)) return null;
  for (const file of files) {
    try {
      const response = await fetch(indexURL + file, { method: "HEAD" });
      if (!response.ok) return `${indexURL + file} (${response.status} ${response.statusText})`.trim();
    } catch (error) {
      return `${indexURL + file} (${error.message})`;
    }
  }
  return null;
}

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
    const url = typeof input === "string" ? input : input.url ?? String(input);
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
      const reader = response.clone().body.getReader();
      (async () => {
        let received = 0;
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          received += value.byteLength;
          progress.set(file, received);
        }
        progress.done(file);
      })().catch(() => {});
      return response;
    }
    const chunks = [];
    let received = 0;
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      received += value.byteLength;
      progress.set(file, received);
    }
    const bytes = new Uint8Array(received);
    let offset = 0;
    for (const c of chunks) {
      bytes.set(c, offset);
      offset += c.byteLength;
    }
    const expected = integrity.replace(/^sha256-/, "");
    if ((await sha256Hex(bytes)) !== base64ToHex(expected)) {
      throw new Error(`Integrity check failed for ${url}: its sha256 does not match pyodide-lock.json`);
    }
    progress.done(file);
    return new Response(bytes, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
  return () => {
    globalThis.fetch = original;
  };
}

/**
 * Load Pyodide, the packages and the project; set Django up.
 *
 * options:
 *   loadPyodide   the function exported by pyodide.mjs
 *   indexURL      URL (or, under Node, directory path) of the built pyodide/ folder, ending in "/"
 *   fetchBytes    (urlOrPath) => Promise<Uint8Array>   (default: fetch)
 *   onProgress    ({type: "progress", phase, loaded, total}) => void
 *   instrument    wrap fetch for byte progress (browser workers; default false)
 * Returns {pyodide, manifest, versions, timings, run(code), request(req)}.
 */
export async function bootRuntime({ loadPyodide, indexURL, fetchBytes: getBytes = fetchBytes, onProgress = () => {}, instrument = false }) {
  const t0 = performance.now();
  const timings = {};
  const manifest = JSON.parse(new TextDecoder().decode(await getBytes(indexURL + "manifest.json")));
  const progress = new Progress(manifest, onProgress);
  progress.report("runtime");
  const restoreFetch = instrument ? instrumentFetch(progress) : () => {};
  let pyodide;
  const console_ = { stdout: [], stderr: [] };
  try {
    try {
      pyodide = await loadPyodide({
        indexURL,
        lockFileURL: indexURL + "pyodide-lock.json",
        packageBaseUrl: indexURL,
        cdnUrl: indexURL, // never fall back to a CDN: everything is self-hosted
        stdout: (line) => console_.stdout.push(line),
        stderr: (line) => console_.stderr.push(line),
        env: { HOME: "/home/pyodide" },
      });
    } catch (error) {
      // Pyodide's own message ("Program terminated with exit(1)") rarely names
      // the cause: look for a core file that cannot be fetched and name it.
      const missing = progress.failed ?? (await firstUnreachable(indexURL, CORE_FILES));
      const cause = missing ? `${missing} could not be loaded` : error.message;
      throw new Error(`Could not start Pyodide from ${indexURL}: ${cause}`);
    }
    progress.done("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json");
    timings.pyodide = Math.round(performance.now() - t0);

    progress.report("packages");
    const errors = [];
    const t1 = performance.now();
    await pyodide.loadPackage(manifest.packages, {
      checkIntegrity: true,
      messageCallback: () => {},
      errorCallback: (message) => errors.push(message),
    });
    if (errors.length) throw new Error(`Could not load the Python packages: ${errors.join("; ")}`);
    progress.done(...Object.keys(manifest.files).filter((f) => f.endsWith(".whl")));
    timings.packages = Math.round(performance.now() - t1);
  } finally {
    restoreFetch();
  }

  progress.report("project");
  const t2 = performance.now();
  const { file, dir, settings } = manifest.project;
  const zip = await getBytes(indexURL + file);
  if ((await sha256Hex(zip)) !== manifest.files[file].sha256) {
    throw new Error(`Integrity check failed for ${indexURL + file}: its sha256 does not match manifest.json`);
  }
  pyodide.unpackArchive(zip, "zip", { extractDir: dir });
  progress.done(file);
  timings.project = Math.round(performance.now() - t2);

  progress.report("setup");
  const t3 = performance.now();
  const session = pyodide.pyimport("guide_session");
  const versions = JSON.parse(session.setup(dir, settings));
  versions.pyodide = manifest.pyodide;
  timings.setup = Math.round(performance.now() - t3);
  timings.total = Math.round(performance.now() - t0);
  progress.report("ready");

  const callJSON = async (fn, ...args) => {
    console_.stdout.length = 0;
    console_.stderr.length = 0;
    let value;
    try {
      value = await fn(...args);
    } catch (error) {
      // A bug in the runtime itself (snippet errors are part of the output).
      throw new Error(`The Python runtime failed: ${error.message}`);
    }
    const result = JSON.parse(value);
    // Lines that bypassed Python's redirected sys.stdout/sys.stderr (for
    // instance logging handlers created at django.setup()).
    const extra = [...console_.stderr, ...console_.stdout].join("\n");
    if (extra) result.stderr = (result.stderr || "") + extra + "\n";
    return result;
  };
  return {
    pyodide,
    manifest,
    versions,
    timings,
    /** Run pycon text (or a plain script); resolves to {output, stderr, truncated}. */
    run: (code) => callJSON(session.run, String(code)),
    /** One HTTP request; resolves to {status, headers, body, messages, truncated}. */
    request: ({ application = manifest.application || DEFAULT_APPLICATION, method = "GET", path = "/", headers = [], body = "", reset = true } = {}) =>
      callJSON(session.request, application, method, path, JSON.stringify(headers ?? []), body, reset),
  };
}

/**
 * The worker's message protocol (documented in worker.mjs), independent of
 * how messages travel. `post(message)` sends one message; `boot(onProgress,
 * initMessage)` must return a runtime from bootRuntime(). Returns
 * `handle(message)`; messages are processed one at a time, in order.
 */
export function createProtocolHandler({ post, boot }) {
  let runtime = null;
  let booting = null;
  let application = null;
  let queue = Promise.resolve();

  const init = (message = {}) => {
    if (message.application) application = message.application;
    if (!booting) {
      booting = boot((event) => post(event), message).then((rt) => {
        runtime = rt;
        return rt;
      });
      booting.catch(() => {
        booting = null; // a later init may retry
      });
    }
    return booting;
  };

  const process = async (message) => {
    const { type, id } = message;
    try {
      if (type === "init") {
        const rt = await init(message);
        post({ type: "ready", versions: rt.versions, timings: rt.timings });
      } else if (type === "run") {
        const rt = runtime ?? (await init());
        const t = performance.now();
        const result = await rt.run(message.code ?? "");
        post({ type: "result", id, ...result, ms: Math.round(performance.now() - t) });
      } else if (type === "request") {
        const rt = runtime ?? (await init());
        const t = performance.now();
        const result = await rt.request({
          application: message.application ?? application ?? undefined,
          method: message.method,
          path: message.path,
          headers: message.headers,
          body: message.body,
          reset: message.reset ?? true,
        });
        post({ type: "response", id, ...result, ms: Math.round(performance.now() - t) });
      } else {
        post({ type: "error", id, message: `Unknown message type: ${JSON.stringify(type)}` });
      }
    } catch (error) {
      post({ type: "error", id, message: String(error?.message ?? error) });
    }
  };

  return (message) => {
    queue = queue.then(() => process(message));
    return queue;
  };
}
