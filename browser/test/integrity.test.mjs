// integrity.mjs: the sha256 checks, without a build.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, test } from "node:test";

import { base64ToHex, checkedFetcher, matchesIntegrity, sha256Hex } from "../integrity.mjs";

const bytes = new TextEncoder().encode("django on asgi\n");
const hex = createHash("sha256").update(bytes).digest("hex");
const sri = `sha256-${createHash("sha256").update(bytes).digest("base64")}`;

describe("sha256 checks", () => {
  test("sha256Hex agrees with node:crypto, and with the empty input's known digest", async () => {
    assert.equal(await sha256Hex(bytes), hex);
    assert.equal(
      await sha256Hex(new Uint8Array(0)),
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
  });

  test("base64ToHex", () => {
    assert.equal(base64ToHex("AAEC/w=="), "000102ff");
    assert.equal(base64ToHex(sri.slice("sha256-".length)), hex);
  });

  test("matchesIntegrity: an SRI string from the lock file, with or without its prefix", async () => {
    assert.equal(await matchesIntegrity(bytes, sri), true);
    assert.equal(await matchesIntegrity(bytes, sri.slice("sha256-".length)), true);
    assert.equal(await matchesIntegrity(new TextEncoder().encode("other"), sri), false);
  });
});

describe("checkedFetcher: files of the build checked against manifest.json", () => {
  const manifest = {
    files: { "good.bundle": { sha256: hex }, "bad.bundle": { sha256: "0".repeat(64) } },
  };
  const asked = [];
  const getBytes = async (url) => {
    asked.push(url);
    return bytes;
  };
  const fetchChecked = checkedFetcher(getBytes, "/runtime/pyodide/", manifest);

  test("a file that matches: its bytes, read from indexURL + name", async () => {
    assert.equal(await fetchChecked("good.bundle"), bytes);
    assert.deepEqual(asked, ["/runtime/pyodide/good.bundle"]);
  });

  test("a file that does not match, or that manifest.json does not list: an error naming it", async () => {
    await assert.rejects(fetchChecked("bad.bundle"), {
      message:
        "Integrity check failed for /runtime/pyodide/bad.bundle: its sha256 does not match manifest.json",
    });
    await assert.rejects(
      fetchChecked("unlisted.bundle"),
      /unlisted\.bundle: its sha256 does not match/,
    );
  });

  test("a download error passes through", async () => {
    const failing = checkedFetcher(
      async (url) => {
        throw new Error(`Could not download ${url}: HTTP 404 Not Found`);
      },
      "/p/",
      manifest,
    );
    await assert.rejects(failing("good.bundle"), {
      message: "Could not download /p/good.bundle: HTTP 404 Not Found",
    });
  });
});
