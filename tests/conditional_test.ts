import assert from "node:assert/strict";
import { join } from "node:path";
import { decodePng, tf } from "../deps.ts";
import { startBackend, useBackend } from "../core/backend/select.ts";
import { builtinRegistry } from "../builtins.ts";
import { type ExperimentInput, parseConfig } from "../core/config/schema.ts";
import { resolveExperiment } from "../core/config/experiment.ts";
import { ConfigError, PluginError } from "../core/contract/errors.ts";
import { type Conditioning, definePlugin, type PenaltyInputs } from "../core/contract/plugin.ts";
import { createRng } from "../core/contract/rng.ts";
import { buildRun, type Run } from "../core/train/build.ts";
import { discriminate, discriminateEach } from "../core/train/discriminate.ts";
import { generateFrom, latent } from "../core/train/sample.ts";
import { train } from "../core/train/train.ts";
import { sampleRun } from "../core/evaluate/sample_run.ts";
import mlp from "../architectures/mlp.ts";
import auxiliaryClassifier from "../regularizers/auxiliary_classifier.ts";
import r2 from "../regularizers/r2.ts";
import { conditionalAccuracyMetric } from "../metrics/conditional_accuracy.ts";
import { squaredGradientNorms } from "../regularizers/_input_gradient.ts";

/** A small conditional MNIST config on the cpu backend. */
const conditional = (overrides: Partial<ExperimentInput> = {}): ExperimentInput => ({
  name: "conditional",
  backend: "cpu",
  dataset: "mnist",
  architecture: { name: "mlp", options: { hidden: [16], latentDim: 4 } },
  conditional: { discriminator: "projection" },
  train: { steps: 6, batchSize: 8, logEvery: 2, checkpointEvery: 3 },
  evaluate: { every: 3, samples: 16 },
  ...overrides,
});

async function built(input: ExperimentInput): Promise<Run> {
  await useBackend("cpu");
  return await buildRun(resolveExperiment(parseConfig(input), builtinRegistry()), "(test)");
}

async function maxGap(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  return (await tf.max(tf.abs(tf.sub(a, b))).data())[0];
}

const classes = (values: number[]) => tf.tensor1d(values, "int32");

Deno.test("every built-in architecture's G takes the class, one-hot or embedded", async () => {
  const architectures = [
    { name: "mlp", options: { hidden: [16], latentDim: 4 } },
    { name: "dcgan", options: { baseWidth: 4, latentDim: 4 } },
    { name: "improved-gan-mnist", options: { generatorHidden: [16], latentDim: 4 } },
  ];
  for (const architecture of architectures) {
    for (const generator of ["one-hot", "embedding"] as const) {
      const run = await built(conditional({
        architecture,
        conditional: { generator, embeddingDim: 3, discriminator: "auxiliary-classifier" },
      }));
      const label = `${architecture.name}, ${generator}`;
      try {
        const { inputs } = run.networks.generator;
        assert.deepEqual(inputs.map((i) => i.shape), [[null, 4], [null, 10]], label);
        const shapes = run.networks.generator.weights.map((w) => w.shape);
        if (generator === "embedding") {
          assert.ok(shapes.some((s) => s.join() === "10,3"), `${label}: a [10, 3] embedding`);
        }
        // The first layer reads z and the class code side by side.
        const width = 4 + (generator === "embedding" ? 3 : 10);
        assert.ok(shapes.some((s) => s[0] === width), `${label}: a layer reading ${width}`);
        const z = tf.tile(latent(run.networks, createRng(1), 1), [2, 1]);
        const [a, b] = tf.unstack(generateFrom(run, z, classes([2, 7]), false));
        assert.ok(await maxGap(a, b) > 1e-4, `${label}: the same z, two classes, one image`);
      } finally {
        run.dispose();
      }
    }
  }
});

