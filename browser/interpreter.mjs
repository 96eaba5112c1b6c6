// Making interpreters: booted from scratch (bootPrepared), snapshotted
// (snapshotOf), and restored from a snapshot with the bundles written again
// (restorer, freshRestorer); another Django release (otherDjangoBooter).
import { writeBundles } from "./bundles.mjs";
import { fileArrivingLater, STDLIB, stdlibPath } from "./later-file.mjs";

/** What a restored interpreter's standard library is first written from: nothing (later-file.mjs). */
const EMPTY_FILE = "data:application/zip,";

/** loadPyodide() options shared by every interpreter (the build's snapshot step uses them too). */
export function pyodideOptions(indexURL, { stdout = () => {}, stderr = () => {} } = {}) {
  return {
    indexURL,
    lockFileURL: `${indexURL}pyodide-lock.json`,
    packageBaseUrl: indexURL,
    cdnUrl: indexURL, // never fall back to a CDN: everything is self-hosted
    stdout,
    stderr,
    env: { HOME: "/home/pyodide" },
  };
}

/** A clear message for a failure to get memory (or anything else) while starting an interpreter. */
export function memoryMessage(error, what) {
  const text = String(error?.message ?? error);
  if (error instanceof RangeError || /memory|allocation|out of bounds/i.test(text)) {
    return (
      `Not enough memory for ${what}: the browser refused to give WebAssembly more memory ` +
      `(${text}). Close other tabs and reload the page.`
    );
  }
  return `Could not start ${what}: ${text}`;
}

/**
 * Boot Pyodide from scratch, write the bundles and import what every snippet's
 * process has imported before it reads settings (guide_session.prepare): the
 * state a memory snapshot holds. Used by the build (browser/tools/snapshot_worker.mjs),
 * for another Django release, and when the page starts without the snapshot.
 * `files` may be a promise (it is awaited once Python has booted);
 * `onPhase(name)` is called as each phase ends: "pyodide", "files", "project".
 * `setupImports`: the modules django.setup() imports (manifest.setup_imports,
 * found at build); those that import without settings are imported too.
 * `wasmData`: () => Promise<{offset, bytes}>, the .wasm's data segments
 * (manifest.wasm_data) when the build served the .wasm without them; then
 * `options.createPyodideModule` must be set (pyodide.asm.mjs's default export).
 */
export async function bootPrepared(
  loadPyodide,
  options,
  files,
  projectDir,
  { onPhase = () => {}, setupImports = [], wasmData = null } = {},
) {
  const pyodide = await loadPyodide({
    ...options,
    _makeSnapshot: true,
    ...(wasmData && { createPyodideModule: withWasmData(options.createPyodideModule, wasmData()) }),
  });
  onPhase("pyodide");
  writeBundles(pyodide.FS, await files, options.indexURL);
  onPhase("files");
  const args = [projectDir, JSON.stringify(setupImports)].map((a) => JSON.stringify(a));
  pyodide.runPython(`import guide_session; guide_session.prepare(${args.join(", ")})`);
  onPhase("project");
  return pyodide;
}

/**
 * createPyodideModule for a .wasm served without its data segments
 * (guide.browser_build.wasm_data): the data (a promise of {offset, bytes}) is
 * written into the module's memory as soon as it is instantiated, before any
 * of its code or Emscripten's runs, where instantiating the whole module would
 * have put it. Not later: a preRun function of Pyodide 314's pyodide.asm.mjs
 * (setEmscriptenTrampoline) reads a constant of that data
 * (__PyEM_EMSCRIPTEN_TRAMPOLINE_OFFSET) and runs before any preRun of ours.
 */
export function withWasmData(createModule, data) {
  if (typeof createModule !== "function") {
    throw new Error("a .wasm without its data needs options.createPyodideModule");
  }
  return async (settings) => {
    const { offset, bytes } = await data;
    const instantiate = settings.instantiateWasm;
    if (typeof instantiate !== "function") {
      throw new Error("Pyodide no longer instantiates the .wasm through instantiateWasm");
    }
    settings.instantiateWasm = (imports, done) =>
      instantiate(imports, (instance, module) => {
        new Uint8Array(instance.exports.memory.buffer).set(bytes, offset);
        done(instance, module);
      });
    return createModule(settings);
  };
}

