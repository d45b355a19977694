/**
 * The training engine: [GAN] Algorithm 1 with `dSteps` discriminator updates per generator
 * update, separate optimizers and variable lists, seeded, and every step inside `tf.tidy`.
 * It knows no concrete plugin: everything comes from the registry by name.
 *
 * @module
 */
import { tf, tfl } from "../deps.ts";
import { type BackendInfo, throwDeviceErrors, useBackend } from "./backend.ts";
import { type ExperimentConfig, type ExperimentInput, parseConfig } from "./config.ts";
import { ConfigError, PluginError } from "./errors.ts";
import { type Experiment, type ResolvedPlugin, resolveExperiment } from "./experiment.ts";
import type {
  Addon,
  AddonPoint,
  AddonSite,
  Dataset,
  DiscriminatorOutput,
  LossInputs,
  Networks,
  PluginContracts,
  PluginKind,
  Regularizer,
} from "./plugin.ts";
import type { Registry } from "./registry.ts";
import { createRng, type Rng } from "./rng.ts";
import { hashConfig } from "./hash.ts";
import { RunDirectory } from "./run_directory.ts";
import {
  type Checkpoint,
  loadCheckpoint,
  saveCheckpoint,
  setOptimizerWeights,
} from "./checkpoint.ts";

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
  if (checkpoint) {
    await restore(run, optimizers, checkpoint, configHash, options.outDir!).catch((error) => {
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
  let step = checkpoint?.state.step ?? 0;
  try {
    const outcome = await loop(
      run,
      experiment.config,
      options,
      { directory, optimizers, configHash, firstStep: step + 1 },
      (s) => step = s,
    );
    const finished: RunResult = result(outcome.diverged ? "diverged" : "ok", step, {
      metrics: outcome.metrics,
    });
    await directory?.writeResult(finished);
    return finished;
  } catch (error) {
    const failed: RunResult = result("failed", step, {
      error: error instanceof Error ? error.message : String(error),
    });
    await directory?.writeResult(failed);
    return failed;
  } finally {
    dispose();
  }
}

/** Puts a checkpoint's weights, optimizer state and random streams into a freshly built run. */
async function restore(
  run: Run,
  optimizers: { discriminator: tf.Optimizer; generator: tf.Optimizer },
  checkpoint: Checkpoint,
  configHash: string,
  runDir: string,
): Promise<void> {
  if (checkpoint.state.configHash !== configHash) {
    throw new ConfigError(runDir, [{
      path: "",
      message:
        `Cannot resume: the checkpoint was made with config ${checkpoint.state.configHash}, ` +
        `this config is ${configHash} (resume with the run's own config.json)`,
    }]);
  }
  run.networks.generator.setWeights(checkpoint.generator);
  run.networks.discriminator.setWeights(checkpoint.discriminator);
  await setOptimizerWeights(optimizers.discriminator, checkpoint.optimizers.discriminator);
  await setOptimizerWeights(optimizers.generator, checkpoint.optimizers.generator);
  tf.dispose([...checkpoint.generator, ...checkpoint.discriminator]);
  run.rng.data = createRng(checkpoint.state.rng.data);
  run.rng.noise = createRng(checkpoint.state.rng.noise);
}

/** Everything a run builds from its plugins. */
interface Run {
  dataset: Dataset;
  networks: Networks;
  discriminatorLoss: NonNullable<PluginContracts["loss"]["discriminator"]>;
  generatorLosses: {
    until?: number;
    loss: NonNullable<PluginContracts["loss"]["generator"]>;
  }[];
  regularizers: Regularizer[];
  metrics: PluginContracts["metric"][];
  rng: { data: Rng; noise: Rng };
  dispose(): void;
}

async function buildRun(experiment: Experiment, source: string): Promise<Run> {
  const { config } = experiment;
  const root = createRng(config.seed);
  const init = root.fork("init");
  const create = async <K extends PluginKind>(
    resolved: ResolvedPlugin<K>,
    extra: Record<string, unknown> = {},
  ): Promise<PluginContracts[K]> => {
    const label = `${resolved.plugin.kind} "${resolved.plugin.name}"`;
    try {
      const contract = await (resolved.plugin.create as (c: unknown) => unknown)({
        tf,
        layers: tfl,
        options: resolved.options,
        rng: init.fork(resolved.path),
        ...extra,
      });
      return wrapHooks(contract as PluginContracts[K], label);
    } catch (error) {
      throw error instanceof PluginError ? error : new PluginError(label, "create", error);
    }
  };
  const dataset = await create(experiment.dataset);
  const addons = await Promise.all(experiment.addons.map((a) => create(a)));
  const networks = await create(experiment.architecture, {
    dataset: dataset.info,
    splice: spliceAddons(addons),
  });
  const lossSide = async (
    resolved: ResolvedPlugin<"loss">,
    side: "discriminator" | "generator",
    path: string,
  ) => {
    const fn = (await create(resolved))[side];
    if (!fn) {
      throw new ConfigError(source, [{
        path,
        message: `loss "${resolved.plugin.name}" defines no ${side} loss`,
      }]);
    }
    return fn;
  };
  const run: Run = {
    dataset,
    networks,
    discriminatorLoss: await lossSide(
      experiment.discriminatorLoss,
      "discriminator",
      "loss.discriminator",
    ),
    generatorLosses: await Promise.all(experiment.generatorLosses.map(async (entry, i) => ({
      until: entry.until,
      loss: await lossSide(entry.loss, "generator", `loss.generator[${i}]`),
    }))),
    regularizers: await Promise.all(experiment.regularizers.map((r) => create(r))),
    metrics: await Promise.all(
      experiment.metrics.map((m) => create(m, { dataset: dataset.info })),
    ),
    rng: { data: root.fork("data"), noise: root.fork("noise") },
    dispose() {
      networks.generator.dispose();
      networks.discriminator.dispose();
      dataset.dispose?.();
    },
  };
  return run;
}

/** Wraps every function of a plugin's contract so that its errors name the plugin and hook. */
function wrapHooks<T>(contract: T, label: string): T {
  if (contract === null || typeof contract !== "object" || contract instanceof tfl.LayersModel) {
    return contract;
  }
  const wrapped = Object.create(Object.getPrototypeOf(contract));
  for (const [key, value] of Object.entries(contract)) {
    wrapped[key] = typeof value !== "function"
      ? value
      : function (this: unknown, ...args: unknown[]) {
        try {
          const out = value.apply(this, args);
          return out instanceof Promise
            ? out.catch((error) => {
              throw error instanceof PluginError ? error : new PluginError(label, key, error);
            })
            : out;
        } catch (error) {
          throw error instanceof PluginError ? error : new PluginError(label, key, error);
        }
      };
  }
  return wrapped;
}

function spliceAddons(addons: Addon[]) {
  return (point: AddonPoint, x: tfl.SymbolicTensor, site: AddonSite): tfl.SymbolicTensor => {
    for (const addon of addons) {
      if (addon.point !== point) continue;
      const layer = addon.layer(site);
      if (layer) x = layer.apply(x) as tfl.SymbolicTensor;
    }
    return x;
  };
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

/** D(x) as a probability: sigmoid of the logit, or Z/(Z+1) for K-class logits ([IMP]). */
function probabilityReal(logits: tf.Tensor): tf.Tensor {
  const score = logits.shape[1] === 1 ? logits : tf.logSumExp(logits, 1);
  return tf.mean(tf.sigmoid(score));
}

function latent(networks: Networks, rng: Rng, n: number): tf.Tensor2D {
  const values = rng.fill(new Float32Array(n * networks.latentDim), networks.latentDistribution);
  return tf.tensor2d(values, [n, networks.latentDim]);
}

function discriminate(networks: Networks, x: tf.Tensor, training: boolean): DiscriminatorOutput {
  const out = networks.discriminator.apply(x, { training }) as tf.Tensor | tf.Tensor[];
  const [logits, ...features] = Array.isArray(out) ? out : [out];
  return { logits, features };
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
  reached: (step: number) => void,
): Promise<{ diverged: boolean; metrics: Record<string, number> }> {
  const { networks, dataset } = run;
  const { steps, batchSize, dSteps, logEvery, checkpointEvery } = config.train;
  const dOptimizer = optimizers.discriminator;
  const gOptimizer = optimizers.generator;
  const variables = (model: tfl.LayersModel) =>
    model.trainableWeights.map((w) => w.read() as tf.Variable);
  const dVariables = variables(networks.discriminator);
  const gVariables = variables(networks.generator);
  // A run resumed from its last checkpoint reports the evaluation it had already made.
  let metrics = metricsOf(directory?.lastMetricsRow() ?? {});
  let lastReport = { time: performance.now(), step: firstStep - 1 };
  for (let step = firstStep; step <= steps; step++) {
    const evaluating = step % config.evaluate.every === 0 || step === steps;
    const checkpointing = step % checkpointEvery === 0 || step === steps;
    const logging = evaluating || checkpointing || step % logEvery === 0;
    const kept: tf.Tensor[] = [];
    const keep = (t: tf.Tensor) => (kept.push(tf.keep(t)), t);
    for (let k = 1; k <= dSteps; k++) {
      const withStats = logging && k === dSteps;
      tf.tidy(() => {
        const real = dataset.sample(run.rng.data, batchSize);
        const z = latent(networks, run.rng.noise, batchSize);
        // Outside minimize, so the tape does not record G's forward pass in D's update.
        const fakeX = networks.generator.apply(z, { training: true }) as tf.Tensor;
        const cost = dOptimizer.minimize(
          () => {
            const inputs: LossInputs = {
              real: discriminate(networks, real.x, true),
              fake: discriminate(networks, fakeX, true),
              labels: real.labels,
              step,
            };
            let loss = run.discriminatorLoss(inputs);
            for (const regularizer of run.regularizers) {
              if (regularizer.discriminator) {
                loss = tf.add(
                  loss,
                  regularizer.discriminator({ ...inputs, variables: dVariables }),
                );
              }
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
    }
    const generatorLoss = run.generatorLosses.find((e) =>
      e.until === undefined || step <= e.until
    )!;
    tf.tidy(() => {
      const z = latent(networks, run.rng.noise, batchSize);
      let real: DiscriminatorOutput | undefined;
      let labels: tf.Tensor | undefined;
      const realOutput = () => {
        if (!real) {
          const batch = dataset.sample(run.rng.data, batchSize);
          real = discriminate(networks, batch.x, true);
          labels = batch.labels;
        }
        return real;
      };
      const cost = gOptimizer.minimize(
        () => {
          const fake = discriminate(
            networks,
            networks.generator.apply(z, { training: true }) as tf.Tensor,
            true,
          );
          const inputs: LossInputs = {
            get real() {
              return realOutput();
            },
            get labels() {
              return realOutput() && labels;
            },
            fake,
            step,
          };
          let loss = generatorLoss.loss(inputs);
          for (const regularizer of run.regularizers) {
            if (regularizer.generator) {
              loss = tf.add(loss, regularizer.generator({ ...inputs, variables: gVariables }));
            }
          }
          return loss;
        },
        logging,
        gVariables,
      );
      if (cost) keep(cost);
    });
    reached(step);
    options.onStep?.(step);
    if (!logging) continue;
    const [dReal, dFake, dLoss, gLoss] = await Promise.all(
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
    if (!Number.isFinite(dLoss) || !Number.isFinite(gLoss)) {
      return { diverged: true, metrics };
    }
    if (evaluating) {
      const row = await evaluate(run, config, stats, directory);
      metrics = metricsOf(row);
      options.onEvaluation?.(row);
    }
    if (directory && checkpointing) {
      await saveCheckpoint(
        directory.path,
        {
          step,
          configHash,
          rng: { data: run.rng.data.state(), noise: run.rng.noise.state() },
          latentDim: networks.latentDim,
          latentDistribution: networks.latentDistribution,
          dataset: dataset.info,
        },
        networks,
        optimizers,
      );
    }
  }
  return { diverged: false, metrics };
}

async function evaluate(
  run: Run,
  config: ExperimentConfig,
  stats: StepStats,
  directory: RunDirectory | undefined,
): Promise<MetricsRow> {
  const rng = createRng(config.seed).fork(`evaluate-${stats.step}`);
  const generate = (n: number) =>
    tf.tidy(() =>
      run.networks.generator.apply(latent(run.networks, rng, n), { training: false }) as tf.Tensor
    );
  const row: MetricsRow = { ...stats };
  // A scope reclaims whatever tensors a metric forgets to dispose.
  tf.engine().startScope();
  try {
    for (const metric of run.metrics) {
      const numbers = await metric.evaluate({
        tf,
        step: stats.step,
        dataset: run.dataset,
        rng,
        generate,
      });
      for (const [key, value] of Object.entries(numbers)) {
        if (key in row) throw new Error(`Two metrics report a number named "${key}"`);
        row[key] = value;
      }
    }
    if (directory) {
      await directory.appendMetrics(row);
      await directory.writeSamples(stats.step, run.dataset, generate, rng, config.evaluate.samples);
    }
  } finally {
    tf.engine().endScope();
  }
  return row;
}
