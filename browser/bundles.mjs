// The build's bundles (guide.browser_build.bundles.write_bundle), written into an
// Emscripten file system: one FS.writeFile per file, no unzipping, no Python.

/**
 * Write a bundle (a 4-byte little-endian header length, a JSON header
 * {root, files: [[path, size]]}, the files' bytes) into an Emscripten file
 * system. Returns the number of files.
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

/** Write bundles ([[name, bytes]], in order) into an Emscripten file system. */
export function writeBundles(FS, files, indexURL = "") {
  for (const [file, bytes] of files) writeBundle(FS, bytes, indexURL + file);
}
