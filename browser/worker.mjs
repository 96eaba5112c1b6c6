// The Web Worker that runs Python: `new Worker(new URL("./worker.mjs", import.meta.url), {type: "module"})`.
// (Use runner.mjs rather than talking to it directly.)
//
// Messages in (main thread -> worker) and out (worker -> main thread):
//
//   {type: "init", indexURL?, manifestURL?, application?, warm?, snapshot?, snippet?}
//       manifestURL: the manifest (default: indexURL's manifest.json; the site names
//       its own, whose name carries its content hash); warm: false when the first run
//       needs a fresh interpreter (the booted one then serves it; Django is set up
//       with mysite.settings only when a warm run or a request comes); snapshot:
//       false boots Python from scratch instead of from the build's memory snapshot
//       (default: from the snapshot, unless start-choice.mjs prefersLeanStart(navigator.connection):
//       the reader saves data, or the connection is estimated slow); snippet: the
//       snippet the first run will run (its path under snippets/): what it reads of
//       the files that otherwise come after the start loads before (boot.mjs firstRun)
//       -> {type: "progress", phase, loaded, total}   (bytes; phases: "runtime",
//          "packages", "project", "setup", "ready"), any number of times
//       -> {type: "ready", versions: {python, django, sqlite, pyodide}, timings: {...ms}}
//       or {type: "error", message}                    (e.g. a file answered 404)
//   {type: "run", id, code, fresh?}  code: pycon text (">>> " prompts) or a plain script
//       -> {type: "running", id}   once the interpreter is ready (the runner's timeout counts from here)
//       -> {type: "result", id, output, stderr, truncated, ms}
//       fresh: {env: {NAME: value}, unset: [NAME], setup: bool, django?: "5.2"} runs it in a fresh
//       interpreter (restored from the boot snapshot, used once); the result
//       then also has fresh: {restoreMs, setupMs} and versions.
//   {type: "request", id, method, path, headers, body, application?, reset?}
//       -> {type: "response", id, status, headers: [[name, value]], body, messages, truncated, ms}
//   {type: "check", id, text}  a server command line, read by guide.servers.command_check
//       -> {type: "checked", id, server, name, page, argv, findings: [{kind, level, message, page}], ms}
//          or {type: "checked", id, error, ms} for what is not a server command
//   any failure of a run/request itself -> {type: "error", id, message}
//
// "run", "request" and "check" initialise first if needed; messages are handled one at a time.
// indexURL defaults to ./pyodide/ next to this file; application to the
// manifest's ("mysite.asgi:application"), e.g. "mysite.asgi_wrapped:application".
import { bootRuntime } from "./boot.mjs";
import { createProtocolHandler } from "./protocol.mjs";
import { prefersLeanStart } from "./start-choice.mjs";

const handle = createProtocolHandler({
  post: (message) => self.postMessage(message),
  boot: async (onProgress, init) => {
    const indexURL = new URL(init.indexURL ?? "./pyodide/", import.meta.url).href;
    return bootRuntime({
      indexURL,
      manifestURL: init.manifestURL && new URL(init.manifestURL, import.meta.url).href,
      onProgress,
      instrument: true,
      warmUp: init.warm ?? true,
      snapshot: init.snapshot ?? !prefersLeanStart(self.navigator?.connection),
      firstRun: init.snippet ?? null,
    });
  },
});

self.onmessage = (event) => handle(event.data);

// Pyodide's loader leaves a rejected promise behind when a file fails to load;
// the failure itself reaches the page as an {type: "error"} message naming the
// file, so keep the stray rejection out of the page's error console.
self.addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  console.warn("Python worker:", event.reason?.message ?? event.reason);
});
