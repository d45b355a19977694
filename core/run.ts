/**
 * A run's built parts: the plugins a config names, created in a fixed order from the run's
 * seed, plus what the engine itself keeps (the semi-supervised labeled subset, the reference
 * batch of virtual batch norm, the moving average of D). `train` drives a Run; `eval` builds
 * one from a saved run directory.
 *
 * @module
 */
import { tf, tfl } from "../deps.ts";
import type { Checkpoint } from "./checkpoint.ts";
import { setOptimizerWeights } from "./checkpoint.ts";
import type { ExperimentConfig } from "./config.ts";
import { type WeightAverage, weightAverage } from "./ema.ts";
import { ConfigError, PluginError } from "./errors.ts";
import type { Experiment, ResolvedPlugin } from "./experiment.ts";
import type {
  Addon,
  AddonPoint,
  AddonSite,
  Dataset,
  DiscriminatorOutput,
  Networks,
  PluginContracts,
  PluginKind,
  PluginState,
  Regularizer,
  Stateful,
} from "./plugin.ts";
import { createRng, type Rng } from "./rng.ts";
import { drawLabeled } from "./semi_supervised.ts";

/** The labeled subset of semi-supervised mode. */
export interface LabeledSet {
  /** Indices into the training split, ascending. */
  indices: number[];
  x: tf.Tensor;
  labels: tf.Tensor1D;
  classes: number;
  unsupervisedWeight: number;
}

/** Everything a run builds from its plugins. */
export interface Run {
  config: ExperimentConfig;
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
  /** Semi-supervised mode's labeled examples. */
  labeled?: LabeledSet;
  /** Virtual batch norm's reference batch, put in front of every batch D sees. */
  reference?: tf.Tensor;
  /** Whether D and all its add-ons score examples independently (`Networks.perExample`). */
  perExample: boolean;
  /** The moving average of D's trainable weights (`evaluate.ema`). */
  average?: WeightAverage;
  /** D's and G's trainable variables, in weight order. */
  variables: { discriminator: tf.Variable[]; generator: tf.Variable[] };
  /** What checkpoints must carry, keyed by where the config names each plugin. */
  stateful: Map<string, Stateful>;
  dispose(): void;
}

const REFERENCE_KEY = "reference-batch";
const AVERAGE_KEY = "evaluate.ema";

/**
 * Creates every plugin of an experiment, in a fixed order from the config's seed. `shape`, when
 * given, is the example shape the dataset must have (a saved run's, when it is evaluated).
 */
