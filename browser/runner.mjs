// Main-thread client of the Python worker.
//
//   import { PyRunner } from "./runner.mjs";
//   const runner = new PyRunner();                 // nothing is downloaded yet
//   await runner.init(({phase, loaded, total}) => showProgress(loaded / total));
//   const {output, stderr, truncated, ms} = await runner.run(">>> 1 + 1\n");
//   const {status, headers, body, messages} = await runner.request({path: "/polls/"});
//   const {server, findings} = await runner.check("uvicorn mysite.asgi:application");
//
// The worker is created on first use. A run or request that takes longer than
// the timeout (10 s) terminates the worker and rejects with a RunnerTimeoutError;
// the next call starts a fresh worker (and initialises it again).

export const DEFAULT_TIMEOUT_MS = 10_000;
/** How long loading another Django release may take before a run starts. */
export const START_TIMEOUT_MS = 120_000;

export class RunnerError extends Error {
  constructor(message) {
    super(message);
    this.name = "RunnerError";
  }
}

export class RunnerTimeoutError extends RunnerError {
  constructor(seconds) {
    super(
      `Stopped after ${seconds} s: the code did not finish (infinite loop?). The Python runtime was restarted.`,
    );
    this.name = "RunnerTimeoutError";
  }
}

export class PyRunner {
  /**
   * @param {object} [options]
   * @param {string|URL} [options.workerURL]  worker.mjs (default: next to this file)
   * @param {string} [options.indexURL]       the built pyodide/ folder (default: the worker's ./pyodide/)
   * @param {string} [options.manifestURL]    its manifest (default: the folder's manifest.json)
   * @param {string} [options.application]   ASGI application for request(), e.g. "mysite.asgi_wrapped:application"
   * @param {number} [options.timeoutMs]      per run/request (default 10000)
   * @param {(url: URL|string) => Worker} [options.createWorker]  for tests / other environments
   */
  constructor({
    workerURL,
    indexURL,
    manifestURL,
    application,
    timeoutMs = DEFAULT_TIMEOUT_MS,
    createWorker,
  } = {}) {
    this.workerURL = workerURL ?? new URL("./worker.mjs", import.meta.url);
    this.indexURL = indexURL;
    this.manifestURL = manifestURL;
    this.application = application;
    this.timeoutMs = timeoutMs;
    this.createWorker = createWorker ?? ((url) => new Worker(url, { type: "module" }));
    this._worker = null;
    this._ready = null; // Promise of the "ready" message of the current worker
    this._pending = new Map(); // id -> {resolve, reject, timer}
    this._progress = new Set();
    this._nextId = 1;
  }

  /** "idle" (no worker), "starting" or "ready". */
  get state() {
    if (!this._worker) return "idle";
    return this._isReady ? "ready" : "starting";
  }

  /**
   * Start the worker and load everything. Safe to call many times: resolves
   * to {versions, timings} once ready. `onProgress({phase, loaded, total})`
   * gets download progress in bytes. `warm: false` when the first run will
   * need a fresh interpreter: the booted one serves it, without setting
   * Django up with mysite.settings first. `snapshot: false` boots Python from
   * scratch instead of from the build's memory snapshot (fewer bytes, slower);
   * by default the worker decides (see worker.mjs). `snippet`: the snippet
   * the first run will run (its path under snippets/), if known.
   */
  init(onProgress, { warm = true, snapshot, snippet } = {}) {
    if (onProgress) this._progress.add(onProgress);
    if (this._ready) return this._ready;
    if (typeof WebAssembly === "undefined") {
      return Promise.reject(
        new RunnerError(
          "This browser cannot run the examples: WebAssembly is not available " +
            "(it may be turned off by a setting, an extension or a policy).",
        ),
      );
    }
    let worker;
    try {
      worker = this.createWorker(this.workerURL);
    } catch (error) {
      return Promise.reject(new RunnerError(`Could not start the Python worker: ${error.message}`));
    }
    this._worker = worker;
    this._isReady = false;
    this._ready = new Promise((resolve, reject) => {
      this._initCallbacks = { resolve, reject };
    });
    this._ready.catch(() => {}); // rejections reach the callers of init()/run()
    worker.onmessage = (event) => this._onMessage(worker, event.data);
    worker.onerror = (event) => {
      event.preventDefault?.();
      const detail = event.message || `could not load ${this.workerURL}`;
      this._fail(worker, new RunnerError(`The Python worker failed: ${detail}`));
    };
    const message = { type: "init" };
    if (this.indexURL) message.indexURL = String(this.indexURL);
    if (this.manifestURL) message.manifestURL = String(this.manifestURL);
    if (this.application) message.application = this.application;
    if (!warm) message.warm = false;
    if (snapshot !== undefined) message.snapshot = Boolean(snapshot);
    if (snippet) message.snippet = String(snippet);
    worker.postMessage(message);
    return this._ready;
  }

