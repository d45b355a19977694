import assert from "node:assert/strict";
import { builtinRegistry } from "../builtins.ts";
import { parseConfig } from "../core/config/schema.ts";
import { train } from "../core/train/train.ts";

const ring = {
  dataset: "ring-8",
  backend: "cpu" as const,
  architecture: { name: "mlp", options: { hidden: [16, 16], latentDim: 4 } },
  train: { steps: 6, batchSize: 16, logEvery: 3 },
  evaluate: { every: 6, metrics: [{ name: "mode-coverage", options: { samples: 200 } }] },
};

Deno.test("the modern losses and input-gradient penalties train in the engine", async () => {
  const cells = [
    { loss: "hinge", regularizers: ["r1"] },
    {
      loss: "wasserstein",
      regularizers: [{ name: "gradient-penalty", options: { oneSided: true } }],
    },
    { loss: { name: "relativistic", options: { form: "average" } }, regularizers: ["r2"] },
    { loss: "relativistic", regularizers: [{ name: "dragan", options: { lambda: 1 } }] },
    { loss: "non-saturating", regularizers: [{ name: "r1", options: { every: 4 } }] },
  ];
  for (const cell of cells) {
    const result = await train({ ...ring, ...cell }, { registry: builtinRegistry() });
    assert.equal(result.status, "ok", `${JSON.stringify(cell)}: ${result.error}`);
    assert.ok(Number.isFinite(result.metrics.reverseKL), JSON.stringify(cell));
  }
});

Deno.test("a penalty on D's input gradient trains in semi-supervised mode, through VBN and noise", async () => {
  const result = await train({
    backend: "cpu",
    dataset: "mnist",
    architecture: { name: "mlp", options: { hidden: [16], latentDim: 8, weightNorm: true } },
    semiSupervised: { labels: 20 },
    discriminator: {
      addons: [
        { name: "gaussian-noise", options: { stddev: 0.3, at: "input" } },
        { name: "virtual-batch-norm", options: { referenceSize: 8 } },
      ],
    },
    regularizers: ["r1", "gradient-penalty"],
    train: { steps: 3, batchSize: 8 },
    evaluate: { every: 3, metrics: [] },
  }, { registry: builtinRegistry() });
  assert.equal(result.status, "ok", result.error);
});

Deno.test("loss: { name, options } names one loss for both players", () => {
  const config = parseConfig({
    dataset: "ring-8",
    loss: { name: "relativistic", options: { form: "average" } },
  });
  assert.deepEqual(config.loss.discriminator, {
    name: "relativistic",
    options: { form: "average" },
  });
  assert.deepEqual(config.loss.generator, [{ name: "relativistic", options: { form: "average" } }]);
});
