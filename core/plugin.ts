/**
 * The plugin contract: what each kind of plugin receives and returns. Built-in plugins and a
 * user's plugins are written against exactly these types.
 *
 * @module
 */
import type { tf, tfl, z } from "../deps.ts";
import type { Rng } from "./rng.ts";

/** The kinds of plugin the registry knows. */
export const PLUGIN_KINDS = [
  "loss",
  "addon",
  "regularizer",
  "architecture",
  "dataset",
  "metric",
] as const;

/** One of {@linkcode PLUGIN_KINDS}. */
export type PluginKind = typeof PLUGIN_KINDS[number];

/** What every plugin's `create` receives: tfjs (so a plugin never imports its own copy). */
export interface PluginContext<O> {
  /** tfjs-core, shared with the engine. */
  tf: typeof tf;
  /** tfjs-layers, shared with the engine. */
  layers: typeof tfl;
  /** The plugin's options, parsed by its schema (defaults filled in). */
  options: O;
  /** The run's random stream for this plugin; `rng.seed()` seeds tfjs initializers. */
  rng: Rng;
}

/** The discriminator's outputs for one batch. */
export interface DiscriminatorOutput {
  /** Shape [n, 1]: logit of "real" (or [n, K] for a K-class discriminator). */
  logits: tf.Tensor;
  /** Every hidden layer's activations, first to last; the last is "the features". */
  features: tf.Tensor[];
}

/** What a loss sees at one step. `real` is computed lazily in the generator's step. */
export interface LossInputs {
  real: DiscriminatorOutput;
  fake: DiscriminatorOutput;
  /** Class labels of the real batch, when the dataset has them. */
  labels?: tf.Tensor;
  /** The training step, counted from 1. */
  step: number;
}

/** A loss: either side may be missing. Each returns a scalar to minimise. */
export interface Loss {
  discriminator?(inputs: LossInputs): tf.Scalar;
  generator?(inputs: LossInputs): tf.Scalar;
}

/** Where an add-on splices into the discriminator. */
export type AddonPoint = "pre-activation" | "features";

/** The place an add-on's layer goes: the hidden layer's index and width. */
export interface AddonSite {
  /** Hidden layer index from 0 ("features": the last hidden layer's index). */
  index: number;
  /** The number of hidden layers in the discriminator. */
  count: number;
}

/** A discriminator add-on: a factory of layers inserted at one kind of point. */
export interface Addon {
  point: AddonPoint;
  /** Returns the layer for this site, or null to leave the site alone. */
  layer(site: AddonSite): tfl.layers.Layer | null;
}

/** What a regularizer sees: the loss inputs plus the player's trainable variables. */
export interface PenaltyInputs extends LossInputs {
  variables: tf.Variable[];
}

/** A regularizer: a penalty added to one or both players' costs. */
export interface Regularizer {
  discriminator?(inputs: PenaltyInputs): tf.Scalar;
  generator?(inputs: PenaltyInputs): tf.Scalar;
}

/** A batch from a dataset. */
export interface Batch {
  x: tf.Tensor;
  labels?: tf.Tensor;
}

/** What a dataset tells the rest of the run. */
export interface DatasetInfo {
  /** The shape of one example, e.g. [2] or [28, 28, 1]. */
  shape: number[];
  /** "points" for low-dimensional data (scatter plots), "image" for images (grids). */
  kind: "points" | "image";
  /** Value range of the data, e.g. [-1, 1] for images. */
  range?: [number, number];
  /** Number of examples, when finite. */
  size?: number;
  /** Number of classes, when labelled. */
  numClasses?: number;
  /** Mixture components, for mode-coverage metrics. */
  modes?: { means: number[][]; std: number };
}

/** A dataset: seeded batches of examples. */
export interface Dataset {
  info: DatasetInfo;
  /** Draws n examples with `rng`. Called inside `tf.tidy`. */
  sample(rng: Rng, n: number): Batch;
  dispose?(): void;
}

/** What the architecture builds. */
export interface Networks {
  latentDim: number;
  latentDistribution: "normal" | "uniform";
  /** Maps [n, latentDim] to [n, ...dataset shape]. */
  generator: tfl.LayersModel;
  /** Maps [n, ...dataset shape] to [logits, ...hidden activations]. */
  discriminator: tfl.LayersModel;
}

/** What an architecture's `create` receives beyond the common context. */
export interface ArchitectureContext {
  dataset: DatasetInfo;
  /** Applies every add-on registered for `point` to `x`, in config order. */
  splice(point: AddonPoint, x: tfl.SymbolicTensor, site: AddonSite): tfl.SymbolicTensor;
}

/** What a metric sees at an evaluation. */
export interface EvaluationContext {
  tf: typeof tf;
  step: number;
  dataset: Dataset;
  /** A stream for this evaluation, independent of the training stream. */
  rng: Rng;
  /** n generator samples in the dataset's shape; the caller disposes the tensor. */
  generate(n: number): tf.Tensor;
}

/** A metric: named numbers from an evaluation. */
export interface Metric {
  evaluate(context: EvaluationContext): Promise<Record<string, number>>;
}

/** What `create` returns, per kind. */
export interface PluginContracts {
  loss: Loss;
  addon: Addon;
  regularizer: Regularizer;
  architecture: Networks;
  dataset: Dataset;
  metric: Metric;
}

/** The extra context `create` receives, per kind. */
export interface PluginContexts {
  loss: unknown;
  addon: unknown;
  regularizer: unknown;
  architecture: ArchitectureContext;
  dataset: unknown;
  metric: { dataset: DatasetInfo };
}

/** A plugin of kind K with an options schema S. */
export interface Plugin<K extends PluginKind = PluginKind, S extends z.ZodType = z.ZodType> {
  kind: K;
  /** kebab-case, unique within its kind. */
  name: string;
  /** One line, shown by `deno task plugins`. */
  description: string;
  /** A zod schema for the options; its defaults are the plugin's defaults. */
  options?: S;
  create(
    context: PluginContext<z.output<S>> & PluginContexts[K],
  ): PluginContracts[K] | Promise<PluginContracts[K]>;
}

/** Any plugin, whatever its kind and options. */
// deno-lint-ignore no-explicit-any
export type AnyPlugin = { [K in PluginKind]: Plugin<K, any> }[PluginKind];

/**
 * Declares a plugin. It only returns its argument: it exists so that TypeScript infers the
 * types of `create`'s context and return value from `kind` and `options`.
 */
export function definePlugin<K extends PluginKind, S extends z.ZodType = z.ZodObject>(
  plugin: Plugin<K, S>,
): Plugin<K, S> {
  return plugin;
}
