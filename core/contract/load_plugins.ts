/**
 * Loads a user's plugin modules from paths or http(s) URLs. A module's default export (a plugin
 * or an array of plugins) and its named exports that are plugins are registered. For URLs,
 * Deno's `--allow-import` permission is the allowlist of hosts code may come from.
 *
 * @module
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { type AnyPlugin, PLUGIN_KINDS } from "./plugin.ts";
import type { Registry } from "./registry.ts";

function isPlugin(value: unknown): value is AnyPlugin {
  const candidate = value as AnyPlugin | null;
  return typeof candidate === "object" && candidate !== null &&
    (PLUGIN_KINDS as readonly string[]).includes(candidate.kind) &&
    typeof candidate.name === "string" && typeof candidate.create === "function";
}

/** The URL of a plugin module: URLs stay, paths resolve against `base` (default: the cwd). */
export function pluginModuleUrl(specifier: string, base = Deno.cwd()): string {
  return /^(https?|file):\/\//.test(specifier)
    ? specifier
    : pathToFileURL(resolve(base, specifier)).href;
}

/**
 * Imports each module once (paths given as file URLs, or http(s) URLs) and registers its
 * plugins; returns the plugins registered.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadPluginModules } from "./load_plugins.ts";
 * import { Registry } from "./registry.ts";
 *
 * const registry = new Registry();
 * const url = new URL("../../examples/least_squares.ts", import.meta.url).href;
 * await loadPluginModules([url], registry);
 * assert.ok(registry.has("loss", "least-squares"));
 * ```
 */
export async function loadPluginModules(
  urls: string[],
  registry: Registry,
): Promise<AnyPlugin[]> {
  const loaded: AnyPlugin[] = [];
  for (const url of new Set(urls)) {
    let module: Record<string, unknown>;
    try {
      module = await import(url);
    } catch (error) {
      throw new Error(`Cannot load plugin module ${url}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const exported = [
      module.default,
      ...Object.entries(module)
        .filter(([key]) => key !== "default")
        .map(([, value]) => value),
    ].flat();
    const plugins = [...new Set(exported.filter(isPlugin))];
    if (!plugins.length) {
      throw new TypeError(
        `Cannot load plugin module ${url}: it exports no plugin (expected a default export or ` +
          "named exports made with definePlugin)",
      );
    }
    registry.register(...plugins);
    loaded.push(...plugins);
  }
  return loaded;
}
