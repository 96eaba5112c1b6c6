/*
 * Run the page's doctest snippets, and send requests to the example's
 * `application`, in the reader's browser.
 *
 * Each doctest block (wrapped by guide.site.runnable_blocks in <div class="runnable">)
 * gets a Run button. The first press loads the Python runtime (Pyodide, Django
 * and the example project, all served by this site) into a Web Worker, with
 * progress in bytes; the runtime stays warm for later runs. After a run the
 * block becomes an editor (CodeMirror, bundled into assets/vendor/editor.mjs
 * by guide.site.editor_bundle; a plain textarea if it cannot load); Reset
 * restores the snippet. Output is always shown as text, statement by
 * statement under its >>> source, each compared with the output the snippet
 * expects (doctest's rule, by the runtime): "Matches the page", or the
 * statements that differ with a line diff. Code the reader changed shows the
 * whole traceback of an error; the snippet as published shows doctest's.
 *
 * Keyboard and screen readers: Run and Reset are buttons that keep focus
 * while a run goes on (aria-disabled, not disabled, which would drop focus);
 * Ctrl/Cmd+Enter in the editor runs; Escape then Tab leaves the editor (the
 * hint under it says so). Each block has a polite live region for its state
 * (loading, running, ran, reset) and an assertive one for errors (the
 * runtime could not load, the run was stopped and the runtime restarted).
 *
 * Without JavaScript, or if the runtime cannot load, the page reads exactly
 * as built: every block already shows the output it produced when the
 * site was built.
 *
 * Blocks whose snippet cannot run in a browser carry data-browser-skip with
 * the reason; they get a note instead of a button.
 *
 * A block gets its button and the rest when it comes near the viewport
 * (nearObserver), not all at load, and the others a few at a time in the
 * browser's idle time: a page with many blocks stays responsive.
 * On a touch screen, or a connection the browser reports as metered or slow
 * (askBeforeLoading), nothing is fetched before Run is pressed, and the button
 * says how much the first run loads ("Run · 21.1 MB, once").
 *
 * A request panel (<div class="asgi-request-panel">) becomes a form that sends
 * one HTTP request to an ASGI application of the example project, chosen
 * among the panel's data-applications (a JSON list of "module:attribute"
 * names; ["mysite.asgi:application"] without it), data-application selected
 * first; data-path and data-headers fill the form.
 *
 * A command checker (<div class="server-command-check">) becomes a form: the
 * reader pastes a server command line (data-command fills it), and Check
 * lists what guide.servers.command_check finds in it, each finding with a
 * link to the page that explains it, or the one line that says why the text
 * is not a server command.
 */

// The runtime's entry points, whose names carry their content hash (so that a
// browser keeps them for a year): guide.site.runtime_files writes them into
// every page as <meta name="guide-runtime" content='{"runner", "worker",
// "manifest"}'>, relative to the site's runtime/ folder.
const RUNTIME_DIR = new URL("../../runtime/", import.meta.url);
// The site's root: the command checker's links are relative to it.
const SITE_ROOT = new URL("../../", import.meta.url);
const EDITOR_URL = new URL("../vendor/editor.mjs", import.meta.url);
const EDITOR_LABEL = "Editable snippet: Python statements after >>> prompts";
const EDITOR_HINT =
  "Ctrl+Enter (⌘+Enter) runs the snippet. Tab indents; press Escape, then Tab, to leave the editor.";
const EDITOR_HINT_PLAIN = "Ctrl+Enter (⌘+Enter) runs the snippet.";
// What a request panel offers when the page does not say (data-applications).
const DEFAULT_APPLICATIONS = ["mysite.asgi:application"];

// ?run-timeout=SECONDS (1 to 600) changes how long a run may take before the
// runtime stops it (the runtime's default: 10 s); the tests use a short one.
const RUN_TIMEOUT_S = Number(new URLSearchParams(location.search).get("run-timeout"));
const RUNNER_OPTIONS =
  RUN_TIMEOUT_S >= 1 && RUN_TIMEOUT_S <= 600 ? { timeoutMs: RUN_TIMEOUT_S * 1000 } : {};
// ?no-snapshot starts Python from scratch instead of from the build's memory
// snapshot (what a reader who saves data gets; bench/browser.py compares both).
const SNAPSHOT = new URLSearchParams(location.search).has("no-snapshot") ? false : undefined;

let runnerPromise = null;

/** The one PyRunner of this page (the runtime module is imported on first use). */
function getRunner() {
  if (!runnerPromise) {
    runnerPromise = runtimeEntry()
      .then(async (entry) => {
        fetchAhead(entry.worker, entry.manifest);
        const { PyRunner } = await import(entry.runner);
        return new PyRunner({
          ...RUNNER_OPTIONS,
          workerURL: entry.worker,
          manifestURL: entry.manifest,
        });
      })
      .catch((error) => {
        runnerPromise = null; // let a later press try again
        throw new Error(
          `The Python runtime is not available on this site (${error.message}). ` +
            "The outputs shown were produced when the site was built.",
        );
      });
  }
  return runnerPromise;
}

