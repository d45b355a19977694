/**
 * One matrix product at a time on wasm, tfjs-backend-wasm's own kernel (XNNPACK) against the one
 * gantry registers (`core/backend/wasm_matmul.ts`), as training calls them: a new B every call
 * (XNNPACK packs each B it has not seen), aᵀ·b through a transpose for XNNPACK and written into
 * panels by gantry's for the small ones (`core/backend/wasm_panels.ts`); then the transposes of weight-sized matrices, wasm's
 * Transpose kernel against gantry's. Windows of the two alternate in one process; prints each
 * side's median and min–max ms over 9 windows, and the ratio of the medians. First it prints the
 * ceiling a 4-lane wasm product has on this core (`fmaPeak`), and with each product gantry's
 * rate in G multiply-adds/s (m·n·k over its median) beside it.
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
 * The most multiply-adds a second one thread's 4-lane wasm SIMD can do here (G/s): a module of
 * one function running 12 independent chains of `f32x4.relaxed_madd` on registers, no loads
 * (12 in flight covers FMA3's latency on two pipes), best of 5 windows.
 */
function fmaPeak(): number {
  const CHAINS = 12, [count, x, y] = [0, 1, 2], chain = (c: number) => 3 + c;
  const [get, set] = [(i: number) => [0x20, i], (i: number) => [0x21, i]];
  const splat = (v: number) => [0x43, ...new Uint8Array(Float32Array.of(v).buffer), 0xfd, 0x13];
  const lane0 = (c: number) => [...get(chain(c)), 0xfd, 0x1f, 0]; // f32x4.extract_lane 0
  // deno-fmt-ignore
  const body = [
    1, CHAINS + 2, 0x7b, // locals: x, y and the chains, v128
    ...splat(0.999), ...set(x), ...splat(0.001), ...set(y),
    0x02, 0x40, 0x03, 0x40, ...get(count), 0x45, 0x0d, 1, // while (count)
    ...[...Array(CHAINS).keys()].flatMap((c) => [
      ...get(chain(c)), ...get(x), ...get(y), 0xfd, 0x85, 0x02, ...set(chain(c)), // c·x + y
    ]),
    ...get(count), 0x41, 1, 0x6b, ...set(count), 0x0c, 0, 0x0b, 0x0b, // count--
    ...lane0(0), ...[...Array(CHAINS - 1).keys()].flatMap((c) => [...lane0(c + 1), 0x92]),
    0x0b,
  ];
  const size = (n: number) => n < 128 ? [n] : [(n & 0x7f) | 0x80, n >> 7]; // LEB128, n < 2¹⁴
  const section = (id: number, bytes: number[]) => [id, ...size(bytes.length), ...bytes];
  const module = new Uint8Array([
    ...[0, 0x61, 0x73, 0x6d, 1, 0, 0, 0],
    ...section(1, [1, 0x60, 1, 0x7f, 1, 0x7d]), // (i32) -> f32
    ...section(3, [1, 0]),
    ...section(7, [1, 4, ...new TextEncoder().encode("peak"), 0, 0]),
    ...section(10, [1, ...size(body.length), ...body]),
  ]);
  const { peak } = new WebAssembly.Instance(new WebAssembly.Module(module)).exports as {
    peak: (count: number) => number;
  };
  const ITERATIONS = 2e7;
  peak(ITERATIONS);
  const rates = Array.from({ length: 5 }, () => {
    const start = performance.now();
    if (!(peak(ITERATIONS) > 0)) throw new Error("fmaPeak: the chains did not run");
    return ITERATIONS * CHAINS * 4 / (performance.now() - start) / 1e6;
  });
  return Math.max(...rates);
}
console.log(`4-lane relaxed_madd peak of one thread: ${fmaPeak().toFixed(1)} G multiply-adds/s`);

/**
 * Times two sides' windows (ms a call) alternately after a warm-up and prints each side's
 * median and min–max, and the ratio of the medians (the first side's over the second's), and
 * for a product of `multiplyAdds` (0: not a product) the second side's rate.
 */
function compare(label: string, multiplyAdds: number, ...sides: [string, () => number][]) {
  for (const [, window] of sides) window();
  const times = sides.map(() => [] as number[]);
  for (let w = 0; w < WINDOWS; w++) sides.forEach(([, window], i) => times[i].push(window()));
  const sorted = times.map((t) => t.sort((p, q) => p - q));
  const median = sorted.map((t) => t[WINDOWS >> 1]);
  const spread = sides.map(([name], i) =>
    `${name} ${ms(median[i])} ms (${ms(sorted[i][0])}–${ms(sorted[i].at(-1)!)})`
  );
  const rate = multiplyAdds ? `, gantry ${(multiplyAdds / median[1] / 1e6).toFixed(1)} G/s` : "";
  console.log(`${label}: ${spread.join(", ")}, ${(median[0] / median[1]).toFixed(2)}x${rate}`);
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
    m * n * k,
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
    0,
    [
      "wasm",
      () => window(() => transpose({ inputs: { x }, backend, attrs: { perm } }) as tf.TensorInfo),
    ],
    ["gantry", () => window(() => transposeLastTwo(transpose, x, backend))],
  );
  free(x);
}
