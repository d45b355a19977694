/**
 * Where gantry keeps what it can rebuild but would rather not (the domain classifiers metrics
 * score with): one directory shared by every run of the user.
 *
 * @module
 */
import { join } from "node:path";

/**
 * The cache root: `$GANTRY_CACHE`, else `$XDG_CACHE_HOME/gantry`, else `~/.cache/gantry`;
 * `env` reads a variable (default: the process's environment).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cacheDirectory } from "./cache_directory.ts";
 *
 * const env = (vars: Record<string, string>) => (name: string) => vars[name];
 * assert.equal(cacheDirectory(env({ XDG_CACHE_HOME: "/c", HOME: "/h" })), "/c/gantry");
 * assert.equal(cacheDirectory(env({ HOME: "/h" })), "/h/.cache/gantry");
 * ```
 */
export function cacheDirectory(
  env: (name: string) => string | undefined = (name) => Deno.env.get(name),
): string {
  const read = (name: string) => env(name) || undefined;
  const explicit = read("GANTRY_CACHE");
  if (explicit) return explicit;
  const xdg = read("XDG_CACHE_HOME");
  if (xdg) return join(xdg, "gantry");
  const home = read("HOME") ?? read("USERPROFILE");
  if (!home) {
    throw new Error(
      "Cannot find a cache directory for the domain classifier: set GANTRY_CACHE " +
        "(or XDG_CACHE_HOME or HOME)",
    );
  }
  return join(home, ".cache", "gantry");
}
