import assert from "node:assert/strict";
import { join } from "node:path";
import { tf } from "../deps.ts";
import { useBackend } from "../core/backend/select.ts";
import { builtinRegistry } from "../builtins.ts";
import { type ExperimentInput, parseConfig } from "../core/config/schema.ts";
import { train } from "../core/train/train.ts";
import { ConfigError } from "../core/contract/errors.ts";
import { resolveExperiment } from "../core/config/experiment.ts";
import improvedGanMnist from "../architectures/improved_gan_mnist.ts";
import { definePlugin } from "../core/contract/plugin.ts";
import { buildRun } from "../core/train/build.ts";
import { classifier, discriminate, discriminateEach } from "../core/train/discriminate.ts";

/** A small semi-supervised MNIST run using every stateful technique of [IMP]. */
const everything = (overrides: Partial<ExperimentInput> = {}): ExperimentInput => ({
  name: "improved",
  backend: "cpu",
  dataset: "mnist",
  architecture: { name: "mlp", options: { hidden: [32, 16], latentDim: 8, weightNorm: true } },
  semiSupervised: { labels: 20 },
  discriminator: {
    addons: [
      { name: "gaussian-noise", options: { stddev: 0.3, at: "input" } },
      { name: "dropout", options: { rate: 0.2 } },
      { name: "virtual-batch-norm", options: { referenceSize: 8 } },
    ],
  },
  regularizers: ["historical-averaging", "label-smoothing"],
  train: { steps: 40, batchSize: 16, logEvery: 10, checkpointEvery: 20 },
  evaluate: { every: 20, metrics: ["semi-supervised-error"], ema: 0.9 },
  ...overrides,
});

Deno.test("semi-supervised mode: K logits, balanced labeled subset, feature matching by default", async () => {
  const dir = await Deno.makeTempDir();
  const result = await train(everything(), { registry: builtinRegistry(), outDir: dir });
  assert.equal(result.status, "ok", result.error);
  // 40 steps with 20 labels already beat chance (0.9 for 10 classes) on the 2,000 held out.
  const error = result.metrics.semiSupervisedError;
  assert.ok(error < 0.85, `error ${error}`);
  assert.equal(result.metrics.testErrors / 2000, error);
  const labeled = JSON.parse(await Deno.readTextFile(join(dir, "labeled.json")));
  assert.equal(labeled.count, 20);
  assert.equal(new Set(labeled.indices).size, 20);
  for (let k = 0; k < 10; k++) {
    assert.equal(labeled.labels.filter((l: number) => l === k).length, 2, `class ${k}`);
  }
  const config = JSON.parse(await Deno.readTextFile(join(dir, "config.json")));
  assert.equal(config.loss.generator[0].name, "feature-matching");
  const model = JSON.parse(
    await Deno.readTextFile(join(dir, "checkpoint", "discriminator", "model.json")),
  );
  const shapes = model.weightsManifest[0].weights.map((w: { shape: number[] }) => w.shape);
  assert.ok(shapes.some((s: number[]) => s.length === 2 && s[1] === 10), "a 10-logit layer");
});

Deno.test("stopped at step 25 and resumed, noise, dropout, VBN, averaging and EMA replay exactly", async () => {
  const registry = builtinRegistry();
  const whole = await Deno.makeTempDir();
  assert.equal((await train(everything(), { registry, outDir: whole })).status, "ok");
  const broken = await Deno.makeTempDir();
  const failed = await train(everything(), {
    registry,
    outDir: broken,
    onStep: (step) => {
      if (step === 25) throw new Error("stop");
    },
  });
  assert.equal(failed.status, "failed");
  const state = JSON.parse(await Deno.readTextFile(join(broken, "checkpoint", "state.json")));
  assert.equal(state.step, 20);
  assert.deepEqual(Object.keys(state.plugins).sort(), [
    "discriminator.addons[0]",
    "discriminator.addons[1]",
    "evaluate.ema",
    "reference-batch",
    "regularizers[0]",
  ]);
  const resumed = await train(everything(), { registry, outDir: broken, resume: true });
  assert.equal(resumed.status, "ok", resumed.error);
  assert.equal(
    await Deno.readTextFile(join(broken, "metrics.jsonl")),
    await Deno.readTextFile(join(whole, "metrics.jsonl")),
  );
});

