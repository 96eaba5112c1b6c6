// pool.mjs: which interpreter serves what, with fake interpreters, without a build.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { DEFAULT_APPLICATION, InterpreterPool } from "../pool.mjs";

const MANIFEST = { pyodide: "314.0.7", django: { default: "6.1" } };
const PROJECT = { dir: "/home/pyodide/mysite", settings: "mysite.settings" };

/**
 * A pool over fake interpreters. Each interpreter's guide_session records
 * its calls in `log` as [interpreter name, function, ...arguments].
 */
function fakePool({
  manifest = MANIFEST,
  failRestores = 0,
  failOtherBoots = 0,
  failure = () => null,
  whenIdle = () => {},
  idleMs = 1000,
} = {}) {
  const log = [];
  const printed = { stdout: [], stderr: [] };
  const made = { restores: [], otherBoots: [] };
  const interpreter = (name, ms) => ({
    pyodide: { name },
    ms,
    session: {
      setup: (dir, settings) => {
        log.push([name, "setup", dir, settings]);
        return JSON.stringify({ django: "6.1.3", python: "3.14.2" });
      },
      fresh: (dir, options, setup) => {
        log.push([name, "fresh", dir, JSON.parse(options), setup]);
        printed.stderr.push(`logged by ${name}'s setup`);
        return JSON.stringify({ django: name.includes("5.2") ? "5.2.9" : "6.1.3" });
      },
      run: (code) => {
        log.push([name, "run", code]);
        if (code === "crash") throw new Error("PythonError: guide_session is broken");
        if (code === "logs") printed.stderr.push("WARNING logged by a handler");
        return JSON.stringify({ output: `${name} ran ${code}`, stderr: "", truncated: false });
      },
      request: (...args) => {
        log.push([name, "request", ...args]);
        return JSON.stringify({ status: 200, headers: [], body: "", messages: [] });
      },
      destroy: () => log.push([name, "destroy"]),
    },
  });
  const pool = new InterpreterPool({
    first: interpreter("booted", 0),
    restore: async (snapshot = "boot snapshot", files = "boot bundles") => {
      made.restores.push([snapshot, files]);
      if (made.restores.length <= failRestores)
        throw new Error("Not enough memory for a fresh Python interpreter");
      return interpreter(`restored ${made.restores.length} (${snapshot})`, 5);
    },
    bootOther: async (version) => {
      made.otherBoots.push(version);
      if (made.otherBoots.length <= failOtherBoots)
        throw new Error(`Could not start Python with Django ${version}`);
      return {
        snapshot: `Django ${version} snapshot`,
        files: `Django ${version} bundles`,
        first: interpreter(`booted ${version}`, 50),
      };
    },
    project: PROJECT,
    manifest,
    printed,
    failure,
    whenIdle,
    idleMs,
  });
  return { pool, log, made, printed };
}

