// Files of Pyodide's file system whose bytes arrive after Python has started.
//
// Restored from the memory snapshot, Python starts without reading the
// standard library's zip (the modules it imported are in the snapshot, and
// zipimport's table of the zip's contents too): its 1.6 MB need not be
// downloaded before the first result. Nor need the files of the packages that
// a first run does not read (the later bundles: guide.browser_build.held_files).
// The restored interpreter gets an empty zip at once and then a node in its
// place, and a node for each later file: its size is the real file's from the
// start, and its bytes are those of the download (`later`) once that has
// arrived. If Python reads one first, the read waits for a synchronous
// download (`now`, allowed in a worker) rather than fail, and Python reads
// the same bytes either way. If that download fails too, the read fails with
// EIO (an OSError in Python) and `now` is left to say why.

/** The standard library's zip, as manifest.json names it. */
export const STDLIB = "python_stdlib.zip";

/**
 * Make the file at `path` (which exists) a file of `size` bytes whose bytes
 * come from the promise `later`, or from `now()` (returns them, synchronously)
 * if a read comes first. Returns {source}: "later" or "now" once the bytes are
 * there, null before.
 */
export function fileArrivingLater(FS, path, size, later, now) {
  const { node } = FS.lookupPath(path);
  const state = { source: null };
  let bytes = null;
  /** Take `value` as the file's bytes (the first that come); false if its size is wrong. */
  const arrived = (value, source) => {
    if (value.length !== size) return false;
    bytes ??= value;
    state.source ??= source;
    return true;
  };
  later.then(
    (value) => arrived(value, "later"), // wrong-sized: a read downloads it now
    () => {}, // a failed download: a read downloads it now, and says why if that fails too
  );
  const contents = () => {
    if (bytes) return bytes;
    let value = null;
    try {
      value = now();
    } catch {} // `now` says why (laterDownload)
    // Python gets EIO, an OSError, and the import fails.
    if (!value || !arrived(value, "now")) throw new FS.ErrnoError(29);
    return bytes;
  };
  // Written to (nothing writes the standard library), it becomes a plain file again.
  const settle = () => {
    const current = contents();
    delete node.contents;
    delete node.usedBytes;
    node.contents = current.slice(); // its own copy: other interpreters read the same bytes
    node.usedBytes = current.length;
  };
  Object.defineProperty(node, "contents", {
    configurable: true,
    get: contents,
    set: (value) => {
      settle();
      node.contents = value;
    },
  });
  Object.defineProperty(node, "usedBytes", {
    configurable: true,
    get: () => (bytes ? bytes.length : size),
    set: (value) => {
      settle();
      node.usedBytes = value;
    },
  });
  return state;
}

/**
 * A file of the build downloaded after the start (manifest.after_start), as
 * restorer() takes it (interpreter.mjs): `download()` starts its checked
 * download when `start()` is called (`later` resolves to its bytes); `url`,
 * where it is served; `size`, its bytes in manifest.json; `what`, what it is,
 * for a message. `now()` returns its bytes if they have arrived, else
 * downloads them synchronously (once: the bytes are kept, and so is a
 * failure), for a read that comes first; if it did, `start()` hands those
 * bytes to `keep` (resolves to them once kept for the next visit) instead of
 * downloading them again. `failure` stays null unless that synchronous
 * download failed: then it is the message to show.
 */
export function laterDownload(download, url, size, what, keep = async (bytes) => bytes) {
  let begin;
  const later = new Promise((resolve) => {
    begin = resolve;
  });
  let started = false;
  let arrived = null;
  let gotNow = null;
  let error = null;
  later.then(
    (bytes) => {
      arrived = bytes;
    },
    () => {}, // a read downloads it then
  );
  const file = {
    later,
    size,
    failure: null,
    start: () => {
      if (!started) begin(gotNow ? keep(gotNow) : download());
      started = true;
    },
    now: () => {
      if (arrived?.length === size) return arrived;
      if (gotNow) return gotNow;
      if (error) throw error;
      try {
        const bytes = fetchNow(url);
        if (bytes.length !== size) {
          throw new Error(`${bytes.length} bytes arrived, manifest.json says ${size}`);
        }
        gotNow = bytes;
        return bytes;
      } catch (caught) {
        error = caught;
        file.failure = `Could not load ${what}: ${caught.message}`;
        throw caught;
      }
    },
  };
  return file;
}

/** What a file of manifest.after_start is, for a message. */
export function describeLater(file) {
  return file === STDLIB ? `the standard library (${file})` : `part of Python's packages (${file})`;
}

/** The path of the standard library's zip in Pyodide's file system (/lib/python314.zip). */
export function stdlibPath(FS) {
  const name = FS.readdir("/lib").find((entry) => /^python\d+\.zip$/.test(entry));
  if (!name) throw new Error("the standard library's zip is not in /lib");
  return `/lib/${name}`;
}

/**
 * The bytes at `url`, by a synchronous request (workers only); throws with the
 * status. The request asks for `url?now`: the same file to a static host, but
 * not the same entry of the browser's HTTP cache. For the same URL, Chromium
 * made it wait for the download of it already under way, whose body this
 * blocked thread reads: the synchronous request was aborted (net::ERR_ABORTED).
 */
export function fetchNow(url) {
  const request = new XMLHttpRequest();
  request.open("GET", `${url}${url.includes("?") ? "&" : "?"}now`, false);
  request.responseType = "arraybuffer";
  request.send(null);
  if (request.status !== 200) {
    throw new Error(`Could not download ${url}: HTTP ${request.status} ${request.statusText}`);
  }
  return new Uint8Array(request.response);
}