/**
 * Fetch the worker's script and the manifest now, beside the runner module: the
 * worker then gets them from the HTTP cache (their names carry their hash) rather
 * than one round trip after another (runner, then worker, then manifest).
 */
function fetchAhead(...urls) {
  for (const url of urls) {
    fetch(url)
      .then((response) => response.arrayBuffer())
      .catch(() => {}); // the worker's own request says what failed
  }
}

/** The runtime's entry points as URLs, from the page's <meta name="guide-runtime">. */
async function runtimeEntry() {
  const meta = document.querySelector('meta[name="guide-runtime"]');
  if (!meta) throw new Error("this build of the site has no runtime");
  const names = JSON.parse(meta.content);
  const url = (name) => new URL(name, RUNTIME_DIR).href;
  return { runner: url(names.runner), worker: url(names.worker), manifest: url(names.manifest) };
}

/** What a run of `block` needs first: a fresh interpreter (data-fresh), or the warm one. */
function wantsWarm(block) {
  const fresh = block?.dataset.fresh ? JSON.parse(block.dataset.fresh) : null;
  return !fresh || Boolean(fresh.django);
}

/**
 * Load the runtime in the background; failures are reported when Run is
 * pressed. For the block hovered or focused (or on screen): a block that
 * needs a fresh interpreter gets the booted one, without Django being set up
 * with mysite.settings first, and what its snippet reads first loads with
 * the rest (see initOptions).
 */
function prefetch(event) {
  prefetchFor(event?.currentTarget?.closest?.("div.runnable"));
}

function prefetchFor(block) {
  getRunner()
    .then((runner) => runner.init(undefined, initOptions(block)))
    .catch(() => {});
}

/**
 * How the runtime loads for a first run of `block`: in the interpreter it needs
 * (wantsWarm), with the files its snippet reads that would otherwise come
 * after the start (`snippet`: the runtime's manifest lists them, for the
 * snippet each page runs first: guide.browser_build.first_runs).
 */
function initOptions(block) {
  return { warm: wantsWarm(block), snapshot: SNAPSHOT, snippet: block?.dataset.snippet };
}

/*
 * Idle prefetch. Measured with bench/browser.py (bench/results/browser.json:
 * median of 5 cold loads of the application-object page, gzip on the wire,
 * 2-core machine): loading when Run is pressed gave the first result after
 * 1.71 s (4.72 s starting Python from scratch); after a 3 s hover, 0.62 s;
 * with the runtime prefetched once a runnable block is on screen and the
 * browser is idle, a reader who presses Run 8 s after reaching the block
 * gets it in 0.56 s. Either way the same bytes cross the wire.
 * So the runtime starts loading once a runnable block is visible, the page is
 * idle and the reader has not asked to save data (Save-Data); nothing loads
 * for a page without runnable blocks, or before one scrolls into view.
 */
/**
 * Whether to fetch nothing until Run is pressed: on a touch screen (a coarse
 * primary pointer: phones and tablets), or when the browser reports a metered
 * or slow connection (NetworkInformation, in Chromium: Save-Data, a cellular
 * connection, or one estimated 2G/3G). A desktop on a fast connection prefetches.
 */
function askBeforeLoading() {
  const touch = window.matchMedia?.("(pointer: coarse)").matches === true;
  return touch || navigator.connection?.type === "cellular" || savesData();
}

/**
 * The reader saves data, or the connection is estimated 2G/3G: the rule by which
 * the runtime starts Python from scratch rather than from the memory snapshot
 * (browser/start-choice.mjs, prefersLeanStart).
 */
function savesData(connection = navigator.connection) {
  return connection?.saveData === true || /(^|-)(2g|3g)$/.test(connection?.effectiveType ?? "");
}
const askFirst = askBeforeLoading();

// What the prefetch decided, on <html data-runnable-prefetch>: "off" (a touch
// screen, a metered or slow connection, ?no-prefetch, no IntersectionObserver, or
// no runnable block), "waiting" (no runnable block on screen yet), "idle" (one
// is: loading once the page is idle), "started". The tests wait for it instead
// of waiting a fixed time.
const prefetchState = (state) => {
  document.documentElement.dataset.runnablePrefetch = state;
};
const viewObserver =
  !askFirst &&
  "IntersectionObserver" in window &&
  !new URLSearchParams(location.search).has("no-prefetch")
    ? new IntersectionObserver((entries, observer) => {
        if (!entries.some((entry) => entry.isIntersecting)) {
          if (document.documentElement.dataset.runnablePrefetch !== "idle")
            prefetchState("waiting");
          return;
        }
        observer.disconnect();
        prefetchState("idle");
        const idle = window.requestIdleCallback ?? ((callback) => setTimeout(callback, 1500));
        idle(
          () => {
            prefetchState("started");
            prefetchFor(entries.find((entry) => entry.isIntersecting)?.target);
          },
          { timeout: 3000 },
        );
      })
    : null;

