import assert from "node:assert/strict";
import { tf } from "../deps.ts";
import { useBackend } from "../core/backend/select.ts";
import type { Dataset, EvaluationContext } from "../core/contract/plugin.ts";
import { createRng } from "../core/contract/rng.ts";
import parzenLl, { PARZEN_SIGMAS, parzenLogLikelihoods, parzenMetric } from "./parzen_ll.ts";

/** The Parzen log-likelihood of one point, directly in float64. */
function direct(x: number[], samples: number[][], sigma: number): number {
  const d = x.length;
  const exponents = samples.map((s) =>
    -s.reduce((sum, v, j) => sum + (x[j] - v) ** 2, 0) / (2 * sigma * sigma)
  );
  const max = Math.max(...exponents);
  const lse = max + Math.log(exponents.reduce((sum, e) => sum + Math.exp(e - max), 0));
  return lse - Math.log(samples.length) - (d / 2) * Math.log(2 * Math.PI * sigma * sigma);
}

function uniformRows(seed: number, n: number, d: number): number[][] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => Array.from({ length: d }, () => rng.uniform()));
}

const close = (actual: number, expected: number, tolerance = 1e-4) =>
  assert.ok(
    Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected)),
    `${actual} is not ${expected}`,
  );

Deno.test("Parzen log-likelihoods match a direct float64 computation", async () => {
  await useBackend("cpu");
  const before = tf.memory().numTensors;
  const x = uniformRows(1, 5, 3);
  const samples = uniformRows(2, 7, 3);
  const sigmas = [0.1, 0.3, 1];
  const [xt, st] = [tf.tensor2d(x), tf.tensor2d(samples)];
  for (const batchSize of [5, 2, 1]) {
    const results = await parzenLogLikelihoods(tf, st, xt, sigmas, { batchSize });
    sigmas.forEach((sigma, k) =>
      x.forEach((row, i) => close(results[k][i], direct(row, samples, sigma)))
    );
  }
  tf.dispose([xt, st]);
  assert.equal(tf.memory().numTensors, before);
});

/** A dataset of 3-d points in [-1, 1] (so the metric maps them to [0, 1]). */
function pointsDataset(train: number[][], test: number[][]): Dataset {
  const toRange = (rows: number[][]) => tf.tensor2d(rows.map((r) => r.map((v) => 2 * v - 1)));
  const splits = { train: { x: toRange(train) }, test: { x: toRange(test) } };
  return {
    info: { shape: [3], kind: "points", range: [-1, 1], size: train.length, testSize: test.length },
    sample: () => ({ x: tf.zeros([1, 3]) }),
    splits,
    dispose: () => tf.dispose([splits.train.x, splits.test.x]),
  };
}

Deno.test("parzen-ll picks the σ that is best on validation and scores the test split", async () => {
  await useBackend("cpu");
  const before = tf.memory().numTensors;
  const train = uniformRows(3, 30, 3);
  const test = uniformRows(4, 6, 3);
  const samples = uniformRows(5, 9, 3);
  const dataset = pointsDataset(train, test);
  let next = 0;
  const context: EvaluationContext = {
    tf,
    step: 1,
    dataset,
    rng: createRng(1),
    // Samples in [-1, 1], handed out in the order asked for, across batches.
    generate: (n) => {
      const rows = samples.slice(next, next + n).map((r) => r.map((v) => 2 * v - 1));
      next += n;
      return tf.tensor2d(rows);
    },
  };
  const validation = train.slice(-10);
  const means = PARZEN_SIGMAS.map((sigma) =>
    validation.reduce((sum, row) => sum + direct(row, samples, sigma), 0) / validation.length
  );
  const best = PARZEN_SIGMAS[means.indexOf(Math.max(...means))];
  const expected = test.map((row) => direct(row, samples, best));
  const average = expected.reduce((a, b) => a + b) / expected.length;
  const std = Math.sqrt(expected.reduce((s, v) => s + (v - average) ** 2, 0) / expected.length);
  const results = [];
  for (const batchSize of [100, 4]) {
    next = 0;
    const metric = parzenMetric(
      parzenLl.options!.parse({ samples: 9, validation: 10, batchSize }),
    );
    results.push(await metric.evaluate(context));
  }
  assert.deepEqual(results[0], results[1]);
  assert.equal(results[0].parzenSigma, best);
  // σ is not at an end of the range here, so the choice is a real one.
  assert.ok(best > PARZEN_SIGMAS[0] && best < 1, `σ ${best}`);
  close(results[0].parzenLogLikelihood, average);
  close(results[0].parzenStdError, std / Math.sqrt(expected.length));
  // validateOn "test": σ from the first 2 test rows, the other 4 scored.
  next = 0;
  const heldOut = await parzenMetric(
    parzenLl.options!.parse({ samples: 9, validation: 2, validateOn: "test" }),
  ).evaluate(context);
  const heldMeans = PARZEN_SIGMAS.map((sigma) =>
    test.slice(0, 2).reduce((sum, row) => sum + direct(row, samples, sigma), 0) / 2
  );
  const heldBest = PARZEN_SIGMAS[heldMeans.indexOf(Math.max(...heldMeans))];
  const heldScores = test.slice(2).map((row) => direct(row, samples, heldBest));
  assert.equal(heldOut.parzenSigma, heldBest);
  close(heldOut.parzenLogLikelihood, heldScores.reduce((a, b) => a + b) / heldScores.length);
  dataset.dispose!();
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("parzen-ll refuses a dataset without a test split when it is created", () => {
  assert.throws(
    () =>
      parzenLl.create({
        tf,
        layers: undefined as never,
        options: parzenLl.options!.parse({}),
        rng: createRng(1),
        discriminator: { logits: 1, features: 1 },
        dataset: { shape: [2], kind: "points" },
      }),
    /held-out test split/,
  );
});
