import assert from "node:assert/strict";
import { tf, tfl } from "../deps.ts";
import { useBackend } from "../core/backend/select.ts";
import { VirtualBatchNorm } from "./virtual_batch_norm.ts";
import { reload } from "./_reload.ts";

await useBackend("cpu");

function close(got: ArrayLike<number>, expected: number[], tolerance = 1e-5) {
  assert.equal(got.length, expected.length);
  expected.forEach((v, i) =>
    assert.ok(Math.abs(got[i] - v) < tolerance, `${i}: ${got[i]} vs ${v}`)
  );
}

Deno.test("every row is normalised with the reference rows' mean and variance", async () => {
  const layer = new VirtualBatchNorm({ referenceSize: 2 });
  // Reference rows [1, 10] and [3, 30]: means 2 and 20, variances 1 and 100.
  const x = tf.tensor2d([[1, 10], [3, 30], [5, -20]]);
  for (const training of [true, false]) {
    const y = layer.apply(x, { training }) as tf.Tensor;
    const s = (v: number) => Math.sqrt(v + 1e-5);
    close(await y.data(), [-1 / s(1), -10 / s(100), 1 / s(1), 10 / s(100), 3 / s(1), -40 / s(100)]);
    y.dispose();
  }
  // γ and β apply after normalising.
  const weights = [tf.tensor1d([2, 1]), tf.tensor1d([0.5, -1])];
  layer.setWeights(weights);
  tf.dispose(weights);
  const y = layer.apply(x) as tf.Tensor;
  const s = (v: number) => Math.sqrt(v + 1e-5);
  close(await y.data(), [
    -2 / s(1) + 0.5,
    -10 / s(100) - 1,
    2 / s(1) + 0.5,
    10 / s(100) - 1,
    6 / s(1) + 0.5,
    -40 / s(100) - 1,
  ]);
  tf.dispose([x, y]);
});

Deno.test("an example's output depends on the reference batch only, not on its batch", async () => {
  const layer = new VirtualBatchNorm({ referenceSize: 2, epsilon: 0 });
  const a = tf.tensor2d([[1], [3], [5], [7]]);
  const b = tf.tensor2d([[1], [3], [5], [-100]]);
  const c = tf.tensor2d([[1], [3], [5]]);
  const [ya, yb, yc] = [a, b, c].map((x) => layer.apply(x) as tf.Tensor);
  const [da, db, dc] = await Promise.all([ya, yb, yc].map((y) => y.data()));
  close(da, [-1, 1, 3, 5]);
  assert.deepEqual([...da.slice(0, 3)], [...db.slice(0, 3)]);
  assert.deepEqual([...da.slice(0, 3)], [...dc]);
  assert.throws(() => layer.apply(tf.tensor2d([[1]])), RangeError);
  tf.dispose([a, b, c, ya, yb, yc]);
});

Deno.test("feature maps are normalised per channel over the reference rows' positions", async () => {
  const layer = new VirtualBatchNorm({ referenceSize: 1, epsilon: 0 });
  // One reference map, 1x2 positions of 2 channels: channel 0 holds 0 and 2 (mean 1, var 1),
  // channel 1 holds 1 and 7 (mean 4, var 9).
  const x = tf.tensor4d([[[[0, 1], [2, 7]]], [[[3, 4], [1, 10]]]]);
  const y = layer.apply(x) as tf.Tensor;
  assert.deepEqual(y.shape, [2, 1, 2, 2]);
  close(await y.data(), [-1, -1, 1, 1, 2, 0, 0, 2]);
  tf.dispose([x, y]);
});

Deno.test("gradients reach γ and β", async () => {
  const layer = new VirtualBatchNorm({ referenceSize: 2, epsilon: 0 });
  const x = tf.tensor2d([[1], [3], [5]]);
  layer.build([null, 1]);
  const [gamma, beta] = layer.trainableWeights.map((w) => w.read() as tf.Variable);
  const { grads, value } = tf.variableGrads(
    () => tf.sum(layer.apply(x) as tf.Tensor) as tf.Scalar,
    [gamma, beta],
  );
  // x̂ = -1, 1, 3: d/dγ Σ(γx̂ + β) = Σx̂ = 3, d/dβ = 3 rows.
  const [dGamma, dBeta] = [grads[gamma.name], grads[beta.name]];
  close(await dGamma.data(), [3]);
  close(await dBeta.data(), [3]);
  tf.dispose([x, value, ...Object.values(grads)]);
});

Deno.test("a model with the layer saves and loads (registered for serialization)", async () => {
  const input = tfl.input({ shape: [2] });
  const output = new VirtualBatchNorm({ referenceSize: 3, epsilon: 1e-3 }).apply(input);
  const model = tfl.model({ inputs: input, outputs: output as tfl.SymbolicTensor });
  const weights = [tf.tensor1d([1.5, 0.5]), tf.tensor1d([0, 2])];
  model.layers[1].setWeights(weights);
  tf.dispose(weights);
  const loaded = await reload(model);
  assert.equal(loaded.layers[1].getClassName(), "VirtualBatchNorm");
  assert.deepEqual(
    [loaded.layers[1].getConfig().referenceSize, loaded.layers[1].getConfig().epsilon],
    [3, 1e-3],
  );
  const x = tf.tensor2d([[1, 2], [3, 5], [4, 4], [0, 9]]);
  const [a, b] = [model.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor];
  assert.deepEqual(await a.data(), await b.data());
  tf.dispose([x, a, b]);
});
