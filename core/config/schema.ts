/**
 * The experiment config: zod schemas with defaults, and errors that name every bad field.
 * Every object is strict, so a misspelt key fails before anything trains.
 *
 * @module
 */
import { z } from "../../deps.ts";
import { MAX_WASM_THREADS } from "../backend/wasm_threads.ts";
import { ConfigError } from "../contract/errors.ts";
import { zodIssues } from "./issues.ts";

const options = z.record(z.string(), z.unknown()).prefault({});

const PLUGIN_REF_EXPECTED = 'expected a plugin name or { "name": ..., "options": {...} }';

/** A plugin named by a bare string or `{ name, options }`, normalised to the latter. */
const pluginRef = z.preprocess(
  (value) => typeof value === "string" ? { name: value } : value,
  z.strictObject({ name: z.string().min(1), options }, {
    error: (issue) => issue.code === "invalid_type" ? PLUGIN_REF_EXPECTED : undefined,
  }),
);

const scheduleEntry = z.strictObject({
  until: z.int().positive().optional(),
  name: z.string().min(1),
  options,
});

/** The generator's loss: one plugin, or a schedule of plugins switched at `until` steps. */
const generatorLoss = z.preprocess(
  (value) => Array.isArray(value) ? value : [typeof value === "string" ? { name: value } : value],
  z.array(scheduleEntry).min(1),
).superRefine((entries, ctx) => {
  entries.forEach((entry, i) => {
    const last = i === entries.length - 1;
    if (last && entry.until !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: [i, "until"],
        message: "the last entry of a loss schedule has no `until`: it runs to the end",
      });
    }
    if (!last && entry.until === undefined) {
      ctx.addIssue({
        code: "custom",
        path: [i, "until"],
        message: "expected the step at which this entry hands over to the next",
      });
    }
    const previous = entries[i - 1]?.until;
    if (entry.until !== undefined && previous !== undefined && entry.until <= previous) {
      ctx.addIssue({
        code: "custom",
        path: [i, "until"],
        message: `expected a step after the previous entry's ${previous}`,
      });
    }
  });
});

/** Whether a loss is written as one plugin (`"x"` or `{ name, options }`) for both players. */
function bothSides(value: unknown): boolean {
  return typeof value === "string" ||
    (typeof value === "object" && value !== null && "name" in value);
}

/**
 * `loss: "x"` (or `{ name, options }`) uses plugin x for both players; the object form with
 * `discriminator` and `generator` picks each side, the discriminator defaulting to the standard
 * L0 of `minimax` and the generator to `non-saturating`.
 */
const loss = z.preprocess(
  (value) => bothSides(value) ? { discriminator: value, generator: value } : value,
  z.strictObject({
    discriminator: pluginRef.prefault("minimax"),
    generator: generatorLoss.prefault("non-saturating"),
  }, {
    error: (issue) =>
      issue.code === "invalid_type"
        ? 'expected a loss name, { "name": ..., "options": {...} } or { "discriminator": ..., "generator": ... }'
        : undefined,
  }),
);

const positive = z.number().positive();

const backendName = z.enum(["auto", "webgpu", "wasm", "cpu"]);

/**
 * A backend by name, or `{ name, threads }`: `threads` is wasm's thread count (ignored by the
 * other backends; 8 at most, as tfjs-backend-wasm's threaded build allows).
 */
const backendSchema = z.union([
  backendName,
  z.strictObject({
    name: backendName,
    threads: z.int().min(1).max(MAX_WASM_THREADS).optional(),
  }),
], {
  error: (issue) =>
    issue.code === "invalid_union"
      ? 'expected auto, webgpu, wasm or cpu, or { "name": ..., "threads": N } with N from 1 to ' +
        MAX_WASM_THREADS
      : undefined,
});

/**
 * A config's backend as a name and wasm's thread count.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { backendRequest } from "./schema.ts";
 *
 * assert.deepEqual(backendRequest("wasm"), { name: "wasm", threads: 1 });
 * assert.deepEqual(backendRequest({ name: "auto", threads: 4 }), { name: "auto", threads: 4 });
 * ```
 */
export function backendRequest(backend: z.output<typeof backendSchema>) {
  return typeof backend === "string"
    ? { name: backend, threads: 1 }
    : { name: backend.name, threads: backend.threads ?? 1 };
}

const optimizer = z.strictObject({
  name: z.enum(["adam", "sgd", "momentum"]).default("adam"),
  lr: positive.default(2e-4),
  beta1: z.number().min(0).lt(1).default(0.5),
  beta2: z.number().min(0).lt(1).default(0.999),
  momentum: z.number().min(0).lt(1).default(0.9),
  /**
   * Linear learning-rate decay: `lr` through step `start`, then falling linearly to 0 at step
   * `end` (0 after it), as improved-gan anneals its CIFAR runs. Constant when unset.
   */
  decay: z.strictObject({ start: z.int().min(0), end: z.int().positive() }).refine(
    (d) => d.end > d.start,
    { error: "expected end > start", path: ["end"] },
  ).optional(),
});