describe("InterpreterPool: the warm interpreter", () => {
  test("the booted interpreter becomes the warm one: set up once, then every warm run and request goes to it", async () => {
    const { pool, log, made } = fakePool();
    assert.deepEqual(await pool.warmUp(), { django: "6.1.3", python: "3.14.2" });
    const first = await pool.run(">>> 1\n");
    const again = await pool.run(">>> 2\n");
    await pool.request({ path: "/polls/" });
    assert.equal(first.output, "booted ran >>> 1\n");
    assert.equal(again.output, "booted ran >>> 2\n");
    assert.deepEqual(made.restores, [], "nothing restored");
    assert.deepEqual(log, [
      ["booted", "setup", PROJECT.dir, PROJECT.settings],
      ["booted", "run", ">>> 1\n"],
      ["booted", "run", ">>> 2\n"],
      ["booted", "request", DEFAULT_APPLICATION, "GET", "/polls/", "[]", "", true],
    ]);
  });

  test("request: the manifest's application by default, else the one asked for", async () => {
    const { pool, log } = fakePool({
      manifest: { ...MANIFEST, application: "mysite.asgi_wrapped:application" },
    });
    await pool.request();
    await pool.request({
      application: "mysite.asgi_mounted:application",
      method: "POST",
      headers: null,
      body: "x",
      reset: false,
    });
    assert.deepEqual(
      log.filter((entry) => entry[1] === "request"),
      [
        ["booted", "request", "mysite.asgi_wrapped:application", "GET", "/", "[]", "", true],
        ["booted", "request", "mysite.asgi_mounted:application", "POST", "/", "[]", "x", false],
      ],
    );
  });

  test("lines printed outside sys.stdout/sys.stderr go to the result's stderr, once", async () => {
    const { pool, printed } = fakePool();
    await pool.warmUp();
    printed.stdout.push("left over from before"); // cleared: not this run's
    const result = await pool.run("logs");
    assert.equal(result.stderr, "WARNING logged by a handler\n");
    assert.equal((await pool.run("y")).stderr, "");
  });

  test("onStart is called once the interpreter is ready, before the run", async () => {
    const { pool, log } = fakePool();
    await pool.run("x", null, () => log.push(["onStart"]));
    assert.deepEqual(
      log.map((entry) => entry.slice(0, 2)),
      [["booted", "setup"], ["onStart"], ["booted", "run"]],
    );
  });

  test("a failure of guide_session itself: 'The Python runtime failed'", async () => {
    const { pool } = fakePool();
    await assert.rejects(pool.run("crash"), {
      message: "The Python runtime failed: PythonError: guide_session is broken",
    });
  });
});

describe("InterpreterPool: a file Python read could not be downloaded", () => {
  const why = "Could not load the standard library (python_stdlib.zip): HTTP 404";
  test("the run fails with why, not with what Python made of the failed read", async () => {
    let failed = null;
    const { pool } = fakePool({ failure: () => failed });
    assert.equal((await pool.run(">>> 1\n")).output, "booted ran >>> 1\n");
    failed = why; // the next run's import needed the file
    await assert.rejects(pool.run(">>> import colorsys\n"), { message: why });
    await assert.rejects(pool.run("crash"), { message: why }, "not 'The Python runtime failed'");
    await assert.rejects(pool.request({ path: "/" }), { message: why });
    await assert.rejects(pool.run(">>> 1\n", {}), { message: why }, "a fresh run too");
  });
  test("whenIdle is called once, when no call has come for idleMs", async () => {
    const calls = [];
    const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
    const { pool, log } = fakePool({ whenIdle: () => calls.push(log.length), idleMs: 300 });
    await pool.warmUp();
    await wait(400);
    assert.deepEqual(calls, [], "not after the warm-up");
    await assert.rejects(pool.run("crash"));
    await pool.run(">>> 1\n");
    assert.deepEqual(calls, [], "not while the runs come");
    await wait(500);
    assert.deepEqual(calls, [3], "after the last run returned, once idle");
    await pool.run(">>> 2\n");
    await wait(500);
    assert.deepEqual(calls, [3], "once");
  });
  test("the warm-up fails with why", async () => {
    const { pool } = fakePool({ failure: () => why });
    await assert.rejects(pool.warmUp(), { message: why });
  });
});

