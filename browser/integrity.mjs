// sha256 checks of downloaded files: against manifest.json's hex digests, and
// against the Subresource Integrity strings ("sha256-BASE64") that Pyodide
// passes from pyodide-lock.json when it fetches a package.

/** The sha256 of `bytes`, in hex. */
export async function sha256Hex(bytes) {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A base64 digest in hex. */
export function base64ToHex(b64) {
  return Array.from(atob(b64), (c) => c.charCodeAt(0).toString(16).padStart(2, "0")).join("");
}

/** Whether `bytes` match an integrity string "sha256-BASE64". */
export async function matchesIntegrity(bytes, integrity) {
  return (await sha256Hex(bytes)) === base64ToHex(integrity.replace(/^sha256-/, ""));
}

/**
 * (file) => Promise<Uint8Array>: a file of the build at `indexURL`, read with
 * `getBytes(url)` and checked against its sha256 in `manifest.files`.
 */
export function checkedFetcher(getBytes, indexURL, manifest) {
  return async (file) => {
    const bytes = await getBytes(indexURL + file);
    if ((await sha256Hex(bytes)) !== manifest.files[file]?.sha256) {
      throw new Error(
        `Integrity check failed for ${indexURL + file}: its sha256 does not match manifest.json`,
      );
    }
    return bytes;
  };
}
