import assert from "node:assert/strict";
import { tf, tfl } from "../deps.ts";
import { useBackend } from "../core/backend/select.ts";
import { MinibatchDiscrimination } from "./minibatch_discrimination.ts";
import { reload } from "./_reload.ts";

await useBackend("cpu");

Deno.test("minibatch features match a hand-computed 3x2 case", async () => {
  const layer = new MinibatchDiscrimination({ kernels: 2, dims: 1 });
  layer.build([null, 2]);
  // T maps f = (a, b) to kernel 0: a, kernel 1: a + b.
  layer.setWeights([tf.tensor2d([[1, 1], [0, 1]])]);
  const features = tf.tensor2d([[0, 0], [1, 0], [0, 2]]);
  const out = layer.apply(features) as tf.Tensor;
  assert.deepEqual(out.shape, [3, 4]);
  const e = Math.exp;
  // Kernel 0 projections: 0, 1, 0; kernel 1: 0, 1, 2. Sum over j ≠ i of exp(-|M_i - M_j|).
  const expected = [
    [0, 0, e(-1) + e(0), e(-1) + e(-2)],
    [1, 0, e(-1) + e(-1), e(-1) + e(-1)],
    [0, 2, e(0) + e(-1), e(-2) + e(-1)],
  ].flat();
  const got = await out.data();
  expected.forEach((v, i) => assert.ok(Math.abs(got[i] - v) < 1e-6, `${i}: ${got[i]} vs ${v}`));
});

Deno.test("a model with the layer saves and loads (registered for serialization)", async () => {
  const input = tfl.input({ shape: [3] });
  const output = new MinibatchDiscrimination({ kernels: 4, dims: 2, seed: 5 }).apply(input);
  const model = tfl.model({ inputs: input, outputs: output as tfl.SymbolicTensor });
  const loaded = await reload(model);
  const x = tf.randomNormal([5, 3], 0, 1, "float32", 3);
  const [a, b] = [model.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor];
  assert.deepEqual(a.shape, [5, 7]);
  assert.deepEqual(await a.data(), await b.data());
  assert.equal(loaded.layers[1].getClassName(), "MinibatchDiscrimination");
});