describe("InterpreterPool: fresh interpreters", () => {
  test("not warmed up: the booted interpreter serves the first fresh run; the warm one is then restored", async () => {
    const { pool, log, made } = fakePool();
    const fresh = await pool.run(">>> 1\n", { env: { X: "1" }, unset: ["Y"], setup: false });
    assert.deepEqual(fresh.fresh.restoreMs, 0);
    assert.equal(typeof fresh.fresh.setupMs, "number");
    assert.deepEqual(fresh.versions, { django: "6.1.3", pyodide: "314.0.7" });
    // What the fresh interpreter's setup logged counts as the run's.
    assert.equal(fresh.stderr, "logged by booted's setup\n");
    assert.deepEqual(log.slice(0, 3), [
      ["booted", "fresh", PROJECT.dir, { env: { X: "1" }, unset: ["Y"] }, false],
      ["booted", "run", ">>> 1\n"],
      ["booted", "destroy"],
    ]);
    await pool.run(">>> 2\n");
    assert.deepEqual(made.restores, [["boot snapshot", "boot bundles"]]);
    assert.deepEqual(log.at(-1), ["restored 1 (boot snapshot)", "run", ">>> 2\n"]);
  });

  test("each fresh run gets an interpreter of its own, used once", async () => {
    const { pool, log, made } = fakePool();
    await pool.warmUp();
    const first = await pool.run("a", {});
    const second = await pool.run("b", {});
    assert.equal(first.output, "restored 1 (boot snapshot) ran a");
    assert.equal(second.output, "restored 2 (boot snapshot) ran b");
    assert.equal(second.fresh.restoreMs, 5);
    assert.equal(made.restores.length, 2);
    assert.deepEqual(
      log.filter((entry) => entry[1] === "fresh").map((entry) => entry[4]),
      [true, true],
      "setup defaults to true",
    );
  });

  test("prepareFresh restores a spare that the next fresh run takes", async () => {
    const { pool, made } = fakePool();
    await pool.warmUp();
    await pool.prepareFresh();
    await pool.prepareFresh(); // one spare at a time
    assert.equal(made.restores.length, 1);
    assert.equal((await pool.run("a", {})).output, "restored 1 (boot snapshot) ran a");
    assert.equal(made.restores.length, 1);
  });

  test("prepareFresh does nothing while the booted interpreter is unused", async () => {
    const { pool, made } = fakePool();
    await pool.prepareFresh();
    assert.deepEqual(made.restores, []);
    assert.equal((await pool.run("a", {})).fresh.restoreMs, 0);
  });

  test("a spare that could not be restored is forgotten: the next fresh run restores again", async () => {
    const { pool, made } = fakePool({ failRestores: 1 });
    await pool.warmUp();
    await pool.prepareFresh(); // fails quietly
    assert.equal(made.restores.length, 1);
    assert.equal((await pool.run("a", {})).output, "restored 2 (boot snapshot) ran a");
  });

  test("a fresh run that cannot get an interpreter fails; the warm one still runs", async () => {
    const { pool } = fakePool({ failRestores: 1 });
    await pool.warmUp();
    await assert.rejects(pool.run("a", {}), /Not enough memory for a fresh Python interpreter/);
    assert.equal((await pool.run("b")).output, "booted ran b");
    assert.equal((await pool.run("c", {})).output, "restored 2 (boot snapshot) ran c");
  });
});

describe("InterpreterPool: another Django release", () => {
  test("booted once: its booted interpreter serves the first run, its snapshot the next ones", async () => {
    const { pool, made } = fakePool();
    await pool.warmUp();
    const first = await pool.run("a", { django: "5.2" });
    const second = await pool.run("b", { django: "5.2" });
    assert.equal(first.output, "booted 5.2 ran a");
    assert.equal(first.fresh.restoreMs, 50);
    assert.deepEqual(first.versions, { django: "5.2.9", pyodide: "314.0.7" });
    assert.equal(second.output, "restored 1 (Django 5.2 snapshot) ran b");
    assert.deepEqual(made.otherBoots, ["5.2"]);
    assert.deepEqual(made.restores, [["Django 5.2 snapshot", "Django 5.2 bundles"]]);
  });

  test("the default release named explicitly is an ordinary fresh run", async () => {
    const { pool, made } = fakePool();
    await pool.warmUp();
    assert.equal(
      (await pool.run("a", { django: "6.1" })).output,
      "restored 1 (boot snapshot) ran a",
    );
    assert.deepEqual(made.otherBoots, []);
  });

  test("a failed boot is not kept: the next run tries again", async () => {
    const { pool, made } = fakePool({ failOtherBoots: 1 });
    await assert.rejects(pool.run("a", { django: "5.2" }), {
      message: "Could not start Python with Django 5.2",
    });
    assert.equal((await pool.run("b", { django: "5.2" })).output, "booted 5.2 ran b");
    assert.deepEqual(made.otherBoots, ["5.2", "5.2"]);
  });
});