function formatBytes(n) {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${Math.round(n / 1e3)} kB`;
}

/*
 * The Run button's label. Where nothing is fetched before Run (askFirst), it
 * says what its first run downloads, once: the bytes the start fetches as the
 * site serves them, and for a block written for another Django release, that
 * release's files (the page's <meta name="guide-runtime"> "download", written
 * at build by guide.site.runtime_files). What has loaded (on this page, or on
 * an earlier one of the same build: the browser keeps the files) is not
 * counted again; when nothing is left to load, just "Run".
 */
const LOADED_KEY = "guide-runtime-loaded";

function runtimeMeta() {
  try {
    return JSON.parse(document.querySelector('meta[name="guide-runtime"]')?.content ?? "null");
  } catch {
    return null;
  }
}

/** What has loaded with this build's runtime: "start", and Django releases ("5.2"). */
function loadedParts() {
  try {
    const saved = JSON.parse(localStorage.getItem(LOADED_KEY) ?? "null");
    return new Set(saved?.manifest === runtimeMeta()?.manifest ? saved.loaded : []);
  } catch {
    return new Set();
  }
}

/** Remember that `part` has loaded, and let every button say what is left. */
function markLoaded(part) {
  const loaded = loadedParts();
  if (loaded.has(part)) return;
  loaded.add(part);
  try {
    localStorage.setItem(
      LOADED_KEY,
      JSON.stringify({ manifest: runtimeMeta()?.manifest, loaded: [...loaded] }),
    );
  } catch {
    /* storage may be disabled: the next page then says the sizes again */
  }
  for (const block of document.querySelectorAll("div.runnable")) {
    const run = block.querySelector(".runnable-run");
    if (run) run.textContent = runLabel(block);
  }
}

/** The Django release a block loads before it runs ("5.2"), if not the default one. */
function otherDjango(block) {
  return block.dataset.fresh ? (JSON.parse(block.dataset.fresh).django ?? null) : null;
}

/** "Run · 21.1 MB, once", or "Run" (nothing left to load, or the sizes are unknown). */
function runLabel(block) {
  const download = runtimeMeta()?.download;
  if (!askFirst || !download) return "Run";
  const loaded = loadedParts();
  let bytes = 0;
  if (!loaded.has("start")) {
    // The same choice as the runtime's (browser/start-choice.mjs): no snapshot
    // when the reader saves data or the connection is 2G/3G, or when this engine's
    // WebAssembly stack switching differs from the one that made the snapshot.
    const lean =
      SNAPSHOT === false ||
      savesData() ||
      download.snapshot_jspi !== (typeof WebAssembly === "object" && "Suspending" in WebAssembly);
    bytes += lean ? download.scratch : download.snapshot;
  }
  const django = otherDjango(block);
  if (django && !loaded.has(django)) bytes += download.django?.[django] ?? 0;
  return bytes ? `Run · ${formatBytes(bytes)}, once` : "Run";
}

/** Load the runtime (once), reporting progress into `status`. */
async function readyRunner(status, progress, { warm = true, block = null } = {}) {
  const runner = await getRunner();
  if (runner.state !== "ready") {
    // The live region says it once; the byte counts go to a sibling that is
    // not live, so a screen reader is not interrupted on every chunk.
    status.textContent = "Loading Python in your browser…";
    const info = await runner.init(
      ({ phase, loaded, total }) => {
        const amount = total
          ? `${formatBytes(loaded)} of ${formatBytes(total)}`
          : formatBytes(loaded);
        progress.textContent = `${phase}, ${amount}`;
      },
      { ...initOptions(block), warm },
    );
    progress.textContent = "";
    runner.versions = info.versions;
    markLoaded("start");
    // How the start went, per phase (bench/browser.py reads it).
    document.documentElement.dataset.runtimeTimings = JSON.stringify(info.timings);
  }
  return runner;
}

/** The bundled editor module, imported once; null if it cannot load. */
let editorModule = null;
function loadEditorModule() {
  editorModule ??= import(EDITOR_URL.href).catch(() => null);
  return editorModule;
}

/** A plain textarea with the editor's interface, if the bundled editor cannot load. */
function textareaEditor({ anchor, doc, label, describedBy, onChange, onRun }) {
  const editor = element("textarea", {
    class: "runnable-editor runnable-editor--plain",
    spellcheck: "false",
    autocapitalize: "off",
    "aria-label": label,
    "aria-describedby": describedBy,
  });
  editor.value = doc;
  const fit = () => {
    editor.style.height = "auto";
    editor.style.height = `${editor.scrollHeight + 4}px`;
  };
  editor.addEventListener("input", () => {
    onChange(editor.value);
    fit();
  });
  editor.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      onRun();
    }
  });
  anchor.after(editor);
  requestAnimationFrame(fit);
  return editor;
}

let hintCount = 0;

/** A visually hidden live region (`role`: "status" polite, "alert" assertive). */
function liveRegion(role, className) {
  return element("span", {
    class: `${className} runnable-sr-only`,
    role,
    "aria-live": role === "alert" ? "assertive" : "polite",
    "aria-atomic": "true",
  });
}

/**
 * A form's state line: `status` polite and visible, `progress` shown only, and
 * `alert` for errors, assertive and announced once (the visible message is in
 * the output below).
 */
function statusParts() {
  return {
    status: element("span", {
      class: "runnable-status",
      role: "status",
      "aria-live": "polite",
      "aria-atomic": "true",
    }),
    progress: element("span", { class: "runnable-progress", "aria-hidden": "true" }),
    alert: liveRegion("alert", "runnable-alert"),
  };
}

function element(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function storageKey(block) {
  return `runnable:${location.pathname}:${block.dataset.snippet}`;
}

function saveEdit(block, text) {
  try {
    sessionStorage.setItem(storageKey(block), text);
  } catch {
    /* storage may be disabled: the editor still holds the text */
  }
}

function loadEdit(block) {
  try {
    return sessionStorage.getItem(storageKey(block));
  } catch {
    return null;
  }
}

function setUpBlock(block) {
  const highlight = block.querySelector(".highlight");
  const code = highlight?.querySelector("pre > code");
  if (!code) return;
  if (block.dataset.browserSkip) {
    addSkipNote(block);
    return;
  }
  const original = `${code.textContent.replace(/\n$/, "")}\n`;
  const ui = addControls(block, highlight);
  const editor = new BlockEditor(block, ui);
  const saved = loadEdit(block);
  if (saved !== null && saved !== original) editor.show(saved);
  if (!askFirst) prefetchOnIntent(ui.run);

  let running = false;
  ui.run.addEventListener("click", async () => {
    if (running) return; // aria-disabled keeps the button focusable, so ignore presses here
    running = true;
    try {
      await runBlock(block, ui, editor.shown ? editor.value : original, editor, original);
    } finally {
      running = false;
    }
  });
  ui.reset.addEventListener("click", () => resetBlock(block, ui, editor));
}

/** A block whose snippet cannot run in a browser: a note saying why, instead of a button. */
function addSkipNote(block) {
  const bar = element("div", { class: "runnable-bar" });
  bar.append(
    element(
      "span",
      { class: "runnable-skip", "data-runnable-skip": "" },
      `Runs on a server only: ${block.dataset.browserSkip}. The output shown is from the build.`,
    ),
  );
  block.append(bar);
}

/** Run and Reset, the live regions, the editor's hint and the output areas of a block. */
function addControls(block, highlight) {
  const ui = {
    highlight,
    run: element(
      "button",
      { type: "button", class: "md-button md-button--primary runnable-run" },
      runLabel(block),
    ),
    reset: element(
      "button",
      { type: "button", class: "md-button runnable-reset", hidden: "" },
      "Reset",
    ),
    ...statusParts(),
    // Where and how long the last run took: shown, not announced.
    timing: element("span", { class: "runnable-timing" }),
    hint: element(
      "p",
      { class: "runnable-hint", id: `runnable-hint-${++hintCount}`, hidden: "" },
      EDITOR_HINT,
    ),
    output: element("div", { class: "runnable-output runnable-result", hidden: "" }),
    stderr: element("pre", { class: "runnable-output runnable-stderr", hidden: "" }),
  };
  const bar = element("div", { class: "runnable-bar" });
  bar.append(ui.run, ui.reset, ui.status, ui.timing, ui.progress, ui.alert);
  highlight.after(ui.hint);
  block.append(bar, ui.output, ui.stderr);
  return ui;
}

/**
 * Start loading when the reader shows intent to run (hover or focus of Run);
 * the runtime also loads once a block is on screen and the browser is idle
 * (see viewObserver).
 */
function prefetchOnIntent(run) {
  run.addEventListener("pointerenter", prefetch, { once: true });
  run.addEventListener("focus", prefetch, { once: true });
  run.addEventListener("pointerenter", loadEditorModule, { once: true });
  run.addEventListener("focus", loadEditorModule, { once: true });
}

/**
 * A block's editor (CodeMirror, or a textarea), made on first use, shown in
 * place of the highlighted snippet.
 */
class BlockEditor {
  constructor(block, ui) {
    this.block = block;
    this.ui = ui;
    this.editor = null;
    this.ready = null;
  }

  /** Make the editor (once) with `text`; resolves to it. */
  make(text) {
    this.ready ??= loadEditorModule().then((module) => {
      const options = {
        anchor: this.ui.highlight,
        doc: text,
        label: EDITOR_LABEL,
        describedBy: this.ui.hint.id,
        onChange: (value) => saveEdit(this.block, value),
        onRun: () => this.ui.run.click(),
      };
      this.editor = module ? module.createEditor(options) : textareaEditor(options);
      if (!module) this.ui.hint.textContent = EDITOR_HINT_PLAIN; // a textarea's Tab moves focus
      this.block.dataset.editor = module ? "codemirror" : "textarea";
      return this.editor;
    });
    return this.ready;
  }

  get shown() {
    return this.editor !== null && !this.editor.hidden;
  }

  get value() {
    return this.editor.value;
  }

  /** Show the editor holding `text`, with its hint and the Reset button, instead of the snippet. */
  async show(text) {
    const made = this.editor === null;
    await this.make(text);
    if (!made) this.editor.value = text;
    this.editor.hidden = false;
    this.ui.hint.hidden = false;
    this.ui.highlight.hidden = true;
    this.ui.reset.hidden = false;
  }

  hide() {
    if (this.editor) this.editor.hidden = true;
    this.ui.hint.hidden = true;
    this.ui.highlight.hidden = false;
  }
}

/** Run `text` (the edited snippet or the original), loading the runtime first if needed. */
async function runBlock(block, ui, text, editor, original) {
  const pressed = performance.now();
  ui.run.setAttribute("aria-disabled", "true");
  block.classList.add("runnable--running");
  ui.output.classList.remove("runnable-output--error");
  ui.stderr.hidden = true;
  ui.alert.textContent = "";
  ui.timing.textContent = "";
  ui.timing.removeAttribute("title");
  try {
    // A snippet that needs a process of its own runs in a fresh interpreter (data-fresh).
    const fresh = block.dataset.fresh ? JSON.parse(block.dataset.fresh) : null;
    const runner = await readyRunner(ui.status, ui.progress, { warm: wantsWarm(block), block });
    ui.status.textContent = "Running…";
    const result = await runner.run(text, { fresh });
    if (fresh?.django) markLoaded(fresh.django);
    const verdict = showOutput(ui.output, result, { edited: text !== original, original });
    ui.stderr.textContent = result.stderr ? `Written to stderr:\n${result.stderr}` : "";
    ui.stderr.hidden = !result.stderr;
    if (!editor.shown) await editor.show(text);
    ui.status.textContent = verdict ? `Ran: ${verdict}.` : "Ran.";
    showTiming(ui.timing, result, runner);
  } catch (error) {
    showRunError(ui, error);
  } finally {
    ui.output.hidden = false;
    ui.run.removeAttribute("aria-disabled");
    block.classList.remove("runnable--running");
    // From the press to the output on the page (bench/browser.py reads it).
    block.dataset.runMs = String(Math.round(performance.now() - pressed));
    block.dataset.runState = ui.output.classList.contains("runnable-output--error")
      ? "error"
      : "done";
  }
}

/**
 * "In your browser in 12 ms (Django 6.1.3)." A snippet that ran on its own (data-fresh)
 * says how in its title.
 */
function showTiming(timing, result, runner) {
  const versions = result.versions ?? runner.versions;
  const django = versions ? ` (Django ${versions.django})` : "";
  timing.textContent = `In your browser in ${Math.round(result.ms)} ms${django}.`;
  if (result.fresh)
    timing.title =
      "This snippet ran in a fresh Python of its own, as on a server, where each snippet runs in a process of its own.";
}

/** A run that failed (the runtime could not load, or it stopped the run): shown, and said aloud. */
function showRunError(ui, error) {
  ui.progress.textContent = "";
  ui.output.replaceChildren(element("pre", { class: "runnable-text" }, error.message));
  ui.output.dataset.empty = "false";
  ui.output.classList.add("runnable-output--error");
  ui.status.textContent = "Did not run.";
  ui.alert.textContent = error.message;
}

/** Back to the snippet as published: the editor, the output and the saved edit go. */
function resetBlock(block, ui, editor) {
  const hadFocus = ui.reset.contains(document.activeElement);
  editor.hide();
  ui.reset.hidden = true;
  ui.output.hidden = true;
  ui.output.replaceChildren();
  ui.timing.textContent = "";
  ui.timing.removeAttribute("title");
  ui.stderr.hidden = true;
  ui.alert.textContent = "";
  ui.status.textContent = "Reset: the snippet as published is shown again.";
  delete block.dataset.runState;
  try {
    sessionStorage.removeItem(storageKey(block));
  } catch {
    /* nothing saved */
  }
  if (hadFocus) ui.run.focus(); // Reset is hidden now: focus must not fall to the page
}

/** A statement's source as the reader typed it: ">>> " before its first line, "... " before the others. */
function prompted(source) {
  return source
    .replace(/\n$/, "")
    .split("\n")
    .map((line, index) => `${index ? "..." : ">>>"}${line ? ` ${line}` : ""}`)
    .join("\n");
}

/** "2 of 5 statements differ from the page" (numbers and verbs agree). */
function differCount(differ, total) {
  const statements = total === 1 ? "statement" : "statements";
  return `${differ} of ${total} ${statements} ${differ === 1 ? "differs" : "differ"} from the page`;
}

/**
 * Show a run's output under a label ("Output" for the snippet as published,
 * "Your run" for an edit): each statement's >>> source, then what it printed
 * (a .runnable-example, exactly its share of the output), and for a statement
 * whose output is not what the snippet expects, a line diff. Returns the
 * verdict the status line says: "matches the page", "2 of 5 statements differ
 * from the page" (null if the run gave no statements to show). A statement
 * the reader added, with no expected output, is not compared. Everything is
 * text (textContent), never HTML.
 */
function showOutput(output, result, { edited, original }) {
  output.replaceChildren();
  output.dataset.empty = result.output ? "false" : "true";
  const head = element("p", { class: "runnable-result-head" });
  head.append(element("span", { class: "runnable-result-label" }, edited ? "Your run" : "Output"));
  output.append(head);
  const examples = result.examples ?? [];
  const statements = result.statements ?? [];
  if (
    result.truncated ||
    examples.join("") !== result.output ||
    statements.length !== examples.length
  ) {
    output.append(element("pre", { class: "runnable-text" }, result.output || "(no output)"));
    return result.truncated ? "the output is too long to compare with the page" : null;
  }
  let compared = 0;
  let differ = 0;
  statements.forEach((statement, index) => {
    const source = prompted(statement.source);
    const added = edited && !statement.want && !original.includes(source);
    const compare = statement.matches !== null && !added;
    const part = element("div", {
      class: "runnable-statement",
      "data-matches": compare ? String(statement.matches) : "",
    });
    part.append(
      element("pre", { class: "runnable-source" }, source),
      element(
        "pre",
        { class: "runnable-example", "data-example": String(index) },
        edited && statement.whole ? statement.whole : examples[index],
      ),
    );
    if (compare) compared += 1;
    if (compare && !statement.matches) {
      differ += 1;
      const diff = element("div", { class: "runnable-diff" });
      diff.append(
        element(
          "p",
          { class: "runnable-diff-head" },
          "Differs from the page: − what the page expects, + what ran",
        ),
      );
      const lines = element("pre", { class: "runnable-diff-lines" });
      for (const line of statement.diff ?? []) {
        const kind = { "-": "del", "+": "ins" }[line[0]] ?? "same";
        const sign = { del: "−", ins: "+", same: " " }[kind];
        lines.append(
          element("span", { class: `runnable-diff-${kind}` }, `${sign} ${line.slice(2)}\n`),
        );
      }
      diff.append(lines);
      part.append(diff);
    }
    output.append(part);
  });
  const verdict = !compared
    ? "nothing on the page to compare with"
    : differ
      ? differCount(differ, compared)
      : "matches the page";
  head.append(
    element(
      "span",
      {
        class: "runnable-verdict",
        "data-verdict": differ ? "differ" : compared ? "match" : "none",
      },
      verdict[0].toUpperCase() + verdict.slice(1),
    ),
  );
  return verdict;
}

function parseHeaders(text) {
  const headers = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const colon = line.indexOf(":");
    if (colon < 1)
      throw new Error(`Header lines look like "Name: value", not ${JSON.stringify(line)}`);
    headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return headers;
}

/**
 * The ASGI applications a request panel offers ("module:attribute"), from its
 * data-applications attribute (a JSON list of strings), else
 * DEFAULT_APPLICATIONS; and the one selected first, its data-application (added
 * to the list if missing), else the first.
 */
function panelApplications(panel) {
  let names = DEFAULT_APPLICATIONS;
  if (panel.dataset.applications) {
    try {
      const listed = JSON.parse(panel.dataset.applications);
      if (
        Array.isArray(listed) &&
        listed.length &&
        listed.every((name) => typeof name === "string" && name)
      ) {
        names = listed;
      } else {
        console.warn(
          "data-applications is not a list of application names:",
          panel.dataset.applications,
        );
      }
    } catch (error) {
      console.warn("data-applications is not JSON:", error.message);
    }
  }
  const wanted = panel.dataset.application || names[0];
  return { names: names.includes(wanted) ? names : [...names, wanted], wanted };
}

function setUpRequestPanel(panel) {
  const app = element("select", { name: "application", "aria-label": "ASGI application" });
  const { names, wanted } = panelApplications(panel);
  for (const name of names) {
    const option = element("option", { value: name }, name);
    if (name === wanted) option.selected = true;
    app.append(option);
  }
  const method = element("select", { name: "method", "aria-label": "Method" });
  for (const name of ["GET", "POST", "HEAD", "PUT", "DELETE"])
    method.append(element("option", { value: name }, name));
  const path = element("input", {
    name: "path",
    value: panel.dataset.path || "/polls/",
    "aria-label": "Path",
    spellcheck: "false",
  });
  const headers = element("textarea", {
    name: "headers",
    rows: "2",
    spellcheck: "false",
    "aria-label": "Headers, one per line",
  });
  headers.value = panel.dataset.headers || "Host: localhost";
  const body = element("textarea", {
    name: "body",
    rows: "2",
    spellcheck: "false",
    "aria-label": "Request body",
  });
  const send = element("button", { type: "submit", class: "md-button md-button--primary" }, "Send");
  const { status, progress, alert } = statusParts();
  const result = element("pre", { class: "runnable-output", hidden: "" });

  const form = element("form", { class: "asgi-request-form" });
  const row = element("div", { class: "asgi-request-row" });
  row.append(app, method, path);
  form.append(
    row,
    element("label", {}, "Headers (Name: value, one per line)"),
    headers,
    element("label", {}, "Body"),
    body,
    element("div", { class: "runnable-bar" }),
  );
  form.lastChild.append(send, status, progress, alert);
  panel.replaceChildren(
    element(
      "p",
      { class: "asgi-request-title" },
      "Send a request to the example's application, in your browser",
    ),
    form,
    result,
  );

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (send.getAttribute("aria-disabled") === "true") return; // a request is on its way
    send.setAttribute("aria-disabled", "true");
    result.classList.remove("runnable-output--error");
    alert.textContent = "";
    try {
      const request = {
        application: app.value,
        method: method.value,
        path: path.value.trim() || "/",
        headers: parseHeaders(headers.value),
        body: body.value,
      };
      if (!request.path.startsWith("/")) throw new Error("The path must start with /");
      const runner = await readyRunner(status, progress);
      status.textContent = "Sending…";
      const response = await runner.request(request);
      const lines = [`${response.status}`];
      for (const [name, value] of response.headers) lines.push(`${name}: ${value}`);
      lines.push("", response.body, "", "ASGI messages sent by the application:");
      for (const message of response.messages) lines.push(JSON.stringify(message));
      result.textContent = lines.join("\n");
      status.textContent = `Answered in ${Math.round(response.ms)} ms.`;
      panel.dataset.status = String(response.status);
    } catch (error) {
      result.textContent = error.message;
      result.classList.add("runnable-output--error");
      progress.textContent = "";
      status.textContent = "No response.";
      alert.textContent = error.message;
    } finally {
      result.hidden = false;
      send.removeAttribute("aria-disabled");
    }
  });
}

/** Text with `code` spans, as nodes: the checker's messages put options in backticks. */
function withCode(text) {
  return text
    .split(/(`[^`]*`)/)
    .filter(Boolean)
    .map((part) =>
      part.startsWith("`") && part.endsWith("`") && part.length > 1
        ? element("code", {}, part.slice(1, -1))
        : document.createTextNode(part),
    );
}

