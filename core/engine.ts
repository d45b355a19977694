/**
 * The training engine: [GAN] Algorithm 1 with `dSteps` discriminator updates per generator
 * update, separate optimizers and variable lists, seeded, and every step inside `tf.tidy`.
 * It knows no concrete plugin: everything comes from the registry by name.
 *
 * @module
 */
import { join } from "node:path";
import { tf } from "../deps.ts";
import { writeJsonAtomic } from "./atomic.ts";
import { type BackendInfo, throwDeviceErrors, useBackend } from "./backend.ts";
import {
  type CheckpointState,
  disposeCheckpoint,
  loadCheckpoint,
  saveCheckpoint,
} from "./checkpoint.ts";
import { type ExperimentConfig, type ExperimentInput, parseConfig } from "./config.ts";
import { ConfigError } from "./errors.ts";
import { resolveExperiment } from "./experiment.ts";
import { hashConfig } from "./hash.ts";
import type { DiscriminatorOutput, PenaltyInputs } from "./plugin.ts";
import type { Registry } from "./registry.ts";
import { createRng } from "./rng.ts";
import {
  buildRun,
  discriminate,
  discriminateEach,
  type LabeledSet,
  latent,
  measure,
  restoreRun,
  type Run,
  runState,
  sampleLabeled,
} from "./run.ts";
import { RunDirectory } from "./run_directory.ts";
import { learningRateAt, setLearningRate } from "./schedule.ts";
import { supervisedLoss } from "./semi_supervised.ts";

/** The numbers a run reports at a logging step. */
export interface StepStats {
  step: number;
  dLoss: number;
  gLoss: number;
  /** Mean D(x) on the last real batch. */
  dReal: number;
  /** Mean D(G(z)) on the last generated batch. */
  dFake: number;
}

/** Progress of a run, reported every `train.logEvery` steps. */
export interface Progress extends StepStats {
  steps: number;
  stepsPerSecond: number;
  etaSeconds: number;
}

/** One line of metrics.jsonl: the step's stats, then each metric's numbers. */
export type MetricsRow = StepStats & Record<string, number>;

/** What result.json records. */
export interface RunResult {
  status: "ok" | "diverged" | "failed";
  steps: number;
  seconds: number;
  backend: BackendInfo["name"];
  adapter?: string;
  configHash: string;
  /** The last evaluation's numbers. */
  metrics: Record<string, number>;
  error?: string;
}

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
  /** Called every `train.logEvery` steps and at the last step. */
  onProgress?(progress: Progress): void;
  /** Called after every evaluation with its row of metrics.jsonl. */
  onEvaluation?(row: MetricsRow): void;
  /** Continue from RUN/checkpoint/ when there is one (else start afresh). Needs `outDir`. */
  resume?: boolean;
  /**
   * Start afresh in an `outDir` that holds an earlier run, removing its outputs. Without it (or
   * `resume`) such a directory is refused, so nothing already written is lost by accident.
   */
  overwrite?: boolean;
  /** Called after every step (tests use it to watch memory). */
  onStep?(step: number): void;
}

/**
 * Trains the GAN a config describes and returns what result.json records. A bad config (bad
 * field, unknown plugin, bad option) throws a ConfigError before anything is written; a failure
 * during training is recorded as status "failed".
 */