/**
 * The zod schema of an experiment config.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { experimentSchema } from "./schema.ts";
 *
 * assert.ok(experimentSchema.safeParse({ dataset: "ring-8", typo: 1 }).success === false);
 * ```
 */
export const experimentSchema = z.strictObject({
  name: z.string().max(100, {
    error: "expected at most 100 characters (it names the run directory)",
  }).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, {
    error: "expected letters, digits, '.', '_' or '-' (it names the run directory)",
  }).default("experiment"),
  seed: z.int().min(0).max(2 ** 31 - 1).default(1),
  backend: backendSchema.default("auto"),
  dataset: pluginRef,
  architecture: pluginRef.prefault("mlp"),
  loss: loss.prefault("non-saturating"),
  discriminator: z.strictObject({ addons: z.array(pluginRef).default([]) }).prefault({}),
  regularizers: z.array(pluginRef).default([]),
  train: z.strictObject({
    steps: z.int().positive().default(2000),
    batchSize: z.int().positive().max(65_536).default(64),
    dSteps: z.int().positive().max(100).default(1),
    optimizer: optimizer.prefault({}),
    logEvery: z.int().positive().default(50),
    /** Steps between checkpoints of a run directory (and one at the end). */
    checkpointEvery: z.int().positive().default(500),
  }).prefault({}),
  evaluate: z.strictObject({
    every: z.int().positive().default(500),
    metrics: z.array(pluginRef).default([]),
    samples: z.int().positive().max(10_000).default(64),
    /**
     * Decay of an exponential moving average of D's weights, updated after every D step and
     * used in place of D's weights at evaluation ([IMP]'s MNIST test used one). Off when unset.
     */
    ema: z.number().gt(0).lt(1).optional(),
  }).prefault({}),
  /**
   * [IMP] semi-supervised learning: D becomes a K+1-class classifier (fake logit fixed at 0),
   * trained on `labels` labeled training examples drawn once with the run's seed (balanced per
   * class when `perClass`) plus the unsupervised GAN loss, scaled by `unsupervisedWeight`.
   */
  semiSupervised: z.strictObject({
    labels: z.int().positive(),
    perClass: z.boolean().default(true),
    /** improved-gan scales its unsupervised term by 0.5. */
    unsupervisedWeight: z.number().min(0).default(0.5),
  }).optional(),
  /**
   * A conditional GAN on a labeled dataset (see `Conditioning`): G takes a class, as a one-hot
   * vector or a learned embedding of `embeddingDim`; D judges each example as its class, by
   * projection or with an auxiliary classifier (ACGAN: add the `auxiliary-classifier`
   * regularizer, its class loss).
   */
  conditional: z.strictObject({
    generator: z.enum(["one-hot", "embedding"]).default("one-hot"),
    embeddingDim: z.int().positive().max(16_384).default(50),
    discriminator: z.enum(["projection", "auxiliary-classifier"]).default("projection"),
  }).optional(),
  /**
   * What the run writes beside its own records: with `tensorboard`, a TensorBoard event file of
   * every logged step's stats, every evaluation's metrics and its picture of samples. It changes
   * no step: it is not part of the config's hash, and a run resumes with it switched.
   */
  log: z.strictObject({ tensorboard: z.boolean().default(false) }).optional(),
  plugins: z.array(z.string().min(1)).default([]),
});

/**
 * The experiment schema as applied: in semi-supervised mode the generator's loss defaults to
 * feature matching, which [IMP] found works best there.
 */
const experimentWithDefaults = z.preprocess(
  (value) =>
    value !== null && typeof value === "object" && "semiSupervised" in value &&
      (value as { semiSupervised?: unknown }).semiSupervised !== undefined &&
      (value as { loss?: unknown }).loss === undefined
      ? { ...value, loss: { generator: "feature-matching" } }
      : value,
  experimentSchema,
);

/** A config as written: plugin references may be bare names, defaults may be missing. */
export type ExperimentInput = z.input<typeof experimentSchema>;
/** A parsed config: every default filled in, every plugin reference `{ name, options }`. */
export type ExperimentConfig = z.output<typeof experimentSchema>;
/** A plugin reference after parsing. */
export type PluginRef = { name: string; options: Record<string, unknown> };

/**
 * Parses a config, filling in defaults; throws a {@linkcode ConfigError} naming every bad field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseConfig } from "./schema.ts";
 *
 * const config = parseConfig({ dataset: "ring-8", loss: "minimax" });
 * assert.ok(config.loss.generator[0].name === "minimax");
 * assert.ok(config.train.dSteps === 1);
 * ```
 */
export function parseConfig(input: unknown, source = "(object)"): ExperimentConfig {
  const parsed = experimentWithDefaults.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new ConfigError(source, zodIssues(parsed.error.issues, input));
}
