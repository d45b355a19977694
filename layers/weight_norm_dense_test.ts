import assert from "node:assert/strict";
import { tf, tfl } from "../deps.ts";
import { useBackend } from "../core/backend/select.ts";
import { WeightNormDense } from "./weight_norm_dense.ts";
import { reload } from "./_reload.ts";

await useBackend("cpu");

function close(got: ArrayLike<number>, expected: number[], tolerance = 1e-5) {
  assert.equal(got.length, expected.length);
  expected.forEach((v, i) =>
    assert.ok(Math.abs(got[i] - v) < tolerance, `${i}: ${got[i]} vs ${v}`)
  );
}

/** Sets a built layer's v, g (and bias) from plain arrays. */
function setWeights(layer: tfl.layers.Layer, weights: number[][][] | (number[][] | number[])[]) {
  const tensors = weights.map((w) => tf.tensor(w as number[]));
  layer.setWeights(tensors);
  tf.dispose(tensors);
}

Deno.test("the kernel is v·g/||v|| per output column", async () => {
  const layer = new WeightNormDense({ units: 1 });
  layer.build([null, 2]);
  assert.deepEqual(layer.getWeights().map((w) => w.shape), [[2, 1], [1], [1]]);
  // v = (3, 4) has norm 5, so with g = 2, W = (1.2, 1.6).
  setWeights(layer, [[[3], [4]], [2], [0.5]]);
  const x = tf.tensor2d([[1, 0], [0, 1], [2, -1]]);
  const y = layer.apply(x) as tf.Tensor;
  assert.deepEqual(y.shape, [3, 1]);
  close(await y.data(), [1.2 + 0.5, 1.6 + 0.5, 0.8 + 0.5]);
  tf.dispose([x, y]);
});

Deno.test("two units, each column normalised on its own, then the activation", async () => {
  const layer = new WeightNormDense({ units: 2, activation: "relu", useBias: false });
  layer.build([null, 2]);
  assert.equal(layer.getWeights().length, 2);
  // Columns (3, 4) and (0, -2) with g = (1, 3): W = [[0.6, 0], [0.8, -3]].
  setWeights(layer, [[[3, 0], [4, -2]], [1, 3]]);
  const x = tf.tensor2d([[1, 1], [-1, -1]]);
  const y = layer.apply(x) as tf.Tensor;
  close(await y.data(), [1.4, 0, 0, 3]);
  tf.dispose([x, y]);
});

Deno.test("scaling v leaves the output unchanged", async () => {
  const layer = new WeightNormDense({ units: 3, activation: "tanh", seed: 4 });
  layer.build([null, 4]);
  const x = tf.tensor2d([[0.5, -1, 2, 0], [1, 1, 1, 1]]);
  const before = layer.apply(x) as tf.Tensor;
  const [v, g, bias] = layer.getWeights();
  const scaled = tf.mul(v, 7.5);
  layer.setWeights([scaled, g, bias]);
  const after = layer.apply(x) as tf.Tensor;
  close(await after.data(), [...await before.data()]);
  tf.dispose([x, before, after, scaled]);
});

Deno.test("inputs of rank 3 are mapped along their last axis", async () => {
  const layer = new WeightNormDense({ units: 1, useBias: false });
  layer.build([null, 2, 2]);
  setWeights(layer, [[[3], [4]], [5]]);
  const x = tf.tensor3d([[[1, 0], [0, 1]], [[1, 1], [2, 0]]]);
  const y = layer.apply(x) as tf.Tensor;
  assert.deepEqual(y.shape, [2, 2, 1]);
  close(await y.data(), [3, 4, 7, 6]);
  tf.dispose([x, y]);
});

Deno.test("gradients reach v, g and the bias", async () => {
  const layer = new WeightNormDense({ units: 1 });
  layer.build([null, 2]);
  setWeights(layer, [[[3], [4]], [2], [0]]);
  const x = tf.tensor2d([[1, 0]]);
  const variables = layer.trainableWeights.map((w) => w.read() as tf.Variable);
  const { grads, value } = tf.variableGrads(
    () => tf.sum(layer.apply(x) as tf.Tensor) as tf.Scalar,
    variables,
  );
  // y = g·v₁/||v|| + b: dy/dg = 3/5; dy/dv = g(e₁ - v·v₁/||v||²)/||v|| = (0.256, -0.192); dy/db = 1.
  const [dv, dg, db] = variables.map((v) => grads[v.name]);
  close(await dv.data(), [0.256, -0.192]);
  close(await dg.data(), [0.6]);
  close(await db.data(), [1]);
  tf.dispose([x, value, ...Object.values(grads)]);
});

Deno.test("seeded initialisation: v ~ N(0, 0.05²), g = 1, bias = 0, same seed same v", async () => {
  const make = (seed: number) => {
    const layer = new WeightNormDense({ units: 50, seed });
    layer.build([null, 40]);
    return layer;
  };
  const [a, b, c] = [make(1), make(1), make(2)];
  const [va, vb, vc] = await Promise.all([a, b, c].map((l) => l.getWeights()[0].data()));
  assert.deepEqual(va, vb);
  assert.notDeepEqual(va, vc);
  const std = Math.sqrt(Array.from(va).reduce((s, v) => s + v * v, 0) / va.length);
  assert.ok(Math.abs(std - 0.05) < 0.005, `std ${std}`);
  assert.deepEqual([...await a.getWeights()[1].data()], new Array(50).fill(1));
  assert.deepEqual([...await a.getWeights()[2].data()], new Array(50).fill(0));
  assert.throws(() => new WeightNormDense({ units: 0 }), RangeError);
  assert.throws(
    // deno-lint-ignore no-explicit-any
    () => new WeightNormDense({ units: 1, activation: "leaky" as any }),
    /available activations are "linear", "relu"/,
  );
});

Deno.test("a model with the layer saves and loads (registered for serialization)", async () => {
  const input = tfl.input({ shape: [3] });
  const output = new WeightNormDense({ units: 2, activation: "softplus", seed: 9 }).apply(input);
  const model = tfl.model({ inputs: input, outputs: output as tfl.SymbolicTensor });
  const loaded = await reload(model);
  assert.equal(loaded.layers[1].getClassName(), "WeightNormDense");
  const config = loaded.layers[1].getConfig();
  assert.deepEqual(
    [config.units, config.activation, config.useBias, config.seed],
    [2, "softplus", true, 9],
  );
  const x = tf.tensor2d([[1, 2, 3], [-1, 0, 0.5]]);
  const [a, b] = [model.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor];
  assert.deepEqual(await a.data(), await b.data());
  tf.dispose([x, a, b]);
});
