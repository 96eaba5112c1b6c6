// start-choice.mjs: from the build's snapshot or from scratch, without a build.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { hasJspi, prefersLeanStart, snapshotParts, snapshotToUse } from "../start-choice.mjs";

describe("which start the worker picks (navigator.connection)", () => {
  test("from the snapshot by default, and on a 4G connection whatever its downlink estimate", () => {
    assert.equal(prefersLeanStart(undefined), false);
    assert.equal(prefersLeanStart({}), false);
    assert.equal(prefersLeanStart({ effectiveType: "4g", downlink: 10, saveData: false }), false);
    // What a fresh headless Chromium reports on this machine, with no measurements yet.
    assert.equal(
      prefersLeanStart({ effectiveType: "4g", downlink: 1.4, rtt: 100, saveData: false }),
      false,
    );
  });
  test("from scratch when the reader saves data or the connection is 2G/3G", () => {
    assert.equal(prefersLeanStart({ effectiveType: "4g", downlink: 10, saveData: true }), true);
    assert.equal(prefersLeanStart({ effectiveType: "3g", downlink: 10 }), true);
    assert.equal(prefersLeanStart({ effectiveType: "slow-2g" }), true);
  });
});

describe("which snapshot the runtime starts from (snapshotToUse)", () => {
  const manifest = { snapshot: "snapshot.bin", snapshot_jspi: true };

  test("the build's, when wanted and made with the JSPI this engine has", () => {
    assert.equal(snapshotToUse(manifest, true, true), "snapshot.bin");
  });
  test("none when not wanted, when the JSPI differs, or when the build has none", () => {
    assert.equal(snapshotToUse(manifest, false, true), null);
    assert.equal(snapshotToUse(manifest, true, false), null);
    assert.equal(snapshotToUse({ snapshot_jspi: true }, true, true), null);
    assert.equal(
      snapshotToUse({ snapshot: "snapshot.bin", snapshot_jspi: false }, true, false),
      "snapshot.bin",
    );
  });
  test("by default, this engine's JSPI: Node 20 has no WebAssembly.Suspending", () => {
    assert.equal(hasJspi(), "Suspending" in WebAssembly);
    assert.equal(snapshotToUse(manifest), hasJspi() ? "snapshot.bin" : null);
  });
});

describe("the files of the snapshot (snapshotParts)", () => {
  test("the manifest's parts, in order", () => {
    const parts = ["snapshot.part1.bin", "snapshot.part2.bin"];
    assert.deepEqual(
      snapshotParts({ snapshot: "snapshot.bin", snapshot_parts: parts }, "snapshot.bin"),
      parts,
    );
  });
  test("the one file of a build without parts", () => {
    assert.deepEqual(snapshotParts({ snapshot: "snapshot.bin" }, "snapshot.bin"), ["snapshot.bin"]);
  });
});
