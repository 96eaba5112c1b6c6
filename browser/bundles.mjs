// The build's bundles (guide.browser_build.bundles.write_bundle), written into an
// Emscripten file system: one FS.writeFile per file, no unzipping, no Python.
import { fileArrivingLater } from "./later-file.mjs";

/**
 * A bundle's root, its `later` listing (or []), and its files as [[relative path,
 * bytes]] (views into `bytes`, in order); throws, naming it, if `bytes` is not a
 * bundle or is truncated or has extra bytes.
 */
function readBundle(bytes, name) {
  let header;
  let offset;
  try {
    const size = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true);
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + size)));
    offset = 4 + size;
  } catch (error) {
    throw new Error(`${name} is not a bundle: ${error.message}`);
  }
  const files = header.files.map(([rel, size]) => {
    const file = [rel, bytes.subarray(offset, offset + size)];
    offset += size;
    return file;
  });
  if (offset !== bytes.byteLength) throw new Error(`${name} is truncated or has extra bytes`);
  return { root: header.root, later: header.later ?? [], files };
}

/** Each later bundle's files, read once: bundle bytes => Map(relative path => bytes). */
const readFiles = new WeakMap();

/** The bytes of the file `rel` in the later bundle `bytes` (empty if it is not there). */
function fileIn(bytes, rel) {
  if (!readFiles.has(bytes))
    readFiles.set(bytes, new Map(readBundle(bytes, "a later bundle").files));
  return readFiles.get(bytes).get(rel) ?? new Uint8Array(0);
}

/**
 * Write a bundle (a 4-byte little-endian header length, a JSON header
 * {root, files: [[path, size]]}, the files' bytes) into an Emscripten file
 * system. Returns the number of files.
 *
 * A restored bundle's header may list files whose bytes come in other bundles,
 * downloaded later (`later`: [{bundle, files: [[path, size]]}];
 * guide.browser_build.held_files): each is made at once with its size, its
 * bytes read from its bundle when that arrives or when Python first reads it
 * (later-file.mjs). `laterDownloads(name)` gives that bundle's laterDownload().
 */
export function writeBundle(FS, bytes, name = "bundle", laterDownloads = () => null) {
  const { root, later, files } = readBundle(bytes, name);
  const made = new Set();
  const place = (rel) => {
    const path = `${root}/${rel}`;
    const dir = path.slice(0, path.lastIndexOf("/"));
    if (!made.has(dir)) {
      FS.mkdirTree(dir);
      made.add(dir);
    }
    return path;
  };
  for (const [rel, data] of files) FS.writeFile(place(rel), data);
  let count = files.length;
  for (const { bundle, files: listed } of later) {
    const download = laterDownloads(bundle);
    if (!download) throw new Error(`${name} has files that come in ${bundle}, not downloaded here`);
    for (const [rel, size] of listed) {
      const path = place(rel);
      FS.writeFile(path, new Uint8Array(0));
      fileArrivingLater(
        FS,
        path,
        size,
        download.later.then((arrived) => fileIn(arrived, rel)),
        () => fileIn(download.now(), rel),
      );
    }
    count += listed.length;
  }
  return count;
}

/** Write bundles ([[name, bytes]], in order) into an Emscripten file system. */
export function writeBundles(FS, files, indexURL = "", laterDownloads = () => null) {
  for (const [file, bytes] of files) writeBundle(FS, bytes, indexURL + file, laterDownloads);
}