  /**
   * Run a snippet: pycon text (">>> " prompts, parsed like doctest) or a plain script.
   * Resolves to {output, stderr, truncated, ms}; `output` is what doctest
   * would compare with the snippet's expected output.
   *
   * `fresh` ({env, unset, setup, django?}, as in snippets.toml) runs it in a fresh
   * interpreter of its own, as a server runs it in a process of its own: the
   * result then also has {fresh: {restoreMs, setupMs}, versions}.
   */
  run(code, { timeoutMs = this.timeoutMs, fresh = null } = {}) {
    const message = { type: "run", code: String(code) };
    if (fresh) {
      message.fresh = {
        env: fresh.env ?? {},
        unset: fresh.unset ?? [],
        setup: fresh.setup ?? true,
      };
      if (fresh.django) message.fresh.django = fresh.django;
    }
    return this._call(message, timeoutMs);
  }

  /**
   * One HTTP request through the project's ASGI application.
   * Resolves to {status, headers: [[name, value]], body, messages, truncated, ms}.
   */
  request(
    { method = "GET", path = "/", headers = [], body = "", application, reset = true } = {},
    { timeoutMs = this.timeoutMs } = {},
  ) {
    const message = { type: "request", method, path, headers, body, reset };
    if (application ?? this.application) message.application = application ?? this.application;
    return this._call(message, timeoutMs);
  }

  /**
   * Check a server command line (uvicorn, Gunicorn, Daphne, Hypercorn, Granian).
   * Resolves to {server, name, page, argv, findings: [{kind, level, message, page}], ms},
   * or {error, ms} when the text is not such a command.
   */
  check(text, { timeoutMs = this.timeoutMs } = {}) {
    return this._call({ type: "check", text: String(text) }, timeoutMs);
  }

  /** Stop the worker now (pending calls reject); the next call starts a new one. */
  terminate(reason = new RunnerError("The Python runtime was stopped.")) {
    if (this._worker) this._fail(this._worker, reason);
  }

  async _call(message, timeoutMs) {
    await this.init();
    const worker = this._worker;
    const id = this._nextId++;
    return new Promise((resolve, reject) => {
      const expire = () => this._fail(worker, new RunnerTimeoutError(Math.round(timeoutMs / 1000)));
      // A run that needs another Django release first loads it (seconds): the
      // timeout then counts from the worker's "running" message.
      const start = message.fresh?.django ? Math.max(timeoutMs, START_TIMEOUT_MS) : timeoutMs;
      const timer = setTimeout(expire, start);
      this._pending.set(id, { resolve, reject, timer, expire, timeoutMs });
      worker.postMessage({ ...message, id });
    });
  }

  _onMessage(worker, data) {
    if (worker !== this._worker) return; // a terminated worker's late message
    switch (data.type) {
      case "progress":
        for (const callback of this._progress) {
          try {
            callback({ phase: data.phase, loaded: data.loaded, total: data.total });
          } catch (error) {
            console.error(error);
          }
        }
        break;
      case "ready":
        this._isReady = true;
        this._progress.clear();
        this._initCallbacks.resolve({ versions: data.versions, timings: data.timings });
        break;
      case "running": {
        const pending = this._pending.get(data.id);
        if (pending) {
          clearTimeout(pending.timer);
          pending.timer = setTimeout(pending.expire, pending.timeoutMs);
        }
        break;
      }
      case "result":
      case "response":
      case "checked": {
        const { type, id, ...result } = data;
        this._settle(id, (p) => p.resolve(result));
        break;
      }
      case "error":
        if (data.id === undefined) {
          this._fail(worker, new RunnerError(data.message));
        } else {
          this._settle(data.id, (p) => p.reject(new RunnerError(data.message)));
        }
        break;
    }
  }

  _settle(id, action) {
    const pending = this._pending.get(id);
    if (!pending) return;
    clearTimeout(pending.timer);
    this._pending.delete(id);
    action(pending);
  }

  /** Terminate `worker`, reject everything waiting on it; the next call starts afresh. */
  _fail(worker, error) {
    if (worker !== this._worker) return;
    worker.terminate();
    this._worker = null;
    this._ready = null;
    this._isReady = false;
    this._progress.clear();
    this._initCallbacks?.reject(error);
    for (const [id, pending] of this._pending) {
      clearTimeout(pending.timer);
      pending.reject(error);
      this._pending.delete(id);
    }
  }
}
