// The interpreters that run snippets and requests, and which one serves what.
//
// Two kinds of interpreter run snippets. The *warm* one has Django set up with
// the project's settings, and guide_session.reset() puts back what a snippet
// changed before the next run (milliseconds). A snippet that needs a process
// of its own (its own environment variables, `setup = false`) runs in a
// *fresh* interpreter: a new Pyodide instance restored from a memory snapshot
// (Django's framework imported, no settings read: the state of the test
// suite's fork server), used once. The booted interpreter is still pristine:
// it becomes the warm one, or, if the first thing asked is a fresh run, that
// run's interpreter.
//
// An interpreter here is {pyodide, session, ms}: `session` is its
// guide_session module (browser/runtime/guide_session.py), `ms` how long
// making it took. The pool makes them with the functions it is given, so it
// runs as well with fakes (browser/test/pool.test.mjs).

export const DEFAULT_APPLICATION = "mysite.asgi:application";

export class InterpreterPool {
  /**
   * @param {object} options
   * @param {object} options.first        the booted interpreter, not used yet
   * @param {Function} options.restore    (snapshot?, files?) => Promise<interpreter>; by
   *     default from the boot's snapshot, with the boot's bundles
   * @param {Function} options.bootOther  (version) => Promise<{snapshot, files, first}>:
   *     another Django release, booted once
   * @param {{dir: string, settings: string}} options.project  the example project
   * @param {object} options.manifest     manifest.json (pyodide, application, django.default)
   * @param {{stdout: string[], stderr: string[]}} options.printed  lines that bypassed
   *     Python's redirected sys.stdout/sys.stderr (the interpreters' stdout/stderr callbacks)
   * @param {Function} [options.failure]  () => why a file Python read could not be
   *     downloaded, or null; once it says something, every call into Python fails with it
   * @param {Function} [options.whenIdle]  called once, when a run, request or check
   *     has returned and no other has come for `idleMs` (what can wait starts then,
   *     not to slow the reader's next runs down)
   * @param {number} [options.idleMs]  default 1000
   */
  constructor({
    first,
    restore,
    bootOther,
    project,
    manifest,
    printed,
    failure = () => null,
    whenIdle = () => {},
    idleMs = 1000,
  }) {
    this.failure = failure;
    this.whenIdle = whenIdle;
    this.idleMs = idleMs;
    this.idleTimer = null;
    this.restore = restore;
    this.bootOther = bootOther;
    this.project = project;
    this.manifest = manifest;
    this.printed = printed;
    this.pristine = first; // the booted interpreter, until something takes it
    this.spare = null; // a restored interpreter not used yet (Promise)
    this.warm = null;
    this.others = {}; // Django version => Promise of bootOther()'s result
  }

  /** Set the warm interpreter up (Django, the project's settings); resolves to its versions. */
  async warmUp() {
    let interp = this.pristine;
    this.pristine = null;
    if (!interp) {
      interp = await (this.spare ?? this.restore());
      this.spare = null;
    }
    const found = this.checked(() =>
      JSON.parse(interp.session.setup(this.project.dir, this.project.settings)),
    );
    this.warm = interp;
    return found;
  }

  /** Throw why a file Python read could not be downloaded, if one could not. */
  throwFailure() {
    const failure = this.failure();
    if (failure) throw new Error(failure);
  }

  /** `call()`'s value, unless a file Python read could not be downloaded (then why). */
  checked(call) {
    let value;
    try {
      value = call();
    } catch (error) {
      this.throwFailure();
      throw error;
    }
    this.throwFailure();
    return value;
  }

  /** The warm interpreter, set up first if needed. */
  async ensureWarm() {
    if (!this.warm) await this.warmUp();
    return this.warm;
  }

  /** Run pycon text (or a plain script); resolves to {output, stderr, truncated}. */
  run(code, fresh = null, onStart = () => {}) {
    if (fresh) return this.runFresh(code, fresh, onStart);
    return this.ensureWarm().then((warm) => {
      onStart();
      return this.callJSON(warm.session.run, [String(code)]);
    });
  }

