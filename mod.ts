/**
 * gantry: declare GAN experiments as plain config objects and train them on tfjs (WebGPU, WASM
 * or CPU). Every loss, discriminator add-on, regularizer, architecture, dataset and metric is a
 * plugin found by name; a user's plugins are written exactly like the built-in ones.
 *
 * @example Train the 2-D ring for a few steps on the CPU backend
 * ```ts
 * import assert from "node:assert/strict";
 * import { builtinRegistry, train } from "./mod.ts";
 *
 * const result = await train(
 *   { dataset: "ring-8", backend: "cpu", train: { steps: 5, batchSize: 16 } },
 *   { registry: builtinRegistry() },
 * );
 * assert.ok(result.status === "ok");
 * ```
 *
 * @module
 */
export {
  /**
   * The tfjs core gantry trains with (the one plugins receive as `tf`), so code that imports
   * mod.ts by URL never loads a second copy.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { tf, useBackend } from "./mod.ts";
   *
   * await useBackend("cpu");
   * assert.deepEqual(await tf.add(tf.tensor1d([1, 2]), 1).data(), new Float32Array([2, 3]));
   * ```
   */
  tf,
  /**
   * tfjs-layers, for a user's architecture (plugins receive it as `layers`).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { tfl } from "./mod.ts";
   *
   * assert.ok(tfl.layers.dense({ units: 3 }).getConfig().units === 3);
   * ```
   */
  tfl,
  /**
   * zod, for a plugin's options schema.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { z } from "./mod.ts";
   *
   * const options = z.strictObject({ weight: z.number().default(1) });
   * assert.deepEqual(options.parse({}), { weight: 1 });
   * ```
   */
  z,
} from "./deps.ts";
export {
  /**
   * Declares a plugin; it returns its argument and exists for type inference.
   *
   * @example A least-squares loss (Mao et al. 2017)
   * ```ts
   * import assert from "node:assert/strict";
   * import { createRng, definePlugin, tf, tfl, useBackend } from "./mod.ts";
   *
   * await useBackend("cpu");
   * const leastSquares = definePlugin({
   *   kind: "loss",
   *   name: "least-squares",
   *   description: "LSGAN: squared distance of D's output to the targets",
   *   create: ({ tf }) => ({
   *     discriminator: ({ real, fake }) =>
   *       tf.add(tf.mean(tf.square(tf.sub(real.logits, 1))), tf.mean(tf.square(fake.logits))),
   *     generator: ({ fake }) => tf.mean(tf.square(tf.sub(fake.logits, 1))),
   *   }),
   * });
   * const loss = await leastSquares.create({ tf, layers: tfl, options: {}, rng: createRng(1) });
   * const output = (logit: number) => ({ logits: tf.fill([4, 1], logit), features: [] });
   * const inputs = { real: output(1), fake: output(0), step: 1 };
   * assert.equal((await loss.discriminator!(inputs).data())[0], 0); // real at 1, fake at 0
   * assert.equal((await loss.generator!(inputs).data())[0], 1); // G wants its fakes at 1
   * ```
   */
  definePlugin,
  /**
   * The kinds of plugin, in the order the CLI lists them.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { BUILTIN_PLUGINS, PLUGIN_KINDS } from "./mod.ts";
   *
   * assert.ok(BUILTIN_PLUGINS.every((plugin) => PLUGIN_KINDS.includes(plugin.kind)));
   * ```
   */
  PLUGIN_KINDS,
} from "./core/plugin.ts";
export type * from "./core/plugin.ts";
export {
  /**
   * A dense layer with weight normalisation (Salimans & Kingma 2016), W = v·g/‖v‖, for a
   * user's architecture.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { tf, useBackend, WeightNormDense } from "./mod.ts";
   *
   * await useBackend("cpu");
   * const y = new WeightNormDense({ units: 4, seed: 1 }).apply(tf.ones([2, 3])) as tf.Tensor;
   * assert.deepEqual(y.shape, [2, 4]);
   * ```
   */
  WeightNormDense,
} from "./plugins/weight_norm_dense.ts";
export {
  /**
   * A resumable stream of tfjs seeds for the seeded noise layers; an architecture returns its
   * `saveState` / `loadState` so checkpoints carry it.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { createRng, createSeedStream } from "./mod.ts";
   *
   * const stream = createSeedStream(createRng(1), "my-architecture");
   * const again = createSeedStream(createRng(1), "my-architecture");
   * assert.ok(stream.seeds() === again.seeds() && Array.isArray(stream.saveState().rng));
   * ```
   */
  createSeedStream,
  /**
   * Inverted dropout whose masks come from a seed source (tfjs's own layer is unseeded).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { createRng, createSeedStream, SeededDropout, tf, useBackend } from "./mod.ts";
   *
   * await useBackend("cpu");
   * const stream = createSeedStream(createRng(1), "d");
   * const dropout = new SeededDropout({ rate: 0.5, seeds: stream.seeds });
   * const kept = dropout.apply(tf.ones([1, 1000]), { training: true }) as tf.Tensor;
   * const values = await kept.data(); // each unit 0 or 1 / (1 - 0.5)
   * assert.ok(values.every((v) => v === 0 || v === 2));
   * ```
   */
  SeededDropout,
  /**
   * Adds N(0, σ²) noise from a seed source while training; the identity at inference.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { createRng, createSeedStream, SeededGaussianNoise, tf, useBackend } from "./mod.ts";
   *
   * await useBackend("cpu");
   * const noise = new SeededGaussianNoise({
   *   stddev: 0.5,
   *   seeds: createSeedStream(createRng(1), "n").seeds,
   * });
   * const x = tf.zeros([1, 4]);
   * assert.deepEqual(await (noise.apply(x) as tf.Tensor).data(), await x.data());
   * ```
   */
  SeededGaussianNoise,
} from "./plugins/noise_layers.ts";
export {
  /**
   * The plugins, by kind and name. Duplicate names throw; unknown names list the valid ones.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { definePlugin, Registry } from "./mod.ts";
   *
   * const half = definePlugin({
   *   kind: "loss",
   *   name: "half",
   *   description: "",
   *   create: ({ tf }) => ({ generator: ({ fake }) => tf.mul(0.5, tf.mean(fake.logits)) }),
   * });
   * const registry = new Registry().register(half);
   * assert.ok(registry.get("loss", "half") === half);
   * assert.throws(() => registry.register(half), /half/);
   * ```
   */
  Registry,
} from "./core/registry.ts";
export {
  /**
   * The built-in plugins, in the order they register.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { BUILTIN_PLUGINS } from "./mod.ts";
   *
   * assert.ok(BUILTIN_PLUGINS.some((p) => p.name === "minibatch-discrimination"));
   * ```
   */
  BUILTIN_PLUGINS,
  /**
   * A new registry holding every built-in plugin.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { builtinRegistry } from "./mod.ts";
   *
   * assert.ok(builtinRegistry().list("dataset").some((p) => p.name === "ring-8"));
   * ```
   */
  builtinRegistry,
} from "./core/builtins.ts";
export {
  /**
   * The zod schema of an experiment config.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { experimentSchema } from "./mod.ts";
   *
   * assert.ok(experimentSchema.safeParse({ dataset: "ring-8", typo: 1 }).success === false);
   * ```
   */
  experimentSchema,
  /**
   * Parses a config and fills in defaults; a bad field throws a ConfigError naming its path.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { parseConfig } from "./mod.ts";
   *
   * const config = parseConfig({ dataset: "ring-8", loss: "minimax" });
   * assert.ok(config.loss.generator[0].name === "minimax");
   * assert.ok(config.train.dSteps === 1);
   * ```
   */
  parseConfig,
} from "./core/config.ts";
export type { ExperimentConfig, ExperimentInput, PluginRef } from "./core/config.ts";
export {
  /**
   * Declares an ablation grid: a base config, axes of values by config path, seeds.
   *
   * @example
   * ```ts
   * import { builtinRegistry, defineGrid, expandGrid, parseGrid } from "./mod.ts";
   * import assert from "node:assert/strict";
   *
   * const grid = defineGrid({
   *   name: "losses",
   *   base: { dataset: "ring-8" },
   *   axes: { loss: ["minimax", "non-saturating"] },
   *   seeds: [1, 2, 3],
   * });
   * const cells = await expandGrid(parseGrid(grid), builtinRegistry());
   * assert.equal(cells.length, 6);
   * assert.equal(cells[0].label, "loss=minimax,seed=1");
   * ```
   */
  defineGrid,
  /**
   * Expands a parsed grid into cells (config x seed), validating every cell up front.
   *
   * @example
   * ```ts
   * import { builtinRegistry, expandGrid, parseGrid } from "./mod.ts";
   * import assert from "node:assert/strict";
   *
   * const grid = parseGrid({ name: "k", base: { dataset: "ring-8" }, axes: { "train.dSteps": [1, 5] } });
   * const cells = await expandGrid(grid, builtinRegistry());
   * assert.deepEqual(cells.map((c) => c.config.train.dSteps), [1, 5]);
   * ```
   */
  expandGrid,
  /**
   * Parses a grid; a bad field throws a ConfigError naming its path.
   *
   * @example
   * ```ts
   * import { parseGrid } from "./mod.ts";
   * import assert from "node:assert/strict";
   *
   * assert.throws(() => parseGrid({ name: "g", base: {}, axes: { loss: [] } }), /axes.loss/);
   * ```
   */
  parseGrid,
} from "./core/grid.ts";
export type { Cell, Grid, GridInput } from "./core/grid.ts";
export {
  /**
   * Runs a grid's cells (or one shard) in Deno workers, appending to OUT/results.jsonl.
   *
   * @example
   * ```ts
   * import { builtinRegistry, expandGrid, parseGrid, runGrid } from "./mod.ts";
   * import assert from "node:assert/strict";
   *
   * const grid = parseGrid({
   *   name: "doc",
   *   base: { dataset: "ring-8", backend: "cpu", train: { steps: 3, batchSize: 8 } },
   *   axes: { loss: ["minimax", "non-saturating"] },
   * });
   * const cells = await expandGrid(grid, builtinRegistry());
   * const results = await runGrid(grid, cells, { outDir: await Deno.makeTempDir() });
   * assert.deepEqual(results.map((r) => r.status), ["ok", "ok"]);
   * ```
   */
  runGrid,
} from "./core/ablate.ts";
export type { AblateEvent, AblateOptions, Shard } from "./core/ablate.ts";
export {
  /**
   * Merges grid directories into summary.csv, summary.md and report.html.
   *
   * @example
   * ```ts
   * import { builtinRegistry, expandGrid, parseGrid, runGrid, writeReport } from "./mod.ts";
   * import assert from "node:assert/strict";
   *
   * const grid = parseGrid({
   *   name: "doc",
   *   base: { dataset: "ring-8", backend: "cpu", train: { steps: 2, batchSize: 8 } },
   *   axes: { loss: ["minimax"] },
   * });
   * const out = await Deno.makeTempDir();
   * await runGrid(grid, await expandGrid(grid, builtinRegistry()), { outDir: out });
   * const files = await writeReport([out], out);
   * assert.match(files.markdown, /\| minimax \|/);
   * ```
   */
  writeReport,
} from "./core/report.ts";
export type { ReportFiles } from "./core/report.ts";
export {
  /**
   * A config that failed validation; `issues` lists each bad field's path and message.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { ConfigError, parseConfig } from "./mod.ts";
   *
   * assert.throws(
   *   () => parseConfig({ dataset: "ring-8", train: { batchSize: -1 } }),
   *   (error) => error instanceof ConfigError && error.issues[0].path === "train.batchSize",
   * );
   * ```
   */
  ConfigError,
  /**
   * An error thrown inside a plugin, wrapped with the plugin's name and the failed hook.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { PluginError } from "./mod.ts";
   *
   * const error = new PluginError('loss "mine"', "generator", new Error("boom"));
   * assert.ok(error.message === 'Plugin loss "mine" failed in generator: boom');
   * ```
   */
  PluginError,
} from "./core/errors.ts";
export {
  /**
   * Trains one experiment and returns what result.json records.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { builtinRegistry, train } from "./mod.ts";
   *
   * const result = await train(
   *   { dataset: "gaussian-1d", backend: "cpu", train: { steps: 4, batchSize: 8 } },
   *   { registry: builtinRegistry() },
   * );
   * assert.ok(result.steps === 4);
   * ```
   */
  train,
} from "./core/engine.ts";
export type { MetricsRow, Progress, RunResult, StepStats, TrainOptions } from "./core/engine.ts";
export {
  /**
   * Imports plugin modules (paths or http(s) URLs) and registers their plugins.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { builtinRegistry, loadPluginModules } from "./mod.ts";
   *
   * const registry = builtinRegistry();
   * const url = new URL("./examples/least_squares.ts", import.meta.url).href;
   * await loadPluginModules([url], registry);
   * assert.ok(registry.has("loss", "least-squares"));
   * ```
   */
  loadPluginModules,
} from "./core/load_plugins.ts";
export {
  /**
   * Switches tfjs to a backend; "auto" takes WebGPU on a hardware adapter, else WASM.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { useBackend } from "./mod.ts";
   *
   * const backend = await useBackend("cpu");
   * assert.ok(backend.name === "cpu");
   * ```
   */
  useBackend,
} from "./core/backend.ts";
export type { BackendInfo, BackendName } from "./core/backend.ts";
export {
  /**
   * A seeded random stream (sfc32); gantry draws all its randomness from these.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { createRng } from "./mod.ts";
   *
   * assert.ok(createRng(7).uniform() === createRng(7).uniform());
   * ```
   */
  createRng,
} from "./core/rng.ts";
export type { Rng, RngState } from "./core/rng.ts";
export {
  /**
   * The minibatch-discrimination layer, registered for tfjs serialization.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MinibatchDiscrimination, tf, useBackend } from "./mod.ts";
   *
   * await useBackend("cpu");
   * const layer = new MinibatchDiscrimination({ kernels: 3, dims: 2, seed: 1 });
   * const out = layer.apply(tf.ones([4, 5])) as tf.Tensor;
   * assert.ok(out.shape[1] === 8);
   * ```
   */
  MinibatchDiscrimination,
} from "./plugins/minibatch_layer.ts";
export {
  /**
   * Modes captured, fraction of high-quality samples and reverse KL for points near modes.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { modeCoverage } from "./mod.ts";
   *
   * const result = modeCoverage([0, 0, 0.01, 0], [[0, 0], [1, 0]], 0.03);
   * assert.ok(result.modes === 1 && result.highQuality === 1);
   * ```
   */
  modeCoverage,
} from "./metrics/mode_coverage.ts";
