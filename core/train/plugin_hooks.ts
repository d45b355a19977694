/**
 * Plugins' hooks as the engine calls them: an error thrown inside one is wrapped with the
 * plugin's kind, name and the hook that failed, so that a user reads which plugin broke.
 *
 * @module
 */
import { tfl } from "../../deps.ts";
import { PluginError } from "../contract/errors.ts";

/** Wraps every function of a plugin's contract so that its errors name the plugin and hook. */
export function wrapHooks<T>(contract: T, label: string): T {
  if (contract === null || typeof contract !== "object" || contract instanceof tfl.LayersModel) {
    return contract;
  }
  const wrapped = Object.create(Object.getPrototypeOf(contract));
  for (const [key, value] of Object.entries(contract)) {
    wrapped[key] = typeof value !== "function"
      ? value
      : function (this: unknown, ...args: unknown[]) {
        try {
          const out = value.apply(this, args);
          return out instanceof Promise
            ? out.catch((error) => {
              throw error instanceof PluginError ? error : new PluginError(label, key, error);
            })
            : out;
        } catch (error) {
          throw error instanceof PluginError ? error : new PluginError(label, key, error);
        }
      };
  }
  return wrapped;
}