Deno.test("a projection D adds <embed(y), phi(x)> to its logit; stacked batches keep their classes", async () => {
  const run = await built(conditional({
    architecture: { name: "improved-gan-mnist", options: { generatorHidden: [8] } },
  }));
  tf.engine().startScope();
  try {
    assert.equal(run.perExample, true);
    assert.deepEqual(run.networks.discriminator.inputs.map((i) => i.shape), [
      [null, 28, 28, 1],
      [null, 10],
    ]);
    const x = run.dataset.sample(run.rng.data, 3).x;
    const asked = classes([0, 4, 9]), other = classes([5, 5, 5]);
    const [a, b] = [
      discriminate(run, { x, labels: asked }, false),
      discriminate(run, { x, labels: other }, false),
    ];
    assert.equal(await a.labels!.array().then((l) => String(l)), "0,4,9");
    // φ(x) is the last hidden layer (no features add-on); E is the [10, 250] class embedding.
    const phi = a.features.at(-1)!;
    const embedding = run.networks.discriminator.weights.find((w) => w.shape.join() === "10,250")!;
    const projected = (labels: tf.Tensor) =>
      tf.sum(tf.mul(tf.gather(embedding.read(), labels), phi), 1, true);
    const expected = tf.sub(projected(asked), projected(other));
    assert.ok(await maxGap(tf.sub(a.logits, b.logits), expected) < 1e-4);
    assert.ok(await maxGap(expected, tf.zeros([3, 1])) > 1e-3, "the classes change the logit");
    const y = run.dataset.sample(run.rng.data, 2).x;
    const [first, second] = discriminateEach(run, [{ x, labels: asked }, {
      x: y,
      labels: tf.slice(other, 0, 2),
    }], false);
    assert.ok(await maxGap(first.logits, a.logits) < 1e-5, "stacked equals alone");
    assert.deepEqual(await second.labels!.array(), [5, 5]);
    assert.ok(
      await maxGap(
        second.logits,
        discriminate(run, { x: y, labels: tf.slice(other, 0, 2) }, false).logits,
      ) < 1e-5,
    );
  } finally {
    tf.engine().endScope();
    run.dispose();
  }
});

Deno.test("ACGAN: D's logit and K class logits; the class loss is their cross-entropy", async () => {
  const run = await built(conditional({
    conditional: { discriminator: "auxiliary-classifier" },
    regularizers: ["auxiliary-classifier"],
  }));
  tf.engine().startScope();
  try {
    const x = run.dataset.sample(run.rng.data, 3).x;
    const out = discriminate(run, { x, labels: classes([1, 2, 3]) }, false);
    assert.deepEqual([out.logits.shape, out.classLogits!.shape], [[3, 1], [3, 10]]);
  } finally {
    tf.engine().endScope();
    run.dispose();
  }
  const setting: Conditioning = {
    classes: 3,
    generator: "one-hot",
    embeddingDim: 50,
    discriminator: "auxiliary-classifier",
  };
  const lossOf = async (options: Record<string, unknown>, conditional = setting) =>
    await auxiliaryClassifier.create({
      tf,
      layers: {} as never,
      rng: createRng(1),
      options: auxiliaryClassifier.options!.parse(options),
      discriminator: { logits: 4, features: 1 },
      conditional,
    });
  // Two examples each side: class logits [0, ln 3, 0] and [ln 2, 0, 0], labels 1 and 0.
  const batch = (labels: number[]) => ({
    x: tf.zeros([2, 1]),
    logits: tf.zeros([2, 1]),
    classLogits: tf.tensor2d([[0, Math.log(3), 0], [Math.log(2), 0, 0]]),
    labels: classes(labels),
    features: [],
  });
  // p(label): 3/5 for the first row, 2/4 for the second; with labels [2, 1]: 1/5 and 1/4.
  const rightCe = -(Math.log(3 / 5) + Math.log(2 / 4)) / 2;
  const wrongCe = -(Math.log(1 / 5) + Math.log(1 / 4)) / 2;
  const inputs = { real: batch([1, 0]), fake: batch([2, 1]) } as unknown as PenaltyInputs;
  const value = async (t: tf.Tensor) => (await t.data())[0];
  const paper = await lossOf({});
  assert.ok(Math.abs(await value(paper.discriminator!(inputs)) - (rightCe + wrongCe)) < 1e-5);
  assert.ok(Math.abs(await value(paper.generator!(inputs)) - wrongCe) < 1e-5);
  const realOnly = await lossOf({ weight: 2, fake: false });
  assert.ok(Math.abs(await value(realOnly.discriminator!(inputs)) - 2 * rightCe) < 1e-5);
  await assert.rejects(
    () => lossOf({}, { ...setting, discriminator: "projection" }),
    /auxiliary-classifier needs D's class logits: set "conditional": \{ "discriminator": "auxiliary-classifier" \}/,
  );
});

