/**
 * Resolves a parsed config against a registry: every plugin name is looked up and every
 * plugin's options are parsed by its schema, and all problems are reported at once, before
 * anything is built or written.
 *
 * @module
 */
import { ConfigError, type ConfigIssue } from "../contract/errors.ts";
import type { AnyPlugin, PluginKind } from "../contract/plugin.ts";
import type { Registry } from "../contract/registry.ts";
import {
  type ExperimentConfig,
  type ExperimentInput,
  parseConfig,
  type PluginRef,
} from "./schema.ts";
import { formatPath, zodIssues } from "./issues.ts";

/** A plugin found by name, with its options parsed. */
export interface ResolvedPlugin<K extends PluginKind = PluginKind> {
  plugin: Extract<AnyPlugin, { kind: K }>;
  options: Record<string, unknown>;
  /** Where the config named it, e.g. `discriminator.addons[0]`. */
  path: string;
}

/** A config whose plugins are all found, options filled in. */
export interface Experiment {
  /** The config with every plugin's options defaults filled in (what config.json records). */
  config: ExperimentConfig;
  dataset: ResolvedPlugin<"dataset">;
  architecture: ResolvedPlugin<"architecture">;
  discriminatorLoss: ResolvedPlugin<"loss">;
  generatorLosses: { until?: number; loss: ResolvedPlugin<"loss"> }[];
  addons: ResolvedPlugin<"addon">[];
  regularizers: ResolvedPlugin<"regularizer">[];
  metrics: ResolvedPlugin<"metric">[];
}

/**
 * Looks up every plugin a parsed config names; throws a ConfigError listing every unknown name
 * and every bad option.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { builtinRegistry } from "../../builtins.ts";
 * import { resolveExperiment } from "./experiment.ts";
 * import { parseConfig } from "./schema.ts";
 *
 * const experiment = resolveExperiment(parseConfig({ dataset: "ring-8" }), builtinRegistry());
 * assert.equal(experiment.architecture.plugin.name, "mlp");
 * assert.deepEqual(experiment.config.architecture.options.hidden, [128, 128]);
 * ```
 */
export function resolveExperiment(
  config: ExperimentConfig,
  registry: Registry,
  source = "(object)",
): Experiment {
  const issues: ConfigIssue[] = [];
  const resolved = structuredClone(config);
  const resolve = <K extends PluginKind>(
    kind: K,
    ref: PluginRef,
    path: (string | number)[],
  ): ResolvedPlugin<K> => {
    const where = formatPath(path);
    let plugin: Extract<AnyPlugin, { kind: K }>;
    try {
      plugin = registry.get(kind, ref.name);
    } catch (error) {
      issues.push({ path: where, message: (error as Error).message });
      return undefined as unknown as ResolvedPlugin<K>;
    }
    const parsed = plugin.options
      ? plugin.options.safeParse(ref.options)
      : { success: true, data: {} };
    if (!parsed.success) {
      issues.push(...zodIssues(parsed.error!.issues, ref.options, [...path, "options"]));
      return undefined as unknown as ResolvedPlugin<K>;
    }
    ref.options = parsed.data as Record<string, unknown>;
    return { plugin, options: ref.options, path: where };
  };
  const experiment: Experiment = {
    config: resolved,
    dataset: resolve("dataset", resolved.dataset, ["dataset"]),
    architecture: resolve("architecture", resolved.architecture, ["architecture"]),
    discriminatorLoss: resolve("loss", resolved.loss.discriminator, ["loss", "discriminator"]),
    generatorLosses: resolved.loss.generator.map((entry, i) => ({
      until: entry.until,
      loss: resolve("loss", entry, ["loss", "generator", i]),
    })),
    addons: resolved.discriminator.addons.map((ref, i) =>
      resolve("addon", ref, ["discriminator", "addons", i])
    ),
    regularizers: resolved.regularizers.map((ref, i) =>
      resolve("regularizer", ref, ["regularizers", i])
    ),
    metrics: resolved.evaluate.metrics.map((ref, i) =>
      resolve("metric", ref, ["evaluate", "metrics", i])
    ),
  };
  if (issues.length) throw new ConfigError(source, issues);
  return experiment;
}

/**
 * Parses a config as written and resolves it: {@linkcode parseConfig}, then
 * {@linkcode resolveExperiment}, both naming `source` in their errors.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { builtinRegistry } from "../../builtins.ts";
 * import { resolveConfig } from "./experiment.ts";
 *
 * const experiment = resolveConfig({ dataset: "ring-8", loss: "minimax" }, builtinRegistry());
 * assert.equal(experiment.discriminatorLoss.plugin.name, "minimax");
 * ```
 */
export function resolveConfig(
  input: ExperimentInput,
  registry: Registry,
  source = "(object)",
): Experiment {
  return resolveExperiment(parseConfig(input, source), registry, source);
}
