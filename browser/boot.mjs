// bootRuntime(): load Pyodide, the bundles (the wheels and the example
// project) and, when the engine allows, the build's memory snapshot; then set
// Django up. Nothing here touches the DOM, `self` or Node's fs: the caller
// passes loadPyodide and a fetchBytes function.
import {
  CORE_FILES,
  Downloads,
  fetchBytes,
  firstUnreachable,
  importModule,
  routeRuntimeFetches,
} from "./fetch.mjs";
import { checkedFetcher } from "./integrity.mjs";
import {
  bootPrepared,
  dataFromSnapshot,
  freshRestorer,
  memoryMessage,
  otherDjangoBooter,
  pyodideOptions,
  restorer,
  snapshotOf,
} from "./interpreter.mjs";
import { KeptFiles } from "./kept-files.mjs";
import { describeLater, laterDownload } from "./later-file.mjs";
import { InterpreterPool } from "./pool.mjs";
import { bootProgress, instrumentFetch } from "./progress.mjs";
import { snapshotParts, snapshotToUse } from "./start-choice.mjs";
import { cacheCompiledWasm } from "./wasm-cache.mjs";

/**
 * Load Pyodide, the packages and the project, in the state a server's snippet
 * process starts from (Django's framework imported, no settings read); set
 * Django up for the warm interpreter.
 *
 * options:
 *   indexURL      URL (or, under Node, directory path) of the built pyodide/ folder, ending in "/"
 *   manifestURL   its manifest (default: indexURL + "manifest.json"). The site serves
 *                 every file under a name with its content hash in it
 *                 (guide.site.runtime_files): the manifest's `urls` maps each file's
 *                 name to the name it is served under, and every download here and
 *                 Pyodide's own go through that map (routeRuntimeFetches)
 *   loadPyodide   the function exported by pyodide.mjs (default: imported from indexURL)
 *   fetchBytes    (urlOrPath) => Promise<Uint8Array>   (default: fetch)
 *   onProgress    ({type: "progress", phase, loaded, total}) => void
 *   instrument    wrap fetch for byte progress (browser workers; default false)
 *   warmUp        set the warm interpreter up now (default true); false when the
 *                 first run needs a fresh interpreter: the booted one serves it
 *   snapshot      start from the build's memory snapshot (manifest.snapshot;
 *                 default true); false boots Python from scratch and imports
 *                 Django's framework in the browser: 11 MB less to download, a
 *                 few seconds more to start (browser/README.md has the figures)
 *   firstRun      the snippet (its path under snippets/) the reader runs first, if
 *                 known: what it reads of the files that otherwise come after the
 *                 start (manifest.first_runs) downloads before it
 * Returns {pyodide, manifest, versions, timings, run(code, fresh?, onStart?),
 * request(req), check(text), prepareFresh()}: the interpreters behind run() and request()
 * are pool.mjs's (warm and fresh ones).
 *
 * The snapshot the fresh interpreters are restored from is made at build time
 * in headless Chromium (guide.browser_build.snapshot) and downloaded; without it
 * (snapshot: false, an engine without JSPI, or a build without one) it is
 * made here after booting from scratch.
 *
 * timings (ms): download (until the last file needed to start had arrived),
 * compile (the .wasm, streamed while it downloads), pyodide (loadPyodide,
 * including compile), files (bundles written), project (imports, from scratch
 * only), snapshot (taking it, from scratch only), setup, total.
 */
