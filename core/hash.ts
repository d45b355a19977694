/**
 * Stable hashes of configs: they identify a run's config in result.json and a grid's cells.
 *
 * @module
 */

/** A stable hash of a resolved config: sha-256 of its JSON with sorted keys, 16 hex digits. */
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
  const bytes = new TextEncoder().encode(JSON.stringify(sorted(config)));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return [...digest.slice(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
