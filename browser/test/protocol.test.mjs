// protocol.mjs: the worker's message protocol over a fake runtime, without a build.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { createProtocolHandler } from "../protocol.mjs";

/** A runtime as bootRuntime() returns it, recording what it was asked. */
function fakeRuntime() {
  const calls = [];
  return {
    calls,
    versions: { django: "6.1.3" },
    timings: { total: 1 },
    run: async (code, fresh, onStart) => {
      calls.push(["run", code, fresh]);
      onStart();
      if (code === "fail") throw new Error("The Python runtime failed: boom");
      return { output: `ran ${code}\n`, stderr: "", truncated: false };
    },
    request: async (request) => {
      calls.push(["request", request]);
      return { status: 200, headers: [], body: "{}", messages: [], truncated: false };
    },
    prepareFresh: async () => {
      calls.push(["prepareFresh"]);
    },
    check: async (text) => {
      calls.push(["check", text]);
      return text ? { server: "uvicorn", findings: [] } : { error: "Paste a server command." };
    },
  };
}

/** A handler over `runtime`; `boots` counts the boots, `posted` the messages out. */
function handler(runtime, { failFirstBoot = false } = {}) {
  const posted = [];
  const boots = [];
  const handle = createProtocolHandler({
    post: (message) => posted.push(message),
    boot: async (onProgress, init) => {
      boots.push(init);
      onProgress({ type: "progress", phase: "runtime", loaded: 0, total: 10 });
      if (failFirstBoot && boots.length === 1)
        throw new Error("Could not download x.bundle: HTTP 404 Not Found");
      return runtime;
    },
  });
  return { handle, posted, boots };
}

const withoutMs = (messages) => messages.map(({ ms, ...rest }) => rest);

describe("createProtocolHandler", () => {
  test("init: progress, then ready with the versions and timings", async () => {
    const { handle, posted, boots } = handler(fakeRuntime());
    await handle({ type: "init", warm: false });
    assert.deepEqual(posted, [
      { type: "progress", phase: "runtime", loaded: 0, total: 10 },
      { type: "ready", versions: { django: "6.1.3" }, timings: { total: 1 } },
    ]);
    assert.deepEqual(boots, [{ type: "init", warm: false }]);
    await handle({ type: "init" });
    assert.equal(boots.length, 1, "booted once");
  });

  test("run without init boots first; running, then the result with its id and ms", async () => {
    const rt = fakeRuntime();
    const { handle, posted, boots } = handler(rt);
    await handle({ type: "run", id: 7, code: ">>> 1\n" });
    assert.equal(boots.length, 1);
    assert.deepEqual(withoutMs(posted.slice(1)), [
      { type: "running", id: 7 },
      { type: "result", id: 7, output: "ran >>> 1\n\n", stderr: "", truncated: false },
    ]);
    assert.equal(typeof posted.at(-1).ms, "number");
    assert.deepEqual(rt.calls, [["run", ">>> 1\n", null]]);
  });

  test("after a fresh run on the default Django, the next fresh interpreter is prepared; not after another Django", async () => {
    const rt = fakeRuntime();
    const { handle } = handler(rt);
    await handle({ type: "run", id: 1, code: "a", fresh: { setup: false } });
    await handle({ type: "run", id: 2, code: "b", fresh: { django: "5.2" } });
    await handle({ type: "run", id: 3, code: "c" });
    assert.deepEqual(
      rt.calls.map((c) => c[0]),
      ["run", "prepareFresh", "run", "run"],
    );
  });

  test("check: boots first, then the report or the one-line error, with the id", async () => {
    const rt = fakeRuntime();
    const { handle, posted, boots } = handler(rt);
    await handle({ type: "check", id: 4, text: "uvicorn a:b" });
    await handle({ type: "check", id: 5 });
    assert.equal(boots.length, 1);
    assert.deepEqual(withoutMs(posted.slice(1)), [
      { type: "checked", id: 4, server: "uvicorn", findings: [] },
      { type: "checked", id: 5, error: "Paste a server command." },
    ]);
    assert.deepEqual(rt.calls, [
      ["check", "uvicorn a:b"],
      ["check", ""],
    ]);
  });

  test("request: the application of the message, else of init, else the runtime's default", async () => {
    const rt = fakeRuntime();
    const { handle, posted } = handler(rt);
    await handle({ type: "request", id: 1, path: "/polls/" });
    await handle({ type: "init", application: "mysite.asgi_wrapped:application" });
    await handle({
      type: "request",
      id: 2,
      method: "POST",
      path: "/",
      headers: [["a", "b"]],
      body: "x",
      reset: false,
    });
    await handle({ type: "request", id: 3, application: "mysite.asgi_mounted:application" });
    assert.deepEqual(
      rt.calls.map((c) => c[1]),
      [
        {
          application: undefined,
          method: undefined,
          path: "/polls/",
          headers: undefined,
          body: undefined,
          reset: true,
        },
        {
          application: "mysite.asgi_wrapped:application",
          method: "POST",
          path: "/",
          headers: [["a", "b"]],
          body: "x",
          reset: false,
        },
        {
          application: "mysite.asgi_mounted:application",
          method: undefined,
          path: undefined,
          headers: undefined,
          body: undefined,
          reset: true,
        },
      ],
    );
    assert.deepEqual(
      posted.filter((m) => m.type === "response").map((m) => [m.id, m.status]),
      [
        [1, 200],
        [2, 200],
        [3, 200],
      ],
    );
  });

  test("failures become {type: 'error'} with the id; a failed boot is retried by the next message", async () => {
    const { handle, posted, boots } = handler(fakeRuntime(), { failFirstBoot: true });
    await handle({ type: "init" });
    assert.deepEqual(posted.at(-1), {
      type: "error",
      id: undefined,
      message: "Could not download x.bundle: HTTP 404 Not Found",
    });
    await handle({ type: "run", id: 4, code: "fail" });
    assert.equal(boots.length, 2);
    assert.deepEqual(posted.at(-1), {
      type: "error",
      id: 4,
      message: "The Python runtime failed: boom",
    });
    await handle({ type: "launch", id: 5 });
    assert.deepEqual(posted.at(-1), {
      type: "error",
      id: 5,
      message: 'Unknown message type: "launch"',
    });
  });

  test("messages are handled one at a time, in order", async () => {
    const order = [];
    let release;
    const gate = new Promise((resolve) => {
      release = resolve;
    });
    const rt = fakeRuntime();
    rt.run = async (code) => {
      order.push(`start ${code}`);
      if (code === "slow") await gate;
      order.push(`end ${code}`);
      return { output: "" };
    };
    const { handle } = handler(rt);
    const first = handle({ type: "run", id: 1, code: "slow" });
    const second = handle({ type: "run", id: 2, code: "quick" });
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(order, ["start slow"]);
    release();
    await Promise.all([first, second]);
    assert.deepEqual(order, ["start slow", "end slow", "start quick", "end quick"]);
  });
});