export async function bootRuntime({
  loadPyodide: givenLoadPyodide,
  indexURL,
  manifestURL = `${indexURL}manifest.json`,
  fetchBytes: getBytes = fetchBytes,
  onProgress = () => {},
  instrument = false,
  warmUp = true,
  snapshot: useSnapshot = true,
  firstRun = null,
}) {
  const t0 = performance.now();
  const timings = {};
  const manifest = JSON.parse(new TextDecoder().decode(await getBytes(manifestURL)));
  const snapshotFile = snapshotToUse(manifest, useSnapshot);
  // Restored from the snapshot, files that come after the start (later-file.mjs),
  // except those the first run reads (manifest.first_runs), fetched with the rest.
  const later = Boolean(snapshotFile) && /^https?:/.test(indexURL);
  const ahead = ((later && manifest.first_runs?.[firstRun]) || []).filter((file) =>
    manifest.after_start?.includes(file),
  );
  const progress = bootProgress(manifest, snapshotFile, onProgress, ahead);
  progress.report("runtime");
  const wasmCache = cacheCompiledWasm();
  routeRuntimeFetches(indexURL, wasmCache, manifest.urls);
  // From the snapshot, the .wasm compiles (streamed) from now on, while the
  // other files load and Pyodide's modules are imported.
  if (snapshotFile && /^https?:/.test(indexURL)) {
    wasmCache?.precompile(`${indexURL}pyodide.asm.wasm`);
  }
  const servedAs = (file) => indexURL + (manifest.urls?.[file] ?? file);
  const loadPyodide = givenLoadPyodide ?? (await importModule(servedAs("pyodide.mjs"))).loadPyodide;
  // The snapshot and the bundles as checked on an earlier visit, else downloaded
  // and checked (kept-files.mjs); they load while Pyodide's own files do.
  const kept = new KeptFiles(checkedFetcher(getBytes, indexURL, manifest), indexURL, manifest);
  const fetchChecked = (file) => kept.get(file);
  const downloads = new Downloads(fetchChecked, progress);
  const parts = snapshotFile ? snapshotParts(manifest, snapshotFile) : [];
  const partSizes = parts.map((part) => manifest.files[part].size);
  const joined = snapshotFile ? downloads.joined(parts, partSizes) : null;
  const snapshotDownload = joined?.whole ?? null;
  // The .wasm comes without its data segments (guide.browser_build.wasm_data),
  // which every interpreter needs before its code runs: from the snapshot's
  // copy and how they differ (a small file), else downloaded whole. Once per worker.
  const { wasm_data: data } = manifest;
  let wasmBytes = null;
  const wasmData = data
    ? () =>
        (wasmBytes ??=
          snapshotFile && data.snapshot_difference
            ? dataFromSnapshot(
                joined.first,
                snapshotDownload,
                downloads.start(data.snapshot_difference),
                data.offset,
              )
            : downloads.start(data.file).then((bytes) => ({ offset: data.offset, bytes })))
    : null;
  wasmData?.(); // with the other downloads
  // Restored from the snapshot, Python holds some modules already: their files
  // come empty, and those a first run does not read come after the start
  // (guide.browser_build.held_files; read first, a file is downloaded
  // synchronously: over HTTP only). From scratch, every file.
  const files = downloads.all((later && manifest.restored_bundles) || manifest.bundles || []);
  // Restored, Python starts without reading the standard library or the later
  // bundles: they are downloaded once the reader's runs have paused (the pool's
  // whenIdle), not to share the network or the worker with them (later-file.mjs).
  // If Python needs one first and it cannot be downloaded, the pool reports why
  // (its `failure`) instead of what Python made of the failed read.
  const afterStart = new Map(
    (later ? (manifest.after_start ?? []) : []).map((file) => [
      file,
      laterDownload(
        () => downloads.start(file),
        servedAs(file),
        manifest.files[file].size,
        describeLater(file),
        (bytes) => kept.adopt(file, bytes),
      ),
    ]),
  );
  // ...except `ahead`, what the run that started the load reads first (manifest.first_runs:
  // found at build, guide.browser_build.first_runs): they download with the rest,
  // and Python starts once they have arrived (if one fails, a read says why).
  for (const file of ahead) afterStart.get(file).start();
  const startFiles = ahead.length
    ? Promise.all([
        files,
        ...ahead.map((file) => afterStart.get(file).later.catch(() => null)),
      ]).then(([bundles]) => bundles)
    : files;

  const printed = { stdout: [], stderr: [] };
  const options = pyodideOptions(indexURL, {
    stdout: (line) => printed.stdout.push(line),
    stderr: (line) => printed.stderr.push(line),
  });
  const asmModule = await importModule(servedAs("pyodide.asm.mjs"));
  // Pyodide would import pyodide.asm.mjs by that name: hand it the one imported here.
  options.createPyodideModule = asmModule.default;
  const restoreFrom = restorer(loadPyodide, options, asmModule, wasmData, afterStart);
  /**
   * Pyodide's own message ("Program terminated with exit(1)") rarely names
   * the cause: name a core file that cannot be fetched.
   */
  const startError = async (error) => {
    const missing = progress.failed ?? (await firstUnreachable(indexURL, CORE_FILES));
    return new Error(
      `Could not start Pyodide from ${indexURL}: ${missing ? `${missing} could not be loaded` : error.message}`,
    );
  };
  const start = {
    loadPyodide,
    options,
    indexURL,
    files: startFiles,
    progress,
    startError,
    timings,
    t0,
  };

  const restoreFetch = instrument ? instrumentFetch(progress) : () => {};
  let booted;
  try {
    booted = snapshotFile
      ? await startFromSnapshot({
          ...start,
          restoreFrom,
          snapshotDownload,
          buffer: joined.buffer,
          size: joined.buffer.byteLength,
        })
      : await startFromScratch({
          ...start,
          projectDir: manifest.project.dir,
          setupImports: manifest.setup_imports,
          wasmData,
        });
    timings.download = Math.round(downloads.lastArrival - t0);
    // Pyodide only logs a standard library it could not install, and Python
    // restored from a snapshot starts without reading it: check it is there.
    const { pyodide } = booted;
    if (
      !pyodide.FS.analyzePath(
        `/lib/python${pyodide.runPython("import sys; '%d%d' % sys.version_info[:2]")}.zip`,
      ).exists
    ) {
      throw await startError(
        new Error("the standard library (python_stdlib.zip) could not be installed"),
      );
    }
  } finally {
    restoreFetch();
  }
  const { pyodide, snapshot, bundles } = booted;
  progress.done(...CORE_FILES);
  timings.compile = wasmCache?.compileMs ?? null;
  timings.snapshotBytes = snapshot.byteLength;

  const pool = new InterpreterPool({
    first: { pyodide, session: pyodide.pyimport("guide_session"), ms: 0 },
    restore: freshRestorer(restoreFrom, snapshot, bundles),
    bootOther: otherDjangoBooter({
      manifest,
      fetchChecked,
      bundles,
      loadPyodide,
      options,
      projectDir: manifest.project.dir,
      wasmData,
    }),
    project: manifest.project,
    manifest,
    printed,
    failure: () => [...afterStart.values()].find((file) => file.failure)?.failure ?? null,
    whenIdle: () => {
      for (const file of afterStart.values()) file.start();
    },
  });
  progress.report("setup");
  const t3 = performance.now();
  const versions = warmUp
    ? await pool.warmUp()
    : JSON.parse(
        pyodide.runPython("import json, guide_session; json.dumps(guide_session._versions())"),
      );
  versions.pyodide = manifest.pyodide;
  timings.setup = Math.round(performance.now() - t3);
  timings.total = Math.round(performance.now() - t0);
  progress.report("ready");
  // Keep what was downloaded for the next visit, now that Python has started.
  kept.store();

  return {
    pyodide,
    manifest,
    versions,
    timings,
    /** Run pycon text (or a plain script); resolves to {output, stderr, truncated}. */
    run: (code, fresh = null, onStart = () => {}) => pool.run(code, fresh, onStart),
    /** Restore a spare fresh interpreter now, so that the next fresh run starts at once. */
    prepareFresh: () => pool.prepareFresh(),
    /** One HTTP request; resolves to {status, headers, body, messages, truncated}. */
    request: (request) => pool.request(request),
    /** The command checker's report on a server command line: {server, findings} or {error}. */
    check: (text) => pool.check(text),
  };
}

