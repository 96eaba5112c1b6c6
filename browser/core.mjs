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
 * Write a bundle (see guide.runtime_build.write_bundle: a 4-byte little-endian
 * header length, a JSON header {root, files: [[path, size]]}, the files' bytes)
 * into an Emscripten file system. Returns the number of files.
 */
export function writeBundle(FS, bytes, name = "bundle") {
  let header;
  try {
    const size = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true);
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + size)));
    header.offset = 4 + size;
  } catch (error) {
    throw new Error(`${name} is not a bundle: ${error.message}`);
  }
  let offset = header.offset;
  const made = new Set();
  for (const [rel, size] of header.files) {
    const path = `${header.root}/${rel}`;
    const dir = path.slice(0, path.lastIndexOf("/"));
    if (!made.has(dir)) {
      FS.mkdirTree(dir);
      made.add(dir);
    }
    FS.writeFile(path, bytes.subarray(offset, offset + size));
    offset += size;
  }
  if (offset !== bytes.byteLength) throw new Error(`${name} is truncated or has extra bytes`);
  return header.files.length;
}

/**
 * Compile pyodide.asm.wasm once per worker: every later interpreter (a fresh
 * one for each snippet that needs its own process) is instantiated from the
 * same compiled module instead of compiling 9.6 MB of WebAssembly again.
 * `cache.compileMs` is how long the first compilation (with its download,
 * when streamed) took.
 */
function cacheCompiledWasm() {
  const WA = globalThis.WebAssembly;
  if (!WA || WA.__guideCache) return WA?.__guideCache;
  const cache = { module: null, compiling: null, compileMs: null };
  WA.__guideCache = cache;
  const instantiate = WA.instantiate.bind(WA);
  const timed = async (compile) => {
    const started = performance.now();
    const result = await compile();
    cache.module = result.module ?? result;
    cache.compileMs ??= Math.round(performance.now() - started);
    return result;
  };
  /** Compile `url` now, streaming, before Pyodide asks for it (its download then overlaps others). */
  cache.precompile = (url) => {
    if (cache.module || cache.compiling || !WA.compileStreaming) return;
    cache.compiling = timed(() => WA.compileStreaming(fetch(url)));
    cache.compiling.catch(() => {
      cache.compiling = null; // Pyodide's own download then tries again and reports the failure
    });
  };
  const cached = async () => {
    if (!cache.module && cache.compiling) await cache.compiling.catch(() => {});
    return cache.module;
  };
  WA.instantiate = async (source, imports) => {
    if (source instanceof WA.Module) return instantiate(source, imports);
    const module = await cached();
    if (module) return { module, instance: await instantiate(module, imports) };
    return timed(() => instantiate(source, imports));
  };
  if (WA.instantiateStreaming) {
    const streaming = WA.instantiateStreaming.bind(WA);
    WA.instantiateStreaming = async (response, imports) => {
      const module = await cached();
      if (module) return { module, instance: await instantiate(module, imports) };
      return timed(() => streaming(response, imports));
    };
  }
  return cache;
}

/**
 * Every later interpreter of this worker fetches the files loadPyodide()
 * fetches itself again (Pyodide starts the download before any hook of ours
 * runs). Answer those from memory: the .wasm with an empty body once its
 * compiled module is cached (cacheCompiledWasm() ignores the response), the
 * standard library and the lock file with the bytes of their first download.
 */
