import assert from "node:assert/strict";
import { join } from "node:path";
import { tf } from "../deps.ts";
import { builtinRegistry } from "../builtins.ts";
import type { ExperimentInput } from "../core/config/schema.ts";
import { train } from "../core/train/train.ts";
import { ConfigError } from "../core/contract/errors.ts";
import { definePlugin } from "../core/contract/plugin.ts";
import { decodePng } from "../deps.ts";

const tiny = (overrides: Partial<ExperimentInput> = {}): ExperimentInput => ({
  name: "tiny",
  dataset: "ring-8",
  backend: "cpu",
  architecture: { name: "mlp", options: { hidden: [16], latentDim: 4 } },
  train: { steps: 40, batchSize: 16, logEvery: 10 },
  evaluate: { every: 20, metrics: [{ name: "mode-coverage", options: { samples: 200 } }] },
  ...overrides,
});

/** A loss that counts its calls and can go bad at a given step. */
function countingLoss(name: string, counts: Record<string, number>, nanFrom = Infinity) {
  return definePlugin({
    kind: "loss",
    name,
    description: "counts calls",
    create: ({ tf }) => ({
      discriminator: ({ real, fake }) => {
        counts[`${name}:d`] = (counts[`${name}:d`] ?? 0) + 1;
        return tf.add(tf.mean(tf.softplus(tf.neg(real.logits))), tf.mean(tf.softplus(fake.logits)));
      },
      generator: ({ fake, step }) => {
        counts[`${name}:g`] = (counts[`${name}:g`] ?? 0) + 1;
        const loss = tf.mean(tf.softplus(tf.neg(fake.logits))) as tf.Scalar;
        return step >= nanFrom ? tf.mul(loss, NaN) as tf.Scalar : loss;
      },
    }),
  });
}

Deno.test("a run writes config.json, metrics.jsonl, result.json and a scatter PNG", async () => {
  const dir = await Deno.makeTempDir();
  const result = await train(tiny(), { registry: builtinRegistry(), outDir: dir });
  assert.equal(result.status, "ok");
  assert.equal(result.steps, 40);
  assert.equal(result.backend, "cpu");
  assert.match(result.configHash, /^[0-9a-f]{16}$/);
  assert.deepEqual(Object.keys(result.metrics), ["modes", "highQuality", "reverseKL"]);
  const saved = JSON.parse(await Deno.readTextFile(join(dir, "result.json")));
  assert.deepEqual(saved, result);
  const config = JSON.parse(await Deno.readTextFile(join(dir, "config.json")));
  assert.deepEqual(config.architecture.options.hidden, [16]);
  assert.equal(config.evaluate.metrics[0].options.within, 3, "plugin defaults are recorded");
  const rows = (await Deno.readTextFile(join(dir, "metrics.jsonl"))).trim().split("\n")
    .map((line) => JSON.parse(line));
  assert.deepEqual(rows.map((r) => r.step), [20, 40]);
  assert.deepEqual(Object.keys(rows[0]), [
    "step",
    "dLoss",
    "gLoss",
    "dReal",
    "dFake",
    "modes",
    "highQuality",
    "reverseKL",
  ]);
  assert.ok(rows.every((r) => r.dReal > 0 && r.dReal < 1 && Number.isFinite(r.gLoss)));
  const png = decodePng(await Deno.readFile(join(dir, "samples", "step-000040.png")));
  assert.equal(png.width, 512);
  const leftovers = [...Deno.readDirSync(dir)].filter((e) => e.name.includes(".tmp-"));
  assert.deepEqual(leftovers, []);
});

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test(`the same config and seed give byte-identical metrics.jsonl on ${backend}`, async () => {
    const read = async (seed: number) => {
      const dir = await Deno.makeTempDir();
      await train(tiny({ backend, seed }), { registry: builtinRegistry(), outDir: dir });
      return await Deno.readTextFile(join(dir, "metrics.jsonl"));
    };
    const first = await read(7);
    assert.equal(await read(7), first);
    assert.notEqual(await read(8), first);
  });
}

Deno.test("k = dSteps discriminator updates per generator update", async () => {
  const counts: Record<string, number> = {};
  const registry = builtinRegistry().register(countingLoss("counted", counts));
  await train(tiny({ loss: "counted", train: { steps: 12, batchSize: 8, dSteps: 3 } }), {
    registry,
  });
  assert.deepEqual(counts, { "counted:d": 36, "counted:g": 12 });
});