export async function train(input: ExperimentInput, options: TrainOptions): Promise<RunResult> {
  const config = parseConfig(input, options.source);
  const experiment = resolveExperiment(config, options.registry, options.source);
  const backend = await useBackend(config.backend);
  const run = await buildRun(experiment, options.source ?? "(object)");
  const configHash = await hashConfig(experiment.config);
  const optimizers = {
    discriminator: makeOptimizer(config.train.optimizer),
    generator: makeOptimizer(config.train.optimizer),
  };
  const dispose = () => {
    run.dispose();
    optimizers.discriminator.dispose();
    optimizers.generator.dispose();
  };
  const checkpoint = options.resume && options.outDir
    ? await loadCheckpoint(options.outDir)
    : undefined;
  const refuse = (message: string) => {
    if (checkpoint) disposeCheckpoint(checkpoint);
    dispose();
    return new ConfigError(options.outDir!, [{ path: "", message }]);
  };
  if (checkpoint && checkpoint.state.step > config.train.steps) {
    throw refuse(
      `Cannot resume: the checkpoint is at step ${checkpoint.state.step}, past train.steps ` +
        `${config.train.steps}`,
    );
  }
  if (options.outDir && !checkpoint) {
    const previous = await RunDirectory.previousRun(options.outDir);
    if (previous && !options.resume && !options.overwrite) {
      throw refuse(
        `${options.outDir} holds ${previous}: resume it (--resume), start it again ` +
          "(--overwrite) or train into another directory (--out)",
      );
    }
    if (previous) await RunDirectory.clearPreviousRun(options.outDir);
  }
  if (checkpoint) {
    if (
      checkpoint.state.configHash !== configHash &&
      !(await trainsAlikeUntil(options.outDir!, checkpoint.state, experiment.config))
    ) {
      throw refuse(
        `Cannot resume: the checkpoint was made with config ${checkpoint.state.configHash}, ` +
          `this config is ${configHash} (resume with the run's own config.json, or change ` +
          "only train.steps to extend the run, or add a train.optimizer.decay starting at or " +
          `after step ${checkpoint.state.step})`,
      );
    }
    await restoreRun(run, checkpoint, optimizers).catch((error) => {
      // Whatever restoreRun had not consumed yet (freeing a tensor twice is harmless).
      disposeCheckpoint(checkpoint);
      dispose();
      throw error;
    });
  }
  const directory = options.outDir
    ? await RunDirectory.create(options.outDir, checkpoint?.state.step ?? 0)
    : undefined;
  const started = performance.now();
  const result = (status: RunResult["status"], steps: number, extra: Partial<RunResult> = {}) => ({
    status,
    steps,
    seconds: Math.round((performance.now() - started) / 10) / 100,
    backend: backend.name,
    ...(backend.adapter ? { adapter: backend.adapter } : {}),
    configHash,
    metrics: {},
    ...extra,
  });
  options.onStart?.({ backend, config: experiment.config });
  await directory?.writeConfig(experiment.config);
  if (directory && run.labeled) await writeLabeled(directory.path, run.labeled);
  // A run resumed from its last checkpoint reports the evaluation it had already made.
  const sofar = {
    step: checkpoint?.state.step ?? 0,
    metrics: metricsOf(directory?.lastMetricsRow() ?? {}),
  };
  try {
    const { diverged } = await loop(
      run,
      experiment.config,
      options,
      { directory, optimizers, configHash, firstStep: sofar.step + 1 },
      sofar,
    );
    const finished: RunResult = result(diverged ? "diverged" : "ok", sofar.step, {
      metrics: sofar.metrics,
    });
    await directory?.writeResult(finished);
    return finished;
  } catch (error) {
    const failed: RunResult = result("failed", sofar.step, {
      metrics: sofar.metrics,
      error: error instanceof Error ? error.message : String(error),
    });
    await directory?.writeResult(failed);
    return failed;
  } finally {
    dispose();
  }
}

function makeOptimizer(o: ExperimentConfig["train"]["optimizer"]): tf.Optimizer {
  switch (o.name) {
    case "adam":
      return tf.train.adam(o.lr, o.beta1, o.beta2, 1e-8);
    case "sgd":
      return tf.train.sgd(o.lr);
    case "momentum":
      return tf.train.momentum(o.lr, o.momentum);
  }
}

/**
 * Whether the checkpoint's config trains its first `step` steps exactly as `config` does: they
 * may differ in `train.steps` and in learning-rate decays that start at or after `step`. Such a
 * run can be resumed to train on for more steps, annealed or not.
 */
async function trainsAlikeUntil(
  runDir: string,
  { config: kept, configHash, step }: CheckpointState,
  config: ExperimentConfig,
): Promise<boolean> {
  // An older checkpoint has no config of its own: RUN/config.json, if it is the one that made it.
  const written = JSON.parse(await Deno.readTextFile(join(runDir, "config.json")).catch(() => "0"));
  const saved = kept ?? (written && await hashConfig(written) === configHash ? written : undefined);
  if (saved === undefined) return false;
  const rest = (c: ExperimentConfig) =>
    JSON.stringify({
      ...c,
      train: { ...c.train, steps: 0, optimizer: { ...c.train.optimizer, decay: undefined } },
    });
  const decays = [saved, config].map((c: ExperimentConfig) => c.train.optimizer.decay);
  const sameDecay = JSON.stringify(decays[0]) === JSON.stringify(decays[1]);
  return rest(saved) === rest(config) &&
    (sameDecay || decays.every((decay) => !decay || decay.start >= step));
}

