/**
 * The command line's shorthands for config fields (`--backend`, `--seed`, `--steps`), applied to
 * a config as written, before it is parsed, so that a bad value is reported like a bad field.
 *
 * @module
 */

/** Values that replace a config's fields; each is left alone when undefined. */
export interface ConfigOverrides {
  /** Replaces `backend`. */
  backend?: string;
  /** Replaces `seed`. */
  seed?: number;
  /** Replaces `train.steps`. */
  steps?: number;
}

/**
 * The config with the overrides applied, the input left as it was. Anything but an object is
 * returned unchanged, for the parser to report.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { applyOverrides } from "./overrides.ts";
 *
 * const raw = { dataset: "ring-8", train: { batchSize: 8 } };
 * assert.deepEqual(applyOverrides(raw, { steps: 10 }), {
 *   dataset: "ring-8",
 *   train: { batchSize: 8, steps: 10 },
 * });
 * ```
 */
export function applyOverrides(raw: unknown, overrides: ConfigOverrides): unknown {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return raw;
  const { backend, seed, steps } = overrides;
  const train = (raw as { train?: object }).train;
  return {
    ...raw,
    ...(backend !== undefined ? { backend } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(steps !== undefined ? { train: { ...train, steps } } : {}),
  };
}
