// worker.mjs for Node's worker_threads: same protocol (protocol.mjs), files read from disk.
import { parentPort, workerData } from "node:worker_threads";

import { createProtocolHandler } from "../protocol.mjs";
import { bootNode } from "./node-runtime.mjs";

const handle = createProtocolHandler({
  post: (message) => parentPort.postMessage(message),
  boot: (onProgress) => bootNode({ outdir: workerData.outdir, onProgress }),
});
parentPort.on("message", handle);
