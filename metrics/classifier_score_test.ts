import assert from "node:assert/strict";
import { tf } from "../deps.ts";
import { useBackend } from "../core/backend/select.ts";
import type { EvaluationContext } from "../core/contract/plugin.ts";
import { createRng } from "../core/contract/rng.ts";
import classifierScorePlugin, {
  classifierScore,
  classifierScoreMetric,
} from "./classifier_score.ts";

const close = (actual: number, expected: number, tolerance = 1e-9) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} is not ${expected}`);

/**
 * A context whose generator hands out [n] "samples" numbered 0, 1, 2, ... across calls, and a
 * classifier stub whose logits are log p(y|x), p(y|x) given as a function of the numbers.
 */
function stubbed(probabilities: (index: tf.Tensor1D) => tf.Tensor) {
  let next = 0;
  const context: EvaluationContext = {
    tf,
    step: 1,
    dataset: { info: { shape: [1], kind: "points" }, sample: () => ({ x: tf.zeros([1, 1]) }) },
    rng: createRng(1),
    generate: (n) => {
      const samples = tf.range(next, next + n, 1, "int32");
      next += n;
      return samples;
    },
  };
  const classifier = {
    logits: (x: tf.Tensor) =>
      tf.tidy(() => tf.log(tf.cast(probabilities(x as tf.Tensor1D), "float32"))) as tf.Tensor2D,
  };
  return { context, classifier: () => Promise.resolve(classifier) };
}

Deno.test("the score is 1 when every sample is uniform over the classes", async () => {
  await useBackend("cpu");
  const { context, classifier } = stubbed((x) => tf.fill([x.shape[0], 4], 0.25));
  const before = tf.memory().numTensors;
  const metric = classifierScoreMetric({ samples: 100, splits: 10, batchSize: 7 }, classifier);
  const result = await metric.evaluate(context);
  close(result.classifierScore, 1);
  close(result.classifierScoreStd, 0);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("the score is K for one-hot samples balanced over K classes, whatever the batches", async () => {
  await useBackend("cpu");
  for (const batchSize of [100, 3]) {
    // Each split of 20 consecutive samples holds every one of 4 classes 5 times.
    const { context, classifier } = stubbed((x) =>
      tf.oneHot(tf.mod(x, tf.scalar(4, "int32")) as tf.Tensor1D, 4)
    );
    const before = tf.memory().numTensors;
    const metric = classifierScoreMetric({ samples: 100, splits: 5, batchSize }, classifier);
    const result = await metric.evaluate(context);
    close(result.classifierScore, 4);
    close(result.classifierScoreStd, 0);
    assert.equal(tf.memory().numTensors, before);
  }
});

Deno.test("classifierScore: one class everywhere scores 1; the std is across splits", () => {
  const oneClass = Array.from({ length: 40 }, () => [5, -5, -5]).flat();
  close(classifierScore(oneClass, 3, 4).mean, 1, 1e-12);
  // Split 1: one-hot balanced over 2 classes (score 2); split 2: uniform (score 1).
  const logits = [0, -Infinity, -Infinity, 0, 0, 0, 0, 0];
  const { mean, std } = classifierScore(logits, 2, 2);
  close(mean, 1.5, 1e-12);
  close(std, 0.5, 1e-12);
  // A hand-computed case: p(y|x) = (0.9, 0.1) and (0.2, 0.8); p(y) = (0.55, 0.45).
  const kl = 0.9 * Math.log(0.9 / 0.55) + 0.1 * Math.log(0.1 / 0.45) +
    0.2 * Math.log(0.2 / 0.55) + 0.8 * Math.log(0.8 / 0.45);
  close(
    classifierScore([Math.log(0.9), Math.log(0.1), Math.log(0.2), Math.log(0.8)], 2, 1).mean,
    Math.exp(kl / 2),
    1e-12,
  );
});

Deno.test("classifier-score needs a labelled image dataset and at least one sample a split", () => {
  const create = (dataset: object, options = {}) =>
    classifierScorePlugin.create({
      tf,
      layers: undefined as never,
      options: classifierScorePlugin.options!.parse(options),
      rng: createRng(1),
      discriminator: { logits: 1, features: 1 },
      dataset: dataset as never,
    });
  assert.throws(() => create({ shape: [2], kind: "points" }), /labelled image dataset/);
  assert.throws(
    () => create({ shape: [8, 8, 1], kind: "image", numClasses: 2 }, { samples: 5, splits: 10 }),
    /Cannot cut 5 samples into 10 splits/,
  );
});