function memoiseCoreFetches(indexURL, wasmCache) {
  if (typeof globalThis.fetch !== "function" || globalThis.fetch.__guideMemo) return;
  const original = globalThis.fetch;
  const kept = new Map();
  const memo = async (input, init) => {
    const url = typeof input === "string" ? input : input?.url ?? String(input);
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
    return new Response(bytes, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
  memo.__guideMemo = true;
  globalThis.fetch = memo;
}

/**
 * Whether this engine stack switches with WebAssembly JSPI's current API
 * (WebAssembly.Suspending), as the headless Chromium that made the build's
 * memory snapshot does (Node 20 has at most the older API, behind a flag).
 */
export function hasJspi() {
  const WA = globalThis.WebAssembly;
  return Boolean(WA) && "Suspending" in WA;
}

/**
 * Whether to start Python from scratch rather than from the build's memory
 * snapshot, given the browser's NetworkInformation (navigator.connection;
 * Chromium has it, other browsers do not): when the reader asked to save data,
 * or the connection is estimated 2G/3G. The snapshot costs 11.4 MB more (gzip;
 * 7.8 MB brotli) and saves about 3 s of start-up (bench/results/browser.json),
 * so it pays from about 30 Mbit/s (gzip; 21 with brotli). `downlink` is not
 * used: a fresh headless Chromium here said 1.4 Mbit/s on a loopback
 * connection (an estimate without measurements), which would have sent every
 * first visit down the slow path.
 */
export function prefersLeanStart(connection) {
  if (!connection) return false;
  return Boolean(connection.saveData) || /(^|-)(2g|3g)$/.test(connection.effectiveType ?? "");
}

/** A clear message for a failure to get memory (or anything else) while starting an interpreter. */
function memoryMessage(error, what) {
  const text = String(error?.message ?? error);
  if (error instanceof RangeError || /memory|allocation|out of bounds/i.test(text)) {
    return `Not enough memory for ${what}: the browser refused to give WebAssembly more memory (${text}). Close other tabs and reload the page.`;
  }
  return `Could not start ${what}: ${text}`;
}

/** Options of loadPyodide() shared by every interpreter (the build's snapshot step uses them too). */
export function pyodideOptions(indexURL, { stdout = () => {}, stderr = () => {} } = {}) {
  return {
    indexURL,
    lockFileURL: indexURL + "pyodide-lock.json",
    packageBaseUrl: indexURL,
    cdnUrl: indexURL, // never fall back to a CDN: everything is self-hosted
    stdout,
    stderr,
    env: { HOME: "/home/pyodide" },
  };
}

/** Write bundles ([[name, bytes]], in order) into an Emscripten file system. */
export function writeBundles(FS, files, indexURL = "") {
  for (const [file, bytes] of files) writeBundle(FS, bytes, indexURL + file);
}

/**
 * Boot Pyodide from scratch, write the bundles and import what every snippet's
 * process has imported before it reads settings (guide_session.prepare): the
 * state a memory snapshot holds. Used by the build (browser/tools/snapshot_worker.mjs),
 * for another Django release, and when the page starts without the snapshot.
 * `files` may be a promise (it is awaited once Python has booted);
 * `onPhase(name)` is called as each phase ends: "pyodide", "files", "project".
 */
export async function bootPrepared(loadPyodide, options, files, projectDir, onPhase = () => {}) {
  const pyodide = await loadPyodide({ ...options, _makeSnapshot: true });
  onPhase("pyodide");
  writeBundles(pyodide.FS, await files, options.indexURL);
  onPhase("files");
  pyodide.runPython(`import guide_session; guide_session.prepare(${JSON.stringify(projectDir)})`);
  onPhase("project");
  return pyodide;
}

/** The memory snapshot of an interpreter from bootPrepared() (garbage collected first). */
export function snapshotOf(pyodide) {
  pyodide.runPython("import gc; gc.collect()");
  return pyodide.makeMemorySnapshot();
}

/**
 * Load Pyodide, the packages and the project, in the state a server's snippet
 * process starts from (Django's framework imported, no settings read); set
 * Django up for the warm interpreter.
 *
 * options:
 *   loadPyodide   the function exported by pyodide.mjs
 *   indexURL      URL (or, under Node, directory path) of the built pyodide/ folder, ending in "/"
 *   fetchBytes    (urlOrPath) => Promise<Uint8Array>   (default: fetch)
 *   onProgress    ({type: "progress", phase, loaded, total}) => void
 *   instrument    wrap fetch for byte progress (browser workers; default false)
 *   warmUp        set the warm interpreter up now (default true); false when the
 *                 first run needs a fresh interpreter: the booted one serves it
 *   snapshot      start from the build's memory snapshot (manifest.snapshot;
 *                 default true); false boots Python from scratch and imports
 *                 Django's framework in the browser: 11 MB less to download, a
 *                 few seconds more to start (browser/README.md has the figures)
 * Returns {pyodide, manifest, versions, timings, run(code, fresh?), request(req), fresh(options)}.
 *
 * Two kinds of interpreter run snippets. The *warm* one has Django set up with
 * mysite.settings, and guide_session.reset() puts back what a snippet changed
 * before the next run (milliseconds). A snippet that needs a process of its
 * own (its own environment variables, `setup = false`) runs in a *fresh*
 * interpreter: a new Pyodide instance restored from the memory snapshot
 * (Django's framework imported, no settings read: the state of the test
 * suite's fork server), used once. The snapshot is made at build time in
 * headless Chromium (guide.runtime_snapshot) and downloaded; without it
 * (snapshot: false, an engine without JSPI, or a build without one) it is
 * made here after booting from scratch.
 *
 * timings (ms): download (until the last file needed to start had arrived),
 * compile (the .wasm, streamed while it downloads), pyodide (loadPyodide,
 * including compile), files (bundles written), project (imports, from scratch
 * only), snapshot (taking it, from scratch only), setup, total.
 */
export async function bootRuntime({ loadPyodide, indexURL, fetchBytes: getBytes = fetchBytes, onProgress = () => {}, instrument = false, warmUp = true, snapshot: useSnapshot = true }) {
  const t0 = performance.now();
  const timings = {};
  const manifest = JSON.parse(new TextDecoder().decode(await getBytes(indexURL + "manifest.json")));
  // Pyodide keeps in its memory how the engine stack switches (JSPI): a
  // snapshot made with it restores faithfully only in an engine that has it
  // too (restored in Chromium, a snapshot made in Node without JSPI said "not
  // supported" to every asyncio.run(); one made with Node 20's older JSPI API
  // hung). Elsewhere Python boots from scratch.
  const snapshotFile = useSnapshot && manifest.snapshot_jspi === hasJspi() ? manifest.snapshot ?? null : null;
  const bootFiles = (manifest.boot ?? Object.keys(manifest.files)).filter((f) => snapshotFile || f !== manifest.snapshot);
  const progress = new Progress({ files: Object.fromEntries(bootFiles.map((f) => [f, manifest.files[f] ?? { size: 0 }])) }, onProgress);
  progress.report("runtime");
  const wasmCache = cacheCompiledWasm();
  memoiseCoreFetches(indexURL, wasmCache);
  const { dir, settings } = manifest.project;
  let lastArrival = 0;
  const arrived = () => {
    lastArrival = Math.max(lastArrival, performance.now());
  };

  /** A file of the build, checked against its sha256 in manifest.json. */
  const fetchChecked = async (file) => {
    const bytes = await getBytes(indexURL + file);
    if ((await sha256Hex(bytes)) !== manifest.files[file]?.sha256) {
      throw new Error(`Integrity check failed for ${indexURL + file}: its sha256 does not match manifest.json`);
    }
    return bytes;
  };
  /** Start downloading a file now; awaited later (a failure surfaces there). */
  const download = (file) => {
    const promise = fetchChecked(file).then((bytes) => {
      arrived();
      progress.done(file);
      return bytes;
    });
    promise.catch(() => {}); // awaited below
    return promise;
  };
  // The snapshot and the bundles download while Pyodide's own files do.
  const snapshotDownload = snapshotFile ? download(snapshotFile) : null;
  const files = Promise.all((manifest.bundles ?? []).map((file) => download(file).then((bytes) => [file, bytes])));
  files.catch(() => {}); // awaited below

  const console_ = { stdout: [], stderr: [] };
  const baseOptions = pyodideOptions(indexURL, {
    stdout: (line) => console_.stdout.push(line),
    stderr: (line) => console_.stderr.push(line),
  });
  const asmModule = await import(indexURL + "pyodide.asm.mjs");
  /**
   * loadPyodide() from a snapshot: a new interpreter, with the files written
   * again. `snapshot` and `files` may be promises (Pyodide's own downloads
   * start meanwhile); `size` is the snapshot's length in bytes.
   */
  const restoreFrom = async (snapshot, files, size) => {
    const restored = await loadPyodide({
      ...baseOptions,
      _loadSnapshot: snapshot,
      createPyodideModule: async (moduleSettings) => {
        const module = await asmModule.default(moduleSettings);
        // Pyodide restores the snapshot into memory as large as a fresh
        // start's: grow it first (malloc grows the heap; the snapshot then
        // overwrites the allocator's state anyway).
        while (module.HEAP8.length < size) {
          if (!module._malloc(1 << 20)) {
            throw new RangeError(`could not grow WebAssembly memory to ${Math.ceil(size / 2 ** 20)} MB`);
          }
        }
        return module;
      },
    });
    const t = performance.now();
    writeBundles(restored.FS, await files, indexURL);
    restored.filesMs = Math.round(performance.now() - t);
    return restored;
  };
  /** Pyodide's own message ("Program terminated with exit(1)") rarely names the cause: name a core file that cannot be fetched. */
  const startError = async (error) => {
    const missing = progress.failed ?? (await firstUnreachable(indexURL, CORE_FILES));
    return new Error(`Could not start Pyodide from ${indexURL}: ${missing ? `${missing} could not be loaded` : error.message}`);
  };

  const restoreFetch = instrument ? instrumentFetch(progress) : () => {};
  let pyodide;
  let bundleBytes;
  let defaultSnapshot;
  try {
    if (snapshotFile) {
      // The snapshot is the interpreter's memory, the bundles its files:
      // Pyodide compiles the .wasm and fetches the standard library meanwhile.
      if (/^https?:/.test(indexURL)) wasmCache?.precompile(indexURL + "pyodide.asm.wasm");
      try {
        pyodide = await restoreFrom(snapshotDownload, files, manifest.files[snapshotFile].size);
      } catch (error) {
        // A file that failed its sha256 check or could not be downloaded: that message.
        await Promise.all([snapshotDownload, files]);
        if (progress.failed) throw await startError(error);
        throw new Error(memoryMessage(error, "Python"));
      }
      [defaultSnapshot, bundleBytes] = await Promise.all([snapshotDownload, files]);
      timings.files = pyodide.filesMs;
      timings.pyodide = Math.round(performance.now() - t0) - timings.files;
      progress.report("packages");
    } else {
      // "pyodide": ms from the start; "files", "project": each phase's own ms.
      let booted = false;
      let mark = t0;
      const onPhase = (phase) => {
        const now = performance.now();
        timings[phase] = Math.round(now - mark);
        mark = now;
        booted = true;
        const next = { pyodide: "packages", files: "project" }[phase];
        if (next) progress.report(next);
      };
      try {
        pyodide = await bootPrepared(loadPyodide, baseOptions, files, dir, onPhase);
      } catch (error) {
        if (booted) throw error; // a bundle that failed its check, or the project
        throw await startError(error);
      }
      bundleBytes = await files;
      const t2b = performance.now();
      defaultSnapshot = snapshotOf(pyodide);
      timings.snapshot = Math.round(performance.now() - t2b);
    }
    timings.download = Math.round(lastArrival - t0);
    // Pyodide only logs a standard library it could not install, and Python
    // restored from a snapshot starts without reading it: check it is there.
    if (!pyodide.FS.analyzePath(`/lib/python${pyodide.runPython("import sys; '%d%d' % sys.version_info[:2]")}.zip`).exists) {
      throw await startError(new Error("the standard library (python_stdlib.zip) could not be installed"));
    }
  } finally {
    restoreFetch();
  }
  progress.done(...CORE_FILES);
  timings.compile = wasmCache?.compileMs ?? null;
  timings.snapshotBytes = defaultSnapshot.byteLength;

  /** A new interpreter restored from `snapshot`, with the files written again. */
  const restore = async (snapshot = defaultSnapshot, files = bundleBytes) => {
    const started = performance.now();
    let restored;
    try {
      restored = await restoreFrom(snapshot, files, snapshot.byteLength);
    } catch (error) {
      throw new Error(memoryMessage(error, "a fresh Python interpreter"));
    }
    return { pyodide: restored, session: restored.pyimport("guide_session"), ms: Math.round(performance.now() - started) };
  };

  // The booted interpreter is still pristine: it becomes the warm one, or, if
  // the first thing asked is a fresh run (warmUp false), that run's interpreter.
  let pristine = { pyodide, session: pyodide.pyimport("guide_session"), ms: 0 };
  let spare = null; // a restored interpreter not used yet (Promise)
  let warm = null;
  const ensureWarm = async () => {
    if (warm) return warm;
    let interp = pristine;
    pristine = null;
    if (!interp) {
      interp = await (spare ?? restore());
      spare = null;
    }
    const found = JSON.parse(interp.session.setup(dir, settings));
    warm = interp;
    return found;
  };
  progress.report("setup");
  const t3 = performance.now();
  const versions = warmUp
    ? await ensureWarm()
    : JSON.parse(pyodide.runPython("import json, guide_session; json.dumps(guide_session._versions())"));
  versions.pyodide = manifest.pyodide;
  timings.setup = Math.round(performance.now() - t3);
  timings.total = Math.round(performance.now() - t0);
  progress.report("ready");

  const callJSON = async (fn, ...args) => {
    if (!fn.keepConsole) {
      console_.stdout.length = 0;
      console_.stderr.length = 0;
    }
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

  const defaultDjango = manifest.django?.default;
  // Another Django release: booted once (its bundle replacing the default
  // Django), snapshotted like the first interpreter; later runs restore it.
  const otherDjangos = {};
  const bootOtherDjango = async (version) => {
    const file = manifest.django?.bundles?.[version];
    if (!file) throw new Error(`Django ${version} is not part of this build of the runtime`);
    const djangoBundle = [file, await fetchChecked(file)];
    const defaultFile = manifest.django.bundles[defaultDjango];
    const files = bundleBytes.map((entry) => (entry[0] === defaultFile ? djangoBundle : entry));
    const started = performance.now();
    let other;
    try {
      other = await bootPrepared(loadPyodide, baseOptions, files, dir);
    } catch (error) {
      throw new Error(memoryMessage(error, `Python with Django ${version}`));
    }
    const snapshot = snapshotOf(other);
    const first = { pyodide: other, session: other.pyimport("guide_session"), ms: Math.round(performance.now() - started) };
    return { snapshot, files, first };
  };
  const takeFresh = async (version) => {
    if (version && version !== defaultDjango) {
      otherDjangos[version] ??= bootOtherDjango(version);
      let other;
      try {
        other = await otherDjangos[version];
      } catch (error) {
        delete otherDjangos[version]; // a later run may retry
        throw error;
      }
      if (other.first) {
        const first = other.first;
        other.first = null;
        return first;
      }
      return restore(other.snapshot, other.files);
    }
    if (pristine) {
      const first = pristine;
      pristine = null;
      return first;
    }
    const next = spare ?? restore();
    spare = null;
    return next;
  };
  /**
   * Run pycon text in a fresh interpreter: {env, unset, setup} as in
   * snippets.toml, `django` ("5.2") to run it on another Django release of
   * the build. Resolves to run()'s result plus {fresh: {restoreMs, setupMs}, versions}.
   */
  const runFresh = async (code, { env = {}, unset = [], setup = true, django = null } = {}, onStart = () => {}) => {
    const interp = await takeFresh(django);
    onStart();
    const t = performance.now();
    console_.stdout.length = 0;
    console_.stderr.length = 0;
    let versionsFresh;
    try {
      versionsFresh = JSON.parse(interp.session.fresh(dir, JSON.stringify({ env, unset }), setup));
    } catch (error) {
      throw new Error(`The Python runtime failed: ${error.message}`);
    }
    const setupMs = Math.round(performance.now() - t);
    // What django.setup() wrote outside sys.stdout/sys.stderr counts as the snippet's, as in its process.
    const run = (text) => interp.session.run(text);
    run.keepConsole = true;
    const result = await callJSON(run, String(code));
    interp.session.destroy();
    result.fresh = { restoreMs: interp.ms, setupMs };
    result.versions = { ...versionsFresh, pyodide: manifest.pyodide };
    return result;
  };
  return {
    pyodide,
    manifest,
    versions,
    timings,
    /** Run pycon text (or a plain script); resolves to {output, stderr, truncated}. */
    run: (code, fresh = null, onStart = () => {}) => {
      if (fresh) return runFresh(code, fresh, onStart);
      return ensureWarm().then(() => {
        onStart();
        return callJSON(warm.session.run, String(code));
      });
    },
    /** Restore a spare fresh interpreter now, so that the next fresh run starts at once. */
    prepareFresh: async () => {
      if (!spare && !pristine) {
        spare = restore();
        spare.catch(() => {
          spare = null;
        });
      }
      await spare.catch(() => {});
    },
    /** One HTTP request; resolves to {status, headers, body, messages, truncated}. */
    request: ({ application = manifest.application || DEFAULT_APPLICATION, method = "GET", path = "/", headers = [], body = "", reset = true } = {}) =>
      ensureWarm().then(() => callJSON(warm.session.request, application, method, path, JSON.stringify(headers ?? []), body, reset)),
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
        // "running": the interpreter is ready (another Django release may first
        // have had to load); the runner's timeout counts from here.
        const result = await rt.run(message.code ?? "", message.fresh ?? null, () => post({ type: "running", id }));
        post({ type: "result", id, ...result, ms: Math.round(performance.now() - t) });
        // A page that ran one snippet in a fresh interpreter likely runs another:
        // restore the next one now, while the reader reads the output.
        if (message.fresh && !message.fresh.django) queue = queue.then(() => rt.prepareFresh());
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