Deno.test("conditional-accuracy: 1 for a G that draws each class asked, 1/K for one that ignores it", async () => {
  await useBackend("cpu");
  // The stub classifier reads an image's class from its first pixel.
  const classifier = () =>
    Promise.resolve({
      logits: (x: tf.Tensor) =>
        tf.oneHot(
          tf.cast(tf.reshape(tf.slice(x, [0, 0], [-1, 1]), [-1]), "int32"),
          10,
        ) as tf.Tensor2D,
    });
  const dataset = { info: { shape: [2], kind: "points", numClasses: 10 } } as never;
  const accuracy = async (draw: (labels: tf.Tensor) => tf.Tensor) => {
    const metric = conditionalAccuracyMetric({ samples: 1000, batchSize: 300 }, classifier);
    const generate = (_n: number, labels?: tf.Tensor) =>
      tf.tidy(() => tf.stack([tf.cast(draw(labels!), "float32"), tf.zeros(labels!.shape)], 1));
    const found = await metric.evaluate({ tf, step: 1, dataset, rng: createRng(1), generate });
    return found.conditionalAccuracy;
  };
  assert.equal(await accuracy((labels) => labels), 1);
  assert.equal(await accuracy((labels) => tf.zerosLike(labels)), 0.1);
  assert.equal(await accuracy((labels) => tf.mod(tf.add(labels, 1), 10)), 0);
});

Deno.test("a conditional run plots and samples a row per class, and resumes exactly", async () => {
  const config = conditional({
    discriminator: { addons: [{ name: "virtual-batch-norm", options: { referenceSize: 4 } }] },
    regularizers: ["r1", "r2"],
  });
  const registry = builtinRegistry();
  const whole = await Deno.makeTempDir();
  assert.equal((await train(config, { registry, outDir: whole })).status, "ok");
  const png = decodePng(await Deno.readFile(join(whole, "samples", "step-000006.png")));
  // 16 samples of 10 classes: 10 rows of 2 tiles of 28 px at twice their size, 2 px gutters.
  assert.deepEqual([png.width, png.height], [2 * 58 + 2, 10 * 58 + 2]);
  const drawn = await sampleRun(whole, { n: 25, backend: "cpu", out: join(whole, "drawn.png") });
  assert.equal(drawn.n, 30, "25 rounded up to 10 rows of 3");
  const picture = decodePng(await Deno.readFile(drawn.path));
  assert.deepEqual([picture.width, picture.height], [3 * 58 + 2, 10 * 58 + 2]);
  const state = JSON.parse(await Deno.readTextFile(join(whole, "checkpoint", "state.json")));
  assert.deepEqual(state.plugins["reference-batch"].tensors[1], {
    name: "labels",
    shape: [4],
    dtype: "int32",
  }, "the reference batch keeps its classes, which the projection D reads");
  await assertResumesExactly(config);
});

Deno.test("ACGAN with D on the stacked batches trains and resumes exactly", async () => {
  const config = conditional({
    architecture: {
      name: "improved-gan-mnist",
      options: { generatorHidden: [8], discriminatorHidden: [16, 8], latentDim: 4 },
    },
    conditional: { generator: "embedding", discriminator: "auxiliary-classifier" },
    regularizers: ["auxiliary-classifier", "r1"],
    evaluate: { every: 3, samples: 16, metrics: [] },
  });
  const run = await built(config);
  assert.equal(run.perExample, true, "the real and fake batches are stacked");
  run.dispose();
  await assertResumesExactly(config);
});

/** Trains a config whole, and stopped after step 5 and resumed: metrics.jsonl is the same. */
async function assertResumesExactly(config: ExperimentInput): Promise<void> {
  const registry = builtinRegistry();
  const whole = await Deno.makeTempDir();
  assert.equal((await train(config, { registry, outDir: whole })).status, "ok");
  const broken = await Deno.makeTempDir();
  const stopped = await train(config, {
    registry,
    outDir: broken,
    onStep: (step) => {
      if (step === 5) throw new Error("stop");
    },
  });
  assert.equal(stopped.status, "failed");
  const resumed = await train(config, { registry, outDir: broken, resume: true });
  assert.equal(resumed.status, "ok", resumed.error);
  const rows = await Deno.readTextFile(join(whole, "metrics.jsonl"));
  assert.equal(rows.trim().split("\n").length, 2);
  assert.equal(await Deno.readTextFile(join(broken, "metrics.jsonl")), rows);
}

Deno.test("R2 judges generated data at the classes G was asked for", async () => {
  await useBackend("cpu");
  const penalty = await r2.create({
    tf,
    layers: {} as never,
    rng: createRng(1),
    options: r2.options!.parse({}),
    discriminator: { logits: 1, features: 0 },
  });
  const judgedAs: number[][] = [];
  const fakeLabels = classes([3, 8]);
  const inputs = {
    step: 1,
    fake: { x: tf.ones([2, 2]), labels: fakeLabels, logits: tf.zeros([2, 1]), features: [] },
    discriminate: (x: tf.Tensor, labels?: tf.Tensor) => {
      judgedAs.push(Array.from(labels!.dataSync()));
      return { x, logits: tf.sum(tf.square(x), 1, true), features: [] };
    },
  } as unknown as PenaltyInputs;
  // D(x) = ‖x‖²: ∇ = 2x, ‖∇‖² = 8 at (1, 1); R2 = γ/2 · 8 = 40.
  assert.ok(Math.abs((await penalty.discriminator!(inputs).data())[0] - 40) < 1e-4);
  assert.deepEqual(judgedAs, [[3, 8]]);
});

