/**
 * One matrix product at a time on wasm, tfjs-backend-wasm's own kernel (XNNPACK) against the one
 * gantry registers (`core/backend/wasm_matmul.ts`), as training calls them: a new B every call
 * (XNNPACK packs each B it has not seen), aᵀ·b through a transpose for XNNPACK and written into
 * panels by gantry's for the small ones (`core/backend/wasm_panels.ts`); then the transposes of weight-sized matrices, wasm's
 * Transpose kernel against gantry's. Windows of the two alternate in one process; prints each
 * side's median and min–max ms over 9 windows, and the ratio of the medians.
 *
 * Usage: deno run -A bench/product_bench.ts
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { KernelFunc } from "../core/backend/wasm_kernel.ts";
import { transposeLastTwo } from "../core/backend/wasm_matmul.ts";

// Taken before gantry registers its kernels, which starting the backend does.
const xnnpack = tf.getKernel("BatchMatMul", "wasm")!.kernelFunc as unknown as KernelFunc;
const { useBackend } = await import("../core/backend/select.ts");
await useBackend("wasm");
const gantry = tf.getKernel("BatchMatMul", "wasm")!.kernelFunc as unknown as KernelFunc;
const transpose = tf.getKernel("Transpose", "wasm")!.kernelFunc as unknown as KernelFunc;
const backend = tf.backend();

/** [m, k, n, aᵀ·b]: the ring's and mlp's forward products and weight gradients. */
const PRODUCTS: [number, number, number, boolean][] = [
  [64, 128, 128, false],
  [128, 64, 128, true],
  [64, 100, 256, false],
  [100, 64, 256, true],
  [256, 64, 1, true],
  [64, 256, 512, false],
  [256, 64, 512, true],
  [64, 784, 512, false],
  [512, 64, 784, true],
];
const WINDOWS = 9;

const info = (t: tf.Tensor): tf.TensorInfo => ({
  dataId: t.dataId,
  shape: t.shape,
  dtype: t.dtype,
});
const free = (t: tf.TensorInfo) => backend.disposeData(t.dataId);
const ms = (x: number) => x.toFixed(3);

/**
 * Times two sides' windows (ms a call) alternately after a warm-up and prints each side's
 * median and min–max, and the ratio of the medians (the first side's over the second's).
 */
function compare(label: string, ...sides: [string, () => number][]) {
  for (const [, window] of sides) window();
  const times = sides.map(() => [] as number[]);
  for (let w = 0; w < WINDOWS; w++) sides.forEach(([, window], i) => times[i].push(window()));
  const sorted = times.map((t) => t.sort((p, q) => p - q));
  const median = sorted.map((t) => t[WINDOWS >> 1]);
  const spread = sides.map(([name], i) =>
    `${name} ${ms(median[i])} ms (${ms(sorted[i][0])}–${ms(sorted[i].at(-1)!)})`
  );
  console.log(`${label}: ${spread.join(", ")}, ${(median[0] / median[1]).toFixed(2)}x`);
}

for (const [m, k, n, transposed] of PRODUCTS) {
  const a = tf.randomNormal(transposed ? [1, k, m] : [1, m, k]);
  const calls = Math.max(3, Math.round(2e7 / (m * n * k)));
  const attrs = { transposeA: transposed, transposeB: false };
  const ours = (b: tf.TensorInfo) =>
    free(gantry({ inputs: { a: info(a), b }, backend, attrs }) as tf.TensorInfo);
  const theirs = (b: tf.TensorInfo) => {
    const aIn = transposed
      ? transpose({ inputs: { x: info(a) }, backend, attrs: { perm: [0, 2, 1] } }) as tf.TensorInfo
      : info(a);
    const plain = { transposeA: false, transposeB: false };
    free(xnnpack({ inputs: { a: aIn, b }, backend, attrs: plain }) as tf.TensorInfo);
    if (transposed) free(aIn);
  };
  /** ms a call over one window, each call with a B made before the window. */
  const window = (product: (b: tf.TensorInfo) => void) => {
    const bs = Array.from({ length: calls }, () => tf.randomNormal([1, k, n]));
    const start = performance.now();
    for (const b of bs) product(info(b));
    const elapsed = (performance.now() - start) / calls;
    tf.dispose(bs);
    return elapsed;
  };
  compare(
    `${m}x${k} · ${k}x${n}${transposed ? " (aT·b)" : ""}`,
    ["XNNPACK", () => window(theirs)],
    ["gantry", () => window(ours)],
  );
  a.dispose();
}

/** The weight matrices a product's gradient transposes: wasm's kernel against gantry's blocks. */
for (const [rows, cols] of [[128, 128], [256, 512], [512, 784], [127, 130]]) {
  const x = info(tf.randomNormal([rows, cols]));
  const calls = Math.round(4e6 / (rows * cols)) + 10;
  const window = (swap: () => tf.TensorInfo) => {
    const start = performance.now();
    for (let c = 0; c < calls; c++) free(swap());
    return (performance.now() - start) / calls;
  };
  const perm = [1, 0];
  compare(
    `transpose ${rows}x${cols}`,
    [
      "wasm",
      () => window(() => transpose({ inputs: { x }, backend, attrs: { perm } }) as tf.TensorInfo),
    ],
    ["gantry", () => window(() => transposeLastTwo(transpose, x, backend))],
  );
  free(x);
}
