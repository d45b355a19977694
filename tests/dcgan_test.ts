import assert from "node:assert/strict";
import { join } from "node:path";
import { decodePng } from "../deps.ts";
import { definePlugin } from "../core/contract/plugin.ts";
import { webgpuAdapter } from "../core/backend/webgpu.ts";
import { builtinRegistry } from "../builtins.ts";
import type { ExperimentInput } from "../core/config/schema.ts";
import { train } from "../core/train/train.ts";

const webgpuMissing = !(await webgpuAdapter()) && !Deno.env.get("GANTRY_REQUIRE_WEBGPU");

const tinyDcgan = (backend: "cpu" | "wasm" | "webgpu"): ExperimentInput => ({
  dataset: "mnist",
  backend,
  architecture: { name: "dcgan", options: { baseWidth: 4, depth: 2, latentDim: 8 } },
  discriminator: { addons: ["batch-norm"] },
  train: { steps: 3, batchSize: 4, logEvery: 1 },
  evaluate: { every: 3, metrics: [], samples: 4 },
});

async function losses(backend: "cpu" | "wasm" | "webgpu"): Promise<number[]> {
  const values: number[] = [];
  const result = await train(tinyDcgan(backend), {
    registry: builtinRegistry(),
    onProgress: (p) => values.push(p.dLoss, p.gLoss),
  });
  assert.equal(result.status, "ok", result.error);
  return values;
}

function assertClose(actual: number[], expected: number[], label: string) {
  assert.equal(actual.length, expected.length);
  actual.forEach((value, i) => {
    const relative = Math.abs(value - expected[i]) / Math.max(Math.abs(expected[i]), 1e-6);
    assert.ok(relative < 1e-3, `${label}: loss ${i} is ${value}, cpu gives ${expected[i]}`);
  });
}

Deno.test({
  name: "DCGAN trains alike on cpu, wasm and webgpu from the same seed (losses within 1e-3)",
  ignore: webgpuMissing,
}, async () => {
  const reference = await losses("cpu");
  assert.equal(reference.length, 6);
  assertClose(await losses("wasm"), reference, "wasm");
  assertClose(await losses("webgpu"), reference, "webgpu");
});

Deno.test("DCGAN with minibatch discrimination and feature matching trains on wasm", async () => {
  const seen: number[] = [];
  const result = await train(
    {
      ...tinyDcgan("wasm"),
      loss: "feature-matching",
      discriminator: {
        addons: ["batch-norm", {
          name: "minibatch-discrimination",
          options: { kernels: 4, dims: 2 },
        }],
      },
    },
    { registry: builtinRegistry(), onProgress: (p) => seen.push(p.gLoss) },
  );
  assert.equal(result.status, "ok", result.error);
  assert.ok(seen.every(Number.isFinite) && seen[0] > 0, String(seen));
});

Deno.test("dcgan refuses image sides that 2^depth does not divide, before training", async () => {
  await assert.rejects(
    () =>
      train(
        { ...tinyDcgan("cpu"), architecture: { name: "dcgan", options: { depth: 3 } } },
        { registry: builtinRegistry() },
      ),
    /Plugin architecture "dcgan" failed in create: Cannot build dcgan for data of shape \[28,28,1\]/,
  );
});

Deno.test("dcgan builds for 32x32 colour images with depth 3 and trains on wasm", async () => {
  const registry = builtinRegistry().register(definePlugin({
    kind: "dataset",
    name: "noise-32",
    description: "random 32x32x3 images in [-1, 1]",
    create: ({ tf }) => ({
      info: { shape: [32, 32, 3], kind: "image", range: [-1, 1] },
      sample: (rng, n) => ({
        x: tf.tensor4d(rng.fill(new Float32Array(n * 32 * 32 * 3), "uniform"), [n, 32, 32, 3]),
      }),
    }),
  }));
  const dir = await Deno.makeTempDir();
  const result = await train({
    ...tinyDcgan("wasm"),
    dataset: "noise-32",
    architecture: { name: "dcgan", options: { baseWidth: 4, depth: 3, latentDim: 8 } },
  }, { registry, outDir: dir });
  assert.equal(result.status, "ok", result.error);
  const png = decodePng(await Deno.readFile(join(dir, "samples", "step-000003.png")));
  // 2 x 2 tiles of 32 px at twice their size, RGB.
  assert.deepEqual([png.width, png.height, png.channels], [2 * 66 + 2, 2 * 66 + 2, 3]);
});
