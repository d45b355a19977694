/**
 * Changes to a config from the command line: the shorthands for its fields (`--backend`,
 * `--threads`, `--seed`, `--steps`, `--tensorboard`) and `key.path=value` overrides of any
 * field, applied to a config as written, before it is parsed, so that a bad value is reported
 * like a bad field.
 *
 * @module
 */
import { setPath } from "./grid.ts";

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
  /** Sets `log.tensorboard`. */
  tensorboard?: boolean;
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
  const { seed, steps, tensorboard } = overrides;
  const { train, backend, log } = raw as { train?: object; backend?: unknown; log?: object };
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
    ...(tensorboard !== undefined ? { log: { ...log, tensorboard } } : {}),
  };
}

/**
 * A copy of a config as written with each path set to its value (as a grid's axes set them), for
 * the parser to validate and name a bad path. Anything but an object is returned unchanged.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { applyAssignments } from "./overrides.ts";
 *
 * const raw = { dataset: "ring-8", loss: "minimax" };
 * assert.deepEqual(applyAssignments(raw, { "loss.generator": "non-saturating" }), {
 *   dataset: "ring-8",
 *   loss: { discriminator: "minimax", generator: "non-saturating" },
 * });
 * ```
 */
export function applyAssignments(raw: unknown, assignments: Record<string, unknown>): unknown {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return raw;
  const config = structuredClone(raw) as Record<string, unknown>;
  for (const [path, value] of Object.entries(assignments)) setPath(config, path, value);
  return config;
}