export async function buildRun(
  experiment: Experiment,
  source: string,
  shape?: number[],
): Promise<Run> {
  const { config } = experiment;
  const root = createRng(config.seed);
  const init = root.fork("init");
  const stateful = new Map<string, Stateful>();
  const owned: { dispose(): void }[] = [];
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
      const wrapped = wrapHooks(contract as PluginContracts[K], label);
      if ((wrapped as Stateful).saveState) stateful.set(resolved.path, wrapped as Stateful);
      return wrapped;
    } catch (error) {
      throw error instanceof PluginError ? error : new PluginError(label, "create", error);
    }
  };
  const fail = (path: string, message: string) => {
    for (const thing of owned) thing.dispose();
    return new ConfigError(source, [{ path, message }]);
  };
  const dataset = await create(experiment.dataset);
  owned.push({ dispose: () => dataset.dispose?.() });
  if (shape && JSON.stringify(shape) !== JSON.stringify(dataset.info.shape)) {
    throw fail(
      "dataset",
      `dataset "${experiment.dataset.plugin.name}" has examples of shape ` +
        `[${dataset.info.shape}], expected [${shape}]`,
    );
  }
  const semi = config.semiSupervised;
  const classes = dataset.info.numClasses ?? 0;
  if (semi && !(dataset.splits?.train.labels && classes > 1)) {
    throw fail(
      "semiSupervised",
      `dataset "${experiment.dataset.plugin.name}" has no labeled training split; semi-supervised ` +
        "mode needs one (mnist, fashion-mnist, or idx with labels)",
    );
  }
  const addons = await Promise.all(experiment.addons.map((a) => create(a)));
  const logits = semi ? classes : 1;
  const networks = await create(experiment.architecture, {
    dataset: dataset.info,
    logits,
    splice: spliceAddons(addons),
  });
  owned.push({
    dispose() {
      networks.generator.dispose();
      networks.discriminator.dispose();
    },
  });
  const width = (networks.discriminator.outputs[0].shape as number[])[1];
  if (width !== logits) {
    throw fail(
      "architecture",
      `architecture "${experiment.architecture.plugin.name}" gave D ${width} logit columns, ` +
        `expected ${logits}${semi ? " (one per class, for semi-supervised mode)" : ""}`,
    );
  }
  const lossSide = async (
    resolved: ResolvedPlugin<"loss">,
    side: "discriminator" | "generator",
    path: string,
  ) => {
    const fn = (await create(resolved))[side];
    if (!fn) throw fail(path, `loss "${resolved.plugin.name}" defines no ${side} loss`);
    return fn;
  };
  const discriminatorLoss = await lossSide(
    experiment.discriminatorLoss,
    "discriminator",
    "loss.discriminator",
  );
  const generatorLosses = await Promise.all(
    experiment.generatorLosses.map(async (entry, i) => ({
      until: entry.until,
      loss: await lossSide(entry.loss, "generator", `loss.generator[${i}]`),
    })),
  );
  const regularizers = await Promise.all(experiment.regularizers.map((r) => create(r)));
  for (const regularizer of regularizers) {
    if (regularizer.dispose) owned.push({ dispose: () => regularizer.dispose!() });
  }
  const metrics = await Promise.all(
    experiment.metrics.map((m) => create(m, { dataset: dataset.info })),
  );
  const rng = { data: root.fork("data"), noise: root.fork("noise") };

  let labeled: LabeledSet | undefined;
  if (semi) {
    const train = dataset.splits!.train;
    let indices: number[];
    try {
      const values = await train.labels!.data() as Int32Array;
      indices = drawLabeled(values, classes, semi.labels, semi.perClass, root.fork("labeled"));
    } catch (error) {
      throw fail("semiSupervised.labels", (error as Error).message);
    }
    const index = tf.tensor1d(indices, "int32");
    labeled = {
      indices,
      x: tf.gather(train.x, index),
      labels: tf.gather(train.labels!, index),
      classes,
      unsupervisedWeight: semi.unsupervisedWeight,
    };
    index.dispose();
  }
  const referenceSizes = [...new Set(addons.map((a) => a.referenceBatch).filter((n) => n))];
  if (referenceSizes.length > 1) {
    throw fail(
      "discriminator.addons",
      `add-ons ask for reference batches of different sizes (${referenceSizes.join(", ")})`,
    );
  }
  const reference = referenceSizes.length
    ? tf.tidy(() => dataset.sample(root.fork("reference"), referenceSizes[0]!).x)
    : undefined;
  const trainable = (model: tfl.LayersModel) =>
    model.trainableWeights.map((w) => w.read() as tf.Variable);
  const variables = {
    discriminator: trainable(networks.discriminator),
    generator: trainable(networks.generator),
  };
  const average = config.evaluate.ema
    ? weightAverage(variables.discriminator, config.evaluate.ema)
    : undefined;
  if (reference) {
    let current = reference;
    stateful.set(REFERENCE_KEY, {
      saveState: () => ({ x: current }),
      loadState(state: PluginState) {
        current.dispose();
        current = run.reference = state.x as tf.Tensor;
      },
    });
  }
  if (average) stateful.set(AVERAGE_KEY, average);
  const run: Run = {
    config,
    dataset,
    networks,
    discriminatorLoss,
    generatorLosses,
    regularizers,
    metrics,
    rng,
    labeled,
    reference,
    perExample: networks.perExample === true && addons.every((a) => a.perExample === true),
    average,
    variables,
    stateful,
    dispose() {
      for (const thing of owned) thing.dispose();
      if (labeled) tf.dispose([labeled.x, labeled.labels]);
      run.reference?.dispose();
      average?.dispose();
    },
  };
  return run;
}

/** Every stateful part's state, for a checkpoint. */
export function runState(run: Run): Record<string, PluginState> {
  return Object.fromEntries([...run.stateful].map(([key, part]) => [key, part.saveState!()]));
}

/**
 * Puts a checkpoint's weights, optimizer state, plugin state and random streams into a freshly
 * built run. The optimizers are left alone when omitted (evaluation needs none).
 */
