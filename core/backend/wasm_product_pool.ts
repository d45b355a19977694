/**
 * gantry's SIMD kernels on the threaded wasm backend's threads. tfjs-backend-wasm's threaded
 * build runs XNNPACK on its own pthread pool, which gantry's kernels cannot reach; so, when the
 * backend starts with `threads` threads, `threads − 1` worker threads of gantry's instantiate the
 * same SIMD module over the backend's shared memory. A large product's column blocks are split
 * between them and the calling thread, each thread writing its own columns' B panels first
 * (`matMulOnThreads`), and the fused optimizer updates of a large variable are split by runs of
 * elements (`blocksOnThreads`). Each output is still computed by one thread, as on one thread:
 * the bits do not depend on the thread count.
 *
 * The threads meet in a small shared control block: the calling thread writes each worker's calls
 * (a SIMD function's index and its arguments, as float64s), bumps a generation counter and wakes
 * the workers (`Atomics.notify`), runs its own part, then waits until every worker has checked
 * in, those without work this time included, so that none still reads the block when the next
 * call writes it. Both sides wait as a short spin, then `Atomics.wait` (`SPINS`).
 * Waking a worker costs tens of µs, so products below {@linkcode SPLIT_PRODUCT} multiply-adds and
 * updates below {@linkcode SPLIT_BLOCKS} blocks run on the calling thread alone. The workers are unref'd: they do not keep a process alive.
 *
 * @module
 */
import { Worker } from "node:worker_threads";
import { bPanelsCall, type Stored, writePanels } from "./wasm_panels.ts";
import {
  callSimd,
  type SimdCall,
  type SimdKernels,
  simdKernels,
  simdModuleBytes,
} from "./wasm_simd.ts";

/** The smallest product, in multiply-adds (m·n·k), that is split between threads. */
export const SPLIT_PRODUCT = 1 << 22;

/**
 * How many times a thread reads the control block for its next work before it sleeps: about
 * 0.25 ms here. A sleeping thread takes tens of µs to wake, and a step's products come a
 * millisecond or less apart: with the spin, the 2-thread mlp step took 0.95 of its time.
 */
const SPINS = 1 << 15;
/** The most arguments of a call, and of calls a thread runs in one go. */
const [MAX_ARGS, MAX_CALLS] = [16, 2];
/** A thread's calls in the control block: their count, then each call's function, argc, args. */
const SLOT = 1 + MAX_CALLS * (2 + MAX_ARGS);
// The control block's int32 words (generation, the workers yet to check in, a worker's failure),
// then, from byte 16, each worker's slot of float64s.
const [GENERATION, PENDING, FAILED, SLOTS_AT] = [0, 1, 2, 16];

// A worker: CommonJS, as node:worker_threads' eval workers run it.
const WORKER_SOURCE = `
const { workerData, parentPort } = require("node:worker_threads");
const { memory, control: buffer, bytes, names, index } = workerData;
const compiled = new WebAssembly.Module(bytes);
const kernels = new WebAssembly.Instance(compiled, { env: { memory } }).exports;
const functions = names.map((name) => kernels[name]);
const control = new Int32Array(buffer);
const slot = new Float64Array(buffer, ${SLOTS_AT} + 8 * ${SLOT} * index, ${SLOT});
parentPort.postMessage("ready");
for (let seen = 0; ; ) {
  for (let spin = 0; spin < ${SPINS} && Atomics.load(control, ${GENERATION}) === seen; spin++);
  Atomics.wait(control, ${GENERATION}, seen);
  seen = Atomics.load(control, ${GENERATION});
  try {
    for (let call = 0, at = 1; call < slot[0]; call++, at += 2 + slot[at + 1]) {
      functions[slot[at]](...slot.subarray(at + 2, at + 2 + slot[at + 1]));
    }
  } catch {
    Atomics.store(control, ${FAILED}, 1);
  }
  if (Atomics.sub(control, ${PENDING}, 1) === 1) Atomics.notify(control, ${PENDING});
}
`;

interface Pool {
  control: Int32Array;
  slots: Float64Array;
  names: (keyof SimdKernels)[];
  workers: number;
}
const pools = new WeakMap<WebAssembly.Memory, Pool>();

/**
 * Starts `threads − 1` workers running gantry's SIMD module over `memory` (the threaded
 * backend's, shared); nothing for one thread, or when this memory has its pool already.
 */
export async function startProductPool(memory: WebAssembly.Memory, threads: number) {
  if (threads < 2 || pools.has(memory)) return;
  const workers = threads - 1;
  const buffer = new SharedArrayBuffer(SLOTS_AT + 8 * SLOT * workers);
  const control = new Int32Array(buffer, 0, SLOTS_AT / 4);
  const bytes = simdModuleBytes(true);
  const names = Object.keys(simdKernels(memory)) as (keyof SimdKernels)[];
  const started = Array.from({ length: workers }, (_, index) =>
    new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { memory, control: buffer, bytes, names, index },
    }));
  await Promise.all(started.map((worker) =>
    new Promise((ready, fail) => {
      worker.once("message", ready);
      worker.once("error", fail);
    })
  ));
  for (const worker of started) worker.unref();
  pools.set(memory, { control, slots: new Float64Array(buffer, SLOTS_AT), names, workers });
}

/** The threads gantry's kernels run on over `memory`: its pool's workers and the caller. */
export function productThreads(memory: WebAssembly.Memory): number {
  return (pools.get(memory)?.workers ?? 0) + 1;
}

