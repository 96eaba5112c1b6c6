// runner.mjs without a build: what needs no worker.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { PyRunner, RunnerTimeoutError } from "../runner.mjs";

describe("PyRunner without a runtime", () => {
  test("the default timeout message says 10 s", () => {
    assert.equal(
      new RunnerTimeoutError(10).message,
      "Stopped after 10 s: the code did not finish (infinite loop?). The Python runtime was restarted.",
    );
  });

  test("no WebAssembly: a clear error, no worker", async () => {
    const saved = globalThis.WebAssembly;
    try {
      delete globalThis.WebAssembly;
      const r = new PyRunner({ createWorker: () => assert.fail("no worker expected") });
      await assert.rejects(r.run("1"), /WebAssembly is not available/);
    } finally {
      globalThis.WebAssembly = saved;
    }
  });
});

describe("PyRunner.init", () => {
  test("tells the worker how the first run starts: its interpreter, its snippet", () => {
    const posted = [];
    const worker = { postMessage: (message) => posted.push(message), terminate: () => {} };
    const runner = new PyRunner({ createWorker: () => worker, manifestURL: "m.json" });
    runner.init(undefined, { warm: false, snippet: "howto/websockets/consumer.pycon" });
    runner.init(undefined, { snippet: "another.pycon" }); // once started, the same load
    assert.deepEqual(posted, [
      {
        type: "init",
        manifestURL: "m.json",
        warm: false,
        snippet: "howto/websockets/consumer.pycon",
      },
    ]);
    const plain = [];
    new PyRunner({
      createWorker: () => ({ postMessage: (message) => plain.push(message) }),
    }).init();
    assert.deepEqual(plain, [{ type: "init" }]);
  });
});
