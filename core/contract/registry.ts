/**
 * The plugin registry: every loss, add-on, regularizer, architecture, dataset and metric is
 * found here by name, the built-in ones included.
 *
 * @module
 */
import { type AnyPlugin, PLUGIN_KINDS, type PluginKind } from "./plugin.ts";

const PLURALS: Record<PluginKind, string> = {
  loss: "losses",
  addon: "add-ons",
  regularizer: "regularizers",
  architecture: "architectures",
  dataset: "datasets",
  metric: "metrics",
};

const NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/**
 * The registered plugins, by kind and name. Duplicate names throw; unknown names list the valid
 * ones.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { definePlugin } from "./plugin.ts";
 * import { Registry } from "./registry.ts";
 *
 * const half = definePlugin({
 *   kind: "loss",
 *   name: "half",
 *   description: "",
 *   create: ({ tf }) => ({ generator: ({ fake }) => tf.mul(0.5, tf.mean(fake.logits)) }),
 * });
 * const registry = new Registry().register(half);
 * assert.ok(registry.get("loss", "half") === half);
 * assert.throws(() => registry.register(half), /half/);
 * ```
 */
export class Registry {
  #plugins = new Map<PluginKind, Map<string, AnyPlugin>>(
    PLUGIN_KINDS.map((kind) => [kind, new Map()]),
  );

  /** Registers plugins; a duplicate name within a kind throws. */
  register(...plugins: AnyPlugin[]): this {
    for (const plugin of plugins) {
      const byName = this.#plugins.get(plugin?.kind);
      if (!byName) {
        throw new TypeError(
          `Cannot register plugin ${JSON.stringify(plugin?.name)}: kind ${
            JSON.stringify(plugin?.kind)
          } is not one of ${PLUGIN_KINDS.map((k) => `"${k}"`).join(", ")}`,
        );
      }
      if (typeof plugin.name !== "string" || !NAME.test(plugin.name)) {
        throw new TypeError(
          `Cannot register ${plugin.kind} ${
            JSON.stringify(plugin.name)
          }: a plugin name is kebab-case (lowercase letters, digits and single dashes)`,
        );
      }
      if (typeof plugin.create !== "function") {
        throw new TypeError(
          `Cannot register ${plugin.kind} "${plugin.name}": it has no create() function`,
        );
      }
      if (byName.has(plugin.name)) {
        throw new Error(
          `Cannot register ${plugin.kind} "${plugin.name}": a ${plugin.kind} of that name is already registered`,
        );
      }
      byName.set(plugin.name, plugin);
    }
    return this;
  }

  /** Whether a plugin of this kind and name is registered. */
  has(kind: PluginKind, name: string): boolean {
    return this.#plugins.get(kind)!.has(name);
  }

  /** The plugin of this kind and name; an unknown name throws a RangeError listing the names. */
  get<K extends PluginKind>(kind: K, name: string): Extract<AnyPlugin, { kind: K }> {
    const plugin = this.#plugins.get(kind)!.get(name);
    if (plugin) return plugin as Extract<AnyPlugin, { kind: K }>;
    const names = [...this.#plugins.get(kind)!.keys()].sort();
    const closest = closestName(name, names);
    throw new RangeError(
      `Cannot resolve ${kind} ${JSON.stringify(name)}: ` +
        (names.length
          ? `available ${PLURALS[kind]} are ${names.map((n) => `"${n}"`).join(", ")}`
          : `no ${PLURALS[kind]} are registered`) +
        (closest ? ` (did you mean "${closest}"?)` : ""),
    );
  }

  /** The plugins of one kind (or all), sorted by kind then name. */
  list(kind?: PluginKind): AnyPlugin[] {
    const kinds = kind ? [kind] : PLUGIN_KINDS;
    return kinds.flatMap((k) =>
      [...this.#plugins.get(k)!.values()].sort((a, b) => a.name.localeCompare(b.name))
    );
  }
}

/** The registered name nearest to `name` by edit distance, if it is plausibly a typo. */
function closestName(name: string, names: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of names) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j] + 1,
        current[j - 1] + 1,
        previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length];
}
