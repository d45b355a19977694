import assert from "node:assert/strict";
import { join } from "node:path";
import { builtinRegistry } from "../builtins.ts";
import { summarize, summaryMarkdown } from "../core/ablate/summary.ts";
import { PluginError } from "../core/contract/errors.ts";
import { definePlugin } from "../core/contract/plugin.ts";
import type { ExperimentInput } from "../core/config/schema.ts";
import { readMetricsRows } from "../core/store/run_directory.ts";
import { train } from "../core/train/train.ts";
import type { tf } from "../deps.ts";

const tiny = (overrides: Partial<ExperimentInput> = {}): ExperimentInput => ({
  dataset: "ring-8",
  backend: "cpu",
  architecture: { name: "mlp", options: { hidden: [8], latentDim: 2 } },
  train: { steps: 4, batchSize: 8 },
  evaluate: { every: 2, metrics: [] },
  ...overrides,
});

/** A generator loss whose value is `make(tf, fake logits)`. */
const generatorLoss = (name: string, make: (t: typeof tf, logits: tf.Tensor) => unknown) =>
  definePlugin({
    kind: "loss",
    name,
    description: "returns what the test says",
    create: ({ tf }) => ({
      generator: ({ fake }) => make(tf, fake.logits) as tf.Scalar,
    }),
  });

Deno.test("a loss that returns no scalar tensor fails naming the plugin, the side and what it gave", async () => {
  const registry = builtinRegistry().register(
    generatorLoss("number-loss", () => 1),
    generatorLoss("undefined-loss", () => undefined),
    generatorLoss("batch-loss", (tf, logits) => tf.softplus(logits)),
  );
  const cases = [
    [
      "number-loss",
      /Plugin loss "number-loss" failed in generator: returned number 1; expected a scalar tensor/,
    ],
    ["undefined-loss", /Plugin loss "undefined-loss" failed in generator: returned undefined;/],
    [
      "batch-loss",
      /Plugin loss "batch-loss" failed in generator: returned a tensor of shape \[8,1\];/,
    ],
  ] as const;
  for (const [name, message] of cases) {
    const result = await train(
      tiny({ loss: { discriminator: "minimax", generator: name } }),
      { registry },
    );
    assert.equal(result.status, "failed");
    assert.match(result.error!, message);
  }
});

Deno.test("a metric that does not resolve to numbers fails naming it; NaN is kept as NaN", async () => {
  const metric = (name: string, numbers: Record<string, unknown>) =>
    definePlugin({
      kind: "metric",
      name,
      description: "reports what the test says",
      create: () => ({ evaluate: () => Promise.resolve(numbers as Record<string, number>) }),
    });
  const registry = builtinRegistry().register(
    metric("wordy", { score: "high" }),
    metric("undefined-metric", { score: NaN, far: -Infinity }),
  );
  const wordy = await train(tiny({ evaluate: { every: 2, metrics: ["wordy"] } }), { registry });
  assert.equal(wordy.status, "failed");
  assert.match(
    wordy.error!,
    /Plugin metric "wordy" failed in evaluate: resolved to \{"score":"high"\}; expected named numbers/,
  );

  const outDir = join(await Deno.makeTempDir(), "run");
  const nan = await train(tiny({ evaluate: { every: 2, metrics: ["undefined-metric"] } }), {
    registry,
    outDir,
  });
  assert.equal(nan.status, "ok");
  assert.ok(Number.isNaN(nan.metrics.score));
  const lines = (await Deno.readTextFile(join(outDir, "metrics.jsonl"))).trim().split("\n");
  assert.match(lines[0], /"score":"NaN","far":"-Infinity"/);
  assert.match(await Deno.readTextFile(join(outDir, "result.json")), /"score": "NaN"/);
  const rows = await readMetricsRows(outDir);
  assert.ok(Number.isNaN(rows[1].score) && rows[1].far === -Infinity);
  // The summary shows a NaN seed as NaN, not as the other seeds' mean.
  const line = (seed: number, score: number) => ({
    cellId: `c${seed}`,
    label: `seed=${seed}`,
    overrides: {},
    seed,
    status: "ok" as const,
    seconds: 1,
    backend: "cpu",
    metrics: { score },
    index: seed,
  });
  assert.match(summaryMarkdown(summarize([line(1, 0.5), line(2, NaN)])), /\| NaN \| 2 \|/);
});

Deno.test("an add-on whose layer is not a layer, or cannot be built, is named, not the architecture", async () => {
  const registry = builtinRegistry().register(definePlugin({
    kind: "addon",
    name: "not-a-layer",
    description: "returns a string for a layer",
    create: () => ({ point: "features", layer: () => "dense" as never }),
  }));
  await assert.rejects(
    () => train(tiny({ discriminator: { addons: ["not-a-layer"] } }), { registry }),
    (error: Error) =>
      error instanceof PluginError && error.path === "discriminator.addons[0]" &&
      /^Plugin addon "not-a-layer" failed in layer: expected a tfjs layer or undefined, got dense$/
        .test(error.message),
  );
  await assert.rejects(
    () =>
      train(
        tiny({
          discriminator: {
            addons: [{
              name: "minibatch-discrimination",
              options: { kernels: 10_000, dims: 1_000 },
            }],
          },
          architecture: { name: "mlp", options: { hidden: [16_384], latentDim: 2 } },
        }),
        { registry },
      ),
    /Plugin addon "minibatch-discrimination" failed in layer: Array buffer allocation failed/,
  );
});