const FINDING_LABELS = { problem: "Problem", warning: "Warning", note: "Note" };

function showCheck(result, report) {
  const heading = element("p", { class: "command-check-server" });
  const page = element("a", { href: new URL(report.page, SITE_ROOT).href }, report.name);
  heading.append(`Read as a ${report.name} command (see `, page, "):");
  const list = element("ul", { class: "command-check-findings" });
  for (const finding of report.findings) {
    const item = element("li", {
      class: `command-check-finding command-check-finding--${finding.level}`,
      "data-kind": finding.kind,
      "data-level": finding.level,
    });
    const link = element("a", { href: new URL(finding.page, SITE_ROOT).href }, "why");
    item.append(
      element("strong", {}, `${FINDING_LABELS[finding.level] ?? finding.level}: `),
      ...withCode(finding.message),
      " (",
      link,
      ")",
    );
    list.append(item);
  }
  if (!report.findings.length)
    list.append(
      element(
        "li",
        { class: "command-check-finding command-check-finding--none" },
        "Nothing to report: no option here goes against what the guide's tests observed.",
      ),
    );
  result.replaceChildren(heading, list);
}

function setUpCommandCheck(panel) {
  const label = element("label", {}, "Server command (one, as you would type it)");
  const command = element("textarea", {
    name: "command",
    rows: "3",
    spellcheck: "false",
    autocapitalize: "off",
    placeholder: "uvicorn mysite.asgi:application --host 127.0.0.1 --port 8000",
  });
  command.value = panel.dataset.command || "";
  const check = element(
    "button",
    { type: "submit", class: "md-button md-button--primary" },
    "Check",
  );
  const { status, progress, alert } = statusParts();
  const result = element("div", { class: "command-check-result", hidden: "" });
  const form = element("form", { class: "asgi-request-form command-check-form" });
  label.append(command);
  form.append(label, element("div", { class: "runnable-bar" }));
  form.lastChild.append(check, status, progress, alert);
  panel.replaceChildren(form, result);
  // Start loading when the reader is about to use it.
  // (Not on a touch screen or a metered connection: there, Check loads it.)
  if (!askFirst) command.addEventListener("focus", () => prefetch(), { once: true });
  command.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) form.requestSubmit();
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (check.getAttribute("aria-disabled") === "true") return; // a check is on its way
    check.setAttribute("aria-disabled", "true");
    alert.textContent = "";
    result.classList.remove("command-check-result--error");
    let runner;
    try {
      runner = await readyRunner(status, progress);
    } catch (error) {
      console.warn(error);
      progress.textContent = "";
      const message = "The checker could not load in this browser; reload the page to try again.";
      result.replaceChildren(element("p", {}, message));
      result.classList.add("command-check-result--error");
      result.hidden = false;
      status.textContent = "";
      alert.textContent = message;
      panel.dataset.checked = "unavailable";
      check.removeAttribute("aria-disabled");
      return;
    }
    try {
      status.textContent = "Checking…";
      const report = await runner.check(command.value);
      if (report.error) {
        const line = element("p");
        line.append(...withCode(report.error));
        result.replaceChildren(line);
        result.classList.add("command-check-result--error");
        status.textContent = "Not checked.";
        alert.textContent = report.error;
        panel.dataset.checked = "error";
      } else {
        showCheck(result, report);
        const count = report.findings.length;
        status.textContent = `${count} finding${count === 1 ? "" : "s"}.`;
        panel.dataset.checked = report.server;
      }
    } catch (error) {
      result.replaceChildren(element("p", {}, error.message));
      result.classList.add("command-check-result--error");
      status.textContent = "Not checked.";
      alert.textContent = error.message;
      panel.dataset.checked = "failed";
    } finally {
      result.hidden = false;
      check.removeAttribute("aria-disabled");
    }
  });
}