Deno.test("with virtual batch norm, D scores each example from the reference batch alone", async () => {
  await useBackend("cpu");
  const config = parseConfig(everything({ semiSupervised: undefined, evaluate: {} }));
  const run = await buildRun(resolveExperiment(config, builtinRegistry()), "(test)");
  try {
    const [a, b] = await tf.tidy(() => {
      const batch = run.dataset.sample(run.rng.data, 3).x;
      const [x0, x1, x2] = tf.split(batch, 3);
      const score = (x: tf.Tensor) => discriminate(run, { x }, false).logits;
      return [score(tf.concat([x0, x1])), score(tf.concat([x0, x2]))];
    });
    const [rowsA, rowsB] = [await a.data(), await b.data()];
    assert.equal(rowsA.length, 2);
    assert.equal(rowsA[0], rowsB[0]);
    assert.notEqual(rowsA[1], rowsB[1]);
    tf.dispose([a, b]);
  } finally {
    run.dispose();
  }
});

Deno.test("a per-example D scores a step's batches in one call, as it would one by one", async () => {
  await useBackend("cpu");
  const small = (addons: string[]) =>
    parseConfig({
      dataset: { name: "mnist", options: { range: [0, 1] } },
      backend: "cpu",
      architecture: {
        name: "improved-gan-mnist",
        options: { generatorHidden: [8], discriminatorHidden: [16, 8] },
      },
      discriminator: {
        addons: [{ name: "virtual-batch-norm", options: { referenceSize: 4 } }, ...addons],
      },
      semiSupervised: { labels: 10 },
    });
  const registry = builtinRegistry();
  const coupled = await buildRun(
    resolveExperiment(small(["minibatch-discrimination"]), registry),
    "(test)",
  );
  assert.equal(coupled.perExample, false, "minibatch features couple a batch's examples");
  coupled.dispose();
  const run = await buildRun(resolveExperiment(small(["dropout"]), registry), "(test)");
  tf.engine().startScope();
  try {
    assert.equal(run.perExample, true);
    const [x, y] = [run.dataset.sample(run.rng.data, 3).x, run.dataset.sample(run.rng.data, 2).x];
    const stacked = discriminateEach(run, [{ x }, { x: y }], false);
    const alone = [discriminate(run, { x }, false), discriminate(run, { x: y }, false)];
    assert.equal(stacked.length, 2);
    for (const [i, rows] of [3, 2].entries()) {
      const pairs: [tf.Tensor, tf.Tensor][] = [
        [stacked[i].logits, alone[i].logits],
        [stacked[i].classLogits!, alone[i].classLogits!],
        ...stacked[i].features.map((f, j): [tf.Tensor, tf.Tensor] => [f, alone[i].features[j]]),
      ];
      assert.equal(pairs.length, 4);
      for (const [a, b] of pairs) {
        assert.equal(a.shape[0], rows);
        assert.deepEqual(a.shape, b.shape);
        const gap = (await tf.max(tf.abs(tf.sub(a, b))).data())[0];
        assert.ok(gap < 1e-5, `stacked and separate differ by ${gap}`);
      }
    }
  } finally {
    tf.engine().endScope();
    run.dispose();
  }
});

Deno.test("a D with minibatch features classifies in batches of the training batch size", async () => {
  await useBackend("cpu");
  const config = parseConfig({
    dataset: { name: "mnist", options: { range: [0, 1] } },
    backend: "cpu",
    architecture: {
      name: "improved-gan-mnist",
      options: { generatorHidden: [8], discriminatorHidden: [16, 8] },
    },
    discriminator: { addons: ["minibatch-discrimination"] },
    semiSupervised: { labels: 10 },
    train: { batchSize: 4 },
  });
  const run = await buildRun(resolveExperiment(config, builtinRegistry()), "(test)");
  tf.engine().startScope();
  try {
    const x = run.dataset.sample(run.rng.data, 10).x;
    const logits = classifier(run)(x);
    assert.deepEqual(logits.shape, [10, 10]);
    const score = (start: number, n: number) =>
      discriminate(run, { x: tf.slice(x, start, n) }, false).classLogits!;
    const gap = async (a: tf.Tensor, b: tf.Tensor) =>
      (await tf.max(tf.abs(tf.sub(a, b))).data())[0];
    const inFours = tf.concat([score(0, 4), score(4, 4), score(8, 2)]);
    assert.ok(await gap(logits, inFours) < 1e-5, "scored 4, 4 and 2 at a time");
    assert.ok(await gap(logits, score(0, 10)) > 1e-3, "not all 10 at once");
  } finally {
    tf.engine().endScope();
    run.dispose();
  }
});

