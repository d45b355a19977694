/**
 * tfjs-backend-wasm's threaded-SIMD build, started under Deno. tfjs switches it off on the Node
 * code path Deno takes, for three reasons, each met here only while the backend starts:
 *
 * - its flag `WASM_HAS_MULTITHREAD_SUPPORT` is false under Node: it is set;
 * - emscripten starts each pthread worker with `worker_threads` from a blob URL, which
 *   `worker_threads` refuses: the `Worker` emscripten installs as a global is replaced by one
 *   that starts the same worker source as an eval worker (CommonJS, as emscripten's Node path
 *   expects), with the globals it assigns made writable and the module's source handed to it
 *   as text rather than as a blob;
 * - tfjs caps the pool at half the logical cores (`emscripten_num_logical_cores() / 2`, which
 *   reads `os.cpus()` under Node): `os.cpus()` reports twice the requested count while the
 *   module starts, so the pool has exactly the threads asked for.
 *
 * Once the backend has started, its pthread workers are unref'd, so that their idle waiting does
 * not keep the process alive: a script that trains with threads ends by itself.
 *
 * The build creates 8 pthread workers and caps its pool there, hence {@linkcode MAX_WASM_THREADS}.
 * XNNPACK splits a product's output tiles between threads and each output is summed by one
 * thread in a fixed order, and so does gantry's own product kernel on its worker threads
 * (`wasm_product_pool.ts`, started here too), so results do not depend on the thread count (the
 * tests check it).
 *
 * @module
 */
import os from "node:os";
import { Worker as NodeWorker } from "node:worker_threads";
import {
  getThreadsCount,
  setThreadsCount,
  tf,
  wasmThreadedFactory,
  wasmWorkerContents,
} from "../../deps.ts";
import { heapMemory } from "./wasm_kernel.ts";
import { startProductPool } from "./wasm_product_pool.ts";

/** The most threads tfjs-backend-wasm 4.22's threaded build can run. */
export const MAX_WASM_THREADS = 8;

/** The globals emscripten's worker assigns, some of them getters in a Deno worker. */
const WORKER_GLOBALS = [
  "self",
  "location",
  "Worker",
  "importScripts",
  "postMessage",
  "performance",
];

/** The eval worker's source: emscripten's, with the changes above around it. */
function workerSource(): string {
  const factory = `var WasmBackendModuleThreadedSimd = ${wasmThreadedFactory.toString()};`;
  return [
    `for (const key of ${JSON.stringify(WORKER_GLOBALS)}) {`,
    "  Object.defineProperty(globalThis, key, {",
    "    value: globalThis[key], writable: true, configurable: true,",
    "  });",
    "}",
    // As tfjs does before making its blob: the source's "\n" escapes stay escapes.
    wasmWorkerContents.replace(/\n/g, "\\n"),
    // The module arrives as text, evaluated where the worker would import its blob.
    `importScripts = function () { (0, eval)(${JSON.stringify(factory)}); };`,
    "const onLoad = self.onmessage;",
    "self.onmessage = (e) => {",
    '  if (e.data.cmd === "load") e.data.urlOrBlob = "gantry:module-source";',
    "  return onLoad(e);",
    "};",
  ].join("\n");
}

/**
 * Runs `start` (which starts tfjs's wasm backend) with the threaded build and `threads`
 * threads; throws when the backend ends up with another count.
 */
export async function startThreadedWasm(threads: number, start: () => Promise<void>) {
  if (!(Number.isInteger(threads) && threads >= 2 && threads <= MAX_WASM_THREADS)) {
    throw new Error(`wasm threads: expected an integer from 2 to ${MAX_WASM_THREADS}`);
  }
  const source = workerSource();
  const workers: NodeWorker[] = [];
  class PthreadWorker extends NodeWorker {
    constructor() {
      super(source, { eval: true });
      workers.push(this);
    }
  }
  const worker = Object.getOwnPropertyDescriptor(globalThis, "Worker")!;
  const cpus = os.cpus;
  Object.defineProperty(globalThis, "Worker", {
    configurable: true,
    get: () => PthreadWorker,
    set: () => {}, // emscripten's `global.Worker = worker_threads.Worker`
  });
  os.cpus = () => Array.from({ length: 2 * threads }, () => cpus()[0]);
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", true);
  setThreadsCount(threads);
  try {
    await start();
  } finally {
    Object.defineProperty(globalThis, "Worker", worker);
    os.cpus = cpus;
  }
  // Held while the module starts (it awaits their messages), then let go: idle, they would keep
  // the process alive; a kernel waits for them synchronously, so that does not need them held.
  for (const w of workers) w.unref();
  const actual = wasmThreads();
  if (actual !== threads) {
    throw new Error(`wasm started with ${actual} threads, not the ${threads} asked for`);
  }
  await startProductPool(heapMemory(tf.backend()), threads);
}

/** How many threads the started wasm backend runs (1 for the single-threaded build). */
export function wasmThreads(): number {
  return Math.max(1, getThreadsCount());
}