  /** One HTTP request; resolves to {status, headers, body, messages, truncated}. */
  request({
    application = this.manifest.application || DEFAULT_APPLICATION,
    method = "GET",
    path = "/",
    headers = [],
    body = "",
    reset = true,
  } = {}) {
    return this.ensureWarm().then((warm) =>
      this.callJSON(warm.session.request, [
        application,
        method,
        path,
        JSON.stringify(headers ?? []),
        body,
        reset,
      ]),
    );
  }

  /** The command checker's report on a server command line: {server, findings} or {error}. */
  check(text) {
    return this.ensureWarm().then((warm) =>
      this.callJSON(warm.session.check_command, [String(text)]),
    );
  }

  /**
   * Run pycon text in a fresh interpreter: {env, unset, setup} as in
   * snippets.toml, `django` ("5.2") to run it on another Django release of
   * the build. Resolves to run()'s result plus {fresh: {restoreMs, setupMs}, versions}.
   */
  async runFresh(
    code,
    { env = {}, unset = [], setup = true, django = null } = {},
    onStart = () => {},
  ) {
    const interp = await this.takeFresh(django);
    onStart();
    const t = performance.now();
    this.clearPrinted();
    let versions;
    try {
      versions = JSON.parse(
        interp.session.fresh(this.project.dir, JSON.stringify({ env, unset }), setup),
      );
    } catch (error) {
      this.throwFailure();
      throw new Error(`The Python runtime failed: ${error.message}`);
    }
    this.throwFailure();
    const setupMs = Math.round(performance.now() - t);
    // What django.setup() wrote outside sys.stdout/sys.stderr counts as the
    // snippet's, as in its process.
    const result = await this.callJSON((text) => interp.session.run(text), [String(code)], {
      keepPrinted: true,
    });
    interp.session.destroy();
    result.fresh = { restoreMs: interp.ms, setupMs };
    result.versions = { ...versions, pyodide: this.manifest.pyodide };
    return result;
  }

  /** Restore a spare fresh interpreter now, so that the next fresh run starts at once. */
  async prepareFresh() {
    if (!this.spare && !this.pristine) {
      this.spare = this.restore();
      this.spare.catch(() => {
        this.spare = null;
      });
    }
    await this.spare?.catch(() => {});
  }

  /** An interpreter for one fresh run: on `version` of Django if not the default. */
  async takeFresh(version) {
    if (version && version !== this.manifest.django?.default) return this.takeOther(version);
    if (this.pristine) {
      const first = this.pristine;
      this.pristine = null;
      return first;
    }
    const next = this.spare ?? this.restore();
    this.spare = null;
    return next;
  }

  /**
   * An interpreter with another Django release: the one booted for it (once),
   * then restored from its snapshot. A failed boot is forgotten: a later run may retry.
   */
  async takeOther(version) {
    this.others[version] ??= this.bootOther(version);
    let other;
    try {
      other = await this.others[version];
    } catch (error) {
      delete this.others[version];
      throw error;
    }
    if (other.first) {
      const first = other.first;
      other.first = null;
      return first;
    }
    return this.restore(other.snapshot, other.files);
  }

  /** A call into Python has returned: whenIdle() if no other comes for idleMs. */
  callReturned() {
    if (!this.whenIdle) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      const call = this.whenIdle;
      this.whenIdle = null;
      call();
    }, this.idleMs);
  }

  clearPrinted() {
    this.printed.stdout.length = 0;
    this.printed.stderr.length = 0;
  }

  /**
   * Call a guide_session function that returns JSON; the lines printed
   * outside Python's sys.stdout/sys.stderr meanwhile (for instance by logging
   * handlers created at django.setup()) are added to the result's stderr
   * (`keepPrinted`: also those printed before the call).
   */
  async callJSON(fn, args, { keepPrinted = false } = {}) {
    if (!keepPrinted) this.clearPrinted();
    let value;
    try {
      value = await fn(...args);
    } catch (error) {
      this.callReturned();
      this.throwFailure();
      // A bug in the runtime itself (snippet errors are part of the output).
      throw new Error(`The Python runtime failed: ${error.message}`);
    }
    this.callReturned();
    this.throwFailure();
    const result = JSON.parse(value);
    const extra = [...this.printed.stderr, ...this.printed.stdout].join("\n");
    if (extra) result.stderr = `${result.stderr || ""}${extra}\n`;
    return result;
  }
}