/** Writes RUN/labeled.json: which training examples semi-supervised mode uses, and their labels. */
async function writeLabeled(runDir: string, labeled: LabeledSet): Promise<void> {
  await writeJsonAtomic(join(runDir, "labeled.json"), {
    count: labeled.indices.length,
    indices: labeled.indices,
    labels: Array.from(await labeled.labels.data()),
  });
}

/** D(x) as a probability: the sigmoid of the logit of "real" (log Z(x) for K+1 classes). */
function probabilityReal(logits: tf.Tensor): tf.Tensor {
  return tf.mean(tf.sigmoid(logits));
}

const STAT_KEYS = new Set(["step", "dLoss", "gLoss", "dReal", "dFake"]);

/** A metrics.jsonl row without the step's training stats: the metrics' own numbers. */
function metricsOf(row: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(row).filter(([key]) => !STAT_KEYS.has(key)));
}

/** What the loop needs beyond the run: where to write, the optimizers, where to start. */
interface LoopContext {
  directory?: RunDirectory;
  optimizers: { discriminator: tf.Optimizer; generator: tf.Optimizer };
  configHash: string;
  firstStep: number;
}

async function loop(
  run: Run,
  config: ExperimentConfig,
  options: TrainOptions,
  { directory, optimizers, configHash, firstStep }: LoopContext,
  sofar: { step: number; metrics: Record<string, number> },
): Promise<{ diverged: boolean }> {
  const { networks, dataset } = run;
  const { steps, batchSize, dSteps, logEvery, checkpointEvery } = config.train;
  const dOptimizer = optimizers.discriminator;
  const gOptimizer = optimizers.generator;
  const { discriminator: dVariables, generator: gVariables } = run.variables;
  const observe = (player: "discriminator" | "generator", variables: tf.Variable[]) => {
    for (const regularizer of run.regularizers) {
      if (regularizer.observe) tf.tidy(() => regularizer.observe!(player, variables));
    }
  };
  let lastReport = { time: performance.now(), step: firstStep - 1 };
  for (let step = firstStep; step <= steps; step++) {
    const lr = learningRateAt(config.train.optimizer, step);
    setLearningRate(dOptimizer, lr);
    setLearningRate(gOptimizer, lr);
    const evaluating = step % config.evaluate.every === 0 || step === steps;
    const checkpointing = step % checkpointEvery === 0 || step === steps;
    const logging = evaluating || checkpointing || step % logEvery === 0;
    const kept: tf.Tensor[] = [];
    const keep = (t: tf.Tensor) => (kept.push(tf.keep(t)), t);
    for (let k = 1; k <= dSteps; k++) {
      const withStats = logging && k === dSteps;
      observe("discriminator", dVariables);
      tf.tidy(() => {
        const real = dataset.sample(run.rng.data, batchSize);
        const z = latent(networks, run.rng.noise, batchSize);
        // Outside minimize, so the tape does not record G's forward pass in D's update.
        const fakeX = networks.generator.apply(z, { training: true }) as tf.Tensor;
        const labeled = run.labeled && sampleLabeled(run.labeled, run.rng.data, batchSize);
        const cost = dOptimizer.minimize(
          () => {
            const [realOut, fakeOut, labeledOut] = discriminateEach(
              run,
              labeled ? [real.x, fakeX, labeled.x] : [real.x, fakeX],
              true,
            );
            const ganWeight = run.labeled?.unsupervisedWeight ?? 1;
            const inputs: PenaltyInputs = {
              real: realOut,
              fake: fakeOut,
              labels: run.labeled ? undefined : real.labels,
              step,
              variables: dVariables,
              ganWeight,
            };
            let loss = run.discriminatorLoss(inputs);
            if (labeled) {
              // [IMP]: the supervised cross-entropy plus the weighted unsupervised GAN loss.
              loss = tf.add(
                supervisedLoss(labeledOut.classLogits!, labeled.labels),
                tf.mul(ganWeight, loss),
              );
            }
            for (const regularizer of run.regularizers) {
              if (regularizer.discriminator) loss = tf.add(loss, regularizer.discriminator(inputs));
            }
            if (withStats) {
              keep(probabilityReal(inputs.real.logits));
              keep(probabilityReal(inputs.fake.logits));
            }
            return loss;
          },
          withStats,
          dVariables,
        );
        if (cost) keep(cost);
      });
      run.average?.update();
    }
    const generatorLoss = run.generatorLosses.find((e) =>
      e.until === undefined || step <= e.until
    )!;
    observe("generator", gVariables);
    tf.tidy(() => {
      const z = latent(networks, run.rng.noise, batchSize);
      let real: DiscriminatorOutput | undefined;
      let labels: tf.Tensor | undefined;
      const realOutput = () => {
        if (!real) {
          const batch = dataset.sample(run.rng.data, batchSize);
          real = discriminate(run, batch.x, true);
          labels = run.labeled ? undefined : batch.labels;
        }
        return real;
      };
      const cost = gOptimizer.minimize(
        () => {
          const fake = discriminate(
            run,
            networks.generator.apply(z, { training: true }) as tf.Tensor,
            true,
          );
          // Real data goes through D only when the loss or a penalty reads it.
          const inputs: PenaltyInputs = {
            get real() {
              return realOutput();
            },
            get labels() {
              return realOutput() && labels;
            },
            fake,
            step,
            variables: gVariables,
            ganWeight: 1,
          };
          let loss = generatorLoss.loss(inputs);
          for (const regularizer of run.regularizers) {
            if (regularizer.generator) loss = tf.add(loss, regularizer.generator(inputs));
          }
          return loss;
        },
        logging,
        gVariables,
      );
      if (cost) keep(cost);
    });
    // Losses are computed before the step's updates: a NaN gradient shows in the weights first.
    // 0·w is NaN where w is not finite. (Pairwise adds: WebGPU's AddN takes few inputs.)
    if (logging) {
      keep(
        tf.tidy(() =>
          [...dVariables, ...gVariables].map((v) => tf.sum(tf.mul(v, 0))).reduce((a, b) =>
            tf.add(a, b)
          )
        ),
      );
    }
    sofar.step = step;
    options.onStep?.(step);
    if (!logging) continue;
    const [dReal, dFake, dLoss, gLoss, weightsCheck] = await Promise.all(
      kept.map(async (t) => (await t.data())[0]),
    );
    tf.dispose(kept);
    throwDeviceErrors();
    const stats: StepStats = { step, dLoss, gLoss, dReal, dFake };
    const now = performance.now();
    const stepsPerSecond = (step - lastReport.step) / ((now - lastReport.time) / 1000);
    lastReport = { time: now, step };
    options.onProgress?.({
      ...stats,
      steps,
      stepsPerSecond,
      etaSeconds: (steps - step) / stepsPerSecond,
    });
    // Before any evaluation or checkpoint, which would keep non-finite weights.
    if (![dLoss, gLoss, weightsCheck].every(Number.isFinite)) return { diverged: true };
    if (evaluating) {
      const row = await evaluate(run, config, stats, directory);
      sofar.metrics = metricsOf(row);
      options.onEvaluation?.(row);
    }
    if (directory && checkpointing) {
      await saveCheckpoint(
        directory.path,
        {
          step,
          configHash,
          config,
          rng: { data: run.rng.data.state(), noise: run.rng.noise.state() },
          latentDim: networks.latentDim,
          latentDistribution: networks.latentDistribution,
          dataset: dataset.info,
        },
        networks,
        optimizers,
        runState(run),
      );
    }
  }
  return { diverged: false };
}

async function evaluate(
  run: Run,
  config: ExperimentConfig,
  stats: StepStats,
  directory: RunDirectory | undefined,
): Promise<MetricsRow> {
  const row: MetricsRow = { ...stats };
  for (const [key, value] of Object.entries(await measure(run, run.metrics, stats.step))) {
    if (key in row) throw new Error(`A metric reports a number named "${key}", a training stat`);
    row[key] = value;
  }
  if (directory) {
    await directory.appendMetrics(row);
    const rng = createRng(config.seed).fork(`samples-${stats.step}`);
    const generate = (n: number) =>
      tf.tidy(() =>
        run.networks.generator.apply(latent(run.networks, rng, n), { training: false }) as tf.Tensor
      );
    await directory.writeSamples(stats.step, run.dataset, generate, rng, config.evaluate.samples);
  }
  return row;
}