Deno.test("a generator-loss schedule switches at `until`, D keeps its own loss", async () => {
  const counts: Record<string, number> = {};
  const registry = builtinRegistry()
    .register(countingLoss("early", counts), countingLoss("late", counts));
  await train(
    tiny({
      loss: {
        discriminator: "early",
        generator: [{ until: 3, name: "early" }, { name: "late" }],
      },
      train: { steps: 5, batchSize: 8 },
    }),
    { registry },
  );
  assert.deepEqual(counts, { "early:d": 5, "early:g": 3, "late:g": 2 });
});

Deno.test("a NaN loss stops the run with status diverged", async () => {
  const dir = await Deno.makeTempDir();
  const registry = builtinRegistry().register(countingLoss("unstable", {}, 15));
  const result = await train(tiny({ loss: "unstable" }), { registry, outDir: dir });
  assert.equal(result.status, "diverged");
  assert.equal(result.steps, 20, "detected at the first logging step after step 15");
  assert.equal(JSON.parse(await Deno.readTextFile(join(dir, "result.json"))).status, "diverged");
});

Deno.test("an error inside a plugin fails the run, named by plugin and hook", async () => {
  const dir = await Deno.makeTempDir();
  const registry = builtinRegistry().register(definePlugin({
    kind: "loss",
    name: "broken",
    description: "throws",
    create: () => ({
      generator: () => {
        throw new Error("no gradient for you");
      },
    }),
  }));
  const result = await train(tiny({ loss: { generator: "broken" } }), { registry, outDir: dir });
  assert.equal(result.status, "failed");
  assert.equal(result.error, 'Plugin loss "broken" failed in generator: no gradient for you');
  assert.equal(JSON.parse(await Deno.readTextFile(join(dir, "result.json"))).status, "failed");
});

Deno.test("a loss without the side the config asks for is a config error; nothing is written", async () => {
  const dir = join(await Deno.makeTempDir(), "run");
  const registry = builtinRegistry().register(definePlugin({
    kind: "loss",
    name: "generator-only",
    description: "",
    create: ({ tf }) => ({ generator: ({ fake }) => tf.mean(fake.logits) }),
  }));
  await assert.rejects(
    () => train(tiny({ loss: { discriminator: "generator-only" } }), { registry, outDir: dir }),
    (error: Error) => {
      assert.ok(error instanceof ConfigError);
      assert.match(
        error.message,
        /loss.discriminator: loss "generator-only" defines no discriminator loss/,
      );
      return true;
    },
  );
  await assert.rejects(() => Deno.stat(dir), Deno.errors.NotFound);
});

Deno.test("no tensor leaks: the tensor count after step 100 equals that after step 1,000", async () => {
  const counts = new Map<number, number>();
  const result = await train(
    tiny({
      backend: "wasm",
      discriminator: {
        addons: [{ name: "minibatch-discrimination", options: { kernels: 4, dims: 2 } }],
      },
      train: { steps: 1000, batchSize: 8, logEvery: 50 },
      evaluate: { every: 250, metrics: [{ name: "mode-coverage", options: { samples: 100 } }] },
    }),
    {
      registry: builtinRegistry(),
      onStep: (step) => {
        if (step === 100 || step === 1000) counts.set(step, tf.memory().numTensors);
      },
    },
  );
  assert.equal(result.status, "ok");
  assert.equal(counts.get(1000), counts.get(100));
});

Deno.test("MNIST with the MLP writes an image grid of the configured size", async () => {
  const dir = await Deno.makeTempDir();
  const result = await train(
    tiny({
      dataset: "mnist",
      backend: "wasm",
      architecture: { name: "mlp", options: { hidden: [32], latentDim: 8 } },
      train: { steps: 3, batchSize: 8 },
      evaluate: { every: 3, metrics: [], samples: 16 },
    }),
    { registry: builtinRegistry(), outDir: dir },
  );
  assert.equal(result.status, "ok");
  const png = decodePng(await Deno.readFile(join(dir, "samples", "step-000003.png")));
  // 4 x 4 tiles of 28 px shown at twice their size, a 2 px gutter around and between them.
  assert.deepEqual([png.width, png.height], [4 * 58 + 2, 4 * 58 + 2]);
});

