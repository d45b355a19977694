/**
 * Config errors as users read them: zod's issues turned into {@linkcode ConfigIssue}s with the
 * dotted path of the field and the offending value quoted.
 *
 * @module
 */
import type { z } from "../../deps.ts";
import type { ConfigIssue } from "../contract/errors.ts";

/** Turns zod issues into {@linkcode ConfigIssue}s, quoting the offending value. */
export function zodIssues(
  issues: readonly z.core.$ZodIssue[],
  input: unknown,
  prefix: PropertyKey[] = [],
): ConfigIssue[] {
  return issues.map((issue) => {
    const path = [...prefix, ...issue.path];
    const value = valueAt(input, issue.path);
    const shown = value === undefined || issue.code === "unrecognized_keys"
      ? ""
      : ` (got ${truncate(quote(value))})`;
    return { path: formatPath(path), message: issue.message + shown };
  });
}

/** `["train", "optimizer", "lr"]` → `train.optimizer.lr`; indices become `[i]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.map((key, i) =>
    typeof key === "number" ? `[${key}]` : `${i ? "." : ""}${String(key)}`
  ).join("");
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** JSON, but NaN and ±Infinity (a `.ts` config's, or JSON's 1e999) as themselves, not null. */
function quote(value: unknown): string | undefined {
  return typeof value === "number" && !Number.isFinite(value)
    ? String(value)
    : JSON.stringify(value, (_, v) => typeof v === "number" && !Number.isFinite(v) ? String(v) : v);
}

function truncate(text: string | undefined): string {
  return text === undefined ? "undefined" : text.length > 60 ? text.slice(0, 57) + "..." : text;
}
