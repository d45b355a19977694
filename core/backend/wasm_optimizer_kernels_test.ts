import assert from "node:assert/strict";
import { tf } from "../../deps.ts";
import { createRng } from "../contract/rng.ts";
import { optimizerWeights } from "../store/optimizer_state.ts";
import { createOptimizers } from "../train/optimizers.ts";
import { useBackend } from "./select.ts";
import { FUSED_ADAM } from "./wasm_optimizer_kernels.ts";

const OPTIMIZERS = {
  adam: { name: "adam", lr: 0.01, beta1: 0.8, beta2: 0.99, momentum: 0.7 },
  sgd: { name: "sgd", lr: 0.05, beta1: 0.8, beta2: 0.99, momentum: 0.7 },
  momentum: { name: "momentum", lr: 0.05, beta1: 0.8, beta2: 0.99, momentum: 0.7 },
} as const;

/** tfjs's own optimizer of the same config: its unfused update, kernel by kernel. */
function tfjsOptimizer(o: typeof OPTIMIZERS[keyof typeof OPTIMIZERS]): tf.Optimizer {
  if (o.name === "adam") return tf.train.adam(o.lr, o.beta1, o.beta2, 1e-8);
  if (o.name === "sgd") return tf.train.sgd(o.lr);
  return tf.train.momentum(o.lr, o.momentum);
}

/** Weights and optimizer state after `steps` updates of two variables on random gradients. */
async function trained(optimizer: tf.Optimizer, steps: number) {
  const rng = createRng(7);
  const fill = (n: number) => rng.fill(new Float32Array(n));
  const variables = [
    tf.variable(tf.tensor2d(fill(300), [20, 15])),
    tf.variable(tf.tensor1d(fill(15))),
  ];
  const kernels = new Set<string>();
  for (let step = 0; step < steps; step++) {
    const gradients = variables.map((v) => ({
      name: v.name,
      tensor: tf.tensor(fill(v.size), v.shape),
    }));
    const profile = await tf.profile(() => optimizer.applyGradients(gradients));
    profile.kernelNames.forEach((name) => kernels.add(name));
    tf.dispose(gradients.map((g) => g.tensor));
  }
  const state = await optimizerWeights(optimizer);
  const result = {
    weights: await Promise.all(variables.map((v) => v.data())),
    state: await Promise.all(
      state.map(async (w) => [w.name.replace(/.*\//, ""), await w.tensor.data()]),
    ),
    kernels,
  };
  tf.dispose([...variables, ...state.map((w) => w.tensor)]);
  optimizer.dispose();
  return result;
}

for (const [name, config] of Object.entries(OPTIMIZERS)) {
  Deno.test(`fused ${name} on wasm equals tfjs's ${name} bit for bit, state included`, async () => {
    await useBackend("wasm");
    const fused = await trained(createOptimizers(config).generator, 5);
    const reference = await trained(tfjsOptimizer(config), 5);
    assert.deepEqual(fused.weights, reference.weights);
    assert.deepEqual(fused.state, reference.state);
    // One kernel a variable where tfjs runs several.
    assert.ok(
      [...fused.kernels].some((k) => k.startsWith("GantryFused")),
      [...fused.kernels].join(),
    );
    assert.ok(fused.kernels.size < reference.kernels.size);
  });
}

Deno.test("fused optimizers fall back to tfjs's update where the backend has no fused kernel", async () => {
  await useBackend("cpu");
  assert.equal(tf.getKernel(FUSED_ADAM, "cpu"), undefined);
  const fused = await trained(createOptimizers(OPTIMIZERS.adam).generator, 3);
  const reference = await trained(tfjsOptimizer(OPTIMIZERS.adam), 3);
  assert.deepEqual(fused.weights, reference.weights);
  assert.deepEqual(fused.kernels, reference.kernels);
});
