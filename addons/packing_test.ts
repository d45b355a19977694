import assert from "node:assert/strict";
import { tf } from "../deps.ts";
import { useBackend } from "../core/backend/select.ts";
import { builtinRegistry } from "../builtins.ts";
import { ConfigError } from "../core/contract/errors.ts";
import { resolveConfig } from "../core/config/experiment.ts";
import type { ExperimentInput } from "../core/config/schema.ts";
import { buildRun } from "../core/train/build.ts";
import { discriminate } from "../core/train/discriminate.ts";
import { train } from "../core/train/train.ts";
import { Pack } from "../layers/pack.ts";

await useBackend("cpu");

const packed = (overrides: Partial<ExperimentInput> = {}): ExperimentInput => ({
  dataset: "ring-8",
  backend: "cpu",
  architecture: { name: "mlp", options: { hidden: [8], latentDim: 2 } },
  discriminator: { addons: [{ name: "packing", options: { packs: 4 } }] },
  train: { steps: 4, batchSize: 16 },
  evaluate: { every: 4, metrics: ["mode-coverage"] },
  ...overrides,
});

Deno.test("packing puts each pack's images side by side on the channel axis", async () => {
  // Four 1×1 images of two channels: packs of two concatenate channels in batch order.
  const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8], [4, 1, 1, 2]);
  const out = new Pack({ packs: 2 }).apply(x) as tf.Tensor;
  assert.deepEqual(out.shape, [2, 1, 1, 4]);
  assert.deepEqual(Array.from(await out.data()), [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.throws(() => new Pack({ packs: 3 }).apply(x), /Cannot pack a batch of 4 in packs of 3/);
});

Deno.test("with packing D judges packs: one output row per pack, and a run trains", async () => {
  const run = await buildRun(resolveConfig(packed(), builtinRegistry()), "test");
  const out = tf.tidy(() => discriminate(run, { x: tf.zeros([16, 2]) }, false).logits.shape);
  assert.deepEqual(out, [4, 1]);
  run.dispose();
  const result = await train(packed(), { registry: builtinRegistry() });
  assert.equal(result.status, "ok", result.error);
  assert.ok(Number.isFinite(result.metrics.reverseKL));
});

Deno.test("a batch size that packing cannot divide, or semi-supervised mode, is a config error", async () => {
  await assert.rejects(
    () => train(packed({ train: { steps: 2, batchSize: 18 } }), { registry: builtinRegistry() }),
    (error: Error) =>
      error instanceof ConfigError &&
      /train.batchSize: train.batchSize 18 is not a multiple of 4, the packs of add-on "packing"/
        .test(error.message),
  );
  await assert.rejects(
    () =>
      train(
        packed({ dataset: "mnist", semiSupervised: { labels: 20 }, evaluate: { metrics: [] } }),
        { registry: builtinRegistry() },
      ),
    /semiSupervised: add-on "packing" makes D judge 4 examples as one/,
  );
  const withReference = packed({
    discriminator: {
      addons: ["packing", { name: "virtual-batch-norm", options: { referenceSize: 8 } }],
    },
  });
  await assert.rejects(
    () => train(withReference, { registry: builtinRegistry() }),
    /discriminator.addons: packing and a reference batch \(virtual batch norm\) do not go together/,
  );
});
