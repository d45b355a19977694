/**
 * A run's built parts: the plugins a config names, created in a fixed order from the run's
 * seed, plus what the engine itself keeps (the semi-supervised labeled subset, the reference
 * batch of virtual batch norm, the moving average of D). Training drives a Run; evaluating a
 * saved run builds one and restores its checkpoint into it.
 *
 * @module
 */
import { tf, tfl } from "../../deps.ts";
import { ConfigError, PluginError } from "../contract/errors.ts";
import type {
  Addon,
  AddonPoint,
  AddonSite,
  Conditioning,
  Dataset,
  DiscriminatorShape,
  Networks,
  PluginContracts,
  PluginKind,
  PluginState,
  Regularizer,
  Stateful,
} from "../contract/plugin.ts";
import { createRng, type Rng } from "../contract/rng.ts";
import type { Experiment, ResolvedPlugin } from "../config/experiment.ts";
import type { ExperimentConfig } from "../config/schema.ts";
import { type WeightAverage, weightAverage } from "./ema.ts";
import { wrapHooks } from "./plugin_hooks.ts";
import { type LabeledSet, labeledSubset } from "./semi_supervised.ts";

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
  /** A conditional run's classes and how G and D take them. */
  conditional?: Conditioning;
  /**
   * Virtual batch norm's reference batch, put in front of every batch D sees (with its labels,
   * which a projection D reads).
   */
  reference?: { x: tf.Tensor; labels?: tf.Tensor };
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
/** The modes that read the dataset's labels: the config field and what the messages call it. */
const CLASS_MODES = [
  ["semiSupervised", "semi-supervised mode"],
  ["conditional", "a conditional GAN"],
] as const;

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
      const wrapped = wrapHooks(contract as PluginContracts[K], label, resolved.plugin.kind);
      if ((wrapped as Stateful).saveState) stateful.set(resolved.path, wrapped as Stateful);
      return wrapped;
    } catch (error) {
      throw error instanceof PluginError
        ? error
        : new PluginError(label, "create", error, resolved.path);
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
  for (const [path, mode] of CLASS_MODES) {
    if (config[path] && !(dataset.splits?.train.labels && classes > 1)) {
      throw fail(
        path,
        `dataset "${experiment.dataset.plugin.name}" has no labeled training split; ${mode} ` +
          "needs one (mnist, fashion-mnist, or idx with labels)",
      );
    }
  }
  if (semi && config.conditional) {
    throw fail(
      "conditional",
      "semi-supervised mode and a conditional GAN do not go together: D is already a classifier",
    );
  }
  const conditional: Conditioning | undefined = config.conditional &&
    { ...config.conditional, classes };
  const auxiliary = conditional?.discriminator === "auxiliary-classifier";
  const addons = await Promise.all(experiment.addons.map(async (resolved) => ({
    resolved,
    addon: await create(resolved),
  })));
  const packs = checkPacking(addons, config, fail);
  const logits = semi ? classes : auxiliary ? 1 + classes : 1;
  const networks = await create(experiment.architecture, {
    dataset: dataset.info,
    logits,
    conditional,
    splice: spliceAddons(addons),
  });
  owned.push({
    dispose() {
      networks.generator.dispose();
      networks.discriminator.dispose();
    },
  });
  for (const { addon } of addons) {
    addon.wrap?.(networks.discriminator);
    if (addon.dispose) owned.push({ dispose: () => addon.dispose!() });
  }
  const width = (networks.discriminator.outputs[0].shape as number[])[1];
  if (width !== logits) {
    const why = semi
      ? " (one per class, for semi-supervised mode)"
      : auxiliary
      ? " (the logit, then one per class for the auxiliary classifier)"
      : "";
    throw fail(
      "architecture",
      `architecture "${experiment.architecture.plugin.name}" gave D ${width} logit columns, ` +
        `expected ${logits}${why}`,
    );
  }
  checkConditionalInputs(
    networks,
    conditional,
    (message) =>
      fail("architecture", `architecture "${experiment.architecture.plugin.name}" ${message}`),
  );
  const discriminator: DiscriminatorShape = {
    logits: semi ? classes : 1,
    features: networks.discriminator.outputs.length - 1,
  };
  const lossSide = async (
    resolved: ResolvedPlugin<"loss">,
    side: "discriminator" | "generator",
    path: string,
  ) => {
    const fn = (await create(resolved, { discriminator, conditional }))[side];
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
  const regularizers = await Promise.all(
    experiment.regularizers.map((r) => create(r, { discriminator, conditional })),
  );
  for (const regularizer of regularizers) {
    if (regularizer.dispose) owned.push({ dispose: () => regularizer.dispose!() });
  }
  const metrics = await Promise.all(
    experiment.metrics.map((m) => create(m, { dataset: dataset.info, discriminator, conditional })),
  );
  const rng = { data: root.fork("data"), noise: root.fork("noise") };

  let labeled: LabeledSet | undefined;
  if (semi) {
    labeled = await labeledSubset(dataset.splits!.train, classes, semi, root.fork("labeled"))
      .catch((error) => {
        throw fail("semiSupervised.labels", (error as Error).message);
      });
  }
  const referenceSizes = [
    ...new Set(addons.map(({ addon }) => addon.referenceBatch).filter((n) => n)),
  ];
  if (referenceSizes.length && packs > 1) {
    throw fail(
      "discriminator.addons",
      "packing and a reference batch (virtual batch norm) do not go together: the reference " +
        "rows would be packed with each other before they are normalised against",
    );
  }
  if (referenceSizes.length > 1) {
    throw fail(
      "discriminator.addons",
      `add-ons ask for reference batches of different sizes (${referenceSizes.join(", ")})`,
    );
  }
  const reference = referenceSizes.length
    ? tf.tidy(() => {
      const { x, labels } = dataset.sample(root.fork("reference"), referenceSizes[0]!);
      return conditional ? { x, labels } : { x };
    })
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
    stateful.set(REFERENCE_KEY, {
      saveState: () => ({ ...run.reference! }),
      loadState(state: PluginState) {
        if (conditional && !state.labels) {
          throw new Error(
            "the checkpoint's reference batch has no labels, which a conditional D reads",
          );
        }
        tf.dispose(Object.values(run.reference!));
        run.reference = { x: state.x as tf.Tensor };
        if (state.labels) run.reference.labels = state.labels as tf.Tensor;
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
    conditional,
    reference,
    perExample: networks.perExample === true &&
      addons.every(({ addon }) => addon.perExample === true),
    average,
    variables,
    stateful,
    dispose() {
      for (const thing of owned) thing.dispose();
      if (labeled) tf.dispose([labeled.x, labeled.labels]);
      if (run.reference) tf.dispose(Object.values(run.reference));
      average?.dispose();
    },
  };
  return run;
}

/**
 * Throws unless the networks take the class where a conditional run passes it: G as its second
 * input, and a projection D as its second; an unconditional run passes neither.
 */
function checkConditionalInputs(
  networks: Networks,
  conditional: Conditioning | undefined,
  fail: (message: string) => ConfigError,
): void {
  const projection = conditional?.discriminator === "projection";
  for (
    const [model, player, expected] of [
      [networks.generator, "G", conditional ? 2 : 1],
      [networks.discriminator, "D", projection ? 2 : 1],
    ] as const
  ) {
    const got = model.inputs.length;
    if (got === expected) continue;
    const what = expected === 2
      ? `[${player === "G" ? "z" : "x"}, class]: a conditional run passes the one-hot class ` +
        `[n, ${conditional!.classes}] (see ArchitectureContext.conditional)`
      : player === "G"
      ? "one, z: the run is not conditional"
      : "one, x: only a projection D takes the class";
    throw fail(`gave ${player} ${got} inputs, expected ${what}`);
  }
}

/**
 * How many examples D judges as one (the add-ons' packs multiplied), checked against the batch
 * size and semi-supervised mode, where D must classify each example.
 */
function checkPacking(
  addons: { resolved: ResolvedPlugin<"addon">; addon: Addon }[],
  config: ExperimentConfig,
  fail: (path: string, message: string) => ConfigError,
): number {
  const packing = addons.filter(({ addon }) => (addon.packs ?? 1) > 1);
  const packs = packing.reduce((product, { addon }) => product * addon.packs!, 1);
  if (packs === 1) return packs;
  const names = packing.map(({ resolved }) => `"${resolved.plugin.name}"`).join(", ");
  if (config.train.batchSize % packs) {
    throw fail(
      "train.batchSize",
      `train.batchSize ${config.train.batchSize} is not a multiple of ${packs}, the packs of ` +
        `add-on ${names}`,
    );
  }
  for (const [path, mode] of CLASS_MODES) {
    if (config[path]) {
      throw fail(
        path,
        `add-on ${names} makes D judge ${packs} examples as one, so it cannot judge each ` +
          `example's class: ${mode} does not go with it`,
      );
    }
  }
  return packs;
}

/**
 * The architecture's `splice`: applies each add-on's layer for the point. What goes wrong in an
 * add-on's layer (not a layer, or one that cannot be built on its input) is the add-on's error,
 * not the architecture's.
 */
function spliceAddons(addons: { resolved: ResolvedPlugin<"addon">; addon: Addon }[]) {
  return (point: AddonPoint, x: tfl.SymbolicTensor, site: AddonSite): tfl.SymbolicTensor => {
    for (const { resolved, addon } of addons) {
      if (addon.point !== point) continue;
      const layer = addon.layer(site);
      if (!layer) continue;
      const label = `addon "${resolved.plugin.name}"`;
      if (typeof (layer as Partial<tfl.layers.Layer>).apply !== "function") {
        const got = layer === null || typeof layer !== "object" ? String(layer) : "an object";
        throw new PluginError(
          label,
          "layer",
          new TypeError(`expected a tfjs layer or undefined, got ${got}`),
          resolved.path,
        );
      }
      try {
        x = layer.apply(x) as tfl.SymbolicTensor;
      } catch (error) {
        throw new PluginError(label, "layer", error, resolved.path);
      }
    }
    return x;
  };
}
