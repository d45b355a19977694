/**
 * Training one experiment: parse and resolve the config, decide how the run directory is used,
 * build the run, restore its checkpoint, loop, and record the result. It knows no concrete
 * plugin: everything comes from the registry by name.
 *
 * @module
 */
import type { Registry } from "../contract/registry.ts";
import { createRng } from "../contract/rng.ts";
import { type BackendInfo, useBackend } from "../backend/select.ts";
import { type Experiment, resolveConfig } from "../config/experiment.ts";
import { hashExperiment } from "../config/hash.ts";
import { backendRequest, type ExperimentConfig, type ExperimentInput } from "../config/schema.ts";
import type { Optimizers } from "../store/optimizer_state.ts";
import { RunDirectory } from "../store/run_directory.ts";
import { metricsOf, type MetricsRow, type RunResult, type TrainRow } from "../store/run_records.ts";
import { buildRun, type Run } from "./build.ts";
import { type Progress, trainSteps } from "./loop.ts";
import { evaluationRow } from "./measure.ts";
import { createOptimizers } from "./optimizers.ts";
import { plotSamples, sampler } from "./sample.ts";
import { checkpointRecord, restoreRun, runState } from "./snapshot.ts";

/** Options of {@linkcode train}. */
export interface TrainOptions {
  /** Where plugins are found by name. */
  registry: Registry;
  /** The run directory; nothing is written when omitted. */
  outDir?: string;
  /** Names the config in error messages (a file path, say). Default "(object)". */
  source?: string;
  /** Called once the backend is chosen, before the first step. */
  onStart?(info: { backend: BackendInfo; config: ExperimentConfig }): void;
  /**
   * Called every `train.logEvery` steps, at evaluations, at checkpoints and at the last step;
   * when it returns a promise, training waits for it.
   */
  onProgress?(progress: Progress): unknown;
  /** Called after every evaluation with its row of metrics.jsonl. */
  onEvaluation?(row: MetricsRow): void;
  /** Continue from RUN/checkpoint/ when there is one (else start afresh). Needs `outDir`. */
  resume?: boolean;
  /**
   * Start afresh in an `outDir` that holds an earlier run, removing its outputs. Without it (or
   * `resume`) such a directory is refused, so nothing already written is lost by accident.
   */
  overwrite?: boolean;
  /**
   * With `resume`: a checkpoint that cannot be read (a truncated file) is reported here and the
   * run starts afresh, instead of being refused (a grid's cells do this).
   */
  onUnreadableCheckpoint?(error: Error): void;
  /**
   * Where the TensorBoard event file goes with `log.tensorboard` (default: `outDir`); a grid's
   * cells go to OUT/tensorboard/<label>/.
   */
  tensorboardDir?: string;
  /** Called after every step (tests use it to watch memory). */
  onStep?(step: number): void;
}

/**
 * Trains the GAN a config describes and resolves to what result.json records. A bad config
 * (bad field, unknown plugin, bad option, networks that cannot be built) rejects with a
 * ConfigError before anything is written, and so does a run directory that holds an earlier run
 * (a RunDirectoryError); a failure during training is recorded as status "failed".
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { builtinRegistry } from "../../builtins.ts";
 * import { train } from "./train.ts";
 *
 * const result = await train(
 *   { dataset: "gaussian-1d", backend: "cpu", train: { steps: 4, batchSize: 8 } },
 *   { registry: builtinRegistry() },
 * );
 * assert.ok(result.status === "ok" && result.steps === 4);
 * ```
 */
export async function train(input: ExperimentInput, options: TrainOptions): Promise<RunResult> {
  return await trainExperiment(resolveConfig(input, options.registry, options.source), options);
}

