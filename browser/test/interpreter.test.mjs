// interpreter.mjs without a build: the .wasm's data from the snapshot.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { dataFromSnapshot } from "../interpreter.mjs";

/** A snapshot as Pyodide 314 writes one: a header whose second word is where memory starts. */
function snapshotWith(memory, start = 16) {
  const bytes = new Uint8Array(start + memory.length);
  new DataView(bytes.buffer).setUint32(4, start, true);
  bytes.set(memory, start);
  return bytes;
}

describe("dataFromSnapshot", () => {
  const memory = new Uint8Array([0, 0, 5, 6, 7, 0, 9, 9]);
  const difference = new Uint8Array([1, 1, 1]); // the .wasm's data XOR memory[2..5]
  const expected = { offset: 2, bytes: new Uint8Array([4, 7, 6]) };

  test("from the first part when it holds that memory, without waiting for the rest", async () => {
    const snapshot = snapshotWith(memory);
    const first = snapshot.subarray(0, 16 + 5);
    const never = new Promise(() => {});
    assert.deepEqual(await dataFromSnapshot(first, never, difference, 2), expected);
  });

  test("from the whole snapshot when the first part stops short of it", async () => {
    const snapshot = snapshotWith(memory);
    const first = snapshot.subarray(0, 16 + 4);
    const whole = Promise.resolve(snapshot);
    assert.deepEqual(await dataFromSnapshot(first, whole, difference, 2), expected);
  });
});