Deno.test("batch-norm, SGD and a 1-D dataset train end to end; the D has BN layers", async () => {
  const dir = await Deno.makeTempDir();
  const result = await train(
    tiny({
      dataset: "gaussian-1d",
      architecture: { name: "mlp", options: { hidden: [16, 16], latentDim: 4 } },
      discriminator: { addons: ["batch-norm"] },
      train: { steps: 20, batchSize: 16, optimizer: { name: "sgd", lr: 0.05 } },
      evaluate: { every: 20, metrics: ["mode-coverage"] },
    }),
    { registry: builtinRegistry(), outDir: dir },
  );
  assert.equal(result.status, "ok");
  assert.equal(
    JSON.parse(await Deno.readTextFile(join(dir, "config.json"))).train.optimizer.name,
    "sgd",
  );
  assert.deepEqual(Object.keys(result.metrics).sort(), ["highQuality", "modes", "reverseKL"]);
  const png = decodePng(await Deno.readFile(join(dir, "samples", "step-000020.png")));
  assert.deepEqual([png.width, png.height], [640, 320], "1-D data is drawn as histograms");
  // The saved D has one batch-norm layer: the second hidden layer's (the first is skipped).
  const topology = await Deno.readTextFile(join(dir, "checkpoint", "discriminator", "model.json"));
  assert.equal(topology.match(/"class_name":"BatchNormalization"/g)?.length, 1);
});

Deno.test("Adam, SGD and momentum give different runs from the same seed", async () => {
  const final = async (name: "adam" | "sgd" | "momentum") =>
    (await train(tiny({ train: { steps: 10, batchSize: 8, optimizer: { name, lr: 0.01 } } }), {
      registry: builtinRegistry(),
    })).metrics.reverseKL;
  const values = await Promise.all((["adam", "sgd", "momentum"] as const).map(final));
  assert.equal(new Set(values).size, 3, String(values));
});

Deno.test("a regularizer's penalty joins its player's cost (label smoothing)", async () => {
  const firstLoss = async (alpha?: number) => {
    const losses: number[] = [];
    await train(
      tiny({
        regularizers: alpha === undefined ? [] : [{ name: "label-smoothing", options: { alpha } }],
        train: { steps: 1, batchSize: 8, logEvery: 1 },
      }),
      { registry: builtinRegistry(), onProgress: (p) => losses.push(p.dLoss, p.dReal) },
    );
    return losses;
  };
  const plain = await firstLoss();
  assert.deepEqual(await firstLoss(1), plain, "alpha 1 changes nothing");
  const [half, dReal] = await firstLoss(0.5);
  const [quarter] = await firstLoss(0.75);
  // Same weights and batch at step 1: the cost grows by (1 - alpha) * mean real logit, so
  // alpha 0.5 adds twice what alpha 0.75 adds, and D's output is unchanged.
  assert.ok(Math.abs(half - plain[0]) > 1e-4, `${half} vs ${plain[0]}`);
  assert.ok(
    Math.abs((half - plain[0]) / (quarter - plain[0]) - 2) < 1e-3,
    `${half - plain[0]} / ${quarter - plain[0]}`,
  );
  assert.equal(dReal, plain[1]);
});

Deno.test("a generator penalty that reads no real data sends none through D", async () => {
  // Only feature matching's G loss reads real data; a penalty on G's weights alone must not
  // draw a real batch (that would shift the data stream and change the run).
  const zeroPenalty = definePlugin({
    kind: "regularizer",
    name: "zero-on-g",
    description: "0 · sum of G's first weight",
    create: ({ tf }) => ({
      generator: ({ variables }) => tf.mul(0, tf.sum(variables[0])) as tf.Scalar,
    }),
  });
  const losses = async (regularizers: string[]) => {
    const seen: number[] = [];
    await train(tiny({ regularizers, train: { steps: 20, batchSize: 8, logEvery: 5 } }), {
      registry: builtinRegistry().register(zeroPenalty),
      onProgress: (p) => seen.push(p.dLoss, p.gLoss),
    });
    return seen;
  };
  assert.deepEqual(await losses(["zero-on-g"]), await losses([]));
});