/**
 * Runs each worker's calls (at most {@linkcode MAX_CALLS} a worker, from the first worker on),
 * then `here` on this thread, and returns when all are done.
 */
function runParts(pool: Pool, parts: SimdCall[][], here: () => void): void {
  const { control, slots, names, workers } = pool;
  for (let w = 0; w < workers; w++) {
    const calls = parts[w] ?? [];
    if (calls.length > MAX_CALLS || calls.some((call) => call.length > 1 + MAX_ARGS)) {
      throw new Error(`a worker's part exceeds its slot: ${calls.map(([name]) => name)}`);
    }
    let at = w * SLOT;
    slots[at++] = calls.length;
    for (const [name, ...args] of calls) {
      slots.set([names.indexOf(name), args.length, ...args], at);
      at += 2 + args.length;
    }
  }
  Atomics.store(control, PENDING, workers);
  Atomics.add(control, GENERATION, 1);
  Atomics.notify(control, GENERATION);
  let failed = false;
  try {
    here();
  } finally {
    for (let spin = 0; spin < SPINS && Atomics.load(control, PENDING) !== 0; spin++);
    for (let pending; (pending = Atomics.load(control, PENDING)) !== 0;) {
      Atomics.wait(control, PENDING, pending);
    }
    // Cleared whatever happened here, so that a failure is not the next call's.
    failed = Atomics.exchange(control, FAILED, 0) === 1;
  }
  if (failed) throw new Error("gantry's SIMD kernels failed on a worker thread");
}

/** The fewest blocks of four floats an elementwise kernel splits between threads. */
export const SPLIT_BLOCKS = 1 << 15;

/**
 * An elementwise SIMD function over `blocks` blocks of four floats, split into contiguous runs
 * between the pool's threads when `memory` has a pool and there are at least
 * {@linkcode SPLIT_BLOCKS}: `call(first, count)` is its call for blocks [first, first + count).
 * Each element is computed as on one thread, so the bits do not depend on the split.
 */
export function blocksOnThreads(
  memory: WebAssembly.Memory,
  blocks: number,
  call: (first: number, count: number) => SimdCall,
): void {
  const pool = pools.get(memory);
  const count = pool && blocks >= SPLIT_BLOCKS ? pool.workers + 1 : 1;
  const part = Math.ceil(blocks / count);
  const parts = Array.from({ length: count }, (_, p) => {
    const first = Math.min(blocks, p * part);
    return call(first, Math.min(blocks, first + part) - first);
  });
  const here = () => callSimd(simdKernels(memory), parts.at(-1)!);
  if (!pool || count < 2) return here();
  runParts(pool, parts.slice(0, -1).map((c) => [c]), here);
}

/** B's panels still to write, for `matMulOnThreads`: where B is, and how it is stored. */
export interface PanelsToWrite {
  /** B's byte offset on the heap. */
  from: number;
  /** Whether B is held as [k, n] ("as is") or as Bᵀ ("transposed"). */
  stored: Stored;
}

/**
 * `SimdKernels.matMul` of a whole product (rows of n elements; `biased` as the kernel takes it),
 * its column blocks split between the pool's threads when `memory` has a pool and the product
 * has at least {@linkcode SPLIT_PRODUCT} multiply-adds and two blocks of 8 columns. With
 * `writeB`, B's panels (at b) are written here first from B where it is stored: each thread
 * writes its own columns' panels where one SIMD call writes them whole (`bPanelsCall`), so that
 * the writing is split too and each thread's panels are in its own cache.
 */
export function matMulOnThreads(
  memory: WebAssembly.Memory,
  [a, b, bias, c]: number[],
  [m, n, k]: [number, number, number],
  biased: number,
  writeB?: PanelsToWrite,
): void {
  const kernels = simdKernels(memory);
  const writeHere = (range: [number, number]) =>
    writeB && writePanels(
      "b",
      kernels,
      new Float32Array(memory.buffer),
      [writeB.from, b],
      [k, n],
      writeB.stored,
      range,
    );
  const pool = pools.get(memory);
  const count = pool && m * n * k >= SPLIT_PRODUCT ? Math.min(pool.workers + 1, n >> 3) : 1;
  if (!pool || count < 2) {
    writeHere([0, n]);
    return kernels.matMul(a, b, bias, c, m, n, k, biased, n);
  }
  // Whole blocks of 8 columns to each of the first count − 1 workers; the rest on this thread.
  const width = 8 * Math.floor(n / 8 / count), mine = (count - 1) * width;
  /** matMul's arguments for columns [first, end); B's panels are 4·k bytes a column. */
  const product = (first: number, end: number): Parameters<SimdKernels["matMul"]> => {
    const at = 4 * first;
    return [a, b + at * k, biased ? bias + at : bias, c + at, m, end - first, k, biased, n];
  };
  const workers = Array.from({ length: count - 1 }, (_, w) => [w * width, (w + 1) * width]);
  const panels = workers.map((range) =>
    writeB && bPanelsCall([writeB.from, b], [k, n], writeB.stored, range as [number, number])
  );
  // Whether one SIMD call writes a worker's panels depends on B's layout and k alone: all the
  // workers' or none. Where none, this thread writes all of B's panels first.
  const split = !writeB || panels[0] !== undefined;
  if (!split) writeHere([0, n]);
  const parts = workers.map(([first, end], w): SimdCall[] => {
    const call: SimdCall = ["matMul", ...product(first, end)];
    return split && panels[w] ? [panels[w]!, call] : [call];
  });
  runParts(pool, parts, () => {
    if (split) writeHere([mine, n]);
    kernels.matMul(...product(mine, n));
  });
}
