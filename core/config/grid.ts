/**
 * Ablation grids: a base config, named axes of values (the product of the axes is the grid),
 * seeds, and Hydra-style `include` / `exclude` lists of extra or dropped combinations.
 *
 * @module
 */
import { z } from "../../deps.ts";
import { ConfigError } from "../contract/errors.ts";
import type { Registry } from "../contract/registry.ts";
import { resolveConfig } from "./experiment.ts";
import { hashExperiment, sortedJson } from "./hash.ts";
import { zodIssues } from "./issues.ts";
import type { ExperimentConfig, ExperimentInput } from "./schema.ts";

const combination = z.record(z.string(), z.unknown());

/** The schema of a grid. */
export const gridSchema = z.strictObject({
  name: z.string().max(100, {
    error: "expected at most 100 characters (it names the output directory)",
  }).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, {
    error: "expected letters, digits, '.', '_' or '-' (it names the output directory)",
  }),
  /** The config every cell starts from. */
  base: z.record(z.string(), z.unknown()),
  /** A config path (`"loss"`, `"train.dSteps"`, `"architecture.options.hidden"`) → values. */
  axes: z.record(z.string(), z.array(z.unknown()).min(1)).default({}),
  /** Each combination runs once per seed (default: the base config's seed, else 1). */
  seeds: z.array(z.int().min(0).max(2 ** 31 - 1)).min(1).refine(
    (seeds) => new Set(seeds).size === seeds.length,
    { error: "expected distinct seeds (a repeated one would train the same cell twice)" },
  ).optional(),
  /** Extra combinations, `{ path: value }`, added after the product. */
  include: z.array(combination).default([]),
  /** Combinations to drop: a cell matching every `{ path: value }` of an entry is dropped. */
  exclude: z.array(combination).default([]),
  /** How many shards a Kubernetes Indexed Job splits the grid into (see `--shard`). */
  shards: z.int().positive().optional(),
});

/** A grid as written. */
export type GridInput = z.input<typeof gridSchema>;
/** A parsed grid. */
export type Grid = z.output<typeof gridSchema>;

/** One run of the grid: a combination of axis values and a seed. */
export interface Cell {
  /** Position in the grid's declared order (axes product first-axis-outermost, seeds innermost). */
  index: number;
  /** A stable hash of the cell's resolved config: its directory name under `cells/`. */
  id: string;
  /** `loss=minimax,addons=minibatch-discrimination,seed=2` */
  label: string;
  /** The axis values of this cell, by config path. */
  overrides: Record<string, unknown>;
  seed: number;
  /** The cell's resolved config. */
  config: ExperimentConfig;
}

/**
 * Declares a grid; it only returns its argument, for type inference in a `.ts` grid file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { builtinRegistry } from "../../builtins.ts";
 * import { defineGrid, expandGrid, parseGrid } from "./grid.ts";
 * const grid = defineGrid({
 *   name: "losses",
 *   base: { dataset: "ring-8" },
 *   axes: { loss: ["minimax", "non-saturating"] },
 *   seeds: [1, 2],
 * });
 * const cells = await expandGrid(parseGrid(grid), builtinRegistry());
 * assert.deepEqual(cells.map((c) => c.label), [
 *   "loss=minimax,seed=1",
 *   "loss=minimax,seed=2",
 *   "loss=non-saturating,seed=1",
 *   "loss=non-saturating,seed=2",
 * ]);
 * ```
 */
export function defineGrid(grid: GridInput): GridInput {
  return grid;
}

/**
 * Parses a grid; throws a ConfigError naming every bad field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseGrid } from "./grid.ts";
 *
 * assert.throws(() => parseGrid({ name: "g", base: {}, axes: { loss: [] } }), /axes.loss/);
 * ```
 */
export function parseGrid(input: unknown, source = "(object)"): Grid {
  const parsed = gridSchema.safeParse(input);
  if (!parsed.success) throw new ConfigError(source, zodIssues(parsed.error.issues, input));
  return parsed.data;
}

/**
 * Sets `path` (dotted) in a config object, turning a plugin name on the way into `{ name }`
 * (and a loss for both players, under a path that picks a side, into
 * `{ discriminator, generator }`).
 */
export function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split(".");
  let node = target;
  for (const [depth, key] of keys.slice(0, -1).entries()) {
    const next = node[key];
    const object = next && typeof next === "object" && !Array.isArray(next);
    // One loss for both players, when the path picks a side, becomes one loss on each side.
    const side = keys[depth + 1] === "discriminator" || keys[depth + 1] === "generator";
    const oneLoss = typeof next === "string" || (object && "name" in next);
    node[key] = depth === 0 && key === "loss" && side && oneLoss
      ? { discriminator: next, generator: next }
      : typeof next === "string"
      ? { name: next }
      : object
      ? { ...next }
      : {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys.at(-1)!] = structuredClone(value);
}

/**
 * How a value reads in a label: names for plugins with their other settings (`adam(lr:0.01)`,
 * `minibatch-discrimination(kernels:4)`), `a+b` for lists, `none` for `[]`.
 */
function formatValue(value: unknown): string {
  if (Array.isArray(value)) return value.length ? value.map(formatValue).join("+") : "none";
  if (value && typeof value === "object") {
    const { name, options, ...rest } = value as Record<string, unknown>;
    if (typeof name !== "string") return JSON.stringify(value);
    const settings = options && typeof options === "object" && !Array.isArray(options)
      ? { ...rest, ...options }
      : options === undefined
      ? rest
      : { ...rest, options };
    const extra = Object.entries(settings).map(([k, v]) => `${k}:${formatValue(v)}`);
    return extra.length ? `${name}(${extra.join(";")})` : name;
  }
  return String(value);
}

