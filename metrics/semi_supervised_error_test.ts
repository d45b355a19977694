import assert from "node:assert/strict";
import { tf, tfl } from "../deps.ts";
import { useBackend } from "../core/backend/select.ts";
import type { Dataset, EvaluationContext } from "../core/contract/plugin.ts";
import { createRng } from "../core/contract/rng.ts";
import semiSupervisedError from "./semi_supervised_error.ts";

await useBackend("cpu");

Deno.test("semi-supervised-error counts argmax mistakes over the test split, in batches", async () => {
  const metric = await semiSupervisedError.create({
    tf,
    layers: tfl,
    options: semiSupervisedError.options!.parse({ batchSize: 2 }),
    rng: createRng(1),
    dataset: { shape: [1], kind: "points" },
    discriminator: { logits: 3, features: 1 },
  });
  // Each test example's value is the class D's stub classifier picks: 0, 1, 1 against labels
  // 0, 1, 2, so one mistake in three.
  const test = { x: tf.tensor2d([[0], [1], [1]]), labels: tf.tensor1d([0, 1, 2], "int32") };
  const dataset = { info: { shape: [1], kind: "points" }, splits: { train: test, test } };
  const context = {
    tf,
    step: 1,
    dataset: dataset as unknown as Dataset,
    rng: createRng(1),
    generate: () => tf.zeros([1, 1]),
    classify: (x: tf.Tensor) => tf.oneHot(tf.cast(tf.squeeze(x, [1]), "int32"), 3),
  } satisfies EvaluationContext;
  const numbers = await metric.evaluate(context);
  assert.equal(numbers.testErrors, 1);
  assert.ok(Math.abs(numbers.semiSupervisedError - 1 / 3) < 1e-12);
  await assert.rejects(
    () => metric.evaluate({ ...context, classify: undefined }),
    /not in semi-supervised mode/,
  );
  tf.dispose([test.x, test.labels]);
});

Deno.test("semi-supervised-error is refused when created for a D that does not classify", () => {
  assert.throws(
    () =>
      semiSupervisedError.create({
        tf,
        layers: tfl,
        options: semiSupervisedError.options!.parse({}),
        rng: createRng(1),
        dataset: { shape: [1], kind: "points" },
        discriminator: { logits: 1, features: 1 },
      }),
    /needs semi-supervised mode \(config semiSupervised\)/,
  );
});