/**
 * {offset, bytes}: the .wasm's data (guide.browser_build.wasm_data) from the
 * snapshot's copy of that stretch of memory and `difference` (the two XORed,
 * made at build: snapshot.wasm-data.bin). `first`: the snapshot's first part,
 * which the build makes hold that stretch (guide.browser_build.snapshot_parts),
 * so that the module can be made while the rest downloads; `whole`, the whole
 * snapshot, is waited for if it does not. All three may be promises. Pyodide
 * 314's snapshot is a header, then the memory: the header's second 32-bit word
 * is where the memory starts (pyodide.asm.mjs, API.makeSnapshot and API.restoreSnapshot).
 */
export async function dataFromSnapshot(first, whole, difference, offset) {
  const [head, diff] = await Promise.all([first, difference]);
  const start = new DataView(head.buffer, head.byteOffset, 8).getUint32(4, true);
  const end = start + offset + diff.length;
  const bytes = end <= head.byteLength ? head : await whole;
  const copy = bytes.subarray(start + offset, end);
  const data = new Uint8Array(diff.length);
  for (let i = 0; i < data.length; i++) data[i] = copy[i] ^ diff[i];
  return { offset, bytes: data };
}

/** The memory snapshot of an interpreter from bootPrepared() (garbage collected first). */
export function snapshotOf(pyodide) {
  pyodide.runPython("import gc; gc.collect()");
  return pyodide.makeMemorySnapshot();
}

/**
 * Zero the memory of `pyodide` that its allocator does not use, before the
 * build takes the snapshot (memory given back keeps what it held, such as the
 * .pyc files Python read while importing: the snapshot would carry those
 * bytes, and zeros compress to nothing). Every free chunk the allocator hands
 * out below the program break is allocated, zeroed and given back, and the
 * memory above the break, which nothing owns, is zeroed: nothing Python or
 * Pyodide holds is written. The memory does not grow. Returns the bytes zeroed.
 */
export function zeroFreeMemory(pyodide) {
  const M = pyodide._module;
  const limit = M.HEAPU8.length;
  M._malloc_trim(0); // the top of the heap back to the break
  const start = M._sbrk(0);
  M.HEAPU8.fill(0, start, limit);
  let zeroed = limit - start;
  const taken = [];
  for (let size = 1 << 22; size >= 64; size >>= 1) {
    for (;;) {
      const brk = M._sbrk(0);
      if (size + (1 << 20) > limit - brk) break; // a chunk that could grow memory
      const chunk = M._malloc(size);
      if (!chunk) break;
      taken.push(chunk);
      if (M._sbrk(0) !== brk) break; // from above the break: no free chunk of this size is left
      M.HEAPU8.fill(0, chunk, chunk + size);
      zeroed += size;
    }
  }
  for (const chunk of taken) M._free(chunk);
  if (M.HEAPU8.length !== limit) {
    throw new Error(`zeroFreeMemory grew memory from ${limit} to ${M.HEAPU8.length} bytes`);
  }
  return zeroed;
}

/**
 * (snapshot, files, size, buffer?) => Promise<pyodide>: loadPyodide() from a
 * snapshot, a new interpreter with the files written again. `snapshot` and
 * `files` may be promises (Pyodide's own downloads start meanwhile); `size` is
 * the snapshot's length in bytes. Pyodide waits for the snapshot before it
 * makes the module, only to learn its size: given `buffer` (where `snapshot`
 * will resolve, Downloads.joined), the module is made at once (the .wasm
 * instantiated, Emscripten started) and the snapshot waited for only before
 * Pyodide restores it. `asmModule` is pyodide.asm.mjs, imported.
 * The interpreter's `filesMs` is how long writing the files took.
 * `wasmData` (as bootPrepared's) when the .wasm comes without its data: the
 * module's constructors run before Pyodide writes the snapshot into memory,
 * and call through tables of function pointers in that data, so it is
 * written first (withWasmData); the whole snapshot then overwrites it.
 * `afterStart` (Map: a file of manifest.after_start => its laterDownload(),
 * later-file.mjs): the files that arrive after Python has started, the
 * standard library (without it, it is loaded first, as Pyodide does) and the
 * later bundles (a restored bundle's files that a first run does not read).
 */
