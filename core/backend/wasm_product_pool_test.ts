import assert from "node:assert/strict";
import { join } from "node:path";
import { runScript } from "../../tests/_cli.ts";

const here = (file: string) => JSON.stringify(new URL(file, import.meta.url).href);

// tfjs starts wasm once a process, so the threaded backend runs in a process of its own.
const SCRIPT = `
import { tf } from ${here("../../deps.ts")};
import { useBackend } from ${here("./select.ts")};
import { heapMemory, onHeap } from ${here("./wasm_kernel.ts")};
import { matMulOnThreads, productThreads, SPLIT_PRODUCT } from ${here("./wasm_product_pool.ts")};
import { aPanelsSize, writePanels } from ${here("./wasm_panels.ts")};
import { simdKernels } from ${here("./wasm_simd.ts")};
import { createOptimizers } from ${here("../train/optimizers.ts")};

await useBackend("wasm", 3);
const backend = tf.backend();
const report = [];
// Two and three parts, whole blocks and leftover columns, with a bias and without.
for (const [m, k, n, biased] of [[64, 4096, 17, 1], [64, 512, 133, 0], [256, 64, 1000, 1], [5, 7000, 130, 0]]) {
  // Random panels (wasm_panels.ts), as the kernel reads its operands.
  const [a, b, bias] = [tf.randomNormal([aPanelsSize(m, k)]), tf.randomNormal([k, n]), tf.randomNormal([n])];
  const { outputs: [pooled, alone], offset, view, memory } = onHeap(backend, [[m, n], [m, n]]);
  view(pooled).fill(NaN);
  view(alone).fill(NaN);
  const operands = [offset(a), offset(b), offset(bias)];
  matMulOnThreads(memory, [...operands, offset(pooled)], [m, n, k], biased);
  simdKernels(memory).matMul(...operands, offset(alone), m, n, k, biased, n);
  const [x, y] = [view(pooled), view(alone)];
  const same = x.every((v, i) => Object.is(v, y[i])) && !x.some(Number.isNaN);
  report.push(m * n * k >= SPLIT_PRODUCT && same);
  backend.disposeData(pooled.dataId);
  backend.disposeData(alone.dataId);
  tf.dispose([a, b, bias]);
}
// B's panels written by each thread for its own columns (B as stored or transposed, k a
// multiple of 4 or not: then this thread writes them all), against one thread's.
const panels = [];
for (const [m, k, n, stored] of [[64, 512, 784, "as is"], [64, 512, 784, "transposed"], [64, 4098, 133, "transposed"], [8, 3001, 260, "as is"]]) {
  const [a, b, bias] = [tf.randomNormal([aPanelsSize(m, k)]), tf.randomNormal([k, n]), tf.randomNormal([n])];
  const { outputs: [pooledB, aloneB, pooled, alone], offset, view, memory } =
    onHeap(backend, [[k, n], [k, n], [m, n], [m, n]]);
  matMulOnThreads(memory, [offset(a), offset(pooledB), offset(bias), offset(pooled)], [m, n, k], 1, { from: offset(b), stored });
  const floats = new Float32Array(memory.buffer);
  writePanels("b", simdKernels(memory), floats, [offset(b), offset(aloneB)], [k, n], stored);
  simdKernels(memory).matMul(offset(a), offset(aloneB), offset(bias), offset(alone), m, n, k, 1, n);
  const same = (x, y) => x.every((v, i) => Object.is(v, y[i]));
  panels.push(same(view(pooledB), view(aloneB)) && same(view(pooled), view(alone)));
  for (const t of [pooledB, aloneB, pooled, alone]) backend.disposeData(t.dataId);
  tf.dispose([a, b, bias]);
}
// The fused updates of a variable of 2^18 + 3 floats, split between the threads, against tfjs's
// own (its ops, kernel by kernel).
for (const name of ["adam", "sgd", "momentum"]) {
  const config = { name, lr: 0.01, beta1: 0.8, beta2: 0.99, momentum: 0.7 };
  const reference = { adam: () => tf.train.adam(0.01, 0.8, 0.99, 1e-8), sgd: () => tf.train.sgd(0.01), momentum: () => tf.train.momentum(0.01, 0.7) }[name];
  const weights = [];
  for (const optimizer of [createOptimizers(config).generator, reference()]) {
    const x = tf.variable(tf.randomUniform([(1 << 18) + 3], -1, 1, "float32", 7));
    for (let i = 0; i < 2; i++) optimizer.minimize(() => tf.sum(tf.square(x)));
    weights.push(await x.data());
    x.dispose();
    optimizer.dispose();
  }
  panels.push(weights[0].every((v, i) => Object.is(v, weights[1][i])));
}
console.log(productThreads(heapMemory(backend)), report.join(" "), panels.join(" "));
`;

Deno.test("gantry's product and fused updates split between 3 threads are theirs on one, bit for bit", async () => {
  const dir = await Deno.makeTempDir();
  const script = join(dir, "pool_check.ts");
  await Deno.writeTextFile(script, SCRIPT);
  try {
    const { code, stdout, stderr } = await runScript(script);
    assert.equal(code, 0, stderr);
    assert.equal(stdout.trim(), "3 true true true true true true true true true true true");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// DCGAN's convolutions at batch 8, their outputs' bytes and SHA-256: the products (and the filter
// gradient's dy panels, written by each thread) split between threads or not.
const CONVOLUTIONS = (threads: number) => `
import { tf } from ${here("../../deps.ts")};
import { useBackend } from ${here("./select.ts")};
import { createRng } from ${here("../contract/rng.ts")};

await useBackend("wasm", ${threads});
const rng = createRng(3);
const make = (shape) => tf.tensor(rng.fill(new Float32Array(shape.reduce((a, b) => a * b))), shape);
const [x, filter, dy] = [make([8, 14, 14, 64]), make([5, 5, 64, 128]), make([8, 7, 7, 128])];
const attrs = { strides: 2, pad: "same", dataFormat: "NHWC" };
const outputs = [
  tf.conv2d(x, filter, 2, "same"),
  tf.conv2dTranspose(dy, filter, [8, 14, 14, 64], 2, "same"),
  tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, { ...attrs, filterShape: [5, 5, 64, 128] }),
];
const values = await Promise.all(outputs.map((y) => y.data()));
const bytes = new Uint8Array(values.reduce((n, v) => n + v.byteLength, 0));
values.reduce((at, v) => (bytes.set(new Uint8Array(v.buffer), at), at + v.byteLength), 0);
const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
console.log(bytes.length, [...digest].map((b) => b.toString(16).padStart(2, "0")).join(""));
`;

Deno.test("DCGAN's convolutions on 3 threads have their bits on one", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const digests = [];
    for (const threads of [1, 3]) {
      const script = join(dir, `convolutions_${threads}.ts`);
      await Deno.writeTextFile(script, CONVOLUTIONS(threads));
      const { code, stdout, stderr } = await runScript(script);
      assert.equal(code, 0, stderr);
      digests.push(stdout.trim());
    }
    assert.ok(Number(digests[0].split(" ")[0]) > 0);
    assert.equal(digests[1], digests[0]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
