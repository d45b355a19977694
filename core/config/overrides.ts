/**
 * The command line's shorthands for config fields (`--backend`, `--threads`, `--seed`, `--steps`), applied to
 * a config as written, before it is parsed, so that a bad value is reported like a bad field.
 *
 * @module
 */

/** Values that replace a config's fields; each is left alone when undefined. */
export interface ConfigOverrides {
  /** Replaces `backend`'s name. */
  backend?: string;
  /** Sets `backend.threads` (wasm's thread count). */
  threads?: number;
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
  const { seed, steps } = overrides;
  const { train, backend } = raw as { train?: object; backend?: unknown };
  const asObject = (b: unknown) => b !== null && typeof b === "object" ? b : { name: b ?? "auto" };
  let named = backend;
  if (overrides.backend !== undefined) {
    named = typeof backend === "object" && backend !== null
      ? { ...backend, name: overrides.backend }
      : overrides.backend;
  }
  if (overrides.threads !== undefined) named = { ...asObject(named), threads: overrides.threads };
  return {
    ...raw,
    ...(named !== backend ? { backend: named } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(steps !== undefined ? { train: { ...train, steps } } : {}),
  };
}