/** {@linkcode train} for a config already parsed and resolved against `options.registry`. */
export async function trainExperiment(
  experiment: Experiment,
  options: TrainOptions,
): Promise<RunResult> {
  const { config } = experiment;
  const { name, threads } = backendRequest(config.backend);
  const backend = await useBackend(name, threads);
  // Built first, so that a config that cannot be built is reported before the directory is.
  const run = await buildRun(experiment, options.source ?? "(object)");
  const configHash = await hashExperiment(config);
  const optimizers = createOptimizers(config.train.optimizer);
  try {
    const plan = options.outDir
      ? await RunDirectory.plan(options.outDir, {
        config,
        configHash,
        resume: options.resume,
        onUnreadableCheckpoint: options.onUnreadableCheckpoint,
        overwrite: options.overwrite,
        tensorboardDir: options.tensorboardDir,
      })
      : undefined;
    let seconds = 0;
    if (plan?.resume) {
      const { checkpoint } = plan.resume;
      seconds = checkpoint.state.seconds ?? 0;
      await restoreRun(run, checkpoint, optimizers);
    }
    const directory = await plan?.open();
    const from = { step: plan?.resume?.step ?? 0, seconds, backend, configHash };
    return await trainRun(run, optimizers, directory, from, options);
  } finally {
    run.dispose();
    optimizers.discriminator.dispose();
    optimizers.generator.dispose();
  }
}

/**
 * Trains a built (and maybe restored) run on from `from.step`, writing into its directory when
 * it has one. A failure while training is recorded in the result, not thrown.
 */
async function trainRun(
  run: Run,
  optimizers: Optimizers,
  directory: RunDirectory | undefined,
  from: { step: number; seconds: number; backend: BackendInfo; configHash: string },
  options: TrainOptions,
): Promise<RunResult> {
  const { config } = run;
  const { backend, configHash } = from;
  // A run resumed from its last checkpoint reports the evaluation it had already made.
  const sofar = { step: from.step, metrics: metricsOf(directory?.lastMetricsRow() ?? {}) };
  // Seconds count training over every resume: a resumed run adds to its checkpoint's.
  const started = performance.now() - from.seconds * 1000;
  const elapsed = () => (performance.now() - started) / 1000;
  const result = (status: RunResult["status"], extra: Partial<RunResult> = {}): RunResult => ({
    status,
    steps: sofar.step,
    seconds: Math.round(elapsed() * 100) / 100,
    backend: backend.name,
    ...(backend.adapter ? { adapter: backend.adapter } : {}),
    ...(backend.threads ? { threads: backend.threads } : {}),
    configHash,
    metrics: sofar.metrics,
    ...extra,
  });
  options.onStart?.({ backend, config });
  await directory?.writeConfig(config);
  if (directory && run.labeled) {
    await directory.writeLabeled({
      indices: run.labeled.indices,
      labels: Array.from(await run.labeled.labels.data()),
    });
  }
  try {
    const { diverged } = await trainSteps(run, optimizers, sofar.step + 1, {
      onStep(step) {
        sofar.step = step;
        options.onStep?.(step);
      },
      async onProgress(progress) {
        await options.onProgress?.(progress);
        await directory?.appendTrainRow(trainRow(progress));
      },
      async evaluate(stats) {
        const row = await evaluationRow(run, stats);
        if (directory) await writeEvaluation(directory, run, row);
        sofar.metrics = metricsOf(row);
        options.onEvaluation?.(row);
      },
      checkpoint: directory &&
        ((step) =>
          directory.saveCheckpoint(
            checkpointRecord(run, step, configHash, elapsed()),
            run.networks,
            optimizers,
            runState(run),
          )),
    });
    const finished = result(diverged ? "diverged" : "ok");
    await directory?.writeResult(finished);
    return finished;
  } catch (error) {
    const failed = result("failed", {
      error: error instanceof Error ? error.message : String(error),
    });
    await directory?.writeResult(failed);
    return failed;
  }
}

/** A logged step's line of train.jsonl. */
function trainRow(progress: Progress): TrainRow {
  const { step, dLoss, gLoss, dReal, dFake, lr, stepsPerSecond } = progress;
  return { step, dLoss, gLoss, dReal, dFake, lr, stepsPerSecond, time: Date.now() / 1000 };
}

/** Writes an evaluation's row to metrics.jsonl and its picture of samples to samples/. */
async function writeEvaluation(directory: RunDirectory, run: Run, row: MetricsRow) {
  await directory.appendMetrics(row);
  const rng = createRng(run.config.seed).fork(`samples-${row.step}`);
  const png = await plotSamples(
    run.dataset,
    sampler(run, rng),
    rng,
    run.config.evaluate.samples,
    run.conditional,
  );
  await directory.writeSamples(row.step, png);
}
