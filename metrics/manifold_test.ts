import assert from "node:assert/strict";
import { tf } from "../deps.ts";
import { useBackend } from "../core/backend/select.ts";
import { builtinRegistry } from "../builtins.ts";
import type { Dataset, EvaluationContext } from "../core/contract/plugin.ts";
import { createRng } from "../core/contract/rng.ts";
import { train } from "../core/train/train.ts";
import { comparedRows } from "./_compared_rows.ts";
import { densityCoverage, kernelDistance, precisionRecall, unbiasedMmd2 } from "./_manifold.ts";

await useBackend("cpu");

/** n random points in `width` dimensions around `centre`. */
function cloud(n: number, width: number, centre: number, seed: number): number[][] {
  const rng = createRng(seed);
  return Array.from(
    { length: n },
    () => Array.from({ length: width }, () => centre + rng.normal()),
  );
}

const rows = (points: number[][]) => ({ values: points.flat(), width: points[0].length });

/** The papers' definitions, written out directly on arrays of points. */
const reference = {
  radius(set: number[][], i: number, k: number) {
    const distances = set.filter((_, j) => j !== i).map((p) =>
      Math.hypot(...p.map((v, d) => v - set[i][d]))
    );
    return distances.sort((a, b) => a - b)[k - 1];
  },
  inBall(point: number[], set: number[][], i: number, k: number) {
    return Math.hypot(...point.map((v, d) => v - set[i][d])) <=
      this.radius(set, i, k) * (1 + 1e-12);
  },
  coveredBy(point: number[], set: number[][], k: number) {
    return set.some((_, i) => this.inBall(point, set, i, k));
  },
};

Deno.test("precision/recall and density/coverage match the papers' definitions written out", () => {
  const real = cloud(60, 3, 0, 1);
  const fake = cloud(50, 3, 0.8, 2);
  const k = 3;
  const { precision, recall } = precisionRecall(rows(real), rows(fake), k);
  assert.equal(precision, fake.filter((f) => reference.coveredBy(f, real, k)).length / fake.length);
  assert.equal(recall, real.filter((r) => reference.coveredBy(r, fake, k)).length / real.length);
  const { density, coverage } = densityCoverage(rows(real), rows(fake), 5);
  const balls = fake.map((f) => real.filter((_, i) => reference.inBall(f, real, i, 5)).length);
  assert.ok(Math.abs(density - balls.reduce((a, b) => a + b, 0) / (5 * fake.length)) < 1e-12);
  const covered = real.filter((_, i) => fake.some((f) => reference.inBall(f, real, i, 5)));
  assert.equal(coverage, covered.length / real.length);
  // A shifted G loses precision and coverage against one drawn like the data.
  const same = precisionRecall(rows(real), rows(cloud(50, 3, 0, 3)), k);
  assert.ok(
    same.precision > precision && same.recall > recall,
    JSON.stringify({ same, precision }),
  );
});

Deno.test("KID: the unbiased MMD² with the cubic kernel, by hand, and its subsets", () => {
  // Width 1: k(x, y) = (xy + 1)³. Real {0, 1}, fake {2}... with two fakes {1, 2}.
  const real = { values: [0, 1], width: 1 }, fake = { values: [1, 2], width: 1 };
  const k = (x: number, y: number) => (x * y + 1) ** 3;
  const expected = (2 * k(0, 1)) / 2 + (2 * k(1, 2)) / 2 -
    (2 * (k(0, 1) + k(0, 2) + k(1, 1) + k(1, 2))) / 4;
  assert.equal(unbiasedMmd2(real, fake, [0, 1], [0, 1]), expected);
  const a = rows(cloud(40, 4, 0, 4)), b = rows(cloud(40, 4, 0, 5)), c = rows(cloud(40, 4, 2, 6));
  const near = kernelDistance(a, b, 5, 20, createRng(1));
  const far = kernelDistance(a, c, 5, 20, createRng(1));
  assert.ok(far.mean > 10 * Math.abs(near.mean) && near.std > 0, JSON.stringify({ near, far }));
  assert.deepEqual(kernelDistance(a, c, 5, 20, createRng(1)), far);
});

Deno.test("on images the rows are the classifier's features of the test split and of G's samples", async () => {
  const test = { x: tf.tensor4d(Array.from({ length: 12 }, (_, i) => i), [3, 2, 2, 1]) };
  const dataset = { info: { shape: [2, 2, 1], kind: "image" }, splits: { train: test, test } };
  const context = {
    tf,
    step: 1,
    dataset: dataset as unknown as Dataset,
    rng: createRng(1),
    generate: (n: number) => tf.fill([n, 2, 2, 1], 7),
  } satisfies EvaluationContext;
  // A stub classifier whose features are each image's sum and maximum.
  const classifier = () =>
    Promise.resolve({
      features: (x: tf.Tensor) =>
        tf.stack([tf.sum(x, [1, 2, 3]), tf.max(x, [1, 2, 3])], 1) as tf.Tensor2D,
    });
  const { real, fake } = await comparedRows(context, { samples: 5, batchSize: 2 }, classifier);
  assert.deepEqual(Array.from(real.values), [6, 3, 22, 7, 38, 11]);
  assert.deepEqual(Array.from(fake.values), [28, 7, 28, 7, 28, 7]);
  test.x.dispose();
});

Deno.test("the three metrics run in training on 2-D points and report numbers in range", async () => {
  const result = await train({
    dataset: "ring-8",
    backend: "cpu",
    architecture: { name: "mlp", options: { hidden: [16], latentDim: 4 } },
    train: { steps: 4, batchSize: 16 },
    evaluate: {
      every: 4,
      metrics: [
        { name: "precision-recall", options: { samples: 200 } },
        { name: "density-coverage", options: { samples: 200 } },
        { name: "kid", options: { samples: 200, subsetSize: 100 } },
      ],
    },
  }, { registry: builtinRegistry() });
  assert.equal(result.status, "ok", result.error);
  const { precision, recall, density, coverage, kid, kidStd } = result.metrics;
  for (const fraction of [precision, recall, coverage]) assert.ok(fraction >= 0 && fraction <= 1);
  assert.ok(density >= 0 && Number.isFinite(kid) && kidStd >= 0, JSON.stringify(result.metrics));
  // An untrained G on the ring: far from the data.
  assert.ok(precision < 0.5 && kid > 0, JSON.stringify(result.metrics));
});

Deno.test("k must stay below the samples compared: refused when the config is parsed", async () => {
  await assert.rejects(
    () =>
      train({
        dataset: "ring-8",
        backend: "cpu",
        train: { steps: 1, batchSize: 8 },
        evaluate: { metrics: [{ name: "precision-recall", options: { samples: 10, k: 10 } }] },
      }, { registry: builtinRegistry() }),
    /evaluate.metrics\[0\].options.k: expected k below samples/,
  );
});