export async function restoreRun(
  run: Run,
  checkpoint: Checkpoint,
  optimizers?: { discriminator: tf.Optimizer; generator: tf.Optimizer },
): Promise<void> {
  run.networks.generator.setWeights(checkpoint.generator);
  run.networks.discriminator.setWeights(checkpoint.discriminator);
  tf.dispose([...checkpoint.generator, ...checkpoint.discriminator]);
  if (optimizers) {
    await setOptimizerWeights(optimizers.discriminator, checkpoint.optimizers.discriminator);
    await setOptimizerWeights(optimizers.generator, checkpoint.optimizers.generator);
  } else {
    tf.dispose([
      ...checkpoint.optimizers.discriminator,
      ...checkpoint.optimizers.generator,
    ].map((w) => w.tensor));
  }
  for (const [key, part] of run.stateful) {
    const state = checkpoint.plugins[key];
    if (!state) throw new Error(`the checkpoint has no state for "${key}"`);
    part.loadState!(state);
  }
  run.rng.data = createRng(checkpoint.state.rng.data);
  run.rng.noise = createRng(checkpoint.state.rng.noise);
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

/**
 * D on several batches: one call on them stacked together when D treats examples
 * independently (`run.perExample`), else one call per batch. Either way, one output per batch.
 */
export function discriminateEach(
  run: Run,
  batches: tf.Tensor[],
  training: boolean,
): DiscriminatorOutput[] {
  if (!run.perExample || batches.length < 2) {
    return batches.map((x) => discriminate(run, x, training));
  }
  const sizes = batches.map((x) => x.shape[0]);
  const split = (t: tf.Tensor) => tf.split(t, sizes, 0);
  const { logits, classLogits, features } = discriminate(run, tf.concat(batches, 0), training);
  const [logitsOf, classLogitsOf] = [split(logits), classLogits && split(classLogits)];
  const featuresOf = features.map(split);
  return sizes.map((_, i) => ({
    logits: logitsOf[i],
    ...(classLogitsOf ? { classLogits: classLogitsOf[i] } : {}),
    features: featuresOf.map((f) => f[i]),
  }));
}

/** n latent vectors from the architecture's prior. */
export function latent(networks: Networks, rng: Rng, n: number): tf.Tensor2D {
  const values = rng.fill(new Float32Array(n * networks.latentDim), networks.latentDistribution);
  return tf.tensor2d(values, [n, networks.latentDim]);
}

/**
 * D on a batch: with the reference batch in front (its rows removed from the outputs), and in
 * semi-supervised mode the K class logits reduced to the logit of "real", log Z(x).
 */
export function discriminate(run: Run, x: tf.Tensor, training: boolean): DiscriminatorOutput {
  const rows = run.reference?.shape[0] ?? 0;
  const input = rows ? tf.concat([run.reference!, x], 0) : x;
  const out = run.networks.discriminator.apply(input, { training }) as tf.Tensor | tf.Tensor[];
  const outputs = (Array.isArray(out) ? out : [out]).map((t) =>
    rows ? tf.slice(t, [rows, ...t.shape.slice(1).map(() => 0)], [-1, ...t.shape.slice(1)]) : t
  );
  const [logits, ...features] = outputs;
  return run.labeled
    ? { logits: tf.logSumExp(logits, 1, true), classLogits: logits, features }
    : { logits, features };
}

/**
 * Runs metrics on a run as it is now (D with its moving average swapped in, when it keeps one)
 * and returns their numbers. Each evaluation draws from its own stream, fixed by the seed and
 * step, so evaluating never changes training.
 */
export async function measure(
  run: Run,
  metrics: PluginContracts["metric"][],
  step: number,
): Promise<Record<string, number>> {
  const rng = createRng(run.config.seed).fork(`evaluate-${step}`);
  const generate = (n: number) =>
    tf.tidy(() =>
      run.networks.generator.apply(latent(run.networks, rng, n), { training: false }) as tf.Tensor
    );
  const classify = run.labeled ? classifier(run) : undefined;
  const numbers: Record<string, number> = {};
  const all = async () => {
    for (const metric of metrics) {
      const reported = await metric.evaluate({
        tf,
        step,
        dataset: run.dataset,
        rng,
        generate,
        classify,
      });
      for (const [key, value] of Object.entries(reported)) {
        if (key in numbers) throw new Error(`Two metrics report a number named "${key}"`);
        numbers[key] = value;
      }
    }
  };
  // A scope reclaims whatever tensors a metric forgets to dispose.
  tf.engine().startScope();
  try {
    await (run.average ? run.average.withAverage(all) : all());
  } finally {
    tf.engine().endScope();
  }
  return numbers;
}

/**
 * D's K class logits for a batch of any size. A D that compares the examples of a batch
 * (minibatch discrimination) scores them in batches of `train.batchSize`, the size it was
 * trained on, so its features mean at test time what they meant in training.
 */
export function classifier(run: Run): (x: tf.Tensor) => tf.Tensor {
  const size = run.perExample ? Infinity : run.config.train.batchSize;
  return (x) =>
    tf.tidy(() => {
      const n = x.shape[0];
      if (n <= size) return discriminate(run, x, false).classLogits!;
      const parts: tf.Tensor[] = [];
      for (let start = 0; start < n; start += size) {
        const rows = tf.slice(x, start, Math.min(size, n - start));
        parts.push(discriminate(run, rows, false).classLogits!);
      }
      return tf.concat(parts, 0);
    });
}

/** n labeled examples drawn with replacement from the labeled subset. */
export function sampleLabeled(labeled: LabeledSet, rng: Rng, n: number) {
  const picks = new Int32Array(n);
  for (let i = 0; i < n; i++) picks[i] = rng.int(labeled.indices.length);
  const index = tf.tensor1d(picks, "int32");
  return { x: tf.gather(labeled.x, index), labels: tf.gather(labeled.labels, index) };
}
