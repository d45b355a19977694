/**
 * gantry's product kernel (`SimdKernels.matMul`) on the threaded wasm backend's threads.
 * tfjs-backend-wasm's threaded build runs XNNPACK on its own pthread pool, which gantry's kernel
 * cannot reach; so, when the backend starts with `threads` threads, `threads − 1` worker threads
 * of gantry's instantiate the same SIMD module over the backend's shared memory, and a large
 * product's column blocks are split between them and the calling thread. Each output is still
 * computed by one thread, summed over k in order from the bias: the bits do not depend on the
 * thread count.
 *
 * The threads meet in a small shared control block: the calling thread writes the operands and
 * each worker's columns, bumps a generation counter and wakes the workers (`Atomics.notify`),
 * runs its own columns, then waits (`Atomics.wait`) until every worker has checked in, those
 * without columns this time included, so that none still reads the block when the next product
 * writes it. Waking a worker costs tens of µs, so products below {@linkcode SPLIT_PRODUCT}
 * multiply-adds run on the calling thread alone. The workers are unref'd: they do not keep a
 * process alive.
 *
 * @module
 */
import { Worker } from "node:worker_threads";
import { simdKernels, simdModuleBytes } from "./wasm_simd.ts";

/** The smallest product, in multiply-adds (m·n·k), that is split between threads. */
export const SPLIT_PRODUCT = 1 << 22;

// The control block's words: the generation, the workers yet to check in, a worker's failure,
// the product's eight operands (as `SimdKernels.matMul` takes them), then each worker's first
// column and column count.
const [GENERATION, PENDING, FAILED, OPERANDS, COLUMNS] = [0, 1, 2, 3, 11];

// A worker: CommonJS, as node:worker_threads' eval workers run it.
const WORKER_SOURCE = `
const { workerData, parentPort } = require("node:worker_threads");
const { memory, control: buffer, bytes, index } = workerData;
const compiled = new WebAssembly.Module(bytes);
const { matMul } = new WebAssembly.Instance(compiled, { env: { memory } }).exports;
const control = new Int32Array(buffer);
parentPort.postMessage("ready");
for (let seen = 0; ; ) {
  Atomics.wait(control, ${GENERATION}, seen);
  seen = Atomics.load(control, ${GENERATION});
  try {
    const first = control[${COLUMNS} + 2 * index], count = control[${COLUMNS} + 2 * index + 1];
    if (count > 0) {
      const [a, b, bias, c, m, n, k, biased] = control.subarray(${OPERANDS}, ${OPERANDS + 8});
      const at = 4 * first;
      matMul(a, b + at * k, biased ? bias + at : bias, c + at, m, count, k, biased, n);
    }
  } catch {
    Atomics.store(control, ${FAILED}, 1);
  }
  if (Atomics.sub(control, ${PENDING}, 1) === 1) Atomics.notify(control, ${PENDING});
}
`;

interface Pool {
  control: Int32Array;
  workers: number;
}
const pools = new WeakMap<WebAssembly.Memory, Pool>();

/**
 * Starts `threads − 1` workers running gantry's kernel over `memory` (the threaded backend's,
 * shared); nothing for one thread, or when this memory has its pool already.
 */
export async function startProductPool(memory: WebAssembly.Memory, threads: number) {
  if (threads < 2 || pools.has(memory)) return;
  const workers = threads - 1;
  const control = new Int32Array(new SharedArrayBuffer(4 * (COLUMNS + 2 * workers)));
  const bytes = simdModuleBytes(true);
  const started = Array.from({ length: workers }, (_, index) =>
    new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { memory, control: control.buffer, bytes, index },
    }));
  await Promise.all(started.map((worker) =>
    new Promise((ready, fail) => {
      worker.once("message", ready);
      worker.once("error", fail);
    })
  ));
  for (const worker of started) worker.unref();
  pools.set(memory, { control, workers });
}

/** The threads gantry's kernel runs on over `memory`: its pool's workers and the caller. */
export function productThreads(memory: WebAssembly.Memory): number {
  return (pools.get(memory)?.workers ?? 0) + 1;
}

/**
 * `SimdKernels.matMul` of a whole product (rows of n elements; `biased` as the kernel takes it),
 * its column blocks split between the pool's threads when `memory` has a pool and the product
 * has at least {@linkcode SPLIT_PRODUCT} multiply-adds and two blocks of 8 columns.
 */
export function matMulOnThreads(
  memory: WebAssembly.Memory,
  [a, b, bias, c]: number[],
  [m, n, k]: [number, number, number],
  biased: number,
): void {
  const kernel = simdKernels(memory);
  const pool = pools.get(memory);
  const parts = pool && m * n * k >= SPLIT_PRODUCT ? Math.min(pool.workers + 1, n >> 3) : 1;
  if (!pool || parts < 2) return kernel.matMul(a, b, bias, c, m, n, k, biased, n);
  const { control, workers } = pool;
  control.set([a, b, bias, c, m, n, k, biased], OPERANDS);
  // Whole blocks of 8 columns to each of the first parts − 1 workers; the rest on this thread.
  const width = 8 * Math.floor(n / 8 / parts);
  for (let w = 0; w < workers; w++) {
    control.set(w < parts - 1 ? [w * width, width] : [0, 0], COLUMNS + 2 * w);
  }
  const first = (parts - 1) * width, at = 4 * first;
  Atomics.store(control, PENDING, workers);
  Atomics.add(control, GENERATION, 1);
  Atomics.notify(control, GENERATION);
  try {
    const bAt = b + at * k; // B's panels: 4·k bytes a column
    kernel.matMul(a, bAt, biased ? bias + at : bias, c + at, m, n - first, k, biased, n);
  } finally {
    for (let pending; (pending = Atomics.load(control, PENDING)) !== 0;) {
      Atomics.wait(control, PENDING, pending);
    }
  }
  if (Atomics.exchange(control, FAILED, 0)) {
    throw new Error("gantry's product kernel failed on a worker thread");
  }
}
