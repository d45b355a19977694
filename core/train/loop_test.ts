import assert from "node:assert/strict";
import { tf } from "../../deps.ts";
import { builtinRegistry } from "../../builtins.ts";
import { useBackend } from "../backend/select.ts";
import { resolveConfig } from "../config/experiment.ts";
import type { ExperimentInput } from "../config/schema.ts";
import { definePlugin } from "../contract/plugin.ts";
import type { StepStats } from "../store/run_records.ts";
import { buildRun } from "./build.ts";
import { type Progress, trainSteps } from "./loop.ts";
import { createOptimizers } from "./optimizers.ts";

await useBackend("cpu");

/** Which player each update was, in order, as regularizers are told before every update. */
const updates: string[] = [];
const registry = builtinRegistry().register(
  definePlugin({
    kind: "regularizer",
    name: "update-log",
    description: "records each player's updates",
    create: () => ({ observe: (player) => void updates.push(player) }),
  }),
  definePlugin({
    kind: "loss",
    name: "nan-after-3",
    description: "the non-saturating G loss, NaN from step 4",
    create: ({ tf }) => ({
      generator: ({ fake, step }) =>
        tf.mul(tf.mean(tf.softplus(tf.neg(fake.logits))), step > 3 ? NaN : 1),
    }),
  }),
);

async function runLoop(input: Partial<ExperimentInput>, firstStep = 1) {
  const experiment = resolveConfig({ dataset: "ring-8", backend: "cpu", ...input }, registry);
  const run = await buildRun(experiment, "(test)");
  const optimizers = createOptimizers(experiment.config.train.optimizer);
  const seen = { steps: [] as number[], progress: [] as Progress[], evaluated: [] as StepStats[] };
  const checkpointed: number[] = [];
  /** The evaluation and checkpoint hooks, in the order they ran. */
  const hooks: string[] = [];
  updates.length = 0;
  try {
    const outcome = await trainSteps(run, optimizers, firstStep, {
      onStep: (step) => seen.steps.push(step),
      onProgress: (progress) => void seen.progress.push(progress),
      evaluate: (stats) => {
        hooks.push(`evaluate ${stats.step}`);
        return Promise.resolve(void seen.evaluated.push(stats));
      },
      checkpoint: (step) => {
        hooks.push(`checkpoint ${step}`);
        return Promise.resolve(void checkpointed.push(step));
      },
    });
    return { ...outcome, ...seen, checkpointed, hooks, updates: [...updates] };
  } finally {
    run.dispose();
    optimizers.discriminator.dispose();
    optimizers.generator.dispose();
  }
}

Deno.test("k D updates per G update; logs, evaluations and checkpoints at their steps, no file written", async () => {
  // The loop has no file access: with writes refused, it still trains.
  await Deno.permissions.revoke({ name: "write" });
  const before = tf.memory().numTensors;
  const result = await runLoop({
    regularizers: ["update-log"],
    train: { steps: 7, batchSize: 8, dSteps: 3, logEvery: 2, checkpointEvery: 5 },
    evaluate: { every: 3 },
  });
  assert.equal(tf.memory().numTensors, before, "every step's tensors freed");
  assert.equal(result.diverged, false);
  assert.deepEqual(result.steps, [1, 2, 3, 4, 5, 6, 7]);
  const oneStep = ["discriminator", "discriminator", "discriminator", "generator"];
  assert.deepEqual(result.updates, Array(7).fill(oneStep).flat());
  assert.deepEqual(result.evaluated.map((s) => s.step), [3, 6, 7]);
  assert.deepEqual(result.checkpointed, [5, 7]);
  // A checkpoint carries what the evaluation of its step saw (the EMA, metric state).
  assert.deepEqual(result.hooks, [
    "evaluate 3",
    "checkpoint 5",
    "evaluate 6",
    "evaluate 7",
    "checkpoint 7",
  ]);
  // Logged: every logEvery steps, and at every evaluation, checkpoint and the last step.
  assert.deepEqual(result.progress.map((p) => p.step), [2, 3, 4, 5, 6, 7]);
  for (const p of result.progress) {
    assert.ok(Number.isFinite(p.dLoss) && Number.isFinite(p.gLoss), JSON.stringify(p));
    assert.ok(p.dReal > 0 && p.dReal < 1 && p.dFake > 0 && p.dFake < 1, JSON.stringify(p));
    assert.equal(p.steps, 7);
  }
  assert.equal(result.progress.at(-1)!.etaSeconds, 0);
  // An evaluation sees the stats that step logged.
  const atSix = result.progress.find((p) => p.step === 6)!;
  assert.deepEqual(result.evaluated[1], {
    step: 6,
    dLoss: atSix.dLoss,
    gLoss: atSix.gLoss,
    dReal: atSix.dReal,
    dFake: atSix.dFake,
  });
});

Deno.test("the loop starts at its first step: from 5, steps 5 to the end", async () => {
  const result = await runLoop({ train: { steps: 7, batchSize: 8 }, evaluate: { every: 3 } }, 5);
  assert.deepEqual(result.steps, [5, 6, 7]);
  assert.deepEqual(result.evaluated.map((s) => s.step), [6, 7]);
});

Deno.test("a non-finite loss ends the loop as diverged, before that step's evaluation", async () => {
  const result = await runLoop({
    loss: { generator: "nan-after-3" },
    train: { steps: 10, batchSize: 8, logEvery: 1, checkpointEvery: 4 },
    evaluate: { every: 2 },
  });
  assert.equal(result.diverged, true);
  assert.deepEqual(result.steps, [1, 2, 3, 4]);
  assert.ok(Number.isNaN(result.progress.at(-1)!.gLoss));
  assert.deepEqual(result.evaluated.map((s) => s.step), [2]);
  assert.deepEqual(result.checkpointed, [], "no checkpoint of the diverged step 4");
});