/**
 * Start from the build's snapshot: the snapshot is the interpreter's memory,
 * the bundles its files; Pyodide compiles the .wasm and fetches the standard
 * library meanwhile. Resolves to {pyodide, snapshot, bundles}.
 */
async function startFromSnapshot({
  restoreFrom,
  snapshotDownload,
  buffer,
  size,
  files,
  progress,
  startError,
  timings,
  t0,
}) {
  let pyodide;
  try {
    pyodide = await restoreFrom(snapshotDownload, files, size, buffer);
  } catch (error) {
    // A file that failed its sha256 check or could not be downloaded: that message.
    await Promise.all([snapshotDownload, files]);
    if (progress.failed) throw await startError(error);
    throw new Error(memoryMessage(error, "Python"));
  }
  const [snapshot, bundles] = await Promise.all([snapshotDownload, files]);
  timings.files = pyodide.filesMs;
  timings.pyodide = Math.round(performance.now() - t0) - timings.files;
  progress.report("packages");
  return { pyodide, snapshot, bundles };
}

/**
 * Start from scratch (bootPrepared) and take the snapshot the fresh
 * interpreters are restored from. Resolves to {pyodide, snapshot, bundles}.
 * timings: "pyodide" in ms from the start; "files", "project", "snapshot"
 * each phase's own.
 */
async function startFromScratch({
  loadPyodide,
  options,
  files,
  projectDir,
  setupImports,
  wasmData,
  progress,
  startError,
  timings,
  t0,
}) {
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
  let pyodide;
  try {
    pyodide = await bootPrepared(loadPyodide, options, files, projectDir, {
      onPhase,
      setupImports,
      wasmData,
    });
  } catch (error) {
    if (booted) throw error; // a bundle that failed its check, or the project
    throw await startError(error);
  }
  const bundles = await files;
  const t = performance.now();
  const snapshot = snapshotOf(pyodide);
  timings.snapshot = Math.round(performance.now() - t);
  return { pyodide, snapshot, bundles };
}
