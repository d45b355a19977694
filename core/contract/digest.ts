/**
 * Content digests: what caches key on (a dataset's `info.digest`, a config's hash).
 *
 * @module
 */

/**
 * The SHA-256 of `parts` laid end to end (strings as UTF-8), in hex.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sha256Hex } from "./digest.ts";
 *
 * assert.equal(await sha256Hex(["ab", new Uint8Array([99])]), await sha256Hex(["abc"]));
 * ```
 */
export async function sha256Hex(parts: (string | Uint8Array)[]): Promise<string> {
  const chunks = parts.map((part) =>
    typeof part === "string" ? new TextEncoder().encode(part) : part
  );
  const bytes = new Uint8Array(chunks.reduce((n, chunk) => n + chunk.length, 0));
  chunks.reduce((offset, chunk) => (bytes.set(chunk, offset), offset + chunk.length), 0);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}
