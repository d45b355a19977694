/**
 * The plugin contract: a plugin is a plain object with a kind, a name, an options schema and a
 * `create` hook, declared with {@linkcode definePlugin}. What `create` returns for each kind is
 * in `contracts.ts` (re-exported here). Built-in plugins and a user's plugins are written
 * against exactly these types.
 *
 * @module
 */
import type { tf, tfl, z } from "../../deps.ts";
import type {
  Addon,
  ArchitectureContext,
  Conditioning,
  Dataset,
  DatasetInfo,
  DiscriminatorShape,
  Loss,
  Metric,
  Networks,
  Regularizer,
} from "./contracts.ts";
import type { Rng } from "./rng.ts";

export type * from "./contracts.ts";

/**
 * The kinds of plugin the registry knows, in the order the CLI lists them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PLUGIN_KINDS } from "./plugin.ts";
 *
 * assert.deepEqual(PLUGIN_KINDS.slice(0, 2), ["loss", "addon"]);
 * ```
 */
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
  loss: JudgeContext;
  addon: unknown;
  regularizer: JudgeContext;
  architecture: ArchitectureContext;
  dataset: unknown;
  metric: JudgeContext & { dataset: DatasetInfo };
}

/** What the plugins that read D's outputs (losses, regularizers, metrics) get in `create`. */
export interface JudgeContext {
  discriminator: DiscriminatorShape;
  /** Set in a conditional run: the classes, and how G and D take them. */
  conditional?: Conditioning;
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
 *
 * @example A least-squares loss (Mao et al. 2017)
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf, tfl } from "../../deps.ts";
 * import { definePlugin } from "./plugin.ts";
 * import { createRng } from "./rng.ts";
 *
 * await tf.setBackend("cpu");
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
 * const loss = await leastSquares.create({
 *   tf,
 *   layers: tfl,
 *   options: {},
 *   rng: createRng(1),
 *   discriminator: { logits: 1, features: 0 },
 * });
 * const output = (logit: number) => ({ x: tf.zeros([4, 2]), logits: tf.fill([4, 1], logit), features: [] });
 * const inputs = { real: output(1), fake: output(0), step: 1, discriminate: () => output(0) };
 * assert.equal((await loss.discriminator!(inputs).data())[0], 0); // real at 1, fake at 0
 * assert.equal((await loss.generator!(inputs).data())[0], 1); // G wants its fakes at 1
 * ```
 */
export function definePlugin<K extends PluginKind, S extends z.ZodType = z.ZodObject>(
  plugin: Plugin<K, S>,
): Plugin<K, S> {
  return plugin;
}
