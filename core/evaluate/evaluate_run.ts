/**
 * Evaluating a saved run: rebuild it from its config, restore its checkpoint (G, D and every
 * plugin's state), swap in the dataset asked for, run the metrics and record what they found.
 *
 * @module
 */
import { type BackendInfo, type BackendName, useBackend } from "../backend/select.ts";
import { resolveExperiment } from "../config/experiment.ts";
import { parseConfig, type PluginRef } from "../config/schema.ts";
import type { Registry } from "../contract/registry.ts";
import { disposeCheckpoint } from "../store/checkpoint.ts";
import {
  loadRunCheckpoint,
  readCheckpointState,
  readRunConfig,
  writeEvaluation,
} from "../store/run_directory.ts";
import { buildRun } from "../train/build.ts";
import { measure } from "../train/measure.ts";
import { restoreRun } from "../train/snapshot.ts";
import { type SavedRunPlugins, savedRunRegistry } from "./saved_run.ts";

/** A plugin as a config names it: by name, or by name with options. */
export type PluginName = string | { name: string; options?: Record<string, unknown> };

/** Options of {@linkcode evaluateRun}. */
export interface EvaluateRunOptions extends SavedRunPlugins {
  /**
   * The dataset to score on. Default: the run's own. A dataset with a `range` option is scaled
   * to the run's range unless the options set one.
   */
  dataset?: PluginName;
  /** The metrics. Default: the run's own `evaluate.metrics`. */
  metrics?: PluginName[];
  /** The backend to evaluate on. Default "auto". */
  backend?: BackendName;
  /** Called once the run is restored, before the metrics run. */
  onStart?(info: { step: number; dataset: string; metrics: string[]; backend: BackendInfo }): void;
}

/** What an evaluation found; RUN/eval-<dataset>.json holds it, but for `path`. */
export interface Evaluation {
  run: string;
  /** The checkpoint's step. */
  step: number;
  dataset: PluginRef;
  backend: BackendInfo["name"];
  seconds: number;
  metrics: Record<string, number>;
  /** Where it was written. */
  path: string;
}

/**
 * Scores a saved run (its config.json and checkpoint) with metrics on a dataset and writes
 * RUN/eval-<dataset>.json. On the run's own dataset and metrics it reproduces training's last
 * evaluation.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { builtinRegistry } from "../../builtins.ts";
 * import { train } from "../train/train.ts";
 * import { evaluateRun } from "./evaluate_run.ts";
 *
 * const outDir = await Deno.makeTempDir();
 * const config = {
 *   dataset: "ring-8",
 *   backend: "cpu" as const,
 *   train: { steps: 4, batchSize: 8 },
 *   evaluate: { metrics: ["mode-coverage"] },
 * };
 * const trained = await train(config, { registry: builtinRegistry(), outDir });
 * const evaluation = await evaluateRun(outDir, { backend: "cpu" });
 * assert.deepEqual(evaluation.metrics, trained.metrics);
 * assert.ok(evaluation.path.endsWith("eval-ring-8.json"));
 * ```
 */
export async function evaluateRun(
  runDir: string,
  options: EvaluateRunOptions = {},
): Promise<Evaluation> {
  const saved = await readRunConfig(runDir);
  if (!saved) {
    throw new Error(`Cannot evaluate ${runDir}: it has no config.json (is it a run directory?)`);
  }
  const config = parseConfig(saved.config, saved.path);
  const backend = await useBackend(options.backend ?? "auto");
  const state = await readCheckpointState(runDir);
  if (!state) throw new Error(`Cannot evaluate ${runDir}: it has no checkpoint/ (train it first)`);
  const registry = await savedRunRegistry(runDir, config.plugins, options);
  const dataset = options.dataset
    ? ranged(registry, pluginRef(options.dataset), state.dataset.range)
    : config.dataset;
  const source = `${runDir} (evaluation)`;
  const experiment = resolveExperiment(
    {
      ...config,
      backend: backend.name,
      dataset,
      evaluate: {
        ...config.evaluate,
        metrics: options.metrics?.map(pluginRef) ?? config.evaluate.metrics,
      },
    },
    registry,
    source,
  );
  if (!experiment.metrics.length) {
    throw new Error(`${runDir} has no evaluate.metrics: name some with --metrics (option metrics)`);
  }
  const checkpoint = (await loadRunCheckpoint(runDir))!;
  const started = performance.now();
  const run = await buildRun(experiment, source, state.dataset.shape).catch((error) => {
    disposeCheckpoint(checkpoint);
    throw error;
  });
  try {
    await restoreRun(run, checkpoint);
    options.onStart?.({
      step: state.step,
      dataset: dataset.name,
      metrics: experiment.metrics.map((m) => m.plugin.name),
      backend,
    });
    const metrics = await measure(run, run.metrics, state.step);
    const record = {
      run: runDir,
      step: state.step,
      dataset,
      backend: backend.name,
      seconds: Math.round((performance.now() - started) / 10) / 100,
      metrics,
    };
    return { ...record, path: await writeEvaluation(runDir, dataset.name, record) };
  } finally {
    run.dispose();
  }
}

function pluginRef(named: PluginName): PluginRef {
  return typeof named === "string"
    ? { name: named, options: {} }
    : { name: named.name, options: { ...named.options } };
}

/** The dataset scaled to the run's range, when its plugin takes a `range` option. */
function ranged(
  registry: Registry,
  dataset: PluginRef,
  range: [number, number] | undefined,
): PluginRef {
  if (!range || dataset.options.range !== undefined || !registry.has("dataset", dataset.name)) {
    return dataset;
  }
  const schema = registry.get("dataset", dataset.name).options as { shape?: object } | undefined;
  const takesRange = schema?.shape !== undefined && "range" in schema.shape;
  return takesRange ? { ...dataset, options: { ...dataset.options, range } } : dataset;
}
