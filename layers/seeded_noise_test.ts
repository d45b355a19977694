import assert from "node:assert/strict";
import { tf, tfl } from "../deps.ts";
import { useBackend } from "../core/backend/select.ts";
import { reload } from "./_reload.ts";
import { SeededDropout, SeededGaussianNoise } from "./seeded_noise.ts";

await useBackend("cpu");

/** A seed source that counts up from `start`. */
function counter(start: number) {
  let seed = start;
  return () => seed++;
}

function roundTrip(layer: tfl.layers.Layer): Promise<tfl.LayersModel> {
  const input = tfl.input({ shape: [3] });
  return reload(tfl.model({ inputs: input, outputs: layer.apply(input) as tfl.SymbolicTensor }));
}

Deno.test("noise layers are the identity when not training", async () => {
  const x = tf.tensor2d([[1, -2, 3], [4, 5, -6]]);
  for (
    const layer of [
      new SeededGaussianNoise({ stddev: 0.5, seeds: counter(1) }),
      new SeededDropout({ rate: 0.5, seeds: counter(1) }),
    ]
  ) {
    for (const kwargs of [undefined, { training: false }]) {
      const y = layer.apply(x, kwargs) as tf.Tensor;
      assert.deepEqual(await y.data(), await x.data());
      y.dispose();
    }
  }
  x.dispose();
});

Deno.test("noise layers draw the same noise from the same seeds, fresh noise per call", async () => {
  const input = tf.ones([4, 5]);
  for (
    const make of [
      (seeds: () => number) => new SeededGaussianNoise({ stddev: 1, seeds }),
      (seeds: () => number) => new SeededDropout({ rate: 0.5, seeds }),
    ]
  ) {
    const [a, b] = [make(counter(7)), make(counter(7))];
    const outputs = [a, a, b, b].map((layer) =>
      layer.apply(input, { training: true }) as tf.Tensor
    );
    const [a1, a2, b1, b2] = await Promise.all(outputs.map((t) => t.data()));
    assert.deepEqual(a1, b1);
    assert.deepEqual(a2, b2);
    assert.notDeepEqual(a1, a2);
    tf.dispose(outputs);
  }
  input.dispose();
});

Deno.test("Gaussian noise has mean 0 and the asked standard deviation", async () => {
  const n = 200_000;
  const x = tf.fill([n / 100, 100], 3);
  const y = new SeededGaussianNoise({ stddev: 0.5, seeds: counter(11) })
    .apply(x, { training: true }) as tf.Tensor;
  const values = await y.data();
  let sum = 0, squares = 0;
  for (const v of values) sum += v - 3;
  const mean = sum / n;
  for (const v of values) squares += (v - 3 - mean) ** 2;
  const std = Math.sqrt(squares / n);
  // Standard errors: 0.5 / sqrt(n) ≈ 0.0011 for the mean, ≈ 0.0008 for the std.
  assert.ok(Math.abs(mean) < 0.006, `mean ${mean}`);
  assert.ok(Math.abs(std - 0.5) < 0.005, `std ${std}`);
  tf.dispose([x, y]);
});

Deno.test("dropout zeroes about p of the units and scales the survivors by 1/(1-p)", async () => {
  const n = 100_000;
  const values = Float32Array.from({ length: n }, (_, i) => 1 + (i % 97) * 0.25);
  const x = tf.tensor2d(values, [n / 100, 100]);
  for (const rate of [0.5, 0.25]) {
    const y = new SeededDropout({ rate, seeds: counter(3) })
      .apply(x, { training: true }) as tf.Tensor;
    const out = await y.data();
    let zeros = 0;
    for (let i = 0; i < n; i++) {
      if (out[i] === 0) zeros++;
      else if (rate === 0.5) assert.equal(out[i], values[i] * 2); // exact in float32
      else assert.ok(Math.abs(out[i] - values[i] / (1 - rate)) < 1e-5 * out[i], `${i}`);
    }
    // Standard error of the fraction: sqrt(p(1-p)/n) ≤ 0.0016.
    assert.ok(Math.abs(zeros / n - rate) < 0.01, `rate ${rate}: ${zeros / n} zeroed`);
    y.dispose();
  }
  x.dispose();
});

Deno.test("noise layers save and load (registered), unseeded after loading", async () => {
  const x = tf.tensor2d([[1, 2, 3]]);
  for (
    const layer of [
      new SeededGaussianNoise({ stddev: 0.25, seeds: counter(1) }),
      new SeededDropout({ rate: 0.2, seeds: counter(1) }),
    ]
  ) {
    const loaded = await roundTrip(layer);
    const restored = loaded.layers[1];
    assert.equal(restored.getClassName(), layer.getClassName());
    assert.deepEqual(restored.getConfig().stddev, layer.getConfig().stddev);
    assert.deepEqual(restored.getConfig().rate, layer.getConfig().rate);
    const y = loaded.predict(x) as tf.Tensor;
    assert.deepEqual(await y.data(), await x.data());
    // Training calls draw fresh, unseeded noise: two of them differ.
    const ones = tf.ones([1, 1000]);
    const [a, b] = [0, 1].map(() => restored.apply(ones, { training: true }) as tf.Tensor);
    assert.notDeepEqual(await a.data(), await b.data());
    tf.dispose([y, ones, a, b]);
  }
  x.dispose();
});

Deno.test("a model passes `training` down to the layers, and leaks no tensor", async () => {
  const input = tfl.input({ shape: [3] });
  const noised = new SeededGaussianNoise({ stddev: 1, seeds: counter(5) }).apply(input);
  const dropped = new SeededDropout({ rate: 0.5, seeds: counter(5) }).apply(noised);
  const model = tfl.model({ inputs: input, outputs: dropped as tfl.SymbolicTensor });
  const x = tf.ones([2, 3]);
  const before = tf.memory().numTensors;
  const [inference, trained] = [false, true].map((training) =>
    tf.tidy(() => model.apply(x, { training }) as tf.Tensor)
  );
  assert.equal(tf.memory().numTensors, before + 2);
  assert.deepEqual(await inference.data(), await x.data());
  assert.notDeepEqual(await trained.data(), await x.data());
  tf.dispose([x, inference, trained]);
});
