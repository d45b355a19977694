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
import { aPanelsSize } from ${here("./wasm_panels.ts")};
import { simdKernels } from ${here("./wasm_simd.ts")};

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
console.log(productThreads(heapMemory(backend)), report.join(" "));
`;

Deno.test("gantry's product split between 3 threads is its product on one, bit for bit", async () => {
  const dir = await Deno.makeTempDir();
  const script = join(dir, "pool_check.ts");
  await Deno.writeTextFile(script, SCRIPT);
  try {
    const { code, stdout, stderr } = await runScript(script);
    assert.equal(code, 0, stderr);
    assert.equal(stdout.trim(), "3 true true true true");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