export function restorer(loadPyodide, options, asmModule, wasmData = null, afterStart = new Map()) {
  const stdlib = afterStart.get(STDLIB);
  return async (snapshot, files, size, buffer = null) => {
    const create = wasmData ? withWasmData(asmModule.default, wasmData()) : asmModule.default;
    const restored = await loadPyodide({
      ...options,
      ...(stdlib ? { stdLibURL: EMPTY_FILE } : {}),
      _loadSnapshot: buffer ?? snapshot,
      createPyodideModule: async (moduleSettings) => {
        const module = await create(moduleSettings);
        // Pyodide restores the snapshot into memory as large as a fresh
        // start's: grow it first (malloc grows the heap; the snapshot then
        // overwrites the allocator's state anyway).
        while (module.HEAP8.length < size) {
          if (!module._malloc(1 << 20)) {
            throw new RangeError(
              `could not grow WebAssembly memory to ${Math.ceil(size / 2 ** 20)} MB`,
            );
          }
        }
        if (buffer && (await snapshot) !== buffer) {
          throw new Error("the snapshot did not arrive where it was expected");
        }
        return module;
      },
    });
    // The files once Pyodide has finished: written before, the site-packages'
    // metadata would be read at its start (pyodide._package_loader
    // init_loaded_packages), the later files' among them.
    if (stdlib) {
      const { FS } = restored;
      fileArrivingLater(FS, stdlibPath(FS), stdlib.size, stdlib.later, stdlib.now);
    }
    const t = performance.now();
    writeBundles(restored.FS, await files, options.indexURL, (name) => afterStart.get(name));
    restored.filesMs = Math.round(performance.now() - t);
    return restored;
  };
}

/**
 * (snapshot?, files?) => Promise<{pyodide, session, ms}>: a new interpreter
 * restored (with `restoreFrom`, from restorer()) from `snapshot`, by default
 * the one taken at boot, with `files`, by default the boot's bundles; `ms`
 * is how long that took.
 */
export function freshRestorer(restoreFrom, defaultSnapshot, defaultFiles) {
  return async (snapshot = defaultSnapshot, files = defaultFiles) => {
    const started = performance.now();
    let restored;
    try {
      restored = await restoreFrom(snapshot, files, snapshot.byteLength);
    } catch (error) {
      throw new Error(memoryMessage(error, "a fresh Python interpreter"));
    }
    return {
      pyodide: restored,
      session: restored.pyimport("guide_session"),
      ms: Math.round(performance.now() - started),
    };
  };
}

/**
 * (version) => Promise<{snapshot, files, first}>: another Django release,
 * booted once with its bundle (checked with `fetchChecked`) in place of the
 * default Django's among manifest.bundles, and snapshotted like the first
 * interpreter; `first` is that booted interpreter, {pyodide, session, ms}.
 * Booted from scratch, it needs each bundle whole: those of `bundles` (the
 * boot's) are reused, the others (the boot's were restored ones, with the
 * files of the modules its snapshot held empty) fetched.
 */
export function otherDjangoBooter({
  manifest,
  fetchChecked,
  bundles,
  loadPyodide,
  options,
  projectDir,
  wasmData = null,
}) {
  return async (version) => {
    const file = manifest.django?.bundles?.[version];
    if (!file) throw new Error(`Django ${version} is not part of this build of the runtime`);
    const defaultFile = manifest.django.bundles[manifest.django.default];
    const booted = new Map(bundles);
    const files = await Promise.all(
      manifest.bundles.map(async (name) => {
        const wanted = name === defaultFile ? file : name;
        return [wanted, booted.get(wanted) ?? (await fetchChecked(wanted))];
      }),
    );
    const started = performance.now();
    let other;
    try {
      other = await bootPrepared(loadPyodide, options, files, projectDir, {
        setupImports: manifest.setup_imports,
        wasmData,
      });
    } catch (error) {
      throw new Error(memoryMessage(error, `Python with Django ${version}`));
    }
    const snapshot = snapshotOf(other);
    const first = {
      pyodide: other,
      session: other.pyimport("guide_session"),
      ms: Math.round(performance.now() - started),
    };
    return { snapshot, files, first };
  };
}
