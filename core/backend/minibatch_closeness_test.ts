import assert from "node:assert/strict";
import { tf } from "../../deps.ts";
import { createRng } from "../contract/rng.ts";
import { minibatchCloseness } from "./minibatch_closeness.ts";
import { useBackend } from "./select.ts";

/** tfjs's ops, as the layer computed closeness before: the reference. */
function byOps(m: tf.Tensor): tf.Tensor {
  const distances = tf.sum(tf.abs(tf.sub(tf.expandDims(m, 1), tf.expandDims(m, 0))), 3);
  return tf.sub(tf.sum(tf.exp(tf.neg(distances)), 1), 1);
}

Deno.test("wasm's fused minibatch closeness and its gradient are tfjs's ops bit for bit", async () => {
  await useBackend("wasm");
  const rng = createRng(5);
  // B = 8 and 100 run in SIMD blocks only, B = 6 and 3 with JavaScript tails; rows 0 and 1 are
  // equal in one coordinate (|·|'s gradient at 0).
  for (const [n, kernels, dims] of [[16, 8, 3], [7, 6, 2], [5, 3, 5], [64, 100, 5]]) {
    const values = rng.fill(new Float32Array(n * kernels * dims));
    values[dims] = values[0];
    const m = tf.tensor3d(values, [n, kernels, dims]);
    const dy = tf.tensor2d(rng.fill(new Float32Array(n * kernels)), [n, kernels]);
    const fused = minibatchCloseness(m);
    const reference = byOps(m);
    assert.deepEqual(await fused.data(), await reference.data(), `closeness ${[n, kernels, dims]}`);
    const [fusedGrad] = tf.grads(minibatchCloseness)([m], dy);
    const [referenceGrad] = tf.grads(byOps)([m], dy);
    assert.deepEqual(fusedGrad.shape, [n, kernels, dims]);
    assert.deepEqual(
      await fusedGrad.data(),
      await referenceGrad.data(),
      `grad ${[n, kernels, dims]}`,
    );
    const profile = await tf.profile(() => tf.grads(minibatchCloseness)([m], dy));
    assert.ok(!profile.kernelNames.includes("Exp"), profile.kernelNames.join()); // fused
    tf.dispose([m, dy, fused, reference, fusedGrad, referenceGrad]);
  }
});

Deno.test("minibatch closeness leaves no tensor behind, with or without a gradient", async () => {
  for (const backend of ["wasm", "cpu"] as const) {
    await useBackend(backend);
    const m = tf.randomNormal([6, 4, 3]);
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      minibatchCloseness(m);
    });
    tf.tidy(() => {
      tf.grads(minibatchCloseness)([m], tf.ones([6, 4]));
    });
    assert.equal(tf.memory().numTensors, before, backend);
    m.dispose();
  }
});