Deno.test("training with D's batches stacked follows training with them one by one", async () => {
  // The same architecture, without its perExample claim: D then sees each batch on its own.
  // Without D's noise the two trainings differ only by float rounding.
  const oneByOne = definePlugin({
    ...improvedGanMnist,
    name: "improved-gan-mnist-one-by-one",
    create: async (context) => ({ ...await improvedGanMnist.create(context), perExample: false }),
  });
  const losses = async (architecture: string) => {
    const seen: number[] = [];
    const result = await train({
      backend: "cpu",
      dataset: { name: "mnist", options: { range: [0, 1] } },
      architecture: {
        name: architecture,
        options: {
          generatorHidden: [16],
          discriminatorHidden: [32, 16],
          inputNoise: 0,
          hiddenNoise: 0,
        },
      },
      semiSupervised: { labels: 10 },
      train: { steps: 6, batchSize: 20, logEvery: 1 },
      evaluate: { every: 6, metrics: [] },
    }, {
      registry: builtinRegistry().register(oneByOne),
      onProgress: ({ dLoss, gLoss }) => seen.push(dLoss, gLoss),
    });
    assert.equal(result.status, "ok", result.error);
    return seen;
  };
  const stacked = await losses("improved-gan-mnist");
  const separate = await losses("improved-gan-mnist-one-by-one");
  assert.equal(stacked.length, 12);
  stacked.forEach((loss, i) => {
    assert.ok(
      Math.abs(loss - separate[i]) <= 1e-4 * Math.abs(separate[i]),
      `${loss} vs ${separate[i]}`,
    );
  });
});

Deno.test("semi-supervised mode refuses unlabeled data and unbalanced label counts", async () => {
  const registry = builtinRegistry();
  await assert.rejects(
    () => train(everything({ dataset: "ring-8", discriminator: {} }), { registry }),
    (error: unknown) =>
      error instanceof ConfigError && /semiSupervised: .*no labeled training split/.test(
        error.message,
      ),
  );
  await assert.rejects(
    () => train(everything({ semiSupervised: { labels: 15 } }), { registry }),
    (error: unknown) =>
      error instanceof ConfigError &&
      /semiSupervised\.labels: expected a multiple of the 10 classes/.test(error.message),
  );
});

Deno.test("semi-supervised: losses never see the unlabeled batch's labels; smoothing is weighted", async () => {
  const seen: string[] = [];
  const labelSpy = definePlugin({
    kind: "regularizer",
    name: "label-spy",
    description: "records whether labels reach the penalties",
    create: ({ tf }) => ({
      discriminator: ({ labels }) => (seen.push(`d:${labels !== undefined}`), tf.scalar(0)),
      generator: ({ labels }) => (seen.push(`g:${labels !== undefined}`), tf.scalar(0)),
    }),
  });
  const registry = builtinRegistry().register(labelSpy);
  const small = (overrides: Partial<ExperimentInput>) =>
    everything({
      discriminator: {},
      train: { steps: 1, batchSize: 8, logEvery: 1 },
      evaluate: { every: 1, metrics: [] },
      ...overrides,
    });
  await train(small({ regularizers: ["label-spy"] }), { registry });
  await train(small({ regularizers: ["label-spy"], semiSupervised: undefined }), { registry });
  assert.deepEqual(seen, ["d:false", "g:false", "d:true", "g:true"]);

  // D's cost at step 1 (same weights and batches): smoothing adds w·(1 − α)·mean(log Z(x_real)),
  // so its effect halves when the GAN loss's weight w does.
  const firstDLoss = async (unsupervisedWeight: number, alpha: number) => {
    let loss = NaN;
    await train(
      small({
        semiSupervised: { labels: 20, unsupervisedWeight },
        regularizers: [{ name: "label-smoothing", options: { alpha } }],
      }),
      { registry, onProgress: (p) => loss = p.dLoss },
    );
    return loss;
  };
  const effect = async (w: number) => (await firstDLoss(w, 0.5)) - (await firstDLoss(w, 1));
  const [half, whole] = [await effect(0.5), await effect(1)];
  assert.ok(Math.abs(whole) > 1e-3, `smoothing changed D's cost by ${whole}`);
  assert.ok(Math.abs(half / whole - 0.5) < 1e-3, `${half} / ${whole}`);
});
