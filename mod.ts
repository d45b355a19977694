/**
 * gantry: declare GAN experiments as plain config objects and train them on tfjs (WebGPU, WASM
 * or CPU). Every loss, discriminator add-on, regularizer, architecture, dataset and metric is a
 * plugin found by name; a user's plugins are written exactly like the built-in ones. This module
 * only re-exports; each export's documentation and example are on its declaration.
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
export { tf, tfl, z } from "./deps.ts";

// What a plugin sees.
export { definePlugin, PLUGIN_KINDS } from "./core/contract/plugin.ts";
export type * from "./core/contract/plugin.ts";
export { Registry } from "./core/contract/registry.ts";
export { loadPluginModules } from "./core/contract/load_plugins.ts";
export { ConfigError, PluginError, RunDirectoryError } from "./core/contract/errors.ts";
export { createRng } from "./core/contract/rng.ts";
export type { Rng, RngState } from "./core/contract/rng.ts";
export { BUILTIN_PLUGINS, builtinRegistry, registryWith } from "./builtins.ts";

// Configs and grids.
export { experimentSchema, parseConfig } from "./core/config/schema.ts";
export type { ExperimentConfig, ExperimentInput, PluginRef } from "./core/config/schema.ts";
export { defineGrid, expandGrid, parseGrid } from "./core/config/grid.ts";
export type { Cell, Grid, GridInput } from "./core/config/grid.ts";

// Training, evaluating and sampling a run.
export { useBackend } from "./core/backend/select.ts";
export type { BackendInfo, BackendName } from "./core/backend/select.ts";
export { train } from "./core/train/train.ts";
export type { TrainOptions } from "./core/train/train.ts";
export type { Progress } from "./core/train/loop.ts";
export type { MetricsRow, RunResult, StepStats, TrainRow } from "./core/store/run_records.ts";
export { evaluateRun } from "./core/evaluate/evaluate_run.ts";
export type { EvaluateRunOptions, Evaluation, PluginName } from "./core/evaluate/evaluate_run.ts";
export { sampleRun } from "./core/evaluate/sample_run.ts";
export type { SampleRunOptions } from "./core/evaluate/sample_run.ts";
export type { SavedRunPlugins } from "./core/evaluate/saved_run.ts";

// Ablations.
export { runGrid } from "./core/ablate/run_grid.ts";
export type { AblateEvent, AblateOptions, Shard } from "./core/ablate/run_grid.ts";
export { writeReport } from "./core/ablate/report.ts";
export type { ReportFiles, ReportOptions } from "./core/ablate/report.ts";

// Layers for a user's architecture or add-on, and a metric's function.
export { Dense } from "./layers/dense.ts";
export type { DenseArgs } from "./layers/dense.ts";
export { Conv2D } from "./layers/conv2d.ts";
export type { Conv2DArgs } from "./layers/conv2d.ts";
export { WeightNormDense } from "./layers/weight_norm_dense.ts";
export { MinibatchDiscrimination } from "./layers/minibatch_discrimination.ts";
export { SeededDropout, SeededGaussianNoise } from "./layers/seeded_noise.ts";
export { createSeedStream } from "./layers/seed_stream.ts";
export { modeCoverage } from "./metrics/mode_coverage.ts";