/**
 * How the values of each axis read in labels and the summary: {@linkcode formatValue}, or their
 * JSON on an axis where two different values would read alike, so every value reads apart.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { axisFormats } from "./grid.ts";
 *
 * const format = axisFormats([
 *   { "train.optimizer": { name: "adam", lr: 0.001 }, seeds: 1 },
 *   { "train.optimizer": { name: "adam", lr: 0.01 }, seeds: "1" },
 * ]);
 * assert.equal(format["train.optimizer"]({ name: "adam", lr: 0.01 }), "adam(lr:0.01)");
 * assert.equal(format.seeds("1"), '"1"');
 * ```
 */
export function axisFormats(
  combinations: Record<string, unknown>[],
): Record<string, (value: unknown) => string> {
  const paths = [...new Set(combinations.flatMap(Object.keys))];
  return Object.fromEntries(paths.map((path) => {
    const texts = new Map<string, string>();
    for (const combination of combinations) {
      if (path in combination) {
        texts.set(sortedJson(combination[path]), formatValue(combination[path]));
      }
    }
    const apart = new Set(texts.values()).size === texts.size;
    return [path, apart ? formatValue : (value: unknown) => JSON.stringify(value)];
  }));
}

/** The label key of each axis: its last path segment, or the whole path where that repeats. */
function labelKeys(paths: string[]): Record<string, string> {
  const last = (path: string) => path.split(".").at(-1)!;
  return Object.fromEntries(paths.map((path) => [
    path,
    paths.filter((other) => last(other) === last(path)).length > 1 ? path : last(path),
  ]));
}

function matches(overrides: Record<string, unknown>, pattern: Record<string, unknown>): boolean {
  return Object.entries(pattern).every(([path, value]) =>
    JSON.stringify(overrides[path]) === JSON.stringify(value)
  );
}

/**
 * Refuses an `exclude` entry that names a path that is not an axis or matches none of the axes'
 * `combinations`: a misspelt one would otherwise drop nothing, silently. (An `include` entry
 * may set any path: its cell's config is validated like every other, so a misspelt path or
 * value is refused there.)
 */
function checkExcludes(grid: Grid, combinations: Record<string, unknown>[], source: string) {
  const axes = Object.keys(grid.axes);
  const issues = grid.exclude.flatMap((entry, i) => {
    const strangers = Object.keys(entry).filter((path) => !axes.includes(path));
    const message = strangers.length
      ? `${strangers.map((p) => JSON.stringify(p)).join(", ")} ${
        strangers.length > 1 ? "are not axes" : "is not an axis"
      } of the grid (its axes: ${axes.map((p) => JSON.stringify(p)).join(", ") || "none"})`
      : combinations.some((c) => matches(c, entry))
      ? undefined
      : `matches no cell: no combination of the axes has ${JSON.stringify(entry)}`;
    return message ? [{ path: `exclude[${i}]`, message }] : [];
  });
  if (issues.length) throw new ConfigError(source, issues);
}

/** The same paths with the same values, in any order. */
function sameCombination(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  return Object.keys(a).length === Object.keys(b).length && matches(a, b);
}

/**
 * Expands a grid into its cells (config × seed) and validates every cell's config against the
 * registry before anything runs; a bad cell throws a ConfigError naming the cell and the field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { builtinRegistry } from "../../builtins.ts";
 * import { expandGrid, parseGrid } from "./grid.ts";
 *
 * const grid = parseGrid({ name: "k", base: { dataset: "ring-8" }, axes: { "train.dSteps": [1, 5] } });
 * const cells = await expandGrid(grid, builtinRegistry());
 * assert.deepEqual(cells.map((c) => c.config.train.dSteps), [1, 5]);
 * ```
 */
export async function expandGrid(
  grid: Grid,
  registry: Registry,
  source = "(object)",
): Promise<Cell[]> {
  const paths = Object.keys(grid.axes);
  let combinations: Record<string, unknown>[] = [{}];
  for (const path of paths) {
    combinations = combinations.flatMap((combination) =>
      grid.axes[path].map((value) => ({ ...combination, [path]: value }))
    );
  }
  checkExcludes(grid, combinations, source);
  combinations = combinations.filter((c) => !grid.exclude.some((pattern) => matches(c, pattern)));
  const fromAxes = combinations.length;
  for (const extra of grid.include) {
    if (!combinations.some((c) => sameCombination(c, extra))) {
      combinations.push(extra);
    }
  }
  const keys = labelKeys([...new Set(combinations.flatMap(Object.keys))]);
  const formats = axisFormats(combinations);
  const seeds = grid.seeds ?? [typeof grid.base.seed === "number" ? grid.base.seed : 1];
  const cells: Cell[] = [];
  for (const [position, overrides] of combinations.entries()) {
    const group = Object.entries(overrides).map(([path, value]) =>
      `${keys[path]}=${formats[path](value)}`
    ).join(",");
    for (const seed of seeds) {
      const label = group ? `${group},seed=${seed}` : `seed=${seed}`;
      const raw: Record<string, unknown> = { ...structuredClone(grid.base), name: grid.name };
      for (const [path, value] of Object.entries(overrides)) setPath(raw, path, value);
      raw.seed = seed;
      let config: ExperimentConfig;
      try {
        config = resolveConfig(raw as ExperimentInput, registry).config;
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        throw new ConfigError(`${source}, cell ${label}`, error.issues);
      }
      const id = await hashExperiment(config);
      const twin = cells.find((cell) => cell.id === id);
      if (twin) {
        throw new ConfigError(source, [{
          path: position < fromAxes ? "axes" : "include",
          message: `cells ${twin.label} and ${label} are the same config; drop one of them`,
        }]);
      }
      cells.push({
        index: cells.length,
        id,
        label,
        overrides,
        seed,
        config,
      });
    }
  }
  return cells;
}
