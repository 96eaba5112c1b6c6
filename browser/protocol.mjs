// The worker's message protocol (documented in worker.mjs), independent of
// how messages travel: worker.mjs (a Web Worker) and test/node-worker.mjs
// (Node's worker_threads) both use it.

/**
 * `post(message)` sends one message; `boot(onProgress, initMessage)` must
 * return a runtime from bootRuntime() (boot.mjs). Returns `handle(message)`;
 * messages are processed one at a time, in order.
 */
export function createProtocolHandler({ post, boot }) {
  let runtime = null;
  let booting = null;
  let application = null;
  let queue = Promise.resolve();

  const init = (message = {}) => {
    if (message.application) application = message.application;
    if (!booting) {
      booting = boot((event) => post(event), message).then((rt) => {
        runtime = rt;
        return rt;
      });
      booting.catch(() => {
        booting = null; // a later init may retry
      });
    }
    return booting;
  };

  const process = async (message) => {
    const { type, id } = message;
    try {
      if (type === "init") {
        const rt = await init(message);
        post({ type: "ready", versions: rt.versions, timings: rt.timings });
      } else if (type === "run") {
        const rt = runtime ?? (await init());
        const t = performance.now();
        // "running": the interpreter is ready (another Django release may first
        // have had to load); the runner's timeout counts from here.
        const result = await rt.run(message.code ?? "", message.fresh ?? null, () =>
          post({ type: "running", id }),
        );
        post({ type: "result", id, ...result, ms: Math.round(performance.now() - t) });
        // A page that ran one snippet in a fresh interpreter likely runs another:
        // restore the next one now, while the reader reads the output.
        if (message.fresh && !message.fresh.django) queue = queue.then(() => rt.prepareFresh());
      } else if (type === "request") {
        const rt = runtime ?? (await init());
        const t = performance.now();
        const result = await rt.request({
          application: message.application ?? application ?? undefined,
          method: message.method,
          path: message.path,
          headers: message.headers,
          body: message.body,
          reset: message.reset ?? true,
        });
        post({ type: "response", id, ...result, ms: Math.round(performance.now() - t) });
      } else if (type === "check") {
        const rt = runtime ?? (await init());
        const t = performance.now();
        const report = await rt.check(message.text ?? "");
        post({ type: "checked", id, ...report, ms: Math.round(performance.now() - t) });
      } else {
        post({ type: "error", id, message: `Unknown message type: ${JSON.stringify(type)}` });
      }
    } catch (error) {
      post({ type: "error", id, message: String(error?.message ?? error) });
    }
  };

  return (message) => {
    queue = queue.then(() => process(message));
    return queue;
  };
}
