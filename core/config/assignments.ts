/**
 * Hydra-style `key.path=value` config overrides as the command line gives them (read by the
 * commands and by the launcher, which must know a run's name before any config is loaded).
 *
 * @module
 */
import { UsageError } from "../contract/errors.ts";

/**
 * Hydra-style `key.path=value` arguments as config paths and values: a value is parsed as JSON
 * when it parses (`train.steps=500`, `discriminator.addons=["batch-norm"]`), else kept as a
 * string (`loss=hinge`). Throws a {@linkcode UsageError} for an argument without a path.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseAssignments } from "./assignments.ts";
 *
 * assert.deepEqual(parseAssignments(["train.steps=5", "loss=hinge"]), {
 *   "train.steps": 5,
 *   loss: "hinge",
 * });
 * ```
 */
export function parseAssignments(args: string[]): Record<string, unknown> {
  const assignments: Record<string, unknown> = {};
  for (const arg of args) {
    const at = arg.indexOf("=");
    const path = arg.slice(0, Math.max(at, 0));
    if (at < 1 || path.split(".").some((key) => !key)) {
      throw new UsageError(
        `Cannot read override ${JSON.stringify(arg)}: expected key.path=value, such as ` +
          "train.steps=500 or loss=hinge",
      );
    }
    const text = arg.slice(at + 1);
    let value: unknown = text;
    try {
      value = JSON.parse(text);
    } catch {
      // Not JSON: the value is the string itself.
    }
    assignments[path] = value;
  }
  return assignments;
}
