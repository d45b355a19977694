/**
 * Stable hashes of configs: they identify a run's config in result.json and a grid's cells.
 *
 * @module
 */
import { sha256Hex } from "../contract/digest.ts";
import { backendRequest, type ExperimentConfig } from "./schema.ts";

/**
 * JSON with every object's keys sorted: equal values give equal text, whatever their key order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sortedJson } from "./hash.ts";
 *
 * assert.equal(sortedJson({ b: [{ d: 1, c: 2 }], a: 1 }), '{"a":1,"b":[{"c":2,"d":1}]}');
 * ```
 */
export function sortedJson(value: unknown): string {
  const sorted = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(sorted)
      : value && typeof value === "object"
      ? Object.fromEntries(
        Object.keys(value).sort().map((
          key,
        ) => [key, sorted((value as Record<string, unknown>)[key])]),
      )
      : value;
  return JSON.stringify(sorted(value));
}

/**
 * A stable hash of a resolved config: SHA-256 of its {@linkcode sortedJson}, 16 hex digits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hashConfig } from "./hash.ts";
 *
 * assert.equal(await hashConfig({ a: 1, b: 2 }), await hashConfig({ b: 2, a: 1 }));
 * ```
 */
export async function hashConfig(config: unknown): Promise<string> {
  return (await sha256Hex([sortedJson(config)])).slice(0, 16);
}

/**
 * The hash of an experiment config, which identifies its run and its grid cell: wasm's thread
 * count is left out, since it does not change a step's numbers (the tests check it), so a run
 * resumes, and a grid cell is found again, with another `--threads`; so is `log`, which changes
 * only what is written.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hashExperiment } from "./hash.ts";
 *
 * const threaded = await hashExperiment({ backend: { name: "wasm", threads: 4 } });
 * assert.equal(threaded, await hashExperiment({ backend: "wasm" }));
 * ```
 */
export function hashExperiment(config: { backend: ExperimentConfig["backend"] }): Promise<string> {
  return hashConfig({ ...config, backend: backendRequest(config.backend).name });
}
