// Which start: from the build's memory snapshot, or Python booted from scratch.

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

/**
 * The snapshot file to start from (manifest.snapshot), or null to boot from
 * scratch: when `wanted` is false, the build has none, or this engine's JSPI
 * differs from the one that made it. Pyodide keeps in its memory how the
 * engine stack switches (JSPI): a snapshot made with it restores faithfully
 * only in an engine that has it too (restored in Chromium, a snapshot made in
 * Node without JSPI said "not supported" to every asyncio.run(); one made with
 * Node 20's older JSPI API hung).
 */
export function snapshotToUse(manifest, wanted = true, jspi = hasJspi()) {
  return wanted && manifest.snapshot_jspi === jspi ? (manifest.snapshot ?? null) : null;
}

/**
 * The files of the snapshot `snapshotFile` (manifest.snapshot), in the order
 * they join: manifest.snapshot_parts (guide.browser_build.snapshot_parts), or
 * the one file of a build without parts.
 */
export function snapshotParts(manifest, snapshotFile) {
  return manifest.snapshot_parts ?? [snapshotFile];
}
