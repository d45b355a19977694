import assert from "node:assert/strict";
import { tf } from "../deps.ts";
import { useBackend } from "../core/backend/select.ts";
import type { Dataset, EvaluationContext } from "../core/contract/plugin.ts";
import { createRng } from "../core/contract/rng.ts";
import frechetPlugin, { frechetDistanceMetric } from "./frechet_distance.ts";
import classifierScorePlugin, { classifierScore } from "./classifier_score.ts";
import { sharedClassifier } from "./_classifier.ts";

/** 4×4 one-channel images in [-1, 1]: 40 training and 24 test examples of 2 classes. */
function tinyImages(digest: string): Dataset {
  const rng = createRng(5);
  const make = (n: number) => {
    const labels = Int32Array.from({ length: n }, (_, i) => i % 2);
    const pixels = Float32Array.from(
      { length: n * 16 },
      (_, p) =>
        ((p % 4 < 2) === (labels[Math.floor(p / 16)] === 0) ? 0.6 : -0.6) + 0.2 * rng.normal(),
    );
    return { x: tf.tensor4d(pixels, [n, 4, 4, 1]), labels: tf.tensor1d(labels, "int32") };
  };
  const splits = { train: make(40), test: make(24) };
  return {
    info: {
      shape: [4, 4, 1],
      kind: "image",
      range: [-1, 1],
      size: 40,
      numClasses: 2,
      testSize: 24,
      digest,
    },
    sample: () => ({ x: tf.zeros([1, 4, 4, 1]) }),
    splits,
    dispose: () =>
      tf.dispose([splits.train.x, splits.train.labels, splits.test.x, splits.test.labels]),
  };
}

/** A context whose generator returns the test split's images, shifted by `offset`. */
function context(dataset: Dataset, offset: number): EvaluationContext {
  let next = 0;
  return {
    tf,
    step: 1,
    dataset,
    rng: createRng(1),
    generate: (n) =>
      tf.tidy(() => {
        const x = dataset.splits!.test!.x;
        const rows = tf.slice(x, next % x.shape[0], n);
        next += n;
        return tf.add(rows, offset);
      }),
  };
}

/** The stub feature extractor: the flattened pixels. */
const pixels = () =>
  Promise.resolve({ features: (x: tf.Tensor) => tf.reshape(x, [x.shape[0], -1]) as tf.Tensor2D });

Deno.test("the distance between the test split and itself is 0; a shift c adds d·c²", async () => {
  await useBackend("cpu");
  const dataset = tinyImages("fd-stub");
  const before = tf.memory().numTensors;
  for (const batchSize of [24, 5]) {
    const metric = frechetDistanceMetric({ batchSize }, pixels);
    const same = await metric.evaluate(context(dataset, 0));
    assert.ok(Math.abs(same.frechetDistance) < 1e-6, `FD ${same.frechetDistance}`);
    // The real statistics are kept: a second evaluation with shifted samples, 16 pixels.
    const shifted = await metric.evaluate(context(dataset, 0.5));
    assert.ok(Math.abs(shifted.frechetDistance - 16 * 0.25) < 1e-4, `${shifted.frechetDistance}`);
  }
  assert.equal(tf.memory().numTensors, before);
  dataset.dispose!();
});

Deno.test("a failure on the test split is the evaluation's error, and the next one retries", async () => {
  await useBackend("cpu");
  const dataset = tinyImages("fd-failing");
  let calls = 0;
  const failingOnce = () =>
    Promise.resolve({
      features: (x: tf.Tensor) => {
        if (calls++ === 0) throw new Error("out of memory on the test split");
        return tf.reshape(x, [x.shape[0], -1]) as tf.Tensor2D;
      },
    });
  const metric = frechetDistanceMetric({ batchSize: 5 }, failingOnce);
  await assert.rejects(() => metric.evaluate(context(dataset, 0)), /out of memory on the test/);
  const retried = await metric.evaluate(context(dataset, 0));
  assert.ok(Math.abs(retried.frechetDistance) < 1e-6, `FD ${retried.frechetDistance}`);
  dataset.dispose!();
});

Deno.test("frechet-distance and classifier-score run on the shared domain classifier", async () => {
  await useBackend("wasm");
  const cacheDir = await Deno.makeTempDir();
  const previous = Deno.env.get("GANTRY_CACHE");
  Deno.env.set("GANTRY_CACHE", cacheDir);
  const dataset = tinyImages("fd-shared");
  try {
    const create = (plugin: typeof frechetPlugin | typeof classifierScorePlugin, options: object) =>
      (plugin.create as (c: unknown) => ReturnType<typeof frechetPlugin.create>)({
        tf,
        layers: undefined,
        options: plugin.options!.parse(options),
        rng: createRng(1),
        dataset: dataset.info,
      }) as Awaited<ReturnType<typeof frechetPlugin.create>>;
    const fd = create(frechetPlugin, {});
    const score = create(classifierScorePlugin, { samples: 24, splits: 2 });
    // As the engine does: a scope around each evaluation reclaims what metrics leave behind,
    // which must not take the classifier (trained during the first one) with it.
    const evaluate = async () => {
      tf.engine().startScope();
      try {
        return await Promise.all([
          fd.evaluate(context(dataset, 0)),
          score.evaluate(context(dataset, 0)),
        ]);
      } finally {
        tf.engine().endScope();
      }
    };
    const before = tf.memory().numTensors;
    const [distance, scores] = await evaluate();
    // One classifier, trained once, for both metrics (and its lock file).
    const entries = [...Deno.readDirSync(`${cacheDir}/classifiers/fd-shared`)];
    assert.equal(entries.filter((e) => e.isDirectory).length, 1);
    // The classifier's weights (2 convolutions, 2 dense layers) are all that remain.
    assert.equal(tf.memory().numTensors - before, 8);
    assert.ok(Math.abs(distance.frechetDistance) < 1e-4, `FD ${distance.frechetDistance}`);
    assert.deepEqual(await evaluate(), [distance, scores]);
    assert.equal(tf.memory().numTensors - before, 8);
    // The samples are the 24 test images: the score is the formula on the shared classifier's
    // logits for them, in 2 splits.
    const model = await sharedClassifier(dataset);
    const logits = model.logits(dataset.splits!.test!.x);
    const expected = classifierScore(await logits.data(), 2, 2);
    logits.dispose();
    assert.ok(Math.abs(scores.classifierScore - expected.mean) < 1e-5, `${scores.classifierScore}`);
    assert.ok(Math.abs(scores.classifierScoreStd - expected.std) < 1e-5);
    assert.ok(expected.mean > 1, "the classifier tells the two classes apart a little");
  } finally {
    if (previous === undefined) Deno.env.delete("GANTRY_CACHE");
    else Deno.env.set("GANTRY_CACHE", previous);
    dataset.dispose!();
    await Deno.remove(cacheDir, { recursive: true });
  }
});

Deno.test("frechet-distance refuses datasets without classes or a test split when created", () => {
  const create = (dataset: object) =>
    frechetPlugin.create({
      tf,
      layers: undefined as never,
      options: frechetPlugin.options!.parse({}),
      rng: createRng(1),
      discriminator: { logits: 1, features: 1 },
      dataset: dataset as never,
    });
  assert.throws(() => create({ shape: [2], kind: "points" }), /labelled image dataset/);
  assert.throws(
    () => create({ shape: [4, 4, 1], kind: "image", numClasses: 2 }),
    /held-out test split/,
  );
});
