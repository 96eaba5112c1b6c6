// Helpers to run the browser runtime under Node, against a built OUTDIR.
// OUTDIR comes from $BROWSER_BUILD (default: build/browser, made by
// `python -m guide.browser_build.build build/browser`).
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";

import { bootRuntime } from "../boot.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const OUTDIR = path.resolve(ROOT, process.env.BROWSER_BUILD ?? "build/browser");

/** fetchBytes for Node: plain file paths. */
export const readBytes = async (file) => {
  try {
    return new Uint8Array(await fs.readFile(file));
  } catch (error) {
    throw new Error(
      `Could not download ${file}: ${error.code === "ENOENT" ? "file not found" : error.message}`,
    );
  }
};

/** bootRuntime() in this thread. */
export async function bootNode({
  outdir = OUTDIR,
  onProgress,
  warmUp = true,
  snapshot = true,
} = {}) {
  const indexURL = `${path.join(outdir, "pyodide")}/`;
  const { loadPyodide } = await import(pathToFileURL(path.join(indexURL, "pyodide.mjs")).href);
  return bootRuntime({
    loadPyodide,
    indexURL,
    fetchBytes: readBytes,
    onProgress,
    warmUp,
    snapshot,
  });
}

/**
 * A worker_threads Worker running node-worker.mjs, dressed as a browser
 * Worker (onmessage/onerror/postMessage/terminate), for PyRunner({createWorker}).
 */
export function createNodeWorker() {
  const worker = new Worker(new URL("./node-worker.mjs", import.meta.url), {
    workerData: { outdir: OUTDIR },
  });
  const facade = {
    onmessage: null,
    onerror: null,
    postMessage: (message) => worker.postMessage(message),
    terminate: () => worker.terminate(),
  };
  worker.on("message", (data) => facade.onmessage?.({ data }));
  worker.on("error", (error) => facade.onerror?.({ message: error.message }));
  return facade;
}

/** What a run of ``source`` printed (its output), for one assert.equal. */
export async function outputOf(runtime, source, options) {
  return (await runtime.run(source, options)).output;
}

export const PYODIDE_DIR = path.join(OUTDIR, "pyodide");
const NO_BUILD = existsSync(path.join(PYODIDE_DIR, "manifest.json"))
  ? null
  : `No build in ${OUTDIR}: run \`python -m guide.browser_build.build ${path.relative(process.cwd(), OUTDIR)}\` first`;
// A build asked for by name must be there; the default one may be missing.
if (NO_BUILD && process.env.BROWSER_BUILD) throw new Error(NO_BUILD);
export const needsBuild = { skip: NO_BUILD ?? false };
