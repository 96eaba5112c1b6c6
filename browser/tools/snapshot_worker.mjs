// Build step, in a Web Worker of headless Chromium: the memory snapshot the
// browser starts Python from. Loaded by guide.browser_build.snapshot, which serves
// OUTDIR (this file as /snapshot_worker.mjs, beside the runtime's modules) and receives the
// snapshot by POST /snapshot.bin.
//
// It boots the built runtime exactly as the worker does without a snapshot
// (interpreter.mjs bootPrepared: Pyodide, the bundles of manifest.json,
// guide_session.prepare(): Django's framework imported, no settings read) and
// takes pyodide.makeMemorySnapshot(), its free memory zeroed first
// (interpreter.mjs zeroFreeMemory). It is made in Chromium, not Node,
// because Pyodide keeps in its memory how the engine stack switches (JSPI):
// a snapshot is only faithful in an engine with the same JSPI as the one that
// made it (Node 20 has at most the older API, behind a flag), so the worker
// restores it only where WebAssembly.Suspending exists (start-choice.mjs).
// Given {firstRuns} (guide.browser_build.first_runs) in its first message, posts
// {ok, bytes, jspi, timings, held, zeroed, setupImports, firstRunReads} or {ok: false, error};
// held: the files the modules in the snapshot were imported from (their code is in the
// snapshot's memory: guide.browser_build.held_files); setupImports: what django.setup()
// imports for the project, found in a throwaway interpreter first (the snapshot's holds those
// of them that import without settings, as the test suite's fork server does:
// guide.browser_build.preload); firstRunReads: {start, snippets}, the files opened by an
// interpreter restored from the snapshot while the page's pool set it up as the warm one,
// and, for each of firstRuns ({text, fresh}), while a pool of its own ran it in another
// (guide.browser_build.held_files: what the start does not read comes after it).
import {
  bootPrepared,
  pyodideOptions,
  restorer,
  snapshotOf,
  zeroFreeMemory,
} from "./interpreter.mjs";
import { InterpreterPool } from "./pool.mjs";
import { hasJspi } from "./start-choice.mjs";

async function make(firstRuns) {
  const indexURL = new URL("./pyodide/", import.meta.url).href;
  const get = async (file) => {
    const response = await fetch(indexURL + file);
    if (!response.ok) throw new Error(`${indexURL + file}: HTTP ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  };
  const manifest = JSON.parse(new TextDecoder().decode(await get("manifest.json")));
  const { loadPyodide } = await import(`${indexURL}pyodide.mjs`);
  const files = await Promise.all(manifest.bundles.map(async (file) => [file, await get(file)]));
  const printed = [];
  const options = pyodideOptions(indexURL, {
    stdout: (line) => printed.push(line),
    stderr: (line) => printed.push(line),
  });
  const t0 = performance.now();
  // The .wasm is served without its data segments: a boot from scratch writes
  // them (fetched once, for both interpreters).
  const asmModule = await import(`${indexURL}pyodide.asm.mjs`);
  options.createPyodideModule = asmModule.default;
  const data = manifest.wasm_data;
  const dataBytes = data && get(data.file).then((bytes) => ({ offset: data.offset, bytes }));
  const wasmData = data ? () => dataBytes : null;
  // A throwaway interpreter sets Django up, as a snippet's process would, to
  // find which modules that imports (guide_preload.setup_imports)...
  const scout = await bootPrepared(loadPyodide, options, files, manifest.project.dir, {
    wasmData,
  });
  const setupImports = JSON.parse(
    scout.runPython(
      `import guide_session; guide_session.setup_imports(${JSON.stringify(manifest.project.dir)})`,
    ),
  );
  printed.length = 0; // what setting Django up printed is not the snapshot's
  // ...and the snapshot's imports those of them that import without settings.
  const pyodide = await bootPrepared(loadPyodide, options, files, manifest.project.dir, {
    setupImports,
    wasmData,
  });
  const t1 = performance.now();
  const held = JSON.parse(
    pyodide.runPython(
      "import json, sys\n" +
        "json.dumps(sorted({m.__spec__.origin for m in list(sys.modules.values())\n" +
        "    if getattr(m, '__spec__', None) and m.__spec__.has_location}))",
    ),
  );
  pyodide.runPython("import gc; gc.collect()");
  const zeroed = zeroFreeMemory(pyodide); // 0.7 MB less brotli when this was written
  const snapshot = snapshotOf(pyodide);
  const t2 = performance.now();
  if (printed.length)
    throw new Error(`unexpected output while preparing the snapshot:\n${printed.join("\n")}`);
  // What a reader's first run opens, in interpreters restored from this snapshot
  // as the page's are (guide.browser_build.held_files): the warm interpreter set up...
  const restoreFrom = restorer(loadPyodide, options, asmModule, wasmData);
  const opened = async (work) => {
    const restored = await restoreFrom(snapshot, files, snapshot.byteLength);
    const session = restored.pyimport("guide_session");
    session.record_opens();
    const pool = new InterpreterPool({
      first: { pyodide: restored, session, ms: 0 },
      restore: () => Promise.reject(new Error("one interpreter per run here")),
      bootOther: () => Promise.reject(new Error("the default Django only")),
      project: manifest.project,
      manifest,
      printed: { stdout: [], stderr: [] },
      whenIdle: null,
    });
    await work(pool);
    // (a fresh run destroys the pool's proxy of the module)
    return JSON.parse(restored.runPython("import guide_session; guide_session.opened()"));
  };
  const start = await opened((pool) => pool.warmUp());
  // ...and, each in an interpreter of its own, the snippet each page runs first
  // (guide.browser_build.first_runs), as a first Run on that page runs it.
  const snippets = [];
  for (const run of firstRuns) snippets.push(await opened((pool) => pool.run(run.text, run.fresh)));
  const t3 = performance.now();
  const response = await fetch(new URL("/snapshot.bin", import.meta.url), {
    method: "POST",
    body: snapshot,
  });
  if (!response.ok) throw new Error(`POST /snapshot.bin: HTTP ${response.status}`);
  return {
    ok: true,
    bytes: snapshot.byteLength,
    jspi: hasJspi(),
    held,
    zeroed,
    setupImports,
    firstRunReads: { start, snippets },
    timings: {
      prepare: Math.round(t1 - t0),
      snapshot: Math.round(t2 - t1),
      firstRuns: Math.round(t3 - t2),
    },
  };
}

// The snippets readers run first come in the first message (guide.browser_build.snapshot).
self.onmessage = ({ data }) =>
  make(data.firstRuns).then(
    (report) => self.postMessage(report),
    (error) =>
      self.postMessage({
        ok: false,
        // Emscripten throws plain objects too ({name, message, status}: an exit status).
        error: String(error?.stack ?? error?.message ?? JSON.stringify(error)),
      }),
  );