/*
 * A block is set up (its button, live regions, a saved edit's editor) when it
 * comes within one and a half screens of the viewport, not all at load: the
 * blocks the reader sees come first, the rest wait for idle time (setUpWhenIdle).
 */
const nearObserver =
  "IntersectionObserver" in window
    ? new IntersectionObserver(
        (entries) => {
          for (const entry of entries) {
            if (!entry.isIntersecting) continue;
            setUpOnce(entry.target);
          }
        },
        { rootMargin: "150% 0px" },
      )
    : null;

const setUpDone = new WeakSet();

function setUpOnce(block) {
  if (setUpDone.has(block)) return;
  setUpDone.add(block);
  nearObserver?.unobserve(block);
  setUpBlock(block);
}

/*
 * The blocks still far away are then set up in the browser's idle time, a few at
 * a time (never a long task), so that every Run button is there for a reader who
 * moves through the page with the keyboard, whatever is on screen.
 */
function setUpWhenIdle(blocks) {
  const waiting = [...blocks];
  const idle =
    window.requestIdleCallback ??
    ((step) => setTimeout(() => step({ timeRemaining: () => 8 }), 50));
  const step = (deadline) => {
    while (waiting.length && deadline.timeRemaining() > 4) setUpOnce(waiting.shift());
    if (waiting.length) idle(step);
  };
  idle(step);
}

function setUp() {
  const blocks = document.querySelectorAll("div.runnable");
  if (!viewObserver || !document.querySelector("div.runnable:not([data-browser-skip])"))
    prefetchState("off");
  for (const block of blocks) {
    if (nearObserver) nearObserver.observe(block);
    else setUpOnce(block);
    if (!block.dataset.browserSkip) viewObserver?.observe(block);
  }
  if (nearObserver) setUpWhenIdle(blocks);
  document.querySelectorAll("div.asgi-request-panel").forEach(setUpRequestPanel);
  document.querySelectorAll("div.server-command-check").forEach(setUpCommandCheck);
  document.documentElement.dataset.runnableReady = "";
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
else setUp();
