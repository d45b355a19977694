import assert from "node:assert/strict";
import { join } from "node:path";
import { tf, tfl } from "../deps.ts";
import { startBackend } from "../core/backend/select.ts";
import { builtinRegistry } from "../builtins.ts";
import type { ExperimentInput } from "../core/config/schema.ts";
import { train } from "../core/train/train.ts";
import { spectrallyNormalize } from "../layers/spectral_norm.ts";
import { symmetricEigen } from "../metrics/_linalg.ts";

/** The largest singular value of a [rows, cols] matrix: √ of WᵀW's largest eigenvalue. */
function topSingularValue(values: Float32Array, rows: number, cols: number): number {
  const gram = new Float64Array(cols * cols);
  for (let i = 0; i < cols; i++) {
    for (let j = 0; j < cols; j++) {
      for (let r = 0; r < rows; r++) {
        gram[i * cols + j] += values[r * cols + i] * values[r * cols + j];
      }
    }
  }
  return Math.sqrt(Math.max(...symmetricEigen({ n: cols, data: gram }).values));
}

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test(`spectral norm on ${backend}: σ from power iteration is the top singular value`, async () => {
    await startBackend(backend);
    const input = tfl.input({ shape: [6, 6, 2] });
    const conv = tfl.layers.conv2d({
      filters: 3,
      kernelSize: 3,
      kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }),
    }).apply(input) as tfl.SymbolicTensor;
    const flat = tfl.layers.flatten().apply(conv) as tfl.SymbolicTensor;
    const dense = tfl.layers.dense({
      units: 4,
      kernelInitializer: tfl.initializers.glorotUniform({ seed: 4 }),
    }).apply(flat) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: dense });
    const vectors = spectrallyNormalize(model, 1, 11);
    assert.equal(vectors.length, 2, "the conv and the dense layer");
    const x = tf.randomNormal([2, 6, 6, 2], 0, 1, "float32", 5);
    for (let i = 0; i < 60; i++) tf.tidy(() => model.apply(x, { training: true }) as tf.Tensor);
    const kernels = [model.layers[1], model.layers[3]].map((l) => l.getWeights()[0]);
    for (const [i, kernel] of kernels.entries()) {
      const cols = kernel.shape.at(-1)!;
      const rows = kernel.size / cols;
      const w = await kernel.data() as Float32Array;
      const u = await vectors[i].data();
      // For the converged right singular vector u, ‖Wu‖ = σ.
      let squared = 0;
      for (let r = 0; r < rows; r++) {
        let dot = 0;
        for (let c = 0; c < cols; c++) dot += w[r * cols + c] * u[c];
        squared += dot * dot;
      }
      const sigma = topSingularValue(w, rows, cols);
      assert.ok(
        Math.abs(Math.sqrt(squared) - sigma) < 1e-4 * sigma,
        `${Math.sqrt(squared)} vs ${sigma}`,
      );
    }
    // The dense layer computes x·W/σ + b: its output scaled by σ is the raw layer's.
    const raw = tfl.layers.dense({ units: 4, weights: model.layers[3].getWeights() });
    const features = tf.randomNormal([3, 48], 0, 1, "float32", 6);
    const sigma = topSingularValue(await kernels[1].data() as Float32Array, 48, 4);
    const normalised = await (model.layers[3].apply(features) as tf.Tensor).data();
    const plain = await (raw.apply(features) as tf.Tensor).data();
    const bias = await model.layers[3].getWeights()[1].data();
    normalised.forEach((value, k) => {
      const expected = (plain[k] - bias[k % 4]) / sigma + bias[k % 4];
      assert.ok(Math.abs(value - expected) < 1e-4, `${value} vs ${expected}`);
    });
    model.dispose();
  });
}

Deno.test("a spectrally normalised D trains, with R1 through it, and a resumed run replays exactly", async () => {
  await startBackend("wasm");
  const config = (steps: number): ExperimentInput => ({
    dataset: "ring-8",
    backend: "wasm",
    architecture: { name: "mlp", options: { hidden: [16, 16], latentDim: 4 } },
    loss: "hinge",
    discriminator: { addons: ["spectral-norm"] },
    regularizers: [{ name: "r1", options: { gamma: 1 } }],
    train: { steps, batchSize: 16, checkpointEvery: 3, logEvery: 3 },
    evaluate: { every: 3, metrics: [{ name: "mode-coverage", options: { samples: 200 } }] },
  });
  const dir = await Deno.makeTempDir();
  const whole = await train(config(6), { registry: builtinRegistry(), outDir: join(dir, "whole") });
  assert.equal(whole.status, "ok", whole.error);
  const half = join(dir, "half");
  assert.equal(
    (await train(config(3), { registry: builtinRegistry(), outDir: half })).status,
    "ok",
  );
  const resumed = await train(config(6), {
    registry: builtinRegistry(),
    outDir: half,
    resume: true,
  });
  assert.equal(resumed.status, "ok", resumed.error);
  assert.equal(
    await Deno.readTextFile(join(half, "metrics.jsonl")),
    await Deno.readTextFile(join(dir, "whole", "metrics.jsonl")),
  );
  const state = JSON.parse(await Deno.readTextFile(join(half, "checkpoint", "state.json")));
  assert.deepEqual(
    state.plugins["discriminator.addons[0]"].tensors.map((t: { name: string }) => t.name),
    ["u0", "u1", "u2"],
  );
});

Deno.test("spectral norm refuses a model it finds nothing to normalise in", () => {
  const model = tfl.sequential({ layers: [tfl.layers.flatten({ inputShape: [2, 2] })] });
  assert.throws(() => spectrallyNormalize(model, 1, 1), /found no Dense or Conv2D layer/);
});
