import assert from "node:assert/strict";
import { tf, tfl } from "../deps.ts";
import { useBackend } from "../core/backend/select.ts";
import { createRng } from "../core/contract/rng.ts";
import historicalAveraging from "./historical_averaging.ts";
import labelSmoothing from "./label_smoothing.ts";

await useBackend("cpu");

/** D, for penalties that call it again: these two never do. */
const discriminate = () => {
  throw new Error("not called by these regularizers");
};

Deno.test("label smoothing turns L0 into cross-entropy with real target alpha", async () => {
  const regularizer = await labelSmoothing.create({
    tf,
    layers: tfl,
    options: labelSmoothing.options!.parse({ alpha: 0.9 }),
    rng: createRng(1),
    discriminator: { logits: 1, features: 1 },
  });
  const logits = [2, -1, 0.5];
  const real = { x: tf.zeros([3, 1]), logits: tf.tensor2d(logits, [3, 1]), features: [] };
  const fake = { x: tf.zeros([1, 1]), logits: tf.tensor2d([0], [1, 1]), features: [] };
  const penalty = async (ganWeight: number) =>
    (await regularizer.discriminator!({
      real,
      fake,
      step: 1,
      variables: [],
      ganWeight,
      discriminate,
    }).data())[0];
  const softplus = (x: number) => Math.log1p(Math.exp(x));
  const mean = (f: (l: number) => number) => logits.reduce((s, l) => s + f(l), 0) / logits.length;
  const smoothed = mean((l) => 0.9 * softplus(-l) + 0.1 * softplus(l));
  assert.ok(Math.abs(mean((l) => softplus(-l)) + await penalty(1) - smoothed) < 1e-6);
  // Where the GAN loss is weighted (semi-supervised mode), the smoothed one is weighted alike.
  assert.ok(
    Math.abs(0.5 * mean((l) => softplus(-l)) + await penalty(0.5) - 0.5 * smoothed) < 1e-6,
  );
  assert.throws(() => labelSmoothing.options!.parse({ alpha: 1.5 }));
});

Deno.test("historical averaging: the penalty after three steps, by hand, and its state", async () => {
  const regularizer = await historicalAveraging.create({
    tf,
    layers: tfl,
    options: historicalAveraging.options!.parse({ discriminator: 0.5, generator: 0 }),
    rng: createRng(1),
    discriminator: { logits: 1, features: 1 },
  });
  assert.equal(regularizer.generator, undefined);
  const theta = tf.variable(tf.tensor1d([1, -2]));
  const inputs = () => ({
    real: { x: tf.zeros([1, 1]), logits: tf.zeros([1, 1]), features: [] },
    fake: { x: tf.zeros([1, 1]), logits: tf.zeros([1, 1]), features: [] },
    step: 1,
    discriminate,
    variables: [theta],
    ganWeight: 1,
  });
  const penalty = async () => (await regularizer.discriminator!(inputs()).data())[0];
  // θ at the start of three updates: [1, -2], [2, 0], [6, 5]; mean [3, 1].
  regularizer.observe!("discriminator", [theta]);
  assert.equal(await penalty(), 0);
  theta.assign(tf.tensor1d([2, 0]));
  regularizer.observe!("discriminator", [theta]);
  theta.assign(tf.tensor1d([6, 5]));
  regularizer.observe!("discriminator", [theta]);
  // 0.5 · ((6 − 3)² + (5 − 1)²) = 12.5
  assert.ok(Math.abs(await penalty() - 12.5) < 1e-5);
  // Its gradient pulls θ towards the mean: 0.5 · 2 · (θ − mean) = [3, 4].
  const { grads } = tf.variableGrads(() => regularizer.discriminator!(inputs()), [theta]);
  assert.deepEqual(Array.from(await grads[theta.name].data()), [3, 4]);
  // Saved and loaded into a fresh regularizer, the history gives the same penalty.
  const state = regularizer.saveState!();
  assert.equal(state.discriminatorCount, 3);
  const copy = await historicalAveraging.create({
    tf,
    layers: tfl,
    options: historicalAveraging.options!.parse({ discriminator: 0.5, generator: 0 }),
    rng: createRng(1),
    discriminator: { logits: 1, features: 1 },
  });
  copy.loadState!({ ...state, discriminator0: (state.discriminator0 as tf.Tensor).clone() });
  assert.ok(Math.abs((await copy.discriminator!(inputs()).data())[0] - 12.5) < 1e-5);
  // Disposing frees the running sums.
  const before = tf.memory().numTensors;
  copy.dispose!();
  regularizer.dispose!();
  assert.equal(tf.memory().numTensors, before - 2);
});
