/**
 * Plugins' hooks as the engine calls them: an error thrown inside one is wrapped with the
 * plugin's kind, name and the hook that failed, and what a hook returns is checked against its
 * contract, so that a user reads which plugin broke and how.
 *
 * @module
 */
import { tf, tfl } from "../../deps.ts";
import { PluginError } from "../contract/errors.ts";
import type { PluginKind } from "../contract/plugin.ts";

/** A check of what a hook returned: what is wrong with it, or undefined. */
type ReturnCheck = (value: unknown) => string | undefined;

function describe(value: unknown): string {
  if (value instanceof tf.Tensor) return `a tensor of shape [${value.shape}]`;
  if (value === null || value === undefined) return String(value);
  if (typeof value === "object") return JSON.stringify(value)?.slice(0, 80) ?? "an object";
  return `${typeof value} ${String(value).slice(0, 40)}`;
}

const scalarTensor: ReturnCheck = (value) =>
  value instanceof tf.Tensor && value.rank === 0
    ? undefined
    : `returned ${describe(value)}; expected a scalar tensor (reduce it, e.g. with tf.mean)`;

const namedNumbers: ReturnCheck = (value) => {
  const record = value as Record<string, unknown> | null;
  const ok = typeof record === "object" && record !== null && !Array.isArray(record) &&
    Object.values(record).every((v) => typeof v === "number");
  return ok
    ? undefined
    : `resolved to ${describe(value)}; expected named numbers ({ name: number })`;
};

/** What each kind's hooks must return, where the engine relies on it. */
const RETURNS: Partial<Record<PluginKind, Record<string, ReturnCheck>>> = {
  loss: { discriminator: scalarTensor, generator: scalarTensor },
  regularizer: { discriminator: scalarTensor, generator: scalarTensor },
  metric: { evaluate: namedNumbers },
};

/**
 * Wraps every function of a plugin's contract so that its errors name the plugin and hook, and
 * so that a hook returning what its kind's contract does not allow fails the same way.
 */
export function wrapHooks<T>(contract: T, label: string, kind?: PluginKind): T {
  if (contract === null || typeof contract !== "object" || contract instanceof tfl.LayersModel) {
    return contract;
  }
  const checks = (kind && RETURNS[kind]) ?? {};
  const wrapped = Object.create(Object.getPrototypeOf(contract));
  for (const [key, value] of Object.entries(contract)) {
    if (typeof value !== "function") {
      wrapped[key] = value;
      continue;
    }
    const fail = (error: unknown) =>
      error instanceof PluginError ? error : new PluginError(label, key, error);
    const checked = (out: unknown) => {
      const problem = checks[key]?.(out);
      if (problem) throw new PluginError(label, key, new TypeError(problem));
      return out;
    };
    wrapped[key] = function (this: unknown, ...args: unknown[]) {
      try {
        const out = value.apply(this, args);
        return out instanceof Promise
          ? out.then(checked, (error) => {
            throw fail(error);
          })
          : checked(out);
      } catch (error) {
        throw fail(error);
      }
    };
  }
  return wrapped;
}