Deno.test("train frees every tensor it made, regularizer state and D's average included", async () => {
  const config = tiny({
    regularizers: ["historical-averaging"],
    train: { steps: 5, batchSize: 8 },
    evaluate: { every: 5, metrics: [], ema: 0.9 },
  });
  await train(config, { registry: builtinRegistry() }); // loads the dataset and kernels once
  const before = tf.memory().numTensors;
  assert.equal((await train(config, { registry: builtinRegistry() })).status, "ok");
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("a directory holding an earlier run is refused; overwrite starts afresh there", async () => {
  const dir = join(await Deno.makeTempDir(), "run");
  const registry = builtinRegistry();
  const config = tiny({ train: { steps: 40, batchSize: 8, checkpointEvery: 20 } });
  assert.equal((await train(config, { registry, outDir: dir })).status, "ok");
  const metricsBefore = await Deno.readTextFile(join(dir, "metrics.jsonl"));
  await assert.rejects(
    () => train(config, { registry, outDir: dir }),
    (error: Error) =>
      error instanceof ConfigError &&
      /holds a run checkpointed at step 40: resume it \(--resume\), start it again \(--overwrite\)/
        .test(error.message),
  );
  assert.equal(await Deno.readTextFile(join(dir, "metrics.jsonl")), metricsBefore, "untouched");
  const shorter = tiny({ train: { steps: 20, batchSize: 8 } });
  assert.equal((await train(shorter, { registry, outDir: dir, overwrite: true })).status, "ok");
  const steps = (await Deno.readTextFile(join(dir, "metrics.jsonl"))).trim().split("\n")
    .map((line) => JSON.parse(line).step);
  assert.deepEqual(steps, [20]);
  assert.deepEqual([...Deno.readDirSync(join(dir, "samples"))].map((e) => e.name), [
    "step-000020.png",
  ]);
});

Deno.test("weights made non-finite by a step end the run as diverged, before a checkpoint", async () => {
  // Its value is 0 but its gradient is NaN: 0·√(w − w) at 0.
  const nanGradient = definePlugin({
    kind: "regularizer",
    name: "nan-gradient",
    description: "0 with a NaN gradient",
    create: ({ tf }) => ({
      generator: ({ variables }) =>
        tf.mul(0, tf.sum(tf.sqrt(tf.sub(variables[0], variables[0])))) as tf.Scalar,
    }),
  });
  const dir = join(await Deno.makeTempDir(), "run");
  const result = await train(
    tiny({ regularizers: ["nan-gradient"], train: { steps: 1, batchSize: 8 } }),
    { registry: builtinRegistry().register(nanGradient), outDir: dir },
  );
  assert.equal(result.status, "diverged");
  await assert.rejects(() => Deno.stat(join(dir, "checkpoint")), Deno.errors.NotFound);
});

Deno.test("resuming frees the checkpoint's tensors once they are restored", async () => {
  const dir = join(await Deno.makeTempDir(), "run");
  const registry = builtinRegistry();
  const config = (steps: number) => tiny({ train: { steps, batchSize: 8, checkpointEvery: 5 } });
  await train(config(5), { registry, outDir: dir });
  const before = tf.memory().numTensors;
  assert.equal((await train(config(10), { registry, outDir: dir, resume: true })).status, "ok");
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("plugin state of a dtype checkpoints cannot hold fails the run with a clear message", async () => {
  const flags = definePlugin({
    kind: "regularizer",
    name: "bool-state",
    description: "keeps a bool tensor",
    create: ({ tf }) => ({ saveState: () => ({ seen: tf.tensor1d([true, false], "bool") }) }),
  });
  const dir = join(await Deno.makeTempDir(), "run");
  const result = await train(tiny({ regularizers: ["bool-state"], train: { steps: 2 } }), {
    registry: builtinRegistry().register(flags),
    outDir: dir,
  });
  assert.equal(result.status, "failed");
  assert.match(result.error!, /Cannot checkpoint "seen": its dtype is bool/);
});

Deno.test("a run that fails after an evaluation reports that evaluation's numbers", async () => {
  const lateFailure = definePlugin({
    kind: "loss",
    name: "fails-at-25",
    description: "throws at step 25",
    create: ({ tf }) => ({
      generator: ({ fake, step }) => {
        if (step === 25) throw new Error("late");
        return tf.mean(tf.softplus(tf.neg(fake.logits))) as tf.Scalar;
      },
    }),
  });
  const result = await train(tiny({ loss: { generator: "fails-at-25" } }), {
    registry: builtinRegistry().register(lateFailure),
  });
  assert.equal(result.status, "failed");
  assert.equal(result.steps, 24);
  assert.deepEqual(Object.keys(result.metrics).sort(), ["highQuality", "modes", "reverseKL"]);
});

Deno.test("a checkpoint that cannot be restored fails the resume and frees its tensors", async () => {
  const dir = join(await Deno.makeTempDir(), "run");
  const registry = builtinRegistry();
  const config = tiny({
    regularizers: ["historical-averaging"],
    train: { steps: 5, batchSize: 8, checkpointEvery: 5 },
  });
  await train(config, { registry, outDir: dir });
  // File the regularizer's state under another name: its tensors load but are never used.
  const statePath = join(dir, "checkpoint", "state.json");
  const state = JSON.parse(await Deno.readTextFile(statePath));
  const { "regularizers[0]": history, ...rest } = state.plugins;
  assert.ok(history.tensors.length > 0);
  const plugins = { ...rest, "renamed": history };
  await Deno.writeTextFile(statePath, JSON.stringify({ ...state, plugins }));
  const before = tf.memory().numTensors;
  await assert.rejects(
    () => train(config, { registry, outDir: dir, resume: true }),
    /the checkpoint has no state for "regularizers\[0\]"/,
  );
  assert.equal(tf.memory().numTensors, before);
});
