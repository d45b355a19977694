/**
 * Stable hashes of configs: they identify a run's config in result.json and a grid's cells.
 *
 * @module
 */
import { sha256Hex } from "../contract/digest.ts";

/**
 * A stable hash of a resolved config: SHA-256 of its JSON with sorted keys, 16 hex digits.
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
  return (await sha256Hex([JSON.stringify(sorted(config))])).slice(0, 16);
}
