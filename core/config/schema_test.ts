import assert from "node:assert/strict";
import { builtinRegistry } from "../../builtins.ts";
import { parseConfig } from "./schema.ts";
import { ConfigError } from "../contract/errors.ts";
import { resolveExperiment } from "./experiment.ts";

function issuesOf(fn: () => unknown): Record<string, string> {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return Object.fromEntries(error.issues.map((i) => [i.path, i.message]));
  }
  assert.fail("expected a ConfigError");
}

Deno.test("defaults fill every field and plugin references are normalised", () => {
  const config = parseConfig({ dataset: "ring-8" });
  assert.deepEqual(config.dataset, { name: "ring-8", options: {} });
  assert.deepEqual(config.loss, {
    discriminator: { name: "non-saturating", options: {} },
    generator: [{ name: "non-saturating", options: {} }],
  });
  assert.equal(config.backend, "auto");
  assert.equal(config.train.optimizer.name, "adam");
  assert.equal(config.train.optimizer.beta1, 0.5);
  assert.deepEqual(config.discriminator.addons, []);
  // A parsed config parses to itself: config.json can be trained again.
  assert.deepEqual(parseConfig(config), config);
});

Deno.test("the loss object form defaults D to L0 (minimax) and takes a schedule for G", () => {
  const config = parseConfig({
    dataset: "ring-8",
    loss: { generator: [{ until: 2000, name: "non-saturating" }, { name: "minimax" }] },
  });
  assert.equal(config.loss.discriminator.name, "minimax");
  assert.deepEqual(config.loss.generator.map((e) => [e.until, e.name]), [
    [2000, "non-saturating"],
    [undefined, "minimax"],
  ]);
});

Deno.test("every bad field is reported with its path and the value", () => {
  const issues = issuesOf(() =>
    parseConfig({
      dataset: 3,
      backend: "gpu",
      train: { batchSize: -3, stepz: 4, optimizer: { decay: { start: 10, end: 10 } } },
      loss: { generator: [{ name: "minimax" }, { until: 5, name: "x" }] },
      evaluate: { metrics: ["mode-coverage", { name: "x", optionz: {} }] },
    }, "bad.json")
  );
  assert.match(issues["dataset"], /expected a plugin name or \{ "name"/);
  assert.match(issues["backend"], /expected auto, webgpu, wasm or cpu, or .*\(got "gpu"\)/);
  assert.match(issues["train.batchSize"], /expected number to be >0 \(got -3\)/);
  assert.match(issues["train"], /Unrecognized key: "stepz"/);
  assert.match(issues["train.optimizer.decay.end"], /expected end > start \(got 10\)/);
  assert.match(issues["loss.generator[0].until"], /hands over/);
  assert.match(issues["loss.generator[1].until"], /the last entry/);
  assert.match(issues["evaluate.metrics[1]"], /Unrecognized key: "optionz"/);
  assert.equal(Object.keys(issues).length, 8);
});

Deno.test("the message starts with the source and lists one line per issue", () => {
  assert.throws(
    () => parseConfig({ dataset: "ring-8", seed: -1, name: "a b" }, "x.json"),
    (error: Error) => {
      assert.match(error.message, /^Invalid config x.json:\n {2}- name: .*\n {2}- seed: /);
      return true;
    },
  );
});

Deno.test("unknown plugin names and bad plugin options are all reported before anything runs", () => {
  const registry = builtinRegistry();
  const issues = issuesOf(() =>
    resolveExperiment(
      parseConfig({
        dataset: "ring-9",
        loss: "minimax",
        discriminator: {
          addons: [{ name: "minibatch-discrimination", options: { kernels: 0, dimz: 2 } }],
        },
        evaluate: { metrics: ["mode-coverag"] },
      }),
      registry,
    )
  );
  assert.match(issues["dataset"], /Cannot resolve dataset "ring-9": .*did you mean "ring-8"/);
  assert.match(issues["discriminator.addons[0].options.kernels"], /expected number to be >0/);
  assert.match(issues["discriminator.addons[0].options"], /Unrecognized key: "dimz"/);
  assert.match(issues["evaluate.metrics[0]"], /did you mean "mode-coverage"/);
});

Deno.test("resolution fills plugin option defaults into the recorded config", () => {
  const experiment = resolveExperiment(
    parseConfig({ dataset: "ring-8", discriminator: { addons: ["minibatch-discrimination"] } }),
    builtinRegistry(),
  );
  assert.deepEqual(experiment.config.discriminator.addons[0].options, { kernels: 100, dims: 5 });
  assert.deepEqual(experiment.config.dataset.options, { radius: 1, std: 0.01 });
});
