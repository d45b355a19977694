import assert from "node:assert/strict";
import { tf } from "../../deps.ts";
import { builtinRegistry } from "../../builtins.ts";
import { useBackend } from "../backend/select.ts";
import { resolveConfig } from "../config/experiment.ts";
import type { Checkpoint } from "../store/checkpoint.ts";
import { buildRun } from "./build.ts";
import { checkpointRecord, restoreRun, runState } from "./snapshot.ts";

await useBackend("cpu");

Deno.test("a checkpoint restores into a fresh run; a failed restore frees what it had not used", async () => {
  const experiment = resolveConfig(
    { dataset: "ring-8", backend: "cpu", evaluate: { ema: 0.9 } },
    builtinRegistry(),
  );
  const [source, target] = [await buildRun(experiment, "(a)"), await buildRun(experiment, "(b)")];
  source.rng.data.uniform();
  const checkpoint = (plugins: Checkpoint["plugins"]): Checkpoint => ({
    state: {
      ...checkpointRecord(source, 7, "hash", 1.5),
      optimizers: { discriminator: [], generator: [] },
    },
    generator: source.networks.generator.getWeights().map((w) => w.clone()),
    discriminator: source.networks.discriminator.getWeights().map((w) => w.clone()),
    optimizers: { discriminator: [], generator: [] },
    plugins,
  });
  const before = tf.memory().numTensors;
  await assert.rejects(
    // It fails at the EMA's missing state, before reaching another part's tensors.
    () => restoreRun(target, checkpoint({ "addons[0]": { x: tf.ones([3]) } })),
    /the checkpoint has no state for "evaluate.ema"/,
  );
  assert.equal(tf.memory().numTensors, before, "the checkpoint's tensors are freed");

  const saved = runState(source)["evaluate.ema"];
  const state = Object.fromEntries(
    Object.entries(saved).map(([k, t]) => [k, (t as tf.Tensor).clone()]),
  );
  await restoreRun(target, checkpoint({ "evaluate.ema": state }));
  assert.equal(target.rng.data.uniform(), source.rng.data.uniform(), "the data stream goes on");
  const weights = (run: typeof source) =>
    run.networks.discriminator.getWeights().map((w) => w.data());
  assert.deepEqual(await Promise.all(weights(target)), await Promise.all(weights(source)));
  source.dispose();
  target.dispose();
});