Deno.test("R1 through a projection D: the same on wasm as on cpu (second order through the projection)", async () => {
  const values: number[][] = [];
  for (const backend of ["cpu", "wasm"]) {
    await startBackend(backend);
    const run = await buildRun(
      resolveExperiment(parseConfig(conditional()), builtinRegistry()),
      "(test)",
    );
    try {
      const norms = tf.tidy(() => {
        const { x, labels } = run.dataset.sample(createRng(3), 4);
        const judge = (input: tf.Tensor, asked?: tf.Tensor) =>
          discriminate(run, { x: input, labels: asked ?? labels }, true);
        // The penalty's gradient in D's weights: second order through the projection's dot.
        const embedding = run.variables.discriminator.find((v) => v.shape.join() === "10,16")!;
        const { grads } = tf.variableGrads(() => tf.sum(squaredGradientNorms(tf, judge, x)), [
          embedding,
        ]);
        return tf.concat([
          squaredGradientNorms(tf, judge, x),
          tf.reshape(Object.values(grads)[0], [-1]),
        ]);
      });
      values.push(Array.from(await norms.data()));
      norms.dispose();
    } finally {
      run.dispose();
    }
  }
  const [cpu, wasm] = values;
  assert.ok(cpu.slice(4).some((g) => Math.abs(g) > 1e-6), "the penalty moves the class embedding");
  for (const [i, v] of cpu.entries()) {
    assert.ok(
      Math.abs(v - wasm[i]) <= 1e-4 * (1 + Math.abs(v)),
      `entry ${i}: cpu ${v}, wasm ${wasm[i]}`,
    );
  }
});

Deno.test("conditional configs that cannot work are refused before anything is written", async () => {
  const registry = builtinRegistry();
  const refused = async (input: ExperimentInput, pattern: RegExp) => {
    const dir = join(await Deno.makeTempDir(), "run");
    const result = await train(input, { registry, outDir: dir }).catch((error) => error);
    const message = result instanceof Error ? result.message : String(result.error);
    assert.match(message, pattern);
    assert.equal(await Deno.stat(dir).then(() => true, () => false), false, "nothing written");
  };
  await refused(
    conditional({ dataset: "ring-8" }),
    /conditional: dataset "ring-8" has no labeled training split; a conditional GAN needs one/,
  );
  await refused(
    conditional({ semiSupervised: { labels: 20 } }),
    /conditional: semi-supervised mode and a conditional GAN do not go together/,
  );
  await refused(
    conditional({ discriminator: { addons: [{ name: "packing", options: { packs: 2 } }] } }),
    /conditional: add-on "packing" makes D judge 2 examples as one, so it cannot judge each example's class: a conditional GAN/,
  );
  await refused(
    conditional({ regularizers: ["auxiliary-classifier"] }),
    /auxiliary-classifier needs D's class logits/,
  );
  await refused(
    conditional({
      conditional: { discriminator: "auxiliary-classifier" },
      regularizers: ["auxiliary-classifier"],
      evaluate: { metrics: ["semi-supervised-error"] },
    }),
    /semi-supervised-error.*it needs semi-supervised mode/,
  );
  await refused(
    conditional({ conditional: undefined, evaluate: { metrics: ["conditional-accuracy"] } }),
    /conditional-accuracy needs a conditional G/,
  );
  const unconditional = definePlugin({
    kind: "architecture",
    name: "unconditional-mlp",
    description: "An MLP that ignores the class",
    options: mlp.options,
    create: (context) => mlp.create({ ...context, conditional: undefined }),
  });
  const withPlugin = builtinRegistry();
  withPlugin.register(unconditional);
  const error = await train(conditional({ architecture: "unconditional-mlp" }), {
    registry: withPlugin,
  }).catch((e) => e);
  assert.ok(error instanceof ConfigError || error instanceof PluginError);
  assert.match(
    error.message,
    /architecture: architecture "unconditional-mlp" gave G 1 inputs, expected \[z, class\]: a conditional run passes the one-hot class \[n, 10\]/,
  );
});
